package exampleapp

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// Default ports. The gateway's port is the one Resgate uses, so that the
// web clients of the classic RES examples work unchanged.
const (
	DefaultPort        = 8080
	DefaultServicePort = 8081
)

// Options are the command-line settings of an example.
type Options struct {
	// Addr is the address the web server (and the bundled gateway) listens
	// on. Default: "localhost".
	Addr string
	// Port is the port of the web page and, when the example runs its own
	// gateway, of the gateway too. Zero picks a free port. Default: 8080, or
	// 8081 with NATSURL set, leaving 8080 to the separate gateway.
	Port int
	// NATSURL, when set, is the NATS server the services connect to. The
	// example then starts no NATS server and no gateway of its own: it runs
	// its services and serves its page, for use behind a separately started
	// resgateway or Resgate.
	NATSURL string
	// NATSPort is the port of the embedded NATS server, when NATSURL is
	// empty. Zero picks a free port.
	NATSPort int
	// Gateway is the WebSocket URL of the gateway that the page connects
	// to. Default: the server that serves the page, or ws://localhost:8080
	// when NATSURL is set.
	Gateway string
	// ResClient is the path of a resclient.min.js file for the page. By
	// default the file is looked for in node_modules folders near the
	// working directory, and the page loads it from a CDN when none is found.
	ResClient string
	// Verbose turns on debug logging.
	Verbose bool
}

// ParseFlags parses the command line of example name. Usage and errors are
// written to output. It returns flag.ErrHelp when -h or --help was given.
func ParseFlags(name string, args []string, output io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&o.Addr, "addr", "localhost", "address to listen on")
	fs.IntVar(&o.Port, "port", DefaultPort, fmt.Sprintf("port of the web page and the gateway; 0 picks a free port (with --nats the default is %d)", DefaultServicePort))
	fs.StringVar(&o.NATSURL, "nats", "", "URL of an external NATS server: run only the service and its page, with no embedded NATS server or gateway")
	fs.IntVar(&o.NATSPort, "nats-port", 0, "port of the embedded NATS server; 0 picks a free port")
	fs.StringVar(&o.Gateway, "gateway", "", "WebSocket URL of the gateway the page connects to (default: the page's own server, or ws://localhost:8080 with --nats)")
	fs.StringVar(&o.ResClient, "resclient", "", "path of resclient.min.js to serve to the page (default: node_modules/resclient when found, else a CDN)")
	fs.BoolVar(&o.Verbose, "v", false, "log debug messages")
	fs.Usage = func() {
		fmt.Fprintf(output, "Usage: go run ./examples/%s [flags]\n\n", name)
		fmt.Fprintf(output, "Starts an embedded NATS server, the bundled RES gateway, the %s service\nand its web page, and prints the page's URL.\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintln(output, err)
		fs.Usage()
		return o, err
	}
	portSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "port" {
			portSet = true
		}
	})
	if o.NATSURL != "" && !portSet {
		o.Port = DefaultServicePort
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(output, err)
		return o, err
	}
	return o, nil
}

func (o *Options) validate() error {
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("invalid --port %d: want 0 to 65535", o.Port)
	}
	if o.NATSPort < 0 || o.NATSPort > 65535 {
		return fmt.Errorf("invalid --nats-port %d: want 0 to 65535", o.NATSPort)
	}
	if o.NATSURL != "" {
		if o.NATSPort != 0 {
			return errors.New("--nats-port is for the embedded NATS server and cannot be used with --nats")
		}
		if !strings.Contains(o.NATSURL, "://") {
			return fmt.Errorf("invalid --nats %q: want a URL such as nats://127.0.0.1:4222", o.NATSURL)
		}
	}
	if o.ResClient != "" {
		if st, err := os.Stat(o.ResClient); err != nil || st.IsDir() {
			return fmt.Errorf("invalid --resclient %q: no such file", o.ResClient)
		}
	}
	if o.Gateway != "" {
		u, err := url.Parse(o.Gateway)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return fmt.Errorf("invalid --gateway %q: want a WebSocket URL such as ws://localhost:8080", o.Gateway)
		}
	}
	return nil
}

// gatewayURL returns the gateway URL the page is told to use: empty means
// the page's own server.
func (o *Options) gatewayURL() string {
	if o.Gateway != "" {
		return o.Gateway
	}
	if o.NATSURL != "" {
		return fmt.Sprintf("ws://localhost:%d", DefaultPort)
	}
	return ""
}
