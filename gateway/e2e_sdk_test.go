package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/reskit/res"
	"github.com/reskit/res/resprot"
)

// End-to-end tests: a service written with the SDK, served on the embedded
// NATS server, behind the gateway, used by real WebSocket clients.

// library is a small service: books (models) in a collection, with an
// access rule that needs a logged-in user to change anything.
type library struct {
	mu    sync.Mutex // protects the fields below
	books map[string]*book
	order []string // IDs in collection order
	next  int
}

type book struct {
	Title  string `json:"title"`
	Author string `json:"author"`
}

type token struct {
	User string `json:"user"`
}

func startLibrary(t testing.TB, natsURL string) *res.Service {
	t.Helper()
	lib := &library{
		books: map[string]*book{
			"1": {Title: "Dune", Author: "Frank Herbert"},
			"2": {Title: "Emma", Author: "Jane Austen"},
		},
		order: []string{"1", "2"},
		next:  3,
	}
	serving := make(chan struct{})
	s := res.NewService("library",
		res.WithLogger(testLogger(t)),
		res.WithOnServe(func(*res.Service) { close(serving) }),
	)

	// Anyone may read; only a logged-in user may call methods. The private
	// shelf needs a logged-in user even to read.
	readAnyone := func(r res.AccessRequest) {
		var tok token
		_ = r.ParseToken(&tok)
		if tok.User == "" {
			_ = r.Access(true, "")
			return
		}
		_ = r.AccessGranted()
	}
	s.Handle("book.$id",
		res.Access(readAnyone),
		res.GetModel(func(r res.ModelRequest) {
			lib.mu.Lock()
			b, ok := lib.books[r.PathParam("id")]
			var v book
			if ok {
				v = *b
			}
			lib.mu.Unlock()
			if !ok {
				_ = r.NotFound()
				return
			}
			_ = r.Model(v)
		}),
		res.Set(func(r res.CallRequest) {
			var p struct {
				Title *string `json:"title"`
			}
			if err := r.ParseParams(&p); err != nil || p.Title == nil {
				_ = r.InvalidParams("title is required")
				return
			}
			lib.mu.Lock()
			b, ok := lib.books[r.PathParam("id")]
			changed := ok && b.Title != *p.Title
			if changed {
				b.Title = *p.Title
			}
			lib.mu.Unlock()
			if !ok {
				_ = r.NotFound()
				return
			}
			if changed {
				_ = r.ChangeEvent(map[string]any{"title": *p.Title})
			}
			_ = r.OK(nil)
		}),
	)

	s.Handle("books",
		res.Access(readAnyone),
		res.GetCollection(func(r res.CollectionRequest) {
			lib.mu.Lock()
			refs := make([]res.Ref, len(lib.order))
			for i, id := range lib.order {
				refs[i] = res.Ref("library.book." + id)
			}
			lib.mu.Unlock()
			_ = r.Collection(refs)
		}),
		res.Call("add", func(r res.CallRequest) {
			var b book
			if err := r.ParseParams(&b); err != nil || b.Title == "" {
				_ = r.InvalidParams("title is required")
				return
			}
			lib.mu.Lock()
			id := fmt.Sprint(lib.next)
			lib.next++
			lib.books[id] = &b
			lib.order = append(lib.order, id)
			idx := len(lib.order) - 1
			lib.mu.Unlock()
			_ = r.AddEvent(res.Ref("library.book."+id), idx)
			_ = r.Resource("library.book." + id)
		}),
		res.Call("remove", func(r res.CallRequest) {
			var p struct {
				ID string `json:"id"`
			}
			_ = r.ParseParams(&p)
			lib.mu.Lock()
			idx := -1
			for i, id := range lib.order {
				if id == p.ID {
					idx = i
				}
			}
			if idx >= 0 {
				lib.order = append(lib.order[:idx], lib.order[idx+1:]...)
			}
			lib.mu.Unlock()
			if idx < 0 {
				_ = r.NotFound()
				return
			}
			_ = r.RemoveEvent(idx)
			_ = r.OK(nil)
		}),
	)

	s.Handle("shelf",
		res.Access(func(r res.AccessRequest) {
			var tok token
			_ = r.ParseToken(&tok)
			if tok.User == "" {
				_ = r.AccessDenied()
				return
			}
			_ = r.AccessGranted()
		}),
		res.GetModel(func(r res.ModelRequest) {
			_ = r.Model(map[string]any{"favorite": res.Ref("library.book.1")})
		}),
	)

	s.Handle("auth",
		res.Auth("login", func(r res.AuthRequest) {
			var p token
			if err := r.ParseParams(&p); err != nil || p.User == "" {
				_ = r.InvalidParams("user is required")
				return
			}
			_ = r.TokenEvent(p)
			_ = r.OK(map[string]string{"hello": p.User})
		}),
		res.Auth("logout", func(r res.AuthRequest) {
			_ = r.TokenEvent(nil)
			_ = r.OK(nil)
		}),
	)

	done := make(chan error, 1)
	go func() {
		done <- s.ListenAndServe(natsURL, nats.Timeout(waitTimeout))
	}()
	select {
	case <-serving:
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(waitTimeout):
		t.Fatalf("service not serving within %v", waitTimeout)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("service Shutdown: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, res.ErrServiceClosed) {
			t.Errorf("ListenAndServe: %v", err)
		}
	})
	return s
}

const (
	dune = `{"title":"Dune","author":"Frank Herbert"}`
	emma = `{"title":"Emma","author":"Jane Austen"}`
)

func TestE2ESubscribe(t *testing.T) {
	t.Parallel()
	s := newGatewaySession(t)
	startLibrary(t, s.natsURL)
	c := s.Connect(t)
	c.Request(t, "subscribe.library.books", nil).AssertResult(t, js(`{
		"collections": {"library.books": [{"rid":"library.book.1"},{"rid":"library.book.2"}]},
		"models": {"library.book.1": `+dune+`, "library.book.2": `+emma+`}
	}`))
	c.Request(t, "subscribe.library.book.9", nil).AssertError(t, resprot.ErrNotFound)
}

// A set call on a book sends a change event to every client subscribing to
// it, directly or through the collection.
func TestE2ESetChangeEvent(t *testing.T) {
	t.Parallel()
	s := newGatewaySession(t)
	startLibrary(t, s.natsURL)
	c1 := s.Connect(t)
	c1.Request(t, "subscribe.library.book.1", nil).AssertResult(t, js(`{"models":{"library.book.1":`+dune+`}}`))
	c2 := s.Connect(t)
	c2.Request(t, "subscribe.library.books", nil)

	login(t, c1, "jane")
	c1.Request(t, "call.library.book.1.set", js(`{"title":"Dune Messiah"}`)).AssertResult(t, js(`{"payload":null}`))
	c1.AssertEvent(t, "library.book.1.change", js(`{"values":{"title":"Dune Messiah"}}`))
	c2.AssertEvent(t, "library.book.1.change", js(`{"values":{"title":"Dune Messiah"}}`))

	// A new client gets the changed book.
	c3 := s.Connect(t)
	c3.Request(t, "get.library.book.1", nil).AssertResult(t, js(`{"models":{"library.book.1":{"title":"Dune Messiah","author":"Frank Herbert"}}}`))

	// Service errors reach the client.
	c1.Request(t, "call.library.book.1.set", js(`{}`)).AssertErrorCode(t, resprot.CodeInvalidParams)
	c1.Request(t, "call.library.book.1.nosuch", nil).AssertErrorCode(t, resprot.CodeMethodNotFound)
}

// Adding and removing books sends add and remove events, with the new book
// in the add event's resource set.
func TestE2ECollectionAddRemove(t *testing.T) {
	t.Parallel()
	s := newGatewaySession(t)
	startLibrary(t, s.natsURL)
	c1 := s.Connect(t)
	c1.Request(t, "subscribe.library.books", nil)
	c2 := s.Connect(t)
	c2.Request(t, "subscribe.library.books", nil)
	login(t, c1, "jane")

	resp := c1.Request(t, "call.library.books.add", js(`{"title":"Ulysses","author":"James Joyce"}`))
	ev := c1.GetEvent(t).AssertName(t, "library.books.add")
	// The new book is sent to c1 once: with the add event or with the
	// call's resource response, whichever the gateway handled first.
	var r struct {
		RID    string                     `json:"rid"`
		Models map[string]json.RawMessage `json:"models"`
	}
	var e struct {
		Models map[string]json.RawMessage `json:"models"`
	}
	if err := json.Unmarshal(resp.Result, &r); err != nil || r.RID != "library.book.3" {
		t.Fatalf("add result = %s, want a resource response for library.book.3", resp.raw)
	}
	_ = json.Unmarshal(ev.Data, &e)
	ulysses := js(`{"title":"Ulysses","author":"James Joyce"}`)
	switch {
	case r.Models["library.book.3"] != nil && e.Models == nil:
		assertJSON(t, "book in the resource response", r.Models["library.book.3"], ulysses)
		ev.Assert(t, "library.books.add", js(`{"idx":2,"value":{"rid":"library.book.3"}}`))
	case r.Models == nil && e.Models["library.book.3"] != nil:
		ev.Assert(t, "library.books.add", js(`{"idx":2,"value":{"rid":"library.book.3"},"models":{"library.book.3":`+string(ulysses)+`}}`))
	default:
		t.Fatalf("the new book must be sent exactly once:\nresponse: %s\nevent: %s", resp.raw, ev.raw)
	}
	c2.AssertEvent(t, "library.books.add", js(`{"idx":2,"value":{"rid":"library.book.3"},"models":{"library.book.3":{"title":"Ulysses","author":"James Joyce"}}}`))

	c1.Request(t, "call.library.books.remove", js(`{"id":"1"}`)).AssertResult(t, js(`{"payload":null}`))
	c1.AssertEvent(t, "library.books.remove", js(`{"idx":0}`))
	c2.AssertEvent(t, "library.books.remove", js(`{"idx":0}`))

	c3 := s.Connect(t)
	c3.Request(t, "get.library.books", nil).AssertResult(t, js(`{
		"collections": {"library.books": [{"rid":"library.book.2"},{"rid":"library.book.3"}]},
		"models": {"library.book.2": `+emma+`, "library.book.3": {"title":"Ulysses","author":"James Joyce"}}
	}`))
}

// Access follows the token set by auth: denied before login, granted
// after, and revoked with an unsubscribe event on logout.
func TestE2EAccessAfterAuth(t *testing.T) {
	t.Parallel()
	s := newGatewaySession(t)
	startLibrary(t, s.natsURL)
	c := s.Connect(t)
	c.Request(t, "subscribe.library.shelf", nil).AssertError(t, resprot.ErrAccessDenied)
	c.Request(t, "call.library.book.1.set", js(`{"title":"x"}`)).AssertErrorCode(t, resprot.CodeAccessDenied)

	c.Request(t, "auth.library.auth.login", js(`{}`)).AssertErrorCode(t, resprot.CodeInvalidParams)
	login(t, c, "jane")
	c.Request(t, "subscribe.library.shelf", nil).AssertResult(t, js(`{"models":{
		"library.shelf": {"favorite":{"rid":"library.book.1"}},
		"library.book.1": `+dune+`
	}}`))

	// Logging out changes the token: access is checked again and lost.
	c.Request(t, "auth.library.auth.logout", nil).AssertResult(t, js(`{"payload":null}`))
	c.AssertEvent(t, "library.shelf.unsubscribe", map[string]any{"reason": resprot.ErrAccessDenied})
	c.Request(t, "unsubscribe.library.shelf", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
}

func login(t testing.TB, c *Client, user string) {
	t.Helper()
	c.Request(t, "auth.library.auth.login", map[string]string{"user": user}).
		AssertResult(t, map[string]any{"payload": map[string]string{"hello": user}})
}
