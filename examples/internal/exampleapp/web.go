package exampleapp

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// ResClientCDN is where the page loads ResClient from when no local copy is
// found.
const ResClientCDN = "https://cdn.jsdelivr.net/npm/resclient@2.5.0/dist/resclient.min.js"

// resClientFile is the path of ResClient's browser build inside a
// node_modules folder.
var resClientFile = filepath.Join("node_modules", "resclient", "dist", "resclient.min.js")

//go:embed assets
var assets embed.FS

// findResClient returns the path of a local resclient.min.js: the one given,
// or the first one found in a node_modules folder of the working directory,
// of its examples folder, or of a parent folder. It returns "" when there is
// none.
func findResClient(given string) string {
	if given != "" {
		return given
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	candidates := []string{
		filepath.Join(wd, resClientFile),
		filepath.Join(wd, "examples", resClientFile),
	}
	for dir := filepath.Dir(wd); ; dir = filepath.Dir(dir) {
		candidates = append(candidates, filepath.Join(dir, resClientFile))
		if dir == filepath.Dir(dir) {
			break
		}
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// webConfig is what the page learns about its setup from /_app/config.js.
type webConfig struct {
	// Gateway is the gateway's WebSocket URL; empty means the page's own
	// server.
	Gateway string `json:"gateway"`
}

// newWebHandler returns the handler of the example's web server:
//   - the page, from app.Web, at /;
//   - shared assets (style, helpers, ResClient, config) under /_app/;
//   - the app's own routes;
//   - when gw is not nil, the gateway: WebSocket upgrades at / and the HTTP
//     API under /api/.
func newWebHandler(app *App, pages fs.FS, resClient string, cfg webConfig, gw http.Handler, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /_app/", http.StripPrefix("/_app/", http.FileServerFS(static)))
	mux.HandleFunc("GET /_app/config.js", func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(cfg)
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("window.resExample = " + string(b) + ";\n"))
	})
	mux.HandleFunc("GET /_app/resclient.js", func(w http.ResponseWriter, r *http.Request) {
		if resClient == "" {
			http.Redirect(w, r, ResClientCDN, http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, resClient)
	})
	if app.Routes != nil {
		app.Routes(mux)
	}
	files := http.FileServerFS(pages)
	if resClient == "" {
		files = cdnPages(pages, files)
	}
	if gw != nil {
		mux.Handle("/api/", gw)
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gw != nil && r.URL.Path == "/" && isWebSocketUpgrade(r) {
			gw.ServeHTTP(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	return logRequests(mux, log)
}

// resClientScript is how the pages load ResClient.
const resClientScript = `src="/_app/resclient.js"`

// cdnPages serves the HTML pages of pages with ResClient's script loaded
// straight from the CDN, and everything else with files. (Browsers would
// follow the redirect of /_app/resclient.js too, but a direct URL is
// clearer in the page, and tests can intercept it.)
func cdnPages(pages fs.FS, files http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" || strings.HasSuffix(name, "/") {
			name += "index.html"
		}
		if !strings.HasSuffix(name, ".html") || r.URL.Path == "/index.html" {
			files.ServeHTTP(w, r)
			return
		}
		b, err := fs.ReadFile(pages, name)
		if err != nil {
			files.ServeHTTP(w, r)
			return
		}
		b = bytes.ReplaceAll(b, []byte(resClientScript), []byte(`src="`+ResClientCDN+`"`))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b)
	})
}

// isWebSocketUpgrade reports whether r asks to open a WebSocket.
func isWebSocketUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "websocket") {
				return true
			}
		}
	}
	return false
}

// logRequests logs each request at debug level.
func logRequests(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Debug("http request", "method", r.Method, "path", r.URL.Path)
		h.ServeHTTP(w, r)
	})
}
