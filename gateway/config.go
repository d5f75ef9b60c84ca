package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Config configures a Gateway. The zero value of every field but NATSURL
// is a working default.
type Config struct {
	// NATSURL is the URL of the NATS server, with any user, password or
	// token in it. Default: "nats://127.0.0.1:4222".
	NATSURL string
	// NATSOptions are added to the options of the NATS connection, for
	// credentials or TLS. The gateway sets its own reconnect handlers.
	NATSOptions []nats.Option
	// NATSBufferSize is the number of NATS messages that may wait to be
	// handled; past it NATS drops messages and the gateway fetches its
	// cache again. Default: 8192, as Resgate's bufferSize.
	NATSBufferSize int

	// Addr is the IP address to listen on. Default: "" (all interfaces).
	Addr string
	// Port is the port to listen on. Zero picks a free port; Addr then
	// tells which.
	Port int
	// NoHTTP makes Start connect to NATS without listening, for users who
	// serve Handler with their own server.
	NoHTTP bool
	// MetricsPort, when not zero, is a port on Addr where the gateway
	// serves its metrics at /metrics (see Gateway.MetricsHandler). It must
	// differ from Port.
	MetricsPort int
	// TLSCertFile and TLSKeyFile, when both set, make the gateway serve
	// HTTPS and WSS with that certificate and key.
	TLSCertFile string
	TLSKeyFile  string
	// WSPath is the path of the WebSocket endpoint. Default: "/".
	WSPath string
	// APIPath is the path prefix of the HTTP API. Default: "/api/".
	APIPath string

	// RequestTimeout is the time to wait for a service's reply, unless a
	// pre-response extends it. Default: 3s.
	RequestTimeout time.Duration
	// HeaderAuth is the auth method ("service.resource.method") called
	// with the headers of every HTTP API request. Empty means none.
	HeaderAuth string
	// WSHeaderAuth is the auth method ("service.resource.method") called
	// with the headers of every WebSocket upgrade. Empty means none.
	WSHeaderAuth string
	// WSCompression enables permessage-deflate on WebSocket connections.
	WSCompression bool

	// APIEncoding is how the HTTP API encodes resources: "json" nests
	// referenced resources as {"href", "model"|"collection"|"error"}
	// objects; "jsonflat" nests them bare. Default: "json".
	APIEncoding string
	// PUTMethod, DELETEMethod and PATCHMethod are the call methods that
	// HTTP PUT, DELETE and PATCH requests on a resource's path are mapped
	// to. Empty means the HTTP method is not allowed.
	PUTMethod    string
	DELETEMethod string
	PATCHMethod  string
	// AllowOrigin lists the origins ("scheme://host[:port]") that may use
	// the HTTP API and the WebSocket endpoint from a browser. Default:
	// ["*"], any origin.
	AllowOrigin []string

	// UnsubscribeDelay is how long a resource stays cached after its last
	// subscriber left. Default: 5s. A negative value evicts at once.
	UnsubscribeDelay time.Duration
	// ResetThrottle limits the requests in flight caused by system.reset
	// events: the get requests for the resources they name, and the access
	// requests for the subscriptions whose access they reset. Zero means
	// no limit.
	ResetThrottle int
	// ReferenceThrottle limits the get requests in flight while one
	// connection follows references. Zero means no limit.
	ReferenceThrottle int

	// WSReadLimit is the largest message a client may send, in bytes.
	// A client sending more is disconnected with close code 1009 (message
	// too big). Default: 1 MiB.
	WSReadLimit int64
	// WSWriteTimeout bounds each write to a client: a client that does not
	// read is disconnected once a write has waited for between half of it
	// and all of it. Default: 10s.
	WSWriteTimeout time.Duration
	// WSPingInterval is the time between pings to a client. A client that
	// neither sends anything nor answers for two intervals is
	// disconnected. Default: 30s.
	WSPingInterval time.Duration
	// WSSendQueue is the number of messages that may wait to be written to
	// one client. A client whose queue overflows is disconnected, so it
	// cannot delay others. Default: 1024.
	WSSendQueue int
	// MaxSubscriptions is the most direct subscriptions one connection may
	// hold, counting every subscribe request and resource response that
	// is not unsubscribed; past it, a subscription fails with
	// system.subscriptionLimitExceeded. Zero means no limit. Whatever it
	// is, a connection holds at most 256 direct subscriptions of one
	// resource, as with Resgate.
	MaxSubscriptions int

	// ReadHeaderTimeout bounds the reading of an HTTP request's headers,
	// WebSocket upgrades included, on the servers Start runs, so that a
	// client that never finishes its headers is cut off. Default: 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the reading of the body of an HTTP API request.
	// Default: 30s.
	ReadTimeout time.Duration
	// IdleTimeout is how long an idle keep-alive HTTP connection stays open
	// on the servers Start runs. Default: 2m.
	IdleTimeout time.Duration

	// Logger receives the gateway's logs. Traffic is logged at
	// LevelTrace. Default: slog.Default().
	Logger *slog.Logger
}

// LevelTrace is the log level of traffic logs: every NATS message and
// WebSocket frame.
const LevelTrace = slog.LevelDebug - 4

// withDefaults returns c with defaults filled in, or an error for an
// invalid setting.
func (c Config) withDefaults() (Config, error) {
	if c.NATSURL == "" {
		c.NATSURL = nats.DefaultURL
	}
	if c.Addr != "" && net.ParseIP(c.Addr) == nil {
		return c, fmt.Errorf("gateway: invalid address %q", c.Addr)
	}
	if c.Port < 0 || c.Port > 65535 {
		return c, fmt.Errorf("gateway: invalid port %d", c.Port)
	}
	if c.MetricsPort < 0 || c.MetricsPort > 65535 || c.MetricsPort != 0 && c.MetricsPort == c.Port {
		return c, fmt.Errorf("gateway: invalid metrics port %d", c.MetricsPort)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return c, errors.New("gateway: TLS needs both a certificate and a key file")
	}
	if c.WSPath == "" {
		c.WSPath = "/"
	}
	if c.APIPath == "" {
		c.APIPath = "/api/"
	}
	if !strings.HasPrefix(c.WSPath, "/") {
		return c, fmt.Errorf("gateway: ws path %q must start with /", c.WSPath)
	}
	if !strings.HasPrefix(c.APIPath, "/") {
		return c, fmt.Errorf("gateway: api path %q must start with /", c.APIPath)
	}
	if !strings.HasSuffix(c.APIPath, "/") {
		c.APIPath += "/"
	}
	if c.WSPath == c.APIPath {
		return c, errors.New("gateway: ws path and api path must differ")
	}
	if c.RequestTimeout < 0 {
		return c, errors.New("gateway: negative request timeout")
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 3 * time.Second
	}
	for _, a := range []struct{ name, v string }{{"header auth", c.HeaderAuth}, {"ws header auth", c.WSHeaderAuth}} {
		if a.v != "" && !validAuthMethod(a.v) {
			return c, fmt.Errorf("gateway: invalid %s method %q", a.name, a.v)
		}
	}
	if err := c.apiDefaults(); err != nil {
		return c, err
	}
	if c.NATSBufferSize < 0 {
		return c, errors.New("gateway: negative nats buffer size")
	}
	if c.ResetThrottle < 0 || c.ReferenceThrottle < 0 {
		return c, errors.New("gateway: negative throttle")
	}
	if c.WSReadLimit <= 0 {
		c.WSReadLimit = 1 << 20
	}
	if c.WSWriteTimeout <= 0 {
		c.WSWriteTimeout = 10 * time.Second
	}
	if c.WSPingInterval <= 0 {
		c.WSPingInterval = 30 * time.Second
	}
	if c.WSSendQueue <= 0 {
		c.WSSendQueue = 1024
	}
	if c.MaxSubscriptions < 0 {
		return c, errors.New("gateway: negative subscription limit")
	}
	for _, d := range []struct {
		p   *time.Duration
		def time.Duration
	}{{&c.ReadHeaderTimeout, 10 * time.Second}, {&c.ReadTimeout, 30 * time.Second}, {&c.IdleTimeout, 2 * time.Minute}} {
		if *d.p <= 0 {
			*d.p = d.def
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
