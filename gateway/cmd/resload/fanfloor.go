package main

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
)

// floorFanTarget is the second fan-out baseline, the least this machine
// can do: one goroutine per CPU, each writing every event to its share of
// the connections as a WebSocket frame built once, with no queue, no
// deadline and no goroutine per connection. A gateway cannot do this (a
// client that stops reading would stall every other), but nothing can
// deliver faster here.
func floorFanTarget() (*fanTarget, error) {
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

	var mu sync.Mutex
	var conns []net.Conn
	joined := make(chan struct{}, 1<<16)
	parts := runtime.GOMAXPROCS(0)
	work := make([]chan []byte, parts)
	var writers sync.WaitGroup
	for i := range work {
		work[i] = make(chan []byte, 1024)
		writers.Go(func() {
			for frame := range work[i] {
				mu.Lock()
				mine := conns[i*len(conns)/parts : (i+1)*len(conns)/parts]
				mu.Unlock()
				for _, c := range mine {
					_, _ = c.Write(frame)
				}
			}
		})
	}
	cl.add(func() {
		for _, w := range work {
			close(w)
		}
		writers.Wait()
	})

	nc, err := nats.Connect(ns.URL(), nats.Name("resload-floor"))
	if err != nil {
		cl.run()
		return nil, err
	}
	cl.add(nc.Close)
	prefix := []byte(`{"event":"` + fanRID + `.change","data":`)
	if _, err := nc.Subscribe("event."+fanRID+".change", func(m *nats.Msg) {
		msg := append(append(append(make([]byte, 0, len(prefix)+len(m.Data)+1), prefix...), m.Data...), '}')
		frame := append(appendFrameHeader(make([]byte, 0, len(msg)+10), len(msg)), msg...)
		for _, w := range work {
			w <- frame
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
		mu.Lock()
		conns = append(conns, ws.NetConn())
		mu.Unlock()
		joined <- struct{}{}
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
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
				case <-joined:
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(ioTimeout):
					return errors.New("floor: clients did not join")
				}
			}
			return nil
		},
		close: cl.run,
	}, nil
}

// appendFrameHeader appends the header of an unmasked, final text frame
// of n bytes, as a server sends it.
func appendFrameHeader(b []byte, n int) []byte {
	switch {
	case n <= 125:
		return append(b, 0x81, byte(n))
	case n <= 0xffff:
		return append(b, 0x81, 126, byte(n>>8), byte(n))
	}
	return append(b, 0x81, 127, byte(uint64(n)>>56), byte(uint64(n)>>48), byte(uint64(n)>>40), byte(uint64(n)>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}
