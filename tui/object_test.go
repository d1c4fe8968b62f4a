package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

// TestObjectKeyOpensTheSelectedPod: y on a member row of the members pane
// opens that pod's story (read from the demo platform through its
// clients: owners up to the custom resource), esc returns to the pane.
func TestObjectKeyOpensTheSelectedPod(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	km := keymap.Default()
	m := newConsole(t, fc, themes.Dark, Backends{Objects: object.NewReader(p.Clients())})
	m = drive(m, tea.WindowSizeMsg{Width: 100, Height: 30}, snapshotMsg{snap})
	// the first component (ZooKeeper) expanded, its first member selected
	m = drive(m, keymap.Press(km.Members.Expand), keymap.Press(km.Global.Down))
	ref, ok := m.panes[m.active].selected()
	if !ok || ref.Kind != "Pod" {
		t.Fatalf("selected %+v %v", ref, ok)
	}
	if out := ansi.Strip(drive(m, keymap.Press(km.Global.Object)).render()); !strings.Contains(out, "loading…") {
		t.Errorf("no loading line:\n%s", out)
	}
	m = drive(m, keymap.Press(km.Global.Object), runCmd{})
	raw := m.render()
	panetest.AssertOnlySGR(t, raw)
	out := ansi.Strip(raw)
	panetest.AssertFits(t, out, 100, 30)
	for _, want := range []string{"Pod " + ref.Namespace + "/" + ref.Name, "── owners", "↑ StatefulSet ", "↑ ZookeeperCluster ", "── events, newest first", "esc close"} {
		if !strings.Contains(out, want) {
			t.Errorf("story lacks %q:\n%s", want, out)
		}
	}
	m = drive(m, keymap.Press(km.Global.Back))
	if m.object.IsOpen() {
		t.Fatal("esc did not close the overlay")
	}
	if out := ansi.Strip(m.render()); !strings.Contains(out, "KIND") || !strings.Contains(out, ref.Name) {
		t.Errorf("members not back:\n%s", out)
	}

	// a pane whose rows name no object takes y as its own key (none)
	m = drive(m, keymap.Press(km.Global.Logs), keymap.Press(km.Global.Object))
	if m.object.IsOpen() {
		t.Error("y opened the overlay over the logs pane")
	}
}
