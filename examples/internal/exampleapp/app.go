// Package exampleapp runs one RES example as a complete application: an
// embedded NATS server, the bundled gateway, the example's services and its
// web page, all in one process and on one port, so that
//
//	go run ./examples/NAME
//
// is all it takes. With --nats URL it runs only the services and the page
// against an external NATS server, behind a separately started resgateway or
// Resgate.
package exampleapp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
)

// Service is a RES service the runner starts and stops. A *res.Service
// satisfies it.
type Service interface {
	ListenAndServe(natsURL string, opts ...nats.Option) error
	Shutdown(ctx context.Context) error
}

// App describes one example.
type App struct {
	// Name is the example's name, such as "book-collection".
	Name string
	// Services are connected to NATS when the app starts and shut down when
	// it stops.
	Services []Service
	// Web holds the web page in a folder named web, with index.html at its
	// root, as a "//go:embed web" directive gives it.
	Web fs.FS
	// Routes, if set, adds handlers to the web server, such as a login page.
	Routes func(mux *http.ServeMux)
	// HeaderAuth and WSHeaderAuth are the gateway's header authentication
	// methods ("auth.jwtHeader"): called with the HTTP headers of each HTTP
	// API request and of each WebSocket upgrade. Empty means none.
	HeaderAuth   string
	WSHeaderAuth string
	// Background functions run while the app runs, each in a goroutine of
	// its own; ctx is cancelled when the app stops, before the services
	// are shut down, and the runner waits for them to return.
	Background []func(ctx context.Context)
}

// logLevel is the level of the log of an example, set by its -v flag.
var logLevel = new(slog.LevelVar)

// The services of an example log to slog's default logger, which they take
// when they are made: before Main runs. Set it up here, on import, so that
// everything logs alike, as text to standard error.
func init() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})))
}

// Main runs app with the command line of the process and exits when it is
// interrupted (Ctrl+C or SIGTERM).
func Main(app App) {
	opts, err := ParseFlags(app.Name, os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	if opts.Verbose {
		logLevel.Set(slog.LevelDebug)
	}
	log := slog.Default()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, app, opts, os.Stdout, log); err != nil {
		log.Error(app.Name+" failed", "error", err)
		os.Exit(1)
	}
}

// Run starts app as opts say, writes where to find it to out, and runs it
// until ctx is done or a service stops with an error. It stops everything it
// started before it returns.
func Run(ctx context.Context, app App, opts Options, out io.Writer, log *slog.Logger) error {
	if _, err := fs.Stat(app.Web, "web/index.html"); err != nil {
		return fmt.Errorf("exampleapp: %s has no web page: %w", app.Name, err)
	}
	pages, err := fs.Sub(app.Web, "web")
	if err != nil {
		return fmt.Errorf("exampleapp: %s: %w", app.Name, err)
	}
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()

	// Listen first, so that a port in use fails at once.
	ln, err := net.Listen("tcp", net.JoinHostPort(opts.Addr, strconv.Itoa(opts.Port)))
	if err != nil {
		return fmt.Errorf("exampleapp: %w (choose another port with --port)", err)
	}
	cleanups = append(cleanups, func() { _ = ln.Close() })

	natsURL := opts.NATSURL
	if natsURL == "" {
		ns, err := natsembed.Start(natsembed.Options{Host: "127.0.0.1", Port: opts.NATSPort})
		if err != nil {
			return err
		}
		cleanups = append(cleanups, ns.Shutdown)
		natsURL = ns.URL()
	}

	// Services announce that they serve with a system.reset. Listen for
	// those before starting them, so that the page's URL is printed only
	// once they answer requests.
	ready, stopWatch, err := watchResets(natsURL, len(app.Services))
	if err != nil {
		return err
	}
	svcErr := make(chan error, len(app.Services))
	var svcWG sync.WaitGroup
	for _, s := range app.Services {
		svcWG.Add(1)
		go func() {
			defer svcWG.Done()
			if err := s.ListenAndServe(natsURL, nats.Name(app.Name)); err != nil {
				svcErr <- err
			}
		}()
	}
	cleanups = append(cleanups, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range app.Services {
			if err := s.Shutdown(ctx); err != nil {
				log.Warn("service shutdown", "error", err)
			}
		}
		svcWG.Wait()
	})
	select {
	case <-ready:
	case err := <-svcErr:
		stopWatch()
		return fmt.Errorf("exampleapp: service: %w", err)
	case <-time.After(10 * time.Second):
		log.Warn("services did not announce themselves with system.reset; going on")
	case <-ctx.Done():
		stopWatch()
		return nil
	}
	stopWatch()

	bgCtx, bgCancel := context.WithCancel(context.Background())
	var bgWG sync.WaitGroup
	for _, f := range app.Background {
		bgWG.Add(1)
		go func() {
			defer bgWG.Done()
			f(bgCtx)
		}()
	}
	cleanups = append(cleanups, func() {
		bgCancel()
		bgWG.Wait()
	})

	var gw *embeddedGateway
	if opts.NATSURL == "" {
		gw, err = startGateway(natsURL, &app, log.With("component", "gateway"))
		if err != nil {
			return err
		}
		cleanups = append(cleanups, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := gw.Stop(ctx); err != nil {
				log.Warn("gateway stop", "error", err)
			}
		})
	}

	resClient := findResClient(opts.ResClient)
	if resClient == "" {
		log.Info("no local resclient found; the page loads it from " + ResClientCDN)
	} else {
		log.Debug("serving resclient", "path", resClient)
	}
	var gwHandler http.Handler
	if gw != nil {
		gwHandler = gw.Handler()
	}
	handler := newWebHandler(&app, pages, resClient, webConfig{Gateway: opts.gatewayURL()}, gwHandler, log)

	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	// Registered after the gateway's cleanup, so it runs before it: no new
	// requests reach a stopping gateway.
	cleanups = append(cleanups, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-srvErr
	})

	pageURL := "http://" + net.JoinHostPort(displayHost(opts.Addr), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	fmt.Fprintf(out, "%s: open %s in a browser\n", app.Name, pageURL)
	if gw != nil {
		fmt.Fprintf(out, "  gateway: ws%s (HTTP API: %s/api/)\n", pageURL[len("http"):], pageURL)
	} else {
		gwURL := opts.gatewayURL()
		fmt.Fprintf(out, "  the page connects to the gateway at %s\n", gwURL)
	}
	fmt.Fprintf(out, "  NATS server: %s\n", natsURL)
	fmt.Fprintln(out, "Press Ctrl+C to stop.")

	select {
	case <-ctx.Done():
		log.Info("stopping " + app.Name)
		return nil
	case err := <-svcErr:
		return fmt.Errorf("exampleapp: service: %w", err)
	case err := <-srvErr:
		srvErr <- err
		return fmt.Errorf("exampleapp: web server: %w", err)
	}
}

// displayHost returns the host to show in URLs for listen address addr.
func displayHost(addr string) string {
	switch addr {
	case "", "0.0.0.0", "::":
		return "localhost"
	}
	return addr
}

// watchResets subscribes to system.reset on the NATS server at url. The
// returned channel is closed once n resets were seen; stop ends the watch.
func watchResets(url string, n int) (ready <-chan struct{}, stop func(), err error) {
	nc, err := nats.Connect(url, nats.Name("exampleapp readiness"))
	if err != nil {
		return nil, nil, fmt.Errorf("exampleapp: connect to NATS: %w", err)
	}
	done := make(chan struct{})
	var once sync.Once
	seen := 0
	var mu sync.Mutex
	_, err = nc.Subscribe("system.reset", func(*nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		if seen >= n {
			once.Do(func() { close(done) })
		}
	})
	if err == nil {
		err = nc.Flush()
	}
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("exampleapp: watch system.reset: %w", err)
	}
	if n == 0 {
		once.Do(func() { close(done) })
	}
	return done, nc.Close, nil
}
