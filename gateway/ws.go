package gateway

import (
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
	t := newWSTransport(&g.cfg, g.writers)
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
	t.readLoop(c)
	t.end()
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
