package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/reskit/res/gateway"
	"github.com/reskit/res/resprot"
)

func withHeaderAuth(method string) sessionOption {
	return func(c *gateway.Config) { c.HeaderAuth = method }
}

// The header auth request carries the HTTP request's headers, and the
// token the service sets with it is used for the access check and the
// call.
func TestHTTPHeaderAuthPayloadAndToken(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   string
	}{
		{"get", "GET", "/api/test/model?q=1", ""},
		{"call", "POST", "/api/test/model/do?q=1", `{"p":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t, withHeaderAuth("test.auth.login"))
			p := c.start(t, tt.method, tt.path, tt.body, http.Header{"Authorization": {"Bearer abc"}, "Cookie": {"session=x"}})

			auth := s.GetRequestOn(t, "auth.test.auth.login")
			cid := auth.CID(t)
			header, _ := auth.Field(t, "header").(map[string]any)
			if got := header["Authorization"]; !equalJSON(got, []any{"Bearer abc"}) {
				t.Fatalf("auth header Authorization = %v; payload %s", got, auth.Payload)
			}
			if got := header["Cookie"]; !equalJSON(got, []any{"session=x"}) {
				t.Fatalf("auth header Cookie = %v; payload %s", got, auth.Payload)
			}
			host, _ := auth.Field(t, "host").(string)
			remote, _ := auth.Field(t, "remoteAddr").(string)
			if !strings.HasPrefix(host, "127.0.0.1:") || !strings.HasPrefix(remote, "127.0.0.1:") {
				t.Fatalf("auth host %q, remoteAddr %q; want loopback addresses", host, remote)
			}
			auth.AssertField(t, "uri", tt.path).AssertField(t, "isHttp", true).
				AssertField(t, "token", nil).AssertField(t, "params", nil).AssertField(t, "query", nil)

			s.TokenEvent(t, cid, map[string]string{"user": "ann"}, "")
			auth.RespondSuccess(nil)

			token := map[string]string{"user": "ann"}
			if tt.method == "GET" {
				s.Serve(t, map[string]func(*Request){
					"access.test.model": func(r *Request) {
						r.AssertPayload(t, map[string]any{"cid": cid, "token": token, "query": "q=1", "isHttp": true}).RespondSuccess(accessGetOnly)
					},
					"get.test.model": result(model(`{"x":1}`)),
				})
				p.wait(t).assertStatus(t, 200).assertBody(t, js(`{"x":1}`))
				return
			}
			s.GetRequestOn(t, "access.test.model").
				AssertPayload(t, map[string]any{"cid": cid, "token": token, "query": "q=1", "isHttp": true}).
				RespondSuccess(accessGranted)
			s.GetRequestOn(t, "call.test.model.do").
				AssertPayload(t, map[string]any{"cid": cid, "token": token, "query": "q=1", "params": js(`{"p":1}`), "isHttp": true}).
				RespondSuccess("done")
			p.wait(t).assertStatus(t, 200).assertBody(t, "done")
		})
	}
}

// An auth request that fails does not fail the HTTP request: it goes on
// without a token.
func TestHTTPHeaderAuthErrorIgnored(t *testing.T) {
	tests := []struct {
		name  string
		reply func(*Request)
	}{
		{"access denied", errorReply(resprot.ErrAccessDenied)},
		{"method not found", errorReply(resprot.ErrMethodNotFound)},
		{"malformed reply", rawReply(`{`)},
		{"resource response", resourceReply("test.user")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t, withHeaderAuth("test.auth.login"))
			p := c.start(t, "GET", "/api/test/model", "", nil)
			s.GetRequestOn(t, "auth.test.auth.login").Respond(tt.reply)
			s.Serve(t, map[string]func(*Request){
				"access.test.model": func(r *Request) { r.AssertField(t, "token", nil).RespondSuccess(accessGetOnly) },
				"get.test.model":    result(model(`{"x":1}`)),
			})
			p.wait(t).assertStatus(t, 200).assertBody(t, js(`{"x":1}`))
		})
	}
}

// Each HTTP request has its own connection ID, and a token set for one
// request is not used by another.
func TestHTTPHeaderAuthTokenPerRequest(t *testing.T) {
	s, c := newAPISession(t, withHeaderAuth("test.auth.login"))
	cids := map[string]bool{}
	for i, token := range []any{map[string]int{"id": 1}, nil} {
		p := c.start(t, "POST", "/api/test/model/do", "", nil)
		auth := s.GetRequestOn(t, "auth.test.auth.login")
		cid := auth.CID(t)
		if cids[cid] {
			t.Fatalf("request %d reuses connection ID %s", i, cid)
		}
		cids[cid] = true
		if token != nil {
			s.TokenEvent(t, cid, token, "tid1")
		}
		auth.RespondSuccess(nil)
		s.GetRequestOn(t, "access.test.model").AssertField(t, "cid", cid).AssertField(t, "token", token).RespondSuccess(accessGranted)
		s.GetRequestOn(t, "call.test.model.do").AssertField(t, "token", token).RespondSuccess(nil)
		p.wait(t).assertStatus(t, 204)
	}
}

// Requests rejected before any service is asked make no auth request.
func TestHTTPHeaderAuthNotSentForRejectedRequests(t *testing.T) {
	tests := []struct {
		name, method, path string
	}{
		{"invalid path", "GET", "/api/test.model"},
		{"method not allowed", "PUT", "/api/test/model"},
		{"options", "OPTIONS", "/api/test/model"},
		{"invalid body", "POST", "/api/test/model/do"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t, withHeaderAuth("test.auth.login"))
			c.do(t, tt.method, tt.path, "{", nil)
			s.AssertNoRequest(t)
		})
	}
}

// equalJSON reports whether a and b encode to the same JSON.
func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// With header auth, the gateway listens to the token events of all
// connections; WebSocket connections still get theirs.
func TestHTTPHeaderAuthWithWebSocketClients(t *testing.T) {
	s, c := newAPISession(t, withHeaderAuth("test.auth.login"))

	// An HTTP request makes the gateway listen to token events.
	p := c.start(t, "POST", "/api/test/model/do", "", nil)
	s.GetRequestOn(t, "auth.test.auth.login").RespondSuccess(nil)
	serveCall(t, s, "do", result(nil))
	p.wait(t).assertStatus(t, 204)

	ws := s.Connect(t)
	req := ws.Send(t, "auth.test.user.login", nil)
	auth := s.GetRequestOn(t, "auth.test.user.login")
	s.TokenEvent(t, auth.CID(t), "wstoken", "")
	auth.RespondSuccess(nil)
	req.GetResponse(t)
	req = ws.Send(t, "call.test.model.do", nil)
	s.GetRequestOn(t, "access.test.model").AssertField(t, "token", "wstoken").RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.model.do").AssertField(t, "token", "wstoken").RespondSuccess(nil)
	req.GetResponse(t)
}
