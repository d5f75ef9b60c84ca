package restest_test

import (
	"errors"
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// withResource runs fn on the resource rid and waits for it, failing the
// test if fn returns an error.
func withResource(t *testing.T, s *restest.Session, rid string, fn func(r res.Resource) error) {
	t.Helper()
	errc := make(chan error, 1)
	if err := s.Service().With(rid, func(r res.Resource) { errc <- fn(r) }); err != nil {
		t.Fatalf("With(%q): %v", rid, err)
	}
	s.Flush()
	if err := <-errc; err != nil {
		t.Fatalf("With(%q) callback: %v", rid, err)
	}
}

func TestModelEvents(t *testing.T) {
	var got []*res.Event
	svc := res.NewService("test")
	svc.Handle("model",
		res.GetModel(func(r res.ModelRequest) { _ = r.Model(map[string]any{"a": 1}) }),
		res.ApplyChange(func(r res.Resource, changes map[string]any) (map[string]any, error) {
			if changes["same"] != nil {
				return map[string]any{}, nil // nothing changed
			}
			return map[string]any{"a": 1, "b": 2}, nil
		}),
	)
	svc.AddListener("model", func(ev *res.Event) { got = append(got, ev) })
	s := restest.NewSession(t, svc)

	withResource(t, s, "test.model", func(r res.Resource) error {
		return errors.Join(
			r.ChangeEvent(map[string]any{"a": 2, "b": res.DeleteAction}),
			r.ChangeEvent(map[string]any{}),
			r.ChangeEvent(map[string]any{"same": true}),
			r.Event("custom", map[string]any{"x": 1}),
			r.Event("bare", nil),
			r.ReaccessEvent(),
			r.CreateEvent(map[string]any{"a": 1}),
			r.DeleteEvent(),
			r.ResetEvent(),
		)
	})
	s.GetMsg().AssertChangeEvent("test.model", map[string]any{"a": 2, "b": map[string]any{"action": "delete"}})
	s.GetMsg().AssertCustomEvent("test.model", "custom", map[string]any{"x": 1})
	s.GetMsg().AssertCustomEvent("test.model", "bare", nil)
	s.GetMsg().AssertReaccessEvent("test.model")
	s.GetMsg().AssertCreateEvent("test.model")
	s.GetMsg().AssertDeleteEvent("test.model")
	s.GetMsg().AssertSystemReset([]string{"test.model"}, nil)
	s.AssertNoMsg()

	names := make([]string, len(got))
	for i, ev := range got {
		names[i] = ev.Name
	}
	want := []string{"change", "custom", "bare", "reaccess", "create", "delete"}
	if len(names) != len(want) {
		t.Fatalf("listener got %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("listener got %v, want %v", names, want)
		}
	}
	if got[0].OldValues["a"] != 1 {
		t.Errorf("change event OldValues = %v, want the ApplyChange result", got[0].OldValues)
	}

	withResource(t, s, "test.model", func(r res.Resource) error {
		for _, name := range []string{"change", "query", "reset", "unsubscribe", "a.b", ""} {
			if err := r.Event(name, nil); err == nil {
				t.Errorf("Event(%q) = nil, want an error", name)
			}
		}
		if err := r.AddEvent(1, 0); err == nil {
			t.Error("AddEvent on a model = nil, want an error")
		}
		v, err := r.Value()
		if err != nil {
			return err
		}
		if m := v.(map[string]any); m["a"] != 1 {
			t.Errorf("Value() = %v, want the model", v)
		}
		return nil
	})
	s.AssertNoMsg()
}

func TestCollectionEvents(t *testing.T) {
	svc := res.NewService("test")
	svc.Handle("list", res.Collection)
	s := restest.NewSession(t, svc)

	withResource(t, s, "test.list", func(r res.Resource) error {
		if err := r.ChangeEvent(map[string]any{"a": 1}); err == nil {
			t.Error("ChangeEvent on a collection = nil, want an error")
		}
		if err := r.RemoveEvent(-1); err == nil {
			t.Error("RemoveEvent(-1) = nil, want an error")
		}
		return errors.Join(r.AddEvent(res.Ref("test.model"), 0), r.RemoveEvent(3))
	})
	s.GetMsg().AssertAddEvent("test.list", map[string]any{"rid": "test.model"}, 0)
	s.GetMsg().AssertRemoveEvent("test.list", 3)
	s.AssertNoMsg()
}

func TestServiceEvents(t *testing.T) {
	svc := res.NewService("test")
	svc.Handle("model", res.Model)
	s := restest.NewSession(t, svc)
	ss := s.Service()

	if err := errors.Join(
		ss.TokenEvent("cid1", map[string]string{"user": "jane"}),
		ss.TokenEvent("cid2", nil),
		ss.TokenEventWithID("cid3", "tid", 42),
		ss.TokenReset("auth.test.renew", "t1", "t2"),
		ss.TokenReset("auth.test.renew"),
		ss.Reset([]string{"test.a.*"}, []string{"test.>"}),
		ss.Reset(nil, nil),
	); err != nil {
		t.Fatal(err)
	}
	if err := ss.TokenEvent("bad.cid", nil); err == nil {
		t.Error("TokenEvent with an invalid cid = nil, want an error")
	}
	s.GetMsg().AssertTokenEvent("cid1", map[string]string{"user": "jane"})
	s.GetMsg().AssertTokenEvent("cid2", nil)
	s.GetMsg().AssertTokenEventWithID("cid3", "tid", 42)
	s.GetMsg().AssertTokenReset("auth.test.renew", "t1", "t2")
	s.GetMsg().AssertSystemReset([]string{"test.a.*"}, []string{"test.>"})
	s.AssertNoMsg()
}
