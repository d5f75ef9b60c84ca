package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
)

// fanRID is the model whose change events the fan-out scenario publishes.
const fanRID = "bench.fan"

// fanoutResult is the outcome of a fan-out run.
type fanoutResult struct {
	name      string
	conns     int
	published int64 // events published, warm-up included
	want      int64 // deliveries expected: published × conns
	got       int64 // deliveries received
	outOfSeq  int64 // deliveries whose sequence number was not the next one
	lat       summary
	elapsed   time.Duration
	err       error
}

func (f fanoutResult) lost() int64 { return f.want - f.got }

// fanTarget is what the fan-out clients connect to: the gateway, or the
// baseline hub.
type fanTarget struct {
	url string
	svc *service // publishes the events
	// subscribe tells whether clients must subscribe to fanRID; the
	// baseline hub sends every event to every connection.
	subscribe bool
	// ready waits until n clients are registered, when subscribing does
	// not tell.
	ready func(ctx context.Context, n int) error
	close func()
}

func gatewayFanTarget() (*fanTarget, error) {
	e, err := startEnv()
	if err != nil {
		return nil, err
	}
	return &fanTarget{url: e.wsURL, svc: e.svc, subscribe: true, close: e.close}, nil
}

// fanHub is the fan-out baseline: the least a gateway must do. It
// subscribes to the events on NATS, wraps each one once as a client event,
// and queues it to every connection's writer goroutine, with the same
// WebSocket library and one bounded queue per connection.
type fanHub struct {
	mu      sync.Mutex
	outs    map[chan []byte]bool
	dropped int64
	joined  chan struct{}
}

func hubFanTarget() (*fanTarget, error) {
	var cl cleanups
	ns, err := natsembed.Start(natsembed.Options{Host: "127.0.0.1"})
	if err != nil {
		return nil, err
	}
	cl.add(ns.Shutdown)
	svc, err := startService(ns.URL())
	if err != nil {
		cl.run()
		return nil, err
	}
	cl.add(svc.close)
	hub := &fanHub{outs: make(map[chan []byte]bool), joined: make(chan struct{}, 1<<16)}
	nc, err := nats.Connect(ns.URL(), nats.Name("resload-hub"))
	if err != nil {
		cl.run()
		return nil, err
	}
	cl.add(nc.Close)
	prefix := []byte(`{"event":"` + fanRID + `.change","data":`)
	if _, err := nc.Subscribe("event."+fanRID+".change", func(m *nats.Msg) {
		msg := append(append(append(make([]byte, 0, len(prefix)+len(m.Data)+1), prefix...), m.Data...), '}')
		hub.mu.Lock()
		defer hub.mu.Unlock()
		for out := range hub.outs {
			select {
			case out <- msg:
			default:
				hub.dropped++
			}
		}
	}); err != nil {
		cl.run()
		return nil, err
	}
	if err := nc.Flush(); err != nil {
		cl.run()
		return nil, err
	}
	s, err := startEchoServer(func(ws *websocket.Conn) {
		out := make(chan []byte, 1024)
		hub.mu.Lock()
		hub.outs[out] = true
		hub.mu.Unlock()
		hub.joined <- struct{}{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for msg := range out {
				_ = ws.SetWriteDeadline(time.Now().Add(ioTimeout))
				if ws.WriteMessage(websocket.TextMessage, msg) != nil {
					return
				}
			}
		}()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				break
			}
		}
		hub.mu.Lock()
		delete(hub.outs, out)
		hub.mu.Unlock()
		close(out)
		<-done
	})
	if err != nil {
		cl.run()
		return nil, err
	}
	cl.add(s.close)
	return &fanTarget{
		url: s.url,
		svc: svc,
		ready: func(ctx context.Context, n int) error {
			for range n {
				select {
				case <-hub.joined:
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(ioTimeout):
					return errors.New("hub: clients did not join")
				}
			}
			return nil
		},
		close: cl.run,
	}, nil
}

// runFanout connects o.fanConns clients to t, publishes a change event
// o.fanRate times per second for o.dur (after a one-second warm-up that is
// not timed), and measures the time from publishing to each client's
// receipt. Each event carries a sequence number, so every connection can
// tell that it got every event once, in order.
func runFanout(ctx context.Context, o options, name string, t *fanTarget) fanoutResult {
	res := fanoutResult{name: name, conns: o.fanConns}
	defer t.close()
	var setup func(*wsClient) error
	if t.subscribe {
		setup = func(c *wsClient) error {
			_, err := c.request("subscribe." + fanRID)
			return err
		}
	}
	clients, err := dialMany(ctx, t.url, o.fanConns, 32, setup)
	if err != nil {
		res.err = err
		return res
	}
	defer closeAll(clients)
	if t.ready != nil {
		if err := t.ready(ctx, len(clients)); err != nil {
			res.err = err
			return res
		}
	}

	interval := time.Second / time.Duration(o.fanRate)
	warm := int64(o.fanRate) // one second
	total := warm + int64(o.dur/interval)
	res.published = total
	res.want = total * int64(len(clients))

	base := time.Now()
	parts := make([]latencies, len(clients))
	var got, outOfSeq atomic.Int64
	var errOnce sync.Once
	var readErr error
	// Readers give up this long after the last event should have been
	// published.
	readDeadline := base.Add(time.Duration(total)*interval + ioTimeout)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			l := make(latencies, 0, total)
			var last int64
			for n := int64(0); n < total; n++ {
				msg, err := c.readEvent(readDeadline)
				now := time.Since(base)
				if err != nil {
					errOnce.Do(func() { readErr = fmt.Errorf("client %d after %d events: %w", i, n, err) })
					break
				}
				seq, err1 := intField(msg, "seq")
				t, err2 := intField(msg, "t")
				if err1 != nil || err2 != nil {
					errOnce.Do(func() { readErr = fmt.Errorf("client %d: unexpected event %s", i, msg) })
					break
				}
				got.Add(1)
				if seq != last+1 {
					outOfSeq.Add(1)
				}
				last = seq
				if seq > warm {
					l.add(now - time.Duration(t))
				}
			}
			parts[i] = l
		})
	}

	start := time.Now()
	tick := time.NewTicker(interval)
	for seq := int64(1); seq <= total; seq++ {
		if err := t.svc.publishChange(fanRID, seq, base); err != nil {
			res.err = err
			break
		}
		if seq < total {
			<-tick.C
		}
	}
	tick.Stop()
	wg.Wait()
	res.elapsed = time.Since(start)
	res.got = got.Load()
	res.outOfSeq = outOfSeq.Load()
	res.lat = summarize(parts)
	if res.err == nil {
		res.err = readErr
	}
	return res
}
