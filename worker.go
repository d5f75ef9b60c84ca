package res

import (
	"context"
	"sync"
)

// workQueue runs tasks on ordered queues, one queue per group key.
//
// Invariants:
//   - Tasks with the same non-empty key run one at a time, in the order
//     they were added. Tasks with different keys may run at the same time.
//   - A task with the empty key is not ordered with any other task.
//   - At most limit tasks run at once, whatever their keys.
//   - A group is in groups from the moment a task is added to it until its
//     last task has run; exactly one goroutine (drain) runs its tasks.
//   - pending counts the tasks added and not yet finished; idle waiters
//     are released when it drops to zero.
//   - After close, add refuses new tasks; tasks already added still run.
//
// Tasks must not panic: the service wraps each handler in a recover.
type workQueue struct {
	sem chan struct{} // one token per running task
	wg  sync.WaitGroup

	mu sync.Mutex
	// Protected by mu.
	groups  map[string]*workGroup
	pending int
	idle    []chan struct{}
	closed  bool
}

type workGroup struct {
	key   string
	tasks []func() // protected by workQueue.mu
}

func newWorkQueue(limit int) *workQueue {
	return &workQueue{
		sem:    make(chan struct{}, limit),
		groups: make(map[string]*workGroup),
	}
}

// add queues fn on the group key. It returns false, and does not run fn,
// once the queue is closed.
func (q *workQueue) add(key string, fn func()) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.pending++
	if key != "" {
		if g := q.groups[key]; g != nil {
			g.tasks = append(g.tasks, fn)
			return true
		}
	}
	g := &workGroup{key: key, tasks: []func(){fn}}
	if key != "" {
		q.groups[key] = g
	}
	q.wg.Add(1)
	go q.drain(g)
	return true
}

// drain runs the tasks of g, in order, until there are none left. It takes
// a worker token for each task, so that other groups get their turn.
func (q *workQueue) drain(g *workGroup) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		if len(g.tasks) == 0 {
			if g.key != "" {
				delete(q.groups, g.key)
			}
			q.mu.Unlock()
			return
		}
		fn := g.tasks[0]
		g.tasks[0] = nil
		g.tasks = g.tasks[1:]
		q.mu.Unlock()

		q.sem <- struct{}{}
		fn()
		<-q.sem

		q.mu.Lock()
		q.pending--
		if q.pending == 0 {
			for _, ch := range q.idle {
				close(ch)
			}
			q.idle = nil
		}
		q.mu.Unlock()
	}
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
	q.idle = append(q.idle, ch)
	q.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops the queue from taking new tasks.
func (q *workQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// wait waits until every goroutine of the queue has returned, or until ctx
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
