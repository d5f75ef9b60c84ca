package gateway

import "sync"

// worker runs a connection's work: one function at a time, in the order
// the functions were queued. Whoever runs a function owns the
// connection's state until it returns, so that state needs no lock.
//
// No goroutine waits while there is nothing to do: an idle connection
// costs no stack. The first function queued on an idle worker starts a
// goroutine that runs the queue until it is empty and then exits. A
// goroutine may also claim an idle worker and run a function on its own
// stack (see claim), which saves the hand-off to another goroutine.
//
// Invariants, under mu: while running is set, exactly one goroutine runs
// the connection's functions or is about to start doing so, and only that
// goroutine clears it; queue holds functions that have not started, in
// order. Once stopped is set no function starts, queued ones are dropped,
// and cleanup runs once, as the last work of the connection.
type worker struct {
	cleanup func()        // runs once after stop; set before the first use
	done    chan struct{} // closed when cleanup has returned

	mu      sync.Mutex // protects the fields below
	queue   []func()
	running bool
	stopped bool
}

func newWorker(cleanup func()) *worker {
	return &worker{cleanup: cleanup, done: make(chan struct{})}
}

// do queues f. It reports false, and drops f, once the worker is
// stopped.
func (w *worker) do(f func()) bool {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return false
	}
	w.queue = append(w.queue, f)
	if !w.running {
		w.running = true
		go w.run()
	}
	w.mu.Unlock()
	return true
}

// claim makes the calling goroutine the owner of an idle worker: one with
// nothing running or queued. It reports false when the worker is busy or
// stopped. After a true result the caller owns the connection's state, may
// queue more with do, and must call release when done.
func (w *worker) claim() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running || w.stopped || len(w.queue) > 0 {
		return false
	}
	w.running = true
	return true
}

// release ends the ownership that claim gave. Work queued meanwhile, or a
// stop, is handed to a new goroutine: the caller may be one that must not
// run more (the NATS dispatcher, holding cache locks).
func (w *worker) release() {
	w.mu.Lock()
	if len(w.queue) > 0 || w.stopped {
		go w.run()
	} else {
		w.running = false
	}
	w.mu.Unlock()
}

// stop drops the queued work and makes the worker run cleanup, at once
// when it is idle, or after the function in progress otherwise. Calling
// it again does nothing.
func (w *worker) stop() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	w.stopped = true
	w.queue = nil
	if w.running {
		w.mu.Unlock()
		return // the owner cleans up when it is done
	}
	w.running = true
	w.mu.Unlock()
	w.cleanup()
	close(w.done)
}

// run runs queued functions until the queue is empty or the worker is
// stopped. It is called with running set on the worker's behalf.
func (w *worker) run() {
	for {
		w.mu.Lock()
		if w.stopped {
			w.queue = nil
			w.mu.Unlock()
			w.cleanup()
			close(w.done)
			return
		}
		if len(w.queue) == 0 {
			w.running = false
			w.queue = nil // an idle connection keeps no queue
			w.mu.Unlock()
			return
		}
		f := w.queue[0]
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.mu.Unlock()
		f()
	}
}
