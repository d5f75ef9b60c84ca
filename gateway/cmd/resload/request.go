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
// fixed number of clients, each sending one request at a time.

// row is one line of the results table.
type row struct {
	name    string
	conns   int
	res     loopResult
	unit    string // what one operation is
	skipped string // why the scenario did not run
	// ratio marks rows compared with the baselines.
	ratio bool
}

// cachedGetMethod is the request of the cached get scenario; the echo
// baseline sends requests of the same size.
const cachedGetMethod = "get.bench.model"

// runCachedGet measures get requests for a resource that each connection
// already subscribes to: the resource is cached and the connection's
// access to it is known, so the gateway answers without asking a service.
func runCachedGet(ctx context.Context, o options) row {
	r := row{name: "cached get (WS)", conns: o.conns, unit: "get", ratio: true}
	e, err := startEnv()
	if err != nil {
		r.res.err = err
		return r
	}
	defer e.close()
	clients, err := dialMany(ctx, e.wsURL, o.conns, 16, func(c *wsClient) error {
		_, err := c.request("subscribe.bench.model")
		return err
	})
	if err != nil {
		r.res.err = err
		return r
	}
	defer closeAll(clients)
	r.res = warmAndRun(o.conns, o.dur, o.maxOps, func(w int) (time.Duration, error) {
		_, err := clients[w].request(cachedGetMethod)
		return 0, err
	})
	return r
}

// runSubscribe measures subscribe requests for resources no one asked for
// before: each one makes the gateway send an access and a get request to
// the service. Each subscription is then ended with an unsubscribe request
// that is not timed, so that connections do not pile up subscriptions.
func runSubscribe(ctx context.Context, o options) row {
	r := row{name: "subscribe uncached (WS)", conns: o.conns, unit: "subscribe", ratio: true}
	e, err := startEnv()
	if err != nil {
		r.res.err = err
		return r
	}
	defer e.close()
	clients, err := dialMany(ctx, e.wsURL, o.conns, 16, nil)
	if err != nil {
		r.res.err = err
		return r
	}
	defer closeAll(clients)
	next := make([]int, o.conns)
	r.res = warmAndRun(o.conns, o.dur, o.maxOps, func(w int) (time.Duration, error) {
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
	})
	return r
}

// runHTTPGet measures HTTP API GET requests for a cached resource, when the
// gateway has an HTTP API.
func runHTTPGet(ctx context.Context, o options) row {
	r := row{name: "HTTP GET cached", conns: o.conns, unit: "GET", ratio: true}
	e, err := startEnv()
	if err != nil {
		r.res.err = err
		return r
	}
	defer e.close()
	tr := &http.Transport{MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns}
	defer tr.CloseIdleConnections()
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
	// Keep one WebSocket subscription so that the resource stays cached.
	ws, err := dialWS(ctx, e.wsURL)
	if err != nil {
		r.res.err = err
		return r
	}
	defer ws.close()
	if _, err := ws.request("subscribe.bench.model"); err != nil {
		r.res.err = err
		return r
	}
	switch st, err := get(); {
	case err != nil:
		r.res.err = err
		return r
	case st == http.StatusNotImplemented || st == http.StatusNotFound || st == http.StatusMethodNotAllowed:
		r.skipped = "skipped: HTTP API not available (status " + strconv.Itoa(st) + ")"
		return r
	case st != http.StatusOK:
		r.res.err = fmt.Errorf("GET %s: status %d", url, st)
		return r
	}
	r.res = warmAndRun(o.conns, o.dur, o.maxOps, func(int) (time.Duration, error) {
		st, err := get()
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", url, st)
		}
		return 0, err
	})
	return r
}

// runEcho is the WebSocket baseline: a server that writes back each
// message it reads, with the same library, request size and concurrency
// as the cached get scenario.
func runEcho(ctx context.Context, o options) row {
	r := row{name: "baseline: WS echo", conns: o.conns, unit: "echo"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.res.err = err
		return r
	}
	var handlers sync.WaitGroup
	upgrader := websocket.Upgrader{}
	srv := &http.Server{
		ReadHeaderTimeout: ioTimeout,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			ws, err := upgrader.Upgrade(w, req, nil)
			if err != nil {
				return
			}
			handlers.Add(1)
			defer handlers.Done()
			defer ws.Close()
			for {
				typ, msg, err := ws.ReadMessage()
				if err != nil {
					return
				}
				if err := ws.WriteMessage(typ, msg); err != nil {
					return
				}
			}
		}),
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	defer func() {
		_ = srv.Close()
		<-served
		handlers.Wait()
	}()
	clients, err := dialMany(ctx, "ws://"+ln.Addr().String()+"/", o.conns, 16, nil)
	if err != nil {
		r.res.err = err
		return r
	}
	defer closeAll(clients)
	r.res = warmAndRun(o.conns, o.dur, o.maxOps, func(w int) (time.Duration, error) {
		_, err := clients[w].request(cachedGetMethod)
		return 0, err
	})
	return r
}

// runRawNATS is the NATS baseline: request/reply with plain nats.go over
// the embedded server, with one connection for the requesters (as the
// gateway has) and one for the responder.
func runRawNATS(_ context.Context, o options) row {
	r := row{name: "baseline: raw NATS req/reply", conns: o.conns, unit: "request"}
	ns, err := natsembed.Start(natsembed.Options{Host: "127.0.0.1"})
	if err != nil {
		r.res.err = err
		return r
	}
	defer ns.Shutdown()
	svc, err := nats.Connect(ns.URL(), nats.Name("resload-responder"))
	if err != nil {
		r.res.err = err
		return r
	}
	defer svc.Close()
	if _, err := svc.Subscribe("bench.echo", func(m *nats.Msg) { _ = m.Respond(modelReply) }); err != nil {
		r.res.err = err
		return r
	}
	if err := svc.Flush(); err != nil {
		r.res.err = err
		return r
	}
	nc, err := nats.Connect(ns.URL(), nats.Name("resload-requester"))
	if err != nil {
		r.res.err = err
		return r
	}
	defer nc.Close()
	payload := encodeRequest(nil, 1, cachedGetMethod)
	r.res = warmAndRun(o.conns, o.dur, o.maxOps, func(int) (time.Duration, error) {
		m, err := nc.Request("bench.echo", payload, ioTimeout)
		if err == nil && len(m.Data) == 0 {
			err = errors.New("empty reply")
		}
		return 0, err
	})
	return r
}
