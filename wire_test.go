package res_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res"
	"github.com/reskit/res/internal/natsembed"
)

// These tests run services on an embedded NATS server and talk to them
// with a plain nats.go client, checking the bytes on the wire against the
// examples of the RES service protocol.

// waitTimeout bounds every wait for something that should happen; it is
// generous so that a slow machine never fails a test.
const waitTimeout = 10 * time.Second

// startNATS starts an embedded NATS server on a free port, or on port if
// it is not zero, and shuts it down when the test ends.
func startNATS(t testing.TB, port int) *natsembed.Server {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Options{Port: port})
	if err != nil {
		t.Fatalf("start NATS server: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// rawConn connects a plain NATS client, closed when the test ends.
func rawConn(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// subscribe subscribes nc to subject and returns the channel the messages
// arrive on. The subscription is known to the server when it returns.
func subscribe(t testing.TB, nc *nats.Conn, subject string) chan *nats.Msg {
	t.Helper()
	ch := make(chan *nats.Msg, 256)
	sub, err := nc.ChanSubscribe(subject, ch)
	if err != nil {
		t.Fatalf("subscribe %s: %v", subject, err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	return ch
}

// next returns the next message on ch.
func next(t testing.TB, ch <-chan *nats.Msg) *nats.Msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(waitTimeout):
		t.Fatalf("no message within %v", waitTimeout)
		return nil
	}
}

// listenAndServe starts s with ListenAndServe on url and waits until it
// serves: its system.reset has reached the server, after its
// subscriptions. It shuts s down when the test ends.
func listenAndServe(t testing.TB, s *res.Service, url string, opts ...nats.Option) {
	t.Helper()
	watch := rawConn(t, url)
	resets := subscribe(t, watch, "system.reset")
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe(url, opts...) }()
	select {
	case <-resets:
	case err := <-errc:
		t.Fatalf("ListenAndServe returned before serving: %v", err)
	case <-time.After(waitTimeout):
		t.Fatalf("service did not send system.reset within %v", waitTimeout)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-errc; !errors.Is(err, res.ErrServiceClosed) {
			t.Errorf("ListenAndServe returned %v, want ErrServiceClosed", err)
		}
	})
}

// request sends a request with a raw client and returns the reply payload.
func request(t testing.TB, nc *nats.Conn, subject, payload string) string {
	t.Helper()
	m, err := nc.Request(subject, []byte(payload), waitTimeout)
	if err != nil {
		t.Fatalf("request %s: %v", subject, err)
	}
	return string(m.Data)
}

// assertJSON fails unless got and want hold the same JSON value, whatever
// the key order and spacing.
func assertJSON(t testing.TB, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s = %s, not valid JSON: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// exampleService serves the resources of the RES protocol's examples.
func exampleService(t testing.TB, opts ...res.ServiceOption) *res.Service {
	logger, _ := newLogger(t)
	s := res.NewService("example", append([]res.ServiceOption{res.WithLogger(logger)}, opts...)...)
	s.Handle("user.$id",
		res.Access(func(r res.AccessRequest) { _ = r.Access(true, "set,foo,bar") }),
		res.GetModel(func(r res.ModelRequest) {
			if r.PathParam("id") != "42" {
				_ = r.NotFound()
				return
			}
			_ = r.Model(map[string]any{"id": 42, "name": "Jane Doe", "roles": res.Ref("example.user.42.roles")})
		}),
		res.Call("slow", func(r res.CallRequest) {
			_ = r.Timeout(15 * time.Second)
			_ = r.OK(nil)
		}),
		res.Call("new", func(r res.CallRequest) { _ = r.Resource("example.user.43") }),
	)
	s.Handle("user.$id.roles",
		res.Access(res.AccessGranted),
		res.GetCollection(func(r res.CollectionRequest) {
			_ = r.Collection([]string{"admin", "tester", "developer"})
		}),
	)
	s.Handle("messages",
		res.Access(res.AccessGranted),
		res.GetCollection(func(r res.CollectionRequest) {
			q := r.ParseQuery()
			_ = r.QueryCollection([]any{}, "limit="+q.Get("limit")+"&start="+q.Get("start"))
		}),
	)
	s.Handle("data", res.GetModel(func(r res.ModelRequest) {
		_ = r.Model(map[string]any{
			"page":   res.SoftRef("example.page.2"),
			"object": res.NewDataValue(map[string][]string{"foo": {"bar"}}),
			"number": res.NewDataValue(42),
		})
	}))
	s.Handle("auth", res.Auth("login", func(r res.AuthRequest) {
		_ = r.TokenEvent(map[string]any{"userid": 42, "username": "foo", "role": "admin"})
		_ = r.OK(nil)
	}))
	return s
}

// TestWireReplies sends requests with a raw client and compares the
// replies with the payloads of the RES protocol documents.
func TestWireReplies(t *testing.T) {
	srv := startNATS(t, 0)
	listenAndServe(t, exampleService(t), srv.URL())
	nc := rawConn(t, srv.URL())

	tests := []struct {
		name    string
		subject string
		payload string
		want    string
	}{
		{
			"spec model with reference", "get.example.user.42", "",
			`{"result":{"model":{"id":42,"name":"Jane Doe","roles":{"rid":"example.user.42.roles"}}}}`,
		},
		{"spec collection", "get.example.user.42.roles", "{}", `{"result":{"collection":["admin","tester","developer"]}}`},
		{
			"spec values", "get.example.data", "",
			`{"result":{"model":{"page":{"rid":"example.page.2","soft":true},"object":{"data":{"foo":["bar"]}},"number":{"data":42}}}}`,
		},
		{
			"spec query collection", "get.example.messages", `{"query":"start=0&limit=25"}`,
			`{"result":{"collection":[],"query":"limit=25&start=0"}}`,
		},
		{"not found", "get.example.user.1", "", `{"error":{"code":"system.notFound","message":"Not found"}}`},
		{"no handler", "get.example.nothing", "", `{"error":{"code":"system.notFound","message":"Not found"}}`},
		{"spec access call list", "access.example.user.42", `{"cid":"c1"}`, `{"result":{"get":true,"call":"set,foo,bar"}}`},
		{"access granted", "access.example.user.42.roles", `{"cid":"c1","token":null}`, `{"result":{"get":true,"call":"*"}}`},
		{"resource response", "call.example.user.42.new", `{"cid":"c1","params":{"name":"Jim"}}`, `{"resource":{"rid":"example.user.43"}}`},
		{"method not found", "call.example.user.42.nope", `{"cid":"c1"}`, `{"error":{"code":"system.methodNotFound","message":"Method not found"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSON(t, "reply to "+tt.subject, request(t, nc, tt.subject, tt.payload), tt.want)
		})
	}
}

// TestWirePreResponse checks the pre-response bytes: the service
// protocol's example, to the byte, before the response.
func TestWirePreResponse(t *testing.T) {
	srv := startNATS(t, 0)
	listenAndServe(t, exampleService(t), srv.URL())
	nc := rawConn(t, srv.URL())

	inbox := nats.NewInbox()
	replies := subscribe(t, nc, inbox)
	if err := nc.PublishRequest("call.example.user.42.slow", inbox, []byte(`{"cid":"c1"}`)); err != nil {
		t.Fatal(err)
	}
	if got := string(next(t, replies).Data); got != `timeout:"15000"` {
		t.Errorf("pre-response = %q, want %q", got, `timeout:"15000"`)
	}
	assertJSON(t, "response", string(next(t, replies).Data), `{"result":null}`)
}

// TestWireEvents checks the subjects and payloads of events against the
// service protocol's examples.
func TestWireEvents(t *testing.T) {
	srv := startNATS(t, 0)
	logger, _ := newLogger(t)
	s := res.NewService("example", res.WithLogger(logger))
	s.Handle("model", res.GetModel(func(r res.ModelRequest) { _ = r.Model(map[string]any{}) }))
	s.Handle("collection", res.GetCollection(func(r res.CollectionRequest) { _ = r.Collection([]any{}) }))
	listenAndServe(t, s, srv.URL())
	nc := rawConn(t, srv.URL())
	events := subscribe(t, nc, "event.>")
	conns := subscribe(t, nc, "conn.>")
	system := subscribe(t, nc, "system.>")

	tests := []struct {
		name    string
		rid     string
		emit    func(r res.Resource) error
		ch      chan *nats.Msg
		subject string
		want    string // "" for no payload
	}{
		{
			"spec change", "example.model",
			func(r res.Resource) error {
				return r.ChangeEvent(map[string]any{"myProperty": "New value", "unusedProperty": res.DeleteAction})
			},
			events, "event.example.model.change",
			`{"values":{"myProperty":"New value","unusedProperty":{"action":"delete"}}}`,
		},
		{"spec add", "example.collection", func(r res.Resource) error { return r.AddEvent("foo", 2) }, events, "event.example.collection.add", `{"value":"foo","idx":2}`},
		{"add at zero", "example.collection", func(r res.Resource) error { return r.AddEvent(res.Ref("example.model"), 0) }, events, "event.example.collection.add", `{"value":{"rid":"example.model"},"idx":0}`},
		{"spec remove", "example.collection", func(r res.Resource) error { return r.RemoveEvent(2) }, events, "event.example.collection.remove", `{"idx":2}`},
		{"reaccess", "example.model", func(r res.Resource) error { return r.ReaccessEvent() }, events, "event.example.model.reaccess", ""},
		{"create", "example.model", func(r res.Resource) error { return r.CreateEvent(map[string]any{"a": 1}) }, events, "event.example.model.create", ""},
		{"delete", "example.model", func(r res.Resource) error { return r.DeleteEvent() }, events, "event.example.model.delete", ""},
		{"custom", "example.model", func(r res.Resource) error { return r.Event("typing", map[string]any{"user": "jane"}) }, events, "event.example.model.typing", `{"user":"jane"}`},
		{"custom without payload", "example.model", func(r res.Resource) error { return r.Event("ping", nil) }, events, "event.example.model.ping", ""},
		{"reset", "example.model", func(r res.Resource) error { return r.ResetEvent() }, system, "system.reset", `{"resources":["example.model"]}`},
		{
			"spec token", "example.model",
			func(r res.Resource) error {
				return r.Service().TokenEventWithID("c1", "42", map[string]any{"userid": 42, "username": "foo", "role": "admin"})
			},
			conns, "conn.c1.token", `{"token":{"userid":42,"username":"foo","role":"admin"},"tid":"42"}`,
		},
		{"null token", "example.model", func(r res.Resource) error { return r.Service().TokenEvent("c1", nil) }, conns, "conn.c1.token", `{"token":null}`},
		{
			"spec token reset", "example.model",
			func(r res.Resource) error {
				return r.Service().TokenReset("auth.authentication.renewToken", "12", "42")
			},
			system, "system.tokenReset", `{"tids":["12","42"],"subject":"auth.authentication.renewToken"}`,
		},
		{
			"spec system reset", "example.model",
			func(r res.Resource) error {
				return r.Service().Reset([]string{"userService.users", "userService.user.*"}, []string{"userService.>"})
			},
			system, "system.reset", `{"resources":["userService.users","userService.user.*"],"access":["userService.>"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errc := make(chan error, 1)
			if err := s.With(tt.rid, func(r res.Resource) { errc <- tt.emit(r) }); err != nil {
				t.Fatalf("With(%q): %v", tt.rid, err)
			}
			if err := <-errc; err != nil {
				t.Fatalf("emit: %v", err)
			}
			m := next(t, tt.ch)
			if m.Subject != tt.subject {
				t.Fatalf("subject = %q, want %q", m.Subject, tt.subject)
			}
			if tt.want == "" {
				if len(m.Data) != 0 {
					t.Errorf("payload = %q, want none", m.Data)
				}
				return
			}
			assertJSON(t, "payload", string(m.Data), tt.want)
		})
	}
}

// TestWireAuthTokenBeforeResponse checks that a token event sent by an
// auth handler reaches the wire before the auth response, as the service
// protocol requires.
func TestWireAuthTokenBeforeResponse(t *testing.T) {
	srv := startNATS(t, 0)
	listenAndServe(t, exampleService(t), srv.URL())
	nc := rawConn(t, srv.URL())

	// One subscription for both, so that the arrival order is the order
	// the service sent them in.
	all := make(chan *nats.Msg, 16)
	inbox := nats.NewInbox()
	for _, subj := range []string{"conn.c7.token", inbox} {
		sub, err := nc.ChanSubscribe(subj, all)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nc.PublishRequest("auth.example.auth.login", inbox, []byte(`{"cid":"c7","params":{"user":"foo"}}`)); err != nil {
		t.Fatal(err)
	}
	first, second := next(t, all), next(t, all)
	if first.Subject != "conn.c7.token" || second.Subject != inbox {
		t.Fatalf("messages on %q then %q, want the token event then the response", first.Subject, second.Subject)
	}
	assertJSON(t, "token event", string(first.Data), `{"token":{"userid":42,"username":"foo","role":"admin"}}`)
	assertJSON(t, "response", string(second.Data), `{"result":null}`)
}

// TestWireQueryEvent goes through a query event the way a gateway does:
// it gets the query event, sends a query request on its subject and reads
// the events of the reply.
func TestWireQueryEvent(t *testing.T) {
	srv := startNATS(t, 0)
	logger, _ := newLogger(t)
	s := res.NewService("example", res.WithLogger(logger), res.WithQueryEventDuration(time.Minute))
	s.Handle("messages", res.GetCollection(func(r res.CollectionRequest) { _ = r.QueryCollection([]any{}, r.Query()) }))
	listenAndServe(t, s, srv.URL())
	nc := rawConn(t, srv.URL())
	events := subscribe(t, nc, "event.example.messages.>")

	queries := make(chan string, 4)
	err := s.With("example.messages", func(r res.Resource) {
		_ = r.QueryEvent(func(q res.QueryRequest) {
			if q == nil {
				return
			}
			queries <- q.Query()
			_ = q.RemoveEvent(24)
			_ = q.AddEvent("foo", 0)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	m := next(t, events)
	if m.Subject != "event.example.messages.query" {
		t.Fatalf("event subject = %q, want event.example.messages.query", m.Subject)
	}
	var qe struct {
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal(m.Data, &qe); err != nil || qe.Subject == "" {
		t.Fatalf("query event payload = %s, want {\"subject\":...}", m.Data)
	}
	got := request(t, nc, qe.Subject, `{"query":"limit=25&start=0"}`)
	assertJSON(t, "query reply", got, `{"result":{"events":[{"event":"remove","data":{"idx":24}},{"event":"add","data":{"value":"foo","idx":0}}]}}`)
	if q := <-queries; q != "limit=25&start=0" {
		t.Errorf("QueryRequest.Query() = %q, want limit=25&start=0", q)
	}
}

// recordConn is a res.Conn over a real NATS connection that records the
// subscriptions the service makes.
type recordConn struct {
	*nats.Conn
	mu   sync.Mutex
	subs []string // "subject" or "subject queue"
}

func (c *recordConn) ChanSubscribe(subj string, ch chan *nats.Msg) (*nats.Subscription, error) {
	c.mu.Lock()
	c.subs = append(c.subs, subj)
	c.mu.Unlock()
	return c.Conn.ChanSubscribe(subj, ch)
}

func (c *recordConn) ChanQueueSubscribe(subj, queue string, ch chan *nats.Msg) (*nats.Subscription, error) {
	c.mu.Lock()
	c.subs = append(c.subs, subj+" "+queue)
	c.mu.Unlock()
	return c.Conn.ChanQueueSubscribe(subj, queue, ch)
}

func (c *recordConn) subscriptions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.subs)
	slices.Sort(out)
	return out
}

// serveConn serves s over a recordConn on url and waits for its
// system.reset.
func serveConn(t testing.TB, s *res.Service, url string) *recordConn {
	t.Helper()
	rc := &recordConn{Conn: rawConn(t, url)}
	watch := rawConn(t, url)
	resets := subscribe(t, watch, "system.reset")
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(rc) }()
	select {
	case <-resets:
	case err := <-errc:
		t.Fatalf("Serve returned before serving: %v", err)
	case <-time.After(waitTimeout):
		t.Fatalf("service did not send system.reset within %v", waitTimeout)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-errc; !errors.Is(err, res.ErrServiceClosed) {
			t.Errorf("Serve returned %v, want ErrServiceClosed", err)
		}
	})
	return rc
}

// TestWireSubscriptions checks that a service subscribes to the request
// subjects of what it serves, and to nothing else: requests for other
// subjects get NATS's no-responders reply at once instead of timing out.
func TestWireSubscriptions(t *testing.T) {
	get := res.GetModel(func(r res.ModelRequest) { _ = r.Model(map[string]any{}) })
	access := res.Access(res.AccessGranted)
	tests := []struct {
		name       string
		service    string
		opts       []res.ServiceOption
		register   func(s *res.Service)
		subs       []string
		answered   []string // subjects that get a reply
		unanswered []string // subjects that get no responders
	}{
		{
			name:     "resources and access",
			service:  "library",
			register: func(s *res.Service) { s.Handle("book.$id", access, get) },
			subs: []string{
				"access.library.> library", "auth.library.> library",
				"call.library.> library", "get.library.> library",
			},
			answered:   []string{"get.library.book.1", "access.library.book.1", "call.library.book.1.x", "auth.library.book.1.x"},
			unanswered: []string{"get.other.book.1", "get.library", "access.other.x"},
		},
		{
			name:       "resources only",
			service:    "library",
			register:   func(s *res.Service) { s.Handle("book.$id", get) },
			subs:       []string{"auth.library.> library", "call.library.> library", "get.library.> library"},
			answered:   []string{"get.library.book.1"},
			unanswered: []string{"access.library.book.1"},
		},
		{
			name:       "access only",
			service:    "authz",
			register:   func(s *res.Service) { s.Handle(">", access) },
			subs:       []string{"access.authz.> authz"},
			answered:   []string{"access.authz.anything.at.all"},
			unanswered: []string{"get.authz.x", "call.authz.x.set"},
		},
		{
			name:     "root resource",
			service:  "library",
			register: func(s *res.Service) { s.Handle("", get) },
			// call.library.> covers call.library.*, a call on the root.
			subs:       []string{"auth.library.> library", "call.library.> library", "get.library library", "get.library.> library"},
			answered:   []string{"get.library"},
			unanswered: []string{"access.library"},
		},
		{
			name:       "no queue group",
			service:    "library",
			opts:       []res.ServiceOption{res.WithQueueGroup("")},
			register:   func(s *res.Service) { s.Handle("book", get) },
			subs:       []string{"auth.library.>", "call.library.>", "get.library.>"},
			answered:   []string{"get.library.book"},
			unanswered: []string{"access.library.book"},
		},
		{
			name:    "owned resources",
			service: "library",
			opts: []res.ServiceOption{res.WithOwnedResources(
				[]string{"library.book.*", "library.books"}, []string{"library.>"})},
			register: func(s *res.Service) { s.Handle("book.$id", access, get); s.Handle("books", get) },
			subs: []string{
				"access.library.> library",
				"auth.library.book.*.* library", "auth.library.books.* library",
				"call.library.book.*.* library", "call.library.books.* library",
				"get.library.book.* library", "get.library.books library",
			},
			answered:   []string{"get.library.book.1", "get.library.books", "call.library.book.1.set"},
			unanswered: []string{"get.library.shelf", "call.library.book.1.x.y"},
		},
	}
	srv := startNATS(t, 0)
	nc := rawConn(t, srv.URL())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, _ := newLogger(t)
			s := res.NewService(tt.service, append([]res.ServiceOption{res.WithLogger(logger)}, tt.opts...)...)
			tt.register(s)
			rc := serveConn(t, s, srv.URL())
			want := slices.Clone(tt.subs)
			slices.Sort(want)
			if got := rc.subscriptions(); !slices.Equal(got, want) {
				t.Errorf("subscriptions = %q, want %q", got, want)
			}
			for _, subj := range tt.answered {
				if _, err := nc.Request(subj, []byte(`{"cid":"c1"}`), waitTimeout); err != nil {
					t.Errorf("request %s: %v, want a reply", subj, err)
				}
			}
			for _, subj := range tt.unanswered {
				if _, err := nc.Request(subj, []byte(`{"cid":"c1"}`), waitTimeout); !errors.Is(err, nats.ErrNoResponders) {
					t.Errorf("request %s: error %v, want no responders", subj, err)
				}
			}
		})
	}
}

// TestWireResetOnStart checks the system.reset a service sends when it
// starts serving, which names what it owns.
func TestWireResetOnStart(t *testing.T) {
	tests := []struct {
		name     string
		opts     []res.ServiceOption
		register func(s *res.Service)
		want     string
	}{
		{
			"resources and access", nil,
			func(s *res.Service) {
				s.Handle("book.$id", res.Access(res.AccessGranted), res.GetModel(func(res.ModelRequest) {}))
			},
			`{"resources":["library.>"],"access":["library.>"]}`,
		},
		{
			"resources only", nil,
			func(s *res.Service) { s.Handle("book.$id", res.GetModel(func(res.ModelRequest) {})) },
			`{"resources":["library.>"]}`,
		},
		{
			"access only", nil,
			func(s *res.Service) { s.Handle("book.$id", res.Access(res.AccessGranted)) },
			`{"access":["library.>"]}`,
		},
		{
			"owned resources",
			[]res.ServiceOption{res.WithOwnedResources([]string{"library.books"}, []string{"library.book.*"})},
			func(s *res.Service) {
				s.Handle("books", res.Access(res.AccessGranted), res.GetCollection(func(res.CollectionRequest) {}))
			},
			`{"resources":["library.books"],"access":["library.book.*"]}`,
		},
	}
	srv := startNATS(t, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, _ := newLogger(t)
			s := res.NewService("library", append([]res.ServiceOption{res.WithLogger(logger)}, tt.opts...)...)
			tt.register(s)
			nc := rawConn(t, srv.URL())
			resets := subscribe(t, nc, "system.reset")
			listenAndServe(t, s, srv.URL())
			assertJSON(t, "system.reset", string(next(t, resets).Data), tt.want)
		})
	}
}

// gatedDialer dials NATS, but once closed it holds every dial until open
// is called, so that a test can get ready before a client reconnects.
type gatedDialer struct {
	mu   sync.Mutex
	gate chan struct{} // nil when dials pass
}

func (d *gatedDialer) close() {
	d.mu.Lock()
	d.gate = make(chan struct{})
	d.mu.Unlock()
}

func (d *gatedDialer) open() {
	d.mu.Lock()
	if d.gate != nil {
		close(d.gate)
		d.gate = nil
	}
	d.mu.Unlock()
}

func (d *gatedDialer) Dial(network, address string) (net.Conn, error) {
	d.mu.Lock()
	gate := d.gate
	d.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return net.Dial(network, address)
}

// TestWireResetAfterReconnect restarts the NATS server under a serving
// service and checks that the service sends system.reset again once it is
// back, and serves as before.
func TestWireResetAfterReconnect(t *testing.T) {
	srv, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())

	dialer := &gatedDialer{}
	defer dialer.open()
	logger, _ := newLogger(t)
	reconnected := make(chan struct{}, 1)
	s := res.NewService("library", res.WithLogger(logger), res.WithOnReconnect(func(*res.Service) { reconnected <- struct{}{} }))
	s.Handle("book.$id", res.GetModel(func(r res.ModelRequest) { _ = r.Model(map[string]any{"id": r.PathParam("id")}) }))
	listenAndServe(t, s, srv.URL(),
		nats.SetCustomDialer(dialer),
		nats.ReconnectWait(10*time.Millisecond),
		nats.ReconnectJitter(0, 0),
	)

	// Restart the server on the same port; hold the service back until a
	// fresh client listens for its reset.
	dialer.close()
	srv.Shutdown()
	srv2 := startNATS(t, port)
	nc := rawConn(t, srv2.URL())
	resets := subscribe(t, nc, "system.reset")
	dialer.open()

	assertJSON(t, "system.reset after reconnect", string(next(t, resets).Data), `{"resources":["library.>"]}`)
	select {
	case <-reconnected:
	case <-time.After(waitTimeout):
		t.Fatal("OnReconnect not called")
	}
	assertJSON(t, "reply after reconnect", request(t, nc, "get.library.book.7", ""), `{"result":{"model":{"id":"7"}}}`)
}

// TestWireQueueGroup runs two instances of a service: with the default
// queue group they share the requests, each answered once; with no queue
// group both get every request.
func TestWireQueueGroup(t *testing.T) {
	const n = 60
	tests := []struct {
		name  string
		opts  []res.ServiceOption
		total int64
	}{
		{"default group shares", nil, n},
		{"named group shares", []res.ServiceOption{res.WithQueueGroup("workers")}, n},
		{"no group duplicates", []res.ServiceOption{res.WithQueueGroup("")}, 2 * n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startNATS(t, 0)
			var counts [2]atomic.Int64
			var services [2]*res.Service
			for i := range services {
				logger, _ := newLogger(t)
				s := res.NewService("counter", append([]res.ServiceOption{res.WithLogger(logger)}, tt.opts...)...)
				s.Handle("hits", res.Call("hit", func(r res.CallRequest) {
					counts[i].Add(1)
					_ = r.OK(i)
				}))
				services[i] = s
				listenAndServe(t, s, srv.URL())
			}
			nc := rawConn(t, srv.URL())
			for range n {
				request(t, nc, "call.counter.hits.hit", `{"cid":"c1"}`)
			}
			// Without a queue group the slower instance may still be
			// handling its copies: wait for them before shutting down,
			// which drops requests not yet read from the connection.
			waitFor(t, "every request to be handled", func() bool {
				return counts[0].Load()+counts[1].Load() >= tt.total
			})
			for _, s := range services {
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				if err := s.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
				cancel()
			}
			a, b := counts[0].Load(), counts[1].Load()
			if a+b != tt.total {
				t.Errorf("handled %d + %d = %d requests, want %d", a, b, a+b, tt.total)
			}
			if a == 0 || b == 0 {
				t.Errorf("handled %d and %d requests, want both instances to get some", a, b)
			}
		})
	}
}

// TestWireShutdownWaits checks that Shutdown stops taking requests at
// once, cancels the context of the handlers in flight, and returns only
// after they have replied, and that their replies reach the requester.
func TestWireShutdownWaits(t *testing.T) {
	srv := startNATS(t, 0)
	logger, _ := newLogger(t)
	started := make(chan struct{})
	var finished, ctxDone atomic.Bool
	s := res.NewService("slow", res.WithLogger(logger))
	s.Handle("job", res.Call("run", func(r res.CallRequest) {
		close(started)
		// A handler that runs until told to stop by its context.
		select {
		case <-r.Context().Done():
			ctxDone.Store(true)
		case <-time.After(waitTimeout):
		}
		finished.Store(true)
		_ = r.OK("done")
	}))
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe(srv.URL()) }()

	nc := rawConn(t, srv.URL())
	// Wait until the service serves: a request no longer gets no
	// responders.
	inbox := nats.NewInbox()
	replies := subscribe(t, nc, inbox)
	waitFor(t, "service to serve", func() bool {
		_, err := nc.Request("get.slow.probe", nil, waitTimeout)
		return !errors.Is(err, nats.ErrNoResponders)
	})
	if err := nc.PublishRequest("call.slow.job.run", inbox, []byte(`{"cid":"c1"}`)); err != nil {
		t.Fatal(err)
	}
	<-started

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		shutdown <- s.Shutdown(ctx)
	}()
	// Shutdown unsubscribes first: new requests find no one.
	waitFor(t, "Shutdown to unsubscribe", func() bool {
		_, err := nc.Request("get.slow.probe", nil, waitTimeout)
		return errors.Is(err, nats.ErrNoResponders)
	})
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !finished.Load() {
		t.Error("Shutdown returned before the handler finished")
	}
	if !ctxDone.Load() {
		t.Error("request context not done by Shutdown")
	}
	if err := <-errc; !errors.Is(err, res.ErrServiceClosed) {
		t.Errorf("ListenAndServe returned %v, want ErrServiceClosed", err)
	}
	assertJSON(t, "reply of the handler in flight", string(next(t, replies).Data), `{"result":"done"}`)
}

// waitFor polls cond until it is true, failing the test after waitTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWireQueryEventExpires checks that the query subject is unsubscribed
// once the query event duration is over: a late query request gets NATS's
// no-responders reply.
func TestWireQueryEventExpires(t *testing.T) {
	srv := startNATS(t, 0)
	logger, _ := newLogger(t)
	s := res.NewService("example", res.WithLogger(logger), res.WithQueryEventDuration(time.Millisecond))
	s.Handle("messages", res.GetCollection(func(r res.CollectionRequest) { _ = r.Collection([]any{}) }))
	listenAndServe(t, s, srv.URL())
	nc := rawConn(t, srv.URL())
	events := subscribe(t, nc, "event.example.messages.query")

	expired := make(chan struct{})
	_ = s.With("example.messages", func(r res.Resource) {
		_ = r.QueryEvent(func(q res.QueryRequest) {
			if q == nil {
				close(expired)
			}
		})
	})
	var qe struct {
		Subject string `json:"subject"`
	}
	_ = json.Unmarshal(next(t, events).Data, &qe)
	<-expired
	waitFor(t, "query subject to be unsubscribed", func() bool {
		// A request that crosses the unsubscription on its way gets no
		// reply at all; poll with a short timeout.
		_, err := nc.Request(qe.Subject, []byte(`{"query":"a=1"}`), 200*time.Millisecond)
		return errors.Is(err, nats.ErrNoResponders)
	})
}
