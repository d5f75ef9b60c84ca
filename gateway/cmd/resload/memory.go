package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

// memResult is the outcome of the memory scenario.
type memResult struct {
	conns, subs int
	heap        int64 // heap bytes per connection
	stack       int64 // goroutine stack bytes per connection
	goroutines  float64
	err         error
}

// memRIDs returns the resources each connection of the memory scenario
// subscribes to.
func memRIDs(n int) []string {
	rids := make([]string, n)
	for i := range rids {
		rids[i] = "bench.mem." + strconv.Itoa(i)
	}
	return rids
}

type memStats struct {
	heap, stack int64
	goroutines  int
}

// readMem returns the live heap and the goroutine stacks after a few
// collections: each one may halve the stacks that use little of theirs.
func readMem() memStats {
	for range 4 {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memStats{int64(ms.HeapAlloc), int64(ms.StackInuse), runtime.NumGoroutine()}
}

// runMemory measures what an idle connection with o.memSubs subscriptions
// costs the gateway. The clients run in a child process (this program
// started with -mem-child), so that their own buffers and goroutines are
// not counted: the difference in live heap and goroutine stacks of this
// process, after garbage collection, is the gateway's (with its NATS
// subscription per connection, in the embedded NATS server).
func runMemory(ctx context.Context, o options) memResult {
	res := memResult{conns: o.memConns, subs: o.memSubs}
	e, err := startEnv()
	if err != nil {
		res.err = err
		return res
	}
	defer e.close()
	rids := memRIDs(o.memSubs)
	// One connection keeps the resources cached before and after, so that
	// the difference holds only what the connections add.
	keeper, err := dialWS(ctx, e.wsURL)
	if err != nil {
		res.err = err
		return res
	}
	defer keeper.close()
	for _, rid := range rids {
		if _, err := keeper.request("subscribe." + rid); err != nil {
			res.err = err
			return res
		}
	}
	before := readMem()

	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	ch, err := startChild(ctx, "memory", "-mem-child", e.wsURL,
		"-mem-conns", strconv.Itoa(o.memConns), "-mem-subs", strconv.Itoa(o.memSubs))
	if err != nil {
		res.err = err
		return res
	}
	// Closing stdin tells the child to disconnect and exit.
	defer func() {
		if err := ch.wait(); err != nil && res.err == nil {
			res.err = err
		}
	}()
	after := readMem()
	if o.memProfile != "" {
		if err := writeHeapProfile(o.memProfile); err != nil {
			res.err = err
			return res
		}
	}
	n := int64(o.memConns)
	res.heap = (after.heap - before.heap) / n
	res.stack = (after.stack - before.stack) / n
	res.goroutines = float64(after.goroutines-before.goroutines) / float64(n)
	return res
}

func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// memChild is the client side of the memory scenario, run in a child
// process: it connects, subscribes, says "ready" on stdout, and
// disconnects when stdin closes.
func memChild(url string, conns, subs int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rids := memRIDs(subs)
	clients, err := dialMany(ctx, url, conns, 32, func(c *wsClient) error {
		for _, rid := range rids {
			if _, err := c.request("subscribe." + rid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer closeAll(clients)
	if _, err := fmt.Println("ready"); err != nil {
		return err
	}
	// Wait for the parent, at most a minute.
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, os.Stdin)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errors.New("parent did not finish in time")
	}
}
