package res_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// logBuffer collects a service's log lines. It is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns every line logged so far.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Lines returns the lines logged so far that contain every one of subs.
func (l *logBuffer) Lines(subs ...string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if line == "" {
			continue
		}
		ok := true
		for _, s := range subs {
			if !strings.Contains(line, s) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// newLogger returns a logger that writes text lines, all levels, to the
// returned buffer. The buffer is printed if the test fails.
func newLogger(t testing.TB) (*slog.Logger, *logBuffer) {
	t.Helper()
	buf := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// newSession serves a service named "test", with the handlers register
// adds, in a restest session. It returns the session and the service's
// log.
func newSession(t testing.TB, register func(s *res.Service), opts ...res.ServiceOption) (*restest.Session, *logBuffer) {
	t.Helper()
	logger, logs := newLogger(t)
	s := res.NewService("test", append([]res.ServiceOption{res.WithLogger(logger)}, opts...)...)
	register(s)
	return restest.NewSession(t, s), logs
}

// assertNoReply sends a request and asserts that the service handles it
// without replying, and publishes nothing.
func assertNoReply(t testing.TB, session *restest.Session, subject string, payload []byte) {
	t.Helper()
	ch := session.Conn().Request(subject, payload)
	if ch == nil {
		t.Fatalf("no subscription matches %s", subject)
	}
	session.AssertNoMsg()
	select {
	case m := <-ch:
		t.Fatalf("reply to %s: %s, want none", subject, m.Payload)
	default:
	}
}

// assertLogged fails unless the log has a line with every one of subs.
func assertLogged(t testing.TB, logs *logBuffer, subs ...string) {
	t.Helper()
	if len(logs.Lines(subs...)) == 0 {
		t.Errorf("no log line with %q; log:\n%s", subs, logs.String())
	}
}

// assertNotLogged fails if the log has a line at level ERROR.
func assertNoErrorLogged(t testing.TB, logs *logBuffer) {
	t.Helper()
	if lines := logs.Lines("level=ERROR"); len(lines) > 0 {
		t.Errorf("unexpected error log lines:\n%s", strings.Join(lines, "\n"))
	}
}

// model is a get handler that replies with a fixed model.
func model(v any) res.Option {
	return res.GetModel(func(r res.ModelRequest) { _ = r.Model(v) })
}

// collection is a get handler that replies with a fixed collection.
func collection(v any) res.Option {
	return res.GetCollection(func(r res.CollectionRequest) { _ = r.Collection(v) })
}

// reqWithParams returns a call request from connection "c1" with params.
func reqWithParams(params any) *restest.Request {
	return &restest.Request{CID: "c1", Params: params}
}

// sessionT is a session with its service's log.
type sessionT struct {
	*restest.Session
	logs *logBuffer
}

// TestServiceLifecycle covers starting and stopping a service.
func TestServiceLifecycle(t *testing.T) {
	t.Run("serve twice", func(t *testing.T) {
		session, _ := newSession(t, func(s *res.Service) { s.Handle("x", model(map[string]any{})) })
		if err := session.Service().Serve(restest.NewMockConn()); err == nil {
			t.Error("second Serve = nil, want an error")
		}
	})
	t.Run("no handlers", func(t *testing.T) {
		s := res.NewService("test")
		if err := s.Serve(restest.NewMockConn()); err == nil {
			t.Error("Serve with no handlers = nil, want an error")
		}
	})
	t.Run("nil connection", func(t *testing.T) {
		s := res.NewService("test")
		s.Handle("x", model(map[string]any{}))
		if err := s.Serve(nil); err == nil {
			t.Error("Serve(nil) = nil, want an error")
		}
	})
	t.Run("shutdown before serve", func(t *testing.T) {
		s := res.NewService("test")
		s.Handle("x", model(map[string]any{}))
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown before Serve = %v, want nil", err)
		}
		if err := s.Serve(restest.NewMockConn()); !errors.Is(err, res.ErrServiceClosed) {
			t.Errorf("Serve after Shutdown = %v, want ErrServiceClosed", err)
		}
	})
	t.Run("shutdown twice", func(t *testing.T) {
		session, _ := newSession(t, func(s *res.Service) { s.Handle("x", model(map[string]any{})) })
		for range 2 {
			if err := session.Service().Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown = %v, want nil", err)
			}
		}
		if err := session.Service().With("test.x", func(res.Resource) {}); err == nil {
			t.Error("With after Shutdown = nil, want an error")
		}
		if err := session.Service().Reset([]string{"test.>"}, nil); err == nil {
			t.Error("Reset after Shutdown = nil, want an error")
		}
	})
	t.Run("register after serve", func(t *testing.T) {
		session, _ := newSession(t, func(s *res.Service) { s.Handle("x", model(map[string]any{})) })
		defer func() {
			if recover() == nil {
				t.Error("Handle after Serve did not panic")
			}
		}()
		session.Service().Handle("y", model(map[string]any{}))
	})
	t.Run("invalid name", func(t *testing.T) {
		for _, name := range []string{"a..b", "a.>", "a b", "."} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("NewService(%q) did not panic", name)
					}
				}()
				res.NewService(name)
			}()
		}
	})
	t.Run("on serve", func(t *testing.T) {
		served := make(chan *res.Service, 1)
		logger, _ := newLogger(t)
		s := res.NewService("test", res.WithLogger(logger), res.WithOnServe(func(s *res.Service) { served <- s }))
		s.Handle("x", model(map[string]any{}))
		restest.NewSession(t, s)
		if got := <-served; got != s {
			t.Error("OnServe called with another service")
		}
	})
	t.Run("accessors", func(t *testing.T) {
		logger, _ := newLogger(t)
		s := res.NewService("library", res.WithLogger(logger))
		if s.Name() != "library" || s.Logger() != logger || s.ProtocolVersion() != "1.2.3" {
			t.Errorf("Name, Logger, ProtocolVersion = %q, %p, %q", s.Name(), s.Logger(), s.ProtocolVersion())
		}
	})
}

// TestServiceSubscriptions checks the subscriptions a service makes on its
// connection, with its queue group.
func TestServiceSubscriptions(t *testing.T) {
	tests := []struct {
		name     string
		service  string
		opts     []res.ServiceOption
		register func(s *res.Service)
		want     []restest.Subscription
	}{
		{
			"default", "library", nil,
			func(s *res.Service) { s.Handle("book.$id", res.Access(res.AccessGranted), model(map[string]any{})) },
			[]restest.Subscription{
				{Subject: "get.library.>", Queue: "library"}, {Subject: "call.library.>", Queue: "library"},
				{Subject: "auth.library.>", Queue: "library"}, {Subject: "access.library.>", Queue: "library"},
			},
		},
		{
			"no name", "", []res.ServiceOption{res.WithQueueGroup("q")},
			func(s *res.Service) { s.Handle("library.books", collection([]any{})) },
			[]restest.Subscription{{Subject: "get.>", Queue: "q"}, {Subject: "call.>", Queue: "q"}, {Subject: "auth.>", Queue: "q"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, _ := newLogger(t)
			s := res.NewService(tt.service, append([]res.ServiceOption{res.WithLogger(logger)}, tt.opts...)...)
			tt.register(s)
			session := restest.NewSession(t, s)
			got := session.Conn().Subscriptions()
			key := func(s restest.Subscription) string { return s.Subject + " " + s.Queue }
			slices.SortFunc(got, func(a, b restest.Subscription) int { return strings.Compare(key(a), key(b)) })
			want := slices.Clone(tt.want)
			slices.SortFunc(want, func(a, b restest.Subscription) int { return strings.Compare(key(a), key(b)) })
			if !slices.Equal(got, want) {
				t.Errorf("subscriptions = %v, want %v", got, want)
			}
		})
	}
}

// TestServiceSystemEvents covers Reset, TokenEvent, TokenEventWithID and
// TokenReset, and what they refuse.
func TestServiceSystemEvents(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) { s.Handle("x", model(map[string]any{})) })
	s := session.Service()
	tests := []struct {
		name   string
		send   func() error
		assert func(m *restest.Msg) // nil: nothing is sent
		fails  bool
	}{
		{"reset", func() error { return s.Reset([]string{"test.x"}, []string{"test.>"}) }, func(m *restest.Msg) {
			m.AssertSystemReset([]string{"test.x"}, []string{"test.>"})
		}, false},
		{"reset resources only", func() error { return s.Reset([]string{"test.x"}, nil) }, func(m *restest.Msg) {
			m.AssertRawPayload([]byte(`{"resources":["test.x"]}`))
		}, false},
		{"empty reset sends nothing", func() error { return s.Reset(nil, nil) }, nil, false},
		{"reset all", s.ResetAll, func(m *restest.Msg) { m.AssertSystemReset([]string{"test.>"}, nil) }, false},
		{"token", func() error { return s.TokenEvent("c1", map[string]any{"user": "jane"}) }, func(m *restest.Msg) {
			m.AssertTokenEvent("c1", map[string]any{"user": "jane"})
		}, false},
		{"nil token", func() error { return s.TokenEvent("c1", nil) }, func(m *restest.Msg) { m.AssertRawPayload([]byte(`{"token":null}`)) }, false},
		{"token with ID", func() error { return s.TokenEventWithID("c1", "42", "t") }, func(m *restest.Msg) { m.AssertTokenEventWithID("c1", "42", "t") }, false},
		{"token reset", func() error { return s.TokenReset("auth.authentication.renewToken", "12", "42") }, func(m *restest.Msg) {
			m.AssertTokenReset("auth.authentication.renewToken", "12", "42")
		}, false},
		{"token reset without IDs sends nothing", func() error { return s.TokenReset("auth.x.y") }, nil, false},
		{"token for invalid cid", func() error { return s.TokenEvent("a.b", "t") }, nil, true},
		{"token for empty cid", func() error { return s.TokenEvent("", "t") }, nil, true},
		{"token that does not encode", func() error { return s.TokenEvent("c1", make(chan int)) }, nil, true},
		{"token reset to empty subject", func() error { return s.TokenReset("", "1") }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.send()
			if (err != nil) != tt.fails {
				t.Fatalf("error = %v, want error %v", err, tt.fails)
			}
			if tt.assert != nil {
				tt.assert(session.GetMsg())
			}
			session.AssertNoMsg()
		})
	}
	t.Run("before serve", func(t *testing.T) {
		s := res.NewService("test")
		s.Handle("x", model(map[string]any{}))
		if err := s.TokenEvent("c1", nil); err == nil {
			t.Error("TokenEvent before Serve = nil, want an error")
		}
	})
}
