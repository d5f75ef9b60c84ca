// Package mq is the gateway's link to NATS: subscriptions and requests whose
// messages and replies are all handled by one goroutine, in the order NATS
// delivered them.
//
// That order matters to the RES protocol: a service sends the events of a
// resource and its replies about that resource in order, so an event that
// arrives before a get reply is already part of that reply. Every
// subscription of a Client, the inbox of its requests included, feeds one
// channel, and one dispatcher goroutine calls the handlers and request
// callbacks from it. Handlers and callbacks must therefore not block.
package mq

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/resprot"
)

// MaxControlLine is the longest control line (PUB subject reply size) a
// NATS server accepts by default. A longer request fails with
// system.subjectTooLong instead of making the server close the connection.
const MaxControlLine = 4096

// Handler handles a message received on a subscription.
type Handler = func(subject string, data []byte)

// Callback receives the reply to a request, or the error that ended it:
// system.timeout, system.notFound when no service listens on the subject, or
// system.serviceUnavailable when NATS is not connected. It is called exactly
// once.
type Callback = func(data []byte, err error)

// Options configures a Client.
type Options struct {
	// Timeout is the default request timeout. Default: 3s.
	Timeout time.Duration
	// BufferSize is the number of messages that may wait for the
	// dispatcher. When it overflows NATS drops messages and OnSlowConsumer
	// is called. Default: 8192.
	BufferSize int
	// Logger receives trace logs of traffic. Default: slog.Default().
	Logger *slog.Logger
	// Observe, when set, is called once for every request when it ends:
	// with the reply and the time it took, or with the error that ended
	// it, including a request that could not be sent. It is called before
	// the request's callback, on the goroutine that calls it, and must not
	// block.
	Observe func(subject string, d time.Duration, reply []byte, err error)
}

// Client wraps a NATS connection. It is safe for concurrent use.
type Client struct {
	nc      *nats.Conn
	log     *slog.Logger
	timeout time.Duration
	observe func(subject string, d time.Duration, reply []byte, err error)
	ch      chan *nats.Msg
	inbox   string // prefix of reply subjects: "_INBOX.<nuid>."
	done    chan struct{}
	stopped chan struct{}

	// mu protects the fields below.
	mu       sync.Mutex
	handlers map[*nats.Subscription]Handler
	reqs     map[string]*request
	nextID   uint64
	inboxSub *nats.Subscription
	closed   bool
}

type request struct {
	subject string
	cb      Callback
	timer   *time.Timer
	start   time.Time
}

// end calls the request's callback, after telling Observe.
func (c *Client) end(r *request, data []byte, err error) {
	if c.observe != nil {
		c.observe(r.subject, time.Since(r.start), data, err)
	}
	r.cb(data, err)
}

// fail tells Observe about a request that could not be sent.
func (c *Client) fail(subject string, err error) error {
	if c.observe != nil {
		c.observe(subject, 0, nil, err)
	}
	return err
}

// LevelTrace is the slog level of the traffic logs.
const LevelTrace = slog.LevelDebug - 4

// New starts a Client on nc. The caller keeps owning nc (and closes it after
// Close).
func New(nc *nats.Conn, opts Options) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.BufferSize <= 0 {
		opts.BufferSize = 8192
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Client{
		nc:       nc,
		log:      opts.Logger,
		timeout:  opts.Timeout,
		observe:  opts.Observe,
		ch:       make(chan *nats.Msg, opts.BufferSize),
		inbox:    nc.NewRespInbox(),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
		handlers: make(map[*nats.Subscription]Handler),
		reqs:     make(map[string]*request),
	}
	// NewRespInbox returns "_INBOX.<prefix>.<token>"; keep the prefix only.
	c.inbox = c.inbox[:strings.LastIndexByte(c.inbox, '.')+1]
	sub, err := nc.ChanSubscribe(c.inbox+"*", c.ch)
	if err != nil {
		return nil, err
	}
	c.inboxSub = sub
	go c.dispatch()
	return c, nil
}

// Close stops the dispatcher and fails the requests still waiting with
// system.serviceUnavailable. Handlers and callbacks are never called after
// Close returns.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.stopped
		return
	}
	c.closed = true
	for s := range c.handlers {
		_ = s.Unsubscribe()
	}
	_ = c.inboxSub.Unsubscribe()
	reqs := c.reqs
	c.reqs = map[string]*request{}
	c.mu.Unlock()
	close(c.done)
	<-c.stopped
	for _, r := range reqs {
		r.timer.Stop()
		c.end(r, nil, resprot.ErrServiceUnavailable)
	}
}

// FailPending ends every request waiting for a reply with err. A gateway
// calls it when the NATS connection drops, since replies sent meanwhile are
// lost.
func (c *Client) FailPending(err error) {
	c.mu.Lock()
	reqs := c.reqs
	c.reqs = make(map[string]*request)
	c.mu.Unlock()
	for _, r := range reqs {
		r.timer.Stop()
		c.end(r, nil, err)
	}
}

// Connected reports whether the NATS connection is up.
func (c *Client) Connected() bool {
	return c.nc.IsConnected()
}

// Subscribe subscribes to subject. h is called on the dispatcher goroutine.
// The returned function unsubscribes; it may be called more than once.
func (c *Client) Subscribe(subject string, h Handler) (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("mq: client closed")
	}
	s, err := c.nc.ChanSubscribe(subject, c.ch)
	if err != nil {
		return nil, err
	}
	c.handlers[s] = h
	c.log.Log(context.Background(), LevelTrace, "S=> subscribe", "subject", subject)
	return func() {
		c.mu.Lock()
		_, ok := c.handlers[s]
		delete(c.handlers, s)
		c.mu.Unlock()
		if ok {
			_ = s.Unsubscribe()
			c.log.Log(context.Background(), LevelTrace, "S=> unsubscribe", "subject", subject)
		}
	}, nil
}

// Request sends payload to subject and calls cb with the reply, on the
// dispatcher goroutine (or a timer's goroutine on timeout). A timeout of
// zero uses the client's default. When Request returns an error, cb is
// never called.
func (c *Client) Request(subject string, payload []byte, timeout time.Duration, cb Callback) error {
	if timeout <= 0 {
		timeout = c.timeout
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.fail(subject, resprot.ErrServiceUnavailable)
	}
	c.nextID++
	reply := c.inbox + strconv.FormatUint(c.nextID, 36)
	// PUB <subject> <reply> <size>\r\n
	if len("PUB ")+len(subject)+1+len(reply)+1+len(strconv.Itoa(len(payload)))+2 > MaxControlLine {
		c.mu.Unlock()
		return c.fail(subject, resprot.ErrSubjectTooLong)
	}
	if !c.nc.IsConnected() {
		c.mu.Unlock()
		return c.fail(subject, resprot.ErrServiceUnavailable)
	}
	r := &request{subject: subject, cb: cb, start: time.Now()}
	r.timer = time.AfterFunc(timeout, func() { c.expire(reply) })
	c.reqs[reply] = r
	c.mu.Unlock()
	c.trace("<== request", subject, payload)
	if err := c.nc.PublishRequest(subject, reply, payload); err != nil {
		c.mu.Lock()
		_, ok := c.reqs[reply]
		delete(c.reqs, reply)
		c.mu.Unlock()
		if ok {
			r.timer.Stop()
			c.log.Debug("mq: publish failed", "subject", subject, "error", err)
			return c.fail(subject, resprot.ErrServiceUnavailable)
		}
		// The timer won the race and already called cb.
	}
	return nil
}

func (c *Client) expire(reply string) {
	c.mu.Lock()
	r, ok := c.reqs[reply]
	delete(c.reqs, reply)
	c.mu.Unlock()
	if ok {
		c.log.Log(context.Background(), LevelTrace, "x== timeout", "subject", r.subject)
		c.end(r, nil, resprot.ErrTimeout)
	}
}

func (c *Client) dispatch() {
	defer close(c.stopped)
	for {
		select {
		case <-c.done:
			return
		case m := <-c.ch:
			if strings.HasPrefix(m.Subject, c.inbox) {
				c.reply(m)
				continue
			}
			c.mu.Lock()
			h := c.handlers[m.Sub]
			c.mu.Unlock()
			if h != nil {
				c.trace("=>> event", m.Subject, m.Data)
				h(m.Subject, m.Data)
			}
		}
	}
}

func (c *Client) reply(m *nats.Msg) {
	c.mu.Lock()
	r, ok := c.reqs[m.Subject]
	if !ok {
		c.mu.Unlock()
		return
	}
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		delete(c.reqs, m.Subject)
		c.mu.Unlock()
		r.timer.Stop()
		c.log.Log(context.Background(), LevelTrace, "==> no responders", "subject", r.subject)
		c.end(r, nil, resprot.ErrNotFound)
		return
	}
	if d, ok := resprot.ParsePreResponse(m.Data); ok {
		// A pre-response: restart the timer with the new timeout.
		if d > 0 {
			r.timer.Reset(d)
		}
		c.mu.Unlock()
		c.trace("==> pre-response", r.subject, m.Data)
		return
	}
	delete(c.reqs, m.Subject)
	c.mu.Unlock()
	r.timer.Stop()
	c.trace("==> response", r.subject, m.Data)
	c.end(r, m.Data, nil)
}

// trace logs a message and its payload at LevelTrace. It checks the level
// first: the arguments of a log call are built before the logger can drop
// it, which would copy every payload even with tracing off.
func (c *Client) trace(msg, subject string, payload []byte) {
	ctx := context.Background()
	if c.log.Enabled(ctx, LevelTrace) {
		c.log.Log(ctx, LevelTrace, msg, "subject", subject, "payload", string(payload))
	}
}
