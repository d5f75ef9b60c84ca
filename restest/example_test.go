package restest_test

import (
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// newGreeter is the service under test.
func newGreeter() *res.Service {
	s := res.NewService("example")
	s.Handle("greeting",
		res.Access(res.AccessGranted),
		res.GetModel(func(r res.ModelRequest) {
			_ = r.Model(map[string]any{"message": "Hello"})
		}),
		res.Set(func(r res.CallRequest) {
			p, err := res.ParseParams[struct {
				Message string `json:"message"`
			}](r)
			if err != nil {
				return
			}
			_ = r.ChangeEvent(map[string]any{"message": p.Message})
			_ = r.OK(nil)
		}),
	)
	return s
}

// testGreeter is what a test of the greeter looks like.
func testGreeter(t *testing.T) {
	s := restest.NewSession(t, newGreeter())

	s.Get("example.greeting").Response().
		AssertModel(map[string]any{"message": "Hello"})

	req := &restest.Request{Params: map[string]any{"message": "Hi"}}
	s.Call("example.greeting", "set", req).Response().AssertResult(nil)
	s.GetMsg().AssertChangeEvent("example.greeting", map[string]any{"message": "Hi"})

	s.Call("example.greeting", "delete", nil).Response().AssertError(res.ErrMethodNotFound)
	s.AssertNoMsg()
}

func ExampleNewSession() {
	// In a _test.go file:
	//
	//	func TestGreeter(t *testing.T) {
	//		s := restest.NewSession(t, newGreeter())
	//
	//		s.Get("example.greeting").Response().
	//			AssertModel(map[string]any{"message": "Hello"})
	//
	//		req := &restest.Request{Params: map[string]any{"message": "Hi"}}
	//		s.Call("example.greeting", "set", req).Response().AssertResult(nil)
	//		s.GetMsg().AssertChangeEvent("example.greeting", map[string]any{"message": "Hi"})
	//
	//		s.Call("example.greeting", "delete", nil).Response().AssertError(res.ErrMethodNotFound)
	//		s.AssertNoMsg()
	//	}
	//
	// TestGreeter in this package runs it.
	_ = testGreeter
}

func TestGreeter(t *testing.T) { testGreeter(t) }
