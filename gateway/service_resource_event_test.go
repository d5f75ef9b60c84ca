package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/reskit/res/resprot"
)

// Service protocol, "Custom event", "Delete event", "Reaccess event";
// client protocol, "Custom event", "Delete event", "Unsubscribe event".

// "Payload is defined by the service, and will be passed to the client
// without alteration."
func TestCustomEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload any // nil publishes an empty message
		want    any
	}{
		{name: "object", payload: js(`{"foo":"bar","n":[1,2]}`), want: js(`{"foo":"bar","n":[1,2]}`)},
		{name: "string", payload: js(`"hello"`), want: js(`"hello"`)},
		{name: "number", payload: js(`42`), want: js(`42`)},
		{name: "null", payload: js(`null`), want: nil},
		{name: "no payload", payload: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Event(t, "test.model", "custom", tt.payload)
			c.AssertEvent(t, "test.model.custom", tt.want)
		})
	}
}

// "A custom event MUST NOT use a resource event name already defined by
// this document": an unsubscribe event from a service would read, to the
// client, as the gateway ending its subscription. It is dropped.
func TestCustomEventNamedUnsubscribeDropped(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Event(t, "test.model", "unsubscribe", js(`{"reason":{"code":"system.accessDenied","message":"Access denied"}}`))
	s.Event(t, "test.model", "custom", js(`{"after":true}`))
	c.AssertEvent(t, "test.model.custom", js(`{"after":true}`))
}

// Custom events reach clients subscribing directly or indirectly, on
// models and collections.
func TestCustomEventOnIndirectResource(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribe(t, s, c, "test.parent", accessGranted, map[string]json.RawMessage{
		"test.parent":     model(`{"list":{"rid":"test.collection"}}`),
		"test.collection": collection(testCollection),
	})
	s.Event(t, "test.collection", "ping", js(`{"n":1}`))
	c.AssertEvent(t, "test.collection.ping", js(`{"n":1}`))
}

// Events on a resource the client does not subscribe to are not sent to it.
func TestEventOnUnsubscribedResource(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Event(t, "test.other", "custom", js(`{}`))
	s.Event(t, "test.other", "change", js(`{"values":{"a":1}}`))
	c.AssertNoEvent(t, s, "test.model", "test.model")
	c.AssertNoMessage(t)
}

// Service events are not forwarded as they are: reaccess and query events
// are for the gateway.
func TestGatewayEventsNotForwarded(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Event(t, "test.model", "reaccess", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	s.Event(t, "test.model", "query", js(`{"subject":"_QUERY.unused"}`))
	c.AssertNoEvent(t, s, "test.model", "test.model")
}

// Delete event: the client gets delete, then an unsubscribe event with
// reason system.deleted, and no more events on the resource.
func TestDeleteEvent(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	subscribe(t, s, c, "test.probe", accessGranted, map[string]json.RawMessage{"test.probe": model(`{}`)})

	s.Event(t, "test.model", "delete", nil)
	c.AssertEvent(t, "test.model.delete", nil)
	ev := c.GetEvent(t).AssertName(t, "test.model.unsubscribe")
	var data struct {
		Reason resprot.Error `json:"reason"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.Reason.Code != resprot.CodeDeleted {
		t.Fatalf("unsubscribe event data = %s, want reason with code %q", ev.Data, resprot.CodeDeleted)
	}

	// "The client will not receive any more events on the resource."
	s.Event(t, "test.model", "change", js(`{"values":{"name":"bar"}}`))
	s.Event(t, "test.model", "custom", js(`{}`))
	c.AssertNoEvent(t, s, "test.probe", "test.probe")
	c.AssertNoMessage(t)
}

// A deleted resource leaves the cache: the next subscriber makes a new get.
func TestDeleteEventEvictsCache(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Event(t, "test.model", "delete", nil)
	c.AssertEvent(t, "test.model.delete", nil)

	c2 := s.Connect(t)
	subscribe(t, s, c2, "test.model", accessGranted, map[string]json.RawMessage{"test.model": model(`{"name":"reborn"}`)}).
		AssertResult(t, js(`{"models":{"test.model":{"name":"reborn"}}}`))
}

// A delete event reaches a client that subscribes indirectly, without an
// unsubscribe event, since it had no direct subscription.
func TestDeleteEventIndirect(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeParent(t, s, c)
	s.Event(t, "test.model", "delete", nil)
	c.AssertEvent(t, "test.model.delete", nil)
	c.AssertNoEvent(t, s, "test.parent", "test.parent")
}

// Reaccess: the gateway asks for access again for each direct subscription
// and, when it is denied, sends an unsubscribe event with the reason.
func TestReaccessEventDenied(t *testing.T) {
	t.Parallel()
	custom := &resprot.Error{Code: "test.banned", Message: "Banned"}
	tests := []struct {
		name   string
		reply  func(*Request)
		reason *resprot.Error // nil: check the code only
	}{
		{name: "access denied error", reply: errorReply(resprot.ErrAccessDenied), reason: resprot.ErrAccessDenied},
		{name: "custom error", reply: errorReply(custom), reason: custom},
		{name: "get false", reply: result(js(`{"get":false}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)

			s.Event(t, "test.model", "reaccess", nil)
			r := s.GetRequestOn(t, "access.test.model")
			r.CID(t)
			r.Respond(tt.reply)
			ev := c.GetEvent(t).AssertName(t, "test.model.unsubscribe")
			if tt.reason != nil {
				ev.Assert(t, "test.model.unsubscribe", map[string]any{"reason": tt.reason})
			} else {
				assertReasonCode(t, ev, resprot.CodeAccessDenied)
			}

			// The direct subscription is gone.
			c.Request(t, "unsubscribe.test.model", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
		})
	}
}

func assertReasonCode(t testing.TB, ev *Event, code string) {
	t.Helper()
	var data struct {
		Reason *resprot.Error `json:"reason"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.Reason == nil || data.Reason.Code != code {
		t.Fatalf("event %s data = %s, want a reason with code %q", ev.Name, ev.Data, code)
	}
}

// When access is still granted, nothing is sent to the client.
func TestReaccessEventGranted(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Event(t, "test.model", "reaccess", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGetOnly)
	c.AssertNoEvent(t, s, "test.model", "test.model")
}

// Each connection with a direct subscription gets its own access request,
// and only the one denied access is unsubscribed.
func TestReaccessEventTwoClients(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c1 := s.Connect(t)
	cid1 := subscribeCID(t, s, c1, "test.model", map[string]func(*Request){"get.test.model": result(model(testModel))})
	c2 := s.Connect(t)
	cid2 := subscribeCID(t, s, c2, "test.model", nil)

	s.Event(t, "test.model", "reaccess", nil)
	for i := 0; i < 2; i++ {
		r := s.GetRequestOn(t, "access.test.model")
		switch r.CID(t) {
		case cid1:
			r.RespondError(resprot.ErrAccessDenied)
		case cid2:
			r.RespondSuccess(accessGranted)
		default:
			t.Fatalf("access request for unknown cid: %s", r.Payload)
		}
	}
	ev := c1.GetEvent(t).AssertName(t, "test.model.unsubscribe")
	assertReasonCode(t, ev, resprot.CodeAccessDenied)

	s.Event(t, "test.model", "custom", js(`"after"`))
	c2.AssertEvent(t, "test.model.custom", js(`"after"`))
	c1.AssertNoMessage(t)
}

// subscribeCID subscribes c to rid with access granted, serving the
// requests in gets too, and returns the connection's cid.
func subscribeCID(t testing.TB, s *session, c *Client, rid string, gets map[string]func(*Request)) string {
	t.Helper()
	name, _ := resprot.SplitRID(rid)
	creq := c.Send(t, "subscribe."+rid, nil)
	var cid string
	h := map[string]func(*Request){"access." + name: func(r *Request) {
		cid = r.CID(t)
		r.RespondSuccess(accessGranted)
	}}
	for k, v := range gets {
		h[k] = v
	}
	s.Serve(t, h)
	resp := creq.GetResponse(t)
	if resp.Error != nil {
		t.Fatalf("subscribe %s: %s", rid, resp.raw)
	}
	return cid
}

// A resource referenced by another one stays indirectly subscribed after
// its direct subscription loses access.
func TestReaccessEventKeepsIndirectSubscription(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeParent(t, s, c)
	s.AutoRespond("access.test.model", result(accessGranted))
	c.Request(t, "subscribe.test.model", nil)
	s.AutoRespond("access.test.model", errorReply(resprot.ErrAccessDenied))

	s.Event(t, "test.model", "reaccess", nil)
	ev := c.GetEvent(t).AssertName(t, "test.model.unsubscribe")
	assertReasonCode(t, ev, resprot.CodeAccessDenied)
	assertModelChange(t, s, c)
}

// "It will invalidate any previous access response received for the
// resource": after a reaccess event, a call uses the new access result.
func TestReaccessEventInvalidatesCallAccess(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	s.AutoRespond("access.test.model", result(accessGranted))
	creq := c.Send(t, "subscribe.test.model", nil)
	s.GetRequestOn(t, "get.test.model").RespondSuccess(model(testModel))
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
	creq = c.Send(t, "call.test.model.method", nil)
	s.GetRequestOn(t, "call.test.model.method").RespondSuccess(nil)
	creq.GetResponse(t).AssertResult(t, js(`{"payload":null}`))

	// Access now allows get but no calls.
	s.AutoRespond("access.test.model", result(accessGetOnly))
	s.Event(t, "test.model", "reaccess", nil)
	// Wait until the gateway has handled the reaccess: a probe event
	// comes after it on the same resource.
	c.AssertNoEvent(t, s, "test.model", "test.model")
	c.Request(t, "call.test.model.method", nil).AssertErrorCode(t, resprot.CodeAccessDenied)
	s.AssertNoRequest(t)
}
