package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/reskit/res/gateway"
	"github.com/reskit/res/internal/natsembed"
)

// env is one embedded NATS server, one gateway on a free loopback port and
// the fake service. Each scenario gets a fresh one, so that none measures
// the leftovers of another.
type env struct {
	ns      *natsembed.Server
	svc     *service
	gw      *gateway.Gateway
	wsURL   string
	httpURL string
}

func startEnv() (*env, error) {
	ns, err := natsembed.Start(natsembed.Options{Host: "127.0.0.1"})
	if err != nil {
		return nil, err
	}
	e := &env{ns: ns}
	if e.svc, err = startService(ns.URL()); err != nil {
		e.close()
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	gw, err := gateway.New(gateway.Config{
		NATSURL: ns.URL(),
		Addr:    "127.0.0.1",
		Port:    0,
		Logger:  log,
	})
	if err != nil {
		e.close()
		return nil, err
	}
	if err := gw.Start(); err != nil {
		e.close()
		return nil, err
	}
	e.gw = gw
	addr := gw.Addr().String()
	e.wsURL = "ws://" + addr + "/"
	e.httpURL = "http://" + addr + "/api/"
	return e, nil
}

func (e *env) close() {
	if e.gw != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := e.gw.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "resload: stop gateway:", err)
		}
		cancel()
	}
	if e.svc != nil {
		e.svc.close()
	}
	e.ns.Shutdown()
}
