package restest_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// fakeT records failures instead of failing the test, so that the
// failure messages of restest can be checked.
type fakeT struct {
	testing.TB // nil: methods not overridden here are not used

	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// failure runs fn on its own goroutine, as Fatalf ends it, and returns the
// failure it recorded.
func (f *fakeT) failure(t *testing.T, fn func()) string {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.failures) == 0 {
		t.Fatal("no failure")
	}
	msg := f.failures[len(f.failures)-1]
	f.failures = nil
	return msg
}

// newFakeSession returns a session that reports failures to a fakeT, and
// shuts down when the test ends.
func newFakeSession(t *testing.T) (*fakeT, *restest.Session) {
	ft := &fakeT{}
	svc := res.NewService("test")
	svc.Handle("model",
		res.GetModel(func(r res.ModelRequest) { _ = r.Model(map[string]any{"a": 1}) }),
		res.Call("emit", func(r res.CallRequest) {
			_ = r.Event("custom", nil)
			_ = r.OK(nil)
		}),
	)
	svc.Handle("guarded", res.Access(res.AccessGranted)) // so that access.test.> is served
	s := restest.NewSession(ft, svc, restest.WithTimeout(50*time.Millisecond))
	t.Cleanup(func() {
		for i := len(ft.cleanups) - 1; i >= 0; i-- {
			ft.cleanups[i]()
		}
		if len(ft.failures) > 0 {
			t.Errorf("session cleanup failed: %v", ft.failures)
		}
	})
	return ft, s
}

func TestAssertionFailures(t *testing.T) {
	ft, s := newFakeSession(t)
	tests := []struct {
		name string
		fn   func()
		want []string
	}{
		{
			name: "model differs",
			fn:   func() { s.Get("test.model").Response().AssertModel(map[string]any{"a": 2}) },
			want: []string{"restest: model:", `want: {"a":2}`, `got:  {"a":1}`},
		},
		{
			name: "result is not an error",
			fn:   func() { s.Get("test.model").Response().AssertErrorCode(res.CodeNotFound) },
			want: []string{"reply is not an error", "system.notFound"},
		},
		{
			name: "error is not a result",
			fn:   func() { s.Get("test.nothing").Response().AssertResult(nil) },
			want: []string{"reply is an error"},
		},
		{
			name: "subject differs",
			fn:   func() { s.Get("test.model").Response().AssertChangeEvent("test.model", nil) },
			want: []string{"subject is", `want "event.test.model.change"`},
		},
		{
			name: "no subscription",
			fn:   func() { s.Request("other.thing", nil) },
			want: []string{"restest: no subscription matches other.thing"},
		},
		{
			name: "no response",
			fn:   func() { s.Access("test.model", nil).Response() },
			want: []string{"restest: no response to access.test.model within 50ms"},
		},
		{
			name: "no message",
			fn:   func() { s.GetMsg() },
			want: []string{"restest: no message published within 50ms"},
		},
		{
			name: "unexpected message",
			fn: func() {
				s.Call("test.model", "emit", nil)
				s.AssertNoMsg()
			},
			want: []string{"restest: unexpected message event.test.model.custom"},
		},
		{
			name: "system reset differs",
			fn: func() {
				_ = s.Service().Reset([]string{"test.a"}, nil)
				s.GetMsg().AssertSystemReset([]string{"test.b"}, nil)
			},
			want: []string{"system.reset:", `"resources":["test.b"]`, `"resources":["test.a"]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := ft.failure(t, tt.fn)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("failure %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestWithoutReset(t *testing.T) {
	svc := res.NewService("test", res.WithOwnedResources([]string{"test.a", "test.b.*"}, nil))
	registered := []string{}
	svc.Handle("a", res.Model, res.OnRegister(func(s *res.Service, pattern string) {
		registered = append(registered, pattern)
	}))
	svc.Mount("b", func() *res.Router {
		r := res.NewRouter()
		r.Handle("$id", res.Collection, res.OnRegister(func(s *res.Service, pattern string) {
			registered = append(registered, pattern)
		}))
		return r
	}())
	if got := fmt.Sprint(registered); got != "[test.a test.b.$id]" {
		t.Errorf("OnRegister got %s, want [test.a test.b.$id]", got)
	}
	s := restest.NewSession(t, svc, restest.WithoutReset())

	s.GetMsg().AssertSystemReset([]string{"test.a", "test.b.*"}, nil)
	want := []restest.Subscription{
		{Subject: "get.test.a", Queue: "test"},
		{Subject: "call.test.a.*", Queue: "test"},
		{Subject: "auth.test.a.*", Queue: "test"},
		{Subject: "get.test.b.*", Queue: "test"},
		{Subject: "call.test.b.*.*", Queue: "test"},
		{Subject: "auth.test.b.*.*", Queue: "test"},
	}
	if got := s.Conn().Subscriptions(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("subscriptions:\ngot  %v\nwant %v", got, want)
	}
}
