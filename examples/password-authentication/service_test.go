package main

import (
	"testing"

	"github.com/reskit/res/examples/internal/ticker"
	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func auth(params any) *restest.Request {
	r := restest.DefaultAuthRequest()
	r.Params = params
	return r
}

func TestLogin(t *testing.T) {
	s := restest.NewSession(t, newService("secret"))

	s.Auth("passwd", "login", auth(map[string]any{"password": "guess"})).Response().AssertErrorCode("system.invalidParams")
	s.Auth("passwd", "login", auth(map[string]any{"password": 1})).Response().AssertErrorCode("system.invalidParams")
	s.AssertNoMsg() // no token for a wrong password

	s.Auth("passwd", "login", auth(map[string]any{"password": "secret"})).Response().AssertResult(nil)
	s.GetMsg().AssertTokenEvent(restest.DefaultCID, token{Role: "member"})

	s.Auth("passwd", "logout", auth(nil)).Response().AssertResult(nil)
	s.GetMsg().AssertTokenEvent(restest.DefaultCID, nil)
}

func TestTickerAccess(t *testing.T) {
	tests := []struct {
		name  string
		token any
		get   bool
	}{
		{"no token", nil, false},
		{"logged in", token{Role: "member"}, true},
		{"other token", map[string]any{"user": "x"}, false},
		{"not an object", "member", false},
	}
	s := restest.NewSession(t, ticker.New(loggedIn).Service)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := restest.DefaultAccessRequest()
			req.Token = tt.token
			if tt.get {
				s.Access("ticker.model", req).Response().AssertAccess(true, "")
			} else {
				s.Access("ticker.model", req).Response().AssertErrorCode("system.accessDenied")
			}
		})
	}
	s.Get("ticker.model").Response().AssertModel(ticker.Model{Seconds: 0})
}
