package restest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/internal/reshook"
	"github.com/reskit/res/resprot"
)

// DefaultTimeout is how long a Session waits for a reply or a message
// before it fails the test.
const DefaultTimeout = 5 * time.Second

// Session serves a service over a MockConn for the length of a test, sends
// it requests as a gateway would, and reads what it publishes.
type Session struct {
	t        testing.TB
	s        *res.Service
	conn     *MockConn
	timeout  time.Duration
	serveErr chan error
}

// SessionOption configures NewSession.
type SessionOption func(*sessionConfig)

type sessionConfig struct {
	noReset   bool
	reset     bool
	resources []string
	access    []string
	timeout   time.Duration
}

// WithReset makes NewSession assert that the service's first message is a
// system.reset for exactly these resource and access patterns, in any
// order.
func WithReset(resources, access []string) SessionOption {
	return func(c *sessionConfig) {
		c.reset = true
		c.resources = resources
		c.access = access
	}
}

// WithoutReset makes NewSession leave the service's first system.reset
// unread, for the test to read with GetMsg.
func WithoutReset() SessionOption {
	return func(c *sessionConfig) { c.noReset = true }
}

// WithTimeout sets how long the session waits for replies and messages.
// Default: DefaultTimeout.
func WithTimeout(d time.Duration) SessionOption {
	return func(c *sessionConfig) { c.timeout = d }
}

// NewSession serves s over a new MockConn and waits until it serves: by
// default it reads and checks the service's first message, a system.reset.
// When the test ends, the session shuts the service down and fails the test
// if that fails.
func NewSession(t testing.TB, s *res.Service, opts ...SessionOption) *Session {
	t.Helper()
	cfg := sessionConfig{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	sess := &Session{
		t:        t,
		s:        s,
		conn:     NewMockConn(),
		timeout:  cfg.timeout,
		serveErr: make(chan error, 1),
	}
	go func() { sess.serveErr <- s.Serve(sess.conn) }()
	t.Cleanup(sess.close)

	// The system.reset is sent once the service has subscribed.
	sess.waitMsg()
	if cfg.noReset {
		return sess
	}
	m := sess.GetMsg()
	if cfg.reset {
		m.AssertSystemReset(cfg.resources, cfg.access)
	} else {
		m.AssertSubject(resprot.SubjectSystemReset)
	}
	return sess
}

func (s *Session) close() {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.s.Shutdown(ctx); err != nil {
		s.t.Errorf("restest: service shutdown: %v", err)
	}
	select {
	case err := <-s.serveErr:
		if !errors.Is(err, res.ErrServiceClosed) {
			s.t.Errorf("restest: Serve returned %v, want res.ErrServiceClosed", err)
		}
	case <-ctx.Done():
		s.t.Errorf("restest: Serve did not return within %v of Shutdown", s.timeout)
	}
	s.conn.Close()
}

// Service returns the service under test.
func (s *Session) Service() *res.Service { return s.s }

// Conn returns the MockConn the service is served over.
func (s *Session) Conn() *MockConn { return s.conn }

// Get sends a get request for rid, which may have a query.
func (s *Session) Get(rid string) *NATSRequest {
	s.t.Helper()
	rname, query := resprot.SplitRID(rid)
	var data []byte
	if query != "" {
		data, _ = json.Marshal(Request{Query: query})
	}
	return s.Request("get."+rname, data)
}

// Call sends a call request for method on rid. A nil req sends
// DefaultCallRequest.
func (s *Session) Call(rid, method string, req *Request) *NATSRequest {
	s.t.Helper()
	if req == nil {
		req = DefaultCallRequest()
	}
	rname := s.payloadFor(rid, &req)
	return s.Request("call."+rname+"."+method, s.marshal(req))
}

// Auth sends an auth request for method on rid. A nil req sends
// DefaultAuthRequest.
func (s *Session) Auth(rid, method string, req *Request) *NATSRequest {
	s.t.Helper()
	if req == nil {
		req = DefaultAuthRequest()
	}
	rname := s.payloadFor(rid, &req)
	return s.Request("auth."+rname+"."+method, s.marshal(req))
}

// Access sends an access request for rid. A nil req sends
// DefaultAccessRequest.
func (s *Session) Access(rid string, req *Request) *NATSRequest {
	s.t.Helper()
	if req == nil {
		req = DefaultAccessRequest()
	}
	rname := s.payloadFor(rid, &req)
	return s.Request("access."+rname, s.marshal(req))
}

// QueryRequest sends a query request for query to subject, the subject of
// a query event (see Msg.AssertQueryEvent).
func (s *Session) QueryRequest(subject, query string) *NATSRequest {
	s.t.Helper()
	data, _ := json.Marshal(resprot.QueryRequest{Query: query})
	return s.Request(subject, data)
}

// Request sends a request with a raw payload on subject. It fails the
// test at once if the service has no subscription that matches subject.
func (s *Session) Request(subject string, payload []byte) *NATSRequest {
	s.t.Helper()
	ch := s.conn.Request(subject, payload)
	if ch == nil {
		s.t.Fatalf("restest: no subscription matches %s", subject)
	}
	return &NATSRequest{s: s, subject: subject, ch: ch}
}

// payloadFor returns the resource name of rid, and puts its query in a
// copy of the request.
func (s *Session) payloadFor(rid string, req **Request) string {
	rname, query := resprot.SplitRID(rid)
	if query != "" && (*req).Query == "" {
		r := **req
		r.Query = query
		*req = &r
	}
	return rname
}

func (s *Session) marshal(req *Request) []byte {
	s.t.Helper()
	data, err := json.Marshal(req)
	if err != nil {
		s.t.Fatalf("restest: encoding request: %v", err)
	}
	return data
}

// GetMsg returns the next message the service published, other than
// replies, waiting for it if needed. It fails the test if none comes.
func (s *Session) GetMsg() *Msg {
	s.t.Helper()
	s.waitMsg()
	m, _ := s.conn.NextMsg()
	m.t = s.t
	return m
}

// waitMsg waits until a message is there for GetMsg.
func (s *Session) waitMsg() {
	s.t.Helper()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	for {
		ch := s.conn.waitMsg()
		if ch == nil {
			return
		}
		select {
		case <-ch:
		case err := <-s.serveErr:
			s.serveErr <- err
			s.t.Fatalf("restest: waiting for a message: Serve returned %v", err)
		case <-timer.C:
			s.t.Fatalf("restest: no message published within %v", s.timeout)
		}
	}
}

// Flush waits until the service has handled every request sent so far and
// run everything queued on its workers (With callbacks included), so that
// anything they publish has been published.
func (s *Session) Flush() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := reshook.Flush(ctx, s.s); err != nil {
		s.t.Fatalf("restest: service still busy after %v: %v", s.timeout, err)
	}
}

// AssertNoMsg flushes the service (see Flush) and fails the test if it
// published a message that GetMsg has not returned.
func (s *Session) AssertNoMsg() {
	s.t.Helper()
	s.Flush()
	if m, ok := s.conn.NextMsg(); ok {
		s.t.Fatalf("restest: unexpected message %s: %s", m.Subject, m.Payload)
	}
}

// NATSRequest is a request sent to the service, waiting for its reply.
type NATSRequest struct {
	s       *Session
	subject string
	ch      <-chan *Msg
}

// Response returns the next message published to the request's reply
// subject (the reply, or a pre-response sent before it), waiting for it
// if needed. It fails the test if none comes.
func (r *NATSRequest) Response() *Msg {
	r.s.t.Helper()
	timer := time.NewTimer(r.s.timeout)
	defer timer.Stop()
	select {
	case m := <-r.ch:
		m.t = r.s.t
		return m
	case <-timer.C:
		r.s.t.Fatalf("restest: no response to %s within %v", r.subject, r.s.timeout)
	}
	return nil
}

// AssertNoResponse flushes the service (see Session.Flush) and fails the
// test if anything was published to the request's reply subject, as for
// an access request that the service leaves to another service.
func (r *NATSRequest) AssertNoResponse() {
	r.s.t.Helper()
	r.s.Flush()
	select {
	case m := <-r.ch:
		r.s.t.Fatalf("restest: unexpected response to %s: %s", r.subject, m.Payload)
	default:
	}
}

// Request is the payload of an access, call or auth request.
type Request struct {
	CID        string              `json:"cid,omitempty"`
	Params     any                 `json:"params,omitempty"`
	Token      any                 `json:"token,omitempty"`
	Header     map[string][]string `json:"header,omitempty"`
	Host       string              `json:"host,omitempty"`
	RemoteAddr string              `json:"remoteAddr,omitempty"`
	URI        string              `json:"uri,omitempty"`
	Query      string              `json:"query,omitempty"`
	IsHTTP     bool                `json:"isHttp,omitempty"`
}

// DefaultCID is the connection ID of the default requests.
const DefaultCID = "testcid"

// DefaultAccessRequest returns an access request from connection
// DefaultCID, with no token.
func DefaultAccessRequest() *Request { return &Request{CID: DefaultCID} }

// DefaultCallRequest returns a call request from connection DefaultCID,
// with no token and no params.
func DefaultCallRequest() *Request { return &Request{CID: DefaultCID} }

// DefaultAuthRequest returns an auth request from connection DefaultCID
// with the HTTP details of a WebSocket connection from a browser.
func DefaultAuthRequest() *Request {
	return &Request{
		CID: DefaultCID,
		Header: map[string][]string{
			"Accept-Encoding":          {"gzip, deflate, br"},
			"Accept-Language":          {"en-US,en;q=0.9"},
			"Cache-Control":            {"no-cache"},
			"Connection":               {"Upgrade"},
			"Origin":                   {"http://localhost"},
			"Pragma":                   {"no-cache"},
			"Sec-Websocket-Extensions": {"permessage-deflate; client_max_window_bits"},
			"Sec-Websocket-Key":        {"dGhlIHNhbXBsZSBub25jZQ=="},
			"Sec-Websocket-Version":    {"13"},
			"Upgrade":                  {"websocket"},
			"User-Agent":               {"restest"},
		},
		Host:       "localhost",
		RemoteAddr: "127.0.0.1:54321",
		URI:        "/",
	}
}
