package main

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/reskit/res"
)

// user is an account that can log in.
type user struct {
	ID       int
	Name     string
	Role     string
	Password string
}

// users are the accounts, by username. A real service would keep password
// hashes in a database.
var users = map[string]user{
	"admin": {ID: 1, Name: "Administrator", Role: "admin", Password: "admin"},
	"guest": {ID: 2, Name: "Guest", Role: "guest", Password: "guest"},
	"jane":  {ID: 3, Name: "Jane Doe", Role: "user", Password: "jane"},
	"john":  {ID: 4, Name: "John Doe", Role: "user", Password: "john"},
}

// token is a connection's token. Its session ID is also the token ID the
// gateway keeps with it.
type token struct {
	SessionID string `json:"sid"`
	UserID    int    `json:"userId"`
	Role      string `json:"role"`
}

// Errors of the session methods.
var (
	errWrongLogin = &res.Error{Code: "session.wrongUsernamePassword", Message: "Wrong username or password"}
	errBadKey     = &res.Error{Code: "session.invalidReloginKey", Message: "Invalid or expired relogin key"}
)

// refreshSubject is where the gateway sends an auth request for each
// connection of a session that was reset.
const refreshSubject = "auth.session.refresh"

// session is one login.
type session struct {
	id     string // token ID of its connections
	key    string // relogin key
	user   user
	expiry *time.Timer
}

// sessions is the service "session": the auth methods login, relogin,
// logout and refresh, and the models session.user.$cid.
type sessions struct {
	Service  *res.Service
	lifetime time.Duration

	mu    sync.Mutex
	byID  map[string]*session
	byKey map[string]*session
	byCID map[string]*session // the session each connection is logged in to
}

func newSessions(lifetime time.Duration) *sessions {
	ss := &sessions{
		Service:  res.NewService("session"),
		lifetime: lifetime,
		byID:     map[string]*session{},
		byKey:    map[string]*session{},
		byCID:    map[string]*session{},
	}
	ss.Service.Handle("",
		res.Auth("login", ss.login),
		res.Auth("relogin", ss.relogin),
		res.Auth("logout", ss.logout),
		res.Auth("refresh", ss.refresh),
	)
	ss.Service.Handle("user.$cid",
		// Only the connection itself may read its user model.
		res.Access(func(r res.AccessRequest) {
			if r.CID() == r.PathParam("cid") {
				r.Access(true, "")
			} else {
				r.AccessDenied()
			}
		}),
		res.GetModel(func(r res.ModelRequest) {
			r.Model(userModel(ss.sessionOf(r.PathParam("cid"))))
		}),
	)
	return ss
}

// sessionOf returns the live session that connection cid is logged in to,
// or nil.
func (ss *sessions) sessionOf(cid string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byCID[cid]
	if s == nil || ss.byID[s.id] != s {
		return nil
	}
	return s
}

// userModel returns the value of a session.user.$cid model for a
// connection logged in to s, or not logged in when s is nil.
func userModel(s *session) map[string]any {
	if s == nil {
		return map[string]any{"id": nil, "name": nil, "role": nil}
	}
	return map[string]any{"id": s.user.ID, "name": s.user.Name, "role": s.user.Role}
}

func newKey() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// login answers auth.session.login {username, password} with
// {reloginKey}: a new session, which the connection joins.
func (ss *sessions) login(r res.AuthRequest) {
	var p struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := r.ParseParams(&p); err != nil || p.Username == "" {
		r.InvalidParams("username and password must be given")
		return
	}
	u, ok := users[strings.ToLower(p.Username)]
	if !ok || u.Password != p.Password {
		r.Error(errWrongLogin)
		return
	}
	s := &session{id: newKey(), key: newKey(), user: u}
	ss.mu.Lock()
	ss.byID[s.id] = s
	ss.byKey[s.key] = s
	ss.renew(s)
	ss.mu.Unlock()

	ss.join(r.CID(), s)
	r.OK(map[string]string{"reloginKey": s.key})
}

// relogin answers auth.session.relogin {reloginKey} with {reloginKey}:
// the connection joins the session again, as after a page reload or a
// reconnect, and the session's lifetime starts over.
func (ss *sessions) relogin(r res.AuthRequest) {
	var p struct {
		Key string `json:"reloginKey"`
	}
	if err := r.ParseParams(&p); err != nil || p.Key == "" {
		r.InvalidParams("reloginKey must be given")
		return
	}
	ss.mu.Lock()
	s := ss.byKey[p.Key]
	if s != nil {
		ss.renew(s)
	}
	ss.mu.Unlock()
	if s == nil {
		r.Error(errBadKey)
		return
	}
	ss.join(r.CID(), s)
	r.OK(map[string]string{"reloginKey": s.key})
}

// logout answers auth.session.logout: it ends the connection's session,
// which logs out all its connections.
func (ss *sessions) logout(r res.AuthRequest) {
	if s := ss.sessionOf(r.CID()); s != nil {
		ss.end(s)
	}
	r.TokenEvent(nil)
	ss.leave(r.CID())
	r.OK(nil)
}

// refresh answers auth.session.refresh, which the gateway sends for each
// connection whose token ID was reset: a connection whose session still
// lives keeps its token; any other is logged out.
func (ss *sessions) refresh(r res.AuthRequest) {
	var t token
	_ = r.ParseToken(&t)
	ss.mu.Lock()
	s := ss.byID[t.SessionID]
	ss.mu.Unlock()
	if s != nil {
		ss.join(r.CID(), s)
	} else {
		r.TokenEvent(nil)
		ss.leave(r.CID())
	}
	r.OK(nil)
}

// renew starts s's lifetime over. ss.mu must be held.
func (ss *sessions) renew(s *session) {
	if s.expiry != nil {
		s.expiry.Stop()
	}
	s.expiry = time.AfterFunc(ss.lifetime, func() { ss.end(s) })
}

// join makes cid a connection of s: it gets s's token, with s's ID as
// token ID, and its user model shows s's user.
func (ss *sessions) join(cid string, s *session) {
	ss.mu.Lock()
	ss.byCID[cid] = s
	ss.mu.Unlock()
	ss.Service.TokenEventWithID(cid, s.id, token{SessionID: s.id, UserID: s.user.ID, Role: s.user.Role})
	ss.sendUser(cid, userModel(s))
}

// leave logs cid out of its session, if any: its user model is emptied.
// Clearing its token is up to the caller.
func (ss *sessions) leave(cid string) {
	ss.mu.Lock()
	_, ok := ss.byCID[cid]
	delete(ss.byCID, cid)
	ss.mu.Unlock()
	if ok {
		ss.sendUser(cid, userModel(nil))
	}
}

// end ends s: its relogin key stops working, and the gateway is told to
// check again every connection with s's token ID, which refresh then
// logs out.
func (ss *sessions) end(s *session) {
	ss.mu.Lock()
	if ss.byID[s.id] != s {
		ss.mu.Unlock()
		return // already ended
	}
	delete(ss.byID, s.id)
	delete(ss.byKey, s.key)
	s.expiry.Stop()
	ss.mu.Unlock()
	ss.Service.TokenReset(refreshSubject, s.id)
}

// sendUser sends a change event on cid's user model.
func (ss *sessions) sendUser(cid string, values map[string]any) {
	_ = ss.Service.With("session.user."+cid, func(r res.Resource) {
		r.ChangeEvent(values)
	})
}
