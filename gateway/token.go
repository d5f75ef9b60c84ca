package gateway

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/reskit/res/resprot"
)

// tokenTarget is what a token event can change: a client connection, or
// an HTTP API request doing header auth.
type tokenTarget interface {
	// tokenEvent applies token event ev. It runs on the NATS dispatcher
	// goroutine and must not block.
	tokenEvent(ev resprot.TokenEvent)
}

// tokenRouter hands conn.<cid>.token events to the connection or HTTP
// API request with that connection ID; events for other IDs are ignored.
// The gateway listens once on conn.*.token for all of them, where Resgate
// subscribes to conn.<cid>.* for each: that saves a NATS subscription per
// connection, in the gateway and in the NATS server, and a subscribe and
// an unsubscribe per connect.
//
// Its handler runs on the NATS dispatcher goroutine, which runs the
// callbacks of request replies too, in the order the messages arrived: a
// token event that a service sends before it replies to an auth request
// reaches its target before the reply does.
type tokenRouter struct {
	mu      sync.Mutex // protects targets
	targets map[string]tokenTarget
}

func (r *tokenRouter) add(cid string, t tokenTarget) {
	r.mu.Lock()
	if r.targets == nil {
		r.targets = make(map[string]tokenTarget)
	}
	r.targets[cid] = t
	r.mu.Unlock()
}

func (r *tokenRouter) remove(cid string) {
	r.mu.Lock()
	delete(r.targets, cid)
	r.mu.Unlock()
}

// onToken handles conn.<cid>.token (NATS dispatcher goroutine).
func (g *Gateway) onToken(subject string, data []byte) {
	cid := strings.TrimSuffix(strings.TrimPrefix(subject, "conn."), ".token")
	r := &g.tokens
	r.mu.Lock()
	t := r.targets[cid]
	r.mu.Unlock()
	if t == nil {
		return
	}
	var ev resprot.TokenEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		g.log.Error("gateway: invalid token event", "cid", cid, "error", err)
		return
	}
	t.tokenEvent(ev)
}
