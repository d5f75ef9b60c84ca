package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/reskit/res/gateway"
)

// Connection hygiene: each limit the gateway puts on a client, and that the
// client it cuts off is the only one that notices.

// rawDial connects a WebSocket client that the test reads by hand.
func (e *coreEnv) rawDial() *websocket.Conn {
	e.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+e.g.Addr().String()+"/", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = ws.Close() })
	return ws
}

// roundTrip checks that c is still served: a version request is answered.
func roundTrip(t testing.TB, c *wsClient) {
	t.Helper()
	mustResult(t, c, "version", map[string]string{"protocol": "1.2.3"})
}

// readUntilClosed reads ws until the connection ends and returns the
// error that ended it.
func readUntilClosed(t testing.TB, ws *websocket.Conn) error {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("connection still open")
			}
			return err
		}
	}
}

func TestCoreWSPingDropsSilentClient(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{WSPingInterval: 500 * time.Millisecond})
	good := e.dial() // answers pings while it reads
	silent := e.rawDial()
	silent.SetPingHandler(func(string) error { return nil }) // never answers
	closed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := silent.ReadMessage(); err != nil {
				closed <- err
				return
			}
		}
	}()
	select {
	case <-closed:
	case <-time.After(wait):
		t.Fatal("a client that does not answer pings was not dropped")
	}
	// The good client had as long, and is still served.
	roundTrip(t, good)
}

func TestCoreWSReadLimit(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{WSReadLimit: 1024})
	other := e.dial()
	ws := e.rawDial()
	big := fmt.Sprintf(`{"id":1,"method":"call.test.m.do","params":%q}`, strings.Repeat("x", 2048))
	if err := ws.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	err := readUntilClosed(t, ws)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("oversized message: connection ended with %v, want close 1009", err)
	}
	// A message within the limit is fine, other clients saw nothing, and
	// the gateway takes new ones.
	roundTrip(t, other)
	c := e.dial()
	id := c.send("call.test.m.do", strings.Repeat("y", 900))
	e.serveAccess("test.m", `{"call":"*"}`)
	respond(t, e.request("call.test.m.do"), `{"result":1}`)
	if _, err := c.response(id); err != nil {
		t.Fatal(err)
	}
	e.noRequest()
}

// stallClient subscribes a raw client to test.big and then stops reading
// from it, while an event stream of large changes is published until the
// gateway drops it. A normal client subscribed to the same resource must
// get every event meanwhile.
func stallClient(t *testing.T, e *metricsEnv) {
	t.Helper()
	good := e.dial()
	subscribeOK(t, e.coreEnv, good, "test.big", func() { e.serveGet("test.big", `{"model":{"pad":""}}`) })
	// The good client reads every event as it comes.
	var goodEvents atomic.Int64
	goodDone := make(chan struct{})
	go func() {
		defer close(goodDone)
		for m := range good.msgs {
			if _, ok := m["event"]; ok {
				goodEvents.Add(1)
			}
		}
	}()

	// A small receive buffer makes the slow client's socket fill sooner.
	dialer := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		conn, err := net.Dial(network, addr)
		if err == nil {
			_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		}
		return conn, err
	}}
	slow, _, err := dialer.Dial("ws://"+e.g.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := slow.WriteJSON(map[string]any{"id": 1, "method": "subscribe.test.big"}); err != nil {
		t.Fatal(err)
	}
	e.serveAccess("test.big", `{"get":true}`)
	if _, _, err := slow.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	e.expect(map[string]float64{"resgate_ws_current_connections": 2})
	// Now slow reads nothing more. Publish 128 KiB events until the
	// gateway drops it: socket buffers hold a few MiB at most. Each event
	// waits for the good client to get the one before, so that only the
	// slow client falls behind.
	data := fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 128<<10))
	sent := 0
	for sent < 800 {
		e.publish("event.test.big.custom", data)
		sent++
		deadline := time.Now().Add(wait)
		for goodEvents.Load() < int64(sent) {
			if time.Now().After(deadline) {
				t.Fatalf("good client got %d of %d events", goodEvents.Load(), sent)
			}
			time.Sleep(time.Millisecond)
		}
		if sent%4 == 0 && scrape(t, e.url)["resgate_ws_current_connections"] == 1 {
			break
		}
	}
	t.Logf("slow client dropped after %d events", sent)
	e.expect(map[string]float64{"resgate_ws_current_connections": 1})
}

func TestCoreWSWriteTimeoutDropsStalledClient(t *testing.T) {
	// A queue long enough never to overflow: the write deadline acts.
	e := newMetricsEnv(t, gateway.Config{WSWriteTimeout: time.Second, WSSendQueue: 100000})
	stallClient(t, e)
	e.expect(map[string]float64{"resgate_ws_slow_clients_dropped_total": 0})
}

func TestCoreWSSendQueueDropsStalledClient(t *testing.T) {
	// A write deadline too long to matter: the queue overflows first.
	log, logs := captureLog(t)
	e := newMetricsEnv(t, gateway.Config{WSWriteTimeout: time.Hour, WSSendQueue: 16, Logger: log})
	stallClient(t, e)
	e.expect(map[string]float64{"resgate_ws_slow_clients_dropped_total": 1})
	if !strings.Contains(logs.String(), "client too slow") {
		t.Errorf("no log of the dropped client:\n%s", logs.String())
	}
}

func TestCoreHTTPServerTimeouts(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	tests := []struct {
		name, request string
		answer        string // the start of the answer, if any
	}{
		{"headers never end", "GET /api/test/m HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n", ""},
		{"body never ends", "POST /api/test/m/do HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":", "HTTP/1.1 400 "},
		{"websocket upgrade never ends", "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", e.g.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.request); err != nil {
				t.Fatal(err)
			}
			// The gateway answers with an error or hangs up; it does not
			// wait for the rest.
			_ = conn.SetReadDeadline(time.Now().Add(wait))
			answer, err := io.ReadAll(conn)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the gateway kept waiting for the client")
			}
			if !strings.HasPrefix(string(answer), tt.answer) {
				t.Errorf("answer %q, want it to start with %q", answer, tt.answer)
			}
		})
	}
	roundTrip(t, e.dial())
}

func TestCoreSubscriptionLimit(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{MaxSubscriptions: 2})
	c := e.dial()
	mustResult(t, c, "version", map[string]string{"protocol": "1.2.3"})
	id := c.send("subscribe.test.a", nil)
	e.serveAccess("test.a", `{"get":true,"call":"*"}`)
	e.serveGet("test.a", `{"model":{}}`)
	if _, err := c.response(id); err != nil {
		t.Fatal(err)
	}
	// A second subscription of the same resource counts too.
	mustResult(t, c, "subscribe.test.a", nil)
	id = c.send("subscribe.test.b", nil)
	e.serveAccess("test.b", `{"get":true}`)
	e.serveGet("test.b", `{"model":{}}`)
	if _, err := c.response(id); err == nil || err.Code != "system.subscriptionLimitExceeded" {
		t.Fatalf("third subscription: %v, want system.subscriptionLimitExceeded", err)
	}
	// A resource response past the limit reports it in the errors.
	id = c.send("call.test.a.create", nil)
	respond(t, e.request("call.test.a.create"), `{"resource":{"rid":"test.c"}}`)
	e.serveAccess("test.c", `{"get":true}`)
	e.serveGet("test.c", `{"model":{}}`)
	res, err := c.response(id)
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, "resource response", res, `{"rid":"test.c","errors":{"test.c":{"code":"system.subscriptionLimitExceeded","message":"Subscription limit exceeded"}}}`)
	// Other connections have limits of their own.
	other := e.dial()
	subscribeOK(t, e, other, "test.a", nil)
	// Unsubscribing frees a place.
	mustResult(t, c, "unsubscribe.test.a", nil)
	subscribeOK(t, e, c, "test.d", func() {
		e.serveGet("test.d", `{"model":{}}`)
	})
}

func TestCoreStopWithUnresponsiveClient(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	ws := e.rawDial() // never reads, never answers the close frame
	if err := ws.WriteJSON(map[string]any{"id": 1, "method": "version"}); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, e.dial())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	// Stop gives the client a moment to answer, then hangs up.
	if err := e.g.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// TestCoreStopWithChattyClient has a client that keeps sending requests
// and never answers the close frame: what it sends after the close frame
// does not keep the connection open past the moment Stop gives it.
func TestCoreStopWithChattyClient(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	ws := e.rawDial()
	roundTrip(t, e.dial())
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if ws.WriteJSON(map[string]any{"id": 1, "method": "version"}) != nil {
				return
			}
			select {
			case <-tick.C:
			case <-stopped:
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.g.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// TestCoreWSLateReaderGetsEverything has a client stop reading while a
// burst of events fills its socket, so that writes are left half done and
// finished later, and checks that once it reads again it gets every
// event, whole and in order.
func TestCoreWSLateReaderGetsEverything(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{WSWriteTimeout: time.Minute, WSSendQueue: 100000})
	// Socket buffers as they come: a receive buffer made small after the
	// connection is up can leave TCP waiting for its persist timer, which
	// backs off to minutes.
	ws := e.rawDial()
	if err := ws.WriteJSON(map[string]any{"id": 1, "method": "subscribe.test.late"}); err != nil {
		t.Fatal(err)
	}
	e.serveAccess("test.late", `{"get":true}`)
	e.serveGet("test.late", `{"model":{"seq":0,"pad":""}}`)
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	// Events of assorted sizes, 12 MB in all, while the client reads
	// nothing: more than the socket buffers hold. Most are small, so that
	// a write of a few of them is cut short when the buffers fill up; one
	// in a hundred is bigger than a write takes at once.
	const events = 8000
	pad := func(seq int) string {
		n := 1 + seq*397%2000
		if seq%100 == 0 {
			n = 100_000 + seq
		}
		return strings.Repeat(string(rune('a'+seq%26)), n)
	}
	for seq := 1; seq <= events; seq++ {
		e.publish("event.test.late.change", fmt.Sprintf(`{"values":{"seq":%d,"pad":%q}}`, seq, pad(seq)))
	}
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	for seq := 1; seq <= events; seq++ {
		var ev struct {
			Event string `json:"event"`
			Data  struct {
				Values struct {
					Seq int    `json:"seq"`
					Pad string `json:"pad"`
				} `json:"values"`
			} `json:"data"`
		}
		if err := ws.ReadJSON(&ev); err != nil {
			t.Fatalf("event %d: %v", seq, err)
		}
		if ev.Event != "test.late.change" || ev.Data.Values.Seq != seq || ev.Data.Values.Pad != pad(seq) {
			t.Fatalf("event %d: got %s seq %d with %d bytes of pad, want seq %d with %d",
				seq, ev.Event, ev.Data.Values.Seq, len(ev.Data.Values.Pad), seq, len(pad(seq)))
		}
	}
}

// TestCoreWSIdleLongerThanWriteTimeout checks that a connection that
// stays idle for longer than the write timeout still gets the next event:
// the write deadline is for writes that block, not for idle time.
func TestCoreWSIdleLongerThanWriteTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	e := newCoreEnv(t, gateway.Config{WSWriteTimeout: timeout})
	c := e.dial()
	subscribeOK(t, e, c, "test.idle", func() { e.serveGet("test.idle", `{"model":{"n":0}}`) })
	for n := 1; n <= 3; n++ {
		// A reply the reader writes itself sets a write deadline.
		roundTrip(t, c)
		// Idle time is the point here, not a wait for something.
		time.Sleep(3 * timeout)
		e.publish("event.test.idle.change", fmt.Sprintf(`{"values":{"n":%d}}`, n))
		name, data := c.event()
		if want := fmt.Sprintf(`{"values":{"n":%d}}`, n); name != "test.idle.change" || string(data) != want {
			t.Fatalf("after idling: event %s %s, want test.idle.change %s", name, data, want)
		}
	}
	roundTrip(t, c)
}

// TestCoreWSFanoutWhileClientsLeave fans a stream of events out to many
// clients while half of them hang up at different points of it: the
// others get every event, in order, and the gateway keeps serving.
func TestCoreWSFanoutWhileClientsLeave(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	const clients, events = 40, 300
	cs := make([]*wsClient, clients)
	for i := range cs {
		cs[i] = e.dial()
		var serve func()
		if i == 0 {
			serve = func() { e.serveGet("test.fan", `{"model":{"n":0}}`) }
		}
		subscribeOK(t, e, cs[i], "test.fan", serve)
	}
	errs := make(chan error, clients)
	done := make(chan struct{}, clients)
	for i, c := range cs {
		go func() {
			defer func() { done <- struct{}{} }()
			leaveAt := -1
			if i%2 == 1 {
				leaveAt = i * events / clients
			}
			for n := 1; n <= events; n++ {
				if n == leaveAt {
					_ = c.ws.Close()
					return
				}
				var m map[string]json.RawMessage
				select {
				case m = <-c.msgs:
				case <-time.After(wait):
					errs <- fmt.Errorf("client %d: no event %d", i, n)
					return
				}
				want := fmt.Sprintf(`{"values":{"n":%d}}`, n)
				if string(m["event"]) != `"test.fan.change"` || string(m["data"]) != want {
					errs <- fmt.Errorf("client %d: got %s %s, want test.fan.change %s", i, m["event"], m["data"], want)
					return
				}
			}
		}()
	}
	for n := 1; n <= events; n++ {
		e.publish("event.test.fan.change", fmt.Sprintf(`{"values":{"n":%d}}`, n))
	}
	for range cs {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	roundTrip(t, cs[0])
}

// TestCoreResetThrottle checks that ResetThrottle bounds what one
// system.reset sends at once, get requests and access requests together,
// as Resgate's --resetthrottle does, and that every request still goes
// out in turn.
func TestCoreResetThrottle(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{ResetThrottle: 2})
	const clients = 4
	for i := range clients {
		c := e.dial()
		var serve func()
		if i == 0 {
			serve = func() { e.serveGet("test.a", `{"model":{"n":1}}`) }
		}
		subscribeOK(t, e, c, "test.a", serve)
	}
	e.noRequest()
	e.publish("system.reset", `{"resources":["test.a"],"access":["test.a"]}`)
	// One get and an access request per client, two at a time.
	want := map[string]int{"get.test.a": 1, "access.test.a": clients}
	var inFlight []*nats.Msg
	for sent := 0; sent < 1+clients; {
		for len(inFlight) < 2 && sent+len(inFlight) < 1+clients {
			inFlight = append(inFlight, e.anyRequest())
		}
		e.noRequest()
		m := inFlight[0]
		inFlight = inFlight[1:]
		want[m.Subject]--
		if want[m.Subject] < 0 {
			t.Fatalf("unexpected request on %s", m.Subject)
		}
		if m.Subject == "get.test.a" {
			respond(t, m, `{"result":{"model":{"n":1}}}`)
		} else {
			respond(t, m, `{"result":{"get":true}}`)
		}
		sent++
	}
	e.noRequest()
}
