package res_test

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// trace records what handlers do, in order, from any goroutine.
type trace struct {
	mu    sync.Mutex
	steps []string
}

func (tr *trace) add(step string) {
	tr.mu.Lock()
	tr.steps = append(tr.steps, step)
	tr.mu.Unlock()
}

func (tr *trace) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.steps)
}

// blocker is a call handler "block" that waits for release, and a call
// handler "quick" that returns at once; both record their steps.
type blocker struct {
	tr      trace
	started chan struct{}
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 1), release: make(chan struct{})}
}

func (b *blocker) options() []res.Option {
	return []res.Option{
		res.Call("block", func(r res.CallRequest) {
			b.tr.add("block start " + r.ResourceName())
			b.started <- struct{}{}
			<-b.release
			b.tr.add("block end " + r.ResourceName())
			_ = r.OK(nil)
		}),
		res.Call("quick", func(r res.CallRequest) {
			b.tr.add("quick " + r.ResourceName())
			_ = r.OK(nil)
		}),
	}
}

// TestQueueOrder checks the concurrency guarantee: requests for one
// resource (or one group) run one at a time, in order; a request that
// blocks delays the next request of its queue but no other queue.
func TestQueueOrder(t *testing.T) {
	tests := []struct {
		name     string
		register func(s *res.Service, b *blocker)
		blocked  string // resource whose handler blocks
		same     string // resource on the same queue
		other    string // resource on another queue
	}{
		{
			"same resource", func(s *res.Service, b *blocker) { s.Handle("item.$id", b.options()...) },
			"test.item.1", "test.item.1", "test.item.2",
		},
		{
			"query shares the resource's queue", func(s *res.Service, b *blocker) { s.Handle("item.$id", b.options()...) },
			"test.item.1", "test.item.1?q=x", "test.item.2?q=x",
		},
		{
			"group template", func(s *res.Service, b *blocker) {
				s.Handle("shelf.$id", append(b.options(), res.Group("shelf.${id}"))...)
				s.Handle("shelf.$id.books", append(b.options(), res.Group("shelf.${id}"))...)
			},
			"test.shelf.1", "test.shelf.1.books", "test.shelf.2.books",
		},
		{
			"fixed group", func(s *res.Service, b *blocker) {
				s.Handle("a", append(b.options(), res.Group("shared"))...)
				s.Handle("b", append(b.options(), res.Group("shared"))...)
				s.Handle("c", b.options()...)
			},
			"test.a", "test.b", "test.c",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBlocker()
			session, _ := newSession(t, func(s *res.Service) { tt.register(s, b) })
			blocked := session.Call(tt.blocked, "block", nil)
			<-b.started
			same := session.Call(tt.same, "quick", nil)
			// The other queue is not held up: its reply comes while the
			// handler blocks.
			session.Call(tt.other, "quick", nil).Response().AssertResult(nil)
			close(b.release)
			blocked.Response().AssertResult(nil)
			same.Response().AssertResult(nil)

			sameName, _, _ := cutQuery(tt.same)
			otherName, _, _ := cutQuery(tt.other)
			blockedName, _, _ := cutQuery(tt.blocked)
			want := []string{"block start " + blockedName, "quick " + otherName, "block end " + blockedName, "quick " + sameName}
			if got := b.tr.get(); !slices.Equal(got, want) {
				t.Errorf("steps = %q, want %q", got, want)
			}
		})
	}
}

func cutQuery(rid string) (string, string, bool) {
	for i := range len(rid) {
		if rid[i] == '?' {
			return rid[:i], rid[i+1:], true
		}
	}
	return rid, "", false
}

// TestQueueFIFO sends many requests for one resource, then many With
// callbacks, and checks that each run in the order sent. (A With callback
// is not ordered with requests still on their way to the service.)
func TestQueueFIFO(t *testing.T) {
	var tr trace
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("counter", res.Call("add", func(r res.CallRequest) {
			var n int
			_ = r.ParseParams(&n)
			tr.add(strconv.Itoa(n))
			_ = r.OK(nil)
		}))
	}, res.WithWorkers(8))
	var reqs []*restest.NATSRequest
	var want []string
	for i := range 50 {
		reqs = append(reqs, session.Call("test.counter", "add", reqWithParams(i)))
		want = append(want, strconv.Itoa(i))
	}
	for i := range 50 {
		step := "with " + strconv.Itoa(i)
		if err := session.Service().With("test.counter", func(res.Resource) { tr.add(step) }); err != nil {
			t.Fatal(err)
		}
		want = append(want, step)
	}
	for _, r := range reqs {
		r.Response().AssertResult(nil)
	}
	session.Flush()
	got := tr.get()
	// Requests and callbacks may interleave; each kind keeps its order.
	var gotReqs, gotWith []string
	for _, s := range got {
		if len(s) > 5 && s[:5] == "with " {
			gotWith = append(gotWith, s)
		} else {
			gotReqs = append(gotReqs, s)
		}
	}
	if !slices.Equal(gotReqs, want[:50]) || !slices.Equal(gotWith, want[50:]) {
		t.Errorf("order = %q, want requests and callbacks each in order", got)
	}
}

// TestWithWaitsForQueue checks that With and WithGroup callbacks run on
// the queue, after the request that holds it.
func TestWithWaitsForQueue(t *testing.T) {
	b := newBlocker()
	session, _ := newSession(t, func(s *res.Service) { s.Handle("item.$id", b.options()...) })
	blocked := session.Call("test.item.1", "block", nil)
	<-b.started
	if err := session.Service().With("test.item.1", func(r res.Resource) { b.tr.add("with " + r.ResourceName()) }); err != nil {
		t.Fatal(err)
	}
	if err := session.Service().WithGroup("test.item.1", func(*res.Service) { b.tr.add("with group") }); err != nil {
		t.Fatal(err)
	}
	// Another resource's callback runs while the first is held up.
	done := make(chan struct{})
	_ = session.Service().With("test.item.2", func(r res.Resource) { b.tr.add("with " + r.ResourceName()); close(done) })
	<-done
	close(b.release)
	blocked.Response().AssertResult(nil)
	session.Flush()
	want := []string{"block start test.item.1", "with test.item.2", "block end test.item.1", "with test.item.1", "with group"}
	if got := b.tr.get(); !slices.Equal(got, want) {
		t.Errorf("steps = %q, want %q", got, want)
	}
}

// TestParallel checks that with Parallel(true) two requests for the same
// resource run at the same time.
func TestParallel(t *testing.T) {
	var arrived sync.WaitGroup
	arrived.Add(2)
	together := make(chan struct{})
	go func() { arrived.Wait(); close(together) }()
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("search", res.Parallel(true), res.Call("run", func(r res.CallRequest) {
			arrived.Done()
			select {
			case <-together:
				_ = r.OK("together")
			case <-time.After(waitTimeout):
				_ = r.OK("alone")
			}
		}))
	})
	a := session.Call("test.search", "run", nil)
	b := session.Call("test.search", "run", nil)
	a.Response().AssertResult("together")
	b.Response().AssertResult("together")
}

// TestWorkerLimit checks that WithWorkers(1) runs one handler at a time,
// whatever the resources.
func TestWorkerLimit(t *testing.T) {
	var running, most atomic.Int32
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("item.$id", res.Call("work", func(r res.CallRequest) {
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond) // give others a chance to overlap
			running.Add(-1)
			_ = r.OK(nil)
		}))
	}, res.WithWorkers(1))
	var reqs []*restest.NATSRequest
	for i := range 20 {
		reqs = append(reqs, session.Call("test.item."+strconv.Itoa(i), "work", nil))
	}
	for _, r := range reqs {
		r.Response().AssertResult(nil)
	}
	if m := most.Load(); m != 1 {
		t.Errorf("%d handlers ran at once, want 1", m)
	}
}

// TestWithFromHandler checks With called from a handler: for its own
// resource the callback runs after the handler returns, on the same queue,
// and for another resource it runs on that resource's queue; neither
// deadlocks.
func TestWithFromHandler(t *testing.T) {
	var tr trace
	done := make(chan struct{}, 2)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("item.$id", model(map[string]any{}), res.Call("touch", func(r res.CallRequest) {
			tr.add("handler start")
			_ = r.Service().With(r.ResourceName(), func(res.Resource) { tr.add("with self"); done <- struct{}{} })
			_ = r.Service().With("test.item.other", func(o res.Resource) {
				v, err := o.Value()
				tr.add(fmt.Sprintf("with other %v %v", v, err))
				done <- struct{}{}
			})
			<-done // the other resource's callback runs meanwhile
			tr.add("handler end")
			_ = r.OK(nil)
		}))
	})
	session.Call("test.item.1", "touch", nil).Response().AssertResult(nil)
	<-done
	want := []string{"handler start", "with other map[] <nil>", "handler end", "with self"}
	if got := tr.get(); !slices.Equal(got, want) {
		t.Errorf("steps = %q, want %q", got, want)
	}
}
