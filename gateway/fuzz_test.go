package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
	"github.com/reskit/res/resprot"
)

// The fuzz targets feed a connection in memory: its messages go straight
// to the connection's worker and its output to a memTransport, while the
// gateway talks to a NATS server in the process and a fake service.

// memTransport is a transport that keeps what the gateway sends.
type memTransport struct {
	mu     sync.Mutex
	msgs   [][]byte
	closed bool
}

func (m *memTransport) send(msg []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, bytes.Clone(msg))
	return true
}

func (m *memTransport) close(int) { m.kill() }

func (m *memTransport) kill() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
}

func (m *memTransport) output() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.msgs...)
}

// fuzzGateway is a gateway on an embedded NATS server with a service that
// answers every request; reply, when it returns true, overrides the
// answer to a request.
type fuzzGateway struct {
	g     *Gateway
	mu    sync.Mutex
	reply func(subject string) ([]byte, bool)
}

func newFuzzGateway(tb testing.TB) *fuzzGateway {
	tb.Helper()
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	f := &fuzzGateway{}
	defaults := map[string]string{
		"access.>": `{"result":{"get":true,"call":"*"}}`,
		"get.>":    `{"result":{"model":{"a":1,"r":{"rid":"fz.ref"},"s":{"rid":"fz.soft","soft":true},"d":{"data":[1]}}}}`,
		"call.>":   `{"result":{"ok":true}}`,
		"auth.>":   `{"result":null}`,
	}
	for subject, def := range defaults {
		if _, err := nc.Subscribe(subject, func(m *nats.Msg) {
			f.mu.Lock()
			override := f.reply
			f.mu.Unlock()
			if override != nil {
				if b, ok := override(m.Subject); ok {
					_ = m.Respond(b)
					if _, pre := resprot.ParsePreResponse(b); pre {
						// A pre-response only delays the answer.
						_ = m.Respond([]byte(`{"error":{"code":"fuzz.final","message":"Final"}}`))
					}
					return
				}
			}
			_ = m.Respond([]byte(def))
		}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		tb.Fatal(err)
	}
	g, err := New(Config{
		NATSURL:          ns.URL(),
		NoHTTP:           true,
		RequestTimeout:   2 * time.Second,
		UnsubscribeDelay: -1,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := g.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = g.Stop(ctx)
	})
	f.g = g
	return f
}

// connect starts a client connection on the gateway.
func (f *fuzzGateway) connect(tb testing.TB) (*conn, *memTransport) {
	tb.Helper()
	c := newConn(f.g, httptest.NewRequest("GET", "/", nil))
	m := &memTransport{}
	if !c.start(m) {
		tb.Fatal("connection not started")
	}
	return c, m
}

// settle waits until every request c read has been answered, then stops c.
func settle(tb testing.TB, c *conn) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.slots) > 0 {
		if time.Now().After(deadline) {
			tb.Fatalf("%d requests never answered", len(c.slots))
		}
		time.Sleep(100 * time.Microsecond)
	}
	c.stop()
	<-c.w.done
}

// checkMessage fails unless msg is a well-formed client protocol message:
// a response with an id and a result or a RES error, or an event. It
// returns the response's id, or nil for an event.
func checkMessage(tb testing.TB, msg []byte) json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		tb.Fatalf("gateway sent invalid JSON %q: %v", msg, err)
	}
	if ev, ok := m["event"]; ok {
		var name string
		if err := json.Unmarshal(ev, &name); err != nil || name == "" || len(m) > 2 {
			tb.Fatalf("malformed event %s", msg)
		}
		return nil
	}
	id, ok := m["id"]
	if !ok {
		tb.Fatalf("message neither response nor event: %s", msg)
	}
	_, hasResult := m["result"]
	e, hasError := m["error"]
	if hasResult && hasError || len(m) > 2 {
		tb.Fatalf("malformed response %s", msg)
	}
	if hasError {
		// A code and a message, which a service may leave empty.
		var re struct {
			Code    string  `json:"code"`
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(e, &re); err != nil || re.Code == "" || re.Message == nil {
			tb.Fatalf("malformed error in %s", msg)
		}
	}
	return id
}

// FuzzClientMessage feeds arbitrary bytes to a connection as client
// messages, one per line: every request gets one well-formed response, and
// the gateway does not panic.
func FuzzClientMessage(f *testing.F) {
	for _, seed := range []string{
		`{"id":1,"method":"version","params":{"protocol":"1.2.3"}}`,
		`{"id":1,"method":"subscribe.fz.m"}` + "\n" + `{"id":2,"method":"unsubscribe.fz.m","params":{"count":1}}`,
		`{"id":1,"method":"get.fz.m?q=1"}`,
		`{"id":1,"method":"call.fz.m.set","params":{"a":2}}`,
		`{"id":1,"method":"auth.fz.{cid}.login","params":{"user":"x"}}`,
		`{"id":1,"method":"new.fz.list","params":{}}`,
		`{"id":"x","method":"subscribe.fz.m"}` + "\n" + `{"id":"x","method":"subscribe.fz.m"}`,
		`{"id":1,"method":"unsubscribe.fz.m","params":{"count":-1}}`,
		`{"id":1,"method":"subscribe.fz..m"}`,
		`{"id":1,"method":5}`,
		`{"id":1,`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	fg := newFuzzGateway(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, m := fg.connect(t)
		lines := bytes.SplitN(data, []byte("\n"), 16)
		for _, line := range lines {
			if !c.clientMessage(line, nil) {
				t.Fatal("connection closed")
			}
		}
		settle(t, c)
		responses := 0
		for _, msg := range m.output() {
			if checkMessage(t, msg) != nil {
				responses++
			}
		}
		if responses > len(lines) {
			t.Fatalf("%d responses to %d messages", responses, len(lines))
		}
	})
}

// FuzzServiceReply answers one service request (a get, an access, a call
// or an auth request, by kind) with arbitrary bytes: the client still gets
// one well-formed response, and the gateway does not panic.
func FuzzServiceReply(f *testing.F) {
	for _, seed := range []struct {
		kind  uint8
		reply string
	}{
		{0, `{"result":{"model":{"a":1,"b":{"rid":"fz.other"}}}}`},
		{0, `{"result":{"collection":[1,{"rid":"fz.x","soft":true},{"data":{"x":1}}]}}`},
		{0, `{"result":{"model":{"a":{"action":"delete"}}}}`},
		{0, `{"result":{"model":{}},"query":"a=1"}`},
		{1, `{"result":{"get":true}}`},
		{1, `{"error":{"code":"system.accessDenied","message":"Access denied"}}`},
		{2, `{"resource":{"rid":"fz.new"}}`},
		{2, `{"result":null,"meta":{"status":302}}`},
		{3, `{"error":{"code":"custom","message":"x","data":{"a":1}}}`},
		{2, `timeout:"100"`},
		{0, `{"result":`},
		{1, ``},
		{2, `null`},
	} {
		f.Add(seed.kind, []byte(seed.reply))
	}
	fg := newFuzzGateway(f)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, kind uint8, reply []byte) {
		rid := fmt.Sprintf("fz.r%d", n.Add(1))
		var method, target string
		switch kind % 4 {
		case 0:
			method, target = "subscribe."+rid, "get."+rid
		case 1:
			method, target = "subscribe."+rid, "access."+rid
		case 2:
			method, target = "call."+rid+".do", "call."+rid+".do"
		case 3:
			method, target = "auth."+rid+".login", "auth."+rid+".login"
		}
		fg.mu.Lock()
		fg.reply = func(subject string) ([]byte, bool) { return reply, subject == target }
		fg.mu.Unlock()
		c, m := fg.connect(t)
		var msgs []string
		if kind&4 != 0 {
			msgs = append(msgs, `{"id":0,"method":"version","params":{"protocol":"1.2.3"}}`)
		}
		msgs = append(msgs, `{"id":1,"method":"`+method+`"}`)
		for _, msg := range msgs {
			c.clientMessage([]byte(msg), nil)
		}
		settle(t, c)
		var answered int
		for _, msg := range m.output() {
			if id := checkMessage(t, msg); string(id) == "1" {
				answered++
			}
		}
		if answered != 1 {
			t.Fatalf("%d responses to the request, want 1; output:\n%s", answered, bytes.Join(m.output(), []byte("\n")))
		}
	})
}
