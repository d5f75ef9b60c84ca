package gateway_test

import (
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/gateway"
)

// autoService answers every access, get and call request.
func autoService(b *testing.B, e *coreEnv) {
	b.Helper()
	for _, s := range e.capture {
		if err := s.Unsubscribe(); err != nil {
			b.Fatal(err)
		}
	}
	h := func(m *nats.Msg) {
		switch {
		case hasPrefixStr(m.Subject, "access."):
			_ = m.Respond([]byte(`{"result":{"get":true,"call":"*"}}`))
		case hasPrefixStr(m.Subject, "get."):
			_ = m.Respond([]byte(`{"result":{"model":{"n":0,"name":"bench"}}}`))
		default:
			_ = m.Respond([]byte(`{"result":{"ok":true}}`))
		}
	}
	for _, s := range []string{"access.bench.>", "get.bench.>", "call.bench.>"} {
		if _, err := e.nc.Subscribe(s, h); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.nc.Flush(); err != nil {
		b.Fatal(err)
	}
}

func hasPrefixStr(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// BenchmarkCoreCall measures one call round trip through the gateway on a
// subscribed model whose access is cached.
func BenchmarkCoreCall(b *testing.B) {
	e := newCoreEnv(b, gateway.Config{})
	autoService(b, e)
	c := e.dial()
	mustResult(b, c, "version", map[string]string{"protocol": "1.2.3"})
	mustResult(b, c, "subscribe.bench.m", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.response(c.send("call.bench.m.do", nil)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCoreEventFanOut measures a change event applied once and sent to
// 100 subscribed clients.
func BenchmarkCoreEventFanOut(b *testing.B) {
	e := newCoreEnv(b, gateway.Config{})
	autoService(b, e)
	clients := make([]*wsClient, 100)
	for i := range clients {
		clients[i] = e.dial()
		mustResult(b, clients[i], "subscribe.bench.m", nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.publish("event.bench.m.change", `{"values":{"n":`+strconv.Itoa(i+1)+`}}`)
		for _, c := range clients {
			c.event()
		}
	}
}
