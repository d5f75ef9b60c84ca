package gateway

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/reskit/res/resprot"
)

// Version is the gateway's version.
const Version = "0.1.0"

// metrics counts what MetricsHandler reports. Every field is updated
// atomically.
type metrics struct {
	wsConns      atomic.Int64
	wsConnsTotal atomic.Int64
	wsRequests   [len(wsMethods)]atomic.Int64
	httpRequests [len(httpMethods)]atomic.Int64
}

var (
	wsMethods   = [...]string{"get", "subscribe", "unsubscribe", "call", "auth"}
	httpMethods = [...]string{"GET", "POST", "PUT", "DELETE", "PATCH"}
)

// countWSRequest counts a client request of type typ; a new request
// counts as a call.
func (m *metrics) countWSRequest(typ string) {
	if typ == "new" {
		typ = "call"
	}
	for i, t := range wsMethods {
		if t == typ {
			m.wsRequests[i].Add(1)
			return
		}
	}
}

// countHTTPRequest counts an HTTP API request; HEAD counts as GET.
func (m *metrics) countHTTPRequest(method string) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for i, t := range httpMethods {
		if t == method {
			m.httpRequests[i].Add(1)
			return
		}
	}
}

// MetricsHandler returns a handler that reports the gateway's metrics in
// the OpenMetrics text format, with the metric names Resgate uses:
// connections, requests by method, cached resources and subscriptions.
// Config.MetricsPort serves it at /metrics.
func (g *Gateway) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		gauge := func(name, labels string, v int64) {
			fmt.Fprintf(&b, "# TYPE %s gauge\n%s%s %d\n", name, name, labels, v)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		gauge("go_info", `{version="`+runtime.Version()+`"}`, 1)
		gauge("resgate_info", `{version="`+Version+`",protocol="`+resprot.ProtocolVersion+`"}`, 1)
		gauge("go_memstats_sys_bytes", "", int64(ms.Sys))
		gauge("resgate_ws_current_connections", "", g.metrics.wsConns.Load())
		fmt.Fprintf(&b, "# TYPE resgate_ws_connections counter\nresgate_ws_connections_total %d\n", g.metrics.wsConnsTotal.Load())
		b.WriteString("# TYPE resgate_ws_requests counter\n")
		for i, m := range wsMethods {
			fmt.Fprintf(&b, "resgate_ws_requests_total{method=%q} %d\n", m, g.metrics.wsRequests[i].Load())
		}
		b.WriteString("# TYPE resgate_http_requests counter\n")
		for i, m := range httpMethods {
			fmt.Fprintf(&b, "resgate_http_requests_total{method=%q} %d\n", m, g.metrics.httpRequests[i].Load())
		}
		g.mu.Lock()
		c := g.cache
		g.mu.Unlock()
		var resources, subs int
		if c != nil {
			resources, subs = c.Len(), c.Subscriptions()
		}
		gauge("resgate_cache_resources", "", int64(resources))
		gauge("resgate_cache_subscriptions", "", int64(subs))
		b.WriteString("# EOF\n")
		w.Header().Set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
	})
}
