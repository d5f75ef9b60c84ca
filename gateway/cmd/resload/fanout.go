package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
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
	clients   string // where the clients ran
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

// baselineFanTarget starts what the fan-out baselines share: an embedded
// NATS server, the service that publishes the events, a NATS subscription
// that wraps each event once as a client event and hands it to fan, and a
// WebSocket server that runs serve for each connection (serve must count
// the connection in with joined, and return when it closes). stop runs
// when the target closes, after the server.
func baselineFanTarget(name string, fan func(msg []byte), serve func(ws *websocket.Conn, joined chan<- struct{}), stop func()) (*fanTarget, error) {
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
	cl.add(stop)
	nc, err := nats.Connect(ns.URL(), nats.Name("resload-"+name))
	if err != nil {
		cl.run()
		return nil, err
	}
	cl.add(nc.Close)
	prefix := []byte(`{"event":"` + fanRID + `.change","data":`)
	if _, err := nc.Subscribe("event."+fanRID+".change", func(m *nats.Msg) {
		fan(append(append(append(make([]byte, 0, len(prefix)+len(m.Data)+1), prefix...), m.Data...), '}'))
	}); err != nil {
		cl.run()
		return nil, err
	}
	if err := nc.Flush(); err != nil {
		cl.run()
		return nil, err
	}
	joined := make(chan struct{}, 1<<16)
	s, err := startEchoServer(func(ws *websocket.Conn) { serve(ws, joined) })
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
				case <-joined:
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(ioTimeout):
					return fmt.Errorf("%s: clients did not join", name)
				}
			}
			return nil
		},
		close: cl.run,
	}, nil
}

// hubFanTarget is the first fan-out baseline, the least a gateway must
// do: it queues each event to every connection's writer goroutine, with
// the same WebSocket library and one bounded queue per connection.
func hubFanTarget() (*fanTarget, error) {
	var mu sync.Mutex
	outs := make(map[chan []byte]bool)
	fan := func(msg []byte) {
		mu.Lock()
		defer mu.Unlock()
		for out := range outs {
			select {
			case out <- msg:
			default: // dropped: the client sees a gap in the sequence
			}
		}
	}
	serve := func(ws *websocket.Conn, joined chan<- struct{}) {
		out := make(chan []byte, 1024)
		mu.Lock()
		outs[out] = true
		mu.Unlock()
		joined <- struct{}{}
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
		mu.Lock()
		delete(outs, out)
		mu.Unlock()
		close(out)
		<-done
	}
	return baselineFanTarget("hub", fan, serve, func() {})
}

// runFanout connects o.fanConns clients to t, publishes a change event
// o.fanRate times per second for o.dur (after a one-second warm-up that is
// not timed), and measures the time from publishing to each client's
// receipt. Each event carries a sequence number, so every connection can
// tell that it got every event once, in order. The clients run in a child
// process where it can (see fanChild), else in this one.
func runFanout(ctx context.Context, o options, name string, t *fanTarget) fanoutResult {
	res := fanoutResult{name: name, conns: o.fanConns}
	defer t.close()
	interval := time.Second / time.Duration(o.fanRate)
	warm := int64(o.fanRate) // one second
	total := warm + int64(o.dur/interval)
	res.published = total
	res.want = total * int64(o.fanConns)
	// Clients give up this long after the last event should have been
	// published.
	window := time.Duration(total)*interval + ioTimeout
	if fanChildSupported && !o.fanInProcess {
		res.clients = "clients in a child process"
		res.err = fanoutInChild(ctx, t, fanChildArgs{
			url: t.url, conns: o.fanConns, subscribe: t.subscribe, total: total, warm: warm, window: window,
		}, interval, &res)
		return res
	}
	res.clients = "clients in this process"

	clients, err := dialMany(ctx, t.url, o.fanConns, 32, fanSetup(t.subscribe))
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

	results := make([]fanChildResult, len(clients))
	readDeadline := time.Now().Add(window)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			r := &results[i]
			var count fanCount
			for n := int64(0); n < total; n++ {
				msg, err := c.readEvent(readDeadline)
				now := time.Now().UnixNano()
				if err == nil {
					err = count.event(msg, now, warm, r)
				}
				if err != nil {
					r.Err = fmt.Sprintf("client %d after %d events: %v", i, n, err)
					return
				}
			}
		})
	}

	start := time.Now()
	perr := publishEvents(t.svc, total, interval)
	wg.Wait()
	res.elapsed = time.Since(start)
	res.err = res.take(mergeFanResults(results))
	if perr != nil {
		res.err = perr
	}
	return res
}

// fanSetup returns what a fan-out client does once connected: subscribe
// to fanRID when subscribe is set, else nothing.
func fanSetup(subscribe bool) func(*wsClient) error {
	if !subscribe {
		return nil
	}
	return func(c *wsClient) error {
		_, err := c.request("subscribe." + fanRID)
		return err
	}
}

// fanChildArgs are the flags of a fan-out child process.
type fanChildArgs struct {
	url       string
	conns     int
	subscribe bool
	total     int64 // events to read on every connection
	warm      int64 // events not timed
	window    time.Duration
}

// fanChildResult is what fan-out clients got: a child process writes it
// on stdout when done, and the clients of this process fill one each.
type fanChildResult struct {
	Got      int64   `json:"got"`
	OutOfSeq int64   `json:"outOfSeq"`
	Lat      []int64 `json:"lat"` // nanoseconds, from publishing to receipt
	Err      string  `json:"err,omitempty"`
}

// mergeFanResults adds results up; the error is the first one.
func mergeFanResults(results []fanChildResult) fanChildResult {
	var m fanChildResult
	for _, r := range results {
		m.Got += r.Got
		m.OutOfSeq += r.OutOfSeq
		m.Lat = append(m.Lat, r.Lat...)
		if m.Err == "" {
			m.Err = r.Err
		}
	}
	return m
}

// take records what the clients got, and returns their error.
func (f *fanoutResult) take(r fanChildResult) error {
	f.got, f.outOfSeq = r.Got, r.OutOfSeq
	f.lat = summarize([]latencies{r.Lat})
	if r.Err != "" {
		return errors.New(r.Err)
	}
	return nil
}

// fanCount counts the events of one fan-out connection.
type fanCount struct {
	got  int64 // events
	last int64 // sequence number of the last one
}

// event counts the event msg, received at now (Unix nanoseconds), in res:
// whether it is the next in sequence, and its latency unless it is part of
// the warm-up.
func (c *fanCount) event(msg []byte, now, warm int64, res *fanChildResult) error {
	seq, err1 := intField(msg, "seq")
	t, err2 := intField(msg, "t")
	if err1 != nil || err2 != nil {
		return fmt.Errorf("unexpected event %s", msg)
	}
	c.got++
	res.Got++
	if seq != c.last+1 {
		res.OutOfSeq++
	}
	c.last = seq
	if seq > warm {
		res.Lat = append(res.Lat, now-t)
	}
	return nil
}

// publishEvents publishes total change events of fanRID, one each
// interval.
func publishEvents(svc *service, total int64, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for seq := int64(1); seq <= total; seq++ {
		if err := svc.publishChange(fanRID, seq); err != nil {
			return err
		}
		if seq < total {
			<-tick.C
		}
	}
	return nil
}

// fanoutInChild runs the clients of a fan-out run in a child process (this
// program started with -fan-child), publishes the events once they are
// ready, and fills res with what they got.
func fanoutInChild(ctx context.Context, t *fanTarget, a fanChildArgs, interval time.Duration, res *fanoutResult) (err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute+a.window)
	defer cancel()
	ch, err := startChild(ctx, "fan-out", "-fan-child", a.url,
		"-fanout-conns", strconv.Itoa(a.conns), "-fan-subscribe="+strconv.FormatBool(a.subscribe),
		"-fan-total", strconv.FormatInt(a.total, 10), "-fan-warm", strconv.FormatInt(a.warm, 10),
		"-fan-window", a.window.String())
	if err != nil {
		return err
	}
	defer func() {
		if werr := ch.wait(); werr != nil && err == nil {
			err = werr
		}
	}()
	if t.ready != nil {
		if err := t.ready(ctx, a.conns); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := publishEvents(t.svc, a.total, interval); err != nil {
		return err
	}
	var r fanChildResult
	if err := json.NewDecoder(ch.out).Decode(&r); err != nil {
		return fmt.Errorf("fan-out child: %w", err)
	}
	res.elapsed = time.Since(start)
	if err := res.take(r); err != nil {
		return fmt.Errorf("fan-out child: %w", err)
	}
	return nil
}
