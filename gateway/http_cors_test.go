package gateway_test

import (
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/reskit/res/gateway"
	"github.com/reskit/res/resprot"
)

func withOrigins(origins ...string) sessionOption {
	return func(c *gateway.Config) { c.AllowOrigin = origins }
}

func originHeader(origin string) http.Header {
	if origin == "" {
		return nil
	}
	return http.Header{"Origin": {origin}}
}

func TestHTTPCORS(t *testing.T) {
	list := []string{"https://b.example", "http://a.example:8080"}
	tests := []struct {
		name       string
		origins    []string
		headerAuth bool
		origin     string
		forbidden  bool
		acao       string // Access-Control-Allow-Origin; "" for none
		vary       string
		acac       string // Access-Control-Allow-Credentials
	}{
		{name: "any origin, none sent", acao: "*"},
		{name: "any origin", origin: "https://x.example", acao: "*"},
		{name: "listed origin", origins: list, origin: "https://b.example", acao: "https://b.example", vary: "Origin"},
		{name: "listed origin with port", origins: list, origin: "http://a.example:8080", acao: "http://a.example:8080", vary: "Origin"},
		{name: "listed origin in other case", origins: list, origin: "HTTPS://B.Example", acao: "HTTPS://B.Example", vary: "Origin"},
		{name: "origin not listed", origins: list, origin: "https://c.example", forbidden: true, acao: "http://a.example:8080", vary: "Origin"},
		{name: "listed origin on other port", origins: list, origin: "http://a.example", forbidden: true, acao: "http://a.example:8080", vary: "Origin"},
		{name: "list, no origin sent", origins: list},
		{name: "list, null origin", origins: list, origin: "null"},
		{name: "header auth", headerAuth: true, acao: "*", acac: "true"},
		{name: "header auth, origin not listed", origins: list, headerAuth: true, origin: "https://c.example", forbidden: true, acao: "http://a.example:8080", vary: "Origin", acac: "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t, withConfig(func(c *gateway.Config) {
				c.AllowOrigin = tt.origins
				if tt.headerAuth {
					c.HeaderAuth = "test.auth.login"
				}
			}))
			// The API root names no resource: an allowed origin gets 404
			// without any request to a service.
			r := c.do(t, "GET", "/api/", "", originHeader(tt.origin))
			if tt.forbidden {
				r.assertError(t, http.StatusForbidden, &resprot.Error{Code: "system.forbidden", Message: "Forbidden origin"})
			} else {
				r.assertError(t, http.StatusNotFound, resprot.ErrNotFound)
			}
			r.assertHeader(t, "Access-Control-Allow-Origin", nonEmpty(tt.acao)...).
				assertHeader(t, "Vary", nonEmpty(tt.vary)...).
				assertHeader(t, "Access-Control-Allow-Credentials", nonEmpty(tt.acac)...)
			s.AssertNoRequest(t)
		})
	}
}

// A request from an allowed origin reaches the service, and its response
// carries the CORS headers.
func TestHTTPCORSOnResponse(t *testing.T) {
	s, c := newAPISession(t, withOrigins("https://a.example"))
	p := c.start(t, "GET", "/api/test/model", "", originHeader("https://a.example"))
	serveGet(t, s, "test.model", model(`{"x":1}`))
	p.wait(t).assertStatus(t, 200).assertBody(t, js(`{"x":1}`)).
		assertHeader(t, "Access-Control-Allow-Origin", "https://a.example").
		assertHeader(t, "Vary", "Origin")
}

func TestHTTPOptions(t *testing.T) {
	tests := []struct {
		name      string
		opts      func(*gateway.Config)
		origin    string
		reqHeader []string
		methods   string
		headers   string
		acao      string
	}{
		{name: "defaults", methods: "GET, HEAD, OPTIONS, POST", acao: "*"},
		{
			name:    "mapped methods",
			opts:    func(c *gateway.Config) { c.PATCHMethod = "patch"; c.PUTMethod = "set"; c.DELETEMethod = "delete" },
			methods: "GET, HEAD, OPTIONS, POST, PUT, DELETE, PATCH",
			acao:    "*",
		},
		{
			name:    "one mapped method",
			opts:    func(c *gateway.Config) { c.DELETEMethod = "delete" },
			methods: "GET, HEAD, OPTIONS, POST, DELETE",
			acao:    "*",
		},
		{name: "requested headers", reqHeader: []string{"X-Token, Content-Type"}, methods: "GET, HEAD, OPTIONS, POST", headers: "X-Token, Content-Type", acao: "*"},
		{name: "requested headers in two lines", reqHeader: []string{"X-A", "X-B"}, methods: "GET, HEAD, OPTIONS, POST", headers: "X-A, X-B", acao: "*"},
		{
			name:    "origin not listed",
			opts:    func(c *gateway.Config) { c.AllowOrigin = []string{"https://a.example"} },
			origin:  "https://c.example",
			methods: "GET, HEAD, OPTIONS, POST",
			acao:    "https://a.example",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []sessionOption
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			s, c := newAPISession(t, opts...)
			h := originHeader(tt.origin)
			if tt.reqHeader != nil {
				if h == nil {
					h = http.Header{}
				}
				h["Access-Control-Request-Headers"] = tt.reqHeader
			}
			c.do(t, "OPTIONS", "/api/test/model", "", h).
				assertStatus(t, http.StatusOK).assertNoBody(t).
				assertHeader(t, "Access-Control-Allow-Methods", tt.methods).
				assertHeader(t, "Access-Control-Allow-Headers", nonEmpty(tt.headers)...).
				assertHeader(t, "Access-Control-Allow-Origin", tt.acao).
				assertHeader(t, "Access-Control-Max-Age")
			s.AssertNoRequest(t)
		})
	}
}

func TestWebSocketOrigin(t *testing.T) {
	tests := []struct {
		name    string
		origins []string
		origin  string
		ok      bool
	}{
		{"any origin", nil, "https://x.example", true},
		{"listed origin", []string{"https://a.example"}, "https://a.example", true},
		{"no origin", []string{"https://a.example"}, "", true},
		{"origin not listed", []string{"https://a.example"}, "https://x.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newAPISession(t, withConfig(func(c *gateway.Config) {
				c.AllowOrigin = tt.origins
				c.WSHeaderAuth = "test.auth.ws"
			}))
			if tt.ok {
				done := make(chan error, 1)
				go func() {
					ws, _, err := websocket.DefaultDialer.Dial(s.wsURL, originHeader(tt.origin))
					if err == nil {
						_ = ws.Close()
					}
					done <- err
				}()
				s.GetRequestOn(t, "auth.test.auth.ws").RespondSuccess(nil)
				if err := <-done; err != nil {
					t.Fatalf("dial: %v", err)
				}
				return
			}
			ws, resp, err := websocket.DefaultDialer.Dial(s.wsURL, originHeader(tt.origin))
			if err == nil {
				_ = ws.Close()
				t.Fatal("dial from a forbidden origin succeeded")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("dial: %v, response %v; want status 403", err, resp)
			}
			// No auth request is made for a forbidden origin.
			s.AssertNoRequest(t)
		})
	}
}

func TestConfigHTTPSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  gateway.Config
		ok   bool
	}{
		{"defaults", gateway.Config{}, true},
		{"json", gateway.Config{APIEncoding: "json"}, true},
		{"jsonflat", gateway.Config{APIEncoding: "JSONFlat"}, true},
		{"unknown encoding", gateway.Config{APIEncoding: "xml"}, false},
		{"method names", gateway.Config{PUTMethod: "set", DELETEMethod: "delete", PATCHMethod: "update"}, true},
		{"put method with dot", gateway.Config{PUTMethod: "a.b"}, false},
		{"delete method with space", gateway.Config{DELETEMethod: "a b"}, false},
		{"patch method with wildcard", gateway.Config{PATCHMethod: "*"}, false},
		{"any origin", gateway.Config{AllowOrigin: []string{"*"}}, true},
		{"origins", gateway.Config{AllowOrigin: []string{"https://a.example", "http://localhost:8080"}}, true},
		{"any origin with others", gateway.Config{AllowOrigin: []string{"*", "https://a.example"}}, false},
		{"origin without scheme", gateway.Config{AllowOrigin: []string{"a.example"}}, false},
		{"origin with path", gateway.Config{AllowOrigin: []string{"https://a.example/x"}}, false},
		{"origin with query", gateway.Config{AllowOrigin: []string{"https://a.example?x=1"}}, false},
		{"origin with user", gateway.Config{AllowOrigin: []string{"https://u@a.example"}}, false},
		{"empty origin", gateway.Config{AllowOrigin: []string{""}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gateway.New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New(%+v) error = %v, want ok %v", tt.cfg, err, tt.ok)
			}
		})
	}
}
