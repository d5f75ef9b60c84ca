package gateway_test

import (
	"testing"

	"github.com/reskit/res/gateway"
)

func TestCoreSubscribeWithReferences(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	c := e.dial()
	jsonEq(t, "version", mustResult(t, c, "version", map[string]string{"protocol": "1.2.3"}), `{"protocol":"1.2.3"}`)
	id := c.send("subscribe.test.a", nil)
	e.serveAccess("test.a", `{"get":true}`)
	e.serveGet("test.a", `{"model":{"name":"a","b":{"rid":"test.b"},"s":{"rid":"test.x","soft":true},"d":{"data":[1,2]}}}`)
	e.serveGet("test.b", `{"collection":[1,{"rid":"test.a"}]}`)
	res, err := c.response(id)
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, "subscribe result", res, `{"models":{"test.a":{"name":"a","b":{"rid":"test.b"},"s":{"rid":"test.x","soft":true},"d":{"data":[1,2]}}},"collections":{"test.b":[1,{"rid":"test.a"}]}}`)

	// A change event adding a reference carries the new resource.
	e.publish("event.test.a.change", `{"values":{"name":"a","c":{"rid":"test.c"}}}`)
	e.serveGet("test.c", `{"model":{"x":1}}`)
	name, data := c.event()
	if name != "test.a.change" {
		t.Fatalf("event %q", name)
	}
	jsonEq(t, "change", data, `{"values":{"c":{"rid":"test.c"}},"models":{"test.c":{"x":1}}}`)

	// Collection events.
	e.publish("event.test.b.add", `{"idx":0,"value":"first"}`)
	name, data = c.event()
	if name != "test.b.add" {
		t.Fatalf("event %q", name)
	}
	jsonEq(t, "add", data, `{"idx":0,"value":"first"}`)
	e.publish("event.test.b.remove", `{"idx":1}`)
	name, data = c.event()
	jsonEq(t, name, data, `{"idx":1}`)
	e.publish("event.test.b.custom", `{"foo":"bar"}`)
	name, data = c.event()
	jsonEq(t, name, data, `{"foo":"bar"}`)

	// Unsubscribe; a second one fails.
	if _, err := c.response(c.send("unsubscribe.test.a", nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.response(c.send("unsubscribe.test.a", nil)); err == nil || err.Code != "system.noSubscription" {
		t.Fatalf("second unsubscribe: %v", err)
	}
	// Subscribing again sends everything again.
	id = c.send("subscribe.test.a", nil)
	e.serveAccess("test.a", `{"get":true}`)
	e.serveGet("test.a", `{"model":{"name":"a2"}}`)
	res, err = c.response(id)
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, "resubscribe", res, `{"models":{"test.a":{"name":"a2"}}}`)
}

func TestCoreCall(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	c := e.dial()
	mustResult(t, c, "version", map[string]string{"protocol": "1.2.3"})
	id := c.send("call.test.m.do", map[string]int{"x": 1})
	e.serveAccess("test.m", `{"call":"do"}`)
	m := e.request("call.test.m.do")
	jsonEq(t, "call payload", m.Data, `{"cid":`+jsonCID(t, m.Data)+`,"params":{"x":1},"token":null}`)
	respond(t, m, `{"result":{"ok":true}}`)
	res, err := c.response(id)
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, "call result", res, `{"payload":{"ok":true}}`)

	// Access is not cached without a subscription.
	id = c.send("call.test.m.other", nil)
	e.serveAccess("test.m", `{"call":"do"}`)
	if _, err := c.response(id); err == nil || err.Code != "system.accessDenied" {
		t.Fatalf("call denied: %v", err)
	}
	e.noRequest()
}
