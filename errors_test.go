package res_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/reskit/res"
)

// TestHandlerMisbehaves covers handlers that do not reply once: the client
// gets one reply, the cause is logged, and the service keeps serving.
func TestHandlerMisbehaves(t *testing.T) {
	custom := &res.Error{Code: "test.custom", Message: "Custom"}
	tests := []struct {
		name    string
		h       res.CallHandler
		code    string // error code the client gets; "" for a result
		log     []string
		wantErr *res.Error // exact error, when it matters
	}{
		{"never replies", func(r res.CallRequest) {}, res.CodeInternalError, []string{"level=ERROR", "without replying", "call.test.x.do"}, nil},
		{"replies twice", func(r res.CallRequest) { _ = r.OK(1); _ = r.OK(2) }, "", []string{"level=ERROR", "already replied"}, nil},
		{"panics with string", func(r res.CallRequest) { panic("kaboom") }, res.CodeInternalError, []string{"level=ERROR", "kaboom", "call.test.x.do"}, res.ErrInternalError},
		{"panics with error", func(r res.CallRequest) { panic(errors.New("nil map")) }, res.CodeInternalError, []string{"level=ERROR", "nil map"}, res.ErrInternalError},
		{"panics with value", func(r res.CallRequest) { panic(42) }, res.CodeInternalError, []string{"level=ERROR", "42"}, nil},
		{"panics after reply", func(r res.CallRequest) { _ = r.OK(1); panic("late") }, "", []string{"level=ERROR", "late"}, nil},
		{"panics with res error", func(r res.CallRequest) { panic(custom) }, "test.custom", nil, custom},
		{"panics with wrapped res error", func(r res.CallRequest) { panic(fmt.Errorf("op: %w", custom)) }, "test.custom", nil, custom},
		{"nil pointer", func(r res.CallRequest) {
			var m *struct{ n int }
			_ = r.OK(m.n)
		}, res.CodeInternalError, []string{"level=ERROR", "nil pointer"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, logs := newSession(t, func(s *res.Service) {
				s.Handle("x", res.Call("do", tt.h), res.Call("ok", func(r res.CallRequest) { _ = r.OK("still serving") }))
			})
			m := session.Call("test.x", "do", nil).Response()
			switch {
			case tt.code == "":
				m.AssertResult(1)
			case tt.wantErr != nil:
				m.AssertError(tt.wantErr)
			default:
				m.AssertErrorCode(tt.code)
			}
			session.Call("test.x", "ok", nil).Response().AssertResult("still serving")
			session.AssertNoMsg()
			if tt.log == nil {
				assertNoErrorLogged(t, logs)
			} else {
				assertLogged(t, logs, tt.log...)
			}
		})
	}
}

// TestReplyTwiceReturnsErrReplied checks the error a second reply returns,
// and that nothing is sent for it.
func TestReplyTwiceReturnsErrReplied(t *testing.T) {
	errc := make(chan error, 3)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("x", res.Call("do", func(r res.CallRequest) {
			_ = r.OK(1)
			errc <- r.OK(2)
			errc <- r.Error(res.ErrNotFound)
			errc <- r.Resource("test.y")
		}))
	})
	req := session.Call("test.x", "do", nil)
	req.Response().AssertResult(1)
	for range 3 {
		if err := <-errc; !errors.Is(err, res.ErrReplied) {
			t.Errorf("second reply = %v, want ErrReplied", err)
		}
	}
	session.AssertNoMsg()
}

// TestPanicInOtherCallbacks checks panics outside request handlers: a
// With callback and a listener. They are logged and the service goes on.
func TestPanicInOtherCallbacks(t *testing.T) {
	session, logs := newSession(t, func(s *res.Service) {
		s.Handle("x", model(map[string]any{"a": 1}))
	})
	if err := session.Service().With("test.x", func(res.Resource) { panic("with boom") }); err != nil {
		t.Fatal(err)
	}
	if err := session.Service().WithGroup("g", func(*res.Service) { panic("group boom") }); err != nil {
		t.Fatal(err)
	}
	session.Flush()
	assertLogged(t, logs, "level=ERROR", "with boom")
	assertLogged(t, logs, "level=ERROR", "group boom")
	session.Get("test.x").Response().AssertModel(map[string]any{"a": 1})
}

// TestErrorValues checks the SDK's error values and conversions.
func TestErrorValues(t *testing.T) {
	custom := &res.Error{Code: "test.custom", Message: "Custom"}
	tests := []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"not found", res.ErrNotFound, res.CodeNotFound, "Not found"},
		{"access denied", res.ErrAccessDenied, res.CodeAccessDenied, "Access denied"},
		{"invalid params", res.ErrInvalidParams, res.CodeInvalidParams, "Invalid parameters"},
		{"invalid query", res.ErrInvalidQuery, res.CodeInvalidQuery, "Invalid query"},
		{"internal", res.ErrInternalError, res.CodeInternalError, "Internal error"},
		{"method not found", res.ErrMethodNotFound, res.CodeMethodNotFound, "Method not found"},
		{"timeout", res.ErrTimeout, res.CodeTimeout, "Request timeout"},
		{"custom", custom, "test.custom", "Custom"},
		{"wrapped custom", fmt.Errorf("x: %w", custom), "test.custom", "Custom"},
		{"plain", errors.New("oops"), res.CodeInternalError, "Internal error: oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := res.ToError(tt.err)
			if e.Code != tt.code || e.Message != tt.msg {
				t.Errorf("ToError(%v) = {%q, %q}, want {%q, %q}", tt.err, e.Code, e.Message, tt.code, tt.msg)
			}
		})
	}
	if !errors.Is(&res.Error{Code: res.CodeNotFound, Message: "No such book"}, res.ErrNotFound) {
		t.Error("errors.Is(notFound with another message, ErrNotFound) = false")
	}
	if e := res.InternalError(errors.New("disk")); e.Code != res.CodeInternalError || e.Message != "Internal error: disk" {
		t.Errorf("InternalError(disk) = %+v", e)
	}
	if res.ToError(nil) != nil {
		t.Error("ToError(nil) != nil")
	}
}
