package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// TestStatusBarNamesFailingWatches renders the status line for the sync
// states the watcher publishes in the fault tests (backend/watch/faulttest: the
// apiserver stopped; backend/watch: the one-namespace user): every failing
// watch is named with its reason, on one line.
func TestStatusBarNamesFailingWatches(t *testing.T) {
	watches := []string{"pods", "events", "nodes", "statefulsets", "deployments", "services", "endpointslices", "ingresses", "zookeeperclusters.zookeeper.pravega.io"}
	refused := "dial 127.0.0.1:28046: connect: connection refused"
	syncs := func(phase func(resource string) (platform.SyncPhase, string)) []platform.SyncState {
		out := []platform.SyncState{{Resource: "flinkclusters.flinkoperator.k8s.io", Phase: platform.Absent, Reason: "not served (CRD not installed)"}}
		for _, w := range watches {
			p, r := phase(w)
			out = append(out, platform.SyncState{Resource: w, Phase: p, Reason: r})
		}
		return out
	}
	forbidden := func(resource string) string {
		return `forbidden: User "limited" cannot list resource "` + resource + `" in API group "" in the namespace "team-a"`
	}
	cases := []struct {
		name  string
		syncs []platform.SyncState
		want  string
	}{
		{"apiserver down", syncs(func(string) (platform.SyncPhase, string) { return platform.Failing, refused }),
			"ctx admin · outage · watches 0/9 ✖ all: " + refused},
		{"reconnecting", syncs(func(r string) (platform.SyncPhase, string) {
			if r == "pods" || r == "nodes" {
				return platform.Synced, ""
			}
			return platform.Failing, refused
		}), "ctx admin · outage · watches 2/9 ✖ events, statefulsets, deployments, services, endpointslices, ingresses, zookeeperclusters: " + refused},
		{"one namespace", syncs(func(r string) (platform.SyncPhase, string) {
			switch r {
			case "pods":
				return platform.Synced, ""
			case "events", "services":
				return platform.Failing, forbidden(r)
			}
			return platform.Synced, ""
		}), "ctx admin · outage · watches 7/9 ✖ events: " + forbidden("events") + "; services: " + forbidden("services")},
		{"resynced", syncs(func(string) (platform.SyncPhase, string) { return platform.Synced, "" }),
			"ctx admin · outage · watches 9/9 ✓"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newConsole(t, clocktesting.NewFakeClock(epoch), themes.Dark)
			m.opts.Context, m.opts.Scope = "admin", "outage"
			m = drive(m, tea.WindowSizeMsg{Width: 400, Height: 24}, snapshotMsg{&platform.Snapshot{Seq: 1, Syncs: tc.syncs}})
			if got := ansi.Strip(m.statusLine()); got != tc.want {
				t.Errorf("status line\n got %q\nwant %q", got, tc.want)
			}
			// At 80 columns it is still one line, cut with an ellipsis.
			m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
			if got := ansi.Strip(m.statusLine()); strings.Contains(got, "\n") || ansi.StringWidth(got) > 80 {
				t.Errorf("at 80 columns: %q", got)
			}
		})
	}
}

// TestMessagesBelongToTheirPane: a pane's line stays off the other panes,
// information fades so the key hints come back, a pane withdraws its own
// line when its state changed, and backend errors stay where the user is.
func TestMessagesBelongToTheirPane(t *testing.T) {
	fc := clocktesting.NewFakeClock(epoch)
	m := newConsole(t, fc, themes.Dark)
	m = drive(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	line := func(m Model) string { return ansi.Strip(m.messageLine()) }
	hints := line(m)

	m, _ = m.switchTo(pane.LogsID)
	m = drive(m, pane.StatusMsg{Text: "following: streams resume where they stopped"})
	if !strings.Contains(line(m), "following:") {
		t.Fatalf("message not shown: %q", line(m))
	}
	m, _ = m.switchTo(pane.MembersID)
	if got := line(m); got != hints {
		t.Fatalf("the logs pane's message stayed on members: %q", got)
	}

	m = drive(m, pane.StatusMsg{Text: "no containers to follow"})
	fc.Step(statusFade - time.Second)
	m = drive(m, tickMsg{t: fc.Now(), seq: m.tickSeq})
	if !strings.Contains(line(m), "no containers") {
		t.Fatalf("faded too early: %q", line(m))
	}
	fc.Step(time.Second)
	m = drive(m, tickMsg{t: fc.Now(), seq: m.tickSeq})
	if got := line(m); got != hints {
		t.Fatalf("information did not fade: %q", got)
	}

	m = drive(m, pane.ErrMsg{Err: errors.New("scale: plan: refused")})
	fc.Step(time.Minute)
	m = drive(m, tickMsg{t: fc.Now(), seq: m.tickSeq})
	if !strings.Contains(line(m), "refused") {
		t.Fatalf("an error faded by itself: %q", line(m))
	}
	m = drive(m, pane.StatusMsg{}) // the pane's state changed
	if got := line(m); got != hints {
		t.Fatalf("withdrawn error stayed: %q", got)
	}

	m = drive(m, backendErrMsg{errors.New("watch pods: connection refused")})
	m, _ = m.switchTo(pane.StreamsID)
	m = drive(m, pane.StatusMsg{}) // another pane's withdrawal is not the backend's
	if !strings.Contains(line(m), "connection refused") {
		t.Fatalf("the console's own error went with a pane switch: %q", line(m))
	}
}
