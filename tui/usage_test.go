package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

// TestGoldenMembersUsage pins the members pane with the demo's usage:
// the segment stores expanded, each with its CPU and memory against its
// limit, the one on worker-3 marked for the node's MemoryPressure, and the
// detail line with the member's figures and its node's.
func TestGoldenMembersUsage(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	report := panetest.UsageReport(t, usage.Config{Metrics: p.Metrics(), Summaries: p.Summaries(), Scope: p.Scope()}, fc.Now(), snap)
	km := keymap.Default()
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"160x48", 160, 48}} {
		t.Run(size.name, func(t *testing.T) {
			m := newConsole(t, fc, themes.Dark)
			m = drive(m, tea.WindowSizeMsg{Width: size.w, Height: size.h}, snapshotMsg{snap}, usageMsg{report},
				keymap.Press(km.Global.Down), keymap.Press(km.Global.Down), keymap.Press(km.Members.Expand), keymap.Press(km.Global.Down))
			out := ansi.Strip(m.render())
			for _, want := range []string{"mem ", "MemoryPressure"} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q:\n%s", want, out)
				}
			}
			panetest.AssertFits(t, out, size.w, size.h)
			golden.RequireEqual(t, out)
		})
	}
}

// TestComponentRowSaysWhatItsMembersRisk: the operator's status calls the
// segment stores ready, but one is at 98 % of its memory limit and two sit
// on a node under MemoryPressure; the component's row says so (glyph and
// text, not only colour) instead of "ok", and the bookies, with neither,
// stay "ok".
func TestComponentRowSaysWhatItsMembersRisk(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	report := panetest.UsageReport(t, usage.Config{Metrics: p.Metrics(), Summaries: p.Summaries(), Scope: p.Scope()}, fc.Now(), snap)
	m := newConsole(t, fc, themes.Mono)
	m = drive(m, tea.WindowSizeMsg{Width: 200, Height: 40}, snapshotMsg{snap}, usageMsg{report})
	rows := map[string]string{}
	for _, line := range strings.Split(ansi.Strip(m.render()), "\n") {
		for _, kind := range []string{"SegmentStore", "BookKeeper"} {
			if strings.Contains(line, "▸ "+kind+" ") {
				rows[kind] = line
			}
		}
	}
	seg := rows["SegmentStore"]
	if !strings.HasPrefix(seg, "▲") || !strings.Contains(seg, "▲ mem 98% of limit in pravega-pravega-segment-store-0 and 1 more · ▲ node MemoryPressure ×2") || strings.HasSuffix(strings.TrimSpace(seg), " ok") {
		t.Errorf("segment store row: %q", seg)
	}
	if bk := rows["BookKeeper"]; !strings.HasPrefix(bk, "●") || !strings.HasSuffix(strings.TrimSpace(bk), " ok") {
		t.Errorf("bookie row: %q", bk)
	}
}
