package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reskit/res/resprot"
)

// Client protocol, "Client JSONRPC" and "Request method": malformed
// requests get an error, and the connection stays usable.

// "Request object's method property MUST be a valid request method."
func TestInvalidRequestMethod(t *testing.T) {
	t.Parallel()
	methods := []string{
		"",
		"foo",
		"foo.test.model",
		"set.test.model",
		"subscribe",
		"subscribe.",
		"subscribe.test.",
		"subscribe..test",
		"subscribe.test..model",
		"subscribe.test.*",
		"subscribe.test.>",
		"subscribe.test.model.>",
		"subscribe.?q=1",
		"subscribe.test.?q=1",
		"subscribe.test model",
		"get",
		"get.",
		"get.test..model",
		"unsubscribe.",
		"unsubscribe.test..model",
		"call.test",
		"call.test.",
		"call.test.model.",
		"call..method",
		"call.test.*.method",
		"call.test.model.*",
		"auth.test",
		"auth.test.model.",
		"new.",
		"new.test..model",
		"version.test",
	}
	s := newSession(t)
	c := s.Connect(t)
	for _, m := range methods {
		t.Run(strings.ReplaceAll(m, ".", "_"), func(t *testing.T) {
			c.Request(t, m, nil).AssertErrorCode(t, resprot.CodeInvalidRequest)
		})
	}
	s.AssertNoRequest(t)
	c.Request(t, "version", js(`{"protocol":"1.2.3"}`)).AssertResult(t, js(`{"protocol":"1.2.3"}`))
}

// A request whose method is not a string is not a valid request.
func TestInvalidRequestObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  string
	}{
		{name: "method a number", msg: `{"id":1000,"method":42}`},
		{name: "method null", msg: `{"id":1000,"method":null}`},
		{name: "method missing", msg: `{"id":1000}`},
	}
	s := newSession(t)
	c := s.Connect(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.WriteRaw(t, []byte(tt.msg))
			// The error may carry id 1000 or, if the request was not
			// understood at all, a null id. Either way the connection stays
			// open and answers the next request.
			resp := c.Request(t, "version", js(`{"protocol":"1.2.3"}`))
			resp.AssertResult(t, js(`{"protocol":"1.2.3"}`))
			if r, ok := c.responses[1000]; ok {
				delete(c.responses, 1000)
				r.method = tt.name
				r.AssertErrorCode(t, resprot.CodeInvalidRequest)
			}
			c.orphans = nil
		})
	}
}

// Malformed JSON gets a parse error with a null id or is dropped; either
// way the connection stays usable.
func TestMalformedJSON(t *testing.T) {
	t.Parallel()
	msgs := []string{
		`not json`,
		`{"id":1,"method":"version"`,
		`[{"id":1,"method":"version"}]`,
		`42`,
		``,
	}
	s := newSession(t)
	c := s.Connect(t)
	for _, m := range msgs {
		c.WriteRaw(t, []byte(m))
	}
	subscribeModel(t, s, c)
	for _, r := range c.orphans {
		if r.Error == nil || r.Error.Code == "" {
			t.Errorf("unexpected message for malformed JSON: %s", r.raw)
		}
	}
	for id, r := range c.responses {
		t.Errorf("unexpected response %d: %s", id, r.raw)
	}
}

// "Client notifications are NOT supported": a request without an id gets
// no response and has no effect.
func TestRequestWithoutID(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	c.WriteRaw(t, []byte(`{"method":"call.test.model.method","params":null}`))
	c.WriteRaw(t, []byte(`{"method":"version","params":{"protocol":"1.2.3"}}`))
	c.AssertNoMessage(t)
	if len(c.orphans) > 0 {
		t.Fatalf("got error for a notification: %s", c.orphans[0].raw)
	}
	// If the gateway sent the call anyway, answer it so it has no effect on
	// what follows.
	s.AutoRespond("access.test.model", result(accessGranted))
	s.AutoRespond("call.test.model.method", result(nil))
	subscribe(t, s, c, "test.other", accessGranted, map[string]json.RawMessage{"test.other": model(`{}`)})
}

// A client that sends many requests without waiting gets every response
// with its id.
func TestPipelinedRequests(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.AutoRespond("access.test.model", result(accessGranted))
	s.AutoRespond("call.test.model.echo", func(r *Request) {
		r.RespondSuccess(r.Field(r.t, "params"))
	})
	c := s.Connect(t)
	var reqs []*ClientRequest
	for i := 0; i < 50; i++ {
		reqs = append(reqs, c.Send(t, "call.test.model.echo", i))
	}
	for i, r := range reqs {
		r.GetResponse(t).AssertResult(t, map[string]any{"payload": i})
	}
}
