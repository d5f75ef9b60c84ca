package resprot_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
	"github.com/reskit/res/resprot"
)

// connect starts an embedded NATS server and returns a connection to it.
// Both are closed when the test ends.
func connect(t testing.TB) *nats.Conn {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatalf("start NATS server: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// serve answers every request on subject with the replies, in order, and
// sends each request's payload on the returned channel.
func serve(t testing.TB, nc *nats.Conn, subject string, replies ...string) <-chan []byte {
	t.Helper()
	got := make(chan []byte, 16)
	_, err := nc.Subscribe(subject, func(m *nats.Msg) {
		got <- m.Data
		for _, r := range replies {
			if err := m.Respond([]byte(r)); err != nil {
				t.Errorf("respond: %v", err)
			}
		}
	})
	if err != nil {
		t.Fatalf("subscribe %s: %v", subject, err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	return got
}

// TestSendRequestReplies covers each kind of final reply a service can
// send, as the service protocol's "Response" section describes them.
func TestSendRequestReplies(t *testing.T) {
	tests := []struct {
		name     string
		replies  []string
		code     string // error code wanted, "" for success
		result   string
		resource string
		meta     int // meta status wanted
	}{
		{name: "result", replies: []string{`{"result":{"ok":true}}`}, result: `{"ok":true}`},
		{name: "null result", replies: []string{`{"result":null}`}, result: `null`},
		{name: "resource", replies: []string{`{"resource":{"rid":"example.user.42"}}`}, resource: "example.user.42"},
		{name: "error", replies: []string{`{"error":{"code":"system.notFound","message":"Not found"}}`}, code: "system.notFound"},
		{name: "custom error", replies: []string{`{"error":{"code":"library.outOfStock","message":"Out of stock","data":{"n":0}}}`}, code: "library.outOfStock"},
		{name: "error with meta", replies: []string{`{"error":{"code":"system.accessDenied","message":"Access denied"},"meta":{"status":401}}`}, code: "system.accessDenied", meta: 401},
		{name: "result with meta", replies: []string{`{"result":null,"meta":{"status":302,"header":{"Location":["/login"]}}}`}, result: `null`, meta: 302},
		{name: "pre-response then result", replies: []string{`timeout:"15000"`, `{"result":1}`}, result: `1`},
		{name: "two pre-responses then result", replies: []string{`timeout:"5000"`, `timeout:"6000"`, `{"result":2}`}, result: `2`},
		{name: "pre-response without timeout", replies: []string{`foo:"bar"`, `{"result":3}`}, result: `3`},
		{name: "malformed JSON", replies: []string{`{"result":`}, code: "system.internalError"},
		{name: "not an object", replies: []string{`[1,2]`}, code: "system.internalError"},
		{name: "empty reply", replies: []string{``}, code: "system.internalError"},
		{name: "missing result", replies: []string{`{}`}, code: "system.internalError"},
		{name: "only meta", replies: []string{`{"meta":{"status":302}}`}, code: "system.internalError"},
		{name: "invalid resource ID", replies: []string{`{"resource":{"rid":"a..b"}}`}, code: "system.internalError"},
		{name: "error without code", replies: []string{`{"error":{"message":"oops"}}`}, code: "system.internalError"},
	}
	nc := connect(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject := "call.test." + nats.NewInbox()[len("_INBOX."):] + ".method"
			serve(t, nc, subject, tt.replies...)
			resp, err := resprot.SendRequest(context.Background(), nc, subject, nil, 5*time.Second)
			if tt.code != "" {
				var e *resprot.Error
				if !errors.As(err, &e) || e.Code != tt.code {
					t.Fatalf("SendRequest error = %v, want code %s", err, tt.code)
				}
				if resp.Error == nil || resp.Error.Code != tt.code || !resp.HasError() {
					t.Errorf("Response.Error = %+v, want code %s", resp.Error, tt.code)
				}
			} else if err != nil {
				t.Fatalf("SendRequest: %v", err)
			}
			if string(resp.Result) != tt.result {
				t.Errorf("Response.Result = %s, want %s", resp.Result, tt.result)
			}
			if resp.HasResult() != (tt.result != "") {
				t.Errorf("HasResult() = %v, want %v", resp.HasResult(), tt.result != "")
			}
			if resp.HasResource() != (tt.resource != "") || (tt.resource != "" && resp.Resource.RID != tt.resource) {
				t.Errorf("Response.Resource = %+v, want %q", resp.Resource, tt.resource)
			}
			status := 0
			if resp.Meta != nil {
				status = resp.Meta.Status
			}
			if status != tt.meta {
				t.Errorf("meta status = %d, want %d", status, tt.meta)
			}
		})
	}
}

func TestSendRequestPayload(t *testing.T) {
	tests := []struct {
		name string
		req  any
		want string
	}{
		{"nil is empty", nil, ``},
		{"raw bytes as they are", []byte(`{"query":"a=1"}`), `{"query":"a=1"}`},
		{"raw message as it is", json.RawMessage(`{"cid":"c1"}`), `{"cid":"c1"}`},
		{"request struct", resprot.Request{CID: "c1", Params: json.RawMessage(`{"a":1}`)}, `{"cid":"c1","params":{"a":1}}`},
		{"query request", resprot.QueryRequest{Query: "limit=25&start=0"}, `{"query":"limit=25&start=0"}`},
	}
	nc := connect(t)
	got := serve(t, nc, "call.test.payload", `{"result":null}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := resprot.SendRequest(context.Background(), nc, "call.test.payload", tt.req, 5*time.Second); err != nil {
				t.Fatalf("SendRequest: %v", err)
			}
			p := <-got
			if tt.want == "" {
				if len(p) != 0 {
					t.Errorf("payload = %q, want none", p)
				}
				return
			}
			assertJSON(t, p, tt.want)
		})
	}
	t.Run("unencodable", func(t *testing.T) {
		_, err := resprot.SendRequest(context.Background(), nc, "call.test.payload", make(chan int), 5*time.Second)
		if !errors.Is(err, resprot.ErrInternalError) {
			t.Errorf("SendRequest(chan) error = %v, want system.internalError", err)
		}
	})
}

func TestSendRequestNoResponders(t *testing.T) {
	nc := connect(t)
	// The timeout is long: a no-responders reply must end the request
	// well before it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := resprot.SendRequest(ctx, nc, "get.nobody.home", nil, time.Hour)
	if !errors.Is(err, resprot.ErrNotFound) || !errors.Is(resp.Error, resprot.ErrNotFound) {
		t.Errorf("SendRequest to no one = %+v, %v; want system.notFound", resp, err)
	}
}

func TestSendRequestTimeout(t *testing.T) {
	tests := []struct {
		name    string
		replies []string
	}{
		{"no reply", nil},
		{"pre-response then nothing", []string{`timeout:"50"`}},
		{"invalid pre-response then nothing", []string{`timeout:"soon"`}},
	}
	nc := connect(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject := "get.test.silent" + string(rune('a'+i))
			serve(t, nc, subject, tt.replies...)
			resp, err := resprot.SendRequest(context.Background(), nc, subject, nil, 50*time.Millisecond)
			if !errors.Is(err, resprot.ErrTimeout) || !errors.Is(resp.Error, resprot.ErrTimeout) {
				t.Errorf("SendRequest = %+v, %v; want system.timeout", resp, err)
			}
		})
	}
}

// TestSendRequestPreResponseExtends checks that a pre-response keeps the
// request alive past its first timeout.
func TestSendRequestPreResponseExtends(t *testing.T) {
	const first = 300 * time.Millisecond
	nc := connect(t)
	release := make(chan struct{})
	_, err := nc.Subscribe("call.test.slow", func(m *nats.Msg) {
		_ = m.Respond([]byte(`timeout:"60000"`))
		<-release
		_ = m.Respond([]byte(`{"result":"done"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	// Release the reply only once the first timeout is well past.
	go func() {
		<-time.After(3 * first)
		close(release)
	}()
	resp, err := resprot.SendRequest(context.Background(), nc, "call.test.slow", nil, first)
	if err != nil {
		t.Fatalf("SendRequest after pre-response: %v", err)
	}
	if string(resp.Result) != `"done"` {
		t.Errorf("result = %s, want \"done\"", resp.Result)
	}
}

func TestSendRequestContext(t *testing.T) {
	nc := connect(t)
	serve(t, nc, "get.test.never")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := resprot.SendRequest(ctx, nc, "get.test.never", nil, time.Hour)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("SendRequest with canceled context error = %v, want context.Canceled", err)
	}
}

// failConn is a Requester whose subscribe or publish fails.
type failConn struct {
	subErr, pubErr error
}

func (c failConn) PublishRequest(string, string, []byte) error { return c.pubErr }

func (c failConn) ChanSubscribe(string, chan *nats.Msg) (*nats.Subscription, error) {
	if c.subErr != nil {
		return nil, c.subErr
	}
	return &nats.Subscription{}, nil
}

func TestSendRequestConnFailure(t *testing.T) {
	tests := []struct {
		name string
		conn failConn
	}{
		{"subscribe fails", failConn{subErr: nats.ErrConnectionClosed}},
		{"publish fails", failConn{pubErr: nats.ErrConnectionClosed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := resprot.SendRequest(context.Background(), tt.conn, "get.test.model", nil, time.Hour)
			if !errors.Is(err, resprot.ErrInternalError) || !resp.HasError() {
				t.Errorf("SendRequest = %+v, %v; want system.internalError", resp, err)
			}
		})
	}
}

// preResponseTests are replies and what ParsePreResponse makes of them. The
// first row is the service protocol's example.
var preResponseTests = []struct {
	name    string
	data    string
	timeout time.Duration
	pre     bool
}{
	{"spec example", `timeout:"15000"`, 15 * time.Second, true},
	{"one millisecond", `timeout:"1"`, time.Millisecond, true},
	{"other keys around", `foo:"bar" timeout:"2000" baz:"x"`, 2 * time.Second, true},
	{"upper case first letter", `Timeout:"2000"`, 0, true},
	{"no timeout key", `foo:"bar"`, 0, true},
	{"not a number", `timeout:"soon"`, 0, true},
	{"zero", `timeout:"0"`, 0, true},
	{"negative", `timeout:"-5"`, 0, true},
	{"overflow", `timeout:"99999999999999999999"`, 0, true},
	{"too large for a duration", `timeout:"9223372036854775"`, 0, true},
	{"unquoted", `timeout:15000`, 0, true},
	{"any letter", `x`, 0, true},
	{"json object", `{"result":null}`, 0, false},
	{"leading space", ` timeout:"15000"`, 0, false},
	{"empty", ``, 0, false},
	{"number", `15000`, 0, false},
	{"quote", `"timeout"`, 0, false},
}

func TestParsePreResponse(t *testing.T) {
	for _, tt := range preResponseTests {
		t.Run(tt.name, func(t *testing.T) {
			d, pre := resprot.ParsePreResponse([]byte(tt.data))
			if d != tt.timeout || pre != tt.pre {
				t.Errorf("ParsePreResponse(%q) = %v, %v, want %v, %v", tt.data, d, pre, tt.timeout, tt.pre)
			}
		})
	}
}

func FuzzParsePreResponse(f *testing.F) {
	for _, tt := range preResponseTests {
		f.Add([]byte(tt.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, pre := resprot.ParsePreResponse(data)
		if d < 0 {
			t.Fatalf("ParsePreResponse(%q) = %v, a negative timeout", data, d)
		}
		if d > 0 && !pre {
			t.Fatalf("ParsePreResponse(%q) = %v, false: a timeout without a pre-response", data, d)
		}
		startsWithLetter := len(data) > 0 && (('a' <= data[0] && data[0] <= 'z') || ('A' <= data[0] && data[0] <= 'Z'))
		if pre != startsWithLetter {
			t.Fatalf("ParsePreResponse(%q) pre-response = %v, want %v", data, pre, startsWithLetter)
		}
		// A reply is either a pre-response or a response, never both.
		if pre {
			if _, err := resprot.ParseResponse(data); err == nil {
				t.Fatalf("ParsePreResponse(%q) and ParseResponse both accept it", data)
			}
		}
	})
}

func TestResponseParse(t *testing.T) {
	type book struct {
		Title string `json:"title"`
	}
	tests := []struct {
		name  string
		resp  string
		check func(t *testing.T, r resprot.Response)
	}{
		{"model", `{"result":{"model":{"title":"Dune"}}}`, func(t *testing.T, r resprot.Response) {
			var b book
			q, err := r.ParseModel(&b)
			if err != nil || b.Title != "Dune" || q != "" {
				t.Errorf("ParseModel = %+v, %q, %v; want Dune, no query", b, q, err)
			}
			var c []string
			if _, err := r.ParseCollection(&c); err == nil {
				t.Errorf("ParseCollection of a model: no error")
			}
		}},
		{"query model", `{"result":{"model":{"title":"Dune"},"query":"q=d"}}`, func(t *testing.T, r resprot.Response) {
			var b book
			if q, err := r.ParseModel(&b); err != nil || q != "q=d" {
				t.Errorf("ParseModel query = %q, %v; want q=d", q, err)
			}
		}},
		{"spec collection", `{"result":{"collection":["admin","tester","developer"],"query":"limit=3"}}`, func(t *testing.T, r resprot.Response) {
			var c []string
			q, err := r.ParseCollection(&c)
			if err != nil || len(c) != 3 || c[2] != "developer" || q != "limit=3" {
				t.Errorf("ParseCollection = %v, %q, %v", c, q, err)
			}
			var b book
			if _, err := r.ParseModel(&b); err == nil {
				t.Errorf("ParseModel of a collection: no error")
			}
		}},
		{"model and collection", `{"result":{"model":{},"collection":[]}}`, func(t *testing.T, r resprot.Response) {
			var v any
			if _, err := r.ParseModel(&v); err == nil {
				t.Errorf("ParseModel of model and collection: no error")
			}
		}},
		{"model of wrong shape", `{"result":{"model":{"title":42}}}`, func(t *testing.T, r resprot.Response) {
			var b book
			if _, err := r.ParseModel(&b); err == nil {
				t.Errorf("ParseModel into mismatched type: no error")
			}
		}},
		{"access", `{"result":{"get":true,"call":"set,foo,bar"}}`, func(t *testing.T, r resprot.Response) {
			a, err := r.AccessResult()
			if err != nil || !a.Get || a.Call != "set,foo,bar" {
				t.Errorf("AccessResult = %+v, %v", a, err)
			}
		}},
		{"access denied by omission", `{"result":{}}`, func(t *testing.T, r resprot.Response) {
			a, err := r.AccessResult()
			if err != nil || a.Get || a.Call != "" {
				t.Errorf("AccessResult = %+v, %v; want no access", a, err)
			}
		}},
		{"access error", `{"error":{"code":"system.accessDenied","message":"Access denied"}}`, func(t *testing.T, r resprot.Response) {
			if _, err := r.AccessResult(); !errors.Is(err, resprot.ErrAccessDenied) {
				t.Errorf("AccessResult error = %v, want system.accessDenied", err)
			}
			var v any
			if err := r.ParseResult(&v); !errors.Is(err, resprot.ErrAccessDenied) {
				t.Errorf("ParseResult error = %v, want system.accessDenied", err)
			}
		}},
		{"call result", `{"result":{"title":"Dune"}}`, func(t *testing.T, r resprot.Response) {
			var b book
			if err := r.ParseResult(&b); err != nil || b.Title != "Dune" {
				t.Errorf("ParseResult = %+v, %v", b, err)
			}
		}},
		{"resource", `{"resource":{"rid":"library.book.1"}}`, func(t *testing.T, r resprot.Response) {
			var v any
			if err := r.ParseResult(&v); err == nil {
				t.Errorf("ParseResult of a resource response: no error")
			}
			if !r.HasResource() || r.HasResult() || r.HasError() {
				t.Errorf("Has* = %v, %v, %v; want resource only", r.HasResource(), r.HasResult(), r.HasError())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := resprot.ParseResponse([]byte(tt.resp))
			if err != nil {
				t.Fatalf("ParseResponse(%s): %v", tt.resp, err)
			}
			tt.check(t, r)
		})
	}
	t.Run("no result", func(t *testing.T) {
		var v any
		if err := (resprot.Response{}).ParseResult(&v); err == nil {
			t.Errorf("ParseResult of empty response: no error")
		}
	})
}
