package gateway

import (
	"sync"
	"sync/atomic"
	"testing"
)

// The worker runs functions one at a time and in the order they were
// queued, whether they run on its own goroutine or on one that claimed
// it, and runs cleanup once, last.
func TestPerfWorkerOrderAndOwnership(t *testing.T) {
	var cleanups atomic.Int32
	var running atomic.Int32
	var got []int // owned by whoever runs the worker's functions
	w := newWorker(func() { cleanups.Add(1) })
	step := func(i int) func() {
		return func() {
			if running.Add(1) != 1 {
				t.Error("two functions ran at once")
			}
			got = append(got, i)
			running.Add(-1)
		}
	}
	const producers, each = 4, 500
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				n := p*each + i
				if w.claim() {
					step(n)()
					w.release()
				} else if !w.do(step(n)) {
					t.Error("do failed before stop")
				}
			}
		})
	}
	wg.Wait()
	done := make(chan struct{})
	w.do(func() { close(done) })
	<-done
	w.stop()
	<-w.done
	if n := cleanups.Load(); n != 1 {
		t.Fatalf("cleanup ran %d times, want 1", n)
	}
	if w.do(func() { t.Error("ran after stop") }) {
		t.Error("do after stop = true, want false")
	}
	if len(got) != producers*each {
		t.Fatalf("ran %d functions, want %d", len(got), producers*each)
	}
	// Each producer's functions ran in the order it queued them.
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	for _, n := range got {
		p, i := n/each, n%each
		if i <= last[p] {
			t.Fatalf("producer %d: function %d ran after %d", p, i, last[p])
		}
		last[p] = i
	}
}
