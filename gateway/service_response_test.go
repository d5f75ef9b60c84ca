package gateway_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/reskit/res/resprot"
)

// Service protocol, "Response" and "Pre-response", and the gateway's
// handling of services that do not answer, are missing, or answer badly.

// shortRequestTimeout is the gateway's request timeout in tests that wait
// for a request to time out. Such a test must still answer every other
// request within it, so it leaves room for a loaded machine: 500ms was
// seen to run out.
const shortRequestTimeout = 2 * time.Second

// A request the service does not answer fails with system.timeout, and the
// gateway keeps serving.
func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, s *session, c *Client)
	}{
		{name: "get", run: func(t *testing.T, s *session, c *Client) {
			subscribeWith(t, s, c, "test.model", result(accessGranted), map[string]func(*Request){"test.model": (*Request).Timeout}).
				AssertErrorCode(t, resprot.CodeTimeout)
		}},
		{name: "access", run: func(t *testing.T, s *session, c *Client) {
			s.AutoRespond("get.test.model", result(model(testModel)))
			creq := c.Send(t, "subscribe.test.model", nil)
			s.GetRequestOn(t, "access.test.model").Timeout()
			creq.GetResponse(t).AssertErrorCode(t, resprot.CodeTimeout)
		}},
		{name: "call", run: func(t *testing.T, s *session, c *Client) {
			callGranted(t, s, c, "test.model", "method", nil, (*Request).Timeout).AssertErrorCode(t, resprot.CodeTimeout)
		}},
		{name: "auth", run: func(t *testing.T, s *session, c *Client) {
			creq := c.Send(t, "auth.test.login", nil)
			s.GetRequestOn(t, "auth.test.login").Timeout()
			creq.GetResponse(t).AssertErrorCode(t, resprot.CodeTimeout)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, withRequestTimeout(shortRequestTimeout))
			c := s.Connect(t)
			tt.run(t, s, c)

			// The gateway keeps serving this client and others.
			callGranted(t, s, c, "test.other", "method", nil, result(js(`"ok"`))).AssertResult(t, js(`{"payload":"ok"}`))
			c2 := s.Connect(t)
			subscribe(t, s, c2, "test.second", accessGranted, map[string]json.RawMessage{"test.second": model(`{"a":1}`)}).
				AssertResult(t, js(`{"models":{"test.second":{"a":1}}}`))
		})
	}
}

// A timed-out get is not cached: the next subscriber makes a new get.
func TestRequestTimeoutNotCached(t *testing.T) {
	t.Parallel()
	s := newSession(t, withRequestTimeout(shortRequestTimeout))
	c := s.Connect(t)
	subscribeWith(t, s, c, "test.model", result(accessGranted), map[string]func(*Request){"test.model": (*Request).Timeout}).
		AssertErrorCode(t, resprot.CodeTimeout)
	subscribeModel(t, s, c)
}

// "Sets the request timeout. The value is the new timeout in milliseconds
// calculated from when the requester receives the pre-response."
func TestPreResponseExtendsTimeout(t *testing.T) {
	t.Parallel()
	s := newSession(t, withRequestTimeout(shortRequestTimeout))
	c := s.Connect(t)
	creq := c.Send(t, "call.test.model.slow", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	r := s.GetRequestOn(t, "call.test.model.slow")
	r.RespondRaw([]byte(`timeout:"60000"`))
	// Let the gateway's own timeout pass, as for a service slower than it:
	// a call sent later, and left unanswered, times out with that timeout,
	// so the slow call would have timed out before it.
	callGranted(t, s, c, "test.other", "method", nil, (*Request).Timeout).AssertErrorCode(t, resprot.CodeTimeout)
	r.RespondSuccess(js(`"finally"`))
	creq.GetResponse(t).AssertResult(t, js(`{"payload":"finally"}`))
}

// A pre-response may also shorten the wait, and the request then times out
// after the new timeout.
func TestPreResponseShortensTimeout(t *testing.T) {
	t.Parallel()
	s := newSession(t, withRequestTimeout(time.Minute))
	c := s.Connect(t)
	callGranted(t, s, c, "test.model", "slow", nil, rawReply(`timeout:"100"`)).AssertErrorCode(t, resprot.CodeTimeout)
}

// A request with no service listening fails with system.notFound (NATS
// reports that no one responds), without waiting for the timeout.
func TestNoResponders(t *testing.T) {
	t.Parallel()
	s := newSession(t, withRequestTimeout(time.Minute))
	s.StopListening(t, "call.>")
	c := s.Connect(t)
	creq := c.Send(t, "call.test.model.method", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	creq.GetResponse(t).AssertErrorCode(t, resprot.CodeNotFound)

	s.StopListening(t, "get.>")
	subscribe(t, s, c, "test.other", accessGranted, nil).AssertErrorCode(t, resprot.CodeNotFound)
}

// A reply that is not a valid response gives system.internalError.
func TestMalformedResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply string
	}{
		{name: "not JSON", reply: `{"result":`},
		{name: "garbage", reply: `{]`},
		{name: "JSON array", reply: `[1,2]`},
		{name: "neither result nor error", reply: `{}`},
		{name: "error not an object", reply: `{"error":"oops"}`},
	}
	for _, tt := range tests {
		t.Run("call "+tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			callGranted(t, s, c, "test.model", "method", nil, rawReply(tt.reply)).AssertErrorCode(t, resprot.CodeInternalError)
		})
		t.Run("get "+tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeWith(t, s, c, "test.model", result(accessGranted), map[string]func(*Request){"test.model": rawReply(tt.reply)}).
				AssertErrorCode(t, resprot.CodeInternalError)
		})
	}
}

// A malformed access reply means no access; the client gets an error.
func TestMalformedAccessResponse(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.AutoRespond("get.test.model", result(model(testModel)))
	c := s.Connect(t)
	creq := c.Send(t, "subscribe.test.model", nil)
	s.GetRequestOn(t, "access.test.model").RespondRaw([]byte(`{"result":`))
	resp := creq.GetResponse(t)
	if resp.Error == nil {
		t.Fatalf("subscribe with a malformed access reply succeeded: %s", resp.raw)
	}
}

// A resource response to a call must hold a valid resource ID.
func TestCallResourceResponseInvalidRID(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	callGranted(t, s, c, "test.model", "method", nil, rawReply(`{"resource":{"rid":"test..bad"}}`)).AssertErrorCode(t, resprot.CodeInternalError)
}

// "Several pre-responses": each one restarts the timer; the final response
// is the first that is not a pre-response.
func TestSeveralPreResponses(t *testing.T) {
	t.Parallel()
	s := newSession(t, withRequestTimeout(time.Minute))
	c := s.Connect(t)
	creq := c.Send(t, "call.test.model.slow", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	r := s.GetRequestOn(t, "call.test.model.slow")
	r.RespondRaw([]byte(`timeout:"60000"`))
	r.RespondRaw([]byte(`timeout:"60000"`))
	r.RespondSuccess(js(`"done"`))
	creq.GetResponse(t).AssertResult(t, js(`{"payload":"done"}`))
}
