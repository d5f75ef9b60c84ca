// Package cache holds the resources that a gateway has fetched from
// services, one copy of each shared by all client connections, and keeps
// them up to date by applying the resource events that services send.
//
// The cache knows NATS only through the Broker interface and knows nothing
// of clients: a client connection subscribes a Subscriber to a resource ID
// and gets the resource once it is loaded, then every event applied to it,
// in order. Access control, resource references and the client protocol are
// the connection's business.
//
// # Concurrency
//
// All resources with the same resource name (a base resource and its query
// variants) share one eventSub, whose mutex guards them. The Broker calls
// the cache's handlers from one goroutine in the order NATS delivered the
// messages, so each eventSub applies events and get replies in the order the
// service sent them. Lock order: Cache.mu, then eventSub.mu, then the
// throttle's mutex. Subscriber methods are called with eventSub.mu held:
// they must return quickly and must not call back into the cache (a client
// connection hands them to its own goroutine).
package cache

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reskit/res/resprot"
)

// Broker is the cache's link to the services.
//
// Subscribe and Request must call their handlers and callbacks from one
// goroutine, in the order the messages arrived, so that the events of a
// resource and the replies to requests about it are seen in the order the
// service sent them. Request returns an error, and never calls cb, when the
// request could not be sent.
type Broker interface {
	Subscribe(subject string, h func(subject string, data []byte)) (unsubscribe func(), err error)
	Request(subject string, payload []byte, timeout time.Duration, cb func(data []byte, err error)) error
}

// Subscriber receives a resource and its events. Its methods are called
// with the cache's lock for the resource held: they must not block and must
// not call the cache.
type Subscriber interface {
	// Loaded is called once, with the resource or with the error that
	// prevented loading it. After an error no other method is called.
	Loaded(s Snapshot, err error)
	// Event is called for each event applied to the resource after the
	// snapshot given to Loaded, in order.
	Event(ev *Event)
	// Reaccess is called when the service sent a reaccess event for the
	// resource name: access granted earlier must be checked again.
	Reaccess()
}

// Event is an event applied to a cached resource, as clients are to see it.
type Event struct {
	// Name is the event name: "change", "add", "remove", "delete", or the
	// name of a custom event.
	Name string
	// Values holds the properties a change event changed, with delete
	// actions for removed properties. Unchanged properties are left out.
	Values map[string]resprot.Value
	// Idx is the index of an add or remove event.
	Idx int
	// Value is the value an add event inserted.
	Value resprot.Value
	// Data is the payload of a custom event as the service sent it, or nil
	// when it had none.
	Data json.RawMessage
	// Snapshot is the resource after the event.
	Snapshot Snapshot

	// encMu protects enc, the encodings made by Encoded.
	encMu sync.Mutex
	enc   map[string][]byte
}

// Encoded returns the encoding of the event stored under key, calling
// encode to make it the first time, so that the subscribers the event is
// delivered to can encode it once for all of them: encode must return the
// same bytes for the same key. It is safe for concurrent use.
func (ev *Event) Encoded(key string, encode func() []byte) []byte {
	ev.encMu.Lock()
	defer ev.encMu.Unlock()
	if b, ok := ev.enc[key]; ok {
		return b
	}
	b := encode()
	if ev.enc == nil {
		ev.enc = make(map[string][]byte, 1)
	}
	ev.enc[key] = b
	return b
}

// Options configures a Cache.
type Options struct {
	// Broker sends requests to services and receives their events.
	// Required.
	Broker Broker
	// Logger receives errors in what services send. Default: slog.Default().
	Logger *slog.Logger
	// UnsubscribeDelay is how long a resource with no subscribers stays
	// cached. Default: 5s. A negative value evicts it at once.
	UnsubscribeDelay time.Duration
	// ResetThrottle limits the requests in flight caused by resets: their
	// get requests, and those sent with ResetRequest. Zero means no limit.
	ResetThrottle int
}

// Cache holds resources shared by all connections of a gateway. It is safe
// for concurrent use.
type Cache struct {
	broker Broker
	log    *slog.Logger
	delay  time.Duration
	reset  *throttle

	// Counters for Stats.
	hits, misses, events atomic.Int64

	// mu protects the fields below.
	mu     sync.Mutex
	names  map[string]*eventSub
	closed bool
}

// New returns a Cache.
func New(opts Options) *Cache {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	switch {
	case opts.UnsubscribeDelay == 0:
		opts.UnsubscribeDelay = 5 * time.Second
	case opts.UnsubscribeDelay < 0:
		opts.UnsubscribeDelay = 0
	}
	return &Cache{
		broker: opts.Broker,
		log:    opts.Logger,
		delay:  opts.UnsubscribeDelay,
		reset:  newThrottle(opts.ResetThrottle),
		names:  make(map[string]*eventSub),
	}
}

// Close unsubscribes from all events and stops the eviction timers. Pending
// requests still call back, but their replies are ignored.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for name, es := range c.names {
		es.mu.Lock()
		es.kill()
		es.mu.Unlock()
		delete(c.names, name)
	}
}

// Len returns the number of cached resources.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, es := range c.names {
		es.mu.Lock()
		n += len(es.resources())
		es.mu.Unlock()
	}
	return n
}

// Subscriptions returns the number of open subscriptions (Handles) to
// cached resources.
func (c *Cache) Subscriptions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, es := range c.names {
		es.mu.Lock()
		n += es.count
		es.mu.Unlock()
	}
	return n
}

// Stats are counters of what the cache did since it was made.
type Stats struct {
	// Hits counts subscriptions to a resource that was cached or already
	// being fetched; Misses counts those that sent a get request.
	Hits, Misses int64
	// Events counts the events services sent for cached resources.
	Events int64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Events: c.events.Load()}
}

// ErrClosed is the error given to subscribers of a closed Cache.
var ErrClosed = errors.New("cache: closed")

// Subscribe subscribes s to the resource rid, fetching it from its service
// unless it is cached or already being fetched: one get request is in
// flight per resource whatever the number of subscribers. s.Loaded is
// called once the resource is loaded, possibly before Subscribe returns.
// Close the returned Handle when s no longer needs the resource.
func (c *Cache) Subscribe(rid string, s Subscriber) *Handle {
	name, query := resprot.SplitRID(rid)
	h := &Handle{sub: s}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		h.closed = true
		s.Loaded(Snapshot{}, ErrClosed)
		return h
	}
	es := c.names[name]
	if es == nil {
		es = &eventSub{c: c, name: name, links: make(map[string]*resource)}
		unsub, err := c.broker.Subscribe("event."+name+".*", es.onMessage)
		if err != nil {
			c.mu.Unlock()
			h.closed = true
			s.Loaded(Snapshot{}, resprot.ToError(err))
			return h
		}
		es.unsub = unsub
		c.names[name] = es
	}
	es.mu.Lock()
	c.mu.Unlock()
	defer es.mu.Unlock()
	h.es = es
	es.count++
	r := es.lookup(query)
	if r != nil {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
		r = &resource{rawQuery: query, handles: make(map[*Handle]struct{})}
		payload := []byte(`{}`)
		if query != "" {
			payload, _ = json.Marshal(resprot.Request{Query: query})
		}
		err := c.broker.Request("get."+name, payload, 0, func(data []byte, err error) {
			es.loaded(r, data, err)
		})
		if err != nil {
			s.Loaded(Snapshot{}, resprot.ToError(err))
			return h
		}
		if query == "" {
			es.base = r
		} else {
			es.links[query] = r
		}
	}
	h.r = r
	r.handles[h] = struct{}{}
	if r.state == stateLoaded {
		s.Loaded(r.snap, nil)
	}
	return h
}

// Reset fetches again every cached resource whose name matches one of
// the patterns, and turns the difference between the cached and the new
// value into events: a change event for a model, remove and add events for
// a collection, a delete event when the service answers system.notFound.
func (c *Cache) Reset(patterns []string) {
	var valid []string
	for _, p := range patterns {
		if validPattern(p) {
			valid = append(valid, p)
		} else {
			c.log.Error("cache: invalid resource pattern in reset", "pattern", p)
		}
	}
	if len(valid) == 0 {
		return
	}
	c.mu.Lock()
	var list []*eventSub
	for name, es := range c.names {
		for _, p := range valid {
			if MatchPattern(p, name) {
				list = append(list, es)
				break
			}
		}
	}
	c.mu.Unlock()
	for _, es := range list {
		es.mu.Lock()
		for _, r := range es.resources() {
			if r.state == stateLoaded {
				es.refetch(r)
			}
		}
		es.mu.Unlock()
	}
}

// ResetRequest sends a request that a reset causes outside the cache,
// such as a connection's access request after a system.reset with access
// patterns, under the same limit as the get requests of resets
// (Options.ResetThrottle). cb is called once, on the broker's goroutine.
func (c *Cache) ResetRequest(subject string, payload []byte, cb func(data []byte, err error)) {
	c.reset.do(func(done func()) {
		err := c.broker.Request(subject, payload, 0, func(data []byte, err error) {
			done()
			cb(data, err)
		})
		if err != nil {
			done()
			cb(nil, err)
		}
	})
}

// ResetAll fetches every cached resource again, as Reset does. A gateway
// calls it after its NATS connection came back, since events may have been
// lost meanwhile.
func (c *Cache) ResetAll() {
	c.Reset([]string{">"})
}

// Handle is a subscription to a cached resource.
type Handle struct {
	sub Subscriber
	// The fields below are protected by es.mu.
	es     *eventSub
	r      *resource
	closed bool
}

// Close ends the subscription. It is safe to call more than once. The
// resource stays cached for the cache's unsubscribe delay after its last
// subscription closed.
func (h *Handle) Close() {
	es := h.es
	if es == nil {
		return
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	if h.r != nil {
		delete(h.r.handles, h)
		if len(h.r.handles) == 0 {
			h.r.idleSince = time.Now()
		}
		h.r = nil
	}
	es.count--
	es.scheduleSweep()
}

type state byte

const (
	stateLoading state = iota
	stateLoaded
	stateDeleted
)

// resource is one cached resource: a base resource or a query variant.
// Protected by its eventSub's mu.
type resource struct {
	rawQuery  string // the query of the get request that loads it
	query     string // the normalized query, "" for a base resource
	state     state
	snap      Snapshot
	handles   map[*Handle]struct{}
	idleSince time.Time // when the last handle closed
}

// throttle runs at most n jobs at a time; n <= 0 means no limit.
type throttle struct {
	n       int
	mu      sync.Mutex
	running int
	queue   []func(done func())
}

func newThrottle(n int) *throttle { return &throttle{n: n} }

// do runs job now or once a running job is done. job must call done
// exactly once, and may do so before returning.
func (t *throttle) do(job func(done func())) {
	if t.n <= 0 {
		job(func() {})
		return
	}
	t.mu.Lock()
	if t.running >= t.n {
		t.queue = append(t.queue, job)
		t.mu.Unlock()
		return
	}
	t.running++
	t.mu.Unlock()
	job(t.done)
}

func (t *throttle) done() {
	t.mu.Lock()
	if len(t.queue) == 0 {
		t.running--
		t.mu.Unlock()
		return
	}
	job := t.queue[0]
	t.queue = t.queue[1:]
	t.mu.Unlock()
	job(t.done)
}

// decodeResult decodes a service's response into its result, or returns
// the error the response holds.
func decodeResult(data []byte) (json.RawMessage, error) {
	r, err := resprot.ParseResponse(data)
	if err != nil {
		return nil, err
	}
	if r.Error != nil {
		return nil, r.Error
	}
	if r.Result == nil {
		return nil, resprot.InternalError(errors.New("response missing result"))
	}
	return r.Result, nil
}

// eventName returns the event name of subject "event.<name>.<event>".
func eventName(subject string) string {
	return subject[strings.LastIndexByte(subject, '.')+1:]
}
