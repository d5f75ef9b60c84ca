package res

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

const waitLong = 10 * time.Second

func closeQueue(t *testing.T, q *workQueue) {
	t.Helper()
	q.close()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := q.wait(ctx); err != nil {
		t.Fatalf("workQueue.wait: %v", err)
	}
}

func TestWorkQueueOrderPerGroup(t *testing.T) {
	defer goleak.VerifyNone(t)
	q := newWorkQueue(4)
	const groups, tasks = 5, 200
	var mu sync.Mutex
	got := map[string][]int{}
	running := map[string]*atomic.Int32{}
	for g := range groups {
		running[fmt.Sprint(g)] = new(atomic.Int32)
	}
	for i := range tasks {
		for g := range groups {
			key := fmt.Sprint(g)
			q.add(key, func() {
				if n := running[key].Add(1); n != 1 {
					t.Errorf("group %s: %d tasks at once", key, n)
				}
				mu.Lock()
				got[key] = append(got[key], i)
				mu.Unlock()
				running[key].Add(-1)
			})
		}
	}
	closeQueue(t, q)
	for key, seq := range got {
		if len(seq) != tasks {
			t.Fatalf("group %s ran %d tasks, want %d", key, len(seq), tasks)
		}
		for i, v := range seq {
			if v != i {
				t.Fatalf("group %s: task %d ran as number %d", key, v, i)
			}
		}
	}
}

// TestWorkQueueParallelAcrossGroups blocks one task per group until all of
// them run at once, which only happens if groups run in parallel.
func TestWorkQueueParallelAcrossGroups(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, key := range []string{"group", ""} {
		t.Run(fmt.Sprintf("key %q", key), func(t *testing.T) {
			const n = 3
			q := newWorkQueue(n)
			var started sync.WaitGroup
			started.Add(n)
			release := make(chan struct{})
			for i := range n {
				k := key
				if k != "" {
					k = fmt.Sprint(key, i)
				}
				q.add(k, func() {
					started.Done()
					<-release
				})
			}
			waitOrFail(t, started.Wait, "tasks of different groups did not run at once")
			close(release)
			closeQueue(t, q)
		})
	}
}

func TestWorkQueueLimit(t *testing.T) {
	defer goleak.VerifyNone(t)
	const limit = 2
	q := newWorkQueue(limit)
	var running, most, count atomic.Int32
	var started sync.WaitGroup
	started.Add(limit)
	release := make(chan struct{})
	for i := range 10 {
		q.add(fmt.Sprint(i), func() {
			// The first tasks to start block until they all run.
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			if count.Add(1) <= limit {
				started.Done()
			}
			<-release
			running.Add(-1)
		})
	}
	waitOrFail(t, started.Wait, "first tasks did not start")
	close(release)
	closeQueue(t, q)
	if m := most.Load(); m > limit {
		t.Errorf("%d tasks ran at once, want at most %d", m, limit)
	}
}

func TestWorkQueueWaitIdle(t *testing.T) {
	defer goleak.VerifyNone(t)
	q := newWorkQueue(2)
	var ran atomic.Int32
	q.add("a", func() {
		// A task that queues another: waitIdle waits for both.
		q.add("b", func() { ran.Add(1) })
		ran.Add(1)
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := q.waitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if n := ran.Load(); n != 2 {
		t.Errorf("waitIdle returned after %d tasks, want 2", n)
	}
	closeQueue(t, q)
}

func TestWorkQueueClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	q := newWorkQueue(1)
	release := make(chan struct{})
	var ran atomic.Int32
	q.add("a", func() { <-release; ran.Add(1) })
	q.add("a", func() { ran.Add(1) }) // queued before close: still runs
	q.close()
	if q.add("a", func() { ran.Add(1) }) {
		t.Error("add after close = true, want false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.wait(ctx); err == nil {
		t.Error("wait with a done context while a task runs = nil, want an error")
	}
	close(release)
	closeQueue(t, q)
	if n := ran.Load(); n != 2 {
		t.Errorf("%d tasks ran, want 2", n)
	}
}

// TestWorkQueueTakesTurns checks that a group with many tasks lets the
// other groups run between its tasks when every worker is busy.
func TestWorkQueueTakesTurns(t *testing.T) {
	defer goleak.VerifyNone(t)
	q := newWorkQueue(1)
	var mu sync.Mutex
	var order []string
	ran := func(name string) func() {
		return func() {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
		}
	}
	started, release := make(chan struct{}), make(chan struct{})
	q.add("a", func() {
		close(started)
		<-release
		ran("a1")()
	})
	<-started
	q.add("a", ran("a2"))
	q.add("a", ran("a3"))
	q.add("b", ran("b1"))
	q.add("c", ran("c1"))
	close(release)
	closeQueue(t, q)
	want := []string{"a1", "b1", "c1", "a2", "a3"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("tasks ran in the order %v, want %v", order, want)
	}
}

// TestWorkQueueCloseIdle checks that close ends idle workers, started
// or not.
func TestWorkQueueCloseIdle(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		name  string
		tasks int
	}{
		{"no worker started", 0},
		{"one worker idle", 1},
		{"workers idle", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newWorkQueue(4)
			var wg sync.WaitGroup
			for i := range tt.tasks {
				wg.Add(1)
				q.add(fmt.Sprint(i), wg.Done)
			}
			waitOrFail(t, wg.Wait, "tasks did not run")
			closeQueue(t, q)
		})
	}
}

func TestFIFO(t *testing.T) {
	tests := []struct {
		name string
		ops  string // a digit pushes it, '-' pops
		want string // the digits popped
	}{
		{"empty", "", ""},
		{"push pop", "1-", "1"},
		{"in order", "123---", "123"},
		{"interleaved", "12-3-4--", "1234"},
		{"refill after empty", "12--34--", "1234"},
		{"many, popped half way", "0123456789-----0123456789----------", "012345678901234"},
		{"compacts", "1234-5-6-7-8-9-0-1-2-3-4-5-6-7-8-9----", "1234567890123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f fifo[byte]
			var got []byte
			n := 0
			for _, op := range []byte(tt.ops) {
				if op == '-' {
					got = append(got, f.pop())
					n--
				} else {
					f.push(op)
					n++
				}
				if f.len() != n {
					t.Fatalf("after %q: len() = %d, want %d", tt.ops, f.len(), n)
				}
			}
			if string(got) != tt.want {
				t.Errorf("ops %q popped %q, want %q", tt.ops, got, tt.want)
			}
		})
	}
}

func waitOrFail(t *testing.T, wait func(), msg string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitLong):
		t.Fatal(msg)
	}
}

func BenchmarkWorkQueue(b *testing.B) {
	q := newWorkQueue(32)
	var wg sync.WaitGroup
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = fmt.Sprint("group", i)
	}
	i := 0
	for b.Loop() {
		wg.Add(1)
		q.add(keys[i%len(keys)], wg.Done)
		i++
	}
	wg.Wait()
	q.close()
	_ = q.wait(context.Background())
}
