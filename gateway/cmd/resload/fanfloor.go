package main

import (
	"net"
	"runtime"
	"sync"

	"github.com/gorilla/websocket"
)

// floorFanTarget is the second fan-out baseline, the least this machine
// can do: one goroutine per CPU, each writing every event to its share of
// the connections as a WebSocket frame built once, with no queue, no
// deadline and no goroutine per connection. A gateway cannot do this (a
// client that stops reading would stall every other), but nothing can
// deliver faster here.
func floorFanTarget() (*fanTarget, error) {
	var mu sync.Mutex
	var conns []net.Conn
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
	fan := func(msg []byte) {
		frame := append(appendFrameHeader(make([]byte, 0, len(msg)+10), len(msg)), msg...)
		for _, w := range work {
			w <- frame
		}
	}
	serve := func(ws *websocket.Conn, joined chan<- struct{}) {
		mu.Lock()
		conns = append(conns, ws.NetConn())
		mu.Unlock()
		joined <- struct{}{}
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}
	stop := func() {
		for _, w := range work {
			close(w)
		}
		writers.Wait()
	}
	return baselineFanTarget("floor", fan, serve, stop)
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
