package usage_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/backend/watch"
)

// TestTheDemoPlaysUsage: on the demo platform, behind the same client-go
// interfaces as a cluster, the monitor follows the watcher by itself and
// shows usage that moves, the bookie ledger at 91 %, and a segment store
// on a node under MemoryPressure.
func TestTheDemoPlaysUsage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fc := clocktesting.NewFakeClock(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 200); err != nil {
		t.Fatal(err)
	}
	if err := p.Troubles(ctx); err != nil { // the OOMKilled bookie among them
		t.Fatal(err)
	}
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	m := usage.New(usage.Config{Metrics: p.Metrics(), Summaries: p.Summaries(), Snapshots: w, Scope: p.Scope(),
		Interval: 10 * time.Millisecond, VolumeInterval: 10 * time.Millisecond})
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	m.Activate("test")

	var ss *platform.Member
	var first usage.ContainerUsage
	wait(t, ctx, m, "usage, fill and pressure", func(r *usage.Report) bool {
		if r.Metrics.State != usage.OK || r.NodeMetrics.State != usage.OK || r.Volumes.State != usage.OK || r.Snapshot == nil {
			return false
		}
		ledger, ok := r.Claim("pravega/" + demo.LedgerNearlyFull)
		if !ok || ledger.Level != usage.FillCritical || ledger.Fraction < 0.905 || ledger.Fraction > 0.915 || ledger.Kind != platform.BookKeeper {
			return false
		}
		for _, c := range r.Snapshot.Components {
			for _, mem := range c.Members {
				if c.Kind == platform.SegmentStore && mem.Node == demo.PressureNode {
					u, ok := r.Member(mem)
					if ok && u.Current && slices.Contains(u.UnderPressure(), "MemoryPressure") {
						ss, first = mem, u.Containers[0]
						return true
					}
				}
			}
		}
		return false
	})
	if f, ok := first.MemoryOfRequest(); !ok || f < 0.88 || f > 0.98 {
		t.Errorf("segment store on the pressured node uses %.2f of its memory request", f)
	}
	r := m.Latest()
	if n, _ := r.Node(demo.PressureNode); !n.UnderPressure("MemoryPressure") {
		t.Errorf("node %+v", n)
	} else if f, ok := n.MemoryOfAllocatable(); !ok || f < 0.9 {
		t.Errorf("pressured node memory %.2f", f)
	}
	if over := r.Over(usage.FillHigh); len(over) != 1 || over[0].Name != demo.LedgerNearlyFull {
		t.Errorf("claims over 80 %%: %+v", over)
	}
	for _, c := range r.Claims {
		if c.Level == usage.FillUnknown {
			t.Errorf("claim %s has no fill (pod %q node %q)", c.Key(), c.Pod, c.Node)
		}
	}

	// bookkeeper-bookie-1 was OOMKilled (one of the demo's troubles): it
	// is shown against its 4 GiB limit.
	for _, c := range r.Snapshot.Components {
		for _, mem := range c.Members {
			if mem.Name != "bookkeeper-bookie-1" {
				continue
			}
			u, _ := r.Member(mem)
			bookie := u.Containers[0]
			f, ok := bookie.MemoryOfLimit()
			if !bookie.OOMKilled() || bookie.Limits.Memory != 4<<30 || !ok || f <= 0 || f >= 1 {
				t.Errorf("OOMKilled bookie: %+v (%.2f of its limit)", bookie, f)
			}
		}
	}

	fc.Step(10 * time.Second) // the demo's usage moves with its clock
	wait(t, ctx, m, "usage that moves", func(r *usage.Report) bool {
		u, ok := r.Member(ss)
		return ok && u.Containers[0].Current && u.Containers[0].Usage != first.Usage
	})
}

func wait(t *testing.T, ctx context.Context, m *usage.Monitor, what string, cond func(*usage.Report) bool) *usage.Report {
	t.Helper()
	for {
		if r := m.Latest(); cond(r) {
			return r
		}
		select {
		case <-ctx.Done():
			r := m.Latest()
			t.Fatalf("timed out waiting for %s: metrics %+v nodes %+v volumes %+v", what, r.Metrics, r.NodeMetrics, strings.TrimSpace(r.Volumes.Reason))
		case <-m.Reports():
		case <-time.After(20 * time.Millisecond):
		}
	}
}
