package testcluster

// CPU time for measurements against the cluster (the log engine's scale
// benchmark, cmd/streamops-bench): this process's, and the whole
// machine's, which the benchmarks share with the test cluster's API
// server, etcd and kwok.

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcessCPU is the user and system CPU time of this process so far, all
// threads (getrusage: the accounting of utime+stime in /proc/self/stat,
// with microsecond resolution instead of 10 ms).
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Ticks are the CPU ticks of the whole machine so far, all cores
// (/proc/stat); zero where it cannot be read.
type Ticks struct{ busy, total uint64 }

// MachineTicks reads the machine's ticks now.
func MachineTicks() Ticks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Ticks{}
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	var t Ticks
	for i, f := range strings.Fields(string(line))[1:] {
		v, _ := strconv.ParseUint(f, 10, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal (guest is in user)
			t.total += v
			if i != 3 && i != 4 {
				t.busy += v
			}
		}
	}
	return t
}

// BusySince is the share of all cores that was busy since t, in percent.
func (t Ticks) BusySince() float64 {
	now := MachineTicks()
	if now.total <= t.total {
		return 0
	}
	return 100 * float64(now.busy-t.busy) / float64(now.total-t.total)
}
