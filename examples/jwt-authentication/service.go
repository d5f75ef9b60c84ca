package main

import (
	"encoding/json"
	"net/http"

	"github.com/reskit/res"
)

// cookieName is the cookie that holds the token.
const cookieName = "access-token"

// tokenFromHeader returns the value of the token cookie in header, or "".
func tokenFromHeader(header http.Header) string {
	c, err := (&http.Request{Header: header}).Cookie(cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// newAuthService returns the service "auth" with the auth method
// jwtHeader: it reads the token from the cookie in the request headers that
// the gateway passes on, checks it, and makes its claims the connection's
// token.
func newAuthService(sig signer) *res.Service {
	s := res.NewService("auth")
	s.Handle("",
		res.Auth("jwtHeader", func(r res.AuthRequest) {
			raw := tokenFromHeader(http.Header(r.Header()))
			if raw == "" {
				r.InvalidParams("No token: log in first")
				return
			}
			c, err := sig.verify(raw)
			if err != nil {
				r.InvalidParams("Invalid token: " + err.Error())
				return
			}
			r.TokenEvent(c)
			r.OK(nil)
		}),
	)
	return s
}

// model is the value of example.model.
type model struct {
	Message string `json:"message"`
}

// newExampleService returns the service "example" with example.model:
// viewers may read it, editors may also set its message, and connections
// without a token may do neither.
func newExampleService() *res.Service {
	// Requests for one resource run one at a time, so the handlers own m.
	m := &model{Message: "Hello, authenticated world!"}
	s := res.NewService("example")
	s.Handle("model",
		res.Access(func(r res.AccessRequest) {
			var c claims
			if err := r.ParseToken(&c); err != nil {
				r.AccessDenied()
				return
			}
			switch c.Role {
			case roleEditor:
				r.Access(true, "set")
			case roleViewer:
				r.Access(true, "")
			default:
				r.AccessDenied()
			}
		}),
		res.GetModel(func(r res.ModelRequest) {
			r.Model(m)
		}),
		res.Set(func(r res.CallRequest) {
			var p struct {
				Message *string `json:"message"`
			}
			if err := r.ParseParams(&p); err != nil {
				r.InvalidParams("message must be a string")
				return
			}
			if p.Message != nil && *p.Message != m.Message {
				m.Message = *p.Message
				r.ChangeEvent(map[string]any{"message": m.Message})
			}
			r.OK(nil)
		}),
	)
	return s
}

// whoami answers GET /whoami with the claims of the request's token, or
// {} when it has no valid one, so that the page can say who is logged in.
func whoami(sig signer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		c, err := sig.verify(tokenFromHeader(r.Header))
		if err != nil {
			_, _ = w.Write([]byte("{}\n"))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"user": c.User, "role": c.Role})
	}
}
