package main

import (
	"slices"
	"time"
)

// latencies collects durations, in nanoseconds, from one goroutine.
type latencies []int64

func (l *latencies) add(d time.Duration) { *l = append(*l, int64(d)) }

// summary is what a table row shows of a set of latencies.
type summary struct {
	n             int
	p50, p99, max time.Duration
}

// summarize merges the latencies of several goroutines.
func summarize(parts []latencies) summary {
	var all []int64
	for _, p := range parts {
		all = append(all, p...)
	}
	if len(all) == 0 {
		return summary{}
	}
	slices.Sort(all)
	return summary{
		n:   len(all),
		p50: time.Duration(percentile(all, 0.50)),
		p99: time.Duration(percentile(all, 0.99)),
		max: time.Duration(all[len(all)-1]),
	}
}

// percentile returns the p-quantile of sorted by the nearest-rank method.
func percentile(sorted []int64, p float64) int64 {
	i := int(float64(len(sorted))*p+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
