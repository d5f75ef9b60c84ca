package gateway

import (
	"context"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// wsTransport carries a connection's messages to its WebSocket.
//
// Messages wait in out, a queue bounded by Config.WSSendQueue; a client
// whose queue overflows is disconnected. The first message queued on an
// idle connection goes to the gateway's writePool, whose goroutines write
// it, and what was queued with it, with one system call that does not
// block. What the socket does not take at once goes to a writer goroutine
// of the connection's own, which exists only while there is something to
// write: it writes until the queue is empty and exits. Writes carry all
// the messages queued at once, as WebSocket frames the transport builds
// itself, except when compression is on, where gorilla/websocket writes
// each message from the writer goroutine. Pings are queued by a timer, so
// an idle connection has no goroutine but its reader.
//
// The reader may write a reply itself when nothing else is being written
// (sendNow). One writer at a time, as gorilla/websocket requires: writing
// is set while a pool goroutine, the writer goroutine or the reader
// writes, and only the one that writes clears it. Pongs and the answer to
// the client's close frame go through that rule too, so that no frame
// starts in the middle of another one that a write left unfinished. The
// one frame gorilla still writes on its own is the close frame that ends
// a connection whose client broke the protocol (a message over the read
// limit, say): the connection ends with it, whatever it cuts into.
type wsTransport struct {
	cfg    *Config
	pool   *writePool
	killed chan struct{} // closed by kill; stops a reader waiting for a request slot
	// raw writes to the socket without blocking, for the pool; nil where
	// the pool is not used (TLS, compression).
	raw syscall.RawConn

	mu        sync.Mutex // protects the fields below
	ws        *websocket.Conn
	out       [][]byte
	pending   int    // messages in out or being written
	writing   bool   // a writer goroutine runs
	ping      bool   // a ping is due
	pong      []byte // the payload of a ping to answer, or nil
	closing   bool   // close was called: write the close frame after out
	closeCode int
	closeSent bool
	isKilled  bool
	ended     bool // the reader has ended: nothing is written any more
	pinger    *time.Timer
	writers   sync.WaitGroup

	// rest is what a pool write left of its frames, for the writer
	// goroutine to write first; restMsgs is how many messages they end.
	rest     []byte
	restMsgs int

	// writeDeadline is the write deadline set on the connection. Only the
	// goroutine that writes (see writing) uses it.
	writeDeadline time.Time
	// hangUp is when a closing connection stops waiting for the client's
	// close frame; zero until the gateway's close frame is sent. Protected
	// by mu.
	hangUp time.Time
}

func newWSTransport(cfg *Config, pool *writePool) *wsTransport {
	return &wsTransport{cfg: cfg, pool: pool, killed: make(chan struct{})}
}

// setWS starts writing to ws what is queued, and pinging.
func (t *wsTransport) setWS(ws *websocket.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ws = ws
	if t.isKilled {
		_ = ws.NetConn().Close()
		return
	}
	if sc, ok := ws.NetConn().(syscall.Conn); ok && canWriteOnce && t.pool != nil && !t.cfg.WSCompression {
		if raw, err := sc.SyscallConn(); err == nil {
			t.raw = raw
		}
	}
	t.pinger = time.AfterFunc(t.cfg.WSPingInterval, t.pingDue)
	t.startWriter()
}

// startWriter starts a writer goroutine when there is something to write
// and none runs. t.mu must be held.
func (t *wsTransport) startWriter() {
	if t.writing || t.ws == nil || t.ended || t.isKilled || t.closeSent {
		return
	}
	if len(t.out) == 0 && !t.ping && t.pong == nil && !t.closing {
		return
	}
	t.writing = true
	t.writers.Add(1)
	if t.raw != nil && !t.ping && t.pong == nil && !t.closing && t.pool.push(t) {
		return
	}
	go t.write()
}

// writeMaxRounds is how many times a pool goroutine writes what a
// connection queued before it leaves the rest to the connection's writer
// goroutine, so that a busy connection does not keep it from the others.
const writeMaxRounds = 4

// writeNow runs on a goroutine of the pool. It writes what is queued, in
// one system call that does not block, and hands what the socket did not
// take, and pings, pongs and the close frame, to a writer goroutine.
func (t *wsTransport) writeNow() {
	for range writeMaxRounds {
		t.mu.Lock()
		if t.ended || t.isKilled || t.closeSent {
			t.writing = false
			t.mu.Unlock()
			t.writers.Done()
			return
		}
		if len(t.out) == 0 && !t.ping && t.pong == nil && !t.closing {
			t.writing = false
			t.out = nil // an idle connection keeps no queue
			t.mu.Unlock()
			t.writers.Done()
			return
		}
		size := 0
		for _, msg := range t.out {
			size += len(msg) + 10
		}
		if t.ping || t.pong != nil || t.closing || size > wsChunk {
			t.mu.Unlock()
			go t.write() // it takes over the count in writers
			return
		}
		batch, ws := t.out, t.ws
		t.out = nil
		t.mu.Unlock()

		bp, buf := frameBuffer()
		for _, msg := range batch {
			buf = appendFrame(buf, msg)
		}
		// The write does not wait, but it fails once the deadline a
		// blocking write set has passed.
		t.renewDeadline(ws.NetConn())
		n, err := writeOnce(t.raw, buf)
		var rest []byte
		if err == nil && n < len(buf) {
			rest = append([]byte(nil), buf[n:]...)
		}
		releaseFrames(bp, buf)
		t.mu.Lock()
		if rest != nil {
			t.rest, t.restMsgs = rest, len(batch)
		} else {
			t.pending -= len(batch)
		}
		if err != nil {
			t.writing = false
		}
		t.mu.Unlock()
		if err != nil {
			_ = ws.NetConn().Close()
			t.writers.Done()
			return
		}
		if rest != nil {
			t.pool.deferred.Add(1)
			go t.write() // it takes over the count in writers
			return
		}
	}
	go t.write()
}

func (t *wsTransport) send(msg []byte) bool {
	t.mu.Lock()
	if t.pending >= t.cfg.WSSendQueue {
		t.mu.Unlock()
		t.kill()
		return false
	}
	t.pending++
	t.out = append(t.out, msg)
	t.startWriter()
	t.mu.Unlock()
	return true
}

// sendNow implements directSender: when nothing is queued or being
// written, msg is written on the calling goroutine (the reader's).
func (t *wsTransport) sendNow(msg []byte) bool {
	t.mu.Lock()
	if t.writing || len(t.out) > 0 || t.ws == nil || t.ended || t.isKilled || t.closing {
		t.mu.Unlock()
		return t.send(msg)
	}
	t.writing = true
	t.pending++
	ws := t.ws
	t.mu.Unlock()
	err := t.writeMessages(ws, [][]byte{msg})
	t.mu.Lock()
	t.pending--
	t.writing = false
	if err != nil {
		_ = ws.NetConn().Close()
	} else {
		t.startWriter() // for what was queued meanwhile
	}
	t.mu.Unlock()
	return true
}

func (t *wsTransport) pingDue() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended || t.isKilled {
		return
	}
	t.ping = true
	t.startWriter()
	t.pinger.Reset(t.cfg.WSPingInterval)
}

func (t *wsTransport) close(code int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return
	}
	t.closing = true
	t.closeCode = code
	t.startWriter()
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

// end closes the connection once the reader has ended, and waits for the
// writer.
func (t *wsTransport) end() {
	t.mu.Lock()
	t.ended = true
	if t.pinger != nil {
		t.pinger.Stop()
	}
	t.out = nil
	ws := t.ws
	t.mu.Unlock()
	if ws != nil {
		_ = ws.Close()
	}
	t.writers.Wait()
}

// write is the writer goroutine.
func (t *wsTransport) write() {
	defer t.writers.Done()
	var spare [][]byte
	for {
		t.mu.Lock()
		if t.ended || t.isKilled || t.closeSent {
			t.writing = false
			t.mu.Unlock()
			return
		}
		batch, ping, pong, closing := t.out, t.ping, t.pong, t.closing
		rest, restMsgs := t.rest, t.restMsgs
		t.rest, t.restMsgs = nil, 0
		if len(batch) == 0 && !ping && pong == nil && !closing && rest == nil {
			t.writing = false
			t.out = nil // an idle connection keeps no queue
			t.mu.Unlock()
			return
		}
		t.out, t.ping, t.pong = spare, false, nil
		ws, code := t.ws, t.closeCode
		t.mu.Unlock()

		var err error
		if rest != nil {
			nc := ws.NetConn()
			t.renewDeadline(nc)
			_, err = nc.Write(rest)
		}
		if err == nil && pong != nil {
			err = ws.WriteControl(websocket.PongMessage, pong, t.deadline())
		}
		if err == nil {
			err = t.writeMessages(ws, batch)
		}
		if err == nil && ping {
			err = ws.WriteControl(websocket.PingMessage, nil, t.deadline())
		}
		if err == nil && closing {
			// Say goodbye after what was queued, and give the client a
			// moment to answer.
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), t.deadline())
			t.mu.Lock()
			t.hangUp = time.Now().Add(closeGrace)
			_ = ws.SetReadDeadline(t.hangUp)
			t.mu.Unlock()
		}
		t.mu.Lock()
		t.pending -= len(batch) + restMsgs
		if closing {
			t.closeSent = true
		}
		t.mu.Unlock()
		if err != nil {
			_ = ws.NetConn().Close()
			t.mu.Lock()
			t.writing = false
			t.mu.Unlock()
			return
		}
		clear(batch)
		spare = batch[:0]
		if cap(spare) > 64 {
			spare = nil // do not keep the memory of a burst
		}
	}
}

// deadline returns the deadline of a control frame written now, which
// gorilla/websocket sets on the connection.
func (t *wsTransport) deadline() time.Time {
	t.writeDeadline = time.Now().Add(t.cfg.WSWriteTimeout)
	return t.writeDeadline
}

// renewDeadline makes sure a write call that starts now has at least half
// of WSWriteTimeout, and at most all of it, to complete. It sets a new
// deadline only when less than half is left: setting one on every write
// would update a runtime timer for each message, which costs as much as
// the rest of delivering an event to a connection.
func (t *wsTransport) renewDeadline(nc net.Conn) {
	now := time.Now()
	if t.writeDeadline.Sub(now) >= t.cfg.WSWriteTimeout/2 {
		return
	}
	t.writeDeadline = now.Add(t.cfg.WSWriteTimeout)
	_ = nc.SetWriteDeadline(t.writeDeadline)
}

// wsChunk is the most bytes of frames the writer gathers for one write
// call; each write call gets between half and all of WSWriteTimeout.
const wsChunk = 64 << 10

// wsFrames holds the buffers frames are gathered in.
var wsFrames = sync.Pool{New: func() any { return new([]byte) }}

// frameBuffer returns an empty buffer from wsFrames, and the pointer to
// give releaseFrames.
func frameBuffer() (*[]byte, []byte) {
	bp := wsFrames.Get().(*[]byte)
	return bp, (*bp)[:0]
}

// releaseFrames returns buf, got with bp from frameBuffer, to wsFrames,
// unless a burst made it bigger than is worth keeping.
func releaseFrames(bp *[]byte, buf []byte) {
	if cap(buf) <= 2*wsChunk {
		*bp = buf
		wsFrames.Put(bp)
	}
}

// appendFrame appends msg as an unmasked, final text frame.
func appendFrame(b, msg []byte) []byte {
	return append(appendFrameHeader(b, len(msg)), msg...)
}

// writeMessages writes msgs as text messages.
func (t *wsTransport) writeMessages(ws *websocket.Conn, msgs [][]byte) error {
	if len(msgs) == 0 {
		return nil
	}
	if t.cfg.WSCompression {
		for _, msg := range msgs {
			// gorilla sets its deadline on the connection for each frame.
			_ = ws.SetWriteDeadline(t.deadline())
			if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				return err
			}
		}
		return nil
	}
	nc := ws.NetConn()
	bp, buf := frameBuffer()
	defer func() { releaseFrames(bp, buf) }()
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		t.renewDeadline(nc)
		_, err := nc.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, msg := range msgs {
		if len(buf)+len(msg) > wsChunk && len(buf) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		if len(msg) > wsChunk {
			// Too big to copy: its header and itself in one writev.
			t.renewDeadline(nc)
			bufs := net.Buffers{appendFrameHeader(buf, len(msg)), msg}
			if _, err := bufs.WriteTo(nc); err != nil {
				return err
			}
			continue
		}
		buf = appendFrame(buf, msg)
	}
	return flush()
}

// appendFrameHeader appends the header of an unmasked, final text frame
// of n bytes (RFC 6455, section 5.2), as a server sends it.
func appendFrameHeader(b []byte, n int) []byte {
	const finText = 0x81
	switch {
	case n <= 125:
		return append(b, finText, byte(n))
	case n <= 0xffff:
		return append(b, finText, 126, byte(n>>8), byte(n))
	}
	return append(b, finText, 127,
		byte(uint64(n)>>56), byte(uint64(n)>>48), byte(uint64(n)>>40), byte(uint64(n)>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// readLoop reads the client's messages and queues them on c's worker, until
// the connection fails or closes.
func (t *wsTransport) readLoop(c *conn) {
	ws := t.ws
	wait := 2 * t.cfg.WSPingInterval
	ws.SetReadLimit(t.cfg.WSReadLimit)
	// Each message from the client gives it wait more to send the next,
	// but never past the hang-up time of a closing connection: the reader
	// may get a message after the close frame went out.
	extend := func() error {
		t.mu.Lock()
		defer t.mu.Unlock()
		d := time.Now().Add(wait)
		if !t.hangUp.IsZero() && t.hangUp.Before(d) {
			d = t.hangUp
		}
		return ws.SetReadDeadline(d)
	}
	_ = extend()
	ws.SetPongHandler(func(string) error { return extend() })
	// Pongs go through the writer, whose write deadline gorilla's own
	// answer would change in the middle of a write.
	ws.SetPingHandler(func(data string) error {
		t.mu.Lock()
		t.pong = append([]byte{}, data...)
		t.startWriter()
		t.mu.Unlock()
		return nil
	})
	if t.raw != nil {
		// The pool may have left a frame half written, for the writer
		// goroutine to finish: gorilla's answer to the client's close
		// frame must not cut into it. It is sent only when nothing is
		// being written; otherwise the connection ends without it.
		ws.SetCloseHandler(func(code int, _ string) error {
			t.mu.Lock()
			if t.writing || t.ended || t.isKilled || t.closeSent {
				t.mu.Unlock()
				return nil
			}
			t.writing = true
			t.mu.Unlock()
			msg := []byte{}
			if code != websocket.CloseNoStatusReceived {
				msg = websocket.FormatCloseMessage(code, "")
			}
			_ = ws.WriteControl(websocket.CloseMessage, msg, t.deadline())
			t.mu.Lock()
			t.writing = false
			t.closeSent = true
			t.mu.Unlock()
			return nil
		})
	}
	trace := c.log.Enabled(context.Background(), LevelTrace)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				c.log.Debug("gateway: websocket read", "error", err)
			}
			return
		}
		_ = extend()
		if trace {
			c.log.Log(context.Background(), LevelTrace, "--> ws", "msg", string(data))
		}
		if !c.clientMessage(data, t.killed) {
			return
		}
	}
}
