// Command jwt-authentication is a RES example of authentication with JSON
// Web Tokens in a cookie. The web server's /login sets the cookie; the
// gateway passes the headers of each WebSocket upgrade and HTTP API request
// to the auth method auth.jwtHeader, which checks the token and makes it
// the connection's token. Access to example.model depends on the token's
// role.
//
//	go run ./examples/jwt-authentication
package main

import (
	"crypto/rand"
	"embed"
	"net/http"
	"time"

	"github.com/reskit/res/examples/internal/exampleapp"
)

//go:embed web
var web embed.FS

// tokenLifetime is how long a login lasts.
const tokenLifetime = 12 * time.Hour

func main() {
	// A new secret each run: tokens from an earlier run are not valid.
	sig := signer{secret: make([]byte, 32), now: time.Now}
	_, _ = rand.Read(sig.secret)

	exampleapp.Main(exampleapp.App{
		Name:         "jwt-authentication",
		Services:     []exampleapp.Service{newAuthService(sig), newExampleService()},
		Web:          web,
		HeaderAuth:   "auth.jwtHeader",
		WSHeaderAuth: "auth.jwtHeader",
		Routes: func(mux *http.ServeMux) {
			mux.HandleFunc("GET /login", login(sig))
			mux.HandleFunc("GET /logout", logout)
			mux.HandleFunc("GET /whoami", whoami(sig))
		},
	})
}

// login answers GET /login?user=NAME&role=editor|viewer: it sets the token
// cookie and sends the browser back to the page. Without parameters it logs
// in the user "demo" as an editor. A real service would ask for a password
// first.
func login(sig signer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		role := r.URL.Query().Get("role")
		if user == "" {
			user = "demo"
		}
		if role == "" {
			role = roleEditor
		}
		if role != roleEditor && role != roleViewer {
			http.Error(w, "want /login?user=NAME&role=editor or role=viewer", http.StatusBadRequest)
			return
		}
		expires := sig.now().Add(tokenLifetime)
		token, err := sig.sign(claims{User: user, Role: role, Expires: expires.Unix()})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name:     cookieName,
			Value:    token,
			Path:     "/",
			Expires:  expires,
			HttpOnly: true,
			SameSite: http.SameSiteLaxMode,
		})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// logout answers GET /logout: it clears the token cookie and sends the
// browser back to the page.
func logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
