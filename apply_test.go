package res_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/reskit/res"
)

// store is a model and a collection kept in memory by the apply hooks.
// The hooks run on the resources' queues; mu guards against the test
// reading at the same time.
type store struct {
	mu    sync.Mutex
	model map[string]any
	list  []any
	calls []string // each hook call, "hook(args)"
	fail  error    // returned by every hook when set
}

func (st *store) log(format string, args ...any) {
	st.calls = append(st.calls, fmt.Sprintf(format, args...))
}

func (st *store) options() []res.Option {
	return []res.Option{
		res.ApplyChange(func(r res.Resource, changes map[string]any) (map[string]any, error) {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.log("change %s %v", r.ResourceName(), changes)
			if st.fail != nil {
				return nil, st.fail
			}
			old := map[string]any{}
			for k, v := range changes {
				prev, ok := st.model[k]
				if raw, isDelete := v.(json.RawMessage); isDelete && string(raw) == `{"action":"delete"}` {
					if ok {
						old[k] = prev
						delete(st.model, k)
					}
					continue
				}
				if ok && prev == v {
					continue
				}
				if ok {
					old[k] = prev
				} else {
					old[k] = res.DeleteAction
				}
				st.model[k] = v
			}
			return old, nil
		}),
		res.ApplyAdd(func(r res.Resource, v any, idx int) error {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.log("add %s %v %d", r.ResourceName(), v, idx)
			if st.fail != nil {
				return st.fail
			}
			st.list = slices.Insert(st.list, idx, v)
			return nil
		}),
		res.ApplyRemove(func(r res.Resource, idx int) (any, error) {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.log("remove %s %d", r.ResourceName(), idx)
			if st.fail != nil {
				return nil, st.fail
			}
			v := st.list[idx]
			st.list = slices.Delete(st.list, idx, idx+1)
			return v, nil
		}),
		res.ApplyCreate(func(r res.Resource, data any) error {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.log("create %s %v", r.ResourceName(), data)
			return st.fail
		}),
		res.ApplyDelete(func(r res.Resource) (any, error) {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.log("delete %s", r.ResourceName())
			if st.fail != nil {
				return nil, st.fail
			}
			return maps.Clone(st.model), nil
		}),
	}
}

func (st *store) hookCalls() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.calls)
}

// withStore serves "test.model" and "test.list" backed by a store.
func withStore(t *testing.T) (*store, func(rid string, fn func(r res.Resource) error) error, *sessionT) {
	t.Helper()
	st := &store{model: map[string]any{"name": "Jane", "age": 42}, list: []any{"a", "b"}}
	session, logs := newSession(t, func(s *res.Service) {
		s.Handle("model", append(st.options(), model(map[string]any{}))...)
		s.Handle("list", append(st.options(), collection([]any{}))...)
	})
	with := func(rid string, fn func(r res.Resource) error) error {
		errc := make(chan error, 1)
		if err := session.Service().With(rid, func(r res.Resource) { errc <- fn(r) }); err != nil {
			t.Fatalf("With(%q): %v", rid, err)
		}
		return <-errc
	}
	return st, with, &sessionT{session, logs}
}

// TestApplyHooks checks that each event runs its apply hook with the
// event's arguments, then publishes the event.
func TestApplyHooks(t *testing.T) {
	st, with, s := withStore(t)

	if err := with("test.list", func(r res.Resource) error { return r.AddEvent("c", 1) }); err != nil {
		t.Fatal(err)
	}
	s.GetMsg().AssertAddEvent("test.list", "c", 1)

	if err := with("test.list", func(r res.Resource) error { return r.RemoveEvent(0) }); err != nil {
		t.Fatal(err)
	}
	s.GetMsg().AssertRemoveEvent("test.list", 0)

	if err := with("test.model", func(r res.Resource) error { return r.CreateEvent("seed") }); err != nil {
		t.Fatal(err)
	}
	s.GetMsg().AssertCreateEvent("test.model")

	if err := with("test.model", func(r res.Resource) error { return r.DeleteEvent() }); err != nil {
		t.Fatal(err)
	}
	s.GetMsg().AssertDeleteEvent("test.model")
	s.AssertNoMsg()

	want := []string{"add test.list c 1", "remove test.list 0", "create test.model seed", "delete test.model"}
	if got := st.hookCalls(); !slices.Equal(got, want) {
		t.Errorf("hook calls = %q, want %q", got, want)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !slices.Equal(st.list, []any{"c", "b"}) {
		t.Errorf("list = %v, want [c b]", st.list)
	}
}

// TestApplyChange checks the change event after an ApplyChange hook: it
// holds only the properties that changed, and is not sent when nothing
// changed.
func TestApplyChange(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]any
		want    map[string]any // nil for no event
	}{
		{"one changed", map[string]any{"name": "Jim"}, map[string]any{"name": "Jim"}},
		{"new property", map[string]any{"city": "Oslo"}, map[string]any{"city": "Oslo"}},
		{"nothing changed", map[string]any{"name": "Jane"}, nil},
		{"deleted property", map[string]any{"age": res.DeleteAction}, map[string]any{"age": map[string]any{"action": "delete"}}},
		{"deleting a missing property", map[string]any{"city": res.DeleteAction}, nil},
		// The service protocol: "Unchanged properties SHOULD NOT be
		// included." ApplyChange tells which properties changed.
		{"only changed properties", map[string]any{"name": "Jim", "age": 42}, map[string]any{"name": "Jim"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, with, s := withStore(t)
			if err := with("test.model", func(r res.Resource) error { return r.ChangeEvent(tt.changes) }); err != nil {
				t.Fatal(err)
			}
			if tt.want != nil {
				s.GetMsg().AssertChangeEvent("test.model", tt.want)
			}
			s.AssertNoMsg()
		})
	}
}

// TestApplyHookError checks that a hook's error stops the event: it is
// returned, and nothing is published.
func TestApplyHookError(t *testing.T) {
	tests := []struct {
		name string
		rid  string
		emit func(r res.Resource) error
	}{
		{"change", "test.model", func(r res.Resource) error { return r.ChangeEvent(map[string]any{"name": "Jim"}) }},
		{"add", "test.list", func(r res.Resource) error { return r.AddEvent("x", 0) }},
		{"remove", "test.list", func(r res.Resource) error { return r.RemoveEvent(0) }},
		{"create", "test.model", func(r res.Resource) error { return r.CreateEvent(nil) }},
		{"delete", "test.model", func(r res.Resource) error { return r.DeleteEvent() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, with, s := withStore(t)
			boom := errors.New("store unavailable")
			st.mu.Lock()
			st.fail = boom
			st.mu.Unlock()
			if err := with(tt.rid, tt.emit); !errors.Is(err, boom) {
				t.Errorf("event with failing hook = %v, want %v", err, boom)
			}
			s.AssertNoMsg()
		})
	}
}

// TestApplyFromRequest runs a hook from a set call handler, the usual
// place, and checks the call's reply follows the event.
func TestApplyFromRequest(t *testing.T) {
	st := &store{model: map[string]any{"name": "Jane"}}
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("model", append(st.options(), res.Model, res.Set(func(r res.CallRequest) {
			var p map[string]any
			if err := r.ParseParams(&p); err != nil {
				_ = r.Error(err)
				return
			}
			if err := r.ChangeEvent(p); err != nil {
				_ = r.Error(err)
				return
			}
			_ = r.OK(nil)
		}))...)
	})
	session.Call("test.model", "set", reqWithParams(map[string]any{"name": "Jim"})).Response().AssertResult(nil)
	session.GetMsg().AssertChangeEvent("test.model", map[string]any{"name": "Jim"})
	session.Call("test.model", "set", reqWithParams(map[string]any{"name": "Jim"})).Response().AssertResult(nil)
	session.AssertNoMsg()
}
