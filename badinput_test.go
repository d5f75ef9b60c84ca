package res_test

import (
	"encoding/json"
	"testing"

	"github.com/reskit/res"
)

// badInputService serves "test.x" with every kind of handler, each of
// which parses its params and token strictly.
func badInputService(s *res.Service) {
	type params struct {
		Title string `json:"title"`
	}
	type token struct {
		User string `json:"user"`
	}
	s.Handle("x",
		res.Access(func(r res.AccessRequest) {
			var tok token
			if err := r.ParseToken(&tok); err != nil {
				_ = r.Error(err)
				return
			}
			_ = r.AccessGranted()
		}),
		model(map[string]any{"ok": true}),
		res.Call("do", func(r res.CallRequest) {
			var p params
			if err := r.ParseParams(&p); err != nil {
				return // the parse error is the reply
			}
			var tok token
			if err := r.ParseToken(&tok); err != nil {
				return
			}
			_ = r.OK(p.Title)
		}),
		res.Auth("login", func(r res.AuthRequest) {
			if _, err := res.ParseParams[params](r); err != nil {
				_ = r.Error(err)
				return
			}
			_ = r.OK(nil)
		}),
	)
}

// TestBadPayload sends payloads that are not valid requests: each gets
// the right RES error and a log line, and the service goes on serving.
func TestBadPayload(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		payload string
		code    string
		log     string // text of the log line
	}{
		{"get malformed JSON", "get.test.x", `{"query":`, res.CodeInternalError, "malformed"},
		{"access malformed JSON", "access.test.x", `{cid}`, res.CodeInternalError, "malformed"},
		{"call malformed JSON", "call.test.x.do", `{"cid":"c1","params":{`, res.CodeInternalError, "malformed"},
		{"auth malformed JSON", "auth.test.x.login", `nonsense`, res.CodeInternalError, "malformed"},
		{"payload is an array", "call.test.x.do", `[1,2]`, res.CodeInternalError, "malformed"},
		{"payload is a string", "get.test.x", `"get"`, res.CodeInternalError, "malformed"},
		{"cid is a number", "call.test.x.do", `{"cid":42}`, res.CodeInternalError, "malformed"},
		{"query is an object", "get.test.x", `{"query":{"a":1}}`, res.CodeInternalError, "malformed"},
		{"header is a string", "auth.test.x.login", `{"cid":"c1","header":"x"}`, res.CodeInternalError, "malformed"},
		{"params of wrong type", "call.test.x.do", `{"cid":"c1","params":["Dune"]}`, res.CodeInvalidParams, "call.test.x.do"},
		{"params field of wrong type", "call.test.x.do", `{"cid":"c1","params":{"title":42}}`, res.CodeInvalidParams, "call.test.x.do"},
		{"typed params of wrong type", "auth.test.x.login", `{"cid":"c1","params":"x"}`, res.CodeInvalidParams, "auth.test.x.login"},
		{"token of wrong type", "call.test.x.do", `{"cid":"c1","token":"jane"}`, res.CodeInternalError, "call.test.x.do"},
		{"access token of wrong type", "access.test.x", `{"cid":"c1","token":[1]}`, res.CodeInternalError, "access.test.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, logs := newSession(t, badInputService)
			session.Request(tt.subject, []byte(tt.payload)).Response().AssertErrorCode(tt.code)
			session.AssertNoMsg()
			assertLogged(t, logs, tt.log)
			// Nothing else is disturbed.
			session.Get("test.x").Response().AssertModel(map[string]any{"ok": true})
			session.Call("test.x", "do", reqWithParams(map[string]any{"title": "Dune"})).Response().AssertResult("Dune")
		})
	}
}

// TestBadSubject sends requests whose subject names an unknown resource
// or method, or no valid resource at all. Get, call and auth requests get
// system.notFound (or methodNotFound): a requester must not wait for a
// timeout. Access requests get no reply, as another service may answer
// them. Invalid names are also logged.
func TestBadSubject(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		code    string // "" for no reply
		logged  bool
	}{
		{"unknown resource", "get.test.y", res.CodeNotFound, false},
		{"unknown resource call", "call.test.y.do", res.CodeNotFound, false},
		{"unknown method", "call.test.x.nope", res.CodeMethodNotFound, false},
		{"unknown auth method", "auth.test.x.nope", res.CodeMethodNotFound, false},
		{"empty method", "call.test.x.", res.CodeMethodNotFound, false},
		{"empty part", "get.test..x", res.CodeNotFound, true},
		{"trailing dot", "get.test.x.", res.CodeNotFound, true},
		{"space in name", "get.test.a b", res.CodeNotFound, true},
		{"wildcard in name", "call.test.a*.do", res.CodeNotFound, true},
		{"question mark in name", "auth.test.x?q=1.login", res.CodeNotFound, true},
		{"access to unknown resource", "access.test.y", "", false},
		{"access with bad name", "access.test..x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, logs := newSession(t, badInputService)
			ch := session.Conn().Request(tt.subject, []byte(`{"cid":"c1"}`))
			if ch == nil {
				t.Fatalf("no subscription matches %s", tt.subject)
			}
			// Once the service is idle, its reply, if any, is there.
			session.AssertNoMsg()
			var reply []byte
			select {
			case m := <-ch:
				reply = m.Payload
			default:
			}
			switch {
			case tt.code == "" && reply != nil:
				t.Errorf("reply %s, want none", reply)
			case tt.code != "" && reply == nil:
				t.Errorf("no reply, want %s", tt.code)
			case tt.code != "":
				var r struct {
					Error *res.Error `json:"error"`
				}
				if err := json.Unmarshal(reply, &r); err != nil || r.Error == nil || r.Error.Code != tt.code {
					t.Errorf("reply %s, want error %s", reply, tt.code)
				}
			}
			if tt.logged {
				assertLogged(t, logs, tt.subject)
			}
			session.Get("test.x").Response().AssertModel(map[string]any{"ok": true})
		})
	}
}

// TestRequestWithoutReply sends a request message with no reply subject:
// it is ignored, logged, and no handler runs.
func TestRequestWithoutReply(t *testing.T) {
	called := make(chan struct{}, 1)
	session, logs := newSession(t, func(s *res.Service) {
		s.Handle("x", res.Call("do", func(r res.CallRequest) { called <- struct{}{}; _ = r.OK(nil) }))
	})
	if err := session.Conn().Publish("call.test.x.do", []byte(`{"cid":"c1"}`)); err != nil {
		t.Fatal(err)
	}
	// The MockConn keeps what the test publishes too.
	session.GetMsg().AssertSubject("call.test.x.do")
	session.AssertNoMsg()
	select {
	case <-called:
		t.Error("handler called for a request without reply subject")
	default:
	}
	assertLogged(t, logs, "call.test.x.do")
}
