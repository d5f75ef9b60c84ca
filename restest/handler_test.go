package restest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// logBuffer is a slog handler's output, safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogged(name string) (*res.Service, *logBuffer) {
	lb := &logBuffer{}
	return res.NewService(name, res.WithLogger(slog.New(slog.NewTextHandler(lb, nil)))), lb
}

func TestHandlerReplyRules(t *testing.T) {
	tests := []struct {
		name    string
		handler res.CallHandler
		want    *res.Error // nil: the result null
		wantLog string     // substring of the log; "" for no error log
	}{
		{
			name:    "no reply",
			handler: func(r res.CallRequest) {},
			want:    &res.Error{Code: res.CodeInternalError, Message: "Internal error: missing response"},
			wantLog: "without replying",
		},
		{
			name: "second reply",
			handler: func(r res.CallRequest) {
				_ = r.OK(nil)
				if err := r.OK(nil); !errors.Is(err, res.ErrReplied) {
					panic(fmt.Sprintf("second OK = %v", err))
				}
			},
			wantLog: "already replied",
		},
		{
			name:    "panic",
			handler: func(r res.CallRequest) { panic("boom") },
			want:    res.ErrInternalError,
			wantLog: "boom",
		},
		{
			name:    "panic with a res error",
			handler: func(r res.CallRequest) { panic(&res.Error{Code: "custom.err", Message: "Custom"}) },
			want:    &res.Error{Code: "custom.err", Message: "Custom"},
		},
		{
			name:    "wrapped res error",
			handler: func(r res.CallRequest) { _ = r.Error(fmt.Errorf("db: %w", res.ErrNotFound)) },
			want:    res.ErrNotFound,
		},
		{
			name:    "plain error",
			handler: func(r res.CallRequest) { _ = r.Error(errors.New("disk full")) },
			want:    &res.Error{Code: res.CodeInternalError, Message: "Internal error: disk full"},
		},
		{
			name: "bad params and no reply",
			handler: func(r res.CallRequest) {
				var v struct{ N int }
				_ = r.ParseParams(&v)
			},
			want: &res.Error{Code: res.CodeInvalidParams},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, logs := newLogged("test")
			svc.Handle("model", res.Call("method", tt.handler))
			s := restest.NewSession(t, svc)

			m := s.Call("test.model", "method", &restest.Request{Params: "not an object"}).Response()
			switch {
			case tt.want == nil:
				m.AssertResult(nil)
			case tt.want.Message == "":
				m.AssertErrorCode(tt.want.Code)
			default:
				m.AssertError(tt.want)
			}
			s.AssertNoMsg()
			if got := logs.String(); tt.wantLog == "" && strings.Contains(got, "level=ERROR") {
				t.Errorf("unexpected error log: %s", got)
			} else if !strings.Contains(got, tt.wantLog) {
				t.Errorf("log %q does not contain %q", got, tt.wantLog)
			}
		})
	}
}

func TestMissingHandlers(t *testing.T) {
	svc := res.NewService("test")
	svc.Handle("model", res.Model, res.Call("method", func(r res.CallRequest) { _ = r.OK(nil) }))
	svc.Handle("wild", res.Call("*", func(r res.CallRequest) { _ = r.OK(r.Method()) }))
	svc.Handle("guarded", res.Access(res.AccessDenied))
	s := restest.NewSession(t, svc)

	s.Get("test.model").Response().AssertError(res.ErrNotFound)
	s.Call("test.model", "other", nil).Response().AssertError(res.ErrMethodNotFound)
	s.Auth("test.model", "login", nil).Response().AssertError(res.ErrMethodNotFound)
	s.Call("test.wild", "anything", nil).Response().AssertResult("anything")
	s.Get("test.unknown").Response().AssertError(res.ErrNotFound)
	s.Call("test.unknown", "method", nil).Response().AssertError(res.ErrNotFound)
	s.Access("test.guarded", nil).Response().AssertError(res.ErrAccessDenied)
	s.Access("test.model", nil).AssertNoResponse()
	s.Access("test.unknown", nil).AssertNoResponse()
	s.Request("call.test.model.method", []byte("{bad")).Response().AssertErrorCode(res.CodeInternalError)
	s.AssertNoMsg()
}

func TestRequestAccessors(t *testing.T) {
	type token struct {
		User string `json:"user"`
	}
	svc := res.NewService("test")
	svc.Handle("user.$id", res.Auth("login", func(r res.AuthRequest) {
		tok, err := res.ParseToken[token](r)
		if err != nil {
			return
		}
		got := fmt.Sprintf("%s %s %s %s %s %s %s %s %v %s",
			r.ResourceName(), r.PathParam("id"), r.Query(), r.ParseQuery().Get("a"),
			r.CID(), r.Method(), r.Host(), r.URI(), r.IsHTTP(), tok.User)
		_ = r.TokenEvent(token{User: "jane"})
		_ = r.OK(got)
	}))
	s := restest.NewSession(t, svc)

	req := restest.DefaultAuthRequest()
	req.Token = token{User: "john"}
	m := s.Auth("test.user.42?a=1", "login", req).Response()
	s.GetMsg().AssertTokenEvent(restest.DefaultCID, token{User: "jane"})
	m.AssertResult("test.user.42 42 a=1 1 testcid login localhost / false john")
	s.AssertNoMsg()
}

func TestResponseMeta(t *testing.T) {
	svc := res.NewService("test")
	svc.Handle("model", res.Call("go", func(r res.CallRequest) {
		if err := r.SetResponseStatus(http.StatusFound); err != nil {
			_ = r.OK(err.Error())
			return
		}
		r.ResponseHeader().Set("Location", "/elsewhere")
		_ = r.OK(nil)
	}))
	s := restest.NewSession(t, svc)

	s.Call("test.model", "go", &restest.Request{IsHTTP: true}).Response().
		AssertResult(nil).
		AssertMeta(http.StatusFound, map[string][]string{"Location": {"/elsewhere"}})
	s.Call("test.model", "go", nil).Response().
		AssertResult("res: response meta on a request that is not over HTTP").
		AssertMeta(0, nil)
}

func TestRequestTimeout(t *testing.T) {
	svc := res.NewService("test", res.WithRequestTimeout(10*time.Second))
	svc.Handle("model", res.Call("slow", func(r res.CallRequest) {
		if _, ok := r.Context().Deadline(); !ok {
			_ = r.OK("no deadline")
			return
		}
		_ = r.Timeout(20 * time.Second)
		_ = r.OK("deadline")
	}))
	s := restest.NewSession(t, svc)

	req := s.Call("test.model", "slow", nil)
	req.Response().AssertPreResponse(10 * time.Second)
	req.Response().AssertPreResponse(20 * time.Second)
	req.Response().AssertResult("deadline")
}

func TestShutdownCancelsContext(t *testing.T) {
	svc := res.NewService("test")
	started := make(chan struct{})
	svc.Handle("model", res.Call("wait", func(r res.CallRequest) {
		close(started)
		<-r.Context().Done()
		_ = r.Error(r.Context().Err())
	}))
	s := restest.NewSession(t, svc)

	req := s.Call("test.model", "wait", nil)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), restest.DefaultTimeout)
	defer cancel()
	if err := svc.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	req.Response().AssertError(&res.Error{Code: res.CodeInternalError, Message: "Internal error: context canceled"})
	if err := svc.With("test.model", func(res.Resource) {}); !errors.Is(err, res.ErrServiceClosed) {
		t.Errorf("With after Shutdown = %v, want ErrServiceClosed", err)
	}
}
