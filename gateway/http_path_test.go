package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/reskit/res/gateway"
	"github.com/reskit/res/resprot"
)

func TestPathToRID(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		query string
		want  string
	}{
		{"one segment", "/api/model", "", "model"},
		{"segments", "/api/library/books/42", "", "library.books.42"},
		{"query", "/api/library/books", "q=a&n=1", "library.books?q=a&n=1"},
		{"query kept escaped", "/api/s", "q=a%20b", "s?q=a%20b"},
		{"escaped character", "/api/x/a%2Cb", "", "x.a,b"},
		{"escaped slash", "/api/x/a%2Fb", "", "x.a/b"},
		{"escaped dot separates parts", "/api/x/a%2Eb", "", "x.a.b"},
		{"cid tag", "/api/user/%7Bcid%7D", "", "user.{cid}"},
		{"printable characters", "/api/x/a-b_c:d~e", "", "x.a-b_c:d~e"},
		{"bare api path", "/api/", "", ""},
		{"api path without slash", "/api", "", ""},
		{"other prefix", "/other/x", "", ""},
		{"literal dot", "/api/library.books", "", ""},
		{"trailing slash", "/api/library/", "", ""},
		{"empty segment", "/api/library//books", "", ""},
		{"leading empty segment", "/api//library", "", ""},
		{"space", "/api/a%20b", "", ""},
		{"wildcard", "/api/a/*", "", ""},
		{"escaped wildcard", "/api/a/%3E", "", ""},
		{"bad escape", "/api/a/%zz", "", ""},
		{"non-ASCII", "/api/a/%C3%A9", "", ""},
		{"escaped question mark at start", "/api/%3Fx", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gateway.PathToRID(tt.path, tt.query, "/api/"); got != tt.want {
				t.Fatalf("PathToRID(%q, %q) = %q, want %q", tt.path, tt.query, got, tt.want)
			}
		})
	}
}

func TestPathToRIDMethod(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		query  string
		rid    string
		method string
	}{
		{"resource and method", "/api/library/books/add", "", "library.books", "add"},
		{"query", "/api/library/books/add", "x=1", "library.books?x=1", "add"},
		{"escaped method", "/api/a/do%2Cit", "", "a", "do,it"},
		{"method only", "/api/add", "", "", ""},
		{"escaped dot in method", "/api/a/b%2Ec", "", "", ""},
		{"empty method", "/api/a/b/", "", "", ""},
		{"invalid method", "/api/a/%3F", "", "", ""},
		{"literal dot", "/api/a.b/c", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rid, method := gateway.PathToRIDMethod(tt.path, tt.query, "/api/")
			if rid != tt.rid || method != tt.method {
				t.Fatalf("PathToRIDMethod(%q, %q) = %q, %q, want %q, %q", tt.path, tt.query, rid, method, tt.rid, tt.method)
			}
		})
	}
}

func TestRIDToPath(t *testing.T) {
	tests := []struct {
		rid  string
		want string
	}{
		{"library.books.42", "/api/library/books/42"},
		{"x.a,b", "/api/x/a%2Cb"},
		{"x.a/b", "/api/x/a%2Fb"},
		{"s?q=a b", "/api/s%3Fq=a%20b"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := gateway.RIDToPath(tt.rid, "/api/"); got != tt.want {
			t.Errorf("RIDToPath(%q) = %q, want %q", tt.rid, got, tt.want)
		}
	}
}

// FuzzPathToRID checks that any path gives a valid resource ID or none,
// and that the path of a resource name leads back to it.
func FuzzPathToRID(f *testing.F) {
	for _, s := range []string{"/api/a/b", "/api/a.b", "/api/a%2Fb", "/api/", "/api//", "/api/%7Bcid%7D/x", "/api/a/%zz", "/api/%3F"} {
		f.Add(s, "q=1")
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		rid := gateway.PathToRID(path, query, "/api/")
		if rid != "" && !resprot.IsValidRID(rid) {
			t.Fatalf("PathToRID(%q, %q) = %q, not a valid resource ID", path, query, rid)
		}
		if r, m := gateway.PathToRIDMethod(path, query, "/api/"); r != "" && (!resprot.IsValidRID(r) || !resprot.IsValidPart(m)) {
			t.Fatalf("PathToRIDMethod(%q, %q) = %q, %q, not valid", path, query, r, m)
		}
		if rid == "" || strings.Contains(rid, "?") {
			return
		}
		p := gateway.RIDToPath(rid, "/api/")
		if back := gateway.PathToRID(p, "", "/api/"); back != rid {
			t.Fatalf("PathToRID(RIDToPath(%q) = %q) = %q", rid, p, back)
		}
	})
}

// TestHTTPPaths checks the resource an HTTP GET asks for, or that it is
// not found without asking.
func TestHTTPPaths(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		get   string // the get request's subject; "" for 404
		query string
	}{
		{"resource", "/api/test/model", "get.test.model", ""},
		{"deep resource", "/api/test/a/b/c", "get.test.a.b.c", ""},
		{"query", "/api/test/model?a=1&b=x%20y", "get.test.model", "a=1&b=x%20y"},
		{"escaped character", "/api/test/a%2Cb", "get.test.a,b", ""},
		{"escaped dot", "/api/test/a%2Eb", "get.test.a.b", ""},
		{"literal dot", "/api/test.model", "", ""},
		{"trailing slash", "/api/test/model/", "", ""},
		{"empty segment", "/api/test//model", "", ""},
		{"api root", "/api/", "", ""},
		{"wildcard", "/api/test/*", "", ""},
		{"space", "/api/test/a%20b", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			if tt.get == "" {
				c.do(t, "GET", tt.path, "", nil).assertError(t, http.StatusNotFound, resprot.ErrNotFound)
				s.AssertNoRequest(t)
				return
			}
			p := c.start(t, "GET", tt.path, "", nil)
			name := strings.TrimPrefix(tt.get, "get.")
			s.Serve(t, map[string]func(*Request){
				"access." + name: func(r *Request) { r.AssertField(t, "query", nonEmptyAny(tt.query)).RespondSuccess(accessGetOnly) },
				tt.get: func(r *Request) {
					r.AssertField(t, "query", nonEmptyAny(tt.query)).RespondSuccess(model(`{"ok":true}`))
				},
			})
			p.wait(t).assertStatus(t, 200).assertBody(t, js(`{"ok":true}`))
		})
	}
}

func nonEmptyAny(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Paths outside the API and WebSocket paths are not found.
func TestHTTPOtherPaths(t *testing.T) {
	_, c := newAPISession(t)
	for _, p := range []string{"/apix", "/other", "/ap"} {
		c.do(t, "GET", p, "", nil).assertError(t, http.StatusNotFound, resprot.ErrNotFound)
	}
}

// The API path is configurable.
func TestHTTPAPIPath(t *testing.T) {
	s, c := newAPISession(t, withConfig(func(cfg *gateway.Config) { cfg.APIPath = "/rest" }))
	p := c.start(t, "POST", "/rest/test/model/new", "", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	s.GetRequestOn(t, "call.test.model.new").RespondResource("test.model.1")
	p.wait(t).assertStatus(t, 200).assertHeader(t, "Location", "/rest/test/model/1")
	c.do(t, "GET", "/api/test/model", "", nil).assertStatus(t, http.StatusNotFound)
}
