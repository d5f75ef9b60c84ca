// Command resgateway runs a RES gateway: it serves RES clients over
// WebSocket with resources from RES services reached over NATS.
//
// Its flags are Resgate's. Without --nats it starts an embedded NATS server
// on 127.0.0.1:4222, so that one command gives a gateway that services on
// the same machine can join.
//
//	go run ./gateway/cmd/resgateway -p 8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/gateway"
	"github.com/reskit/res/internal/natsembed"
	"github.com/reskit/res/resprot"
)

// version is the command's version.
const version = gateway.Version

const usage = `Usage: resgateway [options]

Server Options:
    -n, --nats <url>                 NATS Server URL (default: embedded server on 127.0.0.1:4222)
    -i, --addr <host>                Bind to HOST address (default: 0.0.0.0)
    -p, --port <port>                HTTP port for client connections (default: 8080)
    -w, --wspath <path>              WebSocket path for clients (default: /)
    -a, --apipath <path>             Web resource path for clients (default: /api/)
    -r, --reqtimeout <milliseconds>  Timeout duration for NATS requests (default: 3000)
    -m, --metricsport <port>         HTTP port for OpenMetrics connections (default: disabled)
    -u, --headauth <method>          Resource method for header authentication
    -t, --wsheadauth <method>        Resource method for WebSocket header authentication
        --wscompression              Enable WebSocket per message compression
        --apiencoding <type>         Encoding for web resources: json, jsonflat (default: json)
        --putmethod <methodName>     Call method name mapped to HTTP PUT requests
        --deletemethod <methodName>  Call method name mapped to HTTP DELETE requests
        --patchmethod <methodName>   Call method name mapped to HTTP PATCH requests
        --alloworigin <origin>       Allowed origin(s): *, or <scheme>://<hostname>[:<port>] (default: *)
        --resetthrottle <limit>      Limit on parallel requests sent in response to a system reset
        --referencethrottle <limit>  Limit on parallel requests sent when following references

Limit Options:
        --wsreadlimit <bytes>        Largest message a WebSocket client may send (default: 1048576)
        --maxsubscriptions <count>   Most subscriptions one WebSocket connection may hold (default: 0, no limit)

Security Options:
        --tls                        Enable TLS for HTTP and WebSocket (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --creds <file>               NATS user credentials file
        --natscert <file>            NATS client certificate file
        --natskey <file>             NATS client certificate key file
        --natsrootca <file>          NATS root CA file(s); repeat for more

Logging Options:
    -D, --debug                      Enable debugging output
    -V, --trace                      Enable trace logging
    -DV                              Debug and trace
        --logformat <format>         Log format: text or json (default: text)

Configuration Options:
    -c, --config <file>              Configuration file in JSON format (created with defaults if missing)

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
`

type options struct {
	nats, addr, wsPath, apiPath, headAuth, wsHeadAuth string
	apiEncoding, putMethod, deleteMethod, patchMethod string
	allowOrigin, natsRootCAs                          []string
	tlsCert, tlsKey, creds, natsCert, natsKey         string
	tls                                               bool
	port, reqTimeout, resetThrottle, refThrottle      int
	metricsPort, maxSubscriptions, bufferSize         int
	wsReadLimit                                       int64
	logFormat                                         string
	wsCompression, debug, trace, version              bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{bufferSize: 8192}
	fs := flag.NewFlagSet("resgateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	str := func(p *string, short, long, def string) {
		if short != "" {
			fs.StringVar(p, short, def, "")
		}
		fs.StringVar(p, long, def, "")
	}
	num := func(p *int, short, long string, def int) {
		if short != "" {
			fs.IntVar(p, short, def, "")
		}
		fs.IntVar(p, long, def, "")
	}
	boolean := func(p *bool, short, long string) {
		if short != "" {
			fs.BoolVar(p, short, false, "")
		}
		fs.BoolVar(p, long, false, "")
	}
	str(&o.nats, "n", "nats", "")
	str(&o.addr, "i", "addr", "0.0.0.0")
	num(&o.port, "p", "port", 8080)
	str(&o.wsPath, "w", "wspath", "/")
	str(&o.apiPath, "a", "apipath", "/api/")
	num(&o.reqTimeout, "r", "reqtimeout", 3000)
	num(&o.metricsPort, "m", "metricsport", 0)
	str(&o.headAuth, "u", "headauth", "")
	str(&o.wsHeadAuth, "t", "wsheadauth", "")
	boolean(&o.wsCompression, "", "wscompression")
	str(&o.apiEncoding, "", "apiencoding", "json")
	str(&o.putMethod, "", "putmethod", "")
	str(&o.deleteMethod, "", "deletemethod", "")
	str(&o.patchMethod, "", "patchmethod", "")
	boolean(&o.tls, "", "tls")
	str(&o.tlsCert, "", "tlscert", "")
	str(&o.tlsKey, "", "tlskey", "")
	str(&o.creds, "", "creds", "")
	str(&o.natsCert, "", "natscert", "")
	str(&o.natsKey, "", "natskey", "")
	fs.Func("natsrootca", "", func(v string) error {
		o.natsRootCAs = append(o.natsRootCAs, v)
		return nil
	})
	fs.Func("alloworigin", "", func(v string) error {
		o.allowOrigin = append(o.allowOrigin, splitOrigins(v)...)
		return nil
	})
	var configFile string
	str(&configFile, "c", "config", "")
	num(&o.resetThrottle, "", "resetthrottle", 0)
	num(&o.refThrottle, "", "referencethrottle", 0)
	fs.Int64Var(&o.wsReadLimit, "wsreadlimit", 1<<20, "")
	num(&o.maxSubscriptions, "", "maxsubscriptions", 0)
	str(&o.logFormat, "", "logformat", "text")
	boolean(&o.debug, "D", "debug")
	boolean(&o.trace, "V", "trace")
	boolean(&o.version, "v", "version")
	var expanded []string
	for _, a := range args {
		if a == "-DV" || a == "-VD" {
			expanded = append(expanded, "-D", "-V")
			continue
		}
		expanded = append(expanded, a)
	}
	if err := fs.Parse(expanded); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, usage)
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if configFile != "" {
		set := make(map[string]bool)
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if err := loadConfigFile(configFile, o, set); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// requestTimeout reads the --reqtimeout value as Resgate does: in
// milliseconds, except that values up to 10 are taken as seconds.
func requestTimeout(v int, log *slog.Logger) (time.Duration, error) {
	switch {
	case v <= 0:
		return 0, fmt.Errorf("invalid request timeout %d", v)
	case v <= 10:
		log.Warn("request timeout given in seconds is deprecated; use milliseconds", "reqtimeout", v)
		return time.Duration(v) * time.Second, nil
	}
	return time.Duration(v) * time.Millisecond, nil
}

// newLogger returns a logger that writes to w in the format of
// --logformat, at the level of -D and -V.
func newLogger(w io.Writer, o *options) (*slog.Logger, error) {
	level := slog.LevelInfo
	switch {
	case o.trace:
		level = gateway.LevelTrace
	case o.debug:
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.LevelKey {
				if l, ok := a.Value.Any().(slog.Level); ok && l <= gateway.LevelTrace {
					a.Value = slog.StringValue("TRACE")
				}
			}
			return a
		},
	}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("invalid log format %q: want text or json", o.logFormat)
}

// signalContext returns a context that is done on SIGINT, SIGTERM, SIGHUP
// or SIGQUIT, as Resgate stops on. A second signal ends the process at
// once.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

func main() {
	ctx, stop := signalContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "resgateway:", err)
		os.Exit(1)
	}
}

// stopTimeout bounds a graceful stop, as Resgate's 10 seconds.
const stopTimeout = 10 * time.Second

// run runs the gateway until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.version {
		fmt.Fprintf(stdout, "resgateway %s (RES protocol %s)\n", version, resprot.ProtocolVersion)
		return nil
	}
	log, err := newLogger(stderr, o)
	if err != nil {
		return err
	}
	timeout, err := requestTimeout(o.reqTimeout, log)
	if err != nil {
		return err
	}
	if o.wsReadLimit < 0 {
		return fmt.Errorf("invalid ws read limit %d", o.wsReadLimit)
	}
	if o.maxSubscriptions < 0 {
		return fmt.Errorf("invalid subscription limit %d", o.maxSubscriptions)
	}
	if o.bufferSize <= 0 {
		return fmt.Errorf("invalid buffer size %d", o.bufferSize)
	}
	port := o.port
	if port == 0 {
		// As Resgate's command: a port of 0 is the default one.
		port = 8080
	}
	var natsOpts []nats.Option
	if o.creds != "" {
		natsOpts = append(natsOpts, nats.UserCredentials(o.creds))
	}
	if (o.natsCert == "") != (o.natsKey == "") {
		return errors.New("--natscert and --natskey must be given together")
	}
	if o.natsCert != "" {
		natsOpts = append(natsOpts, nats.ClientCert(o.natsCert, o.natsKey))
	}
	if len(o.natsRootCAs) > 0 {
		natsOpts = append(natsOpts, nats.RootCAs(o.natsRootCAs...))
	}
	var certFile, keyFile string
	if o.tls {
		if o.tlsCert == "" || o.tlsKey == "" {
			return errors.New("--tls needs --tlscert and --tlskey")
		}
		certFile, keyFile = o.tlsCert, o.tlsKey
	}
	addr := o.addr
	if addr == "0.0.0.0" {
		addr = ""
	}
	cfg := gateway.Config{
		NATSURL:           o.nats,
		NATSOptions:       natsOpts,
		NATSBufferSize:    o.bufferSize,
		TLSCertFile:       certFile,
		TLSKeyFile:        keyFile,
		Addr:              addr,
		Port:              port,
		WSPath:            o.wsPath,
		APIPath:           o.apiPath,
		RequestTimeout:    timeout,
		HeaderAuth:        o.headAuth,
		WSHeaderAuth:      o.wsHeadAuth,
		WSCompression:     o.wsCompression,
		MetricsPort:       o.metricsPort,
		APIEncoding:       o.apiEncoding,
		PUTMethod:         o.putMethod,
		DELETEMethod:      o.deleteMethod,
		PATCHMethod:       o.patchMethod,
		AllowOrigin:       o.allowOrigin,
		ResetThrottle:     o.resetThrottle,
		ReferenceThrottle: o.refThrottle,
		WSReadLimit:       o.wsReadLimit,
		MaxSubscriptions:  o.maxSubscriptions,
		Logger:            log,
	}
	// Check the settings before starting anything.
	g, err := gateway.New(cfg)
	if err != nil {
		return err
	}
	if o.nats == "" {
		ns, err := natsembed.Start(natsembed.Options{Port: 4222})
		if err != nil {
			return fmt.Errorf("start embedded NATS server on 127.0.0.1:4222 (is a NATS server running there? then pass --nats nats://127.0.0.1:4222): %w", err)
		}
		defer ns.Shutdown()
		cfg.NATSURL = ns.URL()
		log.Info("started embedded NATS server; services on this machine can connect to it", "url", cfg.NATSURL)
		if g, err = gateway.New(cfg); err != nil {
			return err
		}
	}
	if err := g.Start(); err != nil {
		return err
	}
	log.Info("resgateway started", "version", version, "protocol", resprot.ProtocolVersion, "addr", g.Addr().String())
	<-ctx.Done()
	log.Info("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return g.Stop(sctx)
}
