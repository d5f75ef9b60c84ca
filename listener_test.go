package res_test

import (
	"fmt"
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// TestListeners checks what a listener gets for each event, after the
// event is published, with and without apply hooks.
func TestListeners(t *testing.T) {
	type got struct {
		name, rid string
		newValues map[string]any
		oldValues map[string]any
		value     any
		idx       int
		data      any
		payload   any
	}
	tests := []struct {
		name  string
		rid   string
		hooks bool
		emit  func(r res.Resource) error
		want  got
	}{
		{"change", "test.model", false, func(r res.Resource) error { return r.ChangeEvent(map[string]any{"a": 2}) },
			got{name: "change", rid: "test.model", newValues: map[string]any{"a": 2}}},
		{"change with hook", "test.model", true, func(r res.Resource) error { return r.ChangeEvent(map[string]any{"a": 2}) },
			got{name: "change", rid: "test.model", newValues: map[string]any{"a": 2}, oldValues: map[string]any{"a": 1}}},
		{"add", "test.list", false, func(r res.Resource) error { return r.AddEvent("x", 1) },
			got{name: "add", rid: "test.list", value: "x", idx: 1}},
		{"remove", "test.list", false, func(r res.Resource) error { return r.RemoveEvent(1) },
			got{name: "remove", rid: "test.list", idx: 1}},
		{"remove with hook", "test.list", true, func(r res.Resource) error { return r.RemoveEvent(0) },
			got{name: "remove", rid: "test.list", value: "first", idx: 0}},
		{"create", "test.model", false, func(r res.Resource) error { return r.CreateEvent("seed") },
			got{name: "create", rid: "test.model", data: "seed"}},
		{"delete with hook", "test.model", true, func(r res.Resource) error { return r.DeleteEvent() },
			got{name: "delete", rid: "test.model", value: "last"}},
		{"reaccess", "test.model", false, func(r res.Resource) error { return r.ReaccessEvent() },
			got{name: "reaccess", rid: "test.model"}},
		{"custom", "test.model", false, func(r res.Resource) error { return r.Event("ping", 7) },
			got{name: "ping", rid: "test.model", payload: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := make(chan got, 4)
			listen := func(ev *res.Event) {
				events <- got{ev.Name, ev.Resource.ResourceName(), ev.NewValues, ev.OldValues, ev.Value, ev.Idx, ev.Data, ev.Payload}
			}
			session, _ := newSession(t, func(s *res.Service) {
				modelOpts := []res.Option{model(map[string]any{})}
				listOpts := []res.Option{collection([]any{})}
				if tt.hooks {
					modelOpts = append(modelOpts,
						res.ApplyChange(func(res.Resource, map[string]any) (map[string]any, error) { return map[string]any{"a": 1}, nil }),
						res.ApplyDelete(func(res.Resource) (any, error) { return "last", nil }),
					)
					listOpts = append(listOpts, res.ApplyRemove(func(res.Resource, int) (any, error) { return "first", nil }))
				}
				s.Handle("model", modelOpts...)
				s.Handle("list", listOpts...)
				s.AddListener("model", listen)
				s.AddListener("list", listen)
			})
			errc := make(chan error, 1)
			_ = session.Service().With(tt.rid, func(r res.Resource) { errc <- tt.emit(r) })
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			session.GetMsg() // the event itself
			session.AssertNoMsg()
			select {
			case g := <-events:
				if !eqGot(g.newValues, tt.want.newValues) || !eqGot(g.oldValues, tt.want.oldValues) {
					t.Errorf("values = %v, %v, want %v, %v", g.newValues, g.oldValues, tt.want.newValues, tt.want.oldValues)
				}
				g.newValues, g.oldValues = tt.want.newValues, tt.want.oldValues
				if !eqGot(g, tt.want) {
					t.Errorf("listener got %+v, want %+v", g, tt.want)
				}
			default:
				t.Fatal("listener not called")
			}
			if len(events) != 0 {
				t.Errorf("listener called %d more times", len(events))
			}
		})
	}
}

// eqGot compares two values by their printed form, which is enough for
// the small values of these tests and prints maps with sorted keys.
func eqGot(a, b any) bool {
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
}

// TestListenerNotCalled checks that a listener is not called for an event
// that was not sent.
func TestListenerNotCalled(t *testing.T) {
	calls := make(chan string, 4)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("model", model(map[string]any{}),
			res.ApplyChange(func(res.Resource, map[string]any) (map[string]any, error) { return map[string]any{}, nil }))
		s.AddListener("model", func(ev *res.Event) { calls <- ev.Name })
	})
	errc := make(chan error, 1)
	_ = session.Service().With("test.model", func(r res.Resource) {
		if err := r.ChangeEvent(nil); err != nil {
			errc <- err
			return
		}
		errc <- r.ChangeEvent(map[string]any{"a": 1}) // the hook says nothing changed
	})
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	session.AssertNoMsg()
	if len(calls) != 0 {
		t.Errorf("listener called for %q, want no call", <-calls)
	}
}

// TestListenerPattern checks that a listener on a pattern gets the events
// of every matching resource, and that a listener needs a handler.
func TestListenerPattern(t *testing.T) {
	names := make(chan string, 4)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("book.$id", model(map[string]any{}))
		s.AddListener("book.$id", func(ev *res.Event) { names <- ev.Resource.ResourceName() + " " + ev.Resource.PathParam("id") })
	})
	for _, rid := range []string{"test.book.1", "test.book.2"} {
		done := make(chan struct{})
		_ = session.Service().With(rid, func(r res.Resource) { _ = r.ReaccessEvent(); close(done) })
		<-done
		session.GetMsg().AssertReaccessEvent(rid)
	}
	if a, b := <-names, <-names; a != "test.book.1 1" || b != "test.book.2 2" {
		t.Errorf("listener got %q, %q", a, b)
	}

	t.Run("without handler", func(t *testing.T) {
		logger, _ := newLogger(t)
		s := res.NewService("test", res.WithLogger(logger))
		s.Handle("a", model(map[string]any{}))
		s.AddListener("b", func(*res.Event) {})
		if err := s.Serve(restest.NewMockConn()); err == nil {
			t.Error("Serve with a listener on a pattern without handler = nil, want an error")
		}
	})
}
