package res_test

import (
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// TestQueryEvent goes through the query event round trip: the service
// sends a query event, the test, as a gateway, sends query requests on its
// subject and checks the replies.
func TestQueryEvent(t *testing.T) {
	tests := []struct {
		name   string
		cb     func(q res.QueryRequest)
		assert func(m *restest.Msg)
	}{
		{"spec events", func(q res.QueryRequest) { _ = q.RemoveEvent(24); _ = q.AddEvent("foo", 0) }, func(m *restest.Msg) {
			m.AssertEvents(
				restest.Event{Name: "remove", Data: map[string]any{"idx": 24}},
				restest.Event{Name: "add", Data: map[string]any{"value": "foo", "idx": 0}},
			)
		}},
		{"change event", func(q res.QueryRequest) { _ = q.ChangeEvent(map[string]any{"n": 2}) }, func(m *restest.Msg) {
			m.AssertEvents(restest.Event{Name: "change", Data: map[string]any{"values": map[string]any{"n": 2}}})
		}},
		{"no events", func(q res.QueryRequest) {}, func(m *restest.Msg) { m.AssertEvents() }},
		{"spec collection", func(q res.QueryRequest) { _ = q.Collection([]string{"first", "second", "third"}) }, func(m *restest.Msg) {
			m.AssertCollection([]string{"first", "second", "third"})
		}},
		{"model", func(q res.QueryRequest) { _ = q.Model(map[string]any{"q": q.Query()}) }, func(m *restest.Msg) {
			m.AssertModel(map[string]any{"q": "limit=25&start=0"})
		}},
		{"not found", func(q res.QueryRequest) { _ = q.NotFound() }, func(m *restest.Msg) { m.AssertError(res.ErrNotFound) }},
		{"invalid query", func(q res.QueryRequest) { _ = q.InvalidQuery("") }, func(m *restest.Msg) { m.AssertError(res.ErrInvalidQuery) }},
		{"timeout", func(q res.QueryRequest) { _ = q.Timeout(5 * time.Second); _ = q.AddEvent(1, 0) }, func(m *restest.Msg) {
			m.AssertPreResponse(5 * time.Second)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queries := make(chan string, 4)
			session, _ := newSession(t, func(s *res.Service) {
				// An untyped resource, so that both model and collection
				// events are allowed.
				s.Handle("messages", res.GetResource(func(r res.GetRequest) { _ = r.QueryCollection([]any{}, r.Query()) }))
			}, res.WithQueryEventDuration(time.Minute))
			err := session.Service().With("test.messages", func(r res.Resource) {
				_ = r.QueryEvent(func(q res.QueryRequest) {
					if q == nil {
						return
					}
					queries <- q.Query() + " " + q.ResourceName()
					tt.cb(q)
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			var subject string
			session.GetMsg().AssertQueryEvent("test.messages", &subject)
			tt.assert(session.QueryRequest(subject, "limit=25&start=0").Response())
			if q := <-queries; q != "limit=25&start=0 test.messages" {
				t.Errorf("query request = %q, want limit=25&start=0 test.messages", q)
			}
			session.AssertNoMsg()
		})
	}
}

// TestQueryEventSeveralQueries sends one query request per query a gateway
// holds, each answered for its own query.
func TestQueryEventSeveralQueries(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("messages", res.GetCollection(func(r res.CollectionRequest) { _ = r.QueryCollection([]any{}, r.Query()) }))
	}, res.WithQueryEventDuration(time.Minute))
	_ = session.Service().With("test.messages", func(r res.Resource) {
		_ = r.QueryEvent(func(q res.QueryRequest) {
			if q != nil {
				_ = q.AddEvent(q.Query(), 0)
			}
		})
	})
	var subject string
	session.GetMsg().AssertQueryEvent("test.messages", &subject)
	for _, q := range []string{"start=0", "start=25", "start=50"} {
		session.QueryRequest(subject, q).Response().AssertEvents(restest.Event{Name: "add", Data: map[string]any{"value": q, "idx": 0}})
	}
}

// TestQueryEventExpires checks that the callback gets nil once the query
// event duration is over, and that query requests are no longer served.
func TestQueryEventExpires(t *testing.T) {
	done := make(chan struct{})
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("messages", res.GetCollection(func(r res.CollectionRequest) { _ = r.QueryCollection([]any{}, r.Query()) }))
	}, res.WithQueryEventDuration(time.Millisecond))
	_ = session.Service().With("test.messages", func(r res.Resource) {
		_ = r.QueryEvent(func(q res.QueryRequest) {
			if q == nil {
				close(done)
			}
		})
	})
	var subject string
	session.GetMsg().AssertQueryEvent("test.messages", &subject)
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("query event callback not called with nil")
	}
	// A late query request is not served. (On NATS the subscription is
	// gone; restest's MockConn cannot drop it, so the request reaches the
	// service, which must ignore it.)
	if ch := session.Conn().Request(subject, []byte(`{"query":"a=1"}`)); ch != nil {
		session.AssertNoMsg()
		select {
		case m := <-ch:
			t.Errorf("reply to a query request after expiry: %s", m.Payload)
		default:
		}
	}
}

// TestQueryEventEndsOnShutdown checks that a pending query event's callback
// gets nil when the service shuts down.
func TestQueryEventEndsOnShutdown(t *testing.T) {
	done := make(chan struct{})
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("messages", res.GetCollection(func(r res.CollectionRequest) { _ = r.Collection([]any{}) }))
	}, res.WithQueryEventDuration(time.Hour))
	_ = session.Service().With("test.messages", func(r res.Resource) {
		_ = r.QueryEvent(func(q res.QueryRequest) {
			if q == nil {
				close(done)
			}
		})
	})
	session.GetMsg().AssertQueryEvent("test.messages", nil)
	if err := session.Service().Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	default:
		t.Error("query event callback not called with nil by Shutdown")
	}
}

// TestQueryRequestWithoutQuery checks a malformed query request: an error
// reply and a log line.
func TestQueryRequestWithoutQuery(t *testing.T) {
	session, logs := newSession(t, func(s *res.Service) {
		s.Handle("messages", res.GetCollection(func(r res.CollectionRequest) { _ = r.Collection([]any{}) }))
	}, res.WithQueryEventDuration(time.Minute))
	_ = session.Service().With("test.messages", func(r res.Resource) {
		_ = r.QueryEvent(func(q res.QueryRequest) {
			if q != nil {
				t.Error("callback called for a query request without query")
			}
		})
	})
	var subject string
	session.GetMsg().AssertQueryEvent("test.messages", &subject)
	for _, payload := range []string{`{}`, `{"query":""}`, `not json`, ``} {
		session.Request(subject, []byte(payload)).Response().AssertErrorCode(res.CodeInternalError)
	}
	assertLogged(t, logs, "level=ERROR", "query")
}

// TestQueryGet checks get requests for a query resource: the handler sees
// the query and replies with the normalized query.
func TestQueryGet(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("users", res.GetCollection(func(r res.CollectionRequest) {
			q := r.ParseQuery()
			if q.Has("bad") {
				_ = r.InvalidQuery("Unknown parameter bad")
				return
			}
			_ = r.QueryCollection([]string{q.Get("q")}, "q="+q.Get("q"))
		}))
	})
	session.Get("test.users?q=Jane").Response().AssertCollection([]string{"Jane"}).AssertQuery("q=Jane")
	session.Get("test.users?bad=1").Response().AssertError(&res.Error{Code: res.CodeInvalidQuery, Message: "Unknown parameter bad"})
	session.Get("test.users").Response().AssertCollection([]string{""}).AssertQuery("q=")
}

// TestQueryEventMisuse checks QueryEvent calls that are refused.
func TestQueryEventMisuse(t *testing.T) {
	inner := make(chan error, 1)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("messages", res.GetCollection(func(r res.CollectionRequest) { _ = r.Collection([]any{}) }))
	}, res.WithQueryEventDuration(time.Minute))
	errc := make(chan error, 1)
	_ = session.Service().With("test.messages", func(r res.Resource) {
		if err := r.QueryEvent(nil); err == nil {
			t.Error("QueryEvent(nil) = nil, want an error")
		}
		errc <- r.QueryEvent(func(q res.QueryRequest) {
			if q != nil {
				inner <- q.QueryEvent(func(res.QueryRequest) {})
			}
		})
	})
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	var subject string
	session.GetMsg().AssertQueryEvent("test.messages", &subject)
	session.QueryRequest(subject, "a=1").Response().AssertEvents()
	if err := <-inner; err == nil {
		t.Error("QueryEvent from a query request = nil, want an error")
	}
	session.AssertNoMsg()
}
