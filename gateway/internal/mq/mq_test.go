package mq

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
	"github.com/reskit/res/resprot"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wait = 10 * time.Second

func setup(t *testing.T, timeout time.Duration) (*Client, *nats.Conn) {
	t.Helper()
	return setupOpts(t, Options{Timeout: timeout})
}

func setupOpts(t *testing.T, opts Options) (*Client, *nats.Conn) {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	gc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gc.Close)
	sc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Close)
	c, err := New(gc, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, sc
}

type reply struct {
	data []byte
	err  error
}

func send(t *testing.T, c *Client, subject string) <-chan reply {
	t.Helper()
	ch := make(chan reply, 1)
	if err := c.Request(subject, []byte(`{}`), 0, func(data []byte, err error) { ch <- reply{data, err} }); err != nil {
		t.Fatal(err)
	}
	return ch
}

func get(t *testing.T, ch <-chan reply) reply {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(wait):
		t.Fatal("no reply")
		return reply{}
	}
}

func TestNoResponders(t *testing.T) {
	c, _ := setup(t, time.Minute)
	r := get(t, send(t, c, "get.nobody"))
	if !errors.Is(r.err, resprot.ErrNotFound) {
		t.Fatalf("err = %v, want system.notFound", r.err)
	}
}

func TestTimeout(t *testing.T) {
	c, sc := setup(t, 50*time.Millisecond)
	if _, err := sc.Subscribe("get.slow", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	_ = sc.Flush()
	r := get(t, send(t, c, "get.slow"))
	if !errors.Is(r.err, resprot.ErrTimeout) {
		t.Fatalf("err = %v, want system.timeout", r.err)
	}
}

func TestPreResponseExtendsTimeout(t *testing.T) {
	c, sc := setup(t, 100*time.Millisecond)
	release := make(chan *nats.Msg, 1)
	if _, err := sc.Subscribe("call.slow", func(m *nats.Msg) {
		_ = m.Respond([]byte(`timeout:"60000"`))
		release <- m
	}); err != nil {
		t.Fatal(err)
	}
	_ = sc.Flush()
	ch := send(t, c, "call.slow")
	m := <-release
	// Longer than the default timeout: only the pre-response keeps the
	// request alive. Waiting is needed to show it, not to synchronize.
	time.Sleep(300 * time.Millisecond)
	_ = m.Respond([]byte(`{"result":1}`))
	r := get(t, ch)
	if r.err != nil || string(r.data) != `{"result":1}` {
		t.Fatalf("got %s, %v", r.data, r.err)
	}
}

func TestSubjectTooLong(t *testing.T) {
	c, _ := setup(t, time.Second)
	long := make([]byte, MaxControlLine)
	for i := range long {
		long[i] = 'a'
	}
	err := c.Request("get."+string(long), nil, 0, func([]byte, error) { t.Error("callback called") })
	if !errors.Is(err, resprot.ErrSubjectTooLong) {
		t.Fatalf("err = %v, want system.subjectTooLong", err)
	}
}

func TestOrderOfEventsAndReplies(t *testing.T) {
	c, sc := setup(t, time.Minute)
	got := make(chan string, 10)
	if _, err := c.Subscribe("event.x.*", func(subject string, _ []byte) { got <- subject }); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Subscribe("get.x", func(m *nats.Msg) {
		_ = sc.Publish("event.x.before", nil)
		_ = m.Respond([]byte(`{"result":{}}`))
		_ = sc.Publish("event.x.after", nil)
	}); err != nil {
		t.Fatal(err)
	}
	_ = sc.Flush()
	if err := c.Request("get.x", nil, 0, func([]byte, error) { got <- "reply" }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"event.x.before", "reply", "event.x.after"} {
		select {
		case s := <-got:
			if s != want {
				t.Fatalf("got %s, want %s", s, want)
			}
		case <-time.After(wait):
			t.Fatalf("missing %s", want)
		}
	}
}
