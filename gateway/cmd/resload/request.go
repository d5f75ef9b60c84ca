package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/natsembed"
)

// This file holds the request/response scenarios and their baselines: a
// fixed number of clients, each sending one request at a time. Each
// scenario is set up once and then run in rounds interleaved with the
// others, so that a slow spell of a shared machine does not fall on one
// scenario only.

// loadTest is a set-up request scenario, ready to run.
type loadTest struct {
	op    opFunc
	close func()
}

// setupFunc sets a scenario up. It returns skip with a reason, and a nil
// loadTest, when the scenario cannot run on this gateway.
type setupFunc func(ctx context.Context, o options) (t *loadTest, skip string, err error)

// cleanups runs functions in reverse order, as defer does.
type cleanups []func()

func (c *cleanups) add(f func()) { *c = append(*c, f) }

func (c cleanups) run() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// fail runs the cleanups and returns err, for the error paths of setups.
func (c cleanups) fail(err error) (*loadTest, string, error) {
	c.run()
	return nil, "", err
}

// cachedGetMethod is the request of the cached get scenario; the echo
// baseline sends requests of the same size.
const cachedGetMethod = "get.bench.model"

// setupCachedGet measures get requests for a resource that each
// connection already subscribes to: the resource is cached and the
// connection's access to it is known, so the gateway answers without
// asking a service.
func setupCachedGet(ctx context.Context, o options) (*loadTest, string, error) {
	var cl cleanups
	e, err := startEnv()
	if err != nil {
		return nil, "", err
	}
	cl.add(e.close)
	clients, err := dialMany(ctx, e.wsURL, o.conns, 16, func(c *wsClient) error {
		_, err := c.request("subscribe.bench.model")
		return err
	})
	if err != nil {
		return cl.fail(err)
	}
	cl.add(func() { closeAll(clients) })
	return &loadTest{close: cl.run, op: func(w int) (time.Duration, error) {
		_, err := clients[w].request(cachedGetMethod)
		return 0, err
	}}, "", nil
}

// setupSubscribe measures subscribe requests for resources no one asked
// for before: each one makes the gateway send an access and a get request
// to the service. Each subscription is then ended with an unsubscribe
// request that is not timed, so that connections do not pile up
// subscriptions.
func setupSubscribe(ctx context.Context, o options) (*loadTest, string, error) {
	var cl cleanups
	e, err := startEnv()
	if err != nil {
		return nil, "", err
	}
	cl.add(e.close)
	clients, err := dialMany(ctx, e.wsURL, o.conns, 16, nil)
	if err != nil {
		return cl.fail(err)
	}
	cl.add(func() { closeAll(clients) })
	next := make([]int, o.conns)
	return &loadTest{close: cl.run, op: func(w int) (time.Duration, error) {
		next[w]++
		rid := "bench.item.w" + strconv.Itoa(w) + "n" + strconv.Itoa(next[w])
		c := clients[w]
		t0 := time.Now()
		if _, err := c.request("subscribe." + rid); err != nil {
			return 0, err
		}
		d := time.Since(t0)
		_, err := c.request("unsubscribe." + rid)
		return d, err
	}}, "", nil
}

// setupHTTPGet measures HTTP API GET requests for a cached resource, when
// the gateway has an HTTP API.
func setupHTTPGet(ctx context.Context, o options) (*loadTest, string, error) {
	var cl cleanups
	e, err := startEnv()
	if err != nil {
		return nil, "", err
	}
	cl.add(e.close)
	tr := &http.Transport{MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns}
	cl.add(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: ioTimeout}
	url := e.httpURL + "bench/model"
	get := func() (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, err
	}
	// One WebSocket subscription keeps the resource cached.
	ws, err := dialWS(ctx, e.wsURL)
	if err != nil {
		return cl.fail(err)
	}
	cl.add(ws.close)
	if _, err := ws.request("subscribe.bench.model"); err != nil {
		return cl.fail(err)
	}
	switch st, err := get(); {
	case err != nil:
		return cl.fail(err)
	case st == http.StatusNotImplemented || st == http.StatusNotFound || st == http.StatusMethodNotAllowed:
		cl.run()
		return nil, "skipped: HTTP API not available (status " + strconv.Itoa(st) + ")", nil
	case st != http.StatusOK:
		return cl.fail(fmt.Errorf("GET %s: status %d", url, st))
	}
	return &loadTest{close: cl.run, op: func(int) (time.Duration, error) {
		st, err := get()
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", url, st)
		}
		return 0, err
	}}, "", nil
}

// echoServer is a WebSocket server, with the gateway's WebSocket library,
// that hands each connection to serve.
type echoServer struct {
	url      string
	srv      *http.Server
	served   chan struct{}
	handlers sync.WaitGroup
}

func startEchoServer(serve func(*websocket.Conn)) (*echoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &echoServer{url: "ws://" + ln.Addr().String() + "/", served: make(chan struct{})}
	var upgrader websocket.Upgrader
	s.srv = &http.Server{
		ReadHeaderTimeout: ioTimeout,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			ws, err := upgrader.Upgrade(w, req, nil)
			if err != nil {
				return
			}
			s.handlers.Add(1)
			defer s.handlers.Done()
			defer ws.Close()
			serve(ws)
		}),
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// close stops the server; its clients must be closed first.
func (s *echoServer) close() {
	_ = s.srv.Close()
	<-s.served
	s.handlers.Wait()
}

// setupEcho is the WebSocket baseline: a server that writes back each
// message it reads, with the same library, request size and concurrency
// as the cached get scenario.
func setupEcho(ctx context.Context, o options) (*loadTest, string, error) {
	var cl cleanups
	s, err := startEchoServer(func(ws *websocket.Conn) {
		for {
			typ, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if err := ws.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})
	if err != nil {
		return nil, "", err
	}
	cl.add(s.close)
	clients, err := dialMany(ctx, s.url, o.conns, 16, nil)
	if err != nil {
		return cl.fail(err)
	}
	cl.add(func() { closeAll(clients) })
	return &loadTest{close: cl.run, op: func(w int) (time.Duration, error) {
		_, err := clients[w].request(cachedGetMethod)
		return 0, err
	}}, "", nil
}

// setupRawNATS is the NATS baseline: request/reply with plain nats.go over
// the embedded server, with one connection for the requesters (as the
// gateway has) and one for the responder.
func setupRawNATS(_ context.Context, _ options) (*loadTest, string, error) {
	var cl cleanups
	ns, err := natsembed.Start(natsembed.Options{Host: "127.0.0.1"})
	if err != nil {
		return nil, "", err
	}
	cl.add(ns.Shutdown)
	svc, err := nats.Connect(ns.URL(), nats.Name("resload-responder"))
	if err != nil {
		return cl.fail(err)
	}
	cl.add(svc.Close)
	if _, err := svc.Subscribe("bench.echo", func(m *nats.Msg) { _ = m.Respond(modelReply) }); err != nil {
		return cl.fail(err)
	}
	if err := svc.Flush(); err != nil {
		return cl.fail(err)
	}
	nc, err := nats.Connect(ns.URL(), nats.Name("resload-requester"))
	if err != nil {
		return cl.fail(err)
	}
	cl.add(nc.Close)
	payload := encodeRequest(nil, 1, cachedGetMethod)
	return &loadTest{close: cl.run, op: func(int) (time.Duration, error) {
		m, err := nc.Request("bench.echo", payload, ioTimeout)
		if err == nil && len(m.Data) == 0 {
			err = errors.New("empty reply")
		}
		return 0, err
	}}, "", nil
}
