package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuMeter tells how much of the machine's CPU this run had: on a shared
// machine, other processes' load lowers every figure.
type cpuMeter struct {
	start     time.Time
	busy, all time.Duration // machine-wide, from /proc/stat
	ours      time.Duration
	ok        bool
}

// clockTick is USER_HZ, the unit of /proc/stat; 100 on every Linux port
// that Go supports.
const clockTick = 10 * time.Millisecond

// machineCPU returns the busy and total CPU time of all CPUs since boot.
func machineCPU() (busy, all time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, s := range f[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		d := time.Duration(n) * clockTick
		all += d
		if i != 3 && i != 4 { // idle and iowait
			busy += d
		}
	}
	return busy, all, true
}

func startCPUMeter() *cpuMeter {
	m := &cpuMeter{start: time.Now(), ours: processCPU()}
	m.busy, m.all, m.ok = machineCPU()
	return m
}

// String reports the CPU time this process and all others used since the
// meter started.
func (m *cpuMeter) String() string {
	busy, all, ok := machineCPU()
	if !ok || !m.ok {
		return "CPU use: unknown"
	}
	ours := processCPU() - m.ours
	busy, all = busy-m.busy, all-m.all
	others := max(busy-ours, 0)
	wall := time.Since(m.start)
	return fmt.Sprintf("CPU use during the run (%s): this process %.1f CPU-s, other processes %.1f CPU-s (%.0f%% of the machine); load average at start %s",
		wall.Round(time.Second), ours.Seconds(), others.Seconds(), 100*others.Seconds()/max(all.Seconds(), 1e-9), loadAvg)
}

// loadAvg is the 1-minute load average when the program started.
var loadAvg = func() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}()
