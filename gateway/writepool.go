package gateway

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// writePool writes the messages queued on WebSocket connections, on a few
// goroutines shared by all connections, with writes that never block.
//
// When an event goes to many connections, each would otherwise start a
// writer goroutine of its own just to make one write: a pool goroutine
// makes the writes of many connections one after the other instead, one
// pool goroutine per CPU, with no goroutine to start or schedule per
// connection. A write the socket does not take whole, and pings, pongs
// and close frames, are left to the connection's own writer goroutine
// (wsTransport.write), so that a client that stops reading holds up only
// itself.
//
// The pool starts with the first connection that uses it, and stops when
// the gateway stops, once every connection has ended.
type writePool struct {
	queue chan *wsTransport
	quit  chan struct{}
	once  sync.Once
	done  atomic.Bool
	wg    sync.WaitGroup

	// deferred counts the writes the socket did not take whole, which a
	// writer goroutine finished.
	deferred atomic.Int64
}

// writePoolQueue is how many connections may wait for a pool goroutine;
// past that, connections start writer goroutines of their own.
const writePoolQueue = 4096

func newWritePool() *writePool {
	return &writePool{queue: make(chan *wsTransport, writePoolQueue), quit: make(chan struct{})}
}

func (p *writePool) start() {
	for range runtime.GOMAXPROCS(0) {
		p.wg.Go(func() {
			for {
				select {
				case t := <-p.queue:
					t.writeNow()
				case <-p.quit:
					return
				}
			}
		})
	}
}

// push hands t to a pool goroutine, and reports whether it did.
func (p *writePool) push(t *wsTransport) bool {
	p.once.Do(p.start)
	if p.done.Load() {
		return false
	}
	select {
	case p.queue <- t:
		return true
	default:
		return false
	}
}

// stop stops the pool's goroutines. Every connection must have ended.
func (p *writePool) stop() {
	p.once.Do(func() {}) // no start after this
	if p.done.Swap(true) {
		return
	}
	close(p.quit)
	p.wg.Wait()
}
