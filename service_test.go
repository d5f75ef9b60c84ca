package res_test

import (
	"bytes"
	"log/slog"
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
