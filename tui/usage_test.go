package tui

import (
	"testing"

	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// TestUsageIsReadOnlyWhileAPaneShowsIt: the members pane, shown first,
// activates the monitor; the logs pane does not show usage, so switching
// there leaves nothing active; the restarts pane activates it again.
func TestUsageIsReadOnlyWhileAPaneShowsIt(t *testing.T) {
	_, fc := demoSnapshot(t)
	mon := usage.New(usage.Config{})
	km := keymap.Default()
	m := newConsole(t, fc, themes.Dark, Backends{Usage: mon})
	for _, msg := range results(m.Init()) { // runs the focus of the first pane
		m = drive(m, msg)
	}
	if !mon.Active() {
		t.Fatal("members shown first, the monitor is not active")
	}
	m = drive(m, keymap.Press(km.Global.Logs), runCmd{})
	if mon.Active() {
		t.Fatal("logs shown, the monitor is still active")
	}
	m = drive(m, keymap.Press(km.Global.Restarts), runCmd{})
	if !mon.Active() {
		t.Fatal("restarts shown, the monitor is not active")
	}
	_ = drive(m, pane.SwitchMsg{To: pane.StreamsID}, runCmd{})
	if mon.Active() {
		t.Fatal("streams shown, the monitor is still active")
	}
}
