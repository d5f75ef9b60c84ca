package main

import (
	"testing"

	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHelloWorld(t *testing.T) {
	s := restest.NewSession(t, newService(), restest.WithReset([]string{"example.>"}, []string{"example.>"}))
	s.Access("example.model", restest.DefaultAccessRequest()).Response().AssertAccess(true, "*")
	s.Get("example.model").Response().AssertModel(map[string]any{"message": "Hello, World!"})
	s.Get("example.other").Response().AssertErrorCode("system.notFound")
}
