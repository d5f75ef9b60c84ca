package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Aims on the reference machine (2 cores).
const (
	aimGetVsEcho   = 0.70
	aimFanoutP99   = 12 * time.Millisecond
	aimBytesPerCon = 20 << 10
)

// row is one request scenario of the results table.
type row struct {
	key     string
	name    string
	setup   setupFunc
	ratio   bool // compared with the baselines
	test    *loadTest
	skipped string
	res     loopResult
}

// report runs the chosen scenarios and writes the table. It reports
// whether every scenario ran without error.
func report(ctx context.Context, w io.Writer, o options) bool {
	meter := startCPUMeter()
	has := func(s string) bool { return slices.Contains(o.run, s) }
	progress := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "resload: "+format+"\n", args...)
	}
	var rows []*row
	for _, r := range []*row{
		{key: "echo", name: "baseline: WS echo", setup: setupEcho},
		{key: "nats", name: "baseline: NATS request/reply", setup: setupRawNATS},
		{key: "get", name: "cached get (WS)", setup: setupCachedGet, ratio: true},
		{key: "subscribe", name: "subscribe uncached (WS)", setup: setupSubscribe, ratio: true},
		{key: "http", name: "HTTP GET cached (access asked)", setup: setupHTTPGet, ratio: true},
	} {
		if has(r.key) {
			rows = append(rows, r)
		}
	}
	byKey := func(k string) *row {
		for _, r := range rows {
			if r.key == k && r.test != nil && r.res.err == nil && r.res.ops > 0 {
				return r
			}
		}
		return nil
	}

	// Set every request scenario up, warm it up, then let them take turns.
	for _, r := range rows {
		if ctx.Err() != nil {
			break
		}
		progress("setting up %s", r.key)
		t, skip, err := r.setup(ctx, o)
		r.test, r.skipped, r.res.err = t, skip, err
		if t != nil {
			warm := runLoop(o.conns, min(o.dur/10, time.Second), o.maxOps, t.op)
			r.res.err = warm.err
		}
	}
	for i := range o.rounds {
		for _, r := range rows {
			if r.test == nil || r.res.err != nil || ctx.Err() != nil {
				continue
			}
			progress("round %d/%d: %s", i+1, o.rounds, r.key)
			r.res.merge(runLoop(o.conns, o.dur/time.Duration(o.rounds), o.maxOps, r.test.op))
		}
	}
	for _, r := range rows {
		if r.test != nil {
			r.test.close()
		}
	}

	var fans []fanoutResult
	if has("fanout") {
		for _, f := range []struct {
			name  string
			start func() (*fanTarget, error)
		}{
			{"baseline: WS fan-out floor", floorFanTarget},
			{"baseline: WS fan-out hub", hubFanTarget},
			{fmt.Sprintf("fan-out %d ev/s", o.fanRate), gatewayFanTarget},
		} {
			if ctx.Err() != nil {
				break
			}
			progress("%s", f.name)
			t, err := f.start()
			if err != nil {
				fans = append(fans, fanoutResult{name: f.name, conns: o.fanConns, err: err})
				continue
			}
			fans = append(fans, runFanout(ctx, o, f.name, t))
		}
	}
	var mem *memResult
	if has("memory") && ctx.Err() == nil {
		progress("memory")
		m := runMemory(ctx, o)
		mem = &m
	}

	ok := true
	fmt.Fprintf(w, "Machine: %d CPUs (nproc), %s, %s %s/%s\n", runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, meter)
	fmt.Fprintf(w, "Request scenarios: %d clients with one request in flight each, %s each in %d interleaved rounds, after a warm-up.\n\n",
		o.conns, o.dur, o.rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tconns\tops\tops/s\tp50\tp99\tmax\tvs echo\tvs NATS\t")
	echo, nats := byKey("echo"), byKey("nats")
	for _, r := range rows {
		switch {
		case r.skipped != "":
			fmt.Fprintf(tw, "%s\t%d\t%s\t\t\t\t\t\t\t\n", r.name, o.conns, r.skipped)
			continue
		case r.res.err != nil:
			ok = false
			fmt.Fprintf(tw, "%s\t%d\tfailed: %v\t\t\t\t\t\t\t\n", r.name, o.conns, r.res.err)
			continue
		}
		vsEcho, vsNATS := "", ""
		if r.ratio && echo != nil {
			vsEcho = fmt.Sprintf("%.2f", r.res.rate()/echo.res.rate())
		}
		if r.ratio && nats != nil {
			vsNATS = fmt.Sprintf("%.2f", r.res.rate()/nats.res.rate())
		}
		lat := summarize(r.res.lat)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", r.name, o.conns, r.res.ops, r.res.rate(),
			ms(lat.p50), ms(lat.p99), ms(lat.max), vsEcho, vsNATS)
	}
	for _, f := range fans {
		if f.err != nil {
			ok = false
			fmt.Fprintf(tw, "%s\t%d\tfailed: %v\t\t\t\t\t\t\t\n", f.name, f.conns, f.err)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t\t\t\n", f.name, f.conns, f.got,
			float64(f.got)/f.elapsed.Seconds(), ms(f.lat.p50), ms(f.lat.p99), ms(f.lat.max))
	}
	_ = tw.Flush()

	for _, f := range fans {
		if f.err == nil {
			fmt.Fprintf(w, "\n%s: %d events to %d connections (%s), %d of %d deliveries received, %d lost, %d out of sequence.\n",
				f.name, f.published, f.conns, f.clients, f.got, f.want, f.lost(), f.outOfSeq)
		}
	}
	if len(fans) > 0 {
		fmt.Fprintln(w, "(Fan-out ops/s: deliveries per second; latency: from publishing to a client's receipt.)")
	}
	if mem != nil {
		if mem.err != nil {
			ok = false
			fmt.Fprintf(w, "\nMemory: failed: %v\n", mem.err)
		} else {
			fmt.Fprintf(w, "\nMemory per idle connection with %d subscriptions (%d connections, clients in another process): heap %s, goroutine stacks %s, total %s; %.1f goroutines.\n",
				mem.subs, mem.conns, kib(mem.heap), kib(mem.stack), kib(mem.heap+mem.stack), mem.goroutines)
		}
	}

	fmt.Fprintln(w, "\nAims (2-core machine):")
	if get := byKey("get"); get != nil && echo != nil {
		ratio := get.res.rate() / echo.res.rate()
		fmt.Fprintf(w, "  cached get >= %.0f%% of echo rate: %.0f%% (p50 %s vs %s): %s\n", aimGetVsEcho*100, ratio*100,
			ms(summarize(get.res.lat).p50), ms(summarize(echo.res.lat).p50), met(ratio >= aimGetVsEcho))
	}
	for _, f := range fans {
		if f.err == nil {
			fmt.Fprintf(w, "  %s: p99 < %s with nothing lost: p99 %s, %d lost: %s\n", f.name, ms(aimFanoutP99), ms(f.lat.p99), f.lost(),
				met(f.lat.p99 < aimFanoutP99 && f.lost() == 0 && f.outOfSeq == 0))
		}
	}
	if mem != nil && mem.err == nil {
		fmt.Fprintf(w, "  < %s per idle connection: heap %s: %s; heap and stacks %s: %s\n", kib(aimBytesPerCon),
			kib(mem.heap), met(mem.heap < aimBytesPerCon), kib(mem.heap+mem.stack), met(mem.heap+mem.stack < aimBytesPerCon))
	}
	return ok
}

func met(b bool) string {
	if b {
		return "met"
	}
	return "NOT met"
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
}

func kib(n int64) string {
	return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
}

// cpuModel returns the CPU model named in /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
