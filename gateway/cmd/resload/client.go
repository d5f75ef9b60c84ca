package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// ioTimeout bounds every read and write of the load clients, so that a
// stuck gateway cannot hang the run.
const ioTimeout = 10 * time.Second

var dialer = websocket.Dialer{HandshakeTimeout: ioTimeout}

// wsClient is one RES client connection that sends one request at a time.
type wsClient struct {
	ws     *websocket.Conn
	nextID int64
	buf    []byte
}

func dialWS(ctx context.Context, url string) (*wsClient, error) {
	ws, resp, err := dialer.DialContext(ctx, url, http.Header{})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	_ = resp.Body.Close()
	return &wsClient{ws: ws}, nil
}

func (c *wsClient) close() {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

// encodeRequest returns the client request {"id":id,"method":method}.
func encodeRequest(buf []byte, id int64, method string) []byte {
	buf = append(buf[:0], `{"id":`...)
	buf = strconv.AppendInt(buf, id, 10)
	buf = append(buf, `,"method":"`...)
	buf = append(buf, method...)
	return append(buf, `"}`...)
}

var (
	eventPrefix = []byte(`{"event"`)
	errorKey    = []byte(`"error":`)
)

// request sends a request and waits for its response, skipping events. It
// returns the response, valid until the next call.
func (c *wsClient) request(method string) ([]byte, error) {
	c.nextID++
	c.buf = encodeRequest(c.buf, c.nextID, method)
	return c.send(c.buf)
}

// send sends msg and returns the next message that is not an event.
func (c *wsClient) send(msg []byte) ([]byte, error) {
	_ = c.ws.SetWriteDeadline(time.Now().Add(ioTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		return nil, err
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(ioTimeout))
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(data, eventPrefix) {
			continue
		}
		if bytes.Contains(data, errorKey) {
			return data, fmt.Errorf("%s: error response: %s", msg, data)
		}
		return data, nil
	}
}

// readEvent waits for the next message, which must be an event.
func (c *wsClient) readEvent(deadline time.Time) ([]byte, error) {
	_ = c.ws.SetReadDeadline(deadline)
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(data, eventPrefix) {
		return nil, fmt.Errorf("unexpected message: %s", data)
	}
	return data, nil
}

var errNoInt = errors.New("integer not found")

// intField returns the integer after the first occurrence of "key": in
// msg, without decoding the rest of the JSON.
func intField(msg []byte, key string) (int64, error) {
	var pat [32]byte
	p := append(append(append(pat[:0], '"'), key...), '"', ':')
	i := bytes.Index(msg, p)
	if i < 0 {
		return 0, errNoInt
	}
	rest := msg[i+len(p):]
	j := 0
	for j < len(rest) && (rest[j] == '-' || rest[j] >= '0' && rest[j] <= '9') {
		j++
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil {
		return 0, errNoInt
	}
	return n, nil
}

// dialMany dials n clients, par at a time, and runs each through setup.
func dialMany(ctx context.Context, url string, n, par int, setup func(*wsClient) error) ([]*wsClient, error) {
	clients := make([]*wsClient, n)
	errc := make(chan error, n)
	sem := make(chan struct{}, par)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			c, err := dialWS(ctx, url)
			if err == nil && setup != nil {
				if err = setup(c); err != nil {
					c.close()
				}
			}
			if err != nil {
				errc <- err
				return
			}
			clients[i] = c
			errc <- nil
		}()
	}
	var first error
	for range n {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		closeAll(clients)
		return nil, first
	}
	return clients, nil
}

func closeAll(clients []*wsClient) {
	for _, c := range clients {
		if c != nil {
			c.close()
		}
	}
}
