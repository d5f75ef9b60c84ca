package res_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/reskit/res"
)

// TestResourceFields checks what a Resource tells about itself, from a
// request and from Service.With.
func TestResourceFields(t *testing.T) {
	type seen struct {
		Name, Query, ID, Group, Type string
		Params                       map[string]string
		Parsed                       url.Values
		Service                      *res.Service
		HasContext                   bool
	}
	tests := []struct {
		name string
		rid  string
		want seen
	}{
		{"model with param", "test.book.42", seen{Name: "test.book.42", ID: "42", Group: "test.book.42", Type: "model", Params: map[string]string{"id": "42"}, Parsed: url.Values{}}},
		{"query", "test.book.7?a=1&b=x&a=2", seen{
			Name: "test.book.7", Query: "a=1&b=x&a=2", ID: "7", Group: "test.book.7", Type: "model",
			Params: map[string]string{"id": "7"}, Parsed: url.Values{"a": {"1", "2"}, "b": {"x"}},
		}},
		{"malformed query", "test.book.7?a=%zz&b=1", seen{
			Name: "test.book.7", Query: "a=%zz&b=1", ID: "7", Group: "test.book.7", Type: "model",
			Params: map[string]string{"id": "7"}, Parsed: url.Values{"b": {"1"}},
		}},
		{"collection in group", "test.shelf.3.books", seen{Name: "test.shelf.3.books", Group: "shelf.3", Type: "collection", Params: map[string]string{"sid": "3"}, Parsed: url.Values{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan seen, 2)
			var svc *res.Service
			observe := func(r res.Resource) {
				got <- seen{
					Name: r.ResourceName(), Query: r.Query(), ID: r.PathParam("id"), Group: r.Group(), Type: r.ResourceType().String(),
					Params: r.PathParams(), Parsed: r.ParseQuery(), Service: r.Service(), HasContext: r.Context() != nil,
				}
			}
			session, _ := newSession(t, func(s *res.Service) {
				svc = s
				s.Handle("book.$id", res.GetModel(func(r res.ModelRequest) { observe(r); _ = r.Model(map[string]any{}) }))
				s.Handle("shelf.$sid.books", res.Group("shelf.${sid}"), res.GetCollection(func(r res.CollectionRequest) { observe(r); _ = r.Collection([]any{}) }))
			})
			tt.want.Service, tt.want.HasContext = svc, true
			session.Get(tt.rid).Response()
			if err := session.Service().With(tt.rid, observe); err != nil {
				t.Fatalf("With(%q): %v", tt.rid, err)
			}
			for _, where := range []string{"request", "With"} {
				if g := <-got; !eqGot(g, tt.want) {
					t.Errorf("from %s: %+v, want %+v", where, g, tt.want)
				}
			}
		})
	}
}

// TestResourceContext checks that a request's context ends when the
// service shuts down.
func TestResourceContext(t *testing.T) {
	ctxc := make(chan context.Context, 1)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("x", res.GetModel(func(r res.ModelRequest) { ctxc <- r.Context(); _ = r.Model(map[string]any{}) }))
	})
	session.Get("test.x").Response().AssertModel(map[string]any{})
	ctx := <-ctxc
	if ctx.Err() != nil {
		t.Fatalf("context done while serving: %v", ctx.Err())
	}
	if err := session.Service().Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == nil {
		t.Error("request context not done after Shutdown")
	}
}

// TestServiceWithErrors checks With's errors: an invalid resource ID, a
// resource with no handler, a service that does not serve.
func TestServiceWithErrors(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) { s.Handle("x", model(map[string]any{})) })
	for _, rid := range []string{"test..x", "test.>", "", "test.y", "other.x"} {
		t.Run(rid, func(t *testing.T) {
			if err := session.Service().With(rid, func(res.Resource) { t.Error("callback called") }); err == nil {
				t.Errorf("With(%q) = nil, want an error", rid)
			}
		})
	}
	t.Run("not serving", func(t *testing.T) {
		s := res.NewService("test")
		s.Handle("x", model(map[string]any{}))
		if err := s.With("test.x", func(res.Resource) {}); err == nil {
			t.Error("With before Serve = nil, want an error")
		}
	})
	t.Run("reply from With", func(t *testing.T) {
		errc := make(chan error, 1)
		_ = session.Service().With("test.x", func(r res.Resource) {
			errc <- r.(interface{ NotFound() error }).NotFound()
		})
		if err := <-errc; err == nil {
			t.Error("reply on a Resource from With = nil, want ErrNotRequest")
		}
		session.AssertNoMsg()
	})
}
