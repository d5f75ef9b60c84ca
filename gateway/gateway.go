package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/gateway/internal/mq"
	"github.com/reskit/res/resprot"
)

// Gateway is a RES gateway: it serves RES clients over WebSocket and HTTP
// with resources from RES services reached over NATS.
type Gateway struct {
	cfg Config
	log *slog.Logger
	ws  http.Handler
	api http.Handler

	// tokens routes token events; it has a lock of its own.
	tokens tokenRouter

	// mu protects the fields below.
	mu       sync.Mutex
	started  bool
	stopped  bool
	nc       *nats.Conn
	mq       *mq.Client
	cache    *cache.Cache
	srv      *http.Server
	ln       net.Listener
	serveErr chan error
	conns    map[string]*conn
	sysUnsub func()
	tokUnsub func()

	metricsSrv *http.Server
	metricsLn  net.Listener
	metricsErr chan error

	// wg counts the goroutines of client connections.
	wg sync.WaitGroup
	// writers writes to WebSocket connections; it stops after wg.
	writers *writePool

	metrics *metrics // set by New
}

// New checks cfg and returns a Gateway. It has no side effects: Start
// connects and listens.
func New(cfg Config) (*Gateway, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:     cfg,
		log:     cfg.Logger,
		conns:   make(map[string]*conn),
		writers: newWritePool(),
	}
	g.ws = &wsHandler{g: g}
	g.api = &apiHandler{g: g}
	g.metrics = newMetrics(g)
	return g, nil
}

// Start connects to NATS and, unless Config.NoHTTP is set, listens and
// serves HTTP. It returns once the gateway is listening. The NATS
// connection reconnects by itself when it drops; until it is back, client
// requests fail with system.serviceUnavailable, and afterwards every cached
// resource is fetched again so that clients learn what changed meanwhile.
func (g *Gateway) Start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return errors.New("gateway: already started")
	}
	g.started = true
	opts := []nats.Option{
		nats.Name("resgateway"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			g.mu.Lock()
			m, stopped := g.mq, g.stopped
			g.mu.Unlock()
			if stopped {
				return
			}
			g.log.Error("gateway: nats disconnected; reconnecting", "error", err)
			if m != nil {
				m.FailPending(resprot.ErrServiceUnavailable)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			g.log.Info("gateway: nats reconnected; resyncing cache", "url", nc.ConnectedUrlRedacted())
			g.resync()
		}),
		nats.ConnectHandler(func(nc *nats.Conn) {
			g.log.Info("gateway: nats connected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				g.log.Error("gateway: nats messages dropped (slow consumer); resyncing cache")
				g.resync()
				return
			}
			g.log.Error("gateway: nats error", "error", err)
		}),
	}
	opts = append(opts, g.cfg.NATSOptions...)
	nc, err := nats.Connect(g.cfg.NATSURL, opts...)
	if err != nil {
		g.stopped = true
		return fmt.Errorf("gateway: connect to nats: %w", err)
	}
	if !nc.IsConnected() {
		g.log.Warn("gateway: nats not reachable yet; retrying", "url", g.cfg.NATSURL)
	}
	m, err := mq.New(nc, mq.Options{Timeout: g.cfg.RequestTimeout, BufferSize: g.cfg.NATSBufferSize, Logger: g.log, Observe: g.serviceRequestEnded})
	if err != nil {
		g.stopped = true
		nc.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	g.nc, g.mq = nc, m
	g.cache = cache.New(cache.Options{
		Broker:           m,
		Logger:           g.log,
		UnsubscribeDelay: g.cfg.UnsubscribeDelay,
		ResetThrottle:    g.cfg.ResetThrottle,
	})
	unsub, err := m.Subscribe("system.*", g.onSystem)
	if err != nil {
		g.closeNATS()
		return fmt.Errorf("gateway: %w", err)
	}
	g.sysUnsub = unsub
	unsub, err = m.Subscribe("conn.*.token", g.onToken)
	if err != nil {
		g.closeNATS()
		return fmt.Errorf("gateway: %w", err)
	}
	g.tokUnsub = unsub
	if g.cfg.NoHTTP {
		return nil
	}
	fail := func(err error, lns ...net.Listener) error {
		for _, ln := range lns {
			ln.Close()
		}
		g.closeNATS()
		return fmt.Errorf("gateway: %w", err)
	}
	var tlsConfig *tls.Config
	if g.cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(g.cfg.TLSCertFile, g.cfg.TLSKeyFile)
		if err != nil {
			return fail(err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(g.cfg.Addr, strconv.Itoa(g.cfg.Port)))
	if err != nil {
		return fail(err)
	}
	var mln net.Listener
	if g.cfg.MetricsPort != 0 {
		if mln, err = net.Listen("tcp", net.JoinHostPort(g.cfg.Addr, strconv.Itoa(g.cfg.MetricsPort))); err != nil {
			return fail(fmt.Errorf("metrics: %w", err), ln)
		}
	}
	g.ln = ln
	g.srv = g.httpServer(g.Handler(), tlsConfig)
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	g.serveErr = make(chan error, 1)
	go func() { g.serveErr <- g.srv.Serve(ln) }()
	g.log.Info("gateway: listening", "addr", ln.Addr().String(), "wsPath", g.cfg.WSPath, "apiPath", g.cfg.APIPath)
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", g.MetricsHandler())
		g.metricsLn = mln
		g.metricsSrv = g.httpServer(mux, tlsConfig)
		if tlsConfig != nil {
			mln = tls.NewListener(mln, tlsConfig)
		}
		g.metricsErr = make(chan error, 1)
		go func() { g.metricsErr <- g.metricsSrv.Serve(mln) }()
		g.log.Info("gateway: serving metrics", "addr", mln.Addr().String()+"/metrics")
	}
	return nil
}

// httpServer returns a server for h with the configured timeouts.
func (g *Gateway) httpServer(h http.Handler, tlsConfig *tls.Config) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelDebug),
	}
}

// serviceRequestEnded records a service request that ended, and logs the
// replies that break the protocol and the requests that timed out.
func (g *Gateway) serviceRequestEnded(subject string, d time.Duration, reply []byte, err error) {
	switch code, malformed := g.metrics.serviceRequest(subject, d, reply, err); {
	case code == resprot.CodeTimeout:
		g.log.Warn("gateway: service request timed out", "subject", subject, "after", d)
	case malformed:
		if len(reply) > 200 {
			reply = append(reply[:200:200], "..."...)
		}
		g.log.Error("gateway: malformed service reply", "subject", subject, "reply", string(reply))
	}
}

// closeNATS undoes a Start that failed; the gateway is then stopped.
func (g *Gateway) closeNATS() {
	g.stopped = true
	if g.sysUnsub != nil {
		g.sysUnsub()
	}
	if g.tokUnsub != nil {
		g.tokUnsub()
	}
	g.mq.Close()
	g.cache.Close()
	g.nc.Close()
}

// Addr returns the address the gateway listens on, or nil before Start or
// with Config.NoHTTP.
func (g *Gateway) Addr() net.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln == nil {
		return nil
	}
	return g.ln.Addr()
}

// Handler returns the gateway's HTTP handler: the WebSocket endpoint at
// Config.WSPath and the HTTP API under Config.APIPath; other paths get a
// 404 with a system.notFound error. Mount it on your own server with
// Config.NoHTTP set; it serves clients once Start has returned.
func (g *Gateway) Handler() http.Handler {
	return http.HandlerFunc(g.serveHTTP)
}

func (g *Gateway) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.RequestURI == "*" {
		writeHTTPError(w, http.StatusBadRequest, resprot.ErrBadRequest)
		return
	}
	switch p := r.URL.Path; {
	case p == g.cfg.WSPath:
		g.ws.ServeHTTP(w, r)
	case strings.HasPrefix(p, g.cfg.APIPath):
		i := httpIndex(r.Method)
		if i < 0 {
			g.api.ServeHTTP(w, r)
			return
		}
		g.metrics.httpRequests[i].Inc()
		start := time.Now()
		g.api.ServeHTTP(w, r)
		g.metrics.httpDuration[i].Observe(time.Since(start).Seconds())
	default:
		writeHTTPError(w, http.StatusNotFound, resprot.ErrNotFound)
	}
}

// writeHTTPError writes a RES error as a JSON HTTP response.
func writeHTTPError(w http.ResponseWriter, status int, e *resprot.Error) {
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Stop sends close frames to all WebSocket clients, stops the HTTP server,
// drains the NATS connection and waits for the gateway's goroutines. When
// ctx ends first, remaining connections are cut and ctx's error returned.
func (g *Gateway) Stop(ctx context.Context) error {
	g.mu.Lock()
	if !g.started || g.stopped {
		g.mu.Unlock()
		return nil
	}
	g.stopped = true
	conns := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		conns = append(conns, c)
	}
	srv, msrv := g.srv, g.metricsSrv
	g.mu.Unlock()

	if msrv != nil {
		_ = msrv.Shutdown(ctx)
		<-g.metricsErr
	}

	var errs []error
	for _, c := range conns {
		c.close(closeGoingAway)
	}
	if srv != nil {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = srv.Close()
		}
		if err := <-g.serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range conns {
			c.kill()
		}
		<-done
		errs = append(errs, ctx.Err())
	}
	g.writers.stop()
	g.sysUnsub()
	g.tokUnsub()
	g.mq.Close()
	g.cache.Close()
	if err := g.nc.Drain(); err != nil {
		g.nc.Close()
	} else {
		for !g.nc.IsClosed() {
			select {
			case <-ctx.Done():
				g.nc.Close()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return errors.Join(errs...)
}

// resync fetches every cached resource again and checks the access of every
// subscription, since events may have been lost while NATS was away.
func (g *Gateway) resync() {
	g.mu.Lock()
	c := g.cache
	g.mu.Unlock()
	if c == nil {
		return
	}
	c.ResetAll()
	g.forEachConn(func(cn *conn) { cn.resetAccess([]string{">"}) })
}

func (g *Gateway) forEachConn(f func(*conn)) {
	g.mu.Lock()
	list := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		list = append(list, c)
	}
	g.mu.Unlock()
	for _, c := range list {
		f(c)
	}
}

// onSystem handles system.reset and system.tokenReset.
func (g *Gateway) onSystem(subject string, data []byte) {
	switch subject {
	case resprot.SubjectSystemReset:
		var ev resprot.SystemReset
		if err := json.Unmarshal(data, &ev); err != nil {
			g.log.Error("gateway: invalid system.reset event", "error", err)
			return
		}
		if len(ev.Resources) > 0 {
			g.cache.Reset(ev.Resources)
		}
		if len(ev.Access) > 0 {
			g.forEachConn(func(c *conn) { c.resetAccess(ev.Access) })
		}
	case resprot.SubjectSystemTokenReset:
		var ev resprot.TokenReset
		if err := json.Unmarshal(data, &ev); err != nil {
			g.log.Error("gateway: invalid system.tokenReset event", "error", err)
			return
		}
		if ev.Subject == "" {
			g.log.Error("gateway: system.tokenReset event without subject")
			return
		}
		if len(ev.TIDs) == 0 {
			return
		}
		tids := make(map[string]bool, len(ev.TIDs))
		for _, t := range ev.TIDs {
			tids[t] = true
		}
		g.forEachConn(func(c *conn) { c.tokenReset(tids, ev.Subject) })
	}
}

// addConn registers c, or reports false when the gateway is stopping.
func (g *Gateway) addConn(c *conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped || g.mq == nil {
		return false
	}
	g.conns[c.cid] = c
	g.wg.Add(1)
	return true
}

func (g *Gateway) removeConn(c *conn) {
	g.mu.Lock()
	delete(g.conns, c.cid)
	g.mu.Unlock()
	g.wg.Done()
}

func validAuthMethod(s string) bool {
	i := strings.LastIndexByte(s, '.')
	return i > 0 && resprot.IsValidRID(s[:i]) && resprot.IsValidPart(s[i+1:])
}
