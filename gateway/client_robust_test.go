package gateway_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/reskit/res/resprot"
)

// Robustness: one misbehaving client or service does not hold up the
// others.

// A client that stops reading does not delay other clients: while its
// connection is backed up, another client subscribing to the same resource
// still receives every event, and new requests are still served.
func TestSlowClientDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	slow := s.Connect(t)
	subscribeModel(t, s, slow)
	subscribe(t, s, slow, "test.big", accessGranted, map[string]json.RawMessage{"test.big": model(`{}`)}).
		AssertResult(t, js(`{"models":{"test.big":{}}}`))
	fast := s.Connect(t)
	subscribe(t, s, fast, "test.model", accessGranted, nil)

	slow.StopReading()

	// Large events that only the slow client gets fill its socket buffers
	// several times over (the kernel buffers a few MiB on loopback), while
	// both clients get the events of test.model. Custom events are
	// forwarded as they are, which keeps the bulk cheap for the gateway.
	const events = 400
	big := js(`{"pad":"` + strings.Repeat("x", 32*1024) + `"}`)
	for i := 0; i < events; i++ {
		s.Event(t, "test.big", "bulk", big)
		s.Event(t, "test.model", "change", js(fmt.Sprintf(`{"values":{"count":%d}}`, i+1000)))
	}
	for i := 0; i < events; i++ {
		fast.AssertEvent(t, "test.model.change", js(fmt.Sprintf(`{"values":{"count":%d}}`, i+1000)))
	}

	// New clients are still served.
	c3 := s.Connect(t)
	callGranted(t, s, c3, "test.model", "method", nil, result(js(`"ok"`))).AssertResult(t, js(`{"payload":"ok"}`))
}

// A client that closes its connection in the middle of requests leaves the
// gateway serving others.
func TestClientDisconnectWhileRequestPending(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	c.Send(t, "subscribe.test.model", nil)
	// The gateway sends the access and get requests of a subscription in
	// parallel, so either can come first.
	r := s.GetRequest(t)
	c.Close()
	// Answer each request by its subject, the pending one and those still
	// to come; no one is there to read the response.
	replies := map[string]func(*Request){
		"access.test.model": result(accessGranted),
		"get.test.model":    result(model(testModel)),
	}
	reply, ok := replies[r.Subject]
	if !ok {
		t.Fatalf("unexpected request on %q with payload %s", r.Subject, r.Payload)
	}
	for subject, h := range replies {
		s.AutoRespond(subject, h)
	}
	reply(r)

	c2 := s.Connect(t)
	c2.Request(t, "subscribe.test.model", nil).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
}

// A service that never answers one resource does not stop the gateway from
// serving another one at the same time.
func TestUnansweredRequestDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	hung := c.Send(t, "call.test.hung.method", nil)
	s.GetRequestOn(t, "access.test.hung").RespondSuccess(accessGranted)
	hungReq := s.GetRequestOn(t, "call.test.hung.method")

	// Another request on the same connection, and one on another
	// connection, are answered while the first is pending.
	callGranted(t, s, c, "test.other", "method", nil, result(js(`1`))).AssertResult(t, js(`{"payload":1}`))

	c2 := s.Connect(t)
	subscribe(t, s, c2, "test.model", accessGranted, map[string]json.RawMessage{"test.model": model(testModel)}).
		AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))

	hungReq.RespondError(resprot.ErrNotFound)
	hung.GetResponse(t).AssertError(t, resprot.ErrNotFound)
}

// Many clients subscribing to one resource all get its events.
func TestManyClientsFanOut(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.AutoRespond("access.test.model", result(accessGranted))
	s.AutoRespond("get.test.model", result(model(testModel)))
	var clients []*Client
	for i := 0; i < 20; i++ {
		c := s.Connect(t)
		c.Request(t, "subscribe.test.model", nil).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
		clients = append(clients, c)
	}
	s.Event(t, "test.model", "change", js(`{"values":{"name":"all"}}`))
	for _, c := range clients {
		c.AssertEvent(t, "test.model.change", js(`{"values":{"name":"all"}}`))
	}
}
