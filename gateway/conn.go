package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/resprot"
)

// transport carries a connection's messages to its client.
type transport interface {
	// send queues msg for the client. It must not block; it returns false
	// when the client is too slow and was disconnected.
	send(msg []byte) bool
	// close ends the connection politely, with a close frame.
	close(code int)
	// kill ends the connection at once.
	kill()
}

// directSender is a transport that can write a message on the calling
// goroutine.
type directSender interface {
	// sendNow is send, except that it may write msg before it returns,
	// blocking up to the write timeout, when nothing else is being
	// written. Only the connection's reader calls it.
	sendNow(msg []byte) bool
}

// WebSocket close codes used by the gateway.
const (
	closeGoingAway = 1001
	closePolicy    = 1008
)

// conn is one client connection and everything the gateway knows about it:
// its token, protocol version, subscriptions and cached access.
//
// All of that state is owned by the connection's worker (see worker):
// requests from the client, replies from services, cache events and NATS
// events are queued with do and handled one at a time, in order, by one
// goroutine at a time, so none of them needs a lock. The worker has a
// goroutine only while it has work. Nothing the worker runs blocks:
// service requests are sent with callbacks that queue the reply, and
// output goes to the transport's bounded queue.
type conn struct {
	g   *Gateway
	cid string
	log *slog.Logger
	t   transport

	// From the HTTP request that opened the connection; read-only.
	header     http.Header
	host       string
	remoteAddr string
	uri        string

	// slots bounds the client's requests in progress: the reader takes a
	// slot for each message and the worker frees it with the reply, so a
	// client that floods requests is no longer read from until replies go
	// out.
	slots chan struct{}

	w *worker // runs the work below; w.done is closed after cleanup

	// Owned by the worker.
	inline   bool // the reader runs the work: it may write to the client itself
	protocol int  // client protocol version, as major*1e6 + minor*1e3 + patch
	token    json.RawMessage
	tid      string
	subs     map[string]*sub
	nDirect  int // direct subscriptions, summed over subs
	access   map[string]*accessEntry
	ops      []*op
	refLoad  int    // reference gets in flight, for ReferenceThrottle
	refQueue []*sub // references waiting for the throttle
}

// maxRequests is the most requests one client may have in progress.
const maxRequests = 256

// Protocol versions the gateway distinguishes.
const (
	protoLegacy = 1001001 // assumed until the client sends a version request
	proto1_2_0  = 1002000
	proto1_2_1  = 1002001
	protoMine   = 1002003
)

func newCID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// newConn returns a connection for the client that made request r. It is
// registered and running once start returns true.
func newConn(g *Gateway, r *http.Request) *conn {
	c := &conn{
		g:          g,
		cid:        newCID(),
		header:     r.Header.Clone(),
		host:       r.Host,
		remoteAddr: r.RemoteAddr,
		uri:        r.RequestURI,
		slots:      make(chan struct{}, maxRequests),
		protocol:   protoLegacy,
		subs:       make(map[string]*sub),
		access:     make(map[string]*accessEntry),
	}
	c.w = newWorker(c.cleanup)
	return c
}

// start registers c with the gateway, for its token events too. It
// reports false when the gateway is stopping.
func (c *conn) start(t transport) bool {
	c.t = t
	c.log = c.g.log.With("cid", c.cid)
	if !c.g.addConn(c) {
		return false
	}
	c.g.tokens.add(c.cid, c)
	return true
}

// do queues f to run on the worker. It reports false when the connection
// is closed.
func (c *conn) do(f func()) bool { return c.w.do(f) }

// stop makes the worker drop queued work, clean up and close c.w.done.
func (c *conn) stop() { c.w.stop() }

// cleanup releases everything the connection holds. The worker runs it
// last.
func (c *conn) cleanup() {
	c.g.tokens.remove(c.cid)
	for _, s := range c.subs {
		s.removed = true
		if s.handle != nil {
			s.handle.Close()
		}
	}
	for _, s := range c.refQueue {
		s.removed = true
	}
	c.subs = nil
	c.ops = nil
	c.refQueue = nil
	c.g.removeConn(c)
}

// close ends the connection politely (from any goroutine).
func (c *conn) close(code int) { c.t.close(code) }

// kill ends the connection at once (from any goroutine).
func (c *conn) kill() { c.t.kill() }

// write sends msg to the client.
func (c *conn) write(msg []byte) {
	if c.log.Enabled(context.Background(), LevelTrace) {
		c.log.Log(context.Background(), LevelTrace, "<-- ws", "msg", string(msg))
	}
	send := c.t.send
	if d, ok := c.t.(directSender); ok && c.inline {
		send = d.sendNow
	}
	if !send(msg) {
		c.g.metrics.slowClients.Inc()
		c.log.Warn("gateway: client too slow; disconnected")
	}
}

type clientRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

type clientResponse struct {
	Result any             `json:"result,omitempty"`
	Error  *resprot.Error  `json:"error,omitempty"`
	ID     json.RawMessage `json:"id"`
}

type clientEvent struct {
	Event string `json:"event"`
	Data  any    `json:"data,omitempty"`
}

// clientMessage handles a message from the client, waiting while the
// client has maxRequests requests in progress. It reports false when the
// connection is closing or cancel is closed.
//
// It runs on the connection's reader. When the connection is idle, the
// reader handles the message itself, and writes what it sends meanwhile
// (the reply, when it is ready at once) itself too, as an echo server
// would: no hand-off to the worker's goroutine and back. Otherwise the
// message is queued behind the work in progress.
func (c *conn) clientMessage(data []byte, cancel <-chan struct{}) bool {
	select {
	case c.slots <- struct{}{}:
	case <-cancel:
		return false
	}
	start := time.Now()
	if c.w.claim() {
		c.inline = true
		c.handleMessage(data, start)
		c.inline = false
		c.w.release()
		return true
	}
	return c.do(func() { c.handleMessage(data, start) })
}

// release frees the slot of a handled message.
func (c *conn) release() {
	select {
	case <-c.slots:
	default:
	}
}

// reqID is a client request as its reply needs it: the id the client gave
// it and, for the metrics, its type and when it arrived.
type reqID struct {
	id     json.RawMessage
	start  time.Time
	metric int // index in wsMethods, or -1
}

// reply sends the result of request id; a nil result is left out.
func (c *conn) reply(id reqID, result any) {
	b, err := encodeResponse(result, id.id)
	if err != nil {
		c.replyError(id, resprot.InternalError(err))
		return
	}
	c.release()
	c.g.metrics.wsResponse(id.metric, id.start, "")
	c.write(b)
}

// replyError sends the error of request id.
func (c *conn) replyError(id reqID, err error) {
	c.release()
	e := resprot.ToError(err)
	c.g.metrics.wsResponse(id.metric, id.start, e.Code)
	b, _ := json.Marshal(clientResponse{Error: e, ID: id.id})
	c.write(b)
}

// event sends event name of resource rid to the client.
func (c *conn) event(rid, name string, data any) {
	if b := c.encodeEvent(rid, name, data); b != nil {
		c.g.metrics.wsEvents.Inc()
		c.write(b)
	}
}

// encodeEvent returns the client message of event name of resource rid,
// or nil when data cannot be encoded.
func (c *conn) encodeEvent(rid, name string, data any) []byte {
	b, err := json.Marshal(clientEvent{Event: rid + "." + name, Data: data})
	if err != nil {
		c.log.Error("gateway: encode event", "error", err)
		return nil
	}
	return b
}

// tokenEvent implements tokenTarget: the token is set on the worker,
// queued before the reply to the auth request that may have caused it.
func (c *conn) tokenEvent(ev resprot.TokenEvent) {
	c.do(func() { c.setToken(ev.Token, ev.TID) })
}

// setToken replaces the token. Access granted with the old token is
// forgotten; subscriptions are checked again unless the old token was null.
func (c *conn) setToken(token json.RawMessage, tid string) {
	if resprot.IsNull(token) {
		token = nil
	}
	old := c.token
	c.token, c.tid = token, tid
	for rid := range c.access {
		c.dropAccess(rid)
	}
	if old != nil {
		c.recheckAll(func(string) bool { return true }, false)
	}
}

// resetAccess handles the access patterns of a system.reset event.
func (c *conn) resetAccess(patterns []string) {
	c.do(func() {
		match := func(rid string) bool {
			name, _ := resprot.SplitRID(c.realRID(rid))
			for _, p := range patterns {
				if cache.MatchPattern(p, name) {
					return true
				}
			}
			return false
		}
		for rid := range c.access {
			if match(rid) {
				c.dropAccess(rid)
			}
		}
		c.recheckAll(match, true)
	})
}

// tokenReset sends an auth request to subject if the connection's token ID
// is one of tids.
func (c *conn) tokenReset(tids map[string]bool, subject string) {
	c.do(func() {
		if c.tid == "" || !tids[c.tid] {
			return
		}
		payload := c.authPayload(c.token, nil, "", false)
		err := c.g.mq.Request(subject, payload, 0, func([]byte, error) {})
		if err != nil {
			c.log.Error("gateway: token reset auth request", "subject", subject, "error", err)
		}
	})
}

// realRID returns rid with the {cid} tag replaced by the connection ID.
func (c *conn) realRID(rid string) string {
	return strings.ReplaceAll(rid, "{cid}", c.cid)
}

// tokenJSON returns the token for a request payload: null when none.
func (c *conn) tokenJSON() json.RawMessage {
	if c.token == nil {
		return json.RawMessage("null")
	}
	return c.token
}

// authPayload returns the payload of an auth request made with token.
// Nil params are left out.
func (c *conn) authPayload(token, params json.RawMessage, query string, isHTTP bool) []byte {
	if token == nil {
		token = json.RawMessage("null")
	}
	b, _ := json.Marshal(resprot.Request{
		CID:        c.cid,
		Params:     params,
		Token:      token,
		Header:     c.header,
		Host:       c.host,
		RemoteAddr: c.remoteAddr,
		URI:        c.uri,
		Query:      query,
		IsHTTP:     isHTTP,
	})
	return b
}

// request sends a request to a service; cb runs on the worker with the
// reply.
func (c *conn) request(subject string, payload []byte, cb func(data []byte, err error)) {
	err := c.g.mq.Request(subject, payload, 0, func(data []byte, err error) {
		c.do(func() { cb(data, err) })
	})
	if err != nil {
		cb(nil, err)
	}
}
