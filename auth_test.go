package res_test

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// TestAuthReplies covers the replies of an auth handler.
func TestAuthReplies(t *testing.T) {
	custom := &res.Error{Code: "test.badPassword", Message: "Wrong password"}
	tests := []struct {
		name   string
		h      res.AuthHandler
		assert func(m *restest.Msg)
	}{
		{"result", func(r res.AuthRequest) { _ = r.OK(map[string]any{"user": "jane"}) }, func(m *restest.Msg) { m.AssertResult(map[string]any{"user": "jane"}) }},
		{"null result", func(r res.AuthRequest) { _ = r.OK(nil) }, func(m *restest.Msg) { m.AssertResult(nil) }},
		{"resource", func(r res.AuthRequest) { _ = r.Resource("test.user.42") }, func(m *restest.Msg) { m.AssertResource("test.user.42") }},
		{"not found", func(r res.AuthRequest) { _ = r.NotFound() }, func(m *restest.Msg) { m.AssertError(res.ErrNotFound) }},
		{"method not found", func(r res.AuthRequest) { _ = r.MethodNotFound() }, func(m *restest.Msg) { m.AssertError(res.ErrMethodNotFound) }},
		{"invalid params", func(r res.AuthRequest) { _ = r.InvalidParams("No password") }, func(m *restest.Msg) {
			m.AssertError(&res.Error{Code: res.CodeInvalidParams, Message: "No password"})
		}},
		{"invalid query", func(r res.AuthRequest) { _ = r.InvalidQuery("") }, func(m *restest.Msg) { m.AssertError(res.ErrInvalidQuery) }},
		{"custom error", func(r res.AuthRequest) { _ = r.Error(custom) }, func(m *restest.Msg) { m.AssertError(custom) }},
		{"plain error", func(r res.AuthRequest) { _ = r.Error(errors.New("ldap down")) }, func(m *restest.Msg) {
			m.AssertError(&res.Error{Code: res.CodeInternalError, Message: "Internal error: ldap down"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, _ := newSession(t, func(s *res.Service) { s.Handle("auth", res.Auth("login", tt.h)) })
			tt.assert(session.Auth("test.auth", "login", nil).Response())
			session.AssertNoMsg()
		})
	}
}

// TestAuthTokenEvent checks that a token event sent by an auth handler is
// published for the requester's connection, before the response.
func TestAuthTokenEvent(t *testing.T) {
	tests := []struct {
		name  string
		token any
		want  any
	}{
		{"spec token", map[string]any{"userid": 42, "username": "foo", "role": "admin"}, map[string]any{"userid": 42, "username": "foo", "role": "admin"}},
		{"nil clears", nil, nil},
		{"string", "secret", "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, _ := newSession(t, func(s *res.Service) {
				s.Handle("auth", res.Auth("login", func(r res.AuthRequest) {
					_ = r.TokenEvent(tt.token)
					_ = r.OK(nil)
				}))
			})
			req := session.Auth("test.auth", "login", &restest.Request{CID: "c42"})
			// The token event is published before the reply is, so it is
			// there once the reply is.
			req.Response().AssertResult(nil)
			session.GetMsg().AssertTokenEvent("c42", tt.want)
			session.AssertNoMsg()
		})
	}
}

// TestAuthRequestFields checks the HTTP details an auth handler reads.
func TestAuthRequestFields(t *testing.T) {
	type seen struct {
		header                    http.Header
		host, remoteAddr, uri     string
		cid, method, params, name string
	}
	got := make(chan seen, 1)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("auth", res.Auth("*", func(r res.AuthRequest) {
			got <- seen{r.Header(), r.Host(), r.RemoteAddr(), r.URI(), r.CID(), r.Method(), string(r.RawParams()), r.ResourceName()}
			_ = r.OK(nil)
		}))
	})

	t.Run("default browser request", func(t *testing.T) {
		def := restest.DefaultAuthRequest()
		session.Auth("test.auth", "login", nil).Response().AssertResult(nil)
		v := <-got
		if !reflect.DeepEqual(map[string][]string(v.header), def.Header) {
			t.Errorf("Header() = %v, want %v", v.header, def.Header)
		}
		if v.host != def.Host || v.remoteAddr != def.RemoteAddr || v.uri != def.URI || v.cid != def.CID {
			t.Errorf("Host, RemoteAddr, URI, CID = %q, %q, %q, %q; want %q, %q, %q, %q",
				v.host, v.remoteAddr, v.uri, v.cid, def.Host, def.RemoteAddr, def.URI, def.CID)
		}
		if v.method != "login" || v.name != "test.auth" || v.params != "" {
			t.Errorf("Method, ResourceName, RawParams = %q, %q, %q", v.method, v.name, v.params)
		}
		if v.header.Get("Upgrade") != "websocket" {
			t.Errorf("Header().Get(Upgrade) = %q, want websocket", v.header.Get("Upgrade"))
		}
	})
	t.Run("wildcard method with params", func(t *testing.T) {
		req := &restest.Request{CID: "c1", Params: map[string]any{"password": "x"}, Header: map[string][]string{"Cookie": {"a=1", "b=2"}}}
		session.Auth("test.auth", "renewToken", req).Response().AssertResult(nil)
		v := <-got
		if v.method != "renewToken" || v.params != `{"password":"x"}` || len(v.header.Values("Cookie")) != 2 {
			t.Errorf("auth request = %+v", v)
		}
		if v.host != "" || v.remoteAddr != "" || v.uri != "" {
			t.Errorf("absent Host, RemoteAddr, URI = %q, %q, %q, want empty", v.host, v.remoteAddr, v.uri)
		}
	})
}

// TestAuthMethods checks method dispatch for auth requests, and that call
// and auth handlers do not serve each other's requests.
func TestAuthMethods(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("a", res.Auth("login", func(r res.AuthRequest) { _ = r.OK("login") }), res.Call("login", func(r res.CallRequest) { _ = r.OK("call") }))
		s.Handle("b", res.Auth("*", func(r res.AuthRequest) { _ = r.OK("any:" + r.Method()) }))
	})
	session.Auth("test.a", "login", nil).Response().AssertResult("login")
	session.Call("test.a", "login", nil).Response().AssertResult("call")
	session.Auth("test.a", "logout", nil).Response().AssertError(res.ErrMethodNotFound)
	session.Auth("test.b", "logout", nil).Response().AssertResult("any:logout")
	session.Call("test.b", "logout", nil).Response().AssertError(res.ErrMethodNotFound)
	session.Auth("test.c", "login", nil).Response().AssertError(res.ErrNotFound)
}
