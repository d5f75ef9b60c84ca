package gateway_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/reskit/res/gateway"
)

// An access reply asked for before a token change still answers the
// request that waited for it, without a second access request.
func TestCoreAccessReplyAcrossTokenChange(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	c := e.dial()
	mustResult(t, c, "version", map[string]string{"protocol": "1.2.3"})
	id := c.send("call.test.a.do", nil)
	first := e.request("access.test.a")
	cid := jsonCID(t, first.Data)
	var cidStr string
	_ = json.Unmarshal([]byte(cid), &cidStr)
	e.publish("conn."+cidStr+".token", `{"token":"new"}`)
	// Wait until the gateway applied the token.
	deadline := time.Now().Add(wait)
	for {
		pid := c.send("call.test.probe.x", nil)
		m := e.request("access.test.probe")
		var p struct {
			Token json.RawMessage `json:"token"`
		}
		_ = json.Unmarshal(m.Data, &p)
		respond(t, m, `{"result":{}}`)
		if _, err := c.response(pid); err == nil {
			t.Fatal("probe call allowed")
		}
		if string(p.Token) == `"new"` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("token never applied")
		}
	}
	respond(t, first, `{"result":{"call":"do"}}`)
	respond(t, e.request("call.test.a.do"), `{"result":1}`)
	res, err := c.response(id)
	if err != nil {
		t.Fatal(err)
	}
	jsonEq(t, "call", res, `{"payload":1}`)
	e.noRequest()
}
