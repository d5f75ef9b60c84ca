package gateway_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/reskit/res/gateway"
	"github.com/reskit/res/internal/natsembed"
	"github.com/reskit/res/resprot"
)

// wait is the generous deadline of anything a test waits for.
const wait = 10 * time.Second

// coreEnv is a gateway on an embedded NATS server, with a raw NATS
// connection playing the services.
type coreEnv struct {
	t    testing.TB
	ns   *natsembed.Server
	nc   *nats.Conn
	g    *gateway.Gateway
	reqs chan *nats.Msg

	mu      sync.Mutex
	pending []*nats.Msg
	capture []*nats.Subscription
}

func newCoreEnv(t testing.TB, cfg gateway.Config) *coreEnv {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	// A loaded machine may take longer than nats.go's default 2s to
	// connect; wait as long as the rest of the tests do.
	nc, err := nats.Connect(ns.URL(), nats.Timeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e := &coreEnv{t: t, ns: ns, nc: nc, reqs: make(chan *nats.Msg, 1000)}
	for _, s := range []string{"access.>", "get.>", "call.>", "auth.>", "query.>"} {
		sub, err := nc.ChanSubscribe(s, e.reqs)
		if err != nil {
			t.Fatal(err)
		}
		e.capture = append(e.capture, sub)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	cfg.NATSURL = ns.URL()
	cfg.NATSOptions = append(cfg.NATSOptions, nats.Timeout(10*time.Second))
	cfg.Addr = "127.0.0.1"
	if cfg.UnsubscribeDelay == 0 {
		cfg.UnsubscribeDelay = -1
	}
	if cfg.Logger == nil {
		level := slog.LevelError + 1
		if os.Getenv("GATEWAY_TEST_LOG") != "" {
			level = gateway.LevelTrace
		}
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := g.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	e.g = g
	return e
}

// request returns the next request sent to subject, waiting for it.
func (e *coreEnv) request(subject string) *nats.Msg {
	e.t.Helper()
	deadline := time.After(wait)
	for {
		e.mu.Lock()
		for i, m := range e.pending {
			if m.Subject == subject {
				e.pending = append(e.pending[:i], e.pending[i+1:]...)
				e.mu.Unlock()
				return m
			}
		}
		e.mu.Unlock()
		select {
		case m := <-e.reqs:
			e.mu.Lock()
			e.pending = append(e.pending, m)
			e.mu.Unlock()
		case <-deadline:
			e.t.Fatalf("no request on %s", subject)
			return nil
		}
	}
}

// noRequest asserts that no request is waiting, after a round trip through
// NATS.
func (e *coreEnv) noRequest() {
	e.t.Helper()
	if err := e.nc.Flush(); err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for drained := false; !drained; {
		select {
		case m := <-e.reqs:
			e.pending = append(e.pending, m)
		default:
			drained = true
		}
	}
	if len(e.pending) > 0 {
		e.t.Fatalf("unexpected request on %s: %s", e.pending[0].Subject, e.pending[0].Data)
	}
}

func respond(t testing.TB, m *nats.Msg, data string) {
	t.Helper()
	if err := m.Respond([]byte(data)); err != nil {
		t.Fatal(err)
	}
}

func (e *coreEnv) publish(subject, data string) {
	e.t.Helper()
	if err := e.nc.Publish(subject, []byte(data)); err != nil {
		e.t.Fatal(err)
	}
}

// serveAccess answers the next access request for rname.
func (e *coreEnv) serveAccess(rname, result string) {
	e.t.Helper()
	respond(e.t, e.request("access."+rname), `{"result":`+result+`}`)
}

// serveGet answers the next get request for rname.
func (e *coreEnv) serveGet(rname, result string) {
	e.t.Helper()
	respond(e.t, e.request("get."+rname), `{"result":`+result+`}`)
}

type wsClient struct {
	t      testing.TB
	ws     *websocket.Conn
	nextID int
	msgs   chan map[string]json.RawMessage
	events []map[string]json.RawMessage
}

func (e *coreEnv) dial() *wsClient {
	e.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+e.g.Addr().String()+"/", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := &wsClient{t: e.t, ws: ws, msgs: make(chan map[string]json.RawMessage, 100)}
	go func() {
		defer close(c.msgs)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				panic(err)
			}
			c.msgs <- m
		}
	}()
	e.t.Cleanup(func() {
		_ = ws.Close()
		for range c.msgs {
		}
	})
	return c
}

// send sends a request and returns its id.
func (c *wsClient) send(method string, params any) int {
	c.t.Helper()
	c.nextID++
	req := map[string]any{"id": c.nextID, "method": method}
	if params != nil {
		req["params"] = params
	}
	if err := c.ws.WriteJSON(req); err != nil {
		c.t.Fatal(err)
	}
	return c.nextID
}

func (c *wsClient) next() map[string]json.RawMessage {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatal("connection closed")
		}
		return m
	case <-time.After(wait):
		c.t.Fatal("no message from gateway")
		return nil
	}
}

// response waits for the response to request id; events that come first
// are kept for event.
func (c *wsClient) response(id int) (json.RawMessage, *resprot.Error) {
	c.t.Helper()
	for {
		m := c.next()
		if _, ok := m["event"]; ok {
			c.events = append(c.events, m)
			continue
		}
		var got int
		_ = json.Unmarshal(m["id"], &got)
		if got != id {
			c.t.Fatalf("response to %d, want %d", got, id)
		}
		if e, ok := m["error"]; ok {
			var re resprot.Error
			_ = json.Unmarshal(e, &re)
			return nil, &re
		}
		return m["result"], nil
	}
}

// event waits for the next event and returns its name and data.
func (c *wsClient) event() (string, json.RawMessage) {
	c.t.Helper()
	var m map[string]json.RawMessage
	if len(c.events) > 0 {
		m, c.events = c.events[0], c.events[1:]
	} else {
		m = c.next()
		if _, ok := m["event"]; !ok {
			c.t.Fatalf("got %v, want an event", m)
		}
	}
	var name string
	_ = json.Unmarshal(m["event"], &name)
	return name, m["data"]
}

// jsonEq fails unless got and want are equal JSON.
func jsonEq(t testing.TB, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil && len(got) > 0 {
		t.Fatalf("%s: invalid JSON %s", what, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: invalid want JSON %s", what, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("%s = %s, want %s", what, gb, wb)
	}
}

type natsMsg = nats.Msg

// tryRequest returns a request to subject that has arrived, waiting for
// the first request if none is there, or nil.
func (e *coreEnv) tryRequest(subject string) *nats.Msg {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) == 0 {
		select {
		case m := <-e.reqs:
			e.pending = append(e.pending, m)
		case <-time.After(wait):
			return nil
		}
	}
	for i, m := range e.pending {
		if m.Subject == subject {
			e.pending = append(e.pending[:i], e.pending[i+1:]...)
			return m
		}
	}
	return nil
}

// anyRequest returns the next request the gateway sends, on any subject,
// waiting for it.
func (e *coreEnv) anyRequest() *nats.Msg {
	e.t.Helper()
	e.mu.Lock()
	if len(e.pending) > 0 {
		m := e.pending[0]
		e.pending = e.pending[1:]
		e.mu.Unlock()
		return m
	}
	e.mu.Unlock()
	select {
	case m := <-e.reqs:
		return m
	case <-time.After(wait):
		e.t.Fatal("no request")
		return nil
	}
}
