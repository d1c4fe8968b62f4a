package tui

import (
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
)

// TestTicksFollowTheYoungestAge: a console on a platform where nothing is
// young refreshes ages every 15 s; a snapshot that brings a young pod
// replaces the pending slow tick by a 1 s one, and the replaced tick,
// when it fires, is dropped.
func TestTicksFollowTheYoungestAge(t *testing.T) {
	fc := clocktesting.NewFakeClock(epoch)
	m := New(Options{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Clock: fc, Tick: time.Second, CrashDir: t.TempDir()})
	snap := func(created time.Time) *platform.Snapshot {
		return &platform.Snapshot{Seq: 1, Taken: fc.Now(), Components: []*platform.Component{{
			Kind: platform.ZooKeeper, Cluster: "zk", Namespace: "pravega",
			Members: []*platform.Member{{Name: "zk-0", Namespace: "pravega", Created: created, Started: created}},
		}}}
	}
	old := snap(fc.Now().Add(-time.Hour))
	old.Syncs = []platform.SyncState{{Resource: "pods", Phase: platform.Synced, Since: fc.Now()},
		{Resource: "flinkdeployments.flink.apache.org", Phase: platform.Absent, Since: fc.Now()}}
	m = drive(m, snapshotMsg{old})
	if m.agesYoung() || m.tickFast {
		t.Fatal("an hour-old platform (its watches synced or not served just now) ticks every second")
	}
	seq := m.tickSeq
	m = drive(m, snapshotMsg{snap(fc.Now().Add(-5 * time.Second))})
	if !m.tickFast || m.tickSeq == seq {
		t.Fatalf("a 5 s old pod did not bring a fast tick (fast %v, seq %d → %d)", m.tickFast, seq, m.tickSeq)
	}
	if _, cmd := m.Update(tickMsg{t: fc.Now(), seq: seq}); cmd != nil {
		t.Error("the replaced slow tick was handled")
	}
	fc.Step(2 * time.Minute)
	m = drive(m, tickMsg{t: fc.Now(), seq: m.tickSeq})
	if m.tickFast {
		t.Error("ticks stayed fast once the pod was two minutes old")
	}
	m = drive(m, snapshotMsg{&platform.Snapshot{Seq: 2, Taken: fc.Now(), LastChange: fc.Now()}})
	if !m.tickFast {
		t.Error("a change just now did not bring a fast tick")
	}
}
