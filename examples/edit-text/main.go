// Command edit-text is a RES example of a text that many people edit at
// once: the model text.shared, whose message the call method set changes.
// Each change is sent as an event, and the gateway passes it on to every
// client.
//
//	go run ./examples/edit-text
package main

import (
	"embed"

	"github.com/reskit/res"
	"github.com/reskit/res/examples/internal/exampleapp"
)

//go:embed web
var web embed.FS

func main() {
	exampleapp.Main(exampleapp.App{
		Name:     "edit-text",
		Services: []exampleapp.Service{newService()},
		Web:      web,
	})
}

// text is the value of text.shared.
type text struct {
	Message string `json:"message"`
}

// newService returns the service "text", serving text.shared.
func newService() *res.Service {
	// Requests for one resource run one at a time, in order, so the
	// handlers of text.shared own shared and need no lock.
	shared := &text{Message: "Hello, edit me!"}

	s := res.NewService("text")
	s.Handle("shared",
		res.Access(res.AccessGranted),
		res.GetModel(func(r res.ModelRequest) {
			r.Model(shared)
		}),
		res.Set(func(r res.CallRequest) {
			var p struct {
				Message *string `json:"message"`
			}
			if err := r.ParseParams(&p); err != nil {
				r.InvalidParams("message must be a string")
				return
			}
			if p.Message != nil && *p.Message != shared.Message {
				shared.Message = *p.Message
				r.ChangeEvent(map[string]any{"message": shared.Message})
			}
			r.OK(nil)
		}),
	)
	return s
}
