package restest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res"
)

// MockConn is an in-memory res.Conn: a stand-in for a NATS connection that
// needs no server. A Session serves a service over one; use it directly to
// drive a service without a Session.
//
// Messages are delivered in the order they are published, on the
// publishing goroutine: when Publish or a request method returns, the
// message is in the subscriber's channel. A message a service publishes
// to the reply subject of a request made through the MockConn goes to
// that request; every other message it publishes is kept, in order, for
// NextMsg.
type MockConn struct {
	closed chan struct{}

	mu sync.Mutex
	// Protected by mu.
	isClosed bool
	subs     []*mockSub
	pending  map[string]chan *Msg // by reply inbox
	msgs     []*Msg               // published, not yet taken by NextMsg
	notify   chan struct{}        // closed and replaced when msgs grows
}

type mockSub struct {
	subject string
	queue   string
	ch      chan *nats.Msg
}

// Subscription is a subscription made on a MockConn.
type Subscription struct {
	Subject string
	Queue   string // empty for no queue group
}

var _ res.Conn = (*MockConn)(nil)

// NewMockConn returns an open MockConn with no subscriptions.
func NewMockConn() *MockConn {
	return &MockConn{
		closed:  make(chan struct{}),
		pending: make(map[string]chan *Msg),
		notify:  make(chan struct{}),
	}
}

// Publish publishes data on subject.
func (c *MockConn) Publish(subject string, data []byte) error {
	return c.PublishRequest(subject, "", data)
}

// PublishRequest publishes data on subject with a reply subject.
func (c *MockConn) PublishRequest(subject, reply string, data []byte) error {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return nats.ErrConnectionClosed
	}
	msg := &Msg{Subject: subject, Payload: slices.Clone(data)}
	if ch, ok := c.pending[subject]; ok {
		c.mu.Unlock()
		select {
		case ch <- msg:
		default: // more replies than anyone waits for
		}
		return nil
	}
	c.msgs = append(c.msgs, msg)
	close(c.notify)
	c.notify = make(chan struct{})
	c.mu.Unlock()
	c.deliver(subject, reply, data)
	return nil
}

// ChanSubscribe subscribes ch to subject, which may hold wildcards.
func (c *MockConn) ChanSubscribe(subject string, ch chan *nats.Msg) (*nats.Subscription, error) {
	return c.ChanQueueSubscribe(subject, "", ch)
}

// ChanQueueSubscribe subscribes ch to subject in a queue group: of the
// subscriptions with the same queue group that match a message, only the
// first made gets it.
func (c *MockConn) ChanQueueSubscribe(subject, queue string, ch chan *nats.Msg) (*nats.Subscription, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return nil, nats.ErrConnectionClosed
	}
	c.subs = append(c.subs, &mockSub{subject: subject, queue: queue, ch: ch})
	return &nats.Subscription{Subject: subject, Queue: queue}, nil
}

// Close closes the connection. Later calls to Publish fail, and pending
// deliveries are dropped.
func (c *MockConn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.isClosed {
		c.isClosed = true
		close(c.closed)
	}
}

// Subscriptions returns the subscriptions made so far, in order.
func (c *MockConn) Subscriptions() []Subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Subscription, len(c.subs))
	for i, s := range c.subs {
		out[i] = Subscription{Subject: s.subject, Queue: s.queue}
	}
	return out
}

// Request sends a request with data on subject to the subscribers, and
// returns a channel that gets the messages published to its reply
// subject. It returns nil if no subscription matches subject.
func (c *MockConn) Request(subject string, data []byte) <-chan *Msg {
	inbox := nats.NewInbox()
	ch := make(chan *Msg, 16)
	c.mu.Lock()
	c.pending[inbox] = ch
	c.mu.Unlock()
	if !c.deliver(subject, inbox, data) {
		c.mu.Lock()
		delete(c.pending, inbox)
		c.mu.Unlock()
		return nil
	}
	return ch
}

// NextMsg returns the oldest published message not yet returned, and
// whether there was one, without waiting.
func (c *MockConn) NextMsg() (*Msg, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) == 0 {
		return nil, false
	}
	m := c.msgs[0]
	c.msgs[0] = nil
	c.msgs = c.msgs[1:]
	return m, true
}

// WaitMsg returns the oldest published message not yet returned, waiting
// for one until ctx is done.
func (c *MockConn) WaitMsg(ctx context.Context) (*Msg, error) {
	for {
		ch := c.waitMsg()
		if ch == nil {
			if m, ok := c.NextMsg(); ok {
				return m, nil
			}
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// waitMsg returns a channel closed when a message is published, or nil if
// one is already waiting.
func (c *MockConn) waitMsg() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) > 0 {
		return nil
	}
	return c.notify
}

// deliver sends a message to the matching subscriptions and reports
// whether there was one.
func (c *MockConn) deliver(subject, reply string, data []byte) bool {
	c.mu.Lock()
	var targets []chan *nats.Msg
	queues := map[string]bool{}
	for _, s := range c.subs {
		if !subjectMatch(s.subject, subject) {
			continue
		}
		if s.queue != "" {
			if queues[s.queue] {
				continue
			}
			queues[s.queue] = true
		}
		targets = append(targets, s.ch)
	}
	c.mu.Unlock()
	for _, ch := range targets {
		m := &nats.Msg{Subject: subject, Reply: reply, Data: slices.Clone(data)}
		select {
		case ch <- m:
		case <-c.closed:
			return len(targets) > 0
		}
	}
	return len(targets) > 0
}

// subjectMatch reports whether the subject subj matches the subscription
// subject pattern, with NATS wildcards '*' and '>'.
func subjectMatch(pattern, subj string) bool {
	pt, st := strings.Split(pattern, "."), strings.Split(subj, ".")
	for i, t := range pt {
		if t == ">" {
			return len(st) > i
		}
		if i >= len(st) || (t != "*" && t != st[i]) {
			return false
		}
	}
	return len(pt) == len(st)
}
