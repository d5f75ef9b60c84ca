package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/reskit/res/resprot"
)

// Client protocol, "Call request", "Auth request" and "New request";
// service protocol, "Call request", "Auth request", "Access request" (call).

func TestCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		params     any
		wantParams any // params in the call request; nil for absent or null
		result     any
		want       string
	}{
		{name: "object", params: js(`{"a":1}`), wantParams: js(`{"a":1}`), result: js(`{"b":2}`), want: `{"payload":{"b":2}}`},
		{name: "no params", params: nil, wantParams: nil, result: js(`"ok"`), want: `{"payload":"ok"}`},
		{name: "array params", params: js(`[1,"x"]`), wantParams: js(`[1,"x"]`), result: js(`[1,2]`), want: `{"payload":[1,2]}`},
		{name: "string params", params: js(`"foo"`), wantParams: js(`"foo"`), result: js(`42`), want: `{"payload":42}`},
		// "The result may be null", and payload "MUST NOT be omitted if rid
		// is not set".
		{name: "null result", params: nil, wantParams: nil, result: js(`null`), want: `{"payload":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			creq := c.Send(t, "call.test.model.method", tt.params)
			var cid string
			a := s.GetRequestOn(t, "access.test.model")
			cid = a.CID(t)
			a.AssertPayload(t, map[string]any{"cid": cid})
			a.RespondSuccess(accessGranted)
			r := s.GetRequestOn(t, "call.test.model.method")
			r.AssertPayload(t, map[string]any{"cid": cid, "params": tt.wantParams})
			r.RespondSuccess(tt.result)
			resp := creq.GetResponse(t).AssertResult(t, js(tt.want))
			if !strings.Contains(string(resp.raw), `"payload"`) {
				t.Fatalf("call result has no payload member: %s", resp.raw)
			}
		})
	}
}

// The access result's call member lists the methods that may be called:
// a comma-separated list, or "*" for all.
func TestCallAccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		access  any
		method  string
		allowed bool
	}{
		{name: "star", access: js(`{"call":"*"}`), method: "foo", allowed: true},
		{name: "listed", access: js(`{"call":"set,foo,bar"}`), method: "foo", allowed: true},
		{name: "listed first", access: js(`{"call":"foo,bar"}`), method: "foo", allowed: true},
		{name: "listed last", access: js(`{"get":true,"call":"set,foo"}`), method: "foo", allowed: true},
		{name: "single", access: js(`{"call":"foo"}`), method: "foo", allowed: true},
		{name: "not listed", access: js(`{"call":"set,bar"}`), method: "foo", allowed: false},
		{name: "prefix only", access: js(`{"call":"fooo"}`), method: "foo", allowed: false},
		{name: "get only", access: js(`{"get":true}`), method: "foo", allowed: false},
		{name: "empty call", access: js(`{"get":true,"call":""}`), method: "foo", allowed: false},
		{name: "nothing", access: js(`{}`), method: "foo", allowed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			creq := c.Send(t, "call.test.model."+tt.method, nil)
			s.GetRequestOn(t, "access.test.model").RespondSuccess(tt.access)
			if tt.allowed {
				s.GetRequestOn(t, "call.test.model."+tt.method).RespondSuccess(js(`"done"`))
				creq.GetResponse(t).AssertResult(t, js(`{"payload":"done"}`))
				return
			}
			creq.GetResponse(t).AssertErrorCode(t, resprot.CodeAccessDenied)
			s.AssertNoRequest(t)
		})
	}
}

// An access error is sent to the client, and no call request is made.
func TestCallAccessError(t *testing.T) {
	t.Parallel()
	custom := &resprot.Error{Code: "test.custom", Message: "Custom", Data: js(`{"x":1}`)}
	for _, e := range []*resprot.Error{resprot.ErrAccessDenied, resprot.ErrNotFound, custom} {
		t.Run(e.Code, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			creq := c.Send(t, "call.test.model.method", nil)
			s.GetRequestOn(t, "access.test.model").RespondError(e)
			creq.GetResponse(t).AssertError(t, e)
			s.AssertNoRequest(t)
		})
	}
}

// An error from the call request is passed to the client as it is.
func TestCallError(t *testing.T) {
	t.Parallel()
	custom := &resprot.Error{Code: "test.custom", Message: "Custom {x}", Data: js(`{"x":1}`)}
	for _, e := range []*resprot.Error{resprot.ErrMethodNotFound, resprot.ErrInvalidParams, resprot.ErrNotFound, resprot.ErrInternalError, custom} {
		t.Run(e.Code, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			callGranted(t, s, c, "test.model", "method", js(`{}`), errorReply(e)).AssertError(t, e)
		})
	}
}

// A token set by a connection token event is sent with later access and
// call requests of that connection only.
func TestCallWithToken(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	c2 := s.Connect(t)
	cid := authenticate(t, s, c, js(`{"user":"jane"}`), "")

	creq := c.Send(t, "call.test.model.method", js(`{"x":1}`))
	s.GetRequestOn(t, "access.test.model").
		AssertPayload(t, map[string]any{"cid": cid, "token": js(`{"user":"jane"}`)}).
		RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.model.method").
		AssertPayload(t, map[string]any{"cid": cid, "token": js(`{"user":"jane"}`), "params": js(`{"x":1}`)}).
		RespondSuccess(nil)
	creq.GetResponse(t).AssertResult(t, js(`{"payload":null}`))

	creq = c2.Send(t, "call.test.model.method", nil)
	a := s.GetRequestOn(t, "access.test.model")
	if a.CID(t) == cid {
		t.Fatalf("two connections share cid %q", cid)
	}
	a.AssertField(t, "token", nil)
	a.RespondError(resprot.ErrAccessDenied)
	creq.GetResponse(t).AssertError(t, resprot.ErrAccessDenied)
}

// authenticate makes an auth request on c whose service sends a token event
// before its response, as the protocol requires, and returns the cid.
func authenticate(t testing.TB, s *session, c *Client, token any, tid string) string {
	t.Helper()
	creq := c.Send(t, "auth.test.login", nil)
	r := s.GetRequestOn(t, "auth.test.login")
	cid := r.CID(t)
	s.TokenEvent(t, cid, token, tid)
	r.RespondSuccess(nil)
	creq.GetResponse(t).AssertResult(t, js(`{"payload":null}`))
	return cid
}

// A call on a resource ID with a query carries the query.
func TestCallWithQuery(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "call.test.model?q=foo&n=1.method", js(`{"a":1}`))
	a := s.GetRequestOn(t, "access.test.model")
	cid := a.CID(t)
	a.AssertPayload(t, map[string]any{"cid": cid, "query": "q=foo&n=1"})
	a.RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.model.method").
		AssertPayload(t, map[string]any{"cid": cid, "query": "q=foo&n=1", "params": js(`{"a":1}`)}).
		RespondSuccess(js(`true`))
	creq.GetResponse(t).AssertResult(t, js(`{"payload":true}`))
}

func TestCallConnectionIDTag(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "call.test.{cid}.method", nil)
	a := s.GetRequest(t)
	if !strings.HasPrefix(a.Subject, "access.test.") {
		t.Fatalf("request subject = %q, want access.test.<cid>", a.Subject)
	}
	cid := a.CID(t)
	a.AssertSubject(t, "access.test."+cid).RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test."+cid+".method").RespondSuccess(js(`1`))
	creq.GetResponse(t).AssertResult(t, js(`{"payload":1}`))
}

// A resource response to a call makes the client directly subscribe to
// that resource, and sends it with the result.
func TestCallResourceResponse(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "call.test.collection.create", js(`{"name":"new"}`))
	s.GetRequestOn(t, "access.test.collection").RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.collection.create").RespondResource("test.model")
	s.Serve(t, map[string]func(*Request){
		"access.test.model": result(accessGranted),
		"get.test.model":    result(model(testModel)),
	})
	creq.GetResponse(t).AssertResult(t, js(`{"rid":"test.model","models":{"test.model":`+testModel+`}}`))

	assertModelChange(t, s, c)
	// It is a direct subscription.
	c.Request(t, "unsubscribe.test.model", nil).AssertResult(t, nil)
}

// If the client may not get the resource of a resource response, the call
// still succeeds and the access error is in the resource set.
func TestCallResourceResponseAccessDenied(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.AutoRespond("get.test.model", result(model(testModel)))
	c := s.Connect(t)
	creq := c.Send(t, "call.test.collection.create", nil)
	s.GetRequestOn(t, "access.test.collection").RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.collection.create").RespondResource("test.model")
	s.GetRequestOn(t, "access.test.model").RespondError(resprot.ErrAccessDenied)
	creq.GetResponse(t).AssertResult(t, map[string]any{
		"rid":    "test.model",
		"errors": map[string]any{"test.model": resprot.ErrAccessDenied},
	})
}

// A legacy client (no version request) gets a bare call result.
func TestCallLegacyClient(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.ConnectLegacy(t)
	callGranted(t, s, c, "test.model", "method", nil, result(js(`{"foo":"bar"}`))).AssertResult(t, js(`{"foo":"bar"}`))
}

// The auth request carries the connection's HTTP context, needs no access
// request, and its result is returned like a call result.
func TestAuth(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Dial(t, http.Header{"X-Custom-Header": {"foo", "bar"}, "Cookie": {"session=abc"}})
	c.Request(t, "version", js(`{"protocol":"1.2.3"}`)).AssertResult(t, js(`{"protocol":"1.2.3"}`))

	creq := c.Send(t, "auth.test.model.login", js(`{"user":"jane","pass":"secret"}`))
	r := s.GetRequestOn(t, "auth.test.model.login")
	cid := r.CID(t)
	r.AssertField(t, "params", js(`{"user":"jane","pass":"secret"}`))
	r.AssertField(t, "token", nil)
	r.AssertField(t, "query", nil)
	hdr, ok := r.Field(t, "header").(map[string]any)
	if !ok {
		t.Fatalf("auth request has no header object: %s", r.Payload)
	}
	assertJSON(t, "header X-Custom-Header", encode(t, hdr["X-Custom-Header"]), js(`["foo","bar"]`))
	assertJSON(t, "header Cookie", encode(t, hdr["Cookie"]), js(`["session=abc"]`))
	u := s.wsURL[len("ws://"):]
	host, path := u[:strings.Index(u, "/")], u[strings.Index(u, "/"):]
	r.AssertField(t, "host", host)
	r.AssertField(t, "uri", path)
	r.AssertField(t, "remoteAddr", c.LocalAddr())
	r.RespondSuccess(js(`{"ok":true}`))
	creq.GetResponse(t).AssertResult(t, js(`{"payload":{"ok":true}}`))

	// The auth request had no access request; nothing else was sent.
	s.AssertNoRequest(t)
	_ = cid
}

func TestAuthError(t *testing.T) {
	t.Parallel()
	custom := &resprot.Error{Code: "test.badCredentials", Message: "Bad credentials"}
	for _, e := range []*resprot.Error{resprot.ErrAccessDenied, resprot.ErrInvalidParams, custom} {
		t.Run(e.Code, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			creq := c.Send(t, "auth.test.login", nil)
			s.GetRequestOn(t, "auth.test.login").RespondError(e)
			creq.GetResponse(t).AssertError(t, e)
		})
	}
}

func TestAuthLegacyClient(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.ConnectLegacy(t)
	creq := c.Send(t, "auth.test.login", nil)
	s.GetRequestOn(t, "auth.test.login").RespondSuccess(js(`"hello"`))
	creq.GetResponse(t).AssertResult(t, js(`"hello"`))
}

// "If a token event is triggered, it MUST be sent prior to sending the
// response": the token is in effect for requests made after the response.
func TestAuthTokenEvent(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "auth.test.login", js(`{"user":"jane"}`))
	r := s.GetRequestOn(t, "auth.test.login")
	cid := r.CID(t)
	s.TokenEvent(t, cid, js(`{"user":"jane"}`), "")
	r.RespondSuccess(nil)
	creq.GetResponse(t).AssertResult(t, js(`{"payload":null}`))

	creq = c.Send(t, "subscribe.test.model", nil)
	s.Serve(t, map[string]func(*Request){
		"access.test.model": func(r *Request) {
			r.AssertPayload(t, map[string]any{"cid": cid, "token": js(`{"user":"jane"}`)})
			r.RespondSuccess(accessGranted)
		},
		"get.test.model": result(model(testModel)),
	})
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))

	// A later auth request carries the token.
	creq = c.Send(t, "auth.test.logout", nil)
	s.GetRequestOn(t, "auth.test.logout").AssertField(t, "token", js(`{"user":"jane"}`)).RespondSuccess(nil)
	creq.GetResponse(t)
}

func TestAuthResourceResponse(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "auth.test.login", nil)
	s.GetRequestOn(t, "auth.test.login").RespondResource("test.model")
	s.Serve(t, map[string]func(*Request){
		"access.test.model": result(accessGranted),
		"get.test.model":    result(model(testModel)),
	})
	creq.GetResponse(t).AssertResult(t, js(`{"rid":"test.model","models":{"test.model":`+testModel+`}}`))
	c.Request(t, "unsubscribe.test.model", nil).AssertResult(t, nil)
}

func TestAuthConnectionIDTag(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "auth.test.{cid}.login", nil)
	r := s.GetRequest(t)
	cid := r.CID(t)
	r.AssertSubject(t, "auth.test."+cid+".login").RespondSuccess(nil)
	creq.GetResponse(t)
}

// Client protocol, "New request" (deprecated): new.<rid> becomes the call
// method new, and the created resource is directly subscribed.
func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply func(*Request)
	}{
		{name: "resource response", reply: resourceReply("test.model.42")},
		// The v1.1 new result: a resource reference as the result.
		{name: "legacy rid result", reply: result(js(`{"rid":"test.model.42"}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			s.AutoRespond("access.test.model.42", result(accessGranted))
			c := s.ConnectLegacy(t)
			creq := c.Send(t, "new.test.collection", js(`{"name":"x"}`))
			s.GetRequestOn(t, "access.test.collection").RespondSuccess(js(`{"call":"new"}`))
			s.GetRequestOn(t, "call.test.collection.new").AssertField(t, "params", js(`{"name":"x"}`)).Respond(tt.reply)
			s.GetRequestOn(t, "get.test.model.42").RespondSuccess(model(`{"name":"x"}`))
			creq.GetResponse(t).AssertResult(t, js(`{"rid":"test.model.42","models":{"test.model.42":{"name":"x"}}}`))
			c.Request(t, "unsubscribe.test.model.42", nil).AssertResult(t, nil)
		})
	}
}

func TestNewError(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.ConnectLegacy(t)
	creq := c.Send(t, "new.test.collection", js(`{"name":"x"}`))
	s.GetRequestOn(t, "access.test.collection").RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.collection.new").RespondError(resprot.ErrInvalidParams)
	creq.GetResponse(t).AssertError(t, resprot.ErrInvalidParams)
}

// Meta "SHOULD be ignored if isHttp is not set to true on the request": a
// WebSocket call gets its result whatever status the meta holds.
func TestCallMetaIgnoredOnWebSocket(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "call.test.model.method", nil)
	s.GetRequestOn(t, "access.test.model").AssertField(t, "isHttp", nil).
		RespondRaw([]byte(`{"result":{"get":true,"call":"*"},"meta":{"status":403}}`))
	s.GetRequestOn(t, "call.test.model.method").AssertField(t, "isHttp", nil).
		RespondRaw([]byte(`{"result":"ok","meta":{"status":404,"header":{"X-Foo":["bar"]}}}`))
	creq.GetResponse(t).AssertResult(t, js(`{"payload":"ok"}`))
}
