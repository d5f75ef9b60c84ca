package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/reskit/res/resprot"
)

// Client protocol, "Unsubscribe request".

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	// "The result has no payload."
	c.Request(t, "unsubscribe.test.model", nil).AssertResult(t, nil)

	// Events no longer reach the client. A second client keeps the resource
	// in the cache and shows the event was handled.
	c2 := s.Connect(t)
	s.AutoRespond("get.test.model", result(model(testModel)))
	subscribe(t, s, c2, "test.model", accessGranted, nil)
	assertModelChange(t, s, c2)
	c.AssertNoMessage(t)

	// The subscription is gone.
	c.Request(t, "unsubscribe.test.model", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
}

// "An error response with code system.noSubscription will be sent if the
// resource has no direct subscription."
func TestUnsubscribeWithoutSubscription(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	c.Request(t, "unsubscribe.test.model", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
	s.AssertNoRequest(t)
}

// A resource subscribed only indirectly, through a reference, has no direct
// subscription to remove.
func TestUnsubscribeIndirectOnly(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeParent(t, s, c)
	c.Request(t, "unsubscribe.test.model", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
	// The child is still subscribed through the parent.
	assertModelChange(t, s, c)
}

// A resource with direct subscriptions stays subscribed until as many have
// been removed; count removes several at once, and a count larger than the
// number of direct subscriptions fails and changes nothing.
func TestUnsubscribeCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		subscribes int
		steps      []unsubStep
		subscribed bool // still subscribed at the end
	}{
		{name: "twice, once", subscribes: 2, steps: []unsubStep{{params: nil}}, subscribed: true},
		{name: "twice, twice", subscribes: 2, steps: []unsubStep{{params: nil}, {params: nil}}, subscribed: false},
		{name: "twice, count 2", subscribes: 2, steps: []unsubStep{{params: js(`{"count":2}`)}}, subscribed: false},
		{name: "three, count 2", subscribes: 3, steps: []unsubStep{{params: js(`{"count":2}`)}}, subscribed: true},
		{name: "count 1", subscribes: 1, steps: []unsubStep{{params: js(`{"count":1}`)}}, subscribed: false},
		{name: "empty params", subscribes: 1, steps: []unsubStep{{params: js(`{}`)}}, subscribed: false},
		{name: "null count", subscribes: 1, steps: []unsubStep{{params: js(`{"count":null}`)}}, subscribed: false},
		{
			name:       "count too large",
			subscribes: 2,
			steps: []unsubStep{
				{params: js(`{"count":3}`), wantErr: resprot.CodeNoSubscription},
				{params: js(`{"count":2}`)},
			},
			subscribed: false,
		},
		{
			name:       "count too large leaves subscriptions",
			subscribes: 2,
			steps:      []unsubStep{{params: js(`{"count":3}`), wantErr: resprot.CodeNoSubscription}},
			subscribed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.AutoRespond("access.test.model", result(accessGranted))
			for i := 1; i < tt.subscribes; i++ {
				c.Request(t, "subscribe.test.model", nil).AssertResult(t, js(`{}`))
			}
			for _, st := range tt.steps {
				resp := c.Request(t, "unsubscribe.test.model", st.params)
				if st.wantErr != "" {
					resp.AssertErrorCode(t, st.wantErr)
				} else {
					resp.AssertResult(t, nil)
				}
			}
			if tt.subscribed {
				assertModelChange(t, s, c)
			} else {
				c.Request(t, "unsubscribe.test.model", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
			}
		})
	}
}

type unsubStep struct {
	params  any
	wantErr string
}

// count "MUST be a number greater than 0".
func TestUnsubscribeInvalidParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params any
	}{
		{name: "zero", params: js(`{"count":0}`)},
		{name: "negative", params: js(`{"count":-1}`)},
		{name: "string", params: js(`{"count":"2"}`)},
		{name: "fraction", params: js(`{"count":1.5}`)},
		{name: "params a string", params: js(`"foo"`)},
		{name: "params an array", params: js(`[1]`)},
	}
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.Request(t, "unsubscribe.test.model", tt.params).AssertErrorCode(t, resprot.CodeInvalidParams)
		})
	}
	// The subscription was left as it was.
	c.Request(t, "unsubscribe.test.model", nil).AssertResult(t, nil)
}

// Unsubscribing a parent keeps a child that is directly subscribed, and
// stops the parent's events.
func TestUnsubscribeParentKeepsDirectChild(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	subscribe(t, s, c, "test.parent", accessGranted, map[string]json.RawMessage{"test.parent": model(testParent)})
	c.Request(t, "unsubscribe.test.parent", nil).AssertResult(t, nil)

	assertModelChange(t, s, c)
}

// Unsubscribing the direct subscription of a resource that is also
// referenced by a subscribed parent keeps its events coming.
func TestUnsubscribeChildKeptByParent(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeParent(t, s, c)
	s.AutoRespond("access.test.model", result(accessGranted))
	c.Request(t, "subscribe.test.model", nil).AssertResult(t, js(`{}`))
	c.Request(t, "unsubscribe.test.model", nil).AssertResult(t, nil)

	assertModelChange(t, s, c)
}

// After a client unsubscribes and subscribes again, it gets the resource in
// full again, since it was no longer subscribed in between.
func TestResubscribeSendsResourceAgain(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	c.Request(t, "unsubscribe.test.model", nil).AssertResult(t, nil)

	// The gateway may still hold the model in its cache, or fetch it again.
	s.AutoRespond("get.test.model", result(model(testModel)))
	subscribe(t, s, c, "test.model", accessGranted, nil).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
}

// "Cyclic references where none of the resources are directly subscribed
// will not be considered subscribed": after the last direct subscription
// goes, the whole cycle is unsubscribed, and subscribing again sends every
// resource of it again.
func TestUnsubscribeCycle(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribe(t, s, c, "test.a", accessGranted, map[string]json.RawMessage{
		"test.a": model(`{"b":{"rid":"test.b"}}`),
		"test.b": model(`{"a":{"rid":"test.a"}}`),
	})
	c.Request(t, "unsubscribe.test.a", nil).AssertResult(t, nil)

	s.AutoRespond("get.test.a", result(model(`{"b":{"rid":"test.b"}}`)))
	s.AutoRespond("get.test.b", result(model(`{"a":{"rid":"test.a"}}`)))
	subscribe(t, s, c, "test.b", accessGranted, nil).
		AssertResult(t, js(`{"models":{"test.a":{"b":{"rid":"test.b"}},"test.b":{"a":{"rid":"test.a"}}}}`))
}

// A reference removed and then added again sends the referenced resource
// again, since the client was no longer subscribed to it in between.
func TestReferenceRemovedAndAddedAgain(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeParent(t, s, c)
	s.AutoRespond("get.test.model", result(model(testModel)))
	s.Event(t, "test.parent", "change", js(`{"values":{"child":null}}`))
	c.AssertEvent(t, "test.parent.change", js(`{"values":{"child":null}}`))
	s.Event(t, "test.parent", "change", js(`{"values":{"child":{"rid":"test.model"}}}`))
	c.AssertEvent(t, "test.parent.change", js(`{"values":{"child":{"rid":"test.model"}},"models":{"test.model":`+testModel+`}}`))
}

// A resource that stays subscribed through another path is not sent again
// when a reference to it is added.
func TestReferenceToResourceSubscribedElsewhere(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribe(t, s, c, "test.a", accessGranted, map[string]json.RawMessage{
		"test.a":     model(`{"child":{"rid":"test.model"}}`),
		"test.model": model(testModel),
	})
	subscribe(t, s, c, "test.b", accessGranted, map[string]json.RawMessage{
		"test.b": model(`{"child":null}`),
	})
	s.Event(t, "test.b", "change", js(`{"values":{"child":{"rid":"test.model"}}}`))
	c.AssertEvent(t, "test.b.change", js(`{"values":{"child":{"rid":"test.model"}}}`))
	// Unsubscribing a keeps the model through b.
	c.Request(t, "unsubscribe.test.a", nil).AssertResult(t, nil)
	assertModelChange(t, s, c)
}
