package gateway_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/reskit/res/gateway"
)

// Bad input from clients and services: the client at fault gets a RES
// error, the cause is logged, and other clients see nothing of it.

// assertUntouched checks that c is served and got nothing unasked for.
func assertUntouched(t testing.TB, c *wsClient) {
	t.Helper()
	roundTrip(t, c)
	if len(c.events) > 0 {
		t.Fatalf("bystander got %v", c.events)
	}
}

func TestCoreBadClientMessages(t *testing.T) {
	log, logs := captureLog(t)
	e := newCoreEnv(t, gateway.Config{Logger: log})
	bystander := e.dial()
	subscribeOK(t, e, bystander, "test.m", func() { e.serveGet("test.m", `{"model":{"a":1}}`) })
	c := e.dial()
	tests := []struct {
		name, msg string
		id        string // the id of the error response, as JSON
		code      string // "" for no response at all
		log       string
	}{
		{"not json", `{"id":1,`, "null", "system.invalidRequest", "malformed client message"},
		{"not an object", `[1,2]`, "null", "system.invalidRequest", "malformed client message"},
		{"empty", ``, "null", "system.invalidRequest", "malformed client message"},
		{"method not a string", `{"id":2,"method":5}`, "2", "system.invalidRequest", "malformed client request"},
		{"no method", `{"id":3}`, "3", "system.invalidRequest", "invalid client request"},
		{"unknown type", `{"id":4,"method":"fetch.test.m"}`, "4", "system.invalidRequest", "invalid client request"},
		{"set is not a client method", `{"id":5,"method":"set.test.m"}`, "5", "system.invalidRequest", "invalid client request"},
		{"empty rid", `{"id":6,"method":"subscribe."}`, "6", "system.invalidRequest", "invalid client request"},
		{"empty part", `{"id":7,"method":"subscribe.test..m"}`, "7", "system.invalidRequest", "invalid client request"},
		{"wildcard rid", `{"id":8,"method":"get.test.>"}`, "8", "system.invalidRequest", "invalid client request"},
		{"space in rid", `{"id":9,"method":"get.test m"}`, "9", "system.invalidRequest", "invalid client request"},
		{"call without method", `{"id":10,"method":"call.test"}`, "10", "system.invalidRequest", "invalid client request"},
		{"call with wildcard method", `{"id":11,"method":"call.test.m.*"}`, "11", "system.invalidRequest", "invalid client request"},
		{"version with rid", `{"id":12,"method":"version.test"}`, "12", "system.invalidRequest", "invalid client request"},
		{"bad version", `{"id":13,"method":"version","params":{"protocol":"x"}}`, "13", "system.invalidParams", ""},
		{"unsupported version", `{"id":14,"method":"version","params":{"protocol":"2.0.0"}}`, "14", "system.unsupportedProtocol", ""},
		{"bad unsubscribe count", `{"id":15,"method":"unsubscribe.test.m","params":{"count":"x"}}`, "15", "system.invalidParams", ""},
		{"unsubscribe without subscription", `{"id":16,"method":"unsubscribe.test.m"}`, "16", "system.noSubscription", ""},
		{"string id", `{"id":"a","method":"nope"}`, `"a"`, "system.invalidRequest", "invalid client request"},
		{"no id", `{"method":"version"}`, "", "", "client request without id ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.ws.WriteMessage(websocket.TextMessage, []byte(tt.msg)); err != nil {
				t.Fatal(err)
			}
			if tt.code != "" {
				m := c.next()
				jsonEq(t, "id", m["id"], tt.id)
				var e struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(m["error"], &e); err != nil || e.Code != tt.code || e.Message == "" {
					t.Fatalf("response %s, want error %s", m["error"], tt.code)
				}
			}
			// The connection goes on; a round trip shows nothing else came.
			roundTrip(t, c)
			if tt.log != "" && !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log lacks %q:\n%s", tt.log, logs.String())
			}
			assertUntouched(t, bystander)
		})
	}
	e.noRequest()
}

func TestCoreBadServiceReplies(t *testing.T) {
	log, logs := captureLog(t)
	e := newCoreEnv(t, gateway.Config{Logger: log, RequestTimeout: 2 * time.Second})
	bystander := e.dial()
	subscribeOK(t, e, bystander, "test.m", func() { e.serveGet("test.m", `{"model":{"a":1}}`) })
	c := e.dial()
	mustResult(t, c, "version", map[string]string{"protocol": "1.2.3"})
	huge := `{"result":"` + strings.Repeat("x", int(e.nc.MaxPayload())) + `"}`
	tests := []struct {
		name    string
		request string // client request method
		subject string // the service request whose reply is bad
		reply   string // "" for none
		code    string
		log     string
	}{
		{"get not json", "subscribe.test.a", "get.test.a", `{"result":`, "system.internalError", "malformed service reply"},
		{"get html", "subscribe.test.b", "get.test.b", `<html>`, "system.internalError", "malformed service reply"},
		{"get without result", "subscribe.test.c", "get.test.c", `{}`, "system.internalError", "malformed service reply"},
		{"get neither model nor collection", "subscribe.test.d", "get.test.d", `{"result":{"x":1}}`, "system.internalError", "invalid get response"},
		{"get with nested object", "subscribe.test.e", "get.test.e", `{"result":{"model":{"a":{"b":1}}}}`, "system.internalError", "invalid get response"},
		{"get never answered", "subscribe.test.f", "get.test.f", "", "system.timeout", "service request timed out"},
		{"access not json", "get.test.g", "access.test.g", `]`, "system.internalError", "malformed service reply"},
		{"access with wrong types", "get.test.h", "access.test.h", `{"result":{"get":"yes"}}`, "system.internalError", "invalid access response"},
		{"access never answered", "get.test.i", "access.test.i", "", "system.timeout", "service request timed out"},
		{"call not json", "call.test.m.do", "call.test.m.do", `{"result"}`, "system.internalError", "malformed service reply"},
		{"call error without code", "call.test.m.do", "call.test.m.do", `{"error":{"message":"x"}}`, "system.internalError", "malformed service reply"},
		{"call with invalid resource", "call.test.m.do", "call.test.m.do", `{"resource":{"rid":"a..b"}}`, "system.internalError", "malformed service reply"},
		{"call over the NATS payload limit", "call.test.m.do", "call.test.m.do", huge, "system.timeout", "service request timed out"},
		{"auth not an object", "auth.test.m.login", "auth.test.m.login", `42`, "system.internalError", "malformed service reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := len(logs.String())
			id := c.send(tt.request, nil)
			if strings.HasPrefix(tt.request, "subscribe.") || strings.HasPrefix(tt.request, "get.") && tt.subject != "access."+tt.request[4:] {
				rid := tt.request[strings.IndexByte(tt.request, '.')+1:]
				e.serveAccess(rid, `{"get":true}`)
			}
			if strings.HasPrefix(tt.request, "call.") {
				e.serveAccess("test.m", `{"call":"*"}`)
			}
			m := e.request(tt.subject)
			if tt.reply != "" {
				// A reply over the payload limit fails to go out.
				_ = m.Respond([]byte(tt.reply))
			}
			if _, err := c.response(id); err == nil || err.Code != tt.code {
				t.Fatalf("%s: %v, want %s", tt.request, err, tt.code)
			}
			// The log says what went wrong, and with which resource.
			name := tt.subject[strings.IndexByte(tt.subject, '.')+1:]
			name = strings.TrimSuffix(strings.TrimSuffix(name, ".do"), ".login")
			var found bool
			for _, line := range strings.Split(logs.String()[mark:], "\n") {
				found = found || strings.Contains(line, tt.log) && strings.Contains(line, name)
			}
			if !found {
				t.Errorf("no log line with %q and %s:\n%s", tt.log, name, logs.String()[mark:])
			}
			assertUntouched(t, bystander)
		})
	}
}

// A client that floods requests has at most 256 in progress: the gateway
// stops reading from it until replies go out, serves other clients
// meanwhile, and answers every request in the end.
func TestCoreRequestFlood(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{RequestTimeout: time.Minute})
	for _, s := range e.capture {
		if err := s.Unsubscribe(); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var held []*nats.Msg
	released := false
	respondAll := func(subject, reply string) {
		if _, err := e.nc.Subscribe(subject, func(m *nats.Msg) { _ = m.Respond([]byte(reply)) }); err != nil {
			t.Fatal(err)
		}
	}
	respondAll("access.>", `{"result":{"get":true,"call":"*"}}`)
	respondAll("call.test.fast.do", `{"result":"fast"}`)
	if _, err := e.nc.Subscribe("call.test.slow.do", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if released {
			_ = m.Respond([]byte(`{"result":"slow"}`))
			return
		}
		held = append(held, m)
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	heldCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(held)
	}

	const flood = 2000
	flooder := e.dial()
	go func() {
		for i := 0; i < flood; i++ {
			if err := flooder.ws.WriteJSON(map[string]any{"id": i + 1, "method": "call.test.slow.do"}); err != nil {
				return
			}
		}
	}()
	deadline := time.Now().Add(wait)
	for heldCount() < 256 {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests reached the service, want 256", heldCount())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Another client is served while the flooder waits.
	other := e.dial()
	res := mustResult(t, other, "call.test.fast.do", nil)
	jsonEq(t, "call result", res, `"fast"`)
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := heldCount(); n != 256 {
		t.Fatalf("%d requests in progress, want at most 256", n)
	}
	mu.Lock()
	released = true
	for _, m := range held {
		_ = m.Respond([]byte(`{"result":"slow"}`))
	}
	mu.Unlock()
	got := make(map[int]bool)
	for len(got) < flood {
		m := flooder.next()
		var id int
		if err := json.Unmarshal(m["id"], &id); err != nil || m["result"] == nil {
			t.Fatalf("flooder got %v", m)
		}
		got[id] = true
	}
}
