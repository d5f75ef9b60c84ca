package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/reskit/res/resprot"
)

// Service protocol, "Query resources", "Query event", "Query request", and
// the query member of access and get requests.

// querySub describes a subscription to a query resource name?query whose
// normalized query is norm and whose value is value (a model when model is
// true, else a collection). When cached is true the gateway must serve it
// from its cache, with no get request.
type querySub struct {
	name, query, norm, value string
	model, cached            bool
}

// subscribeQuery subscribes c to q and checks the requests and response.
func subscribeQuery(t testing.TB, s *session, c *Client, q querySub) {
	t.Helper()
	rid := q.name + "?" + q.query
	creq := c.Send(t, "subscribe."+rid, nil)
	get := `{"collection":` + q.value + `,"query":"` + q.norm + `"}`
	want := `{"collections":{"` + rid + `":` + q.value + `}}`
	if q.model {
		get = `{"model":` + q.value + `,"query":"` + q.norm + `"}`
		want = `{"models":{"` + rid + `":` + q.value + `}}`
	}
	h := map[string]func(*Request){
		"access." + q.name: func(r *Request) {
			r.AssertPayload(t, map[string]any{"cid": r.CID(t), "query": q.query})
			r.RespondSuccess(accessGranted)
		},
	}
	if !q.cached {
		h["get."+q.name] = func(r *Request) {
			r.AssertPayload(t, map[string]any{"query": q.query})
			r.RespondSuccess(js(get))
		}
	}
	s.Serve(t, h)
	creq.GetResponse(t).AssertResult(t, js(want))
}

func TestQuerySubscribe(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=foo&limit=10", norm: "limit=10&q=foo", value: testModel, model: true})

	// Events on the resource name are for the resource without a query:
	// a query resource changes through query events only.
	s.Event(t, "test.model", "change", js(`{"values":{"name":"x"}}`))
	c.AssertNoMessage(t)
}

func TestQuerySubscribeCollection(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.collection", query: "start=0", norm: "start=0", value: testCollection})
}

// Different queries on one name are different resources, each fetched.
func TestQueryDifferentQueries(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=foo", norm: "q=foo", value: `{"q":"foo"}`, model: true})
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=bar", norm: "q=bar", value: `{"q":"bar"}`, model: true})
}

// A query resource is cached under its normalized query: the same query,
// or its normalized form, is served from the cache.
func TestQueryNormalizedSharesCache(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c1 := s.Connect(t)
	subscribeQuery(t, s, c1, querySub{name: "test.model", query: "b=2&a=1", norm: "a=1&b=2", value: testModel, model: true})

	c2 := s.Connect(t)
	subscribeQuery(t, s, c2, querySub{name: "test.model", query: "b=2&a=1", norm: "a=1&b=2", value: testModel, model: true, cached: true})
	c3 := s.Connect(t)
	subscribeQuery(t, s, c3, querySub{name: "test.model", query: "a=1&b=2", norm: "a=1&b=2", value: testModel, model: true, cached: true})
	s.AssertNoRequest(t)
}

// A query event makes the gateway send a query request with the normalized
// query to the event's subject, once per normalized query, and apply the
// events of the reply.
func TestQueryEventEvents(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.Listen(t, "_QUERY.1")
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=foo&x=", norm: "q=foo", value: testModel, model: true})
	// A second raw query with the same normalized query.
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "x=&q=foo", norm: "q=foo", value: testModel, model: true})

	s.Event(t, "test.model", "query", js(`{"subject":"_QUERY.1"}`))
	s.GetRequestOn(t, "_QUERY.1").
		AssertPayload(t, js(`{"query":"q=foo"}`)).
		RespondSuccess(js(`{"events":[{"event":"change","data":{"values":{"name":"bar","count":42}}}]}`))
	evs := c.GetEvents(t, 2)
	for _, rid := range []string{"test.model?q=foo&x=", "test.model?x=&q=foo"} {
		ev, ok := evs[rid+".change"]
		if !ok {
			t.Fatalf("no change event for %s; got %v", rid, keys(evs))
		}
		ev.Assert(t, rid+".change", js(`{"values":{"name":"bar"}}`))
	}
	s.AssertNoRequest(t)
}

func keys(m map[string]*Event) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

// Each normalized query gets its own query request.
func TestQueryEventSeveralQueries(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.Listen(t, "_QUERY.2")
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.collection", query: "page=1", norm: "page=1", value: `["a","b"]`})
	subscribeQuery(t, s, c, querySub{name: "test.collection", query: "page=2", norm: "page=2", value: `["c","d"]`})

	s.Event(t, "test.collection", "query", js(`{"subject":"_QUERY.2"}`))
	for i := 0; i < 2; i++ {
		r := s.GetRequestOn(t, "_QUERY.2")
		switch q, _ := r.Field(t, "query").(string); q {
		case "page=1":
			r.RespondSuccess(js(`{"events":[{"event":"remove","data":{"idx":0}}]}`))
		case "page=2":
			r.RespondSuccess(js(`{"events":[{"event":"add","data":{"idx":2,"value":"e"}}]}`))
		default:
			t.Fatalf("query request with query %q", q)
		}
	}
	evs := c.GetEvents(t, 2)
	if ev, ok := evs["test.collection?page=1.remove"]; !ok {
		t.Fatalf("no remove event on page 1; got %v", keys(evs))
	} else {
		ev.Assert(t, ev.Name, js(`{"idx":0}`))
	}
	if ev, ok := evs["test.collection?page=2.add"]; !ok {
		t.Fatalf("no add event on page 2; got %v", keys(evs))
	} else {
		ev.Assert(t, ev.Name, js(`{"idx":2,"value":"e"}`))
	}
}

// The reply may hold the whole new model or collection instead of events;
// the gateway diffs it into events.
func TestQueryEventFullReply(t *testing.T) {
	t.Parallel()
	t.Run("model", func(t *testing.T) {
		t.Parallel()
		s := newSession(t)
		s.Listen(t, "_QUERY.3")
		c := s.Connect(t)
		subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=1", norm: "q=1", value: testModel, model: true})
		s.Event(t, "test.model", "query", js(`{"subject":"_QUERY.3"}`))
		s.GetRequestOn(t, "_QUERY.3").RespondSuccess(js(`{"model":{"name":"bar","count":42,"none":null}}`))
		c.AssertEvent(t, "test.model?q=1.change", js(`{"values":{"name":"bar","ok":{"action":"delete"}}}`))
	})
	t.Run("collection", func(t *testing.T) {
		t.Parallel()
		s := newSession(t)
		s.Listen(t, "_QUERY.4")
		c := s.Connect(t)
		subscribeQuery(t, s, c, querySub{name: "test.collection", query: "q=1", norm: "q=1", value: `["a","b","c"]`})
		s.Event(t, "test.collection", "query", js(`{"subject":"_QUERY.4"}`))
		s.GetRequestOn(t, "_QUERY.4").RespondSuccess(js(`{"collection":["a","c"]}`))
		c.AssertEvent(t, "test.collection?q=1.remove", js(`{"idx":1}`))
	})
}

// An empty reply changes nothing.
func TestQueryEventNoChange(t *testing.T) {
	t.Parallel()
	for _, reply := range []string{`{}`, `{"events":[]}`} {
		t.Run(reply, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			s.Listen(t, "_QUERY.5")
			c := s.Connect(t)
			subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=1", norm: "q=1", value: testModel, model: true})
			s.Event(t, "test.model", "query", js(`{"subject":"_QUERY.5"}`))
			s.GetRequestOn(t, "_QUERY.5").RespondSuccess(js(reply))
			c.AssertNoMessage(t)
		})
	}
}

// A query request answered with system.notFound deletes the query
// resource.
func TestQueryEventNotFound(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.Listen(t, "_QUERY.6")
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=1", norm: "q=1", value: testModel, model: true})
	s.Event(t, "test.model", "query", js(`{"subject":"_QUERY.6"}`))
	s.GetRequestOn(t, "_QUERY.6").RespondError(resprot.ErrNotFound)
	c.AssertEvent(t, "test.model?q=1.delete", nil)
}

// The changes of a query reply update the cache.
func TestQueryEventUpdatesCache(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.Listen(t, "_QUERY.7")
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=1", norm: "q=1", value: testModel, model: true})
	s.Event(t, "test.model", "query", js(`{"subject":"_QUERY.7"}`))
	s.GetRequestOn(t, "_QUERY.7").RespondSuccess(js(`{"events":[{"event":"change","data":{"values":{"name":"bar"}}}]}`))
	c.AssertEvent(t, "test.model?q=1.change", js(`{"values":{"name":"bar"}}`))

	c2 := s.Connect(t)
	subscribeQuery(t, s, c2, querySub{name: "test.model", query: "q=1", norm: "q=1", value: `{"name":"bar","count":42,"ok":true,"none":null}`, model: true, cached: true})
}

// A query event on a resource with no query subscription sends nothing.
func TestQueryEventWithoutQuerySubscription(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	s.Listen(t, "_QUERY.8")
	c := s.Connect(t)
	subscribeModel(t, s, c)
	s.Event(t, "test.model", "query", js(`{"subject":"_QUERY.8"}`))
	c.AssertNoEvent(t, s, "test.model", "test.model")
	s.AssertNoRequest(t)
}

// A get reply without a query member for a resource ID with a query means
// the service ignores the query: the resource is the plain one, and events
// on it reach the client under the client's resource ID.
func TestQueryIgnoredByService(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribe(t, s, c, "test.model?q=foo", accessGranted, map[string]json.RawMessage{"test.model": model(testModel)}).
		AssertResult(t, js(`{"models":{"test.model?q=foo":`+testModel+`}}`))
	s.Event(t, "test.model", "custom", js(`{"a":1}`))
	c.AssertEvent(t, "test.model?q=foo.custom", js(`{"a":1}`))
}

// "The normalized query will be used by the gateway ... in get requests
// triggered by a system reset event."
func TestQuerySystemReset(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "b=2&a=1", norm: "a=1&b=2", value: testModel, model: true})
	s.Publish(t, resprot.SubjectSystemReset, js(`{"resources":["test.model"]}`))
	s.GetRequestOn(t, "get.test.model").
		AssertPayload(t, js(`{"query":"a=1&b=2"}`)).
		RespondSuccess(js(`{"model":{"name":"reset","count":42,"ok":true,"none":null},"query":"a=1&b=2"}`))
	c.AssertEvent(t, "test.model?b=2&a=1.change", js(`{"values":{"name":"reset"}}`))
}

// Unsubscribing a query resource uses the client's resource ID.
func TestQueryUnsubscribe(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	c := s.Connect(t)
	subscribeQuery(t, s, c, querySub{name: "test.model", query: "q=1", norm: "q=1", value: testModel, model: true})
	c.Request(t, "unsubscribe.test.model?q=1", nil).AssertResult(t, nil)
	c.Request(t, "unsubscribe.test.model?q=1", nil).AssertErrorCode(t, resprot.CodeNoSubscription)
}
