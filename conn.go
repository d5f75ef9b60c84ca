package res

import "github.com/nats-io/nats.go"

// Conn is the connection a Service serves requests over. A *nats.Conn
// satisfies it, and so does the mock connection of package restest, which
// lets a service be tested with no server.
//
// A Service subscribes with ChanQueueSubscribe (or ChanSubscribe when it has
// no queue group), replies with Publish to a request's reply subject, and
// sends events with Publish. PublishRequest and ChanSubscribe on an inbox are
// used for query events and for requests to other services.
//
// Publish and PublishRequest must not keep data after they return: the
// service reuses the buffer. A *nats.Conn copies it into its write buffer.
type Conn interface {
	Publish(subject string, data []byte) error
	PublishRequest(subject, reply string, data []byte) error
	ChanSubscribe(subject string, ch chan *nats.Msg) (*nats.Subscription, error)
	ChanQueueSubscribe(subject, queue string, ch chan *nats.Msg) (*nats.Subscription, error)
	Close()
}

var _ Conn = (*nats.Conn)(nil)
