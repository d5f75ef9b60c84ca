package gateway_test

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/reskit/res/resprot"
)

// Service protocol, "Connection token event" and "System token reset
// event".

// A token event outside an auth request is applied when the gateway gets
// it; later access requests carry the token.
func TestTokenEvent(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	cid := connectionID(t, s, c)
	s.TokenEvent(t, cid, js(`{"user":"jane","role":"admin"}`), "42")
	waitForToken(t, s, c, js(`{"user":"jane","role":"admin"}`))

	// Another connection's token is not affected.
	c2 := s.Connect(t)
	s.AutoRespond("get.test.model", result(model(testModel)))
	creq := c2.Send(t, "subscribe.test.model", nil)
	s.GetRequestOn(t, "access.test.model").AssertField(t, "token", nil).RespondSuccess(accessGranted)
	creq.GetResponse(t)
}

// A token event for an unknown connection is ignored.
func TestTokenEventUnknownConnection(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	s.TokenEvent(t, "nosuchcid", js(`"x"`), "")
	subscribeModel(t, s, c)
	c.AssertNoMessage(t)
}

// connectionID learns c's cid from a call access request that it denies.
func connectionID(t testing.TB, s *session, c *Client) string {
	t.Helper()
	creq := c.Send(t, "call.test.whoami.method", nil)
	r := s.GetRequestOn(t, "access.test.whoami")
	cid := r.CID(t)
	r.RespondError(resprot.ErrAccessDenied)
	creq.GetResponse(t).AssertErrorCode(t, resprot.CodeAccessDenied)
	return cid
}

// waitForToken polls with call requests, whose access requests it denies,
// until c's requests carry want as their token. A token event and a client
// request travel different ways, so the gateway may apply the token a
// little after the event was sent; and an access request in flight when it
// does is asked again with the new token. So the access requests on
// access.test.whoami are answered automatically from now on, and the token
// checked is the one of the last access request before the response.
func waitForToken(t testing.TB, s *session, c *Client, want json.RawMessage) {
	t.Helper()
	w := decode(t, want)
	var mu sync.Mutex
	var last any
	s.AutoRespond("access.test.whoami", func(r *Request) {
		mu.Lock()
		last = r.Field(r.t, "token")
		mu.Unlock()
		r.RespondError(resprot.ErrAccessDenied)
	})
	deadline := time.Now().Add(waitTimeout)
	for {
		c.Send(t, "call.test.whoami.method", nil).GetResponse(t).AssertErrorCode(t, resprot.CodeAccessDenied)
		mu.Lock()
		got := last
		mu.Unlock()
		if reflect.DeepEqual(got, w) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token = %s, want %s", pretty(got), want)
		}
	}
}

// "A change of token will invalidate any previous access response received
// using the old token": the gateway checks access again for every
// subscription, with the new token.
func TestTokenChangeRechecksAccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		newToken json.RawMessage
		wantTok  any
	}{
		{name: "new token", newToken: js(`{"user":"john"}`), wantTok: js(`{"user":"john"}`)},
		{name: "cleared token", newToken: js(`null`), wantTok: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			cid := authenticate(t, s, c, js(`{"user":"jane"}`), "")
			creq := c.Send(t, "subscribe.test.model", nil)
			s.Serve(t, map[string]func(*Request){
				"access.test.model": func(r *Request) {
					r.AssertPayload(t, map[string]any{"cid": cid, "token": js(`{"user":"jane"}`)})
					r.RespondSuccess(accessGranted)
				},
				"get.test.model": result(model(testModel)),
			})
			creq.GetResponse(t)

			s.TokenEvent(t, cid, tt.newToken, "")
			s.GetRequestOn(t, "access.test.model").
				AssertPayload(t, map[string]any{"cid": cid, "token": tt.wantTok}).
				RespondError(resprot.ErrAccessDenied)
			c.AssertEvent(t, "test.model.unsubscribe", map[string]any{"reason": resprot.ErrAccessDenied})
		})
	}
}

// When access is still granted after a token change, the subscription
// stays.
func TestTokenChangeAccessStillGranted(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	cid := authenticate(t, s, c, js(`"a"`), "")
	subscribe(t, s, c, "test.model", accessGranted, map[string]json.RawMessage{"test.model": model(testModel)})
	s.TokenEvent(t, cid, js(`"b"`), "")
	s.GetRequestOn(t, "access.test.model").AssertField(t, "token", js(`"b"`)).RespondSuccess(accessGranted)
	c.AssertNoEvent(t, s, "test.model", "test.model")
}

// "A service MUST immediately send an auth request to the provided subject
// for each connection with a token matching any of the token IDs. The auth
// request should not contain any params."
func TestTokenReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tids []string
		want []int // indexes of the connections that get an auth request
	}{
		{name: "one", tids: []string{"t1"}, want: []int{0}},
		{name: "two", tids: []string{"t1", "t2"}, want: []int{0, 1}},
		{name: "shared tid", tids: []string{"t3"}, want: []int{2, 3}},
		{name: "unknown", tids: []string{"nope"}, want: nil},
		{name: "empty", tids: []string{}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			tids := []string{"t1", "t2", "t3", "t3", ""}
			cids := make(map[string]int)
			for i, tid := range tids {
				c := s.Connect(t)
				cids[authenticate(t, s, c, map[string]int{"n": i}, tid)] = i
			}
			s.Publish(t, resprot.SubjectSystemTokenReset, map[string]any{"tids": tt.tids, "subject": "auth.test.renew"})
			got := map[int]bool{}
			for range tt.want {
				r := s.GetRequestOn(t, "auth.test.renew")
				i, ok := cids[r.CID(t)]
				if !ok {
					t.Fatalf("auth request for an unknown cid: %s", r.Payload)
				}
				got[i] = true
				r.AssertField(t, "token", map[string]int{"n": i})
				r.AssertField(t, "params", nil)
				r.RespondSuccess(nil)
			}
			for _, i := range tt.want {
				if !got[i] {
					t.Errorf("connection %d (tid %q) got no auth request", i, tids[i])
				}
			}
			// Make sure the gateway handled the reset before checking that
			// it sent nothing more: a second reset for t1 is answered after
			// the first.
			if len(tt.want) == 0 {
				s.Publish(t, resprot.SubjectSystemTokenReset, map[string]any{"tids": []string{"t1"}, "subject": "auth.test.sync"})
				s.GetRequestOn(t, "auth.test.sync").RespondSuccess(nil)
			}
			s.AssertNoRequest(t)
		})
	}
}

// The auth request of a token reset can go to any subject.
func TestTokenResetCustomSubject(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.Listen(t, "_TOKEN.renew")
	c := s.Connect(t)
	cid := authenticate(t, s, c, js(`"tok"`), "tid1")
	s.Publish(t, resprot.SubjectSystemTokenReset, js(`{"tids":["tid1"],"subject":"_TOKEN.renew"}`))
	r := s.GetRequestOn(t, "_TOKEN.renew")
	if r.CID(t) != cid {
		t.Fatalf("auth request cid = %q, want %q", r.CID(t), cid)
	}
	r.AssertField(t, "token", js(`"tok"`))
	r.RespondSuccess(nil)
}

// A token event from a token reset's auth request replaces the token.
func TestTokenResetRenewsToken(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	cid := authenticate(t, s, c, js(`"old"`), "tid1")
	s.Publish(t, resprot.SubjectSystemTokenReset, js(`{"tids":["tid1"],"subject":"auth.test.renew"}`))
	r := s.GetRequestOn(t, "auth.test.renew")
	s.TokenEvent(t, cid, js(`"new"`), "tid1")
	r.RespondSuccess(nil)
	waitForToken(t, s, c, js(`"new"`))
}
