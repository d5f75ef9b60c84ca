package gateway_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/reskit/res/resprot"
)

// metaReply replies with body, the members of a response without the
// braces ("result":..., "error":... or "resource":...), and meta.
func metaReply(body, meta string) func(*Request) {
	return rawReply(`{` + body + `,"meta":` + meta + `}`)
}

// TestHTTPMetaOnCall covers the meta of a call's reply to an HTTP POST.
func TestHTTPMetaOnCall(t *testing.T) {
	custom := &resprot.Error{Code: "test.custom", Message: "Custom"}
	tests := []struct {
		name     string
		reply    func(*Request)
		status   int
		body     any // nil: no body
		location string
		headers  map[string][]string // other headers to check
	}{
		{
			name:    "header",
			reply:   metaReply(`"result":{"a":1}`, `{"header":{"X-Foo":["bar"],"x-lower":["v1","v2"]}}`),
			status:  200,
			body:    js(`{"a":1}`),
			headers: map[string][]string{"X-Foo": {"bar"}, "X-Lower": {"v1", "v2"}},
		},
		{
			name:    "header on no content",
			reply:   metaReply(`"result":null`, `{"header":{"X-Foo":["bar"]}}`),
			status:  204,
			headers: map[string][]string{"X-Foo": {"bar"}},
		},
		{
			name:    "header on error",
			reply:   metaReply(`"error":{"code":"system.notFound","message":"Not found"}`, `{"header":{"X-Foo":["bar"]}}`),
			status:  404,
			body:    resprot.ErrNotFound,
			headers: map[string][]string{"X-Foo": {"bar"}},
		},
		{
			name:   "protected headers are not set",
			reply:  metaReply(`"result":1`, `{"header":{"Content-Type":["text/plain"],"Access-Control-Allow-Origin":["https://evil.example"],"Access-Control-Allow-Credentials":["true"]}}`),
			status: 200,
			body:   1,
			headers: map[string][]string{
				"Content-Type":                     {"application/json; charset=utf-8"},
				"Access-Control-Allow-Origin":      {"*"},
				"Access-Control-Allow-Credentials": nil,
			},
		},
		{
			name:     "redirect",
			reply:    metaReply(`"result":1`, `{"status":302,"header":{"Location":["/elsewhere"]}}`),
			status:   302,
			location: "/elsewhere",
		},
		{
			name:     "redirect to the resource",
			reply:    metaReply(`"resource":{"rid":"test.item.1"}`, `{"status":303}`),
			status:   303,
			location: "/api/test/item/1",
		},
		{
			name:     "redirect header wins over resource",
			reply:    metaReply(`"resource":{"rid":"test.item.1"}`, `{"status":307,"header":{"Location":["/x"]}}`),
			status:   307,
			location: "/x",
		},
		{
			name:   "error status with error",
			reply:  metaReply(`"error":{"code":"test.custom","message":"Custom"}`, `{"status":409}`),
			status: 409,
			body:   custom,
		},
		{
			name:   "error status with result",
			reply:  metaReply(`"result":{"a":1}`, `{"status":404}`),
			status: 404,
			body:   resprot.ErrNotFound,
		},
		{
			name:    "error status with header",
			reply:   metaReply(`"result":1`, `{"status":401,"header":{"Www-Authenticate":["Basic"]}}`),
			status:  401,
			body:    resprot.ErrAccessDenied,
			headers: map[string][]string{"Www-Authenticate": {"Basic"}},
		},
		{
			name:   "status below 300 is ignored",
			reply:  metaReply(`"result":{"a":1}`, `{"status":201}`),
			status: 200,
			body:   js(`{"a":1}`),
		},
		{
			name:   "status above 599 is ignored",
			reply:  metaReply(`"result":null`, `{"status":600}`),
			status: 204,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			p := c.start(t, "POST", "/api/test/model/do", "", nil)
			serveCall(t, s, "do", tt.reply)
			r := p.wait(t).assertStatus(t, tt.status).assertHeader(t, "Location", nonEmpty(tt.location)...)
			if tt.body == nil {
				r.assertNoBody(t)
			} else {
				r.assertBody(t, tt.body)
			}
			for k, v := range tt.headers {
				r.assertHeader(t, k, v...)
			}
		})
	}
}

// TestHTTPMetaStatusErrors covers the errors that stand for an error
// status when the service gives none.
func TestHTTPMetaStatusErrors(t *testing.T) {
	tests := []struct {
		status int
		want   *resprot.Error
	}{
		{400, resprot.ErrBadRequest},
		{401, resprot.ErrAccessDenied},
		{402, resprot.ErrAccessDenied},
		{403, resprot.ErrForbidden},
		{404, resprot.ErrNotFound},
		{405, resprot.ErrMethodNotAllowed},
		{407, resprot.ErrAccessDenied},
		{408, resprot.ErrTimeout},
		{410, resprot.ErrNotFound},
		{418, resprot.ErrBadRequest},
		{451, resprot.ErrForbidden},
		{500, resprot.ErrInternalError},
		{501, resprot.ErrNotImplemented},
		{502, resprot.ErrInternalError},
		{503, resprot.ErrServiceUnavailable},
		{504, resprot.ErrTimeout},
		{599, resprot.ErrInternalError},
	}
	s, c := newAPISession(t)
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			p := c.start(t, "POST", "/api/test/model/do", "", nil)
			serveCall(t, s, "do", metaReply(`"result":null`, `{"status":`+strconv.Itoa(tt.status)+`}`))
			p.wait(t).assertError(t, tt.status, tt.want)
		})
	}
}

// TestHTTPMetaOnAccess covers the meta of an access reply: a status ends
// the request before the get or call, headers add to the response.
func TestHTTPMetaOnAccess(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		access   func(*Request)
		status   int
		body     any
		location string
		header   string // value of X-Foo
	}{
		{"redirect on get", "GET", metaReply(`"result":{"get":true}`, `{"status":302,"header":{"Location":["/login"]}}`), 302, nil, "/login", ""},
		{"redirect on call", "POST", metaReply(`"result":{"call":"*"}`, `{"status":302,"header":{"Location":["/login"]}}`), 302, nil, "/login", ""},
		{"error status", "POST", metaReply(`"result":{"call":"*"}`, `{"status":403}`), 403, resprot.ErrForbidden, "", ""},
		{"error status with error", "GET", metaReply(`"error":{"code":"system.accessDenied","message":"Access denied"}`, `{"status":403}`), 403, resprot.ErrAccessDenied, "", ""},
		{"header on denial", "POST", metaReply(`"error":{"code":"system.accessDenied","message":"Access denied"}`, `{"header":{"X-Foo":["a"]}}`), 401, resprot.ErrAccessDenied, "", "a"},
		{"header on success", "GET", metaReply(`"result":{"get":true}`, `{"header":{"X-Foo":["a"]}}`), 200, js(`{"x":1}`), "", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			path := "/api/test/model"
			if tt.method == "POST" {
				path += "/do"
			}
			p := c.start(t, tt.method, path, "", nil)
			if tt.method == "GET" {
				// The get request goes out with the access request.
				s.Serve(t, map[string]func(*Request){"access.test.model": tt.access, "get.test.model": result(model(`{"x":1}`))})
			} else {
				s.GetRequestOn(t, "access.test.model").Respond(tt.access)
				if tt.status == 200 {
					s.GetRequestOn(t, "call.test.model.do").RespondSuccess(js(`{"x":1}`))
				}
			}
			r := p.wait(t).assertStatus(t, tt.status).assertHeader(t, "Location", nonEmpty(tt.location)...).assertHeader(t, "X-Foo", nonEmpty(tt.header)...)
			if tt.body == nil {
				r.assertNoBody(t)
			} else {
				r.assertBody(t, tt.body)
			}
			s.AssertNoRequest(t)
		})
	}
}

// TestHTTPMetaOnHeaderAuth covers the meta of the header auth reply and
// the order in which the headers of auth, access and call merge.
func TestHTTPMetaOnHeaderAuth(t *testing.T) {
	t.Run("redirect", func(t *testing.T) {
		s, c := newAPISession(t, withHeaderAuth("test.auth.login"))
		p := c.start(t, "GET", "/api/test/model", "", nil)
		s.GetRequestOn(t, "auth.test.auth.login").Respond(metaReply(`"result":null`, `{"status":307,"header":{"Location":["/sso"],"Set-Cookie":["a=1"]}}`))
		p.wait(t).assertStatus(t, 307).assertNoBody(t).assertHeader(t, "Location", "/sso").assertHeader(t, "Set-Cookie", "a=1")
		s.AssertNoRequest(t)
	})
	t.Run("redirect to the resource", func(t *testing.T) {
		s, c := newAPISession(t, withHeaderAuth("test.auth.login"))
		p := c.start(t, "POST", "/api/test/model/do", "", nil)
		s.GetRequestOn(t, "auth.test.auth.login").Respond(metaReply(`"resource":{"rid":"test.user.1"}`, `{"status":302}`))
		p.wait(t).assertStatus(t, 302).assertHeader(t, "Location", "/api/test/user/1")
		s.AssertNoRequest(t)
	})
	t.Run("error status", func(t *testing.T) {
		s, c := newAPISession(t, withHeaderAuth("test.auth.login"))
		p := c.start(t, "POST", "/api/test/model/do", "", nil)
		s.GetRequestOn(t, "auth.test.auth.login").Respond(metaReply(`"error":{"code":"system.accessDenied","message":"Bad token"}`, `{"status":401}`))
		p.wait(t).assertError(t, 401, &resprot.Error{Code: "system.accessDenied", Message: "Bad token"})
		s.AssertNoRequest(t)
	})
	t.Run("headers merge", func(t *testing.T) {
		s, c := newAPISession(t, withHeaderAuth("test.auth.login"))
		p := c.start(t, "POST", "/api/test/model/do", "", nil)
		s.GetRequestOn(t, "auth.test.auth.login").Respond(metaReply(`"result":null`,
			`{"header":{"X-A":["auth"],"X-B":["auth"],"X-C":["auth"],"Set-Cookie":["a=1"]}}`))
		s.GetRequestOn(t, "access.test.model").Respond(metaReply(`"result":{"call":"*"}`,
			`{"header":{"X-B":["access"],"X-C":["access"],"Set-Cookie":["b=2"]}}`))
		s.GetRequestOn(t, "call.test.model.do").Respond(metaReply(`"result":true`,
			`{"header":{"X-C":["call"],"set-cookie":["c=3","d=4"]}}`))
		p.wait(t).assertStatus(t, 200).assertBody(t, true).
			assertHeader(t, "X-A", "auth").
			assertHeader(t, "X-B", "access").
			assertHeader(t, "X-C", "call").
			assertHeader(t, "Set-Cookie", "a=1", "b=2", "c=3", "d=4")
	})
}

// The meta of a reply to a WebSocket client's request is not used.
func TestHTTPMetaIgnoredOverWebSocket(t *testing.T) {
	s, _ := newAPISession(t)
	ws := s.Connect(t)
	req := ws.Send(t, "call.test.model.do", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.model.do").AssertField(t, "isHttp", nil).Respond(metaReply(`"result":1`, `{"status":302}`))
	req.GetResponse(t).AssertResult(t, json.RawMessage(`{"payload":1}`))
}
