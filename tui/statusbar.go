package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
)

// statusLine shows where the console looks and how its watches stand:
// context, scope, sync state of every watch, time of the last change.
func (m Model) statusLine() string {
	st := m.opts.Styles
	sep := st.StatusBar.Key.Render(" · ")
	parts := []string{
		st.StatusBar.Key.Render("ctx ") + st.StatusBar.Value.Render(pane.OrDash(m.opts.Context)),
		st.StatusBar.Value.Render(pane.OrDash(m.opts.Scope)),
	}
	if m.snap != nil {
		parts = append(parts, m.syncSummary(m.snap.Syncs))
		if !m.snap.LastChange.IsZero() {
			parts = append(parts, st.StatusBar.Key.Render("last change ")+st.StatusBar.Value.Render(m.snap.LastChange.Local().Format("15:04:05")))
		}
	} else {
		parts = append(parts, st.StatusBar.Warn.Render("connecting…"))
	}
	line := strings.Join(parts, sep)
	if m.opts.ReadOnly.On() {
		line = st.StatusBar.ReadOnly.Render(" READ-ONLY ") + " " + line
	}
	return pane.Truncate(line, m.width)
}

// syncSummary counts synced watches and names the failing ones with their
// reason, which is what someone needs when a pane looks empty. Watches that
// fail for the same reason share it ("pods, events: reason"), and when
// every watch fails for one reason (the API server is gone) it says "all".
func (m Model) syncSummary(syncs []platform.SyncState) string {
	st := m.opts.Styles
	synced, total, syncing := 0, 0, 0
	var reasons []string // in order of first appearance
	failing := map[string][]string{}
	for _, s := range syncs {
		if s.Phase == platform.Absent {
			continue
		}
		total++
		switch s.Phase {
		case platform.Synced:
			synced++
		case platform.Syncing:
			syncing++
		case platform.Failing:
			if _, seen := failing[s.Reason]; !seen {
				reasons = append(reasons, s.Reason)
			}
			failing[s.Reason] = append(failing[s.Reason], shortResource(s.Resource))
		}
	}
	label := fmt.Sprintf("watches %d/%d", synced, total)
	var parts []string
	for _, r := range reasons {
		names := strings.Join(failing[r], ", ")
		if len(reasons) == 1 && len(failing[r]) == total && total > 1 {
			names = "all"
		}
		parts = append(parts, names+": "+r)
	}
	switch {
	case len(parts) > 0:
		return st.StatusBar.Err.Render(label+" ✖ ") + st.StatusBar.Err.Render(strings.Join(parts, "; "))
	case syncing > 0:
		return st.StatusBar.Warn.Render(label + " … syncing")
	default:
		return st.StatusBar.OK.Render(label + " ✓")
	}
}

func shortResource(r string) string {
	if i := strings.IndexByte(r, '.'); i >= 0 {
		return r[:i]
	}
	return r
}

// messageLine shows the last error or message, or the keys that work here.
func (m Model) messageLine() string {
	st := m.opts.Styles
	if m.status != "" { // cut in the middle: the start says what, the end why or where
		if m.statusErr {
			return st.StatusBar.Err.Render(pane.ElideMiddle("✖ "+m.status, m.width))
		}
		return st.StatusBar.Value.Render(pane.ElideMiddle(m.status, m.width))
	}
	g := m.opts.Keys.Global
	keys := append(m.panes[m.active].shortHelp(), g.Palette, g.Help, g.Quit)
	if m.object.IsOpen() {
		keys = m.object.ShortHelp()
	}
	return pane.Truncate(m.help.ShortHelpView(enabled(keys)), m.width)
}

func enabled(bs []key.Binding) []key.Binding {
	out := bs[:0:0]
	for _, b := range bs {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}
