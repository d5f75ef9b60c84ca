package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reskit/res/resprot"
)

// Client protocol, "Subscribe request" and "Get request"; service protocol,
// "Access request" and "Get request".

func TestSubscribeModel(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "subscribe.test.model", nil)
	var cid string
	s.Serve(t, map[string]func(*Request){
		"access.test.model": func(r *Request) {
			// cid is a string; token MAY be omitted when there is none;
			// no query for a resource ID without one.
			cid = r.CID(t)
			r.AssertPayload(t, map[string]any{"cid": cid})
			r.RespondSuccess(accessGranted)
		},
		"get.test.model": func(r *Request) {
			// A get request carries only the query, and there is none.
			r.AssertPayload(t, js(`{}`))
			r.RespondSuccess(model(testModel))
		},
	})
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
}

func TestSubscribeCollection(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeCollection(t, s, c)
}

// Each connection gets its own connection ID.
func TestSubscribeConnectionIDsDiffer(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	cids := map[string]bool{}
	for i := 0; i < 3; i++ {
		c := s.Connect(t)
		s.AutoRespond("get.test.model", result(model(testModel)))
		creq := c.Send(t, "subscribe.test.model", nil)
		r := s.GetRequestOn(t, "access.test.model")
		cids[r.CID(t)] = true
		r.RespondSuccess(accessGranted)
		creq.GetResponse(t)
	}
	if len(cids) != 3 {
		t.Fatalf("3 connections got %d distinct cids: %v", len(cids), cids)
	}
}

// An access error, or get:false, fails the subscription with the access
// error. "Any error response will be treated as if the client has no access
// to the resource."
func TestSubscribeAccessDenied(t *testing.T) {
	t.Parallel()
	custom := &resprot.Error{Code: "test.custom", Message: "Custom error", Data: js(`{"foo":"bar"}`)}
	tests := []struct {
		name     string
		reply    func(*Request)
		wantErr  *resprot.Error // exact error, or nil to check the code only
		wantCode string
	}{
		{name: "access denied error", reply: errorReply(resprot.ErrAccessDenied), wantErr: resprot.ErrAccessDenied},
		{name: "get false", reply: result(js(`{"get":false}`)), wantCode: resprot.CodeAccessDenied},
		{name: "get omitted", reply: result(js(`{"call":"*"}`)), wantCode: resprot.CodeAccessDenied},
		{name: "not found error", reply: errorReply(resprot.ErrNotFound), wantErr: resprot.ErrNotFound},
		{name: "custom error", reply: errorReply(custom), wantErr: custom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			s.AutoRespond("get.test.model", result(model(testModel)))
			c := s.Connect(t)
			creq := c.Send(t, "subscribe.test.model", nil)
			tt.reply(s.GetRequestOn(t, "access.test.model"))
			resp := creq.GetResponse(t)
			if tt.wantErr != nil {
				resp.AssertError(t, tt.wantErr)
			} else {
				resp.AssertErrorCode(t, tt.wantCode)
			}
			// No subscription was made.
			c.Request(t, "unsubscribe.test.model", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
		})
	}
}

// An error on the resource itself fails the request with that error.
func TestSubscribeResourceErrors(t *testing.T) {
	t.Parallel()
	custom := &resprot.Error{Code: "test.custom", Message: "Custom error", Data: js(`[1,2]`)}
	for _, e := range []*resprot.Error{resprot.ErrNotFound, resprot.ErrInvalidQuery, custom} {
		t.Run(e.Code, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeWith(t, s, c, "test.model", result(accessGranted), map[string]func(*Request){"test.model": errorReply(e)}).
				AssertError(t, e)
		})
	}
}

// Resources referenced by hard references are fetched and sent in the same
// resource set; soft references are not followed; data values pass
// through.
func TestSubscribeReferences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rid  string
		gets map[string]json.RawMessage
		want string
	}{
		{
			name: "model referencing a model",
			rid:  "test.parent",
			gets: map[string]json.RawMessage{
				"test.parent": model(`{"name":"parent","child":{"rid":"test.model"}}`),
				"test.model":  model(testModel),
			},
			want: `{"models":{"test.parent":{"name":"parent","child":{"rid":"test.model"}},"test.model":` + testModel + `}}`,
		},
		{
			name: "model referencing a collection",
			rid:  "test.parent",
			gets: map[string]json.RawMessage{
				"test.parent":     model(`{"list":{"rid":"test.collection"}}`),
				"test.collection": collection(testCollection),
			},
			want: `{"models":{"test.parent":{"list":{"rid":"test.collection"}}},"collections":{"test.collection":` + testCollection + `}}`,
		},
		{
			name: "collection of models",
			rid:  "test.list",
			gets: map[string]json.RawMessage{
				"test.list":   collection(`[{"rid":"test.item.1"},{"rid":"test.item.2"}]`),
				"test.item.1": model(`{"id":1}`),
				"test.item.2": model(`{"id":2}`),
			},
			want: `{"collections":{"test.list":[{"rid":"test.item.1"},{"rid":"test.item.2"}]},"models":{"test.item.1":{"id":1},"test.item.2":{"id":2}}}`,
		},
		{
			name: "nested references",
			rid:  "test.a",
			gets: map[string]json.RawMessage{
				"test.a": model(`{"b":{"rid":"test.b"}}`),
				"test.b": model(`{"c":{"rid":"test.c"}}`),
				"test.c": model(`{"end":true}`),
			},
			want: `{"models":{"test.a":{"b":{"rid":"test.b"}},"test.b":{"c":{"rid":"test.c"}},"test.c":{"end":true}}}`,
		},
		{
			name: "cyclic references",
			rid:  "test.a",
			gets: map[string]json.RawMessage{
				"test.a": model(`{"b":{"rid":"test.b"}}`),
				"test.b": model(`{"a":{"rid":"test.a"}}`),
			},
			want: `{"models":{"test.a":{"b":{"rid":"test.b"}},"test.b":{"a":{"rid":"test.a"}}}}`,
		},
		{
			name: "same reference twice",
			rid:  "test.parent",
			gets: map[string]json.RawMessage{
				"test.parent": model(`{"x":{"rid":"test.model"},"y":{"rid":"test.model"}}`),
				"test.model":  model(testModel),
			},
			want: `{"models":{"test.parent":{"x":{"rid":"test.model"},"y":{"rid":"test.model"}},"test.model":` + testModel + `}}`,
		},
		{
			name: "soft reference is not followed",
			rid:  "test.parent",
			gets: map[string]json.RawMessage{
				"test.parent": model(`{"next":{"rid":"test.model","soft":true}}`),
			},
			want: `{"models":{"test.parent":{"next":{"rid":"test.model","soft":true}}}}`,
		},
		{
			name: "data value",
			rid:  "test.parent",
			gets: map[string]json.RawMessage{
				"test.parent": model(`{"obj":{"data":{"foo":["bar"]}},"arr":{"data":[1,2]}}`),
			},
			want: `{"models":{"test.parent":{"obj":{"data":{"foo":["bar"]}},"arr":{"data":[1,2]}}}}`,
		},
		{
			name: "data value in a collection",
			rid:  "test.list",
			gets: map[string]json.RawMessage{
				"test.list": collection(`[{"data":{"a":1}},"x"]`),
			},
			want: `{"collections":{"test.list":[{"data":{"a":1}},"x"]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribe(t, s, c, tt.rid, accessGranted, tt.gets).AssertResult(t, js(tt.want))
			s.AssertNoRequest(t)
		})
	}
}

// "Any resource reference that fails will not lead to an error response,
// but the error will be added to the resource set errors."
func TestSubscribeReferenceErrors(t *testing.T) {
	t.Parallel()
	custom := &resprot.Error{Code: "test.custom", Message: "Custom error"}
	for _, e := range []*resprot.Error{resprot.ErrNotFound, resprot.ErrAccessDenied, custom} {
		t.Run(e.Code, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribeWith(t, s, c, "test.parent", result(accessGranted), map[string]func(*Request){
				"test.parent": result(model(`{"ok":{"rid":"test.model"},"bad":{"rid":"test.broken"}}`)),
				"test.model":  result(model(testModel)),
				"test.broken": errorReply(e),
			}).AssertResult(t, map[string]any{
				"models": map[string]any{
					"test.parent": js(`{"ok":{"rid":"test.model"},"bad":{"rid":"test.broken"}}`),
					"test.model":  js(testModel),
				},
				"errors": map[string]any{"test.broken": e},
			})
		})
	}
}

// Access is checked on the subscribed resource only: a referenced resource
// is fetched with no access request of its own.
func TestSubscribeReferencesNeedNoAccess(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeParent(t, s, c)
	s.AssertNoRequest(t)
}

// "Any request or event resulting in new subscriptions will contain a set of
// resources that contains any subscribed resource previously not subscribed
// by the client."
func TestSubscribeResourceSetHoldsOnlyNewResources(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeModel(t, s, c)

	// The parent is new; the model it references was already sent.
	subscribe(t, s, c, "test.parent", accessGranted, map[string]json.RawMessage{"test.parent": model(testParent)}).
		AssertResult(t, js(`{"models":{"test.parent":`+testParent+`}}`))

	// Subscribing again to a subscribed resource sends nothing new.
	s.AutoRespond("access.test.model", result(accessGranted))
	c.Request(t, "subscribe.test.model", nil).AssertResult(t, js(`{}`))
}

// Two clients subscribing to the same resource share the gateway's cache:
// the second subscription makes an access request but no get request.
func TestSubscribeCacheShared(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c1 := s.Connect(t)
	subscribeModel(t, s, c1)

	c2 := s.Connect(t)
	creq := c2.Send(t, "subscribe.test.model", nil)
	s.GetRequestOn(t, "access.test.model").RespondSuccess(accessGranted)
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
	s.AssertNoRequest(t)

	// Both get the events of the one cached resource.
	s.Event(t, "test.model", "change", js(`{"values":{"name":"bar"}}`))
	c1.AssertEvent(t, "test.model.change", js(`{"values":{"name":"bar"}}`))
	c2.AssertEvent(t, "test.model.change", js(`{"values":{"name":"bar"}}`))
}

// Two clients subscribing at the same time, before the service answers,
// cause one get request.
func TestSubscribeConcurrentGetsShareOneRequest(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c1 := s.Connect(t)
	c2 := s.Connect(t)
	creq1 := c1.Send(t, "subscribe.test.model", nil)
	creq2 := c2.Send(t, "subscribe.test.model", nil)
	var gets []*Request
	for accesses := 0; accesses < 2 || len(gets) < 1; {
		r := s.GetRequest(t)
		switch r.Subject {
		case "access.test.model":
			r.RespondSuccess(accessGranted)
			accesses++
		case "get.test.model":
			gets = append(gets, r)
		default:
			t.Fatalf("unexpected request %s", r.Subject)
		}
	}
	gets[0].RespondSuccess(model(testModel))
	creq1.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
	creq2.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))
	s.AssertNoRequest(t)
}

// A cached resource referenced by a newly subscribed one is not fetched
// again.
func TestSubscribeReferenceToCachedResource(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c1 := s.Connect(t)
	subscribeModel(t, s, c1)
	c2 := s.Connect(t)
	subscribe(t, s, c2, "test.parent", accessGranted, map[string]json.RawMessage{"test.parent": model(testParent)}).
		AssertResult(t, js(`{"models":{"test.parent":`+testParent+`,"test.model":`+testModel+`}}`))
	s.AssertNoRequest(t)
}

// Client protocol, "Connection ID tag": {cid} in a resource ID is replaced
// by the connection ID in requests to services, and events are sent to the
// client with the tag.
func TestSubscribeConnectionIDTag(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "subscribe.test.{cid}.model", nil)
	var cid string
	var get *Request
	for i := 0; i < 2; i++ {
		r := s.GetRequest(t)
		switch {
		case strings.HasPrefix(r.Subject, "access.test."):
			cid = r.CID(t)
			r.AssertSubject(t, "access.test."+cid+".model")
			r.RespondSuccess(accessGranted)
		case strings.HasPrefix(r.Subject, "get.test."):
			get = r
		default:
			t.Fatalf("unexpected request %s", r.Subject)
		}
	}
	get.AssertSubject(t, "get.test."+cid+".model").RespondSuccess(model(testModel))
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.{cid}.model":`+testModel+`}}`))

	s.Event(t, "test."+cid+".model", "change", js(`{"values":{"name":"bar"}}`))
	c.AssertEvent(t, "test.{cid}.model.change", js(`{"values":{"name":"bar"}}`))

	c.Request(t, "unsubscribe.test.{cid}.model", nil).AssertResult(t, nil)
}

// A get result whose values are not proper RES values is an internal error.
func TestSubscribeInvalidGetResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		result string
	}{
		{name: "bare object in model", result: `{"model":{"foo":{"bar":1}}}`},
		{name: "bare array in model", result: `{"model":{"foo":[1,2]}}`},
		{name: "bare object in collection", result: `{"collection":[{"bar":1}]}`},
		{name: "delete action in model", result: `{"model":{"foo":{"action":"delete"}}}`},
		{name: "invalid rid", result: `{"model":{"foo":{"rid":"test..x"}}}`},
		{name: "neither model nor collection", result: `{}`},
		{name: "model not an object", result: `{"model":[1,2]}`},
		{name: "collection not an array", result: `{"collection":{"a":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			c := s.Connect(t)
			subscribe(t, s, c, "test.model", accessGranted, map[string]json.RawMessage{"test.model": js(tt.result)}).
				AssertErrorCode(t, resprot.CodeInternalError)
		})
	}
}

// A get request keeps no subscription: the client gets the resource set and
// no events afterwards.
func TestGet(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "get.test.parent", nil)
	s.Serve(t, map[string]func(*Request){
		"access.test.parent": func(r *Request) {
			r.AssertPayload(t, map[string]any{"cid": r.CID(t)})
			r.RespondSuccess(accessGetOnly)
		},
		"get.test.parent": result(model(`{"child":{"rid":"test.model"}}`)),
		"get.test.model":  result(model(testModel)),
	})
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.parent":{"child":{"rid":"test.model"}},"test.model":`+testModel+`}}`))

	// Nothing to unsubscribe.
	c.Request(t, "unsubscribe.test.parent", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
}

func TestGetNoEvents(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "get.test.model", nil)
	s.Serve(t, map[string]func(*Request){
		"access.test.model": result(accessGetOnly),
		"get.test.model":    result(model(testModel)),
	})
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.model":`+testModel+`}}`))

	// A second client subscribes, so the resource stays cached and events
	// are handled; it receives the change, the first client does not.
	c2 := s.Connect(t)
	s.AutoRespond("get.test.model", result(model(testModel)))
	subscribe(t, s, c2, "test.model", accessGranted, nil)
	assertModelChange(t, s, c2)
	c.AssertNoMessage(t)
}

func TestGetAccessDenied(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.AutoRespond("get.test.model", result(model(testModel)))
	c := s.Connect(t)
	creq := c.Send(t, "get.test.model", nil)
	s.GetRequestOn(t, "access.test.model").RespondError(resprot.ErrAccessDenied)
	creq.GetResponse(t).AssertError(t, resprot.ErrAccessDenied)
}

func TestGetError(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "get.test.model", nil)
	s.Serve(t, map[string]func(*Request){
		"access.test.model": result(accessGranted),
		"get.test.model":    errorReply(resprot.ErrNotFound),
	})
	creq.GetResponse(t).AssertError(t, resprot.ErrNotFound)
}

func TestGetConnectionIDTag(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	creq := c.Send(t, "get.test.{cid}", nil)
	var cid string
	var get *Request
	for i := 0; i < 2; i++ {
		r := s.GetRequest(t)
		switch {
		case strings.HasPrefix(r.Subject, "access."):
			cid = r.CID(t)
			r.AssertSubject(t, "access.test."+cid)
			r.RespondSuccess(accessGranted)
		case strings.HasPrefix(r.Subject, "get."):
			get = r
		}
	}
	get.AssertSubject(t, "get.test."+cid).RespondSuccess(model(testModel))
	creq.GetResponse(t).AssertResult(t, js(`{"models":{"test.{cid}":`+testModel+`}}`))
}
