package exampleapp

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	rc := filepath.Join(t.TempDir(), "rc.js")
	if err := os.WriteFile(rc, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want Options
	}{
		{"defaults", nil, Options{Addr: "localhost", Port: 8080}},
		{"port", []string{"--port", "9000"}, Options{Addr: "localhost", Port: 9000}},
		{"free port", []string{"-port=0"}, Options{Addr: "localhost", Port: 0}},
		{"addr", []string{"--addr", "127.0.0.1"}, Options{Addr: "127.0.0.1", Port: 8080}},
		{"nats moves the default port", []string{"--nats", "nats://127.0.0.1:4222"},
			Options{Addr: "localhost", Port: 8081, NATSURL: "nats://127.0.0.1:4222"}},
		{"nats with a port", []string{"--nats", "nats://127.0.0.1:4222", "--port", "9001"},
			Options{Addr: "localhost", Port: 9001, NATSURL: "nats://127.0.0.1:4222"}},
		{"embedded nats port", []string{"--nats-port", "4222"}, Options{Addr: "localhost", Port: 8080, NATSPort: 4222}},
		{"gateway", []string{"--gateway", "wss://example.com/ws"}, Options{Addr: "localhost", Port: 8080, Gateway: "wss://example.com/ws"}},
		{"resclient and verbose", []string{"--resclient", rc, "-v"}, Options{Addr: "localhost", Port: 8080, ResClient: rc, Verbose: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := ParseFlags("test", tt.args, &out)
			if err != nil {
				t.Fatalf("ParseFlags(%q) error: %v\n%s", tt.args, err, out.String())
			}
			if got != tt.want {
				t.Errorf("ParseFlags(%q) = %+v, want %+v", tt.args, got, tt.want)
			}
		})
	}
}

func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the output
	}{
		{"negative port", []string{"--port", "-1"}, "invalid --port"},
		{"port too big", []string{"--port", "70000"}, "invalid --port"},
		{"nats without scheme", []string{"--nats", "127.0.0.1:4222"}, "invalid --nats"},
		{"nats-port with nats", []string{"--nats", "nats://h:1", "--nats-port", "4222"}, "cannot be used with --nats"},
		{"gateway not a websocket", []string{"--gateway", "http://localhost:8080"}, "invalid --gateway"},
		{"resclient missing", []string{"--resclient", "no/such/file.js"}, "invalid --resclient"},
		{"unknown flag", []string{"--bogus"}, "flag provided but not defined"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := ParseFlags("test", tt.args, &out)
			if err == nil {
				t.Fatalf("ParseFlags(%q) succeeded, want an error", tt.args)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("ParseFlags(%q) printed %q, want it to contain %q", tt.args, out.String(), tt.want)
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseFlags("book-collection", []string{"-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("ParseFlags(-h) error = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"go run ./examples/book-collection", "-addr", "-port", "-nats", "-gateway"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not mention %q:\n%s", want, out.String())
		}
	}
}

func TestGatewayURL(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"own gateway", Options{}, ""},
		{"service only", Options{NATSURL: "nats://h:4222"}, "ws://localhost:8080"},
		{"given", Options{NATSURL: "nats://h:4222", Gateway: "ws://gw:9000"}, "ws://gw:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.opts.gatewayURL(); got != tt.want {
				t.Errorf("%+v.gatewayURL() = %q, want %q", tt.opts, got, tt.want)
			}
		})
	}
}
