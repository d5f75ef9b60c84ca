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

// report runs the chosen scenarios and writes the table. It reports
// whether every scenario ran without error.
func report(ctx context.Context, w io.Writer, o options) bool {
	has := func(s string) bool { return slices.Contains(o.run, s) }
	progress := func(s string) { fmt.Fprintf(os.Stderr, "resload: running %s...\n", s) }
	ok := true
	var rows []row
	var echo, nats *row
	for _, sc := range []struct {
		name string
		run  func(context.Context, options) row
		keep **row
	}{
		{"echo", runEcho, &echo},
		{"nats", runRawNATS, &nats},
		{"get", runCachedGet, nil},
		{"subscribe", runSubscribe, nil},
		{"http", runHTTPGet, nil},
	} {
		if !has(sc.name) || ctx.Err() != nil {
			continue
		}
		progress(sc.name)
		r := sc.run(ctx, o)
		rows = append(rows, r)
		if sc.keep != nil {
			*sc.keep = &r
		}
	}
	var fan *fanoutResult
	if has("fanout") && ctx.Err() == nil {
		progress("fanout")
		f := runFanout(ctx, o)
		fan = &f
	}
	var mem *memResult
	if has("memory") && ctx.Err() == nil {
		progress("memory")
		m := runMemory(ctx, o)
		mem = &m
	}

	fmt.Fprintf(w, "Machine: %d CPUs (nproc), %s, %s %s/%s\n", runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "Request scenarios: %d clients, one request in flight each, %s each (after an untimed warm-up).\n\n", o.conns, o.dur)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tconns\tops\tops/s\tp50\tp99\tmax\tvs echo\tvs NATS\t")
	for _, r := range rows {
		if r.skipped != "" {
			fmt.Fprintf(tw, "%s\t%d\t%s\t\t\t\t\t\t\t\n", r.name, r.conns, r.skipped)
			continue
		}
		if r.res.err != nil {
			ok = false
			fmt.Fprintf(tw, "%s\t%d\tfailed: %v\t\t\t\t\t\t\t\n", r.name, r.conns, r.res.err)
			continue
		}
		vsEcho, vsNATS := "", ""
		if r.ratio && echo != nil && echo.res.err == nil && echo.res.ops > 0 {
			vsEcho = fmt.Sprintf("%.2f", r.res.rate()/echo.res.rate())
		}
		if r.ratio && nats != nil && nats.res.err == nil && nats.res.ops > 0 {
			vsNATS = fmt.Sprintf("%.2f", r.res.rate()/nats.res.rate())
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.conns, r.res.ops, r.res.rate(),
			ms(r.res.lat.p50), ms(r.res.lat.p99), ms(r.res.lat.max), vsEcho, vsNATS)
	}
	if fan != nil {
		name := fmt.Sprintf("fan-out %d ev/s", o.fanRate)
		if fan.err != nil {
			ok = false
			fmt.Fprintf(tw, "%s\t%d\tfailed: %v\t\t\t\t\t\t\t\n", name, fan.conns, fan.err)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t\t\t\n", name, fan.conns, fan.got,
			float64(fan.got)/fan.elapsed.Seconds(), ms(fan.lat.p50), ms(fan.lat.p99), ms(fan.lat.max))
	}
	_ = tw.Flush()

	if fan != nil {
		fmt.Fprintf(w, "\nFan-out: %d events to %d connections: %d of %d deliveries received, %d lost, %d out of sequence.\n",
			fan.published, fan.conns, fan.got, fan.want, fan.lost(), fan.outOfSeq)
	}
	if mem != nil {
		if mem.err != nil {
			ok = false
			fmt.Fprintf(w, "\nMemory: failed: %v\n", mem.err)
		} else {
			fmt.Fprintf(w, "\nMemory per idle connection with %d subscriptions (%d connections): heap %s, goroutine stacks %s, total %s; %.1f goroutines.\n",
				mem.subs, mem.conns, kib(mem.heap), kib(mem.stack), kib(mem.heap+mem.stack), mem.goroutines)
		}
	}

	fmt.Fprintln(w, "\nAims (2-core machine):")
	for _, r := range rows {
		if r.name != "cached get (WS)" || r.res.err != nil || echo == nil || echo.res.err != nil || echo.res.ops == 0 {
			continue
		}
		ratio := r.res.rate() / echo.res.rate()
		fmt.Fprintf(w, "  cached get >= %.0f%% of echo rate: %.0f%% — %s\n", aimGetVsEcho*100, ratio*100, met(ratio >= aimGetVsEcho))
	}
	if fan != nil && fan.err == nil {
		fmt.Fprintf(w, "  fan-out p99 < %s with nothing lost: p99 %s, %d lost — %s\n", ms(aimFanoutP99), ms(fan.lat.p99), fan.lost(),
			met(fan.lat.p99 < aimFanoutP99 && fan.lost() == 0 && fan.outOfSeq == 0))
	}
	if mem != nil && mem.err == nil {
		fmt.Fprintf(w, "  < %s per idle connection: heap %s — %s; heap+stacks %s — %s\n", kib(aimBytesPerCon),
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
