package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/resprot"
)

// Version is the gateway's version.
const Version = "0.1.0"

var (
	wsMethods      = [...]string{"get", "subscribe", "unsubscribe", "call", "auth"}
	httpMethods    = [...]string{"GET", "POST", "PUT", "DELETE", "PATCH"}
	serviceReqs    = [...]string{"access", "get", "call", "auth", "other"}
	latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

// metrics are the gateway's Prometheus metrics, in a registry of its own.
// Resgate's metric names come first; the others share its resgate_
// prefix. Every method is safe for concurrent use.
type metrics struct {
	reg *prometheus.Registry

	wsConns      prometheus.Gauge
	wsConnsTotal prometheus.Counter
	wsRequests   [len(wsMethods)]prometheus.Counter
	httpRequests [len(httpMethods)]prometheus.Counter

	wsDuration      [len(wsMethods)]prometheus.Observer
	httpDuration    [len(httpMethods)]prometheus.Observer
	serviceDuration [len(serviceReqs)]prometheus.Observer
	serviceErrors   *prometheus.CounterVec
	wsErrors        *prometheus.CounterVec
	wsEvents        prometheus.Counter
	slowClients     prometheus.Counter
}

func newMetrics(g *Gateway) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	cacheValue := func(f func(*cache.Cache) float64) func() float64 {
		return func() float64 {
			g.mu.Lock()
			c := g.cache
			g.mu.Unlock()
			if c == nil {
				return 0
			}
			return f(c)
		}
	}
	m.wsConns = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "resgate_ws_current_connections",
		Help: "Current WebSocket connections.",
	})
	m.wsConnsTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "resgate_ws_connections_total",
		Help: "WebSocket connections made.",
	})
	wsRequests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "resgate_ws_requests_total",
		Help: "WebSocket requests by method; new requests count as call.",
	}, []string{"method"})
	wsDuration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "resgate_ws_request_duration_seconds",
		Help:    "Time from reading a WebSocket request to queueing its response, by method.",
		Buckets: latencyBuckets,
	}, []string{"method"})
	for i, name := range wsMethods {
		m.wsRequests[i] = wsRequests.WithLabelValues(name)
		m.wsDuration[i] = wsDuration.WithLabelValues(name)
	}
	httpRequests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "resgate_http_requests_total",
		Help: "HTTP API requests by method; HEAD counts as GET.",
	}, []string{"method"})
	httpDuration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "resgate_http_request_duration_seconds",
		Help:    "Time to answer an HTTP API request, by method.",
		Buckets: latencyBuckets,
	}, []string{"method"})
	for i, name := range httpMethods {
		m.httpRequests[i] = httpRequests.WithLabelValues(name)
		m.httpDuration[i] = httpDuration.WithLabelValues(name)
	}
	serviceDuration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "resgate_service_request_duration_seconds",
		Help:    "Time from sending a request to a service over NATS to its reply, timeout or failure, by request type.",
		Buckets: latencyBuckets,
	}, []string{"type"})
	for i, name := range serviceReqs {
		m.serviceDuration[i] = serviceDuration.WithLabelValues(name)
	}
	m.serviceErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "resgate_service_errors_total",
		Help: "Service requests that ended in an error, by request type and error code: error replies, malformed replies (system.internalError), timeouts (system.timeout), no service listening (system.notFound).",
	}, []string{"type", "code"})
	m.wsErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "resgate_ws_errors_total",
		Help: "Error responses sent to WebSocket clients, by error code.",
	}, []string{"code"})
	m.wsEvents = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "resgate_ws_events_total",
		Help: "Events sent to WebSocket clients.",
	})
	m.slowClients = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "resgate_ws_slow_clients_dropped_total",
		Help: "WebSocket clients disconnected because they did not read fast enough.",
	})
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "resgate_info",
			Help:        "Gateway version and RES protocol version.",
			ConstLabels: prometheus.Labels{"version": Version, "protocol": resprot.ProtocolVersion},
		}, func() float64 { return 1 }),
		m.wsConns, m.wsConnsTotal, wsRequests, httpRequests,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "resgate_cache_resources",
			Help: "Resources in the cache.",
		}, cacheValue(func(c *cache.Cache) float64 { return float64(c.Len()) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "resgate_cache_subscriptions",
			Help: "Subscriptions to cached resources.",
		}, cacheValue(func(c *cache.Cache) float64 { return float64(c.Subscriptions()) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "resgate_cache_hits_total",
			Help: "Resource loads served by the cache, or joined to a get request already in flight.",
		}, cacheValue(func(c *cache.Cache) float64 { return float64(c.Stats().Hits) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "resgate_cache_misses_total",
			Help: "Resource loads that sent a get request to a service.",
		}, cacheValue(func(c *cache.Cache) float64 { return float64(c.Stats().Misses) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "resgate_service_events_total",
			Help: "Resource events received from services for cached resources.",
		}, cacheValue(func(c *cache.Cache) float64 { return float64(c.Stats().Events) })),
		wsDuration, httpDuration, serviceDuration, m.serviceErrors, m.wsErrors, m.wsEvents, m.slowClients,
	)
	return m
}

// countWSRequest counts a client request of type typ and returns its
// index in wsMethods, or -1 for a type not counted; a new request counts
// as a call.
func (m *metrics) countWSRequest(typ string) int {
	if typ == "new" {
		typ = "call"
	}
	for i, t := range wsMethods {
		if t == typ {
			m.wsRequests[i].Inc()
			return i
		}
	}
	return -1
}

// wsResponse records the response to a WebSocket request of method index
// i (from countWSRequest) that arrived at start, and its error code, if
// any.
func (m *metrics) wsResponse(i int, start time.Time, code string) {
	if i >= 0 {
		m.wsDuration[i].Observe(time.Since(start).Seconds())
	}
	if code != "" {
		m.wsErrors.WithLabelValues(code).Inc()
	}
}

// httpIndex returns the index in httpMethods of an HTTP API request's
// method, or -1; HEAD counts as GET.
func httpIndex(method string) int {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	for i, t := range httpMethods {
		if t == method {
			return i
		}
	}
	return -1
}

// serviceRequest records a service request that ended, as mq's Observe
// hook, and returns the error code it ended with, or "", and whether the
// reply was malformed.
func (m *metrics) serviceRequest(subject string, d time.Duration, reply []byte, err error) (code string, malformed bool) {
	typ, _, _ := strings.Cut(subject, ".")
	i := len(serviceReqs) - 1
	for j, t := range serviceReqs[:i] {
		if t == typ {
			i = j
			break
		}
	}
	code, malformed = replyCode(reply, err)
	if err == nil || code == resprot.CodeTimeout || code == resprot.CodeNotFound {
		m.serviceDuration[i].Observe(d.Seconds())
	}
	if code != "" {
		m.serviceErrors.WithLabelValues(serviceReqs[i], code).Inc()
	}
	return code, malformed
}

// replyCode returns the error code of a service request that ended with
// err or with reply: "" for a result or resource, the code of an error
// reply, or system.internalError for a malformed reply.
func replyCode(reply []byte, err error) (code string, malformed bool) {
	if err != nil {
		return resprot.ToError(err).Code, false
	}
	var r struct {
		Result   present `json:"result"`
		Resource *struct {
			RID string `json:"rid"`
		} `json:"resource"`
		Error *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	switch {
	case json.Unmarshal(reply, &r) != nil:
		return resprot.CodeInternalError, true
	case r.Error != nil:
		if r.Error.Code == "" {
			return resprot.CodeInternalError, true
		}
		return r.Error.Code, false
	case r.Resource != nil:
		if !resprot.IsValidRID(r.Resource.RID) {
			return resprot.CodeInternalError, true
		}
	case !bool(r.Result):
		return resprot.CodeInternalError, true
	}
	return "", false
}

// present notes that a JSON value was there, without decoding it.
type present bool

func (p *present) UnmarshalJSON([]byte) error {
	*p = true
	return nil
}

// MetricsHandler returns a handler that reports the gateway's metrics in
// the OpenMetrics text format (or Prometheus' text format to a scraper
// that asks for it), with the metric names Resgate uses: connections,
// requests by method, cached resources and subscriptions; and beyond them
// latency histograms of client and service requests, errors by code, cache
// hits and misses, events and slow clients dropped. Config.MetricsPort
// serves it at /metrics.
func (g *Gateway) MetricsHandler() http.Handler {
	h := promhttp.HandlerFor(g.metrics.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") == "" {
			// Resgate answers in OpenMetrics; so does the gateway unless
			// asked otherwise.
			r = r.Clone(r.Context())
			r.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
		}
		h.ServeHTTP(w, r)
	})
}
