package restest

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// NewLogger returns a logger that writes to the test log (t.Log), which
// go test shows for failed tests and with -v. Pass it to the service under
// test, with res.WithLogger, to see its logs beside the failures. Lines
// logged after the test ends are dropped.
func NewLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t  testing.TB
	mu sync.Mutex
	// Protected by mu.
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
