package main

import (
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func call(params any) *restest.Request {
	r := restest.DefaultCallRequest()
	r.Params = params
	return r
}

func ref(rid string) map[string]string { return map[string]string{"rid": rid} }

func TestGetBooks(t *testing.T) {
	s := restest.NewSession(t, newService())
	s.Get("library.books").Response().AssertCollection([]any{ref("library.book.1"), ref("library.book.2"), ref("library.book.3")})
	s.Get("library.book.2").Response().AssertModel(book{ID: 2, Title: "Brave New World", Author: "Aldous Huxley"})
	for _, rid := range []string{"library.book.4", "library.book.02", "library.book.x"} {
		s.Get(rid).Response().AssertErrorCode("system.notFound")
	}
	s.Access("library.book.1", restest.DefaultAccessRequest()).Response().AssertAccess(true, "*")
}

func TestNewBook(t *testing.T) {
	s := restest.NewSession(t, newService())
	s.Call("library.books", "new", call(map[string]any{"title": " Dune ", "author": "Frank Herbert"})).
		Response().AssertResource("library.book.4")
	s.GetMsg().AssertAddEvent("library.books", ref("library.book.4"), 3)
	s.Get("library.book.4").Response().AssertModel(book{ID: 4, Title: "Dune", Author: "Frank Herbert"})
}

func TestSetBook(t *testing.T) {
	s := restest.NewSession(t, newService())
	s.Call("library.book.1", "set", call(map[string]any{"title": "Animal Farm: A Fairy Story"})).Response().AssertResult(nil)
	s.GetMsg().AssertChangeEvent("library.book.1", map[string]any{"title": "Animal Farm: A Fairy Story"})
	s.Call("library.book.1", "set", call(map[string]any{"author": "George Orwell"})).Response().AssertResult(nil)
	s.AssertNoMsg() // nothing changed
	s.Call("library.book.9", "set", call(map[string]any{"title": "X"})).Response().AssertErrorCode("system.notFound")
}

func TestDeleteBook(t *testing.T) {
	s := restest.NewSession(t, newService())
	s.Call("library.books", "delete", call(map[string]any{"id": 2})).Response().AssertResult(nil)
	s.GetMsg().AssertRemoveEvent("library.books", 1)
	s.GetMsg().AssertDeleteEvent("library.book.2")
	s.Get("library.books").Response().AssertCollection([]any{ref("library.book.1"), ref("library.book.3")})
	s.Get("library.book.2").Response().AssertErrorCode("system.notFound")

	// Deleting again succeeds, and changes nothing.
	s.Call("library.books", "delete", call(map[string]any{"id": 2})).Response().AssertResult(nil)
	s.AssertNoMsg()
}

func TestInvalidParams(t *testing.T) {
	tests := []struct {
		name, rid, method string
		params            any
		message           string
	}{
		{"new without title", "library.books", "new", map[string]any{"author": "A"}, "Title must not be empty"},
		{"new with blank author", "library.books", "new", map[string]any{"title": "T", "author": "  "}, "Author must not be empty"},
		{"new with a number", "library.books", "new", map[string]any{"title": 1, "author": "A"}, "title and author must be strings"},
		{"set empty title", "library.book.1", "set", map[string]any{"title": ""}, "Title must not be empty"},
		{"set empty author", "library.book.1", "set", map[string]any{"author": ""}, "Author must not be empty"},
		{"delete without id", "library.books", "delete", map[string]any{}, "id must be a book ID number"},
		{"delete with a string id", "library.books", "delete", map[string]any{"id": "1"}, "id must be a book ID number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := restest.NewSession(t, newService())
			s.Call(tt.rid, tt.method, call(tt.params)).Response().
				AssertError(&res.Error{Code: "system.invalidParams", Message: tt.message})
			s.AssertNoMsg()
		})
	}
}
