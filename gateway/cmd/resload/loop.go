package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// loopResult is the outcome of closed request loops.
type loopResult struct {
	ops     int64
	err     error // the first error
	elapsed time.Duration
	lat     []latencies
}

func (r loopResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ops) / r.elapsed.Seconds()
}

// merge adds the outcome of another round.
func (r *loopResult) merge(o loopResult) {
	r.ops += o.ops
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
	if r.err == nil {
		r.err = o.err
	}
}

// opFunc does one operation on worker w's connection and returns the
// latency to record, or zero to record the time the whole call took.
type opFunc func(w int) (time.Duration, error)

// runLoop runs workers goroutines, each doing op one at a time until dur
// has passed or it has done maxOps operations. A worker stops at its first
// error, since its connection is then unusable.
func runLoop(workers int, dur time.Duration, maxOps int64, op opFunc) loopResult {
	parts := make([]latencies, workers)
	var ops atomic.Int64
	var errOnce sync.Once
	var firstErr error
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			l := make(latencies, 0, 4096)
			for n := int64(0); n < maxOps && time.Now().Before(deadline); n++ {
				t0 := time.Now()
				d, err := op(w)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					break
				}
				if d == 0 {
					d = time.Since(t0)
				}
				l.add(d)
			}
			ops.Add(int64(len(l)))
			parts[w] = l
		})
	}
	wg.Wait()
	return loopResult{
		ops:     ops.Load(),
		err:     firstErr,
		elapsed: time.Since(start),
		lat:     parts,
	}
}
