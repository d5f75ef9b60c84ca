package main

import (
	"testing"
	"time"

	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testSigner = signer{secret: []byte("test secret"), now: func() time.Time { return time.Unix(1_700_000_000, 0) }}

func authWithCookie(cookie string) *restest.Request {
	r := restest.DefaultAuthRequest()
	if cookie != "" {
		r.Header["Cookie"] = []string{"theme=dark; " + cookie}
	}
	return r
}

func TestJWTHeaderAuth(t *testing.T) {
	c := claims{User: "alice", Role: roleEditor, Expires: testSigner.now().Add(time.Hour).Unix()}
	valid, err := testSigner.sign(c)
	if err != nil {
		t.Fatal(err)
	}
	s := restest.NewSession(t, newAuthService(testSigner))

	s.Auth("auth", "jwtHeader", authWithCookie("")).Response().AssertErrorCode("system.invalidParams")
	s.Auth("auth", "jwtHeader", authWithCookie(cookieName+"=bad.token.here")).Response().AssertErrorCode("system.invalidParams")
	s.AssertNoMsg()

	s.Auth("auth", "jwtHeader", authWithCookie(cookieName+"="+valid)).Response().AssertResult(nil)
	s.GetMsg().AssertTokenEvent(restest.DefaultCID, c)
}

func TestModelAccess(t *testing.T) {
	tests := []struct {
		name  string
		token any
		call  string // "" for read only; "-" for no access
	}{
		{"no token", nil, "-"},
		{"viewer", claims{User: "bob", Role: roleViewer}, ""},
		{"editor", claims{User: "alice", Role: roleEditor}, "set"},
		{"unknown role", claims{User: "eve", Role: "admin"}, "-"},
	}
	s := restest.NewSession(t, newExampleService())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := restest.DefaultAccessRequest()
			req.Token = tt.token
			resp := s.Access("example.model", req).Response()
			if tt.call == "-" {
				resp.AssertErrorCode("system.accessDenied")
			} else {
				resp.AssertAccess(true, tt.call)
			}
		})
	}
}

func TestSetMessage(t *testing.T) {
	s := restest.NewSession(t, newExampleService())
	req := restest.DefaultCallRequest()
	req.Params = map[string]any{"message": "Changed"}
	s.Call("example.model", "set", req).Response().AssertResult(nil)
	s.GetMsg().AssertChangeEvent("example.model", map[string]any{"message": "Changed"})
	s.Get("example.model").Response().AssertModel(model{Message: "Changed"})
}
