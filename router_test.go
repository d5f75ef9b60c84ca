package res_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/reskit/res"
)

func newRouter(patterns ...string) *res.Router {
	r := res.NewRouter()
	for _, p := range patterns {
		r.Handle(p, res.Model)
	}
	return r
}

func TestRouterLookup(t *testing.T) {
	r := newRouter(
		"books",
		"book.new",
		"book.$id",
		"book.$id.title",
		"book.*.cover",
		"book.>",
		"user.$uid.book.$id",
		"user.*.settings",
		"a.b.c",
		"a.$x.d",
	)
	tests := []struct {
		name        string
		rname       string
		wantPattern string // "" for no match
		wantParams  map[string]string
	}{
		{"literal", "books", "books", nil},
		{"literal before param", "book.new", "book.new", nil},
		{"param", "book.42", "book.$id", map[string]string{"id": "42"}},
		{"param then literal", "book.42.title", "book.$id.title", map[string]string{"id": "42"}},
		{"star", "book.42.cover", "book.*.cover", nil},
		{"full wildcard", "book.42.pages", "book.>", nil},
		{"full wildcard many parts", "book.42.pages.1", "book.>", nil},
		{"two params", "user.7.book.42", "user.$uid.book.$id", map[string]string{"uid": "7", "id": "42"}},
		{"star alone", "user.7.settings", "user.*.settings", nil},
		{"backtrack from literal to param", "a.b.d", "a.$x.d", map[string]string{"x": "b"}},
		{"literal path", "a.b.c", "a.b.c", nil},
		{"no match: too short", "book", "", nil},
		{"no match: unknown", "shelf", "", nil},
		{"no match: too long", "books.1", "", nil},
		{"no match: missing part", "user.7", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := r.Lookup(tt.rname)
			if tt.wantPattern == "" {
				if ok {
					t.Fatalf("Lookup(%q) = %q, want no match", tt.rname, m.Pattern)
				}
				return
			}
			if !ok {
				t.Fatalf("Lookup(%q) found nothing, want %q", tt.rname, tt.wantPattern)
			}
			if m.Pattern != tt.wantPattern {
				t.Errorf("Lookup(%q).Pattern = %q, want %q", tt.rname, m.Pattern, tt.wantPattern)
			}
			if !maps.Equal(m.Params, tt.wantParams) {
				t.Errorf("Lookup(%q).Params = %v, want %v", tt.rname, m.Params, tt.wantParams)
			}
			if m.Handler == nil {
				t.Errorf("Lookup(%q).Handler = nil", tt.rname)
			}
		})
	}
}

func TestRouterMount(t *testing.T) {
	root := res.NewRouter()
	root.Route("library", func(r *res.Router) {
		r.Handle("", res.Model)
		r.Handle("book.$id", res.Model)
		r.Route("shelf.$shelf", func(r *res.Router) {
			r.Handle("book.$id", res.Model)
		})
	})
	later := res.NewRouter()
	later.Handle("a", res.Model)
	root.Mount("later", later)
	later.Handle("b", res.Model) // after Mount

	tests := []struct {
		rname, wantPattern string
		wantParams         map[string]string
	}{
		{"library", "library", nil},
		{"library.book.1", "library.book.$id", map[string]string{"id": "1"}},
		{"library.shelf.s.book.1", "library.shelf.$shelf.book.$id", map[string]string{"shelf": "s", "id": "1"}},
		{"later.a", "later.a", nil},
		{"later.b", "later.b", nil},
	}
	for _, tt := range tests {
		t.Run(tt.rname, func(t *testing.T) {
			m, ok := root.Lookup(tt.rname)
			if !ok || m.Pattern != tt.wantPattern || !maps.Equal(m.Params, tt.wantParams) {
				t.Errorf("Lookup(%q) = %q %v %v, want %q %v", tt.rname, m.Pattern, m.Params, ok, tt.wantPattern, tt.wantParams)
			}
		})
	}
	if m, ok := later.Lookup("b"); !ok || m.Pattern != "b" {
		t.Errorf("sub-router Lookup(%q) = %q %v, want its own pattern %q", "b", m.Pattern, ok, "b")
	}
}

// mustPanic runs fn and returns the panic message, failing if there is
// none.
func mustPanic(t *testing.T, fn func()) (msg string) {
	t.Helper()
	defer func() {
		v := recover()
		if v == nil {
			t.Fatal("no panic")
		}
		msg = fmt.Sprint(v)
	}()
	fn()
	return ""
}

func TestRouterPanics(t *testing.T) {
	tests := []struct {
		name  string
		setup func()
		want  []string // substrings of the panic message
	}{
		{
			name:  "same pattern twice",
			setup: func() { newRouter("book.$id", "book.$id") },
			want:  []string{`res: pattern "book.$id" (router_test.go:`, `conflicts with "book.$id" (router_test.go:`, "registered twice"},
		},
		{
			name:  "different params at the same position",
			setup: func() { newRouter("book.$id", "book.$bookId.title") },
			want:  []string{`res: `, `"book.$bookId.title"`, `"book.$id"`, "$bookId", "$id"},
		},
		{
			name:  "repeated param",
			setup: func() { newRouter("a.$id.b.$id") },
			want:  []string{`res: invalid pattern "a.$id.b.$id"`, "repeated"},
		},
		{
			name:  "invalid pattern",
			setup: func() { newRouter("a..b") },
			want:  []string{`res: invalid pattern "a..b"`},
		},
		{
			name: "conflict through mount",
			setup: func() {
				root := newRouter("lib.book.$id")
				root.Route("lib", func(r *res.Router) { r.Handle("book.$bid", res.Model) })
			},
			want: []string{`"lib.book.$bid"`, `"lib.book.$id"`},
		},
		{
			name: "mount twice",
			setup: func() {
				sub := res.NewRouter()
				newRouter().Mount("a", sub)
				newRouter().Mount("b", sub)
			},
			want: []string{"res: ", "already mounted"},
		},
		{
			name:  "mount on full wildcard",
			setup: func() { newRouter().Mount("a.>", res.NewRouter()) },
			want:  []string{`res: invalid mount path "a.>"`},
		},
		{
			name:  "option set twice",
			setup: func() { res.NewRouter().Handle("a", res.Model, res.Collection) },
			want:  []string{"res: Collection", "already set"},
		},
		{
			name:  "nil get handler",
			setup: func() { res.NewRouter().Handle("a", res.GetModel(nil)) },
			want:  []string{"res: GetModel: nil handler"},
		},
		{
			name:  "invalid call method",
			setup: func() { res.NewRouter().Handle("a", res.Call("a.b", func(res.CallRequest) {})) },
			want:  []string{`res: Call: invalid method name "a.b"`},
		},
		{
			name: "call method twice",
			setup: func() {
				fn := func(res.CallRequest) {}
				res.NewRouter().Handle("a", res.Call("x", fn), res.Call("x", fn))
			},
			want: []string{`res: Call("x"): handler already set`},
		},
		{
			name:  "group tag not a parameter",
			setup: func() { res.NewService("s").Handle("a.$id", res.Group("${uid}")) },
			want:  []string{`res: pattern "s.a.$id"`, "$uid"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := mustPanic(t, tt.setup)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("panic %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func BenchmarkRouterLookup(b *testing.B) {
	r := res.NewRouter()
	for i := range 100 {
		r.Handle(fmt.Sprintf("model%d", i), res.Model)
		r.Handle(fmt.Sprintf("coll%d.$id", i), res.Collection)
	}
	r.Handle("user.$uid.book.$id.title", res.Model)
	r.Handle("cache.>", res.Model)
	for _, name := range []string{"model50", "coll50.42", "user.7.book.42.title", "cache.a.b.c"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := r.Lookup(name); !ok {
					b.Fatal("no match")
				}
			}
		})
	}
}

// FuzzRouterLookup checks that Lookup never panics, and that what it
// finds is consistent with the name: each parameter is one of its parts.
func FuzzRouterLookup(f *testing.F) {
	r := newRouter("books", "book.$id", "book.$id.title", "book.*.cover", "book.>", "user.$uid.book.$id", "")
	for _, s := range []string{"", "books", "book.1", "book.1.title", "book.1.cover", "user.1.book.2", "a..b", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		m, ok := r.Lookup(name)
		if !ok {
			return
		}
		parts := strings.Split(name, ".")
		for k, v := range m.Params {
			found := false
			for _, p := range parts {
				found = found || p == v
			}
			if !found {
				t.Fatalf("Lookup(%q).Params[%q] = %q, not a part of the name", name, k, v)
			}
		}
	})
}
