package gateway_test

import (
	"net/http"
	"testing"

	"github.com/reskit/res/gateway"
)

// WebSocket header authentication (Resgate's wsHeaderAuth, protocol
// 1.2.3): on each upgrade the gateway sends an auth request with the
// upgrade's headers and isHttp set, and a token the service sets with a
// token event applies to the new connection.
func TestWSHeaderAuth(t *testing.T) {
	t.Parallel()
	s := newSession(t, func(c *gateway.Config) { c.WSHeaderAuth = "test.auth.header" })
	got := make(chan *Request, 1)
	s.AutoRespond("auth.test.auth.header", func(r *Request) {
		cid, _ := r.Field(r.t, "cid").(string)
		s.TokenEvent(r.t, cid, js(`{"from":"cookie"}`), "")
		r.RespondSuccess(nil)
		got <- r
	})
	c := s.Dial(t, http.Header{"Cookie": {"session=abc"}})
	r := <-got
	cid := r.CID(t)
	r.AssertField(t, "isHttp", true)
	r.AssertField(t, "params", nil)
	r.AssertField(t, "token", nil)
	hdr, ok := r.Field(t, "header").(map[string]any)
	if !ok {
		t.Fatalf("header auth request has no header: %s", r.Payload)
	}
	assertJSON(t, "header Cookie", encode(t, hdr["Cookie"]), js(`["session=abc"]`))
	r.AssertField(t, "remoteAddr", c.LocalAddr())

	c.Request(t, "version", js(`{"protocol":"1.2.3"}`))
	creq := c.Send(t, "subscribe.test.model", nil)
	s.Serve(t, map[string]func(*Request){
		"access.test.model": func(r *Request) {
			r.AssertPayload(t, map[string]any{"cid": cid, "token": js(`{"from":"cookie"}`)})
			r.RespondSuccess(accessGranted)
		},
		"get.test.model": result(model(testModel)),
	})
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
}

// A failing header auth request does not refuse the connection: the client
// connects with no token.
func TestWSHeaderAuthError(t *testing.T) {
	t.Parallel()
	s := newSession(t, func(c *gateway.Config) { c.WSHeaderAuth = "test.auth.header" })
	s.AutoRespond("auth.test.auth.header", errorReply(accessDenied))
	c := s.Connect(t)
	creq := c.Send(t, "call.test.model.method", nil)
	a := s.GetRequestOn(t, "access.test.model")
	a.AssertField(t, "token", nil)
	a.RespondError(accessDenied)
	creq.GetResponse(t).AssertError(t, accessDenied)
}
