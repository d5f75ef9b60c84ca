package gateway_test

import (
	"testing"
	"time"

	"github.com/reskit/res/gateway"
)

// cachedEnv keeps resources cached, so that only access requests reach
// the service after the first load.
func cachedEnv(t *testing.T) *coreEnv {
	return newCoreEnv(t, gateway.Config{UnsubscribeDelay: time.Hour})
}

func subscribeOK(t *testing.T, e *coreEnv, c *wsClient, rid string, serve func()) string {
	t.Helper()
	id := c.send("subscribe."+rid, nil)
	e.serveAccess(rid, `{"get":true}`)
	if serve != nil {
		serve()
	}
	res, err := c.response(id)
	if err != nil {
		t.Fatalf("subscribe %s: %v", rid, err)
	}
	return string(res)
}

func TestCoreCycleDroppedWhenNoneDirect(t *testing.T) {
	e := cachedEnv(t)
	c := e.dial()
	subscribeOK(t, e, c, "test.a", func() {
		e.serveGet("test.a", `{"model":{"b":{"rid":"test.b"}}}`)
		e.serveGet("test.b", `{"model":{"a":{"rid":"test.a"}}}`)
	})
	mustResult(t, c, "unsubscribe.test.a", nil)
	// Both resources of the cycle are gone: subscribing again sends both.
	res := subscribeOK(t, e, c, "test.a", nil)
	jsonEq(t, "resubscribe", []byte(res), `{"models":{"test.a":{"b":{"rid":"test.b"}},"test.b":{"a":{"rid":"test.a"}}}}`)
}

func TestCoreCycleKeptWhileOneDirect(t *testing.T) {
	e := cachedEnv(t)
	c := e.dial()
	subscribeOK(t, e, c, "test.a", func() {
		e.serveGet("test.a", `{"model":{"b":{"rid":"test.b"}}}`)
		e.serveGet("test.b", `{"model":{"a":{"rid":"test.a"}}}`)
	})
	res := subscribeOK(t, e, c, "test.b", nil)
	jsonEq(t, "subscribe b", []byte(res), `{}`)
	mustResult(t, c, "unsubscribe.test.a", nil)
	// test.a is still reached from the direct test.b.
	e.publish("event.test.a.custom", `1`)
	name, _ := c.event()
	if name != "test.a.custom" {
		t.Fatalf("event %q, want test.a.custom", name)
	}
	mustResult(t, c, "unsubscribe.test.b", nil)
	res = subscribeOK(t, e, c, "test.b", nil)
	jsonEq(t, "resubscribe b", []byte(res), `{"models":{"test.a":{"b":{"rid":"test.b"}},"test.b":{"a":{"rid":"test.a"}}}}`)
}

func TestCoreResourceResentAfterClientDroppedIt(t *testing.T) {
	e := cachedEnv(t)
	c := e.dial()
	subscribeOK(t, e, c, "test.a", func() {
		e.serveGet("test.a", `{"model":{"b":{"rid":"test.b"}}}`)
		e.serveGet("test.b", `{"model":{"n":1}}`)
	})
	// A direct subscription of test.b is in progress when test.a drops
	// its reference: the client drops test.b, so the subscription must
	// send it again.
	id := c.send("subscribe.test.b", nil)
	m := e.request("access.test.b")
	e.publish("event.test.a.change", `{"values":{"b":null}}`)
	name, data := c.event()
	jsonEq(t, name, data, `{"values":{"b":null}}`)
	respond(t, m, `{"result":{"get":true}}`)
	res, err := c.response(id)
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, "subscribe b", res, `{"models":{"test.b":{"n":1}}}`)
}

func TestCoreEventWhileReferencesLoad(t *testing.T) {
	e := cachedEnv(t)
	c := e.dial()
	id := c.send("subscribe.test.a", nil)
	e.serveAccess("test.a", `{"get":true}`)
	e.serveGet("test.a", `{"model":{"b":{"rid":"test.b"},"n":1}}`)
	getB := e.request("get.test.b")
	// After the get reply of test.a: the client must see n=2 in the
	// resource set, with no event before the response.
	e.publish("event.test.a.change", `{"values":{"n":2}}`)
	e.publish("event.test.a.custom", `"probe"`)
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	respond(t, getB, `{"result":{"model":{"x":true}}}`)
	res, err := c.response(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.events) > 0 {
		t.Fatalf("event before response: %s", c.events[0]["event"])
	}
	jsonEq(t, "subscribe", res, `{"models":{"test.a":{"b":{"rid":"test.b"},"n":2},"test.b":{"x":true}}}`)
}

func TestCoreEventHeldWhileNewReferenceLoads(t *testing.T) {
	e := cachedEnv(t)
	c := e.dial()
	subscribeOK(t, e, c, "test.a", func() {
		e.serveGet("test.a", `{"model":{"n":1}}`)
	})
	e.publish("event.test.a.change", `{"values":{"r":{"rid":"test.r"}}}`)
	getR := e.request("get.test.r")
	e.publish("event.test.a.change", `{"values":{"n":2}}`)
	e.publish("event.test.a.custom", `"after"`)
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	respond(t, getR, `{"result":{"collection":[]}}`)
	for _, want := range []struct{ name, data string }{
		{"test.a.change", `{"values":{"r":{"rid":"test.r"}},"collections":{"test.r":[]}}`},
		{"test.a.change", `{"values":{"n":2}}`},
		{"test.a.custom", `"after"`},
	} {
		name, data := c.event()
		if name != want.name {
			t.Fatalf("event %s, want %s", name, want.name)
		}
		jsonEq(t, name, data, want.data)
	}
}

func TestCoreLegacyClientEncodings(t *testing.T) {
	e := cachedEnv(t)
	c := e.dial()
	res := subscribeOK(t, e, c, "test.m", func() {
		e.serveGet("test.m", `{"model":{"s":{"rid":"test.x","soft":true},"d":{"data":{"a":1}},"p":{"data":"str"}}}`)
	})
	jsonEq(t, "legacy subscribe", []byte(res), `{"models":{"test.m":{"s":"test.x","d":"[Data]","p":"str"}}}`)
	e.publish("event.test.m.change", `{"values":{"d":{"data":[1]}}}`)
	name, data := c.event()
	jsonEq(t, name, data, `{"values":{"d":"[Data]"}}`)

	// Clients on 1.2.0 still get the legacy encodings, but new call results.
	c2 := e.dial()
	mustResult(t, c2, "version", map[string]string{"protocol": "1.2.0"})
	res = subscribeOK(t, e, c2, "test.m", nil)
	jsonEq(t, "1.2.0 subscribe", []byte(res), `{"models":{"test.m":{"s":"test.x","d":"[Data]","p":"str"}}}`)

	// From 1.2.1 on, soft references and data values are sent as they are.
	c3 := e.dial()
	mustResult(t, c3, "version", map[string]string{"protocol": "1.2.1"})
	res = subscribeOK(t, e, c3, "test.m", nil)
	jsonEq(t, "1.2.1 subscribe", []byte(res), `{"models":{"test.m":{"s":{"rid":"test.x","soft":true},"d":{"data":[1]},"p":"str"}}}`)
}

func TestCoreReferenceThrottle(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{ReferenceThrottle: 1})
	c := e.dial()
	id := c.send("subscribe.test.list", nil)
	e.serveAccess("test.list", `{"get":true}`)
	e.serveGet("test.list", `{"collection":[{"rid":"test.i.1"},{"rid":"test.i.2"},{"rid":"test.i.3"}]}`)
	for i := 1; i <= 3; i++ {
		// Find the one request in flight, then check it is alone.
		var m *natsMsg
		for _, n := range []string{"1", "2", "3"} {
			if m = e.tryRequest("get.test.i." + n); m != nil {
				break
			}
		}
		if m == nil {
			t.Fatalf("no reference request in flight (round %d)", i)
		}
		e.noRequest()
		respond(t, m, `{"result":{"model":{}}}`)
	}
	res, err := c.response(id)
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, "subscribe", res, `{"collections":{"test.list":[{"rid":"test.i.1"},{"rid":"test.i.2"},{"rid":"test.i.3"}]},"models":{"test.i.1":{},"test.i.2":{},"test.i.3":{}}}`)
}
