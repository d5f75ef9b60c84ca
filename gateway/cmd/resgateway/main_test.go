package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reskit/res/internal/natsembed"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// defaults returns the options with no flags, changed by f.
func defaults(f func(o *options)) options {
	o := options{addr: "0.0.0.0", port: 8080, wsPath: "/", apiPath: "/api/", apiEncoding: "json", reqTimeout: 3000,
		bufferSize: 8192, wsReadLimit: 1 << 20, logFormat: "text"}
	if f != nil {
		f(&o)
	}
	return o
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want options
	}{
		{"defaults", nil, defaults(nil)},
		{"short", []string{"-n", "nats://x:1", "-i", "127.0.0.1", "-p", "9000", "-w", "/ws", "-a", "/rest", "-r", "5000", "-m", "9100", "-u", "a.b.c", "-t", "d.e.f", "-D"},
			defaults(func(o *options) {
				o.nats, o.addr, o.port, o.wsPath, o.apiPath, o.reqTimeout, o.metricsPort = "nats://x:1", "127.0.0.1", 9000, "/ws", "/rest", 5000, 9100
				o.headAuth, o.wsHeadAuth, o.debug = "a.b.c", "d.e.f", true
			})},
		{"long", []string{"--nats", "nats://x:1", "--addr", "::1", "--port=9001", "--wspath", "/ws", "--apipath", "/rest", "--reqtimeout", "500",
			"--metricsport", "9100", "--headauth", "a.b.c", "--wsheadauth", "d.e.f", "--trace", "--debug", "--wscompression", "--resetthrottle", "3", "--referencethrottle", "4"},
			defaults(func(o *options) {
				o.nats, o.addr, o.port, o.wsPath, o.apiPath, o.reqTimeout, o.metricsPort = "nats://x:1", "::1", 9001, "/ws", "/rest", 500, 9100
				o.headAuth, o.wsHeadAuth, o.trace, o.debug, o.wsCompression, o.resetThrottle, o.refThrottle = "a.b.c", "d.e.f", true, true, true, 3, 4
			})},
		{"single dash long", []string{"-port", "9002", "-nats", "nats://y:2"}, defaults(func(o *options) { o.port, o.nats = 9002, "nats://y:2" })},
		{"debug and trace", []string{"-DV"}, defaults(func(o *options) { o.debug, o.trace = true, true })},
		{"short trace", []string{"-V"}, defaults(func(o *options) { o.trace = true })},
		{"http api", []string{"--apiencoding", "jsonflat", "--putmethod", "set", "--deletemethod", "delete", "--patchmethod", "patch", "--alloworigin", "http://a.com;https://b.com", "--alloworigin", "http://c.com"},
			defaults(func(o *options) {
				o.apiEncoding, o.putMethod, o.deleteMethod, o.patchMethod = "jsonflat", "set", "delete", "patch"
				o.allowOrigin = []string{"http://a.com", "https://b.com", "http://c.com"}
			})},
		{"security", []string{"--tls", "--tlscert", "c.pem", "--tlskey", "k.pem", "--creds", "u.creds", "--natscert", "nc.pem", "--natskey", "nk.pem", "--natsrootca", "ca1.pem", "--natsrootca", "ca2.pem"},
			defaults(func(o *options) {
				o.tls, o.tlsCert, o.tlsKey, o.creds, o.natsCert, o.natsKey = true, "c.pem", "k.pem", "u.creds", "nc.pem", "nk.pem"
				o.natsRootCAs = []string{"ca1.pem", "ca2.pem"}
			})},
		{"limits and logs", []string{"--wsreadlimit", "4096", "--maxsubscriptions", "100", "--logformat", "json"},
			defaults(func(o *options) { o.wsReadLimit, o.maxSubscriptions, o.logFormat = 4096, 100, "json" })},
		{"version", []string{"-v"}, defaults(func(o *options) { o.version = true })},
		{"long version", []string{"--version"}, defaults(func(o *options) { o.version = true })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("parseFlags(%q) = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"-p", "x"}, {"extra"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if _, err := parseFlags(args, io.Discard); err == nil {
				t.Errorf("parseFlags(%q) succeeded", args)
			}
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		in   int
		want time.Duration
	}{
		{3000, 3 * time.Second},
		{10, 10 * time.Second},
		{5, 5 * time.Second},
		{11, 11 * time.Millisecond},
	}
	for _, tt := range tests {
		got, err := requestTimeout(tt.in, log)
		if err != nil || got != tt.want {
			t.Errorf("requestTimeout(%d) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := requestTimeout(0, log); err == nil {
		t.Error("requestTimeout(0) succeeded")
	}
}

func TestRunVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1.2.3") {
		t.Errorf("version output %q lacks the protocol version", out.String())
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--nats", ns.URL(), "-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t))}, io.Discard, &logs)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "resgateway started") {
		if time.Now().After(deadline) {
			t.Fatalf("not started; logs:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	// A missing file is written with the defaults.
	o, err := parseFlags([]string{"-c", path, "-p", "9000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.port != 9000 {
		t.Errorf("port = %d, want 9000", o.port)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"requestTimeout": 3000`) {
		t.Errorf("written config lacks the defaults:\n%s", data)
	}
	// The file sets what flags do not.
	if err := os.WriteFile(path, []byte(`{"port":7000,"wsPath":"/ws","allowOrigin":"http://a.com;http://b.com","debug":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err = parseFlags([]string{"--config", path, "-w", "/other"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.port != 7000 || o.wsPath != "/other" || !o.debug || !reflect.DeepEqual(o.allowOrigin, []string{"http://a.com", "http://b.com"}) {
		t.Errorf("options %+v: want port 7000 from the file, wsPath /other from the flag, debug, two origins", *o)
	}
	if err := os.WriteFile(path, []byte(`{`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := parseFlags([]string{"-c", path}, io.Discard); err == nil {
		t.Error("malformed config file accepted")
	}
}
