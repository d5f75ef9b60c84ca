package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/reskit/res/resprot"
)

// Service protocol, "System reset event".

// "Any service or gateway subscribing to a matching resource should send a
// new get request to get an up-to-date version", and clients get events
// describing the difference.
func TestSystemResetModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		model string
		want  string // change event values; "" for no event
	}{
		{name: "changed", model: `{"name":"bar","count":42,"ok":true,"none":null}`, want: `{"name":"bar"}`},
		{name: "property removed", model: `{"name":"foo","count":42,"none":null}`, want: `{"ok":{"action":"delete"}}`},
		{name: "property added", model: `{"name":"foo","count":42,"ok":true,"none":null,"new":1}`, want: `{"new":1}`},
		{name: "mixed", model: `{"name":"x","count":42,"none":null,"new":"y"}`, want: `{"name":"x","ok":{"action":"delete"},"new":"y"}`},
		{name: "unchanged", model: testModel, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.model"]}`))
			s.GetRequestOn(t, "get.test.model").AssertPayload(t, js(`{}`)).RespondSuccess(model(tt.model))
			if tt.want == "" {
				c.AssertNoEvent(t, s, "test.model", "test.model")
				return
			}
			c.AssertEvent(t, "test.model.change", js(`{"values":`+tt.want+`}`))
		})
	}
}

// A reset collection is diffed into add and remove events; applied to the
// old collection in order they give the new one.
func TestSystemResetCollection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		after string
	}{
		{name: "added", after: `["foo",42,"new",true,null]`},
		{name: "removed", after: `["foo",true,null]`},
		{name: "replaced", after: `["foo","x",true,null]`},
		{name: "reordered", after: `[null,true,42,"foo"]`},
		{name: "emptied", after: `[]`},
		{name: "unchanged", after: testCollection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeCollection(t, s, c)
			s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.collection"]}`))
			s.GetRequestOn(t, "get.test.collection").RespondSuccess(collection(tt.after))

			awaitCollection(t, c, "test.collection", testCollection, tt.after)
			c.AssertNoEvent(t, s, "test.collection", "test.collection")
		})
	}
}

// awaitCollection reads add and remove events on rid, applying them to a
// copy of from, until the copy equals to.
func awaitCollection(t testing.TB, c *Client, rid, from, to string) {
	t.Helper()
	var cur, want []json.RawMessage
	if err := json.Unmarshal(js(from), &cur); err != nil {
		t.Fatalf("bad collection %s: %v", from, err)
	}
	if err := json.Unmarshal(js(to), &want); err != nil {
		t.Fatalf("bad collection %s: %v", to, err)
	}
	for !sameValues(t, cur, want) {
		ev := c.GetEvent(t)
		var p struct {
			Idx   *int            `json:"idx"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(ev.Data, &p); err != nil || p.Idx == nil {
			t.Fatalf("event %s has bad data: %s", ev.Name, ev.Data)
		}
		i := *p.Idx
		switch ev.Name {
		case rid + ".add":
			if i < 0 || i > len(cur) {
				t.Fatalf("add at %d in a collection of %d", i, len(cur))
			}
			cur = append(cur[:i], append([]json.RawMessage{p.Value}, cur[i:]...)...)
		case rid + ".remove":
			if i < 0 || i >= len(cur) {
				t.Fatalf("remove at %d in a collection of %d", i, len(cur))
			}
			cur = append(cur[:i], cur[i+1:]...)
		default:
			t.Fatalf("unexpected event %s: %s", ev.Name, ev.raw)
		}
	}
}

func sameValues(t testing.TB, a, b []json.RawMessage) bool {
	t.Helper()
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if pretty(decode(t, a[i])) != pretty(decode(t, b[i])) {
			return false
		}
	}
	return true
}

// Patterns: "*" matches one part, ">" one or more parts at the end.
func TestSystemResetPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		match   bool
	}{
		{pattern: "test.model", match: true},
		{pattern: "test.*", match: true},
		{pattern: "*.model", match: true},
		{pattern: "test.>", match: true},
		{pattern: ">", match: true},
		{pattern: "test", match: false},
		{pattern: "test.model.*", match: false},
		{pattern: "test.model.>", match: false},
		{pattern: "other.>", match: false},
		{pattern: "test.mod", match: false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Publish(t, resprot.SubjectSystemReset, map[string]any{"resources": []string{tt.pattern}})
			if tt.match {
				s.GetRequestOn(t, "get.test.model").RespondSuccess(model(`{"name":"reset"}`))
				c.GetEvent(t).AssertName(t, "test.model.change")
				return
			}
			// A reset that matches is handled after this one; it shows the
			// first sent no request.
			s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.model"]}`))
			s.GetRequestOn(t, "get.test.model").RespondSuccess(model(testModel))
			s.AssertNoRequest(t)
		})
	}
}

// Resources of all subscribed clients and all matching names are
// refetched, each once.
func TestSystemResetSeveralResources(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c1 := s.Connect(t)
	subscribeModel(t, s, c1)
	c2 := s.Connect(t)
	subscribeCollection(t, s, c2)
	subscribe(t, s, c2, "test.model", accessGranted, nil)

	s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.>"]}`))
	s.Serve(t, map[string]func(*Request){
		"get.test.model":      result(model(`{"name":"new","count":42,"ok":true,"none":null}`)),
		"get.test.collection": result(collection(testCollection)),
	})
	c1.AssertEvent(t, "test.model.change", js(`{"values":{"name":"new"}}`))
	c2.AssertEvent(t, "test.model.change", js(`{"values":{"name":"new"}}`))
	s.AssertNoRequest(t)
}

// A reset get answered with system.notFound deletes the resource.
func TestSystemResetNotFound(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.model"]}`))
	s.GetRequestOn(t, "get.test.model").RespondError(resprot.ErrNotFound)
	c.AssertEvent(t, "test.model.delete", nil)
}

// A reset get answered with another error leaves the cached resource as it
// was.
func TestSystemResetOtherError(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.model"]}`))
	s.GetRequestOn(t, "get.test.model").RespondError(resprot.ErrInternalError)
	c.AssertNoEvent(t, s, "test.model", "test.model")
	assertModelChange(t, s, c)
}

// A resource that is not cached is not fetched.
func TestSystemResetUncached(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["other.model"]}`))
	s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.model"]}`))
	s.GetRequestOn(t, "get.test.model").RespondSuccess(model(testModel))
	s.AssertNoRequest(t)
}

// "Any gateway with clients subscribing to a matching resource should send
// new access requests for each client subscription."
func TestSystemResetAccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		reply  func(*Request)
		denied bool
	}{
		{name: "denied", reply: errorReply(resprot.ErrAccessDenied), denied: true},
		{name: "granted", reply: result(accessGranted), denied: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeModel(t, s, c)
			s.Publish(t, resprot.SubjectSystemReset, js(`{"access":["test.*"]}`))
			s.GetRequestOn(t, "access.test.model").Respond(tt.reply)
			if tt.denied {
				c.AssertEvent(t, "test.model.unsubscribe", map[string]any{"reason": resprot.ErrAccessDenied})
				return
			}
			c.AssertNoEvent(t, s, "test.model", "test.model")
		})
	}
}

// The example payload of the spec: resources and access at once.
func TestSystemResetSpecExample(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribe(t, s, c, "userService.users", accessGranted, map[string]json.RawMessage{
		"userService.users":  collection(`[{"rid":"userService.user.1"}]`),
		"userService.user.1": model(`{"id":1,"name":"jane"}`),
	})
	s.Publish(t, resprot.SubjectSystemReset, js(`{
		"resources": [ "userService.users", "userService.user.*" ],
		"access": [ "userService.>" ]
	}`))
	s.Serve(t, map[string]func(*Request){
		"get.userService.users":    result(collection(`[{"rid":"userService.user.1"}]`)),
		"get.userService.user.1":   result(model(`{"id":1,"name":"janet"}`)),
		"access.userService.users": result(accessGranted),
	})
	c.AssertEvent(t, "userService.user.1.change", js(`{"values":{"name":"janet"}}`))
}

// An event that arrives while a reset's get request is pending must not be
// lost or applied twice: the client ends up with the service's state.
func TestSystemResetWithEventDuringGet(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeCollection(t, s, c)
	s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.collection"]}`))
	r := s.GetRequestOn(t, "get.test.collection")
	s.Event(t, "test.collection", "add", js(`{"idx":4,"value":"new"}`))
	r.RespondSuccess(collection(`["foo",42,true,null,"new"]`))
	awaitCollection(t, c, "test.collection", testCollection, `["foo",42,true,null,"new"]`)
	c.AssertNoEvent(t, s, "test.collection", "test.collection")
	assertCachedCollection(t, s, `["foo",42,true,null,"new"]`)
}
