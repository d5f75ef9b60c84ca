package main

import (
	"crypto/subtle"
	"encoding/json"

	"github.com/reskit/res"
)

// token is the connection token that passwd.login sets. The gateway keeps
// it and passes it with every access, call and auth request of the
// connection; the client never sees it.
type token struct {
	Role string `json:"role"`
}

// loggedIn reports whether a connection with the raw token may read the
// ticker: whether it logged in.
func loggedIn(raw json.RawMessage) bool {
	var t token
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return false
	}
	return t.Role != ""
}

// newService returns the service "passwd", with the auth methods login and
// logout.
func newService(password string) *res.Service {
	s := res.NewService("passwd")
	s.Handle("",
		res.Auth("login", func(r res.AuthRequest) {
			var p struct {
				Password string `json:"password"`
			}
			if err := r.ParseParams(&p); err != nil {
				r.InvalidParams("password must be a string")
				return
			}
			if subtle.ConstantTimeCompare([]byte(p.Password), []byte(password)) != 1 {
				r.InvalidParams("Wrong password")
				return
			}
			r.TokenEvent(token{Role: "member"})
			r.OK(nil)
		}),
		res.Auth("logout", func(r res.AuthRequest) {
			r.TokenEvent(nil)
			r.OK(nil)
		}),
	)
	return s
}
