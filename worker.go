package res

import (
	"context"
	"sync"
)

// workQueue runs tasks on ordered queues, one queue per group key, with a
// pool of long-lived worker goroutines.
//
// Invariants:
//   - Tasks with the same non-empty key run one at a time, in the order
//     they were added. Tasks with different keys may run at the same time.
//   - A task with the empty key is not ordered with any other task.
//   - At most limit tasks run at once, whatever their keys: one per worker,
//     and there are at most limit workers.
//   - A group is in groups from the moment a task is added to it until its
//     last task has run. While it has tasks, it is held by exactly one
//     worker or it is in ready, never both; a worker that holds a group
//     runs its tasks one after the other.
//   - A worker is running a task, waking (started or woken, and about to
//     look at ready), or idle (waiting on its channel in idle). Workers
//     are started when there is no idle one, until there are limit of
//     them, and return once the queue is closed and nothing is ready.
//   - At most one worker is waking at a time, except after close. If ready
//     is not empty, a worker is waking or none is idle: the waking worker
//     wakes the next one when it finds more than one group ready. Work that
//     comes in a burst is thus taken by the workers already running, one
//     after the other, and more workers join in only while it lasts.
//   - pending counts the tasks added and not yet finished; idle waiters
//     are released when it drops to zero.
//   - After close, add refuses new tasks; tasks already added still run.
//
// Tasks must not panic: the service wraps each handler in a recover.
type workQueue struct {
	limit int
	wg    sync.WaitGroup // one per worker

	mu sync.Mutex
	// Protected by mu.
	groups  map[string]*workGroup // by key, the groups with tasks
	ready   fifo[*workGroup]      // groups with tasks and no worker
	idle    []chan struct{}       // idle workers, the last one idle on top
	workers int                   // started and not returned
	waking  int                   // workers started or woken, not yet looking at ready
	free    []*workGroup          // finished groups, for reuse
	pending int
	waiters []chan struct{} // released when pending drops to zero
	closed  bool
}

// A workQueue keeps up to maxFreeGroups finished groups for reuse, those
// whose task buffer holds at most maxFreeTasks.
const (
	maxFreeGroups = 256
	maxFreeTasks  = 64
)

type workGroup struct {
	key   string
	tasks fifo[task] // protected by workQueue.mu
}

func newWorkQueue(limit int) *workQueue {
	return &workQueue{
		limit:  limit,
		groups: make(map[string]*workGroup),
	}
}

// A task is what a workQueue runs.
type task interface {
	runTask()
}

// taskFunc makes a function a task.
type taskFunc func()

func (f taskFunc) runTask() { f() }

// add queues fn on the group key. It returns false, and does not run fn,
// once the queue is closed.
func (q *workQueue) add(key string, fn func()) bool {
	return q.addTask(key, taskFunc(fn))
}

// addTask queues t on the group key, as add does.
func (q *workQueue) addTask(key string, t task) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.pending++
	if key != "" {
		if g := q.groups[key]; g != nil {
			g.tasks.push(t) // its worker, or a worker taking it from ready, runs it
			return true
		}
	}
	var g *workGroup
	if n := len(q.free); n > 0 {
		g = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		g = new(workGroup)
	}
	g.key = key
	g.tasks.push(t)
	if key != "" {
		q.groups[key] = g
	}
	q.ready.push(g)
	q.wake()
	return true
}

// wake wakes an idle worker, or starts one, unless a worker is waking
// already or all are busy. Called with mu held.
func (q *workQueue) wake() {
	switch {
	case q.waking > 0:
	case len(q.idle) > 0:
		n := len(q.idle)
		ch := q.idle[n-1]
		q.idle = q.idle[:n-1]
		q.waking++
		ch <- struct{}{} // buffered and empty: does not block
	case q.workers < q.limit:
		q.workers++
		q.waking++
		q.wg.Add(1)
		go q.work()
	}
}

// work is a worker. Each time it wakes, it takes a group from ready and
// runs its tasks, then those of the other groups in ready, until there are
// none; it then waits to be woken again, or returns once the queue is
// closed. After each task of a group that has more, it lets the group wait
// behind the other ready groups, so that every group gets its turn.
func (q *workQueue) work() {
	defer q.wg.Done()
	wake := make(chan struct{}, 1)
	q.mu.Lock()
	for {
		q.waking--
		var g *workGroup
		if q.ready.len() > 0 {
			g = q.ready.pop()
			if q.ready.len() > 0 {
				q.wake() // more work than this worker can take now
			}
		}
		for g != nil {
			t := g.tasks.pop()
			q.mu.Unlock()
			t.runTask()
			q.mu.Lock()
			q.pending--
			if q.pending == 0 {
				for _, ch := range q.waiters {
					close(ch)
				}
				q.waiters = nil
			}
			g = q.next(g)
		}
		if q.closed {
			q.workers--
			q.mu.Unlock()
			return
		}
		q.idle = append(q.idle, wake)
		q.mu.Unlock()
		<-wake
		q.mu.Lock()
	}
}

// next returns the group whose task a worker runs after one of g's, or
// nil if there is none. Called with mu held.
func (q *workQueue) next(g *workGroup) *workGroup {
	if g.tasks.len() > 0 {
		if q.ready.len() > 0 {
			q.ready.push(g)
			g = q.ready.pop()
		}
		return g
	}
	if g.key != "" {
		delete(q.groups, g.key)
	}
	if len(q.free) < maxFreeGroups && cap(g.tasks.buf) <= maxFreeTasks {
		g.key = ""
		q.free = append(q.free, g)
	}
	if q.ready.len() > 0 {
		return q.ready.pop()
	}
	return nil
}

// waitIdle waits until every task added so far, and every task those add,
// has run, or until ctx is done.
func (q *workQueue) waitIdle(ctx context.Context) error {
	q.mu.Lock()
	if q.pending == 0 {
		q.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	q.waiters = append(q.waiters, ch)
	q.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops the queue from taking new tasks. Workers return once the
// tasks already added have run.
func (q *workQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for _, ch := range q.idle {
		q.waking++
		ch <- struct{}{}
	}
	q.idle = nil
}

// wait waits until every worker of the queue has returned, or until ctx
// is done. Call it after close.
func (q *workQueue) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		q.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fifo is a first-in first-out queue. Its zero value is empty.
type fifo[T any] struct {
	buf  []T
	head int // buf[head:] are the items, oldest first
}

func (f *fifo[T]) len() int { return len(f.buf) - f.head }

func (f *fifo[T]) push(v T) {
	if f.head > 0 && len(f.buf) == cap(f.buf) && f.head >= len(f.buf)/2 {
		// Move the items to the front rather than grow.
		n := copy(f.buf, f.buf[f.head:])
		clear(f.buf[n:])
		f.buf = f.buf[:n]
		f.head = 0
	}
	f.buf = append(f.buf, v)
}

// pop removes and returns the oldest item. The fifo must not be empty.
func (f *fifo[T]) pop() T {
	var zero T
	v := f.buf[f.head]
	f.buf[f.head] = zero
	f.head++
	if f.head == len(f.buf) {
		f.buf = f.buf[:0]
		f.head = 0
	}
	return v
}
