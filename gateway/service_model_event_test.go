package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/reskit/res/resprot"
)

// Service protocol, "Model change event"; client protocol, "Model change
// event".

func TestChangeEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values string // values sent by the service
		want   string // values the client gets
	}{
		{name: "one value", values: `{"name":"bar"}`, want: `{"name":"bar"}`},
		{name: "several values", values: `{"name":"bar","count":43,"ok":false}`, want: `{"name":"bar","count":43,"ok":false}`},
		{name: "new property", values: `{"extra":"x"}`, want: `{"extra":"x"}`},
		{name: "to null", values: `{"name":null}`, want: `{"name":null}`},
		{name: "from null", values: `{"none":"set"}`, want: `{"none":"set"}`},
		{name: "delete action", values: `{"ok":{"action":"delete"}}`, want: `{"ok":{"action":"delete"}}`},
		{name: "delete null property", values: `{"none":{"action":"delete"}}`, want: `{"none":{"action":"delete"}}`},
		// "Unchanged properties SHOULD NOT be included" by the service, and
		// "may be included and SHOULD be ignored" by the client: the
		// gateway drops them.
		{name: "unchanged dropped", values: `{"name":"foo","count":43}`, want: `{"count":43}`},
		{name: "unchanged null dropped", values: `{"none":null,"ok":false}`, want: `{"ok":false}`},
		{name: "delete of absent property dropped", values: `{"missing":{"action":"delete"},"count":1}`, want: `{"count":1}`},
		{name: "data value", values: `{"name":{"data":{"a":[1,2]}}}`, want: `{"name":{"data":{"a":[1,2]}}}`},
		{name: "soft reference", values: `{"next":{"rid":"test.other","soft":true}}`, want: `{"next":{"rid":"test.other","soft":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Event(t, "test.model", "change", js(`{"values":`+tt.values+`}`))
			c.AssertEvent(t, "test.model.change", js(`{"values":`+tt.want+`}`))
			// A soft reference is not followed.
			s.AssertNoRequest(t)
		})
	}
}

// A change event that changes nothing is not sent to the client.
func TestChangeEventWithNoChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values string
	}{
		{name: "same values", values: `{"name":"foo","count":42}`},
		{name: "same null", values: `{"none":null}`},
		{name: "delete of absent property", values: `{"missing":{"action":"delete"}}`},
		{name: "empty", values: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Event(t, "test.model", "change", js(`{"values":`+tt.values+`}`))
			c.AssertNoEvent(t, s, "test.model", "test.model")
		})
	}
}

// The gateway applies change events to its cache: a client subscribing
// later gets the changed model without a new get request.
func TestChangeEventUpdatesCache(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Event(t, "test.model", "change", js(`{"values":{"name":"bar","ok":{"action":"delete"},"extra":1}}`))
	c.AssertEvent(t, "test.model.change", js(`{"values":{"name":"bar","ok":{"action":"delete"},"extra":1}}`))

	c2 := s.Connect(t)
	creq := c2.Send(t, "subscribe.test.model", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":{"name":"bar","count":42,"none":null,"extra":1}}}`))
	s.AssertNoRequest(t)

	// The second change is diffed against the changed cache.
	s.Event(t, "test.model", "change", js(`{"values":{"name":"bar","extra":2}}`))
	c.AssertEvent(t, "test.model.change", js(`{"values":{"extra":2}}`))
	c2.AssertEvent(t, "test.model.change", js(`{"values":{"extra":2}}`))
}

// "Will result in new indirect subscriptions if changed properties contain
// resource references previously not subscribed": the referenced resource
// is fetched and sent with the event.
func TestChangeEventAddsReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		gets map[string]func(*Request)
		want string
	}{
		{
			name: "model",
			gets: map[string]func(*Request){"get.test.child": result(model(`{"id":1}`))},
			want: `{"values":{"child":{"rid":"test.child"}},"models":{"test.child":{"id":1}}}`,
		},
		{
			name: "collection",
			gets: map[string]func(*Request){"get.test.child": result(collection(`[1,2]`))},
			want: `{"values":{"child":{"rid":"test.child"}},"collections":{"test.child":[1,2]}}`,
		},
		{
			name: "error",
			gets: map[string]func(*Request){"get.test.child": errorReply(resprot.ErrNotFound)},
			want: `{"values":{"child":{"rid":"test.child"}},"errors":{"test.child":{"code":"system.notFound","message":"Not found"}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Event(t, "test.model", "change", js(`{"values":{"child":{"rid":"test.child"}}}`))
			s.Serve(t, tt.gets)
			c.AssertEvent(t, "test.model.change", js(tt.want))
			s.AssertNoRequest(t)
		})
	}
}

// A reference to a resource the client already has is sent without the
// resource.
func TestChangeEventAddsReferenceAlreadySent(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	subscribe(t, s, c, "test.other", accessGranted, map[string]json.RawMessage{"test.other": model(`{"id":2}`)})
	s.Event(t, "test.model", "change", js(`{"values":{"child":{"rid":"test.other"}}}`))
	c.AssertEvent(t, "test.model.change", js(`{"values":{"child":{"rid":"test.other"}}}`))
	s.AssertNoRequest(t)
}

// A reference removed by a change event ends the indirect subscription: the
// client no longer gets the child's events.
func TestChangeEventRemovesReference(t *testing.T) {
	t.Parallel()
	for _, newValue := range []string{`null`, `{"action":"delete"}`, `"text"`} {
		t.Run(newValue, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeParent(t, s, c)
			// A second client keeps the child subscribed, so the gateway
			// still handles its events.
			c2 := s.Connect(t)
			subscribe(t, s, c2, "test.model", accessGranted, nil)

			s.Event(t, "test.parent", "change", js(`{"values":{"child":`+newValue+`}}`))
			c.AssertEvent(t, "test.parent.change", js(`{"values":{"child":`+newValue+`}}`))

			assertModelChange(t, s, c2)
			c.AssertNoEvent(t, s, "test.parent", "test.parent")
			c.AssertNoMessage(t)
		})
	}
}

// A reference that changes from soft to hard is followed.
func TestChangeEventSoftToHardReference(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribe(t, s, c, "test.parent", accessGranted, map[string]json.RawMessage{
		"test.parent": model(`{"child":{"rid":"test.model","soft":true}}`),
	})
	s.Event(t, "test.parent", "change", js(`{"values":{"child":{"rid":"test.model"}}}`))
	s.GetRequestOn(t, "get.test.model").RespondSuccess(model(testModel))
	c.AssertEvent(t, "test.parent.change", js(`{"values":{"child":{"rid":"test.model"}},"models":{"test.model":`+testModel+`}}`))
}

// "Change events are only sent on models": a change event on a collection
// is dropped.
func TestChangeEventOnCollection(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeCollection(t, s, c)
	s.Event(t, "test.collection", "change", js(`{"values":{"foo":"bar"}}`))
	c.AssertNoEvent(t, s, "test.collection", "test.collection")
}

// Change events with an invalid payload are dropped, and the resource keeps
// working.
func TestChangeEventInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
	}{
		{name: "bare object value", payload: `{"values":{"name":{"foo":1}}}`},
		{name: "bare array value", payload: `{"values":{"name":[1]}}`},
		{name: "not JSON", payload: `{"values":`},
		{name: "unknown action", payload: `{"values":{"name":{"action":"explode"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Event(t, "test.model", "change", js(tt.payload))
			c.AssertNoEvent(t, s, "test.model", "test.model")
			assertModelChange(t, s, c)
		})
	}
}
