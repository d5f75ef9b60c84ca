//go:build unix

package gateway

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestWritePoolFinishesCutWrites sends messages through a transport whose
// socket takes little at a time, so that the pool's writes are cut short
// and writer goroutines finish them, and checks that the client gets every
// message whole and in order.
func TestWritePoolFinishesCutWrites(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	cfg.WSSendQueue = 1 << 20
	pool := newWritePool()
	defer pool.stop()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := make(chan *wsTransport, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		// A small send buffer: writes of a few KiB are cut short.
		if err := ws.NetConn().(*net.TCPConn).SetWriteBuffer(4096); err != nil {
			t.Error(err)
		}
		wt := newWSTransport(&cfg, pool)
		wt.setWS(ws)
		tr <- wt
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	// The client's receive buffer is small too, set before it connects
	// (set after, it can leave TCP waiting on its persist timer).
	nd := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); err != nil {
			return err
		}
		return serr
	}}
	dialer := websocket.Dialer{NetDialContext: nd.DialContext}
	client, _, err := dialer.Dial("ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	wt := <-tr
	if wt.raw == nil {
		t.Skip("the pool is not used on this platform")
	}
	defer wt.end()

	// Messages of up to 60 KB; after every third, the sender waits for
	// the client to have it, so that the next one finds the connection
	// idle and goes to the pool; the others queue behind.
	const n = 600
	msg := func(i int) []byte {
		return fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, i, bytes.Repeat([]byte{byte('a' + i%26)}, i*7919%60000))
	}
	got := make(chan int, n)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range n {
			if !wt.send(msg(i)) {
				t.Error("send queue overflowed")
				return
			}
			if i%3 == 0 {
				select {
				case <-got:
				case <-time.After(30 * time.Second):
					t.Errorf("message %d not received", i)
					return
				}
			}
		}
	}()
	_ = client.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i := range n {
		_, data, err := client.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if want := msg(i); !bytes.Equal(data, want) {
			t.Fatalf("message %d: got %d bytes %.40q, want %d bytes %.40q", i, len(data), data, len(want), want)
		}
		if i%3 == 0 {
			got <- i
		}
	}
	<-sent
	if pool.deferred.Load() == 0 {
		t.Error("no write was cut short: the test did not test what it is for")
	}
	t.Logf("%d writes cut short", pool.deferred.Load())
}
