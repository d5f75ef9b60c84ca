package exampleapp

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestWebHandler(t *testing.T) {
	pages := fstest.MapFS{
		"index.html": {Data: []byte("<h1>page</h1>")},
		"other.html": {Data: []byte(`<script src="/_app/resclient.js"></script>`)},
	}
	gw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "gateway "+r.URL.Path)
	})
	rc := filepath.Join(t.TempDir(), "resclient.min.js")
	if err := os.WriteFile(rc, []byte("var resclient;"), 0o644); err != nil {
		t.Fatal(err)
	}
	app := &App{Routes: func(mux *http.ServeMux) {
		mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "login") })
	}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	tests := []struct {
		name     string
		handler  http.Handler
		path     string
		upgrade  bool
		wantCode int
		wantBody string
	}{
		{"page", newWebHandler(app, pages, rc, webConfig{}, gw, log), "/", false, 200, "<h1>page</h1>"},
		{"websocket upgrade goes to the gateway", newWebHandler(app, pages, rc, webConfig{}, gw, log), "/", true, 200, "gateway /"},
		{"HTTP API goes to the gateway", newWebHandler(app, pages, rc, webConfig{}, gw, log), "/api/example/model", false, 200, "gateway /api/example/model"},
		{"app route", newWebHandler(app, pages, rc, webConfig{}, gw, log), "/login", false, 200, "login"},
		{"shared style", newWebHandler(app, pages, rc, webConfig{}, gw, log), "/_app/style.css", false, 200, ":root"},
		{"local resclient", newWebHandler(app, pages, rc, webConfig{}, gw, log), "/_app/resclient.js", false, 200, "var resclient;"},
		{"resclient from the CDN", newWebHandler(app, pages, "", webConfig{}, gw, log), "/_app/resclient.js", false, 302, ""},
		{"config", newWebHandler(app, pages, rc, webConfig{Gateway: "ws://gw:1"}, gw, log), "/_app/config.js", false, 200, `window.resExample = {"gateway":"ws://gw:1"};`},
		{"no gateway: no API", newWebHandler(app, pages, rc, webConfig{}, nil, log), "/api/example/model", false, 404, ""},
		{"no gateway: upgrade gets the page", newWebHandler(app, pages, rc, webConfig{}, nil, log), "/", true, 200, "<h1>page</h1>"},
		{"page with local resclient", newWebHandler(app, pages, rc, webConfig{}, gw, log), "/other.html", false, 200, `<script src="/_app/resclient.js">`},
		{"page with resclient from the CDN", newWebHandler(app, pages, "", webConfig{}, gw, log), "/other.html", false, 200, `<script src="` + ResClientCDN + `">`},
		{"index with resclient from the CDN", newWebHandler(app, pages, "", webConfig{}, gw, log), "/", false, 200, `<h1>page</h1>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			if tt.upgrade {
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "websocket")
			}
			rec := httptest.NewRecorder()
			tt.handler.ServeHTTP(rec, req)
			if rec.Code != tt.wantCode {
				t.Fatalf("GET %s: status %d, want %d", tt.path, rec.Code, tt.wantCode)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("GET %s: body %q, want it to contain %q", tt.path, rec.Body.String(), tt.wantBody)
			}
			if rec.Code == 302 && rec.Header().Get("Location") != ResClientCDN {
				t.Errorf("GET %s: Location %q, want %q", tt.path, rec.Header().Get("Location"), ResClientCDN)
			}
		})
	}
}

func TestFindResClient(t *testing.T) {
	dir := t.TempDir()
	nested := filepath.Join(dir, "examples", "hello-world")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "examples", resClientFile)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		wd   string
		want string
	}{
		{"from the repository root", dir, file},
		{"from the examples folder", filepath.Join(dir, "examples"), file},
		{"from an example's folder", nested, file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(tt.wd)
			if got := findResClient(""); got != tt.want {
				t.Errorf("findResClient in %s = %q, want %q", tt.wd, got, tt.want)
			}
		})
	}
	t.Run("given", func(t *testing.T) {
		if got := findResClient("my.js"); got != "my.js" {
			t.Errorf("findResClient(%q) = %q", "my.js", got)
		}
	})
}

func TestDisplayHost(t *testing.T) {
	for addr, want := range map[string]string{"": "localhost", "0.0.0.0": "localhost", "::": "localhost", "127.0.0.1": "127.0.0.1", "localhost": "localhost"} {
		if got := displayHost(addr); got != want {
			t.Errorf("displayHost(%q) = %q, want %q", addr, got, want)
		}
	}
}
