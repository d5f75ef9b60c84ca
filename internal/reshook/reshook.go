// Package reshook lets the test kit (restest) reach what package res keeps
// unexported, without adding test-only methods to res's public API.
package reshook

import "context"

// Flush waits until s, a *res.Service, has dispatched every message it
// received before the call and run every task queued on its workers, or
// until ctx is done. Package res sets it.
var Flush func(ctx context.Context, s any) error
