// Command hello-world is the smallest RES example: a service with one model,
// example.model, whose message everyone may read, behind the bundled
// gateway, with a web page that shows it.
//
//	go run ./examples/hello-world
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
		Name:     "hello-world",
		Services: []exampleapp.Service{newService()},
		Web:      web,
	})
}

// model is the value of example.model.
type model struct {
	Message string `json:"message"`
}

// newService returns the service "example", serving example.model.
func newService() *res.Service {
	s := res.NewService("example")
	s.Handle("model",
		res.Access(res.AccessGranted),
		res.GetModel(func(r res.ModelRequest) {
			r.Model(model{Message: "Hello, World!"})
		}),
	)
	return s
}
