package main

import (
	"testing"

	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func set(params any) *restest.Request {
	r := restest.DefaultCallRequest()
	r.Params = params
	return r
}

func TestEditText(t *testing.T) {
	s := restest.NewSession(t, newService())
	s.Access("text.shared", restest.DefaultAccessRequest()).Response().AssertAccess(true, "*")
	s.Get("text.shared").Response().AssertModel(map[string]any{"message": "Hello, edit me!"})

	s.Call("text.shared", "set", set(map[string]any{"message": "New text"})).Response().AssertResult(nil)
	s.GetMsg().AssertChangeEvent("text.shared", map[string]any{"message": "New text"})
	s.Get("text.shared").Response().AssertModel(map[string]any{"message": "New text"})

	// Setting the same text, or nothing, changes nothing: no event.
	s.Call("text.shared", "set", set(map[string]any{"message": "New text"})).Response().AssertResult(nil)
	s.Call("text.shared", "set", set(map[string]any{})).Response().AssertResult(nil)
	s.AssertNoMsg()

	s.Call("text.shared", "set", set(map[string]any{"message": 42})).Response().AssertErrorCode("system.invalidParams")
	s.AssertNoMsg()
}
