package res_test

import (
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// eventTests are events sent on a model "test.model" or a collection
// "test.collection", and what the service publishes for them.
var eventTests = []struct {
	name   string
	rid    string
	emit   func(r res.Resource) error
	assert func(m *restest.Msg)
}{
	{
		"spec change", "test.model",
		func(r res.Resource) error {
			return r.ChangeEvent(map[string]any{"myProperty": "New value", "unusedProperty": res.DeleteAction})
		},
		func(m *restest.Msg) {
			m.AssertChangeEvent("test.model", map[string]any{"myProperty": "New value", "unusedProperty": map[string]any{"action": "delete"}})
		},
	},
	{
		"change to values", "test.model",
		func(r res.Resource) error {
			return r.ChangeEvent(map[string]any{"ref": res.Ref("test.a"), "soft": res.SoftRef("test.b"), "data": res.NewDataValue([]int{1}), "n": nil})
		},
		func(m *restest.Msg) {
			m.AssertChangeEvent("test.model", map[string]any{
				"ref": map[string]any{"rid": "test.a"}, "soft": map[string]any{"rid": "test.b", "soft": true},
				"data": map[string]any{"data": []int{1}}, "n": nil,
			})
		},
	},
	{"spec add", "test.collection", func(r res.Resource) error { return r.AddEvent("foo", 2) }, func(m *restest.Msg) { m.AssertAddEvent("test.collection", "foo", 2) }},
	{"add reference at zero", "test.collection", func(r res.Resource) error { return r.AddEvent(res.Ref("test.model"), 0) }, func(m *restest.Msg) {
		m.AssertAddEvent("test.collection", map[string]any{"rid": "test.model"}, 0)
	}},
	{"spec remove", "test.collection", func(r res.Resource) error { return r.RemoveEvent(2) }, func(m *restest.Msg) { m.AssertRemoveEvent("test.collection", 2) }},
	{"remove at zero", "test.collection", func(r res.Resource) error { return r.RemoveEvent(0) }, func(m *restest.Msg) { m.AssertRemoveEvent("test.collection", 0) }},
	{"reaccess", "test.model", func(r res.Resource) error { return r.ReaccessEvent() }, func(m *restest.Msg) { m.AssertReaccessEvent("test.model") }},
	{"create", "test.model", func(r res.Resource) error { return r.CreateEvent(map[string]any{"a": 1}) }, func(m *restest.Msg) { m.AssertCreateEvent("test.model") }},
	{"delete", "test.model", func(r res.Resource) error { return r.DeleteEvent() }, func(m *restest.Msg) { m.AssertDeleteEvent("test.model") }},
	{"custom", "test.model", func(r res.Resource) error { return r.Event("typing", map[string]any{"user": "jane"}) }, func(m *restest.Msg) {
		m.AssertCustomEvent("test.model", "typing", map[string]any{"user": "jane"})
	}},
	{"custom without payload", "test.model", func(r res.Resource) error { return r.Event("ping", nil) }, func(m *restest.Msg) { m.AssertCustomEvent("test.model", "ping", nil) }},
	{"custom on collection", "test.collection", func(r res.Resource) error { return r.Event("sorted", "asc") }, func(m *restest.Msg) { m.AssertCustomEvent("test.collection", "sorted", "asc") }},
	{"reset", "test.model", func(r res.Resource) error { return r.ResetEvent() }, func(m *restest.Msg) { m.AssertSystemReset([]string{"test.model"}, nil) }},
	{"query resource event goes to name", "test.model?q=1", func(r res.Resource) error { return r.ReaccessEvent() }, func(m *restest.Msg) { m.AssertReaccessEvent("test.model") }},
}

func eventService(s *res.Service) {
	s.Handle("model", model(map[string]any{}), res.Call("emit", func(r res.CallRequest) { _ = r.OK(nil) }))
	s.Handle("collection", collection([]any{}))
}

// TestEventsFromWith sends each event from a Service.With callback.
func TestEventsFromWith(t *testing.T) {
	for _, tt := range eventTests {
		t.Run(tt.name, func(t *testing.T) {
			session, logs := newSession(t, eventService)
			errc := make(chan error, 1)
			if err := session.Service().With(tt.rid, func(r res.Resource) { errc <- tt.emit(r) }); err != nil {
				t.Fatalf("With(%q): %v", tt.rid, err)
			}
			if err := <-errc; err != nil {
				t.Fatalf("event: %v", err)
			}
			tt.assert(session.GetMsg())
			session.AssertNoMsg()
			assertNoErrorLogged(t, logs)
		})
	}
}

// TestEventsFromRequest sends each event from a call handler, before the
// reply.
func TestEventsFromRequest(t *testing.T) {
	for _, tt := range eventTests {
		t.Run(tt.name, func(t *testing.T) {
			errc := make(chan error, 1)
			session, _ := newSession(t, func(s *res.Service) {
				s.Handle("model", res.Model, res.Call("emit", func(r res.CallRequest) { errc <- tt.emit(r); _ = r.OK(nil) }))
				s.Handle("collection", res.Collection, res.Call("emit", func(r res.CallRequest) { errc <- tt.emit(r); _ = r.OK(nil) }))
			})
			session.Call(tt.rid, "emit", nil).Response().AssertResult(nil)
			if err := <-errc; err != nil {
				t.Fatalf("event: %v", err)
			}
			tt.assert(session.GetMsg())
			session.AssertNoMsg()
		})
	}
}

// TestEventMisuse checks events that are refused: an error returned, and
// nothing published.
func TestEventMisuse(t *testing.T) {
	tests := []struct {
		name string
		rid  string
		emit func(r res.Resource) error
	}{
		{"change on collection", "test.collection", func(r res.Resource) error { return r.ChangeEvent(map[string]any{"a": 1}) }},
		{"add on model", "test.model", func(r res.Resource) error { return r.AddEvent(1, 0) }},
		{"remove on model", "test.model", func(r res.Resource) error { return r.RemoveEvent(0) }},
		{"add at negative index", "test.collection", func(r res.Resource) error { return r.AddEvent(1, -1) }},
		{"remove at negative index", "test.collection", func(r res.Resource) error { return r.RemoveEvent(-1) }},
		{"change value does not encode", "test.model", func(r res.Resource) error { return r.ChangeEvent(map[string]any{"a": make(chan int)}) }},
		{"custom payload does not encode", "test.model", func(r res.Resource) error { return r.Event("x", func() {}) }},
		{"custom with empty name", "test.model", func(r res.Resource) error { return r.Event("", nil) }},
		{"custom name with dot", "test.model", func(r res.Resource) error { return r.Event("a.b", nil) }},
		{"custom name with space", "test.model", func(r res.Resource) error { return r.Event("a b", nil) }},
		{"custom name with wildcard", "test.model", func(r res.Resource) error { return r.Event("*", nil) }},
	}
	// The reserved names of the service protocol, and "query".
	for _, name := range []string{"add", "change", "create", "delete", "patch", "reset", "reaccess", "remove", "unsubscribe", "query"} {
		tests = append(tests, struct {
			name string
			rid  string
			emit func(r res.Resource) error
		}{"custom named " + name, "test.model", func(r res.Resource) error { return r.Event(name, nil) }})
	}
	session, _ := newSession(t, eventService)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errc := make(chan error, 1)
			if err := session.Service().With(tt.rid, func(r res.Resource) { errc <- tt.emit(r) }); err != nil {
				t.Fatalf("With(%q): %v", tt.rid, err)
			}
			if err := <-errc; err == nil {
				t.Error("event = nil, want an error")
			}
			session.AssertNoMsg()
		})
	}
}

// TestChangeEventEmpty checks that a change event with no changes sends
// nothing.
func TestChangeEventEmpty(t *testing.T) {
	session, _ := newSession(t, eventService)
	for name, changes := range map[string]map[string]any{"nil": nil, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			errc := make(chan error, 1)
			_ = session.Service().With("test.model", func(r res.Resource) { errc <- r.ChangeEvent(changes) })
			if err := <-errc; err != nil {
				t.Errorf("ChangeEvent(%v) = %v, want nil", changes, err)
			}
			session.AssertNoMsg()
		})
	}
}

// TestEventsInOrder sends several events from one handler and checks they
// are published in the order sent.
func TestEventsInOrder(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("list", res.Collection, res.Call("fill", func(r res.CallRequest) {
			for i := range 20 {
				_ = r.AddEvent(i, i)
			}
			_ = r.RemoveEvent(0)
			_ = r.OK(nil)
		}))
	})
	session.Call("test.list", "fill", nil).Response().AssertResult(nil)
	for i := range 20 {
		session.GetMsg().AssertAddEvent("test.list", i, i)
	}
	session.GetMsg().AssertRemoveEvent("test.list", 0)
	session.AssertNoMsg()
}
