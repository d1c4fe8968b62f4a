package panetest

import (
	"context"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
)

// UsageReport runs a usage monitor on cfg (its Clock a fake clock at
// start) over snaps in turn, reading pod and node usage once per
// snapshot (and volume fill with the first), and returns the report
// joined onto the last: what a pane shows after the monitor watched those
// snapshots, e.g. a restart between two of them.
func UsageReport(t testing.TB, cfg usage.Config, start time.Time, snaps ...*platform.Snapshot) *usage.Report {
	t.Helper()
	fc := clocktesting.NewFakeClock(start)
	snapshots := make(feed, 1)
	cfg.Clock, cfg.Snapshots = fc, snapshots
	if cfg.Interval <= 0 {
		cfg.Interval = usage.DefaultInterval
	}
	m := usage.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	m.Activate("test")
	for i, s := range snaps {
		snapshots <- s // as the watcher publishes: the monitor follows by itself
		if i > 0 {
			fc.Step(cfg.Interval)
		}
		now := fc.Now()
		deadline := time.After(10 * time.Second)
		for {
			r := m.Latest()
			if r.Snapshot == s && read(r.Metrics, now) && read(r.NodeMetrics, now) && (i > 0 || read(r.Volumes, now)) {
				break
			}
			select {
			case <-deadline:
				t.Fatalf("usage monitor: no read of snapshot %d: %+v", i, r)
			case <-time.After(time.Millisecond):
			}
		}
	}
	return m.Latest()
}

// read says a source was read at now (or failed, or is not configured).
func read(s usage.Source, now time.Time) bool {
	switch s.State {
	case usage.OK:
		return !s.Updated.Before(now)
	case usage.Idle:
		return false
	}
	return true
}

// feed hands the snapshots a test publishes to the monitor that follows
// it, as the watcher's subscription does.
type feed chan *platform.Snapshot

func (f feed) Subscribe(context.Context) <-chan *platform.Snapshot { return f }
