package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
)

const wait = 10 * time.Second

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startNATS starts a NATS server with a service that grants access to
// everything and serves the model test.m.
func startNATS(t testing.TB) string {
	t.Helper()
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	for subject, reply := range map[string]string{
		"access.>":   `{"result":{"get":true,"call":"*"}}`,
		"get.test.m": `{"result":{"model":{"name":"m"}}}`,
	} {
		if _, err := nc.Subscribe(subject, func(m *nats.Msg) { _ = m.Respond([]byte(reply)) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return ns.URL()
}

// running is a run of the command.
type running struct {
	logs syncBuffer
	done chan struct{} // closed when run returned
	err  error         // what run returned
}

// startRun runs the command with args until the test ends, and returns
// once it has started.
func startRun(t testing.TB, ctx context.Context, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	r := &running{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = run(ctx, args, io.Discard, &r.logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(wait):
			t.Error("run did not stop")
		}
	})
	logs := &r.logs
	deadline := time.Now().Add(wait)
	for !strings.Contains(logs.String(), "resgateway started") {
		select {
		case <-r.done:
			t.Fatalf("run: %v; logs:\n%s", r.err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not started; logs:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return r
}

// resgateConfig is a config file as Resgate v1.8.0 writes it, with its
// key names, values and nulls.
const resgateConfig = `{
	"natsUrl": "NATS_URL",
	"natsCreds": null,
	"natsCert": null,
	"natsKey": null,
	"natsRootCAs": null,
	"requestTimeout": 3000,
	"bufferSize": 8192,
	"debug": false,
	"trace": false,
	"addr": "127.0.0.1",
	"port": PORT,
	"metricsPort": METRICS_PORT,
	"wsPath": "/ws",
	"apiPath": "/rest",
	"apiEncoding": "json",
	"headerAuth": null,
	"wsHeaderAuth": null,
	"allowOrigin": "http://localhost:8000;https://example.com",
	"putMethod": null,
	"deleteMethod": null,
	"patchMethod": null,
	"wsCompression": false,
	"resetThrottle": 0,
	"referenceThrottle": 0,
	"tls": false,
	"certFile": "",
	"keyFile": ""
}
`

// TestRunResgateConfigAndFlags runs the command as an existing Resgate
// deployment would: a Resgate config file and Resgate flags, unchanged.
func TestRunResgateConfigAndFlags(t *testing.T) {
	natsURL := startNATS(t)
	port, metricsPort := freePort(t), freePort(t)
	path := filepath.Join(t.TempDir(), "config.json")
	config := strings.NewReplacer("NATS_URL", natsURL, "METRICS_PORT", strconv.Itoa(metricsPort), "PORT", strconv.Itoa(port)).Replace(resgateConfig)
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	startRun(t, context.Background(), "-c", path, "-r", "5000", "--apiencoding", "jsonflat", "--putmethod", "set",
		"--wscompression", "--resetthrottle", "10", "--referencethrottle", "20", "--alloworigin", "http://localhost:8000", "-D")
	base := "127.0.0.1:" + strconv.Itoa(port)

	// WebSocket at the file's wsPath, with compression from the flag.
	d := websocket.Dialer{EnableCompression: true}
	ws, resp, err := d.Dial("ws://"+base+"/ws", http.Header{"Origin": {"http://localhost:8000"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if ext := resp.Header.Get("Sec-Websocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Errorf("no compression negotiated: %q", ext)
	}
	if err := ws.WriteJSON(map[string]any{"id": 1, "method": "subscribe.test.m"}); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	_, msg, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(msg), `"name":"m"`) {
		t.Fatalf("subscribe: %s, %v", msg, err)
	}

	// HTTP API at the file's apiPath, normalized with a trailing slash;
	// the origin list replaced by the flag.
	tests := []struct {
		name, method, path, origin string
		status                     int
	}{
		{"get", "GET", "/rest/test/m", "", http.StatusOK},
		{"allowed origin", "GET", "/rest/test/m", "http://localhost:8000", http.StatusOK},
		{"origin only in the file", "GET", "/rest/test/m", "https://example.com", http.StatusForbidden},
		{"put mapped by flag", "OPTIONS", "/rest/test/m", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, "http://"+base+tt.path, nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			}
			if tt.method == "OPTIONS" && !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PUT") {
				t.Errorf("Access-Control-Allow-Methods = %q, want PUT in it", resp.Header.Get("Access-Control-Allow-Methods"))
			}
		})
	}

	// Metrics at the file's metricsPort.
	resp, err = http.Get("http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `resgate_ws_requests_total{method="subscribe"} 1`) {
		t.Errorf("metrics lack the subscribe request:\n%s", body)
	}
}

func TestRunInvalidValues(t *testing.T) {
	// A NATS URL that is never dialled: the values are checked first.
	nats := []string{"--nats", "nats://127.0.0.1:1"}
	badConfig := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badConfig, []byte(`{"port":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--nope"}, "flag provided but not defined"},
		{"port not a number", []string{"-p", "x"}, "invalid value"},
		{"port too large", []string{"-p", "70000"}, "invalid port 70000"},
		{"address", []string{"-i", "300.1.1.1"}, `invalid address "300.1.1.1"`},
		{"metrics port as port", []string{"-p", "8080", "-m", "8080"}, "invalid metrics port"},
		{"request timeout", []string{"-r", "-5"}, "invalid request timeout"},
		{"ws path", []string{"-w", "ws"}, "must start with /"},
		{"api encoding", []string{"--apiencoding", "xml"}, "invalid api encoding"},
		{"origin", []string{"--alloworigin", "example.com"}, "does not match <scheme>://<hostname>[:<port>]"},
		{"origin star with others", []string{"--alloworigin", "*;http://a.com"}, `"*" must not be used together`},
		{"put method", []string{"--putmethod", "a.b"}, "invalid put method"},
		{"header auth", []string{"-u", "nodot"}, "invalid header auth method"},
		{"ws header auth", []string{"-t", "a..b"}, "invalid ws header auth method"},
		{"nats cert without key", []string{"--natscert", "c.pem"}, "--natscert and --natskey must be given together"},
		{"tls without files", []string{"--tls"}, "--tls needs --tlscert and --tlskey"},
		{"reset throttle", []string{"--resetthrottle", "-1"}, "negative throttle"},
		{"read limit", []string{"--wsreadlimit", "-1"}, "invalid ws read limit"},
		{"subscription limit", []string{"--maxsubscriptions", "-1"}, "invalid subscription limit"},
		{"log format", []string{"--logformat", "xml"}, `invalid log format "xml"`},
		{"extra argument", []string{"extra"}, `unexpected argument "extra"`},
		{"config file", []string{"-c", badConfig}, "config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, nats...), tt.args...)
			err := run(context.Background(), args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error with %q", args, err, tt.want)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		t.Run(arg, func(t *testing.T) {
			var stderr strings.Builder
			err := run(context.Background(), []string{arg}, io.Discard, &stderr)
			if !errors.Is(err, flag.ErrHelp) {
				t.Errorf("run(%s) = %v, want flag.ErrHelp", arg, err)
			}
			for _, want := range []string{"--nats", "--metricsport", "--wsreadlimit", "--logformat", "-DV"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("usage lacks %s:\n%s", want, stderr.String())
				}
			}
		})
	}
}

func TestRunJSONLogs(t *testing.T) {
	r := startRun(t, context.Background(), "--nats", startNATS(t), "-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t)), "--logformat", "json")
	line, _, _ := strings.Cut(r.logs.String(), "\n")
	if !strings.HasPrefix(line, `{"time":`) || !strings.Contains(line, `"level":"INFO"`) {
		t.Errorf("first log line is not JSON: %s", line)
	}
}

// TestRunStopsOnSignal sends SIGTERM to the test process: the command
// closes its WebSocket clients with a close frame and returns.
func TestRunStopsOnSignal(t *testing.T) {
	ctx, stop := signalContext()
	defer stop()
	port := freePort(t)
	r := startRun(t, ctx, "--nats", startNATS(t), "-i", "127.0.0.1", "-p", strconv.Itoa(port))
	ws, _, err := websocket.DefaultDialer.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"id": 1, "method": "version"}); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("read after SIGTERM: %v, want close 1001", err)
	}
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatalf("run: %v", r.err)
		}
	case <-time.After(wait):
		t.Fatal("run did not return after SIGTERM")
	}
}
