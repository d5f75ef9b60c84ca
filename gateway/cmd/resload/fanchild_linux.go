package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fanChildSupported tells whether the fan-out clients can run in a child
// process here.
const fanChildSupported = true

// fanChild is the client side of the fan-out scenario, run in a child
// process so that the clients weigh on the gateway's process as little as
// clients on other machines would, short of sharing its CPUs. It connects
// and subscribes with the WebSocket library, says "ready" on stdout, then
// reads the events itself: one epoll loop per CPU, one read per ready
// connection, and a minimal parser of the unmasked frames a server sends.
// When every connection has its events, or window has passed, it writes a
// fanChildResult as JSON on stdout.
func fanChild(a fanChildArgs) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clients, err := dialMany(ctx, a.url, a.conns, 32, fanSetup(a.subscribe))
	if err != nil {
		return err
	}
	defer closeAll(clients)
	readers := make([]*fanReader, len(clients))
	for i, c := range clients {
		fd, err := socketFD(c)
		if err != nil {
			return err
		}
		readers[i] = &fanReader{fd: fd}
	}
	if _, err := fmt.Println("ready"); err != nil {
		return err
	}
	deadline := time.Now().Add(a.window)

	loops := min(runtime.GOMAXPROCS(0), len(readers))
	results := make([]fanChildResult, loops)
	var wg sync.WaitGroup
	for l := range loops {
		var mine []*fanReader
		for i := l; i < len(readers); i += loops {
			mine = append(mine, readers[i])
		}
		wg.Go(func() {
			results[l] = readFanout(mine, a.total, a.warm, deadline)
		})
	}
	wg.Wait()
	return json.NewEncoder(os.Stdout).Encode(mergeFanResults(results))
}

// socketFD returns the descriptor of c's TCP connection. The connection
// stays open, and nothing else reads from it.
func socketFD(c *wsClient) (int, error) {
	sc, ok := c.ws.NetConn().(syscall.Conn)
	if !ok {
		return 0, errors.New("the WebSocket connection is not a socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	fd := -1
	if err := raw.Control(func(s uintptr) { fd = int(s) }); err != nil {
		return 0, err
	}
	return fd, nil
}

// fanReader is one connection of a fan-out child.
type fanReader struct {
	fd      int
	pending []byte // the start of a frame not yet read whole
	fanCount
}

// readFanout reads the events of rs until each has total of them or
// deadline passes.
func readFanout(rs []*fanReader, total, warm int64, deadline time.Time) (res fanChildResult) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		res.Err = fmt.Sprintf("epoll: %v", err)
		return res
	}
	defer unix.Close(ep)
	for i, r := range rs {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, r.fd, &ev); err != nil {
			res.Err = fmt.Sprintf("epoll: %v", err)
			return res
		}
	}
	res.Lat = make([]int64, 0, int64(len(rs))*(total-warm))
	events := make([]unix.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	open := len(rs)
	for open > 0 {
		wait := time.Until(deadline)
		if wait <= 0 {
			res.Err = fmt.Sprintf("%d connections did not get all %d events in time", open, total)
			return res
		}
		n, err := unix.EpollWait(ep, events, int(wait/time.Millisecond)+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			res.Err = fmt.Sprintf("epoll: %v", err)
			return res
		}
		for _, ev := range events[:n] {
			r := rs[ev.Fd]
			m, err := unix.Read(r.fd, buf)
			if errors.Is(err, unix.EAGAIN) {
				continue
			}
			if err == nil && m == 0 {
				err = errors.New("connection closed")
			}
			if err != nil {
				res.Err = fmt.Sprintf("read: %v", err)
				return res
			}
			now := time.Now().UnixNano()
			done := r.got >= total
			if err := r.frames(buf[:m], now, warm, &res); err != nil {
				res.Err = err.Error()
				return res
			}
			if !done && r.got >= total {
				open--
				_ = unix.EpollCtl(ep, unix.EPOLL_CTL_DEL, r.fd, nil)
			}
		}
	}
	return res
}

// frames parses the frames in data, after what is pending, and counts
// the events they carry, received at now.
func (r *fanReader) frames(data []byte, now, warm int64, res *fanChildResult) error {
	p := data
	if len(r.pending) > 0 {
		r.pending = append(r.pending, data...)
		p = r.pending
	}
	for len(p) >= 2 {
		if p[0]&0x80 == 0 || p[1]&0x80 != 0 {
			return fmt.Errorf("unexpected frame header %x", p[:2])
		}
		op := p[0] & 0x0f
		size, head := int(p[1]&0x7f), 2
		if size == 126 {
			head = 4
		} else if size == 127 {
			head = 10
		}
		if len(p) < head {
			break
		}
		if head == 4 {
			size = int(binary.BigEndian.Uint16(p[2:]))
		} else if head == 10 {
			size = int(binary.BigEndian.Uint64(p[2:]))
		}
		if size < 0 {
			return fmt.Errorf("frame of %d bytes", uint64(size))
		}
		if len(p)-head < size {
			break // the rest of the frame is still to come
		}
		payload := p[head : head+size]
		p = p[head+size:]
		switch op {
		case 1: // text
			if err := r.event(payload, now, warm, res); err != nil {
				return err
			}
		case 9, 10: // ping, pong: a run is shorter than the ping interval
		default:
			return fmt.Errorf("unexpected frame opcode %d: %q", op, payload)
		}
	}
	r.pending = append(r.pending[:0], p...)
	return nil
}
