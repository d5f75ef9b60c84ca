package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/reskit/res/examples/internal/ticker"
	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func auth(cid string, params, token any) *restest.Request {
	r := restest.DefaultAuthRequest()
	r.CID = cid
	r.Params = params
	r.Token = token
	return r
}

var jane = map[string]any{"id": 3, "name": "Jane Doe", "role": "user"}
var nobody = map[string]any{"id": nil, "name": nil, "role": nil}

// login logs connection cid in as jane and returns the session's token ID,
// its token and the relogin key.
func login(t *testing.T, s *restest.Session, cid string) (tid string, tok token, key string) {
	t.Helper()
	resp := s.Auth("session", "login", auth(cid, map[string]any{"username": "Jane", "password": "jane"}, nil)).Response()
	var r struct {
		Result struct {
			Key string `json:"reloginKey"`
		} `json:"result"`
	}
	if err := json.Unmarshal(resp.Payload, &r); err != nil || r.Result.Key == "" {
		t.Fatalf("login reply has no relogin key: %s", resp.Payload)
	}
	ev := s.GetMsg().AssertSubject("conn." + cid + ".token")
	var te struct {
		Token token  `json:"token"`
		TID   string `json:"tid"`
	}
	if err := json.Unmarshal(ev.Payload, &te); err != nil || te.TID == "" {
		t.Fatalf("token event has no token ID: %s", ev.Payload)
	}
	if te.Token.SessionID != te.TID || te.Token.UserID != 3 || te.Token.Role != "user" {
		t.Fatalf("token event %s: want Jane's token with the session ID as token ID", ev.Payload)
	}
	s.GetMsg().AssertChangeEvent("session.user."+cid, jane)
	return te.TID, te.Token, r.Result.Key
}

func TestLoginAndUserModel(t *testing.T) {
	s := restest.NewSession(t, newSessions(time.Hour).Service)
	s.Get("session.user.c1").Response().AssertModel(nobody)

	s.Auth("session", "login", auth("c1", map[string]any{"username": "jane", "password": "x"}, nil)).Response().
		AssertErrorCode("session.wrongUsernamePassword")
	s.Auth("session", "login", auth("c1", map[string]any{"password": "x"}, nil)).Response().
		AssertErrorCode("system.invalidParams")
	s.AssertNoMsg()

	login(t, s, "c1")
	s.Get("session.user.c1").Response().AssertModel(jane)

	// Only the connection itself may read its user model.
	s.Access("session.user.c1", auth("c1", nil, nil)).Response().AssertAccess(true, "")
	s.Access("session.user.c1", auth("c2", nil, nil)).Response().AssertErrorCode("system.accessDenied")
}

func TestReloginJoinsTheSession(t *testing.T) {
	s := restest.NewSession(t, newSessions(time.Hour).Service)
	tid, tok, key := login(t, s, "c1")

	s.Auth("session", "relogin", auth("c2", map[string]any{"reloginKey": key}, nil)).Response().
		AssertResult(map[string]string{"reloginKey": key})
	s.GetMsg().AssertTokenEventWithID("c2", tid, tok)
	s.GetMsg().AssertChangeEvent("session.user.c2", jane)
	s.Get("session.user.c2").Response().AssertModel(jane)

	s.Auth("session", "relogin", auth("c3", map[string]any{"reloginKey": "made-up"}, nil)).Response().
		AssertErrorCode("session.invalidReloginKey")
	s.Auth("session", "relogin", auth("c3", map[string]any{}, nil)).Response().
		AssertErrorCode("system.invalidParams")
	s.AssertNoMsg()
}

func TestLogoutResetsEveryConnection(t *testing.T) {
	s := restest.NewSession(t, newSessions(time.Hour).Service)
	tid, tok, key := login(t, s, "c1")
	s.Auth("session", "relogin", auth("c2", map[string]any{"reloginKey": key}, nil)).Response()
	s.GetMsg().AssertTokenEventWithID("c2", tid, tok)
	s.GetMsg().AssertChangeEvent("session.user.c2", jane)

	s.Auth("session", "logout", auth("c1", nil, tok)).Response().AssertResult(nil)
	s.GetMsg().AssertTokenReset(refreshSubject, tid)
	s.GetMsg().AssertTokenEvent("c1", nil)
	s.GetMsg().AssertChangeEvent("session.user.c1", nobody)

	// The gateway then refreshes c2, which has the reset token ID.
	s.Auth("session", "refresh", auth("c2", nil, tok)).Response().AssertResult(nil)
	s.GetMsg().AssertTokenEvent("c2", nil)
	s.GetMsg().AssertChangeEvent("session.user.c2", nobody)
	s.Get("session.user.c2").Response().AssertModel(nobody)

	s.Auth("session", "relogin", auth("c3", map[string]any{"reloginKey": key}, nil)).Response().
		AssertErrorCode("session.invalidReloginKey")
}

func TestRefreshKeepsALiveSession(t *testing.T) {
	s := restest.NewSession(t, newSessions(time.Hour).Service)
	tid, tok, _ := login(t, s, "c1")
	s.Auth("session", "refresh", auth("c1", nil, tok)).Response().AssertResult(nil)
	s.GetMsg().AssertTokenEventWithID("c1", tid, tok)
	s.GetMsg().AssertChangeEvent("session.user.c1", jane)
}

func TestSessionExpires(t *testing.T) {
	s := restest.NewSession(t, newSessions(time.Millisecond).Service)
	s.Auth("session", "login", auth("c1", map[string]any{"username": "jane", "password": "jane"}, nil)).Response()
	// The session may expire before or after the login's events are out.
	got := map[string]*restest.Msg{}
	for range 3 {
		m := s.GetMsg()
		got[m.Subject] = m
	}
	var te struct {
		TID string `json:"tid"`
	}
	if m := got["conn.c1.token"]; m == nil || json.Unmarshal(m.Payload, &te) != nil || te.TID == "" {
		t.Fatalf("no token event with a token ID among %v", got)
	}
	if m := got["system.tokenReset"]; m == nil {
		t.Fatalf("no system.tokenReset among %v", got)
	} else {
		m.AssertTokenReset(refreshSubject, te.TID)
	}
}

func TestTickerNeedsARole(t *testing.T) {
	s := restest.NewSession(t, ticker.New(hasRole).Service)
	s.Access("ticker.model", auth("c1", nil, nil)).Response().AssertErrorCode("system.accessDenied")
	s.Access("ticker.model", auth("c1", nil, token{SessionID: "s", UserID: 1, Role: "admin"})).Response().AssertAccess(true, "")
}
