// Command password-authentication is a RES example of logging in with a
// password. The auth method passwd.login checks the password and gives the
// client's connection a token; passwd.logout clears it. The counter
// ticker.model may only be read with a token, and the gateway stops
// sending its updates as soon as the token is gone.
//
//	go run ./examples/password-authentication
package main

import (
	"context"
	"embed"

	"github.com/reskit/res/examples/internal/exampleapp"
	"github.com/reskit/res/examples/internal/ticker"
)

//go:embed web
var web embed.FS

// password is the one password that logs in. A real service would check a
// user's password hash instead.
const password = "secret"

func main() {
	t := ticker.New(loggedIn)
	exampleapp.Main(exampleapp.App{
		Name:       "password-authentication",
		Services:   []exampleapp.Service{newService(password), t.Service},
		Web:        web,
		Background: []func(context.Context){t.Run},
	})
}
