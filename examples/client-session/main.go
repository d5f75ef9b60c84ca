// Command client-session is a RES example of login sessions that survive
// page reloads and lost connections. The session service keeps sessions
// and gives each client a relogin key; a connection's token carries its
// session's ID as token ID, so that ending a session (logout or expiry)
// logs out every connection of it with one system.tokenReset. Each
// connection reads its own user model, session.user.{cid}.
//
//	go run ./examples/client-session
package main

import (
	"context"
	"embed"
	"encoding/json"
	"time"

	"github.com/reskit/res/examples/internal/exampleapp"
	"github.com/reskit/res/examples/internal/ticker"
)

//go:embed web
var web embed.FS

// sessionLifetime is how long a session lasts after its last login or
// relogin. The page renews it every minute while it is open.
const sessionLifetime = 5 * time.Minute

func main() {
	t := ticker.New(hasRole)
	exampleapp.Main(exampleapp.App{
		Name:       "client-session",
		Services:   []exampleapp.Service{newSessions(sessionLifetime).Service, t.Service},
		Web:        web,
		Background: []func(context.Context){t.Run},
	})
}

// hasRole reports whether the raw token is that of a logged-in user.
func hasRole(raw json.RawMessage) bool {
	var t token
	return len(raw) > 0 && json.Unmarshal(raw, &t) == nil && t.Role != ""
}
