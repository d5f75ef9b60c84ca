package res_test

import (
	"errors"
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// TestGetReplies covers every reply a get handler can give.
func TestGetReplies(t *testing.T) {
	custom := &res.Error{Code: "test.custom", Message: "Custom", Data: []byte(`{"n":1}`)}
	specModel := map[string]any{"id": 42, "name": "Jane Doe", "roles": res.Ref("example.user.42.roles")}
	tests := []struct {
		name   string
		opt    res.Option
		rid    string
		assert func(m *restest.Msg)
	}{
		{"spec model", model(specModel), "test.x", func(m *restest.Msg) {
			m.AssertModel(map[string]any{"id": 42, "name": "Jane Doe", "roles": map[string]any{"rid": "example.user.42.roles"}}).AssertQuery("")
		}},
		{"spec collection", collection([]string{"admin", "tester", "developer"}), "test.x", func(m *restest.Msg) {
			m.AssertCollection([]string{"admin", "tester", "developer"}).AssertQuery("")
		}},
		{"empty model", model(struct{}{}), "test.x", func(m *restest.Msg) { m.AssertModel(map[string]any{}) }},
		{"empty collection", collection([]int{}), "test.x", func(m *restest.Msg) { m.AssertCollection([]any{}) }},
		{"struct model", model(struct {
			Title string `json:"title"`
		}{"Dune"}), "test.x", func(m *restest.Msg) { m.AssertModel(map[string]any{"title": "Dune"}) }},
		{"values", model(map[string]any{
			"ref":  res.Ref("test.a"),
			"soft": res.SoftRef("test.b"),
			"data": res.NewDataValue([]int{1, 2}),
			"nil":  nil,
		}), "test.x", func(m *restest.Msg) {
			m.AssertModel(map[string]any{
				"ref":  map[string]any{"rid": "test.a"},
				"soft": map[string]any{"rid": "test.b", "soft": true},
				"data": map[string]any{"data": []int{1, 2}},
				"nil":  nil,
			})
		}},
		{"query model", res.GetModel(func(r res.ModelRequest) { _ = r.QueryModel(map[string]any{"q": r.Query()}, "a=1&b=2") }),
			"test.x?b=2&a=1", func(m *restest.Msg) { m.AssertModel(map[string]any{"q": "b=2&a=1"}).AssertQuery("a=1&b=2") }},
		{"query collection", res.GetCollection(func(r res.CollectionRequest) { _ = r.QueryCollection([]string{r.Query()}, "limit=25&start=0") }),
			"test.x?start=0&limit=25", func(m *restest.Msg) { m.AssertCollection([]string{"start=0&limit=25"}).AssertQuery("limit=25&start=0") }},
		{"resource as model", res.GetResource(func(r res.GetRequest) { _ = r.Model(map[string]any{"a": 1}) }), "test.x",
			func(m *restest.Msg) { m.AssertModel(map[string]any{"a": 1}) }},
		{"resource as collection", res.GetResource(func(r res.GetRequest) { _ = r.Collection([]int{1}) }), "test.x",
			func(m *restest.Msg) { m.AssertCollection([]int{1}) }},
		{"not found", res.GetModel(func(r res.ModelRequest) { _ = r.NotFound() }), "test.x",
			func(m *restest.Msg) { m.AssertError(res.ErrNotFound) }},
		{"invalid query", res.GetCollection(func(r res.CollectionRequest) { _ = r.InvalidQuery("Bad limit") }), "test.x?limit=x",
			func(m *restest.Msg) { m.AssertError(&res.Error{Code: res.CodeInvalidQuery, Message: "Bad limit"}) }},
		{"custom error with data", res.GetModel(func(r res.ModelRequest) { _ = r.Error(custom) }), "test.x",
			func(m *restest.Msg) { m.AssertError(custom) }},
		{"plain error", res.GetModel(func(r res.ModelRequest) { _ = r.Error(errors.New("disk")) }), "test.x",
			func(m *restest.Msg) {
				m.AssertError(&res.Error{Code: res.CodeInternalError, Message: "Internal error: disk"})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, logs := newSession(t, func(s *res.Service) { s.Handle("x", tt.opt) })
			tt.assert(session.Get(tt.rid).Response())
			session.AssertNoMsg()
			assertNoErrorLogged(t, logs)
		})
	}
}

// TestGetBadValue checks that a model that is not a JSON object, or a
// collection that is not an array, is refused: the client gets
// system.internalError, the reply method returns an error, and the cause
// is logged.
func TestGetBadValue(t *testing.T) {
	tests := []struct {
		name  string
		reply func(r res.GetRequest) error
	}{
		{"model is an array", func(r res.GetRequest) error { return r.Model([]int{1}) }},
		{"model is a string", func(r res.GetRequest) error { return r.Model("x") }},
		{"model is null", func(r res.GetRequest) error { return r.Model(nil) }},
		{"collection is an object", func(r res.GetRequest) error { return r.Collection(map[string]int{}) }},
		{"collection is a number", func(r res.GetRequest) error { return r.Collection(42) }},
		{"model does not encode", func(r res.GetRequest) error { return r.Model(map[string]any{"c": make(chan int)}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errc := make(chan error, 1)
			session, logs := newSession(t, func(s *res.Service) {
				s.Handle("x", res.GetResource(func(r res.GetRequest) { errc <- tt.reply(r) }))
			})
			session.Get("test.x").Response().AssertErrorCode(res.CodeInternalError)
			if err := <-errc; err == nil {
				t.Error("reply method returned nil, want an error")
			}
			assertLogged(t, logs, "level=ERROR")
			session.AssertNoMsg()
		})
	}
}

// TestGetWithoutGetHandler checks that a get request for a resource whose
// handler has no get handler, or for a resource with no handler, gets
// system.notFound.
func TestGetWithoutGetHandler(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("model", res.Access(res.AccessGranted), res.Call("do", func(r res.CallRequest) { _ = r.OK(nil) }))
	})
	session.Get("test.model").Response().AssertError(res.ErrNotFound)
	session.Get("test.other").Response().AssertError(res.ErrNotFound)
	session.Get("test.model.sub").Response().AssertError(res.ErrNotFound)
}

func TestGetTimeout(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("x", res.GetModel(func(r res.ModelRequest) {
			_ = r.Timeout(15 * time.Second)
			_ = r.Model(map[string]any{})
		}))
	})
	req := session.Get("test.x")
	req.Response().AssertRawPayload([]byte(`timeout:"15000"`))
	req.Response().AssertModel(map[string]any{})
}

// TestGetEmptyPayload sends a get request with no payload at all, which the
// service protocol allows, and one with an empty object.
func TestGetEmptyPayload(t *testing.T) {
	session, _ := newSession(t, func(s *res.Service) { s.Handle("x", model(map[string]any{"a": 1})) })
	session.Request("get.test.x", nil).Response().AssertModel(map[string]any{"a": 1})
	session.Request("get.test.x", []byte(`{}`)).Response().AssertModel(map[string]any{"a": 1})
}

// TestGetPathParams checks path parameters, wildcards and the pattern
// precedence of the router as a get handler sees them.
func TestGetPathParams(t *testing.T) {
	echo := func(tag string) res.Option {
		return res.GetModel(func(r res.ModelRequest) {
			m := map[string]any{"h": tag, "name": r.ResourceName(), "n": len(r.PathParams())}
			for k, v := range r.PathParams() {
				m["$"+k] = v
			}
			_ = r.Model(m)
		})
	}
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("book.$id", echo("book"))
		s.Handle("book.new", echo("literal"))
		s.Handle("user.$uid.book.$bid", echo("user book"))
		s.Handle("any.*.x", echo("star"))
		s.Handle("files.>", echo("full"))
		s.Route("shop", func(r *res.Router) { r.Handle("item.$id", echo("mounted")) })
	})
	tests := []struct {
		rid  string
		want map[string]any
	}{
		{"test.book.42", map[string]any{"h": "book", "n": 1, "$id": "42"}},
		{"test.book.new", map[string]any{"h": "literal", "n": 0}},
		{"test.user.7.book.9", map[string]any{"h": "user book", "n": 2, "$uid": "7", "$bid": "9"}},
		{"test.any.thing.x", map[string]any{"h": "star", "n": 0}},
		{"test.files.a.b.c", map[string]any{"h": "full", "n": 0}},
		{"test.shop.item.3", map[string]any{"h": "mounted", "n": 1, "$id": "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.rid, func(t *testing.T) {
			tt.want["name"] = tt.rid
			session.Get(tt.rid).Response().AssertModel(tt.want)
		})
	}
}
