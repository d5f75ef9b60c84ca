package restest_test

// These tests run services over a real NATS server, to check that what
// restest's MockConn shows holds on NATS too: queue groups, inboxes,
// reconnects.

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res"
	"github.com/reskit/res/internal/natsembed"
)

func startNATS(t *testing.T, port int) *natsembed.Server {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Options{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func TestListenAndServeReconnect(t *testing.T) {
	srv := startNATS(t, 0)
	u, _ := url.Parse(srv.URL())
	port, _ := strconv.Atoi(u.Port())

	served := make(chan struct{})
	reconnected := make(chan struct{}, 1)
	disconnected := make(chan struct{}, 1)
	s := res.NewService("test",
		res.WithOnServe(func(*res.Service) { close(served) }),
		res.WithOnDisconnect(func(*res.Service) { disconnected <- struct{}{} }),
		res.WithOnReconnect(func(*res.Service) { reconnected <- struct{}{} }),
	)
	s.Handle("model", res.GetModel(func(r res.ModelRequest) { _ = r.Model(map[string]int{"n": 1}) }))

	observer := connect(t, srv.URL())
	resets, err := observer.SubscribeSync("system.reset")
	if err != nil {
		t.Fatal(err)
	}
	if err := observer.Flush(); err != nil {
		t.Fatal(err)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- s.ListenAndServe(srv.URL(), nats.ReconnectWait(50*time.Millisecond)) }()
	select {
	case <-served:
	case err := <-serveErr:
		t.Fatalf("ListenAndServe: %v", err)
	}
	m, err := resets.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no system.reset on start: %v", err)
	}
	if got := string(m.Data); got != `{"resources":["test.>"]}` {
		t.Errorf("system.reset = %s", got)
	}

	// Restart the server on the same port: the service reconnects,
	// resets and serves again.
	srv.Shutdown()
	select {
	case <-disconnected:
	case <-time.After(30 * time.Second):
		t.Fatal("OnDisconnect not called")
	}
	srv = startNATS(t, port)
	defer srv.Shutdown()
	select {
	case <-reconnected:
	case <-time.After(30 * time.Second):
		t.Fatal("service did not reconnect")
	}
	// The service's subscriptions reach the server on their own
	// connection: retry while the server has none yet.
	var reply *nats.Msg
	deadline := time.Now().Add(10 * time.Second)
	for {
		reply, err = observer.Request("get.test.model", nil, 10*time.Second)
		if !errors.Is(err, nats.ErrNoResponders) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("get after reconnect: %v", err)
	}
	if got := string(reply.Data); got != `{"result":{"model":{"n":1}}}` {
		t.Errorf("get after reconnect = %s", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-serveErr; !errors.Is(err, res.ErrServiceClosed) {
		t.Errorf("ListenAndServe = %v, want ErrServiceClosed", err)
	}
}

// TestQueueGroupOverNATS runs two instances of a service in one queue
// group: each request is served once.
func TestQueueGroupOverNATS(t *testing.T) {
	srv := startNATS(t, 0)
	defer srv.Shutdown()
	client := connect(t, srv.URL())

	var services []*res.Service
	for i := range 2 {
		served := make(chan struct{})
		s := res.NewService("test", res.WithOnServe(func(*res.Service) { close(served) }))
		s.Handle("model", res.GetModel(func(r res.ModelRequest) { _ = r.Model(map[string]int{"instance": i}) }))
		nc := connect(t, srv.URL())
		go func() { _ = s.Serve(nc) }()
		<-served
		services = append(services, s)
	}
	replies, err := client.SubscribeSync("reply.>")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := client.PublishRequest("get.test.model", "reply."+strconv.Itoa(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		if _, err := replies.NextMsg(10 * time.Second); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	for _, s := range services {
		_ = s.Shutdown(context.Background())
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := replies.Pending(); n != 0 {
		t.Errorf("%d extra replies: a request was served twice", n)
	}
}

// TestQueryEventOverNATS checks the query event round trip on NATS.
func TestQueryEventOverNATS(t *testing.T) {
	srv := startNATS(t, 0)
	defer srv.Shutdown()
	client := connect(t, srv.URL())

	served := make(chan struct{})
	ended := make(chan struct{})
	s := res.NewService("test",
		res.WithOnServe(func(*res.Service) { close(served) }),
		res.WithQueryEventDuration(time.Hour))
	s.Handle("list", res.Collection)
	events, err := client.SubscribeSync("event.test.list.query")
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(connect(t, srv.URL())) }()
	<-served

	err = s.With("test.list", func(r res.Resource) {
		_ = r.QueryEvent(func(q res.QueryRequest) {
			if q == nil {
				close(ended)
				return
			}
			_ = q.RemoveEvent(0)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var subject string
	AssertQuerySubject(t, m.Data, &subject)
	reply, err := client.Request(subject, []byte(`{"query":"a=1"}`), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(reply.Data); got != `{"result":{"events":[{"event":"remove","data":{"idx":0}}]}}` {
		t.Errorf("query reply = %s", got)
	}
	_ = s.Shutdown(context.Background())
	<-ended
}

func AssertQuerySubject(t *testing.T, data []byte, subject *string) {
	t.Helper()
	const prefix = `{"subject":"`
	s := string(data)
	if len(s) < len(prefix)+2 || s[:len(prefix)] != prefix {
		t.Fatalf("query event payload = %s", s)
	}
	*subject = s[len(prefix) : len(s)-2]
}
