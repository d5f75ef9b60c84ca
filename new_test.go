package res_test

import (
	"testing"

	"github.com/reskit/res"
)

// TestNewHandler covers the deprecated New handler, which serves call
// requests for the method "new".
func TestNewHandler(t *testing.T) {
	type params struct {
		Title string `json:"title"`
	}
	session, logs := newSession(t, func(s *res.Service) {
		s.Handle("books",
			res.New(func(r res.NewRequest) {
				p, err := res.ParseParams[params](r)
				switch {
				case err != nil:
					_ = r.Error(err)
				case p.Title == "":
					_ = r.InvalidParams("Missing title")
				case p.Title == "bad":
					_ = r.New(res.Ref("test..bad"))
				default:
					_ = r.New(res.Ref("test.book." + p.Title))
				}
			}),
			res.Call("new", func(r res.CallRequest) { _ = r.OK("the call handler") }),
			res.Call("other", func(r res.CallRequest) { _ = r.OK("other") }),
		)
		s.Handle("shelf", res.Call("new", func(r res.CallRequest) { _ = r.Resource("test.book.x") }))
	})
	t.Run("resource reply", func(t *testing.T) {
		session.Call("test.books", "new", reqWithParams(map[string]any{"title": "dune"})).Response().AssertResource("test.book.dune")
	})
	t.Run("takes precedence over Call new", func(t *testing.T) {
		session.Call("test.books", "new", reqWithParams(map[string]any{"title": "x"})).Response().AssertResource("test.book.x")
	})
	t.Run("other methods go to Call", func(t *testing.T) {
		session.Call("test.books", "other", nil).Response().AssertResult("other")
	})
	t.Run("invalid params", func(t *testing.T) {
		session.Call("test.books", "new", reqWithParams(map[string]any{})).Response().AssertError(&res.Error{Code: res.CodeInvalidParams, Message: "Missing title"})
	})
	t.Run("params that do not parse", func(t *testing.T) {
		session.Call("test.books", "new", reqWithParams([]int{1})).Response().AssertErrorCode(res.CodeInvalidParams)
	})
	t.Run("invalid reference", func(t *testing.T) {
		session.Call("test.books", "new", reqWithParams(map[string]any{"title": "bad"})).Response().AssertErrorCode(res.CodeInternalError)
		assertLogged(t, logs, "level=ERROR", "test..bad")
	})
	t.Run("call new without New handler", func(t *testing.T) {
		session.Call("test.shelf", "new", nil).Response().AssertResource("test.book.x")
	})
}
