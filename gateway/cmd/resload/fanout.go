package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// fanoutResult is the outcome of the fan-out scenario.
type fanoutResult struct {
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

// runFanout subscribes o.fanConns connections to one model, publishes a
// change event o.fanRate times per second for o.dur (after a one-second
// warm-up that is not timed), and measures the time from publishing to
// each client's receipt. Each event carries a sequence number, so every
// connection can tell that it got every event once, in order.
func runFanout(ctx context.Context, o options) fanoutResult {
	res := fanoutResult{conns: o.fanConns}
	e, err := startEnv()
	if err != nil {
		res.err = err
		return res
	}
	defer e.close()
	const rid = "bench.fan"
	clients, err := dialMany(ctx, e.wsURL, o.fanConns, 32, func(c *wsClient) error {
		_, err := c.request("subscribe." + rid)
		return err
	})
	if err != nil {
		res.err = err
		return res
	}
	defer closeAll(clients)

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
		if err := e.svc.publishChange(rid, seq, base); err != nil {
			res.err = err
			res.published = seq - 1
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
