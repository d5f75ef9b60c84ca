package gateway_test

import (
	"encoding/json"
	"testing"
)

func mustResult(t testing.TB, c *wsClient, method string, params any) json.RawMessage {
	t.Helper()
	res, err := c.response(c.send(method, params))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return res
}

func jsonCID(t testing.TB, data []byte) string {
	t.Helper()
	var p struct {
		CID string `json:"cid"`
	}
	if err := json.Unmarshal(data, &p); err != nil || p.CID == "" {
		t.Fatalf("no cid in %s", data)
	}
	b, _ := json.Marshal(p.CID)
	return string(b)
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
