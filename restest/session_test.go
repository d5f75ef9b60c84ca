package restest_test

import (
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type book struct {
	Title string `json:"title"`
}

func newLibrary(t *testing.T) *res.Service {
	s := res.NewService("library", res.WithLogger(restest.NewLogger(t)))
	s.Handle("book.$id",
		res.Access(res.AccessGranted),
		res.GetModel(func(r res.ModelRequest) {
			if r.PathParam("id") != "1" {
				_ = r.NotFound()
				return
			}
			_ = r.Model(book{Title: "Dune"})
		}),
		res.Set(func(r res.CallRequest) {
			p, err := res.ParseParams[book](r)
			if err != nil {
				return
			}
			_ = r.ChangeEvent(map[string]any{"title": p.Title})
			_ = r.OK(nil)
		}),
	)
	s.Handle("books", res.GetCollection(func(r res.CollectionRequest) {
		_ = r.Collection([]res.Ref{"library.book.1"})
	}))
	return s
}

func TestSessionGet(t *testing.T) {
	s := restest.NewSession(t, newLibrary(t), restest.WithReset([]string{"library.>"}, []string{"library.>"}))

	s.Get("library.book.1").Response().AssertModel(book{Title: "Dune"})
	s.Get("library.book.2").Response().AssertError(res.ErrNotFound)
	s.Get("library.books").Response().AssertCollection([]any{map[string]any{"rid": "library.book.1"}})
	s.Get("library.nothing").Response().AssertErrorCode(res.CodeNotFound)
	s.AssertNoMsg()
}

func TestSessionCall(t *testing.T) {
	s := restest.NewSession(t, newLibrary(t))

	s.Call("library.book.1", "set", &restest.Request{Params: book{Title: "Emma"}}).Response().AssertResult(nil)
	s.GetMsg().AssertChangeEvent("library.book.1", map[string]any{"title": "Emma"})
	s.Call("library.book.1", "set", &restest.Request{Params: 42}).Response().AssertErrorCode(res.CodeInvalidParams)
	s.Call("library.book.1", "unknown", nil).Response().AssertError(res.ErrMethodNotFound)
	s.Access("library.book.1", nil).Response().AssertAccess(true, "*")
	s.AssertNoMsg()
}

func TestSessionWith(t *testing.T) {
	s := restest.NewSession(t, newLibrary(t))

	err := s.Service().With("library.book.1", func(r res.Resource) {
		_ = r.ChangeEvent(map[string]any{"title": "Persuasion"})
	})
	if err != nil {
		t.Fatalf("With: %v", err)
	}
	s.GetMsg().AssertChangeEvent("library.book.1", map[string]any{"title": "Persuasion"})
	s.AssertNoMsg()
}

func TestSessionQueryEvent(t *testing.T) {
	svc := res.NewService("search", res.WithQueryEventDuration(time.Hour))
	done := make(chan struct{})
	svc.Handle("books", res.GetCollection(func(r res.CollectionRequest) {
		_ = r.QueryCollection([]string{"a"}, r.Query())
	}), res.Call("touch", func(r res.CallRequest) {
		_ = r.QueryEvent(func(q res.QueryRequest) {
			if q == nil {
				close(done)
				return
			}
			if q.Query() == "q=reset" {
				_ = q.Collection([]string{"b"})
				return
			}
			_ = q.AddEvent("b", 1)
		})
		_ = r.OK(nil)
	}))
	s := restest.NewSession(t, svc)

	s.Get("search.books?q=1").Response().AssertCollection([]string{"a"}).AssertQuery("q=1")
	s.Call("search.books", "touch", nil).Response().AssertResult(nil)
	var subject string
	s.GetMsg().AssertQueryEvent("search.books", &subject)
	s.QueryRequest(subject, "q=1").Response().AssertEvents(restest.Event{Name: "add", Data: map[string]any{"value": "b", "idx": 1}})
	s.QueryRequest(subject, "q=reset").Response().AssertCollection([]string{"b"})
	s.AssertNoMsg()
	if err := svc.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(restest.DefaultTimeout):
		t.Fatal("query event callback not called with nil on shutdown")
	}
}
