package gateway_test

// This file is the harness of the gateway's black-box conformance tests.
//
// A session is one embedded NATS server, one gateway started on a free
// loopback port, and a fake service played over real NATS: the test pulls
// each request the gateway sends (GetRequest), checks its subject and JSON
// payload, and replies by hand, or lets it time out. Clients are real
// WebSocket connections that send {id, method, params} and read responses
// and events.
//
// No assertion depends on timing. Waiting for something that must happen is
// bounded by waitTimeout, which is generous; checking that something did not
// happen uses a probe that must arrive after it (see Client.AssertNoEvent).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/reskit/res/gateway"
	"github.com/reskit/res/internal/natsembed"
	"github.com/reskit/res/resprot"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds how long a test waits for something that must happen:
// a request on NATS, a response or an event on a WebSocket. It is not an
// assertion on speed; it only keeps a broken gateway from hanging the run.
const waitTimeout = 10 * time.Second

// defaultRequestTimeout is the gateway's request timeout in a session. Tests
// of timeouts set a shorter one with withRequestTimeout.
const defaultRequestTimeout = 5 * time.Second

// js returns s as raw JSON, to write expected values as JSON text.
func js(s string) json.RawMessage { return json.RawMessage(s) }

// gatewayServer is the part of the gateway's API the tests use.
type gatewayServer interface {
	Start() error
	Addr() net.Addr
	Handler() http.Handler
	Stop(ctx context.Context) error
}

// sessionOption changes the gateway configuration of a session.
type sessionOption func(*gateway.Config)

func withRequestTimeout(d time.Duration) sessionOption {
	return func(c *gateway.Config) { c.RequestTimeout = d }
}

// session is one NATS server, one gateway and one fake service.
type session struct {
	natsURL string
	wsURL   string
	gw      gatewayServer
	*service
}

// newSession starts a NATS server, a fake service and a gateway, and stops
// them all when the test ends.
func newSession(t testing.TB, opts ...sessionOption) *session {
	t.Helper()
	return startSession(t, true, opts)
}

// newGatewaySession starts a NATS server and a gateway with no fake
// service, for tests that run a real service on NATS. Its service methods
// must not be used.
func newGatewaySession(t testing.TB, opts ...sessionOption) *session {
	t.Helper()
	return startSession(t, false, opts)
}

func startSession(t testing.TB, fake bool, opts []sessionOption) *session {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(ns.Shutdown)

	var svc *service
	if fake {
		svc = newService(t, ns.URL())
	}

	cfg := gateway.Config{
		NATSURL:        ns.URL(),
		Addr:           "127.0.0.1",
		Port:           0,
		WSPath:         "/",
		APIPath:        "/api/",
		RequestTimeout: defaultRequestTimeout,
		Logger:         testLogger(t),
		// The gateway fails client requests until it has connected to NATS;
		// give a loaded machine as long to connect as anything else.
		NATSOptions: []nats.Option{nats.Timeout(waitTimeout)},
	}
	for _, o := range opts {
		o(&cfg)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	var gw gatewayServer = g
	if err := gw.Start(); err != nil {
		t.Fatalf("gateway Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := gw.Stop(ctx); err != nil {
			t.Errorf("gateway Stop: %v", err)
		}
	})
	return &session{
		natsURL: ns.URL(),
		wsURL:   "ws://" + gw.Addr().String() + cfg.WSPath,
		gw:      gw,
		service: svc,
	}
}

// testLogger returns a logger writing to the test log until the test's
// cleanup is over, and dropping anything logged later. Set GWTEST_TRACE to
// any value to log the gateway's traffic too.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	level := slog.LevelDebug
	if os.Getenv("GWTEST_TRACE") != "" {
		level = gateway.LevelTrace
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testWriter struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// ---------------------------------------------------------------------------
// Fake service

// service plays the services over real NATS. Every request on access.>,
// get.>, call.> and auth.> (and on subjects added with Listen) is queued for
// the test to pull with GetRequest, unless an auto-responder is set for its
// subject with AutoRespond.
type service struct {
	t   testing.TB
	nc  *nats.Conn
	raw chan *nats.Msg

	done chan struct{}
	wg   sync.WaitGroup

	// mu protects the fields below. The dispatch goroutine appends to
	// queue; the test goroutine pops.
	mu     sync.Mutex
	queue  []*Request
	notify chan struct{} // signalled when queue grows
	auto   map[string]func(*Request)
	syncs  map[string]chan struct{}
	nsync  int
	subs   map[string]*nats.Subscription
}

func newService(t testing.TB, url string) *service {
	t.Helper()
	nc, err := nats.Connect(url, nats.Name("fake-service"), nats.Timeout(waitTimeout))
	if err != nil {
		t.Fatalf("service connect: %v", err)
	}
	s := &service{
		t:      t,
		nc:     nc,
		raw:    make(chan *nats.Msg, 4096),
		done:   make(chan struct{}),
		notify: make(chan struct{}, 1),
		auto:   make(map[string]func(*Request)),
		syncs:  make(map[string]chan struct{}),
		subs:   make(map[string]*nats.Subscription),
	}
	for _, subj := range []string{"access.>", "get.>", "call.>", "auth.>", "_SYNC.>"} {
		sub, err := nc.ChanSubscribe(subj, s.raw)
		if err != nil {
			nc.Close()
			t.Fatalf("service subscribe %s: %v", subj, err)
		}
		s.subs[subj] = sub
	}
	if err := nc.Flush(); err != nil {
		nc.Close()
		t.Fatalf("service flush: %v", err)
	}
	s.wg.Add(1)
	go s.dispatch()
	t.Cleanup(func() {
		close(s.done)
		s.wg.Wait()
		nc.Close()
	})
	return s
}

func (s *service) dispatch() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case m := <-s.raw:
			s.mu.Lock()
			if strings.HasPrefix(m.Subject, "_SYNC.") {
				if ch, ok := s.syncs[m.Subject]; ok {
					delete(s.syncs, m.Subject)
					close(ch)
				}
				s.mu.Unlock()
				continue
			}
			r := &Request{Subject: m.Subject, Payload: m.Data, msg: m, svc: s}
			if h, ok := s.auto[m.Subject]; ok {
				s.mu.Unlock()
				r.t = nonFatal{s.t}
				h(r)
				continue
			}
			s.queue = append(s.queue, r)
			s.mu.Unlock()
			select {
			case s.notify <- struct{}{}:
			default:
			}
		}
	}
}

// Listen queues requests sent to subject, such as the subject of a query
// event or of a system.tokenReset event.
func (s *service) Listen(t testing.TB, subject string) {
	t.Helper()
	sub, err := s.nc.ChanSubscribe(subject, s.raw)
	if err != nil {
		t.Fatalf("service subscribe %s: %v", subject, err)
	}
	if err := s.nc.Flush(); err != nil {
		t.Fatalf("service flush: %v", err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
}

// StopListening unsubscribes the service from subject, one of "access.>",
// "get.>", "call.>" and "auth.>", so that requests there have no
// responders.
func (s *service) StopListening(t testing.TB, subject string) {
	t.Helper()
	sub, ok := s.subs[subject]
	if !ok {
		t.Fatalf("service does not listen on %s", subject)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("unsubscribe %s: %v", subject, err)
	}
	if err := s.nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

// AutoRespond makes the service answer every request on subject with h
// instead of queueing it: the ones already queued, then every later one,
// so that a request the gateway sent just before the call is not left in
// the queue for the test to trip over.
func (s *service) AutoRespond(subject string, h func(*Request)) {
	s.mu.Lock()
	s.auto[subject] = h
	var queued []*Request
	kept := s.queue[:0]
	for _, r := range s.queue {
		if r.Subject == subject {
			queued = append(queued, r)
		} else {
			kept = append(kept, r)
		}
	}
	s.queue = kept
	s.mu.Unlock()
	for _, r := range queued {
		r.t = nonFatal{s.t}
		h(r)
	}
}

// GetRequest returns the next request the gateway sent, waiting for it.
func (s *service) GetRequest(t testing.TB) *Request {
	t.Helper()
	return s.getRequest(t, nil, nil)
}

// getRequest is GetRequest that gives up when abort is closed, failing
// with why.
func (s *service) getRequest(t testing.TB, abort <-chan struct{}, why func() string) *Request {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			r := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			r.t = t
			return r
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-abort:
			t.Fatalf("no request from the gateway: %s", why())
		case <-timer.C:
			t.Fatalf("no request from the gateway within %v", waitTimeout)
		}
	}
}

// GetRequestOn returns the next request, failing unless it is on subject.
func (s *service) GetRequestOn(t testing.TB, subject string) *Request {
	t.Helper()
	return s.GetRequest(t).AssertSubject(t, subject)
}

// Serve pulls requests until each subject of handlers has been served once,
// in whatever order the gateway sends them, and fails on a request for
// another subject. It suits requests a gateway may send in parallel, such as
// the access and get requests of a subscription.
func (s *service) Serve(t testing.TB, handlers map[string]func(*Request)) {
	t.Helper()
	s.serve(t, handlers, nil, nil)
}

func (s *service) serve(t testing.TB, handlers map[string]func(*Request), abort <-chan struct{}, why func() string) {
	t.Helper()
	left := make(map[string]func(*Request), len(handlers))
	for k, v := range handlers {
		left[k] = v
	}
	for len(left) > 0 {
		r := s.getRequest(t, abort, why)
		h, ok := left[r.Subject]
		if !ok {
			t.Fatalf("unexpected request on %q with payload %s; waiting for %s", r.Subject, r.Payload, subjects(left))
		}
		delete(left, r.Subject)
		h(r)
	}
}

func subjects(m map[string]func(*Request)) string {
	var s []string
	for k := range m {
		s = append(s, strconv.Quote(k))
	}
	return strings.Join(s, ", ")
}

// AssertNoRequest fails if the gateway has sent a request that was not
// pulled. Requests the gateway published before the test reached this point
// (a response or event the test waited for) are seen: a sync message sent
// after them through the same server arrives after them.
func (s *service) AssertNoRequest(t testing.TB) {
	t.Helper()
	s.sync(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) > 0 {
		var b strings.Builder
		for _, r := range s.queue {
			fmt.Fprintf(&b, "\n  %s %s", r.Subject, r.Payload)
		}
		t.Fatalf("unexpected requests from the gateway:%s", b.String())
	}
}

// sync waits until every message the NATS server had queued for the service
// before now has been dispatched.
func (s *service) sync(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	s.nsync++
	subj := "_SYNC." + strconv.Itoa(s.nsync)
	ch := make(chan struct{})
	s.syncs[subj] = ch
	s.mu.Unlock()
	if err := s.nc.Publish(subj, nil); err != nil {
		t.Fatalf("publish sync: %v", err)
	}
	if err := s.nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("sync message not received within %v", waitTimeout)
	}
}

// Publish publishes payload on subject: raw JSON as is, nil as an empty
// message, anything else encoded as JSON.
func (s *service) Publish(t testing.TB, subject string, payload any) {
	t.Helper()
	if err := s.nc.Publish(subject, encode(t, payload)); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
	if err := s.nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

// Event publishes the resource event event.<name>.<event>.
func (s *service) Event(t testing.TB, name, event string, payload any) {
	t.Helper()
	s.Publish(t, resprot.EventSubject(name, event), payload)
}

// TokenEvent publishes conn.<cid>.token with token (any JSON) and tid.
func (s *service) TokenEvent(t testing.TB, cid string, token any, tid string) {
	t.Helper()
	ev := map[string]any{"token": token}
	if tid != "" {
		ev["tid"] = tid
	}
	s.Publish(t, resprot.TokenSubject(cid), ev)
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	switch v := v.(type) {
	case nil:
		return nil
	case json.RawMessage:
		return v
	case []byte:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %v: %v", v, err)
	}
	return b
}

// Request is one request the gateway sent to the fake service.
type Request struct {
	Subject string
	Payload []byte

	t   testing.TB
	msg *nats.Msg
	svc *service
}

// AssertSubject fails unless the request is on subject.
func (r *Request) AssertSubject(t testing.TB, subject string) *Request {
	t.Helper()
	if r.Subject != subject {
		t.Fatalf("request subject = %q, want %q (payload %s)", r.Subject, subject, r.Payload)
	}
	return r
}

// AssertPayload compares the payload with want as JSON. Members that are
// null, and an isHttp that is false, count as absent on both sides, since
// the protocol lets a gateway omit them.
func (r *Request) AssertPayload(t testing.TB, want any) *Request {
	t.Helper()
	got := normalizeRequest(t, r.Payload)
	exp := normalizeRequest(t, encode(t, want))
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("payload of request %s:\n got: %s\nwant: %s", r.Subject, pretty(got), pretty(exp))
	}
	return r
}

func normalizeRequest(t testing.TB, b []byte) any {
	t.Helper()
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("request payload is not JSON: %v: %s", err, b)
	}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			if x == nil || (k == "isHttp" && x == false) {
				delete(m, k)
			}
		}
	}
	return v
}

// Field returns a member of the payload, decoded, or nil when absent.
func (r *Request) Field(t testing.TB, key string) any {
	t.Helper()
	var m map[string]any
	if len(bytes.TrimSpace(r.Payload)) > 0 {
		if err := json.Unmarshal(r.Payload, &m); err != nil {
			t.Fatalf("request payload on %s is not a JSON object: %v: %s", r.Subject, err, r.Payload)
		}
	}
	return m[key]
}

// AssertField compares one member of the payload with want as JSON; a nil
// want means the member is absent or null.
func (r *Request) AssertField(t testing.TB, key string, want any) *Request {
	t.Helper()
	got := r.Field(t, key)
	exp := decode(t, encode(t, want))
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("payload member %q of request %s:\n got: %s\nwant: %s\npayload: %s", key, r.Subject, pretty(got), pretty(exp), r.Payload)
	}
	return r
}

// CID returns the cid member of the payload, failing if it is not a
// non-empty string.
func (r *Request) CID(t testing.TB) string {
	t.Helper()
	cid, ok := r.Field(t, "cid").(string)
	if !ok || cid == "" {
		t.Fatalf("request %s has no cid: %s", r.Subject, r.Payload)
	}
	return cid
}

// RespondSuccess replies {"result": result}.
func (r *Request) RespondSuccess(result any) {
	r.respond(map[string]json.RawMessage{"result": orNull(encode(r.t, result))})
}

// RespondResource replies {"resource": {"rid": rid}}.
func (r *Request) RespondResource(rid string) {
	r.respond(map[string]any{"resource": map[string]string{"rid": rid}})
}

// RespondError replies {"error": err}.
func (r *Request) RespondError(err *resprot.Error) {
	r.respond(map[string]any{"error": err})
}

// RespondRaw replies with b as it is.
func (r *Request) RespondRaw(b []byte) {
	if err := r.msg.Respond(b); err != nil {
		r.fatalf("respond to %s: %v", r.Subject, err)
	}
	if err := r.svc.nc.Flush(); err != nil {
		r.fatalf("flush: %v", err)
	}
}

// Respond replies with h, one of the responders below.
func (r *Request) Respond(h func(*Request)) { h(r) }

// Timeout lets the request time out: it sends nothing.
func (r *Request) Timeout() {}

func (r *Request) respond(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		r.fatalf("encode response: %v", err)
	}
	r.RespondRaw(b)
}

func (r *Request) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf(format, args...)
}

// nonFatal turns Fatalf into Errorf, for code run outside the test
// goroutine (auto-responders), where FailNow must not be called.
type nonFatal struct{ testing.TB }

func (n nonFatal) Fatalf(format string, args ...any) { n.TB.Errorf(format, args...) }
func (n nonFatal) Fatal(args ...any)                 { n.TB.Error(args...) }

func orNull(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// Responders for Serve and AutoRespond.

func result(v any) func(*Request) { return func(r *Request) { r.RespondSuccess(v) } }

func errorReply(e *resprot.Error) func(*Request) { return func(r *Request) { r.RespondError(e) } }

func resourceReply(rid string) func(*Request) { return func(r *Request) { r.RespondResource(rid) } }

func rawReply(b string) func(*Request) { return func(r *Request) { r.RespondRaw([]byte(b)) } }

// model and collection build get results.
func model(m string) json.RawMessage      { return js(`{"model":` + m + `}`) }
func collection(c string) json.RawMessage { return js(`{"collection":` + c + `}`) }

var (
	accessGranted = js(`{"get":true,"call":"*"}`)
	accessGetOnly = js(`{"get":true}`)
	accessDenied  = resprot.ErrAccessDenied
)

// ---------------------------------------------------------------------------
// WebSocket client

// Client is a real WebSocket client of the gateway.
type Client struct {
	t  testing.TB
	ws *websocket.Conn
	in chan wsMessage // filled by the read goroutine, closed when it ends

	wmu    sync.Mutex // serializes writes
	nextID uint64

	// Touched by the test goroutine only.
	events    []*Event
	responses map[uint64]*Response
	orphans   []*Response // error responses with a null or absent id

	// gate is held while the client pauses reading (StopReading).
	gate   sync.Mutex
	paused bool
}

type wsMessage struct {
	data []byte
	err  error
}

// Connect opens a WebSocket connection and makes the protocol version
// request for 1.2.3, the version this gateway implements.
func (s *session) Connect(t testing.TB) *Client {
	t.Helper()
	c := s.Dial(t, nil)
	c.Request(t, "version", map[string]string{"protocol": "1.2.3"}).AssertResult(t, js(`{"protocol":"1.2.3"}`))
	return c
}

// ConnectLegacy opens a WebSocket connection with no version request, so
// the gateway must treat it as a protocol 1.1.1 client.
func (s *session) ConnectLegacy(t testing.TB) *Client {
	t.Helper()
	return s.Dial(t, nil)
}

// Dial opens a WebSocket connection with header on the upgrade request.
func (s *session) Dial(t testing.TB, header http.Header) *Client {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	ws, resp, err := d.Dial(s.wsURL, header)
	if err != nil {
		t.Fatalf("websocket dial %s: %v", s.wsURL, err)
	}
	_ = resp.Body.Close()
	c := &Client{
		t:         t,
		ws:        ws,
		in:        make(chan wsMessage, 1<<14),
		responses: make(map[uint64]*Response),
	}
	done := make(chan struct{})
	go c.read(done)
	t.Cleanup(func() {
		_ = ws.Close()
		c.ResumeReading()
		<-done
	})
	return c
}

// StopReading makes the client stop reading from its connection (after at
// most one more message), as a client that hangs would, so that the
// gateway's writes to it back up.
func (c *Client) StopReading() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.paused {
		c.paused = true
		c.gate.Lock()
	}
}

// ResumeReading undoes StopReading.
func (c *Client) ResumeReading() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.paused {
		c.paused = false
		c.gate.Unlock()
	}
}

func (c *Client) read(done chan struct{}) {
	defer close(done)
	defer close(c.in)
	for {
		c.gate.Lock()
		//lint:ignore SA2001 an empty critical section waits while reading is paused
		c.gate.Unlock()
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.in <- wsMessage{err: err}
			return
		}
		c.in <- wsMessage{data: data}
	}
}

// LocalAddr is the client's side of the connection, as the gateway sees
// its remote address.
func (c *Client) LocalAddr() string { return c.ws.LocalAddr().String() }

// Close closes the connection.
func (c *Client) Close() { _ = c.ws.Close() }

// ClientRequest is a request sent and not yet answered.
type ClientRequest struct {
	c      *Client
	id     uint64
	method string
}

// Send sends a request with params (nil leaves params out) without waiting
// for the response.
func (c *Client) Send(t testing.TB, method string, params any) *ClientRequest {
	t.Helper()
	c.wmu.Lock()
	c.nextID++
	id := c.nextID
	c.wmu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = json.RawMessage(encode(t, params))
	}
	c.WriteRaw(t, encode(t, msg))
	return &ClientRequest{c: c, id: id, method: method}
}

// WriteRaw writes b as one text frame.
func (c *Client) WriteRaw(t testing.TB, b []byte) {
	t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
}

// Request sends a request and waits for its response. Use it only when the
// gateway needs no help from the service to answer.
func (c *Client) Request(t testing.TB, method string, params any) *Response {
	t.Helper()
	return c.Send(t, method, params).GetResponse(t)
}

// GetResponse waits for the response to the request, keeping any event
// that arrives first for GetEvent.
func (r *ClientRequest) GetResponse(t testing.TB) *Response {
	t.Helper()
	c := r.c
	for {
		if resp, ok := c.responses[r.id]; ok {
			delete(c.responses, r.id)
			resp.method = r.method
			return resp
		}
		c.next(t, "response to "+r.method)
	}
}

// GetEvent waits for the next event, keeping any response that arrives
// first for GetResponse.
func (c *Client) GetEvent(t testing.TB) *Event {
	t.Helper()
	for len(c.events) == 0 {
		c.next(t, "event")
	}
	ev := c.events[0]
	c.events = c.events[1:]
	return ev
}

// GetEvents waits for n events and returns them by name, for events whose
// order the protocol leaves open.
func (c *Client) GetEvents(t testing.TB, n int) map[string]*Event {
	t.Helper()
	m := make(map[string]*Event, n)
	for i := 0; i < n; i++ {
		ev := c.GetEvent(t)
		if _, dup := m[ev.Name]; dup {
			t.Fatalf("event %s received twice among %d events", ev.Name, n)
		}
		m[ev.Name] = ev
	}
	return m
}

// next reads one message and files it as a response or an event.
func (c *Client) next(t testing.TB, waitingFor string) {
	t.Helper()
	var m wsMessage
	var ok bool
	select {
	case m, ok = <-c.in:
	case <-time.After(waitTimeout):
		t.Fatalf("no %s within %v", waitingFor, waitTimeout)
	}
	if !ok {
		t.Fatalf("connection closed while waiting for %s", waitingFor)
	}
	if m.err != nil {
		t.Fatalf("connection closed while waiting for %s: %v", waitingFor, m.err)
	}
	var msg struct {
		ID     *uint64         `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
		Event  *string         `json:"event"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(m.data, &msg); err != nil {
		t.Fatalf("gateway sent a message that is not a JSON object: %v: %s", err, m.data)
	}
	switch {
	case msg.Event != nil && msg.ID == nil:
		c.events = append(c.events, &Event{Name: *msg.Event, Data: msg.Data, raw: m.data})
	case msg.ID == nil && msg.Event == nil && msg.Error != nil:
		resp := &Response{raw: m.data, Error: &resprot.Error{}}
		if err := json.Unmarshal(msg.Error, resp.Error); err != nil {
			t.Fatalf("error object is malformed: %v: %s", err, m.data)
		}
		c.orphans = append(c.orphans, resp)
	case msg.ID != nil && msg.Event == nil:
		resp := &Response{Result: msg.Result, raw: m.data}
		if msg.Error != nil {
			resp.Error = &resprot.Error{}
			if err := json.Unmarshal(msg.Error, resp.Error); err != nil {
				t.Fatalf("error object is malformed: %v: %s", err, m.data)
			}
		}
		if _, dup := c.responses[*msg.ID]; dup {
			t.Fatalf("two responses with id %d: %s", *msg.ID, m.data)
		}
		c.responses[*msg.ID] = resp
	default:
		t.Fatalf("gateway sent a message that is neither a response nor an event: %s", m.data)
	}
}

// AssertNoEvent checks that no event was sent on this connection before
// a probe: it publishes the custom event "probe" on resource name and
// waits for it on rid, the client's resource ID of name. Since the gateway
// forwards the events of one resource in order, any event it would have
// sent on that resource before now arrives before the probe.
func (c *Client) AssertNoEvent(t testing.TB, s *session, name, rid string) {
	t.Helper()
	data := js(`{"probe":true}`)
	s.Event(t, name, "probe", data)
	ev := c.GetEvent(t)
	ev.Assert(t, rid+".probe", data)
}

// AssertNoMessage checks that the connection has received nothing that the
// test has not read, after a round trip that must come after anything the
// gateway queued for it before now (a version request needs no service).
func (c *Client) AssertNoMessage(t testing.TB) {
	t.Helper()
	c.Request(t, "version", map[string]string{"protocol": "1.2.3"})
	if len(c.events) > 0 {
		var b strings.Builder
		for _, ev := range c.events {
			fmt.Fprintf(&b, "\n  %s", ev.raw)
		}
		t.Fatalf("unexpected events:%s", b.String())
	}
	if len(c.responses) > 0 {
		for id, r := range c.responses {
			t.Errorf("unexpected response %d: %s", id, r.raw)
		}
		t.FailNow()
	}
}

// Response is a response from the gateway.
type Response struct {
	Result json.RawMessage
	Error  *resprot.Error

	method string
	raw    []byte
}

// AssertResult fails unless the response is a success whose result equals
// want as JSON. Empty models, collections and errors members of a resource
// set count as absent; a nil want accepts an absent or null result.
func (r *Response) AssertResult(t testing.TB, want any) *Response {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("response to %s is an error, want a result:\n got: %s\nwant: %s", r.method, r.raw, encode(t, want))
	}
	assertJSON(t, "result of "+r.method, r.Result, want)
	return r
}

// AssertError fails unless the response is an error equal to want (code,
// message and data).
func (r *Response) AssertError(t testing.TB, want *resprot.Error) *Response {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("response to %s is a result, want error %s:\n got: %s", r.method, encode(t, want), r.raw)
	}
	assertJSON(t, "error of "+r.method, encode(t, r.Error), want)
	return r
}

// AssertErrorCode fails unless the response is an error with code.
func (r *Response) AssertErrorCode(t testing.TB, code string) *Response {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("response to %s is a result, want error code %q:\n got: %s", r.method, code, r.raw)
	}
	if r.Error.Code != code {
		t.Fatalf("response to %s: error code = %q, want %q\n got: %s", r.method, r.Error.Code, code, r.raw)
	}
	if r.Error.Message == "" {
		t.Errorf("response to %s: error %q has no message: %s", r.method, code, r.raw)
	}
	return r
}

// Event is an event from the gateway.
type Event struct {
	Name string
	Data json.RawMessage
	raw  []byte
}

// Assert fails unless the event is name with data equal to want as JSON
// (nil accepts absent or null data).
func (e *Event) Assert(t testing.TB, name string, want any) *Event {
	t.Helper()
	e.AssertName(t, name)
	assertJSON(t, "data of event "+name, e.Data, want)
	return e
}

// AssertName fails unless the event is name.
func (e *Event) AssertName(t testing.TB, name string) *Event {
	t.Helper()
	if e.Name != name {
		t.Fatalf("event = %q, want %q\n got: %s", e.Name, name, e.raw)
	}
	return e
}

// AssertEvent waits for the next event and checks it.
func (c *Client) AssertEvent(t testing.TB, name string, want any) *Event {
	t.Helper()
	return c.GetEvent(t).Assert(t, name, want)
}

// ---------------------------------------------------------------------------
// JSON comparison

// assertJSON compares got with want as JSON values, printing both on
// failure. want may be raw JSON or any value to encode.
func assertJSON(t testing.TB, what string, got json.RawMessage, want any) {
	t.Helper()
	g := normalizeSet(decode(t, got))
	w := normalizeSet(decode(t, encode(t, want)))
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got: %s\nwant: %s", what, pretty(g), pretty(w))
	}
}

func decode(t testing.TB, b []byte) any {
	t.Helper()
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON: %v: %s", err, b)
	}
	return v
}

// normalizeSet drops the empty members of a resource set, which the
// protocol lets a gateway omit.
func normalizeSet(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, k := range []string{"models", "collections", "errors"} {
		x, present := m[k]
		if !present {
			continue
		}
		if x == nil {
			delete(m, k)
			continue
		}
		if mm, ok := x.(map[string]any); ok && len(mm) == 0 {
			delete(m, k)
		}
	}
	return m
}

func pretty(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// ---------------------------------------------------------------------------
// Common scenarios

// Fixture resources. Each is served from its own name.
const (
	testModel      = `{"name":"foo","count":42,"ok":true,"none":null}`
	testCollection = `["foo",42,true,null]`
)

// subscribe subscribes c to rid, serving access with access and every get
// in gets (resource name -> get result), and returns the response.
func subscribe(t testing.TB, s *session, c *Client, rid string, access any, gets map[string]json.RawMessage) *Response {
	t.Helper()
	replies := make(map[string]func(*Request), len(gets))
	for n, g := range gets {
		replies[n] = result(g)
	}
	return subscribeWith(t, s, c, rid, result(access), replies)
}

// subscribeWith sends subscribe.<rid> from c, answers the access request of
// rid's resource name with access and the get request of each resource name
// in gets with its responder, in whatever order the gateway sends them
// (failing on any other request), and returns c's response.
func subscribeWith(t testing.TB, s *session, c *Client, rid string, access func(*Request), gets map[string]func(*Request)) *Response {
	t.Helper()
	name, _ := resprot.SplitRID(rid)
	creq := c.Send(t, "subscribe."+rid, nil)
	h := map[string]func(*Request){"access." + name: access}
	for n, g := range gets {
		h["get."+n] = g
	}
	s.Serve(t, h)
	return creq.GetResponse(t)
}

// subscribeModel subscribes c to the model test.model and checks the
// response.
func subscribeModel(t testing.TB, s *session, c *Client) {
	t.Helper()
	subscribe(t, s, c, "test.model", accessGranted, map[string]json.RawMessage{"test.model": model(testModel)}).
		AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
}

// subscribeCollection subscribes c to the collection test.collection and
// checks the response.
func subscribeCollection(t testing.TB, s *session, c *Client) {
	t.Helper()
	subscribe(t, s, c, "test.collection", accessGranted, map[string]json.RawMessage{"test.collection": collection(testCollection)}).
		AssertResult(t, js(`{"collections":{"test.collection":`+testCollection+`}}`))
}

// testParent is the model test.parent of subscribeParent, whose child
// references test.model.
const testParent = `{"child":{"rid":"test.model"}}`

// subscribeParent subscribes c to test.parent with access granted, serving
// the get requests of test.parent (testParent) and of test.model
// (testModel), which it references, and returns once c has its response,
// without checking it.
func subscribeParent(t testing.TB, s *session, c *Client) {
	t.Helper()
	subscribe(t, s, c, "test.parent", accessGranted, map[string]json.RawMessage{
		"test.parent": model(testParent),
		"test.model":  model(testModel),
	})
}

// callGranted sends call.<rid>.<method> with params (nil leaves them out)
// from c, grants the access request for rid's resource name, then answers
// the call request with reply, failing unless the gateway sends these two
// requests next and in that order, and returns c's response.
func callGranted(t testing.TB, s *session, c *Client, rid, method string, params any, reply func(*Request)) *Response {
	t.Helper()
	name, _ := resprot.SplitRID(rid)
	creq := c.Send(t, "call."+rid+"."+method, params)
	s.GetRequestOn(t, "access."+name).RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call."+name+"."+method).Respond(reply)
	return creq.GetResponse(t)
}

// assertModelChange publishes the change event {"name":"bar"} on
// test.model and checks that c receives it as test.model.change with the
// same data, as a client subscribed to test.model, directly or through a
// reference, does while the cached name is not "bar".
func assertModelChange(t testing.TB, s *session, c *Client) {
	t.Helper()
	s.Event(t, "test.model", "change", js(`{"values":{"name":"bar"}}`))
	c.AssertEvent(t, "test.model.change", js(`{"values":{"name":"bar"}}`))
}
