// Package natsembed starts a NATS server inside the current process, for
// the examples, the tests and the gateway's default setup, so that one
// command gives a working system with nothing else installed.
package natsembed

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configures an embedded server. The zero value listens on a free
// port of 127.0.0.1.
type Options struct {
	// Host is the address to listen on. Default: "127.0.0.1".
	Host string
	// Port is the port to listen on. Zero picks a free port.
	Port int
}

// Server is a running embedded NATS server.
type Server struct {
	ns *server.Server
}

// Start starts a NATS server and waits until it accepts connections.
func Start(opts Options) (*Server, error) {
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{
		Host:           host,
		Port:           port,
		NoLog:          true,
		NoSigs:         true,
		MaxControlLine: 4096,
	})
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("natsembed: server not ready for connections")
	}
	return &Server{ns: ns}, nil
}

// URL returns the client URL of the server, such as "nats://127.0.0.1:4222".
func (s *Server) URL() string {
	return s.ns.ClientURL()
}

// Shutdown stops the server and waits for it to be done.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
