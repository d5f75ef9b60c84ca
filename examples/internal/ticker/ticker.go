// Package ticker is the ticker service of the authentication examples: a
// model, ticker.model, whose seconds count up once a second, and which only
// a connection whose token passes a check may read.
package ticker

import (
	"context"
	"encoding/json"
	"time"

	"github.com/reskit/res"
)

// Model is the value of ticker.model.
type Model struct {
	Seconds int `json:"seconds"`
}

// Ticker serves ticker.model.
type Ticker struct {
	// Service is the service "ticker".
	Service *res.Service
	// model is read and written only on ticker.model's queue: in its
	// handlers and in the function Run passes to With.
	model Model
}

// New returns a ticker whose model only connections with a token for
// which allow returns true may read. The token is given as raw JSON, nil
// when the connection has none.
func New(allow func(token json.RawMessage) bool) *Ticker {
	t := &Ticker{Service: res.NewService("ticker")}
	t.Service.Handle("model",
		res.Access(func(r res.AccessRequest) {
			if allow(r.RawToken()) {
				r.Access(true, "")
			} else {
				r.AccessDenied()
			}
		}),
		res.GetModel(func(r res.ModelRequest) {
			r.Model(t.model)
		}),
	)
	return t
}

// Run counts the seconds until ctx is done, sending a change event each
// second.
func (t *Ticker) Run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_ = t.Service.With("ticker.model", func(r res.Resource) {
				t.model.Seconds++
				r.ChangeEvent(map[string]any{"seconds": t.model.Seconds})
			})
		}
	}
}
