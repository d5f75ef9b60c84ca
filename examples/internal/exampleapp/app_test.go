package exampleapp

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeService announces itself with a system.reset, as a RES service does,
// and serves nothing.
type fakeService struct {
	mu   sync.Mutex
	nc   *nats.Conn
	done chan struct{}
}

func newFakeService() *fakeService { return &fakeService{done: make(chan struct{})} }

func (s *fakeService) ListenAndServe(url string, opts ...nats.Option) error {
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.nc = nc
	s.mu.Unlock()
	if err := nc.Publish("system.reset", []byte(`{"resources":["fake.>"]}`)); err != nil {
		return err
	}
	<-s.done
	nc.Close()
	return nil
}

func (s *fakeService) Shutdown(ctx context.Context) error {
	close(s.done)
	return nil
}

// runApp runs app with opts until the test ends, and returns the page's
// URL once it is printed.
func runApp(t *testing.T, app App, opts Options) (url string, out *bufio.Scanner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, app, opts, pw, slog.New(slog.NewTextHandler(io.Discard, nil)))
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	re := regexp.MustCompile(`open (http://\S+) in a browser`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			return m[1], sc
		}
	}
	t.Fatalf("Run printed no URL")
	return "", nil
}

func TestRunServiceOnly(t *testing.T) {
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()

	var ticks sync.WaitGroup
	ticks.Add(1)
	app := App{
		Name:     "fake",
		Services: []Service{newFakeService(), newFakeService()},
		Web:      fstest.MapFS{"web/index.html": {Data: []byte("fake page")}},
		Background: []func(context.Context){func(ctx context.Context) {
			ticks.Done()
			<-ctx.Done()
		}},
	}
	url, out := runApp(t, app, Options{Addr: "127.0.0.1", Port: 0, NATSURL: ns.URL()})

	var lines []string
	for range 3 {
		if !out.Scan() {
			t.Fatal("output ended early")
		}
		lines = append(lines, out.Text())
	}
	if want := "  the page connects to the gateway at ws://localhost:8080"; lines[0] != want {
		t.Errorf("second line %q, want %q", lines[0], want)
	}
	if want := "  NATS server: " + ns.URL(); lines[1] != want {
		t.Errorf("third line %q, want %q", lines[1], want)
	}
	ticks.Wait() // the background function ran

	res, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "fake page" {
		t.Errorf("GET / = %d %q, want 200 %q", res.StatusCode, body, "fake page")
	}
}

func TestRunFailsOnPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	err = Run(context.Background(), App{Name: "x", Web: fstest.MapFS{"web/index.html": {}}},
		Options{Addr: "127.0.0.1", Port: port}, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run on a port in use = %v, want an address-in-use error", err)
	}
}

func TestRunFailsWithoutWebFolder(t *testing.T) {
	err := Run(context.Background(), App{Name: "x", Web: fstest.MapFS{"index.html": {}}}, Options{}, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		t.Fatal("Run with no web folder succeeded")
	}
}

func TestRunStopsWhenCancelledBeforeReady(t *testing.T) {
	ns, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	// A service that never announces itself.
	silent := &silentService{done: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, App{Name: "x", Services: []Service{silent}, Web: fstest.MapFS{"web/index.html": {}}},
			Options{Addr: "127.0.0.1", NATSURL: ns.URL()}, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

type silentService struct{ done chan struct{} }

func (s *silentService) ListenAndServe(string, ...nats.Option) error { <-s.done; return nil }
func (s *silentService) Shutdown(context.Context) error              { close(s.done); return nil }
