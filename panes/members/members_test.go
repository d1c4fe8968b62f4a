package members

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func bigSnapshot(pods, comps int) *platform.Snapshot {
	s := &platform.Snapshot{Seq: 1}
	per := pods / comps
	for c := 0; c < comps; c++ {
		comp := &platform.Component{Kind: platform.Kinds[c%6], Cluster: fmt.Sprintf("cluster-%02d", c/6), Namespace: fmt.Sprintf("project-%02d", c/6),
			Desired: per, Ready: per - c%2, HasSpec: true, Version: "0.13.0", Health: platform.Ready}
		if c%2 == 1 {
			comp.Health, comp.Reason = platform.Degraded, fmt.Sprintf("%d/%d ready", per-1, per)
		}
		for i := 0; i < per; i++ {
			comp.Members = append(comp.Members, &platform.Member{Name: fmt.Sprintf("%s-%s-%d", comp.Cluster, strings.ToLower(comp.Kind.String()), i),
				Node: fmt.Sprintf("node-%d", i%40), Phase: "Running", Ready: i != 0 || c%2 == 0, Restarts: int32(i % 3), Created: now.Add(-time.Hour)})
		}
		s.Components = append(s.Components, comp)
	}
	return s
}

func newPane(w, h int) Model {
	m := New(pane.Deps{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(now)})
	m.SetSize(w, h)
	return m
}

// BenchmarkMembersView renders the pane at 160x48 (45 rows of pane area)
// with 10,000 pods, every component expanded, cursor in the middle.
func BenchmarkMembersView(b *testing.B) {
	m := newPane(160, 45)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: bigSnapshot(10000, 50)})
	m, _ = m.Update(keymap.Press(m.deps.Keys.Members.ExpandAll))
	m.setCursor(len(m.rows) / 2)
	if len(m.rows) != 10050 {
		b.Fatalf("%d rows", len(m.rows))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}

// BenchmarkMembersSnapshot is the work done when a snapshot arrives with
// everything expanded: rebuilding the visible rows.
func BenchmarkMembersSnapshot(b *testing.B) {
	m := newPane(160, 45)
	s := bigSnapshot(10000, 50)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: s})
	m, _ = m.Update(keymap.Press(m.deps.Keys.Members.ExpandAll))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, _ = m.Update(pane.SnapshotMsg{Snapshot: s})
	}
}

func TestSelectionFollowsTheComponentAcrossSnapshots(t *testing.T) {
	m := newPane(160, 45)
	s := bigSnapshot(60, 6)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: s})
	km := m.deps.Keys
	m, _ = m.Update(keymap.Press(km.Global.Down))
	m, _ = m.Update(keymap.Press(km.Global.Down))
	want := m.rows[m.cursor].comp.Key()
	// A new snapshot where a component sorts before the selected one.
	s2 := bigSnapshot(60, 6)
	s2.Components = append([]*platform.Component{{Kind: platform.ZooKeeper, Cluster: "aaa", Namespace: "aaa", HasSpec: true}}, s2.Components...)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: s2})
	if got := m.rows[m.cursor].comp.Key(); got != want {
		t.Errorf("selection moved from %s to %s", want, got)
	}
}

func TestFilterFindsMembersAndKeepsTheirComponent(t *testing.T) {
	m := newPane(160, 45)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: bigSnapshot(60, 6)})
	km := m.deps.Keys
	m, _ = m.Update(keymap.Press(km.Global.Filter))
	for _, r := range "segmentstore-7" {
		m, _ = m.Update(keymap.PressString(string(r)))
	}
	m, _ = m.Update(keymap.Press(km.Global.Select))
	out := ansi.Strip(m.View())
	if !strings.Contains(out, "cluster-00-segmentstore-7") || !strings.Contains(out, "SegmentStore") {
		t.Errorf("filtered view lacks the member or its component:\n%s", out)
	}
	if strings.Contains(out, "BookKeeper") {
		t.Errorf("filter let unrelated components through:\n%s", out)
	}
	m, _ = m.Update(keymap.Press(km.Global.Back))
	if got := len(m.rows); got != 6 {
		t.Errorf("esc should clear the filter: %d rows", got)
	}
}

func TestLogsKeyOpensTheSelectedMembers(t *testing.T) {
	m := newPane(160, 45)
	s := bigSnapshot(60, 6)
	for _, c := range s.Components {
		for _, mem := range c.Members {
			mem.Namespace = c.Namespace
			mem.Containers = []platform.Container{{Name: "init", Init: true}, {Name: "main"}}
		}
	}
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: s})
	_, cmd := m.Update(keymap.Press(m.deps.Keys.Members.ToLogs))
	msg, ok := cmd().(pane.OpenLogsMsg)
	if !ok {
		t.Fatalf("got %#v", cmd())
	}
	if len(msg.Targets) != 10 || msg.Targets[0].Container != "main" || msg.Targets[0].Namespace != "project-00" {
		t.Errorf("targets %+v", msg.Targets)
	}
}

func TestFilterMatchesLiterallyFirst(t *testing.T) {
	s := &platform.Snapshot{Seq: 1, Components: []*platform.Component{
		{Kind: platform.BookKeeper, Cluster: "bookkeeper", Namespace: "pravega", HasSpec: true, Health: platform.Ready,
			Members: []*platform.Member{{Name: "bookkeeper-bookie-0", Node: "worker-1", Phase: "Running", Ready: true}}},
		{Kind: platform.Controller, Cluster: "pravega", Namespace: "pravega", HasSpec: true, Health: platform.Ready,
			Members: []*platform.Member{{Name: "pravega-pravega-controller-b121e3f-x7k2p", Node: "worker-2", Phase: "Running", Ready: true}}},
		{Kind: platform.SegmentStore, Cluster: "pravega", Namespace: "pravega", HasSpec: true, Health: platform.Ready,
			Members: []*platform.Member{{Name: "pravega-pravega-segment-store-0", Node: "worker-3", Phase: "Running", Ready: true}}},
	}}
	km := keymap.Default()
	cases := []struct {
		query string
		want  []string // component kinds shown
	}{
		{"book", []string{"BookKeeper"}},
		{"kind:bookkeeper", []string{"BookKeeper"}},
		{"kind:controller", []string{"Controller"}},
		{"node:worker-3", []string{"SegmentStore"}},
		{"pravega", []string{"BookKeeper", "Controller", "SegmentStore"}}, // the namespace
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			m := newPane(160, 45)
			m, _ = m.Update(pane.SnapshotMsg{Snapshot: s})
			m, _ = m.Update(keymap.Press(km.Global.Filter))
			m, _ = m.Update(keymap.PressString(c.query))
			var got []string
			for _, r := range m.rows {
				if r.member == nil {
					got = append(got, r.comp.Kind.String())
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("%q shows %v, want %v", c.query, got, c.want)
			}
		})
	}
}

// TestUnschedulableMemberIsNeverOK: a component whose only pod is Pending
// and Unschedulable, as the backend assesses it, is not drawn as healthy.
func TestUnschedulableMemberIsNeverOK(t *testing.T) {
	pod := &platform.Member{Name: "fraud-scoring-backfill-29110560-d7w5n", Namespace: "fraud-detection", Phase: "Pending", Reason: "Unschedulable", Created: now.Add(-14 * time.Minute)}
	c := &platform.Component{Kind: platform.Other, Cluster: "fraud-scoring-backfill-29110560", Namespace: "fraud-detection", Members: []*platform.Member{pod}}
	operator.Assess(c)
	for _, size := range [][2]int{{80, 21}, {100, 27}, {160, 45}} {
		m := newPane(size[0], size[1])
		m, _ = m.Update(pane.SnapshotMsg{Snapshot: &platform.Snapshot{Seq: 1, Components: []*platform.Component{c}}})
		m, _ = m.Update(keymap.Press(m.deps.Keys.Members.Expand))
		out := ansi.Strip(m.View())
		lines := strings.Split(out, "\n")
		if len(lines) < 4 {
			t.Fatalf("%v: %s", size, out)
		}
		comp := lines[2]
		if strings.HasPrefix(comp, "●") || strings.HasSuffix(strings.TrimSpace(comp), " ok") || !strings.Contains(comp, "✖") {
			t.Errorf("%dx%d: component row reads healthy: %q", size[0], size[1], comp)
		}
		if !strings.Contains(lines[0], "1 failed") {
			t.Errorf("%dx%d: summary %q", size[0], size[1], lines[0])
		}
		if !strings.Contains(lines[3], "Pending Unschedulable") {
			t.Errorf("%dx%d: member row %q", size[0], size[1], lines[3])
		}
	}
	// with no reason from the backend, the health is said, not "ok"
	if got := conditionText(&platform.Component{Health: platform.Degraded}); got != "degraded" {
		t.Errorf("conditionText = %q", got)
	}
}

// troubled is a platform like the demo's after its troubles: long names
// and a long condition.
func troubled() *platform.Snapshot {
	ctl := &platform.Component{Kind: platform.Controller, Cluster: "pravega", Namespace: "pravega", HasSpec: true, Desired: 2, Version: "0.13.0", Members: []*platform.Member{
		{Name: "pravega-pravega-controller-b121e3f-x7k2p", Namespace: "pravega", Node: "worker-1", Phase: "Running", Ready: true, Created: now.Add(-time.Hour)},
		{Name: "pravega-pravega-controller-b121e3f-q9m4z", Namespace: "pravega", Node: "worker-2", Phase: "Running", Ready: true, Created: now.Add(-time.Hour)},
	}}
	ctl.Ready = 2
	loader := &platform.Component{Kind: platform.Other, Cluster: "fraud-rules-loader", Namespace: "fraud-detection", HasSpec: true, Desired: 1, Members: []*platform.Member{
		{Name: "fraud-rules-loader-7f6c9d8b5-m4k9t", Namespace: "fraud-detection", Node: "worker-3", Phase: "Pending", Reason: "CreateContainerConfigError", Created: now.Add(-time.Hour),
			Containers: []platform.Container{{Name: "fetch-rules", Init: true, State: platform.StateWaiting, Reason: "CreateContainerConfigError"}}},
	}}
	backfill := &platform.Component{Kind: platform.Other, Cluster: "fraud-scoring-backfill-29110560", Namespace: "fraud-detection", Members: []*platform.Member{
		{Name: "fraud-scoring-backfill-29110560-d7w5n", Namespace: "fraud-detection", Phase: "Pending", Reason: "Unschedulable", Created: now.Add(-14 * time.Minute)},
	}}
	tm := &platform.Component{Kind: platform.FlinkTaskManager, Cluster: "fraud-scoring", Namespace: "fraud-detection", HasSpec: true, Desired: 2, Ready: 2, State: "job RUNNING", Version: "v1_19"}
	s := &platform.Snapshot{Seq: 1, Components: []*platform.Component{ctl, tm, loader, backfill}}
	for _, c := range s.Components {
		operator.Assess(c)
	}
	return s
}

func conditionWidth(t *testing.T, m Model) int {
	t.Helper()
	_, widths := m.columns()
	return widths[7]
}

// TestColumnsByPriority: a long cluster name does not squeeze the
// condition; the table at 100 columns says at least as much of it as at
// 80, and every line fits.
func TestColumnsByPriority(t *testing.T) {
	s := troubled()
	prev := 0
	for _, w := range []int{80, 100, 120, 160} {
		m := newPane(w, 27)
		m, _ = m.Update(pane.SnapshotMsg{Snapshot: s})
		cw := conditionWidth(t, m)
		if cw < 16 || cw < prev {
			t.Errorf("at %d columns the condition gets %d cells (%d at the width before)", w, cw, prev)
		}
		prev = cw
		panetest.AssertFits(t, ansi.Strip(m.View()), w, 27)
	}
	// at 160 the whole condition of the loader shows
	m := newPane(160, 45)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: s})
	if out := ansi.Strip(m.View()); !strings.Contains(out, "fetch-rules CreateContainerConfigError") {
		t.Errorf("160 columns cut the cause:\n%s", out)
	}
}

// TestNamesKeepTheirEnd: at 80 columns the two controller pods read
// differently, and the selected row is read whole on the detail line.
func TestNamesKeepTheirEnd(t *testing.T) {
	m := newPane(80, 21)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: troubled()})
	m, _ = m.Update(keymap.Press(m.deps.Keys.Members.ExpandAll))
	out := ansi.Strip(m.View())
	for _, suffix := range []string{"b121e3f-x7k2p", "b121e3f-q9m4z"} {
		if !strings.Contains(out, suffix) {
			t.Errorf("no row ends %s:\n%s", suffix, out)
		}
	}
	// the loader's condition is cut in its cell, whole on the detail lines
	for m.cursor < len(m.rows) && m.rows[m.cursor].comp.Cluster != "fraud-rules-loader" {
		m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
	}
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	detail := strings.Join(lines[len(lines)-3:len(lines)-1], " ")
	want := conditionCell(m.rows[m.cursor].comp)
	if !strings.Contains(detail, want) {
		t.Errorf("detail lines %q lack the whole condition %q", detail, want)
	}
}

// TestEmptyWhileSyncingSaysSyncing: before the watches have listed, no
// component is not "no platform components found" (the first screen of a
// large namespace said so while its pods were still arriving).
func TestEmptyWhileSyncingSaysSyncing(t *testing.T) {
	m := newPane(100, 30)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: &platform.Snapshot{Seq: 1, Syncs: []platform.SyncState{{Resource: "pods", Phase: platform.Syncing}}}})
	out := ansi.Strip(m.View())
	if !strings.Contains(out, "syncing") || strings.Contains(out, "no platform components found") {
		t.Errorf("while syncing:\n%s", out)
	}
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: &platform.Snapshot{Seq: 2, Syncs: []platform.SyncState{{Resource: "pods", Phase: platform.Synced}}}})
	if out := ansi.Strip(m.View()); !strings.Contains(out, "no platform components found") {
		t.Errorf("once synced and empty:\n%s", out)
	}
}

// TestStateWidth: the layout's measure of a member's state is the width
// of the state the row draws, for every shape of state.
func TestStateWidth(t *testing.T) {
	for _, mem := range []*platform.Member{
		{Phase: "Running", Ready: true},
		{Phase: "Running"},
		{Phase: "Running", Terminating: true, Reason: "Terminating"},
		{Phase: "Pending", Reason: "Unschedulable"},
		{Phase: "Failed", Reason: "Évicted ✖"},
		{},
	} {
		if got, want := stateWidth(mem), ansi.StringWidth(memberState(mem)); got != want {
			t.Errorf("%+v: width %d, the state %q is %d", mem, got, memberState(mem), want)
		}
	}
}
