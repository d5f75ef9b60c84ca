package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reskit/res/gateway"
	"github.com/reskit/res/resprot"
)

// serveCall serves the access and the call request of an HTTP call of
// method on test.model, with call access granted.
func serveCall(t testing.TB, s *session, method string, call func(*Request)) {
	t.Helper()
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.model."+method).Respond(call)
}

func TestHTTPCallResults(t *testing.T) {
	custom := &resprot.Error{Code: "test.custom", Message: "Custom", Data: js(`[1]`)}
	tests := []struct {
		name     string
		method   string
		call     func(*Request)
		status   int
		body     any // JSON; nil for no body
		location string
	}{
		{"object result", "do", result(js(`{"a":1}`)), 200, js(`{"a":1}`), ""},
		{"string result", "do", result("text"), 200, "text", ""},
		{"false result", "do", result(false), 200, false, ""},
		{"null result", "do", result(nil), 204, nil, ""},
		{"resource response", "do", resourceReply("test.item.42"), 200, nil, "/api/test/item/42"},
		{"resource response with query", "do", resourceReply("test.items?from=1"), 200, nil, "/api/test/items%3Ffrom=1"},
		{"legacy new", "new", result(js(`{"rid":"test.item.7"}`)), 200, nil, "/api/test/item/7"},
		{"reference result of another method", "do", result(js(`{"rid":"test.item.7"}`)), 200, js(`{"rid":"test.item.7"}`), ""},
		{"not found", "do", errorReply(resprot.ErrNotFound), 404, resprot.ErrNotFound, ""},
		{"method not found", "do", errorReply(resprot.ErrMethodNotFound), 404, resprot.ErrMethodNotFound, ""},
		{"invalid params", "do", errorReply(resprot.ErrInvalidParams), 400, resprot.ErrInvalidParams, ""},
		{"access denied", "do", errorReply(resprot.ErrAccessDenied), 401, resprot.ErrAccessDenied, ""},
		{"internal error", "do", errorReply(resprot.ErrInternalError), 500, resprot.ErrInternalError, ""},
		{"service unavailable", "do", errorReply(resprot.ErrServiceUnavailable), 503, resprot.ErrServiceUnavailable, ""},
		{"forbidden", "do", errorReply(resprot.ErrForbidden), 403, resprot.ErrForbidden, ""},
		{"custom error", "do", errorReply(custom), 400, custom, ""},
		{"timeout", "do", (*Request).Timeout, 404, resprot.ErrTimeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t, timeoutOption(tt.name))
			p := c.start(t, "POST", "/api/test/model/"+tt.method, "", nil)
			serveCall(t, s, tt.method, tt.call)
			r := p.wait(t).assertStatus(t, tt.status).assertHeader(t, "Location", nonEmpty(tt.location)...)
			if tt.body == nil {
				r.assertNoBody(t)
				return
			}
			r.assertBody(t, tt.body)
		})
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func TestHTTPCallMalformedResponses(t *testing.T) {
	tests := []struct {
		name  string
		reply string
	}{
		{"not JSON", `{"result":`},
		{"no result", `{}`},
		{"invalid resource ID", `{"resource":{"rid":"test..x"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			p := c.start(t, "POST", "/api/test/model/do", "", nil)
			serveCall(t, s, "do", rawReply(tt.reply))
			p.wait(t).assertErrorCode(t, 500, resprot.CodeInternalError)
		})
	}
}

func TestHTTPCallParams(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		params any
	}{
		{"object", `{"x":1}`, js(`{"x":1}`)},
		{"array", `[1,"a"]`, js(`[1,"a"]`)},
		{"string", `"s"`, "s"},
		{"number", `12`, 12},
		{"null", `null`, nil},
		{"empty body", ``, nil},
		{"white space", " \n\t ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			p := c.start(t, "POST", "/api/test/model/do", tt.body, nil)
			var cid string
			s.GetRequestOn(t, "access.test.model").Respond(func(r *Request) {
				cid = r.CID(t)
				r.AssertPayload(t, map[string]any{"cid": cid, "token": nil, "isHttp": true}).RespondSuccess(js(`{"call":"do"}`))
			})
			s.GetRequestOn(t, "call.test.model.do").
				AssertPayload(t, map[string]any{"cid": cid, "params": tt.params, "token": nil, "isHttp": true}).
				AssertField(t, "isHttp", true).
				RespondSuccess(nil)
			p.wait(t).assertStatus(t, 204).assertNoBody(t)
		})
	}
}

func TestHTTPCallInvalidBody(t *testing.T) {
	tests := []string{`{`, `{"a":1}x`, `nope`, `{'a':1}`}
	for _, body := range tests {
		t.Run(body, func(t *testing.T) {
			s, c := newAPISession(t)
			c.do(t, "POST", "/api/test/model/do", body, nil).assertErrorCode(t, 400, resprot.CodeBadRequest)
			s.AssertNoRequest(t)
		})
	}
}

func TestHTTPCallQuery(t *testing.T) {
	s, c := newAPISession(t)
	p := c.start(t, "POST", "/api/test/model/do?q=1", `{"a":true}`, nil)
	s.GetRequestOn(t, "access.test.model").AssertField(t, "query", "q=1").RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.model.do").AssertField(t, "query", "q=1").AssertField(t, "params", js(`{"a":true}`)).RespondSuccess(1)
	p.wait(t).assertStatus(t, 200).assertBody(t, 1)
}

func TestHTTPCallAccess(t *testing.T) {
	tests := []struct {
		name   string
		access func(*Request)
		status int
		want   *resprot.Error // nil: the call is made
	}{
		{"all methods", result(js(`{"call":"*"}`)), 200, nil},
		{"listed method", result(js(`{"call":"other,do"}`)), 200, nil},
		{"method not listed", result(js(`{"get":true,"call":"other"}`)), 401, resprot.ErrAccessDenied},
		{"no call access", result(js(`{"get":true}`)), 401, resprot.ErrAccessDenied},
		{"access denied", errorReply(resprot.ErrAccessDenied), 401, resprot.ErrAccessDenied},
		{"access error", errorReply(resprot.ErrNotFound), 404, resprot.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			p := c.start(t, "POST", "/api/test/model/do", "", nil)
			s.GetRequestOn(t, "access.test.model").Respond(tt.access)
			if tt.want != nil {
				p.wait(t).assertError(t, tt.status, tt.want)
				s.AssertNoRequest(t)
				return
			}
			s.GetRequestOn(t, "call.test.model.do").RespondSuccess("ok")
			p.wait(t).assertStatus(t, tt.status).assertBody(t, "ok")
		})
	}
}

func TestHTTPMethodMapping(t *testing.T) {
	mapped := withConfig(func(c *gateway.Config) {
		c.PUTMethod = "set"
		c.DELETEMethod = "delete"
		c.PATCHMethod = "patch"
	})
	tests := []struct {
		name   string
		mapped bool
		method string
		call   string         // the call method; "" when no call is made
		reply  func(*Request) // the call's reply
		status int
	}{
		{"PUT not mapped", false, "PUT", "", nil, 405},
		{"DELETE not mapped", false, "DELETE", "", nil, 405},
		{"PATCH not mapped", false, "PATCH", "", nil, 405},
		{"unknown method", true, "FOO", "", nil, 405},
		{"PUT", true, "PUT", "set", result(nil), 204},
		{"DELETE", true, "DELETE", "delete", result(js(`{"deleted":true}`)), 200},
		{"PATCH", true, "PATCH", "patch", resourceReply("test.model"), 200},
		{"PUT to a method the service lacks", true, "PUT", "set", errorReply(resprot.ErrMethodNotFound), 405},
		{"DELETE to a method the service lacks", true, "DELETE", "delete", errorReply(resprot.ErrMethodNotFound), 405},
		{"PATCH with other error", true, "PATCH", "patch", errorReply(resprot.ErrNotFound), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []sessionOption
			if tt.mapped {
				opts = append(opts, mapped)
			}
			s, c := newAPISession(t, opts...)
			p := c.start(t, tt.method, "/api/test/model", `{"v":1}`, nil)
			if tt.call == "" {
				p.wait(t).assertError(t, tt.status, resprot.ErrMethodNotAllowed)
				s.AssertNoRequest(t)
				return
			}
			s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
			s.GetRequestOn(t, "call.test.model."+tt.call).AssertField(t, "params", js(`{"v":1}`)).Respond(tt.reply)
			r := p.wait(t).assertStatus(t, tt.status)
			if tt.status == 405 {
				r.assertBody(t, resprot.ErrMethodNotAllowed)
			}
		})
	}
}

func TestHTTPCallPaths(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"resource without method", "/api/test"},
		{"api root", "/api/"},
		{"trailing slash", "/api/test/model/do/"},
		{"dot in method", "/api/test/model/do.it"},
		{"invalid method", "/api/test/model/%3E"},
		{"empty segment", "/api/test//do"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			c.do(t, "POST", tt.path, "", nil).assertError(t, http.StatusNotFound, resprot.ErrNotFound)
			s.AssertNoRequest(t)
		})
	}
}

// A body larger than NATS's maximum payload could never be sent to the
// service: it is refused before any request.
func TestHTTPCallBodyTooLarge(t *testing.T) {
	s, c := newAPISession(t)
	body := `"` + strings.Repeat("x", 2<<20) + `"`
	c.do(t, "POST", "/api/test/model/do", body, nil).assertErrorCode(t, 400, resprot.CodeBadRequest)
	s.AssertNoRequest(t)
}

// A client that leaves while its request waits for a service does not
// disturb the gateway: the replies that come later are dropped, and the
// next request is served.
func TestHTTPClientLeaves(t *testing.T) {
	// The resource stays cached after the first request, for the second.
	s, c := newAPISession(t, withConfig(func(cfg *gateway.Config) { cfg.UnsubscribeDelay = time.Hour }))
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/api/test/model", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := c.hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	reqs := map[string]*Request{}
	for range 2 {
		r := s.GetRequest(t)
		reqs[r.Subject] = r
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("canceled request succeeded")
	}
	reqs["access.test.model"].RespondSuccess(accessGetOnly)
	reqs["get.test.model"].RespondSuccess(model(`{"x":1}`))

	p := c.start(t, "GET", "/api/test/model", "", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGetOnly)
	p.wait(t).assertStatus(t, 200).assertBody(t, js(`{"x":1}`))
}
