package gateway_test

// Benchmarks of the gateway's hot paths, end to end over loopback: an
// embedded NATS server, the gateway, a fake service in plain nats.go, and
// real WebSocket clients. Allocations are those of the whole process,
// clients and NATS server included. For the full load test with baselines
// run `go run ./gateway/cmd/resload`.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"

	"github.com/reskit/res/gateway"
	"github.com/reskit/res/internal/natsembed"
)

// benchTimeout bounds each read and write of a benchmark client, so that a
// broken gateway fails the benchmark instead of hanging it.
const benchTimeout = 10 * time.Second

// benchEnv is a NATS server, a gateway and a service answering access
// (get and call granted) and get (a small model) for every bench.*
// resource.
type benchEnv struct {
	wsURL string
	svc   *nats.Conn
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ns.Shutdown)
	svc, err := nats.Connect(ns.URL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(svc.Close)
	for subject, reply := range map[string]string{
		"access.bench.>": `{"result":{"get":true,"call":"*"}}`,
		"get.bench.>":    `{"result":{"model":{"name":"bench","seq":0}}}`,
	} {
		if _, err := svc.Subscribe(subject, func(m *nats.Msg) { _ = m.Respond([]byte(reply)) }); err != nil {
			b.Fatal(err)
		}
	}
	if err := svc.Flush(); err != nil {
		b.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{
		NATSURL: ns.URL(),
		Addr:    "127.0.0.1",
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
		defer cancel()
		if err := g.Stop(ctx); err != nil {
			b.Error(err)
		}
	})
	return &benchEnv{wsURL: "ws://" + g.Addr().String() + "/", svc: svc}
}

// benchClient is a WebSocket client that sends one request at a time.
type benchClient struct {
	ws  *websocket.Conn
	id  int
	buf []byte
}

// dial connects a client, which is closed before the gateway stops. It
// may be called from any goroutine.
func (e *benchEnv) dial(b *testing.B) (*benchClient, error) {
	d := websocket.Dialer{HandshakeTimeout: benchTimeout}
	ws, resp, err := d.Dial(e.wsURL, nil)
	if err != nil {
		return nil, err
	}
	_ = resp.Body.Close()
	b.Cleanup(func() { _ = ws.Close() })
	return &benchClient{ws: ws}, nil
}

// subscribed dials a client and subscribes it to rid.
func (e *benchEnv) subscribed(b *testing.B, rid string) *benchClient {
	b.Helper()
	c, err := e.dial(b)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.request("subscribe." + rid); err != nil {
		b.Fatal(err)
	}
	return c
}

// request sends a request and returns its response, failing on an error
// response. It must not run while events may arrive.
func (c *benchClient) request(method string) ([]byte, error) {
	c.id++
	c.buf = append(c.buf[:0], `{"id":`...)
	c.buf = strconv.AppendInt(c.buf, int64(c.id), 10)
	c.buf = append(append(append(c.buf, `,"method":"`...), method...), `"}`...)
	_ = c.ws.SetWriteDeadline(time.Now().Add(benchTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, c.buf); err != nil {
		return nil, err
	}
	msg, err := c.read()
	if err == nil && bytes.Contains(msg, []byte(`"error":`)) {
		err = fmt.Errorf("%s: %s", method, msg)
	}
	return msg, err
}

func (c *benchClient) read() ([]byte, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(benchTimeout))
	_, msg, err := c.ws.ReadMessage()
	return msg, err
}

// BenchmarkCachedGetWS measures a get request for a resource the
// connection subscribes to: cached, with access known, so the gateway
// answers without asking the service.
func BenchmarkCachedGetWS(b *testing.B) {
	e := newBenchEnv(b)
	c := e.subscribed(b, "bench.model")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.request("get.bench.model"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedGetWSParallel is BenchmarkCachedGetWS with one connection
// per parallel goroutine.
func BenchmarkCachedGetWSParallel(b *testing.B) {
	e := newBenchEnv(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c, err := e.dial(b)
		if err == nil {
			_, err = c.request("subscribe.bench.model")
		}
		if err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if _, err := c.request("get.bench.model"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkEventFanout measures a change event published by the service
// until every subscribed connection has read it. The ns/delivery metric is
// the time per event divided by the number of connections.
func BenchmarkEventFanout(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run("conns="+strconv.Itoa(n), func(b *testing.B) {
			e := newBenchEnv(b)
			clients := make([]*benchClient, n)
			for i := range clients {
				clients[i] = e.subscribed(b, "bench.model")
			}
			var payload []byte
			seq := 0
			b.ReportAllocs()
			for b.Loop() {
				seq++
				payload = append(payload[:0], `{"values":{"seq":`...)
				payload = strconv.AppendInt(payload, int64(seq), 10)
				payload = append(payload, `}}`...)
				if err := e.svc.Publish("event.bench.model.change", payload); err != nil {
					b.Fatal(err)
				}
				for _, c := range clients {
					msg, err := c.read()
					if err != nil {
						b.Fatal(err)
					}
					if !bytes.Contains(msg, payload[len(`{"values":`):len(payload)-1]) {
						b.Fatalf("event %d: got %s", seq, msg)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
		})
	}
}
