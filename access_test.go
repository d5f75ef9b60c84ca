package res_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// TestAccessReplies covers every reply an access handler can give.
func TestAccessReplies(t *testing.T) {
	custom := &res.Error{Code: "test.custom", Message: "Custom error"}
	tests := []struct {
		name   string
		h      res.AccessHandler
		assert func(m *restest.Msg)
	}{
		{"predefined granted", res.AccessGranted, func(m *restest.Msg) { m.AssertAccess(true, "*") }},
		{"predefined denied", res.AccessDenied, func(m *restest.Msg) { m.AssertError(res.ErrAccessDenied) }},
		{"granted", func(r res.AccessRequest) { _ = r.AccessGranted() }, func(m *restest.Msg) { m.AssertAccess(true, "*") }},
		{"denied", func(r res.AccessRequest) { _ = r.AccessDenied() }, func(m *restest.Msg) { m.AssertError(res.ErrAccessDenied) }},
		{"get only", func(r res.AccessRequest) { _ = r.Access(true, "") }, func(m *restest.Msg) { m.AssertResult(map[string]any{"get": true}) }},
		{"spec call list", func(r res.AccessRequest) { _ = r.Access(false, "set,foo,bar") }, func(m *restest.Msg) { m.AssertResult(map[string]any{"call": "set,foo,bar"}) }},
		{"get and call", func(r res.AccessRequest) { _ = r.Access(true, "set") }, func(m *restest.Msg) { m.AssertAccess(true, "set") }},
		{"nothing is denied", func(r res.AccessRequest) { _ = r.Access(false, "") }, func(m *restest.Msg) { m.AssertError(res.ErrAccessDenied) }},
		{"not found", func(r res.AccessRequest) { _ = r.NotFound() }, func(m *restest.Msg) { m.AssertError(res.ErrNotFound) }},
		{"invalid query", func(r res.AccessRequest) { _ = r.InvalidQuery("Bad query") }, func(m *restest.Msg) {
			m.AssertError(&res.Error{Code: res.CodeInvalidQuery, Message: "Bad query"})
		}},
		{"invalid query default", func(r res.AccessRequest) { _ = r.InvalidQuery("") }, func(m *restest.Msg) { m.AssertError(res.ErrInvalidQuery) }},
		{"custom error", func(r res.AccessRequest) { _ = r.Error(custom) }, func(m *restest.Msg) { m.AssertError(custom) }},
		{"wrapped custom error", func(r res.AccessRequest) { _ = r.Error(fmt.Errorf("check: %w", custom)) }, func(m *restest.Msg) { m.AssertError(custom) }},
		{"plain error", func(r res.AccessRequest) { _ = r.Error(errors.New("db down")) }, func(m *restest.Msg) {
			m.AssertError(&res.Error{Code: res.CodeInternalError, Message: "Internal error: db down"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, _ := newSession(t, func(s *res.Service) {
				s.Handle("model", res.Access(tt.h))
			})
			tt.assert(session.Access("test.model", nil).Response())
			session.AssertNoMsg()
		})
	}
}

// TestAccessTimeout checks that Timeout sends the pre-response before the
// reply.
func TestAccessTimeout(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("model", res.Access(func(r res.AccessRequest) {
			_ = r.Timeout(42 * time.Second)
			_ = r.AccessGranted()
		}))
	})
	req := session.Access("test.model", nil)
	req.Response().AssertPreResponse(42 * time.Second).AssertRawPayload([]byte(`timeout:"42000"`))
	req.Response().AssertAccess(true, "*")
}

// TestAccessRequestFields checks what an access handler reads from the
// request.
func TestAccessRequestFields(t *testing.T) {
	type token struct {
		User string `json:"user"`
	}
	type seen struct {
		cid, rawToken, query, rname, id string
		token                           token
		parseErr                        error
		isHTTP                          bool
	}
	tests := []struct {
		name string
		rid  string
		req  *restest.Request
		want seen
	}{
		{"default", "test.user.42", nil, seen{cid: restest.DefaultCID, rname: "test.user.42", id: "42"}},
		{
			"token and query", "test.user.7?fields=name",
			&restest.Request{CID: "c1", Token: map[string]any{"user": "jane"}},
			seen{cid: "c1", rawToken: `{"user":"jane"}`, token: token{User: "jane"}, query: "fields=name", rname: "test.user.7", id: "7"},
		},
		{"http", "test.user.1", &restest.Request{CID: "c2", IsHTTP: true}, seen{cid: "c2", rname: "test.user.1", id: "1", isHTTP: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan seen, 1)
			session, _ := newSession(t, func(s *res.Service) {
				s.Handle("user.$id", res.Access(func(r res.AccessRequest) {
					var v seen
					v.cid, v.rawToken, v.query = r.CID(), string(r.RawToken()), r.Query()
					v.rname, v.id, v.isHTTP = r.ResourceName(), r.PathParam("id"), r.IsHTTP()
					v.parseErr = r.ParseToken(&v.token)
					got <- v
					_ = r.AccessGranted()
				}))
			})
			session.Access(tt.rid, tt.req).Response().AssertAccess(true, "*")
			if v := <-got; v != tt.want {
				t.Errorf("access request = %+v, want %+v", v, tt.want)
			}
		})
	}
}

// TestAccessWithoutHandler checks that an access request for a resource
// whose handler has no access handler gets no reply: another service may
// own access to it.
func TestAccessWithoutHandler(t *testing.T) {
	session, logs := newSession(t, func(s *res.Service) {
		s.Handle("model", model(map[string]any{"a": 1}))
		s.Handle("secret", res.Access(res.AccessDenied))
	})
	assertNoReply(t, session, "access.test.model", []byte(`{"cid":"c1"}`))
	// Nor for a resource with no handler at all.
	assertNoReply(t, session, "access.test.nothing", []byte(`{"cid":"c1"}`))
	session.Access("test.secret", nil).Response().AssertError(res.ErrAccessDenied)
	assertNoErrorLogged(t, logs)
}
