package restarts

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/backend/watch"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

var epoch = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// troubledSnapshot is the demo platform settled on a frozen clock, an
// hour later, in trouble (OOMKilled, crash loops, image pulls, a pod that
// does not fit), as the watcher sees it.
func troubledSnapshot(t *testing.T) (*platform.Snapshot, *clocktesting.FakeClock) {
	t.Helper()
	s, fc, _ := troubledPlatform(t)
	return s, fc
}

func troubledPlatform(t *testing.T) (*platform.Snapshot, *clocktesting.FakeClock, *demo.Platform) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 300); err != nil {
		t.Fatal(err)
	}
	fc.Step(time.Hour)
	if err := p.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Troubles(ctx); err != nil {
		t.Fatal(err)
	}
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc, Coalesce: 5 * time.Millisecond})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sub := w.Subscribe(ctx)
	for {
		// the backfill pod and its event are the last things the troubles write
		s := w.Snapshot()
		if s.Synced() && len(s.EventsFor(demo.ProjectFraud, "Pod/"+demo.BackfillJobName+"-d7w5n")) > 0 {
			for _, c := range s.Components {
				for _, m := range c.Members {
					if m.Name == demo.BackfillJobName+"-d7w5n" {
						return s, fc, p
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("troubles never showed")
		case <-sub:
		}
	}
}

func deps(fc *clocktesting.FakeClock) pane.Deps {
	return pane.Deps{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Clock: fc}
}

// press builds the key press of a binding's first key.
func press(b key.Binding) tea.KeyPressMsg {
	return keyMsg(b.Keys()[0])
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	}
	if mod, rest, ok := strings.Cut(k, "+"); ok && mod == "ctrl" {
		return tea.KeyPressMsg{Code: rune(rest[0]), Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func typeText(m Model, s string) Model {
	for _, r := range s {
		m, _ = m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return m
}

var sizes = []struct {
	name string
	w, h int
}{{"80x24", 80, 24}, {"160x48", 160, 48}}

func TestGolden(t *testing.T) {
	snap, fc := troubledSnapshot(t)
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := New(deps(fc))
			m.SetSize(sz.w, sz.h)
			m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
			out := ansi.Strip(m.View())
			panetest.AssertFits(t, out, sz.w, sz.h)
			golden.RequireEqual(t, out)
		})
	}
}

// TestGoldenNavigate moves to the OOMKilled bookie and filters, through
// the bindings.
func TestGoldenNavigate(t *testing.T) {
	snap, fc := troubledSnapshot(t)
	km := keymap.Default()
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := New(deps(fc))
			m.SetSize(sz.w, sz.h)
			m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
			m, _ = m.Update(press(km.Global.Down))
			if r, _ := m.Selected(); r.Pod != "bookkeeper-bookie-1" {
				t.Fatalf("second row is %s", r.Key())
			}
			m, _ = m.Update(press(km.Global.Filter))
			if !m.Capturing() {
				t.Fatal("filter does not capture keys")
			}
			m = typeText(m, "backoff")
			m, _ = m.Update(press(km.Global.Select))
			if m.Capturing() {
				t.Fatal("filter still open")
			}
			out := ansi.Strip(m.View())
			panetest.AssertFits(t, out, sz.w, sz.h)
			golden.RequireEqual(t, out)

			m, _ = m.Update(press(km.Restarts.Events))
			if out := ansi.Strip(m.View()); strings.Contains(out, "▲ BackOff") && strings.Contains(out, "events ") ||
				!strings.Contains(out, "── ") || !strings.Contains(out, "last ") {
				t.Fatalf("e must hide the events and keep the detail (it hid the whole detail):\n%s", out)
			}
			m, _ = m.Update(press(km.Global.Back))
			if len(m.rows) != len(m.all) {
				t.Fatal("esc did not clear the filter")
			}
			if r, _ := m.Selected(); r.Pod != "bookkeeper-bookie-1" {
				t.Fatalf("selection moved to %s", r.Key())
			}
		})
	}
}

// beforeRestart is snap with the container of pod one restart earlier,
// running: what the monitor saw before it was OOMKilled.
func beforeRestart(t *testing.T, snap *platform.Snapshot, pod, container string) *platform.Snapshot {
	t.Helper()
	out := *snap
	out.Components = slices.Clone(snap.Components)
	for i, c := range out.Components {
		for j, m := range c.Members {
			if m.Name != pod {
				continue
			}
			cc := *c
			cc.Members = slices.Clone(c.Members)
			mm := *m
			mm.Containers = slices.Clone(m.Containers)
			for k := range mm.Containers {
				if mm.Containers[k].Name == container {
					mm.Containers[k].RestartCount--
					mm.Containers[k].Last = nil
				}
			}
			cc.Members[j] = &mm
			out.Components[i] = &cc
			return &out
		}
	}
	t.Fatalf("no pod %s", pod)
	return nil
}

// TestGoldenOOMKilledUsage shows the OOMKilled bookie's memory limit, the
// usage the monitor saw before it died (one read before its restart, one
// after) and where its memory is raised.
func TestGoldenOOMKilledUsage(t *testing.T) {
	snap, fc, p := troubledPlatform(t)
	report := panetest.UsageReport(t, usage.Config{Metrics: p.Metrics(), Scope: p.Scope()}, fc.Now(),
		beforeRestart(t, snap, "bookkeeper-bookie-1", "bookie"), snap)
	km := keymap.Default()
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := New(deps(clocktesting.NewFakeClock(report.At)))
			m.SetSize(sz.w, sz.h)
			m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
			m, _ = m.Update(pane.UsageMsg{Report: report})
			m, _ = m.Update(press(km.Global.Down))
			if r, _ := m.Selected(); r.Pod != "bookkeeper-bookie-1" {
				t.Fatalf("second row is %s", r.Key())
			}
			out := ansi.Strip(m.View())
			for _, want := range []string{"limit 4.0Gi", "before it died", "spec.resources.limits.memory"} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in\n%s", want, out)
				}
			}
			panetest.AssertFits(t, out, sz.w, sz.h)
			golden.RequireEqual(t, out)
		})
	}
}

func TestToLogs(t *testing.T) {
	snap, fc := troubledSnapshot(t)
	km := keymap.Default()
	m := New(deps(fc))
	m.SetSize(80, 24)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
	_, cmd := m.Update(press(km.Restarts.ToLogs))
	msg, ok := cmd().(pane.OpenLogsMsg)
	if !ok {
		t.Fatal("no OpenLogsMsg")
	}
	want := pane.LogTarget{Namespace: "pravega", Pod: "pravega-tier2-sync-6d5f8b7c9-q8v2m", Container: "sync"}
	if len(msg.Targets) != 1 || msg.Targets[0] != want || !msg.Previous {
		t.Fatalf("got %+v", msg)
	}
	m, _ = m.Update(press(km.Global.Bottom))
	_, cmd = m.Update(press(km.Restarts.ToLogs))
	if msg := cmd().(pane.OpenLogsMsg); msg.Previous {
		t.Fatalf("a container that never restarted opens its previous log: %+v", msg)
	}
}

// TestHostileEvent checks that an event message carrying escape sequences
// (a probe's output is the container's to choose) cannot reach the
// terminal: the only sequences in the view are our own colours.
func TestHostileEvent(t *testing.T) {
	fc := clocktesting.NewFakeClock(epoch)
	snap := &platform.Snapshot{Seq: 1,
		Components: []*platform.Component{{Kind: platform.SegmentStore, Cluster: "pravega", Namespace: "pravega", Members: []*platform.Member{{
			Name: "ss-0", Namespace: "pravega", Phase: "Running",
			Containers: []platform.Container{{Name: "ss", State: platform.StateWaiting, Reason: "CrashLoopBackOff\x1b[2J",
				Message: "back-off\x1b]0;owned\x07", RestartCount: 2,
				Last: &platform.Termination{Reason: "Error", ExitCode: 1, Message: "bye\x1b]52;c;ZWNobyBoaQ==\x07\r\x1b[1A"}}},
		}}}},
		Events: []platform.Event{{Namespace: "pravega", Object: "Pod/ss-0", Reason: "Unhealthy",
			Message: "Liveness probe failed: \x1b]52;c;cm0gLXJmIH4=\x1b\\\x1b[31mred\x1b[0m\x9b2J\u009b2J", Count: 1, Last: epoch}},
	}
	for _, sz := range sizes {
		m := New(deps(fc))
		m.SetSize(sz.w, sz.h)
		m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
		out := m.View()
		panetest.AssertOnlySGR(t, out)
		panetest.AssertFits(t, ansi.Strip(out), sz.w, sz.h)
	}
}

// TestFilterColumnForm: "OOM" finds only the OOMKilled container, not the
// image pull or the "Error 1" rows it used to match letter by letter, and
// reason:OOM narrows to the reason columns.
func TestFilterColumnForm(t *testing.T) {
	snap, fc := troubledSnapshot(t)
	km := keymap.Default()
	for _, q := range []string{"OOM", "reason:OOM", "reason:oomkilled"} {
		t.Run(q, func(t *testing.T) {
			m := New(deps(fc))
			m.SetSize(160, 48)
			m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
			m, _ = m.Update(press(km.Global.Filter))
			m = typeText(m, q)
			m, _ = m.Update(press(km.Global.Select))
			if len(m.rows) == 0 {
				t.Fatal("nothing matches")
			}
			for _, r := range m.rows {
				if r.Last == nil || r.Last.Reason != "OOMKilled" {
					t.Errorf("%s matches %s (%s, last %+v)", q, r.Key(), r.StateText(), r.Last)
				}
			}
		})
	}
	m := New(deps(fc))
	m.SetSize(160, 48)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
	m, _ = m.Update(press(km.Global.Filter))
	m = typeText(m, "container:backfill")
	if len(m.rows) != 1 || m.rows[0].Container != "backfill" {
		t.Errorf("container:backfill matched %d rows", len(m.rows))
	}
}

// TestPodNamesStayApart: at 80 and 160 columns the two controller pods
// (same long prefix, different hashes) read differently, their names
// cut in the middle as every pane cuts pod names.
func TestPodNamesStayApart(t *testing.T) {
	fc := clocktesting.NewFakeClock(epoch)
	pod := func(name string) *platform.Member {
		return &platform.Member{Name: name, Namespace: "pravega", Phase: "Running", Ready: true,
			Containers: []platform.Container{{Name: "pravega-controller", State: platform.StateRunning}}}
	}
	a, b := "pravega-pravega-controller-b121e3f-x7k2p", "pravega-pravega-controller-b121e3f-q9m4z"
	snap := &platform.Snapshot{Seq: 1, Components: []*platform.Component{{Kind: platform.Controller, Cluster: "pravega", Namespace: "pravega",
		Members: []*platform.Member{pod(a), pod(b)}}}}
	for _, w := range []int{80, 100, 160} {
		m := New(deps(fc))
		m.SetSize(w, 24)
		m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
		out := ansi.Strip(m.View())
		for _, suffix := range []string{"b121e3f-x7k2p", "b121e3f-q9m4z"} {
			if !strings.Contains(out, suffix) {
				t.Errorf("%d columns: no row ends %s:\n%s", w, suffix, out)
			}
		}
	}
}

// TestStateIsNotCut: at 160 columns the state that says why a container
// is down shows whole.
func TestStateIsNotCut(t *testing.T) {
	snap, fc := troubledSnapshot(t)
	m := New(deps(fc))
	m.SetSize(160, 48)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
	if out := ansi.Strip(m.View()); !strings.Contains(out, "✖ CreateContainerConfigError ") {
		t.Errorf("the state is cut:\n%s", out)
	}
}

// TestHiddenPaneKeepsNoRows: snapshots arriving while another pane is shown
// make no rows (a row per container of 15,000 pods is about 10 MB); shown
// again, the pane lists the latest snapshot with the same row selected.
func TestHiddenPaneKeepsNoRows(t *testing.T) {
	snap, fc := troubledSnapshot(t)
	km := keymap.Default()
	m := New(deps(fc))
	m.SetSize(160, 48)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
	m, _ = m.Update(press(km.Global.Down))
	sel, ok := m.Selected()
	if !ok {
		t.Fatal("nothing selected")
	}
	m, _ = m.Update(pane.BlurMsg{})
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: snap})
	if m.all != nil || m.rows != nil {
		t.Fatalf("a hidden pane keeps %d rows", len(m.all))
	}
	m, _ = m.Update(pane.FocusMsg{})
	if len(m.all) == 0 {
		t.Fatal("no rows once shown again")
	}
	if again, _ := m.Selected(); again.Key() != sel.Key() {
		t.Errorf("selection moved from %s to %s", sel.Key(), again.Key())
	}
}
