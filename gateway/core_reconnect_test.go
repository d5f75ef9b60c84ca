package gateway_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/gateway"
	"github.com/reskit/res/internal/natsembed"
)

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestCoreNATSReconnectResyncs restarts the NATS server under a running
// gateway: requests fail while it is away, and afterwards the gateway
// fetches its cached resources again and tells clients what changed.
func TestCoreNATSReconnectResyncs(t *testing.T) {
	port := freePort(t)
	ns, err := natsembed.Start(natsembed.Options{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown() }()
	svcBack := make(chan struct{}, 1)
	svc, err := nats.Connect(ns.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(10*time.Millisecond),
		nats.ReconnectHandler(func(*nats.Conn) { svcBack <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	e := &coreEnv{t: t, nc: svc, reqs: make(chan *nats.Msg, 100)}
	for _, s := range []string{"access.>", "get.>", "call.>"} {
		if _, err := svc.ChanSubscribe(s, e.reqs); err != nil {
			t.Fatal(err)
		}
	}
	_ = svc.Flush()
	level := slog.LevelError + 1
	if os.Getenv("GATEWAY_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	g, err := gateway.New(gateway.Config{
		NATSURL:        ns.URL(),
		Addr:           "127.0.0.1",
		RequestTimeout: time.Minute,
		// The service is to be back before the gateway resyncs; a resync
		// that finds no service keeps the cache as it is.
		NATSOptions: []nats.Option{nats.ReconnectWait(500 * time.Millisecond)},
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := g.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	e.g = g
	c := e.dial()
	mustResult(t, c, "version", map[string]string{"protocol": "1.2.3"})
	subscribeOK(t, e, c, "test.m", func() { e.serveGet("test.m", `{"model":{"n":1}}`) })

	ns.Shutdown()
	// Requests fail while NATS is away.
	deadline := time.Now().Add(wait)
	for {
		_, rerr := c.response(c.send("call.test.other.x", nil))
		if rerr != nil && rerr.Code == "system.serviceUnavailable" {
			break
		}
		if rerr == nil || time.Now().After(deadline) {
			t.Fatalf("call while NATS is down: %v", rerr)
		}
		// The access reply may still come from the cache of an access
		// request; try again until the disconnect is seen.
		time.Sleep(10 * time.Millisecond)
	}
	ns, err = natsembed.Start(natsembed.Options{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	<-svcBack
	// After the reconnect: the resource is fetched again and its access
	// checked again.
	e.serveGet("test.m", `{"model":{"n":2}}`)
	e.serveAccess("test.m", `{"get":true}`)
	name, data := c.event()
	jsonEq(t, name, data, `{"values":{"n":2}}`)
}
