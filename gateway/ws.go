package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/reskit/res/resprot"
)

// closeGrace is how long a closing connection waits for the client's close
// frame.
const closeGrace = 2 * time.Second

// wsReadBuffer is the size of a WebSocket connection's read buffer, which
// it holds for its whole life. Client requests are small; a larger message
// is read straight into the buffer it is returned in.
const wsReadBuffer = 512

// wsWriteBuffers holds the write buffers of gorilla/websocket, for the
// messages it writes itself (compressed ones, and control frames): a
// connection takes one only while it writes.
var wsWriteBuffers sync.Pool

// wsHandler serves the WebSocket endpoint.
type wsHandler struct {
	g *Gateway

	once     sync.Once
	upgrader websocket.Upgrader
}

func (h *wsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := h.g
	h.once.Do(func() {
		h.upgrader = websocket.Upgrader{
			EnableCompression: g.cfg.WSCompression,
			CheckOrigin:       g.originAllowed,
			// Not net/http's buffers of the upgraded connection, which
			// gorilla keeps by default: 8 KiB per idle connection.
			ReadBufferSize:  wsReadBuffer,
			WriteBufferPool: &wsWriteBuffers,
		}
	})
	if !websocket.IsWebSocketUpgrade(r) {
		writeHTTPError(w, http.StatusBadRequest, &resprot.Error{Code: resprot.CodeBadRequest, Message: "Bad request: not a WebSocket upgrade"})
		return
	}
	c := newConn(g, r)
	t := &wsTransport{
		wake:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		killed:  make(chan struct{}),
		cfg:     &g.cfg,
	}
	if !c.start(t) {
		writeHTTPError(w, http.StatusServiceUnavailable, resprot.ErrServiceUnavailable)
		return
	}
	var header http.Header
	if m := g.cfg.WSHeaderAuth; m != "" && g.originAllowed(r) {
		var ok bool
		if header, ok = c.headerAuth(w, m); !ok {
			c.stop()
			<-c.w.done
			return
		}
	}
	ws, err := h.upgrader.Upgrade(w, r, header)
	if err != nil {
		// The upgrader has answered the client.
		c.log.Debug("gateway: websocket upgrade failed", "error", err)
		c.stop()
		<-c.w.done
		return
	}
	c.log.Debug("gateway: client connected", "remoteAddr", r.RemoteAddr)
	// Serve the connection on a goroutine of its own and return, so that
	// net/http drops what it holds for the request: the request itself,
	// its context and the connection's buffers. c holds a count in g.wg
	// until its cleanup; the goroutine takes one more.
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		h.serveWS(c, t, ws)
	}()
}

// serveWS serves an upgraded connection until it ends.
func (h *wsHandler) serveWS(c *conn, t *wsTransport, ws *websocket.Conn) {
	g := h.g
	g.metrics.wsConns.Inc()
	g.metrics.wsConnsTotal.Inc()
	defer g.metrics.wsConns.Dec()
	t.setWS(ws)
	writerDone := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		t.writeLoop(readDone)
	}()
	t.readLoop(c)
	close(readDone)
	<-writerDone
	_ = ws.Close()
	c.stop()
	<-c.w.done
	c.log.Debug("gateway: client disconnected")
}

// headerAuth sends the WSHeaderAuth auth request with the headers of the
// upgrade request. It returns the headers the service set for the upgrade
// response, or false when the service's meta status answered the client
// instead.
func (c *conn) headerAuth(w http.ResponseWriter, method string) (http.Header, bool) {
	i := strings.LastIndexByte(method, '.')
	type reply struct {
		data []byte
		err  error
	}
	ch := make(chan reply, 1)
	payload := c.authPayload(nil, nil, "", true)
	err := c.g.mq.Request("auth."+method, payload, 0, func(data []byte, err error) {
		ch <- reply{data, err}
	})
	if err != nil {
		c.log.Error("gateway: ws header auth", "method", method[:i], "error", err)
		return nil, true
	}
	rep := <-ch
	if rep.err != nil {
		return nil, true
	}
	var r resprot.Response
	if json.Unmarshal(rep.data, &r) != nil || r.Meta == nil {
		return nil, true
	}
	header := metaHeader(r.Meta.Header)
	switch st := r.Meta.Status; {
	case st >= 300 && st < 400:
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(st)
		return nil, false
	case st >= 400 && st < 600:
		for k, v := range header {
			w.Header()[k] = v
		}
		e := r.Error
		if e == nil {
			e = statusError(st)
		}
		writeHTTPError(w, st, e)
		return nil, false
	case st != 0:
		c.log.Warn("gateway: ignoring meta status", "status", st)
	}
	return header, true
}

// metaHeader returns the headers of a response's meta that a service may
// set, with canonical keys.
func metaHeader(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		k = http.CanonicalHeaderKey(k)
		switch k {
		case "Content-Type", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
			"Sec-Websocket-Protocol", "Sec-Websocket-Extensions", "Sec-Websocket-Accept",
			"Upgrade", "Connection":
			continue
		}
		out[k] = append(out[k], v...)
	}
	return out
}

// statusError returns the RES error that matches an HTTP error status.
func statusError(st int) *resprot.Error {
	switch st {
	case 401, 402, 407:
		return resprot.ErrAccessDenied
	case 403, 451:
		return resprot.ErrForbidden
	case 404, 410:
		return resprot.ErrNotFound
	case 405:
		return resprot.ErrMethodNotAllowed
	case 408, 504:
		return resprot.ErrTimeout
	case 501:
		return resprot.ErrNotImplemented
	case 503:
		return resprot.ErrServiceUnavailable
	}
	if st < 500 {
		return resprot.ErrBadRequest
	}
	return resprot.ErrInternalError
}

// wsTransport writes a connection's messages to its WebSocket. Messages
// wait in out, a queue bounded by Config.WSSendQueue and drained by the one
// writer goroutine (writeLoop); a client whose queue overflows is
// disconnected. The queue is a slice rather than a buffered channel so
// that an idle connection does not hold WSSendQueue empty slots.
type wsTransport struct {
	cfg     *Config
	wake    chan struct{} // signals that out is not empty
	closing chan struct{} // closed by close
	killed  chan struct{} // closed by kill

	outMu   sync.Mutex // protects out and pending
	out     [][]byte
	pending int // messages in out or in the batch being written

	mu        sync.Mutex // protects the fields below
	ws        *websocket.Conn
	closeCode int
	isClosing bool
	isKilled  bool
}

func (t *wsTransport) setWS(ws *websocket.Conn) {
	t.mu.Lock()
	t.ws = ws
	killed := t.isKilled
	t.mu.Unlock()
	if killed {
		_ = ws.NetConn().Close()
	}
}

func (t *wsTransport) send(msg []byte) bool {
	t.outMu.Lock()
	if t.pending >= t.cfg.WSSendQueue {
		t.outMu.Unlock()
		t.kill()
		return false
	}
	t.pending++
	t.out = append(t.out, msg)
	t.outMu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return true
}

// take is called by the writer with the batch it has written, and returns
// the next one: the queued messages. The written batch, emptied, becomes
// the new queue, so that the writer and the senders swap two slices.
func (t *wsTransport) take(written [][]byte) [][]byte {
	n := len(written)
	clear(written)
	if cap(written) > 64 {
		written = nil // do not keep the memory of a burst
	}
	t.outMu.Lock()
	t.pending -= n
	q := t.out
	t.out = written[:0]
	t.outMu.Unlock()
	return q
}

func (t *wsTransport) close(code int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.isClosing {
		return
	}
	t.isClosing = true
	t.closeCode = code
	close(t.closing)
}

func (t *wsTransport) kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.isKilled {
		return
	}
	t.isKilled = true
	close(t.killed)
	if t.ws != nil {
		_ = t.ws.NetConn().Close()
	}
}

// readLoop reads the client's messages and queues them on c's worker, until
// the connection fails or closes.
func (t *wsTransport) readLoop(c *conn) {
	ws := t.ws
	wait := 2 * t.cfg.WSPingInterval
	ws.SetReadLimit(t.cfg.WSReadLimit)
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	ws.SetPongHandler(func(string) error {
		return ws.SetReadDeadline(time.Now().Add(wait))
	})
	trace := c.log.Enabled(context.Background(), LevelTrace)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				c.log.Debug("gateway: websocket read", "error", err)
			}
			return
		}
		_ = ws.SetReadDeadline(time.Now().Add(wait))
		if trace {
			c.log.Log(context.Background(), LevelTrace, "--> ws", "msg", string(data))
		}
		if !c.clientMessage(data, t.killed) {
			return
		}
	}
}

// writeLoop writes queued messages and pings until the reader is done or
// the connection is closed or killed.
func (t *wsTransport) writeLoop(readDone <-chan struct{}) {
	ws := t.ws
	ping := time.NewTicker(t.cfg.WSPingInterval)
	defer ping.Stop()
	deadline := func() time.Time { return time.Now().Add(t.cfg.WSWriteTimeout) }
	var batch [][]byte
	for {
		select {
		case <-t.wake:
			batch = t.take(batch)
			for _, msg := range batch {
				_ = ws.SetWriteDeadline(deadline())
				if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
					_ = ws.NetConn().Close()
					return
				}
			}
		case <-ping.C:
			if err := ws.WriteControl(websocket.PingMessage, nil, deadline()); err != nil {
				_ = ws.NetConn().Close()
				return
			}
		case <-t.closing:
			t.mu.Lock()
			code := t.closeCode
			t.mu.Unlock()
			// Flush what is queued, then say goodbye and give the client a
			// moment to answer.
			for _, msg := range t.take(batch) {
				_ = ws.SetWriteDeadline(deadline())
				if ws.WriteMessage(websocket.TextMessage, msg) != nil {
					break
				}
			}
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), deadline())
			_ = ws.SetReadDeadline(time.Now().Add(closeGrace))
			return
		case <-t.killed:
			return
		case <-readDone:
			return
		}
	}
}
