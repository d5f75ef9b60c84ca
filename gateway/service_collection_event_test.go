package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reskit/res/resprot"
)

// Service protocol, "Collection add event" and "Collection remove event";
// client protocol, the same events. test.collection is ["foo",42,true,null].

func TestAddEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event string
		after string // the collection after the event
	}{
		{name: "first", event: `{"idx":0,"value":"bar"}`, after: `["bar","foo",42,true,null]`},
		{name: "middle", event: `{"idx":2,"value":"bar"}`, after: `["foo",42,"bar",true,null]`},
		{name: "last", event: `{"idx":4,"value":"bar"}`, after: `["foo",42,true,null,"bar"]`},
		{name: "null value", event: `{"idx":1,"value":null}`, after: `["foo",null,42,true,null]`},
		{name: "data value", event: `{"idx":1,"value":{"data":{"a":1}}}`, after: `["foo",{"data":{"a":1}},42,true,null]`},
		{name: "soft reference", event: `{"idx":1,"value":{"rid":"test.x","soft":true}}`, after: `["foo",{"rid":"test.x","soft":true},42,true,null]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeCollection(t, s, c)
			s.Event(t, "test.collection", "add", js(tt.event))
			c.AssertEvent(t, "test.collection.add", js(tt.event))
			s.AssertNoRequest(t)
			assertCachedCollection(t, s, tt.after)
		})
	}
}

func TestRemoveEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		idx   int
		after string
	}{
		{name: "first", idx: 0, after: `[42,true,null]`},
		{name: "middle", idx: 2, after: `["foo",42,null]`},
		{name: "last", idx: 3, after: `["foo",42,true]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeCollection(t, s, c)
			s.Event(t, "test.collection", "remove", map[string]int{"idx": tt.idx})
			c.AssertEvent(t, "test.collection.remove", map[string]int{"idx": tt.idx})
			assertCachedCollection(t, s, tt.after)
		})
	}
}

// assertCachedCollection subscribes a new client to test.collection and
// checks that the gateway serves want from its cache.
func assertCachedCollection(t testing.TB, s *session, want string) {
	t.Helper()
	c := s.Connect(t)
	creq := c.Send(t, "subscribe.test.collection", nil)
	s.GetRequestOn(t, "access.test.collection").RespondSuccess(accessGranted)
	creq.GetResponse(t).AssertResult(t, js(`{"collections":{"test.collection":`+want+`}}`))
}

// An added reference makes a new indirect subscription, sent with the add
// event.
func TestAddEventWithReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply func(*Request)
		set   string
	}{
		{name: "model", reply: result(model(`{"id":42}`)), set: `"models":{"test.item.42":{"id":42}}`},
		{name: "collection", reply: result(collection(`["a"]`)), set: `"collections":{"test.item.42":["a"]}`},
		{name: "error", reply: errorReply(resprot.ErrNotFound), set: `"errors":{"test.item.42":{"code":"system.notFound","message":"Not found"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeCollection(t, s, c)
			s.Event(t, "test.collection", "add", js(`{"idx":1,"value":{"rid":"test.item.42"}}`))
			s.GetRequestOn(t, "get.test.item.42").Respond(tt.reply)
			c.AssertEvent(t, "test.collection.add", js(`{"idx":1,"value":{"rid":"test.item.42"},`+tt.set+`}`))
		})
	}
}

// The example of the client protocol: a reference added to a collection of
// users carries the user model.
func TestAddEventSpecExample(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	var users []string
	for i := 0; i < 12; i++ {
		users = append(users, `"u`+string(rune('a'+i))+`"`)
	}
	list := "[" + strings.Join(users, ",") + "]"
	subscribe(t, s, c, "userService.users", accessGranted, map[string]json.RawMessage{"userService.users": collection(list)})
	s.Event(t, "userService.users", "add", js(`{"idx":12,"value":{"rid":"userService.user.42"}}`))
	s.GetRequestOn(t, "get.userService.user.42").RespondSuccess(model(`{"id":42,"firstName":"Jane","lastName":"Doe"}`))
	c.AssertEvent(t, "userService.users.add", js(`{
		"idx": 12,
		"value": { "rid": "userService.user.42" },
		"models": {
			"userService.user.42": { "id": 42, "firstName": "Jane", "lastName": "Doe" }
		}
	}`))

	s.Event(t, "userService.users", "remove", js(`{"idx":12}`))
	c.AssertEvent(t, "userService.users.remove", js(`{"idx":12}`))
}

// A removed reference ends the indirect subscription.
func TestRemoveEventRemovesReference(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribe(t, s, c, "test.list", accessGranted, map[string]json.RawMessage{
		"test.list":  collection(`[{"rid":"test.model"},"x"]`),
		"test.model": model(testModel),
	})
	c2 := s.Connect(t)
	subscribe(t, s, c2, "test.model", accessGranted, nil)

	s.Event(t, "test.list", "remove", js(`{"idx":0}`))
	c.AssertEvent(t, "test.list.remove", js(`{"idx":0}`))

	assertModelChange(t, s, c2)
	c.AssertNoEvent(t, s, "test.list", "test.list")
}

// Add and remove events with an index out of range ("MUST be a number that
// is zero or greater and less than [or equal to] the length") are dropped,
// and so are add and remove events on a model.
func TestCollectionEventOutOfRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		event   string
		payload string
	}{
		{name: "add past end", event: "add", payload: `{"idx":5,"value":"x"}`},
		{name: "add negative", event: "add", payload: `{"idx":-1,"value":"x"}`},
		{name: "add without idx", event: "add", payload: `{"value":"x"}`},
		{name: "add invalid value", event: "add", payload: `{"idx":0,"value":{"foo":1}}`},
		{name: "remove at length", event: "remove", payload: `{"idx":4}`},
		{name: "remove negative", event: "remove", payload: `{"idx":-1}`},
		{name: "remove not JSON", event: "remove", payload: `{"idx":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeCollection(t, s, c)
			s.Event(t, "test.collection", tt.event, js(tt.payload))
			c.AssertNoEvent(t, s, "test.collection", "test.collection")
			assertCachedCollection(t, s, testCollection)
		})
	}
}

func TestCollectionEventOnModel(t *testing.T) {
	t.Parallel()
	for _, ev := range []struct{ name, payload string }{
		{"add", `{"idx":0,"value":"x"}`},
		{"remove", `{"idx":0}`},
	} {
		t.Run(ev.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Event(t, "test.model", ev.name, js(ev.payload))
			c.AssertNoEvent(t, s, "test.model", "test.model")
		})
	}
}

// A sequence of events is applied in order.
func TestCollectionEventSequence(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeCollection(t, s, c)
	events := []struct{ name, payload string }{
		{"remove", `{"idx":0}`},
		{"add", `{"idx":3,"value":"end"}`},
		{"add", `{"idx":0,"value":"start"}`},
		{"remove", `{"idx":2}`},
	}
	for _, ev := range events {
		s.Event(t, "test.collection", ev.name, js(ev.payload))
	}
	for _, ev := range events {
		c.AssertEvent(t, "test.collection."+ev.name, js(ev.payload))
	}
	assertCachedCollection(t, s, `["start",42,null,"end"]`)
}
