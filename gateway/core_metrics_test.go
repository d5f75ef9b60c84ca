package gateway_test

import (
	"bufio"
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reskit/res/gateway"
)

// scrape reads the metrics at url and returns each sample's value by its
// name and labels as written, such as `resgate_ws_requests_total{method="get"}`.
func scrape(t testing.TB, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("GET %s: Content-Type = %q, want OpenMetrics", url, ct)
	}
	out := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	last := ""
	for sc.Scan() {
		line := sc.Text()
		last = line
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if last != "# EOF" {
		t.Errorf("metrics end with %q, want # EOF", last)
	}
	return out
}

// metricsEnv is a coreEnv with its metrics served on a port of their own.
type metricsEnv struct {
	*coreEnv
	url string
}

func newMetricsEnv(t testing.TB, cfg gateway.Config) *metricsEnv {
	t.Helper()
	cfg.MetricsPort = freePort(t)
	e := newCoreEnv(t, cfg)
	return &metricsEnv{e, "http://127.0.0.1:" + strconv.Itoa(cfg.MetricsPort) + "/metrics"}
}

// expect scrapes and checks the values of the samples in want. A value is
// read again until it matches, for the gauges that follow a disconnect.
func (e *metricsEnv) expect(want map[string]float64) {
	e.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		got := scrape(e.t, e.url)
		var wrong []string
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				wrong = append(wrong, k+" = "+strconv.FormatFloat(g, 'g', -1, 64)+", want "+strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("metrics:\n%s", strings.Join(wrong, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCoreMetricsResgateNames(t *testing.T) {
	e := newMetricsEnv(t, gateway.Config{})
	got := scrape(t, e.url)
	for _, name := range []string{
		`go_memstats_sys_bytes`,
		`resgate_info{protocol="1.2.3",version="` + gateway.Version + `"}`,
		`resgate_ws_current_connections`,
		`resgate_ws_connections_total`,
		`resgate_ws_requests_total{method="get"}`,
		`resgate_ws_requests_total{method="subscribe"}`,
		`resgate_ws_requests_total{method="unsubscribe"}`,
		`resgate_ws_requests_total{method="call"}`,
		`resgate_ws_requests_total{method="auth"}`,
		`resgate_http_requests_total{method="GET"}`,
		`resgate_http_requests_total{method="POST"}`,
		`resgate_http_requests_total{method="PUT"}`,
		`resgate_http_requests_total{method="DELETE"}`,
		`resgate_http_requests_total{method="PATCH"}`,
		`resgate_cache_resources`,
		`resgate_cache_subscriptions`,
		`resgate_cache_hits_total`,
		`resgate_cache_misses_total`,
		`resgate_service_events_total`,
		`resgate_ws_events_total`,
		`resgate_ws_slow_clients_dropped_total`,
		`resgate_ws_request_duration_seconds_count{method="get"}`,
		`resgate_http_request_duration_seconds_count{method="GET"}`,
		`resgate_service_request_duration_seconds_count{type="access"}`,
	} {
		if _, ok := got[name]; !ok {
			t.Errorf("no metric %s", name)
		}
	}
	var goInfo bool
	for k := range got {
		goInfo = goInfo || strings.HasPrefix(k, `go_info{version="go`)
	}
	if !goInfo {
		t.Error("no metric go_info{version}")
	}
}

func TestCoreMetricsCount(t *testing.T) {
	e := newMetricsEnv(t, gateway.Config{})
	e.expect(map[string]float64{`resgate_ws_current_connections`: 0, `resgate_ws_connections_total`: 0})

	c1 := e.dial()
	subscribeOK(t, e.coreEnv, c1, "test.m", func() { e.serveGet("test.m", `{"model":{"a":1}}`) })
	e.expect(map[string]float64{
		`resgate_ws_current_connections`:                                        1,
		`resgate_ws_connections_total`:                                          1,
		`resgate_ws_requests_total{method="subscribe"}`:                         1,
		`resgate_ws_request_duration_seconds_count{method="subscribe"}`:         1,
		`resgate_service_request_duration_seconds_count{type="access"}`:         1,
		`resgate_service_request_duration_seconds_count{type="get"}`:            1,
		`resgate_cache_misses_total`:                                            1,
		`resgate_cache_hits_total`:                                              0,
		`resgate_cache_resources`:                                               1,
		`resgate_cache_subscriptions`:                                           1,
		`resgate_service_request_duration_seconds_bucket{type="get",le="+Inf"}`: 1,
	})

	// A second client is served from the cache; an event fans out to both.
	c2 := e.dial()
	subscribeOK(t, e.coreEnv, c2, "test.m", nil)
	e.publish("event.test.m.change", `{"values":{"a":2}}`)
	c1.event()
	c2.event()
	e.expect(map[string]float64{
		`resgate_ws_current_connections`:                2,
		`resgate_ws_connections_total`:                  2,
		`resgate_ws_requests_total{method="subscribe"}`: 2,
		`resgate_cache_misses_total`:                    1,
		`resgate_cache_hits_total`:                      1,
		`resgate_cache_subscriptions`:                   2,
		`resgate_service_events_total`:                  1,
		`resgate_ws_events_total`:                       2,
	})

	// Errors count by code, on the service side and on the client side.
	id := c1.send("call.test.n.do", nil)
	e.serveAccess("test.n", `{"call":"*"}`)
	respond(t, e.request("call.test.n.do"), `{"error":{"code":"test.custom","message":"Custom"}}`)
	if _, err := c1.response(id); err == nil || err.Code != "test.custom" {
		t.Fatalf("call: %v, want test.custom", err)
	}
	if _, err := c1.response(c1.send("nope.test.m", nil)); err == nil || err.Code != "system.invalidRequest" {
		t.Fatalf("nope: %v, want system.invalidRequest", err)
	}
	e.expect(map[string]float64{
		`resgate_ws_requests_total{method="call"}`:                     1,
		`resgate_ws_request_duration_seconds_count{method="call"}`:     1,
		`resgate_service_errors_total{code="test.custom",type="call"}`: 1,
		`resgate_ws_errors_total{code="test.custom"}`:                  1,
		`resgate_ws_errors_total{code="system.invalidRequest"}`:        1,
	})

	// HTTP API requests, HEAD counting as GET.
	for _, method := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(method, "http://"+e.g.Addr().String()+"/api/test/m", nil)
		done := make(chan *http.Response, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
			}
			done <- resp
		}()
		e.serveAccess("test.m", `{"get":true}`)
		if resp := <-done; resp != nil {
			resp.Body.Close()
		}
	}
	e.expect(map[string]float64{
		`resgate_http_requests_total{method="GET"}`:                 2,
		`resgate_http_request_duration_seconds_count{method="GET"}`: 2,
		`resgate_cache_hits_total`:                                  3,
	})

	// Disconnects.
	c1.ws.Close()
	c2.ws.Close()
	e.expect(map[string]float64{
		`resgate_ws_current_connections`: 0,
		`resgate_ws_connections_total`:   2,
		`resgate_cache_subscriptions`:    0,
	})
}

func TestCoreMetricsServiceFailures(t *testing.T) {
	log, logs := captureLog(t)
	e := newMetricsEnv(t, gateway.Config{RequestTimeout: 2 * time.Second, Logger: log})
	c := e.dial()

	// A malformed access reply.
	id := c.send("call.test.a.do", nil)
	respond(t, e.request("access.test.a"), `{"result":`)
	if _, err := c.response(id); err == nil || err.Code != "system.internalError" {
		t.Fatalf("call with malformed access reply: %v, want system.internalError", err)
	}
	// A call that is never answered.
	id = c.send("call.test.b.do", nil)
	e.serveAccess("test.b", `{"call":"*"}`)
	e.request("call.test.b.do")
	if _, err := c.response(id); err == nil || err.Code != "system.timeout" {
		t.Fatalf("unanswered call: %v, want system.timeout", err)
	}
	e.expect(map[string]float64{
		`resgate_service_errors_total{code="system.internalError",type="access"}`: 1,
		`resgate_service_errors_total{code="system.timeout",type="call"}`:         1,
		`resgate_ws_errors_total{code="system.timeout"}`:                          1,
		`resgate_ws_errors_total{code="system.internalError"}`:                    1,
	})
	for _, want := range []string{"malformed service reply", "subject=access.test.a", "service request timed out", "subject=call.test.b.do"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestCoreMetricsHandler(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	tests := []struct {
		name, accept, want string
	}{
		{"no accept header", "", "application/openmetrics-text"},
		{"openmetrics", "application/openmetrics-text; version=1.0.0", "application/openmetrics-text"},
		{"prometheus text", "text/plain", "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/metrics", nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			e.g.MetricsHandler().ServeHTTP(rec, req)
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.want) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.want)
			}
			if !strings.Contains(rec.Body.String(), "resgate_ws_current_connections") {
				t.Errorf("body lacks resgate_ws_current_connections:\n%s", rec.Body.String())
			}
		})
	}
}

// logBuffer collects log output; it is safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// captureLog returns a logger that writes debug logs and up to the
// returned buffer.
func captureLog(t testing.TB) (*slog.Logger, *logBuffer) {
	t.Helper()
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}
