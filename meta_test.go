package res_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// metaRequest is what access, call and auth requests share for meta.
type metaRequest interface {
	SetResponseStatus(code int) error
	ResponseHeader() http.Header
	OK(result any) error
	Resource(rid string) error
	Error(err error) error
}

// TestMeta covers the meta object (RES protocol 1.2.3): status and header
// sent with success, resource and error replies to HTTP requests.
func TestMeta(t *testing.T) {
	type kind struct {
		name string
		send func(session *restest.Session, req *restest.Request) *restest.Msg
	}
	kinds := []kind{
		{"call", func(s *restest.Session, req *restest.Request) *restest.Msg {
			return s.Call("test.x", "do", req).Response()
		}},
		{"auth", func(s *restest.Session, req *restest.Request) *restest.Msg {
			return s.Auth("test.x", "do", req).Response()
		}},
	}
	replies := []struct {
		name   string
		status int
		header http.Header
		reply  func(r metaRequest)
		assert func(m *restest.Msg)
	}{
		{"redirect with result", 302, http.Header{"Location": {"/login"}}, func(r metaRequest) { _ = r.OK(nil) }, func(m *restest.Msg) { m.AssertResult(nil) }},
		{"cookies with resource", 0, http.Header{"Set-Cookie": {"a=1", "b=2"}}, func(r metaRequest) { _ = r.Resource("test.y") }, func(m *restest.Msg) { m.AssertResource("test.y") }},
		{"status with error", 401, nil, func(r metaRequest) { _ = r.Error(res.ErrAccessDenied) }, func(m *restest.Msg) { m.AssertError(res.ErrAccessDenied) }},
		{"status and header", 403, http.Header{"X-Reason": {"banned"}}, func(r metaRequest) { _ = r.OK("x") }, func(m *restest.Msg) { m.AssertResult("x") }},
	}
	for _, k := range kinds {
		for _, tt := range replies {
			t.Run(k.name+" "+tt.name, func(t *testing.T) {
				errc := make(chan error, 1)
				h := func(r metaRequest) {
					var err error
					if tt.status != 0 {
						err = r.SetResponseStatus(tt.status)
					}
					for key, vs := range tt.header {
						for _, v := range vs {
							r.ResponseHeader().Add(key, v)
						}
					}
					errc <- err
					tt.reply(r)
				}
				session, _ := newSession(t, func(s *res.Service) {
					s.Handle("x",
						res.Call("do", func(r res.CallRequest) { h(r) }),
						res.Auth("do", func(r res.AuthRequest) { h(r) }),
					)
				})
				m := k.send(session, &restest.Request{CID: "c1", IsHTTP: true})
				if err := <-errc; err != nil {
					t.Fatalf("SetResponseStatus(%d): %v", tt.status, err)
				}
				tt.assert(m)
				m.AssertMeta(tt.status, tt.header)
			})
		}
	}
	t.Run("access", func(t *testing.T) {
		session, _ := newSession(t, func(s *res.Service) {
			s.Handle("x", res.Access(func(r res.AccessRequest) {
				_ = r.SetResponseStatus(307)
				r.ResponseHeader().Set("Location", "/elsewhere")
				_ = r.AccessDenied()
			}))
		})
		session.Access("test.x", &restest.Request{CID: "c1", IsHTTP: true}).Response().
			AssertError(res.ErrAccessDenied).
			AssertMeta(307, http.Header{"Location": {"/elsewhere"}})
	})
}

// TestMetaNotHTTP checks that meta is refused or left out when the request
// is not over HTTP, and refused after the reply.
func TestMetaNotHTTP(t *testing.T) {
	t.Run("status refused", func(t *testing.T) {
		errc := make(chan error, 1)
		session, _ := newSession(t, func(s *res.Service) {
			s.Handle("x", res.Call("do", func(r res.CallRequest) {
				errc <- r.SetResponseStatus(302)
				_ = r.OK(nil)
			}))
		})
		session.Call("test.x", "do", nil).Response().AssertResult(nil).AssertMeta(0, nil)
		if err := <-errc; err == nil {
			t.Error("SetResponseStatus on a request not over HTTP = nil, want an error")
		}
	})
	t.Run("header left out", func(t *testing.T) {
		session, _ := newSession(t, func(s *res.Service) {
			s.Handle("x", res.Call("do", func(r res.CallRequest) {
				r.ResponseHeader().Set("X-A", "b")
				_ = r.OK(nil)
			}))
		})
		session.Call("test.x", "do", nil).Response().AssertRawPayload([]byte(`{"result":null}`))
	})
	t.Run("after reply", func(t *testing.T) {
		errc := make(chan error, 1)
		session, _ := newSession(t, func(s *res.Service) {
			s.Handle("x", res.Call("do", func(r res.CallRequest) {
				_ = r.OK(nil)
				errc <- r.SetResponseStatus(302)
			}))
		})
		session.Call("test.x", "do", &restest.Request{CID: "c1", IsHTTP: true}).Response().AssertMeta(0, nil)
		if err := <-errc; !errors.Is(err, res.ErrReplied) {
			t.Errorf("SetResponseStatus after reply = %v, want ErrReplied", err)
		}
	})
	t.Run("invalid status", func(t *testing.T) {
		errc := make(chan error, 1)
		session, _ := newSession(t, func(s *res.Service) {
			s.Handle("x", res.Call("do", func(r res.CallRequest) {
				errc <- r.SetResponseStatus(42)
				_ = r.OK(nil)
			}))
		})
		session.Call("test.x", "do", &restest.Request{CID: "c1", IsHTTP: true}).Response().AssertMeta(0, nil)
		if err := <-errc; err == nil {
			t.Error("SetResponseStatus(42) = nil, want an error")
		}
	})
}
