package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/reskit/res/gateway"
)

func TestCoreMetrics(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{UnsubscribeDelay: -1})
	c := e.dial()
	subscribeOK(t, e, c, "test.m", func() { e.serveGet("test.m", `{"model":{}}`) })
	// An HTTP API request that needs no service.
	resp, err := http.Get("http://" + e.g.Addr().String() + "/api/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rec := httptest.NewRecorder()
	e.g.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"resgate_ws_current_connections 1\n",
		"resgate_ws_connections_total 1\n",
		`resgate_ws_requests_total{method="subscribe"} 1` + "\n",
		`resgate_http_requests_total{method="GET"} 1` + "\n",
		"resgate_cache_resources 1\n",
		"resgate_cache_subscriptions 1\n",
		"# EOF\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestCoreMetricsPort(t *testing.T) {
	port := freePort(t)
	newCoreEnv(t, gateway.Config{MetricsPort: port})
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
}
