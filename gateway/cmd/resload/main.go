// Command resload measures the speed of the RES gateway on this machine.
//
// It runs everything on loopback: in one process an embedded NATS server,
// the gateway (the library, on a free port), a small fake RES service
// written with plain nats.go, and the WebSocket clients of the request
// scenarios; the clients of the fan-out and memory scenarios run in a
// child process (this program, started again), so that they cost the
// gateway's process nothing but its share of the CPUs. It runs each
// scenario for a bounded time, prints a table and exits:
//
//	go run ./gateway/cmd/resload                 # every scenario, about a minute
//	go run ./gateway/cmd/resload -d 2s -c 32     # shorter runs, more clients
//	go run ./gateway/cmd/resload -run get,echo   # some scenarios only
//
// The scenarios are: cached get over WebSocket (get), subscribe of uncached
// resources (subscribe), event fan-out (fanout), HTTP GET of a cached
// resource (http), memory per idle connection (memory), and baselines
// measured in the same run: a WebSocket echo server with the same library
// (echo), plain NATS request/reply (nats), and for fan-out a minimal hub
// and the floor of this machine (see hubFanTarget and floorFanTarget).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"time"
)

// options are the command's flags.
type options struct {
	run      []string
	conns    int
	dur      time.Duration
	maxOps   int64
	rounds   int
	fanConns int
	fanRate  int
	memConns int
	// fanInProcess runs the fan-out clients in this process.
	fanInProcess bool
	memSubs      int
	// memProfile is where the memory scenario writes a heap profile, taken
	// with the connections up.
	memProfile string
}

var allScenarios = []string{"echo", "nats", "get", "subscribe", "http", "fanout", "memory"}

func main() {
	var o options
	var run, cpuProfile, traceFile, memChildURL string
	flag.StringVar(&run, "run", strings.Join(allScenarios, ","), "comma-separated scenarios to run")
	flag.IntVar(&o.conns, "c", 16, "concurrent clients of the request scenarios (get, subscribe, http, echo, nats)")
	flag.DurationVar(&o.dur, "d", 5*time.Second, "measured duration of each scenario")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds the request scenarios take turns in, each for d/rounds")
	flag.Int64Var(&o.maxOps, "max-ops", 10_000_000, "most operations per client in a request scenario")
	flag.IntVar(&o.fanConns, "fanout-conns", 1000, "connections subscribed in the fan-out scenario")
	flag.IntVar(&o.fanRate, "fanout-rate", 50, "events per second in the fan-out scenario")
	flag.IntVar(&o.memConns, "mem-conns", 1000, "connections in the memory scenario")
	flag.IntVar(&o.memSubs, "mem-subs", 10, "subscriptions per connection in the memory scenario")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file in the memory scenario, with the connections up")
	flag.StringVar(&traceFile, "trace", "", "write an execution trace of the whole run to this file")
	flag.BoolVar(&o.fanInProcess, "fanout-inprocess", false, "run the fan-out clients in this process rather than in a child process")
	flag.StringVar(&memChildURL, "mem-child", "", "internal: run the clients of the memory scenario against this URL")
	var fan fanChildArgs
	flag.StringVar(&fan.url, "fan-child", "", "internal: run the clients of the fan-out scenario against this URL")
	flag.BoolVar(&fan.subscribe, "fan-subscribe", false, "internal: the fan-out clients subscribe")
	flag.Int64Var(&fan.total, "fan-total", 0, "internal: events each fan-out client reads")
	flag.Int64Var(&fan.warm, "fan-warm", 0, "internal: events of the fan-out warm-up")
	flag.DurationVar(&fan.window, "fan-window", 0, "internal: how long the fan-out clients read")
	flag.Parse()

	if fan.url != "" {
		fan.conns = o.fanConns
		if err := fanChild(fan); err != nil {
			fmt.Fprintln(os.Stderr, "resload: fan-out child:", err)
			os.Exit(1)
		}
		return
	}

	if memChildURL != "" {
		if err := memChild(memChildURL, o.memConns, o.memSubs); err != nil {
			fmt.Fprintln(os.Stderr, "resload: memory child:", err)
			os.Exit(1)
		}
		return
	}
	if err := check(&o, run); err != nil {
		fmt.Fprintln(os.Stderr, "resload:", err)
		flag.Usage()
		os.Exit(2)
	}
	if err := raiseFileLimit(2*max(o.fanConns, o.memConns, o.conns) + 256); err != nil {
		fmt.Fprintln(os.Stderr, "resload:", err)
		os.Exit(1)
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "resload:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "resload:", err)
			os.Exit(1)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "resload:", err)
			os.Exit(1)
		}
		if err := trace.Start(f); err != nil {
			fmt.Fprintln(os.Stderr, "resload:", err)
			os.Exit(1)
		}
		defer func() {
			trace.Stop()
			_ = f.Close()
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if !report(ctx, os.Stdout, o) {
		defer os.Exit(1)
	}
}

func check(o *options, run string) error {
	for s := range strings.SplitSeq(run, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(allScenarios, s) {
			return fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(allScenarios, ", "))
		}
		o.run = append(o.run, s)
	}
	switch {
	case o.conns < 1 || o.fanConns < 1 || o.memConns < 1 || o.memSubs < 1:
		return fmt.Errorf("connection and subscription counts must be positive")
	case o.dur <= 0 || o.dur > time.Minute:
		return fmt.Errorf("duration must be between 0 and 1m")
	case o.fanRate < 1 || o.fanRate > 10_000:
		return fmt.Errorf("fan-out rate must be between 1 and 10000")
	case o.rounds < 1 || o.rounds > 100:
		return fmt.Errorf("rounds must be between 1 and 100")
	case o.maxOps < 1:
		return fmt.Errorf("max-ops must be positive")
	}
	return nil
}
