package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

// helpBox returns the lines of the help overlay as drawn (between its
// borders), stripped of styling.
func helpBox(t *testing.T, m Model) []string {
	t.Helper()
	out := ansi.Strip(m.render())
	panetest.AssertFits(t, out, m.width, m.height)
	var box []string
	in := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.Contains(l, "╭"):
			in = true
		case strings.Contains(l, "╰"):
			in = false
		case in:
			s := strings.TrimSpace(l)
			s = strings.TrimSuffix(strings.TrimPrefix(s, "│"), "│")
			box = append(box, strings.TrimSpace(s))
		}
	}
	if len(box) == 0 {
		t.Fatalf("no help overlay:\n%s", out)
	}
	return box
}

// TestHelpListsThePanesKeysAndScrolls opens help at 80x24 on every pane:
// the pane's own keys come first, every key of the pane and of the console
// can be reached by scrolling, and no line of the overlay is cut.
func TestHelpListsThePanesKeysAndScrolls(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	for id, row := range paneTable {
		name := row.name
		t.Run(name, func(t *testing.T) {
			m := newConsole(t, fc, themes.Dark, Backends{Logs: logs.New(logs.Config{})})
			m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24}, snapshotMsg{snap})
			m, _ = m.switchTo(id)
			m = drive(m, keymap.Press(km.Global.Help))
			if !m.showHelp {
				t.Fatal("help did not open")
			}
			seen := map[string]bool{}
			var first []string
			for step := 0; step < 50; step++ {
				box := helpBox(t, m)
				if step == 0 {
					first = box
				}
				for _, l := range box {
					if strings.Contains(l, "…") {
						t.Errorf("a help line is cut: %q", l)
					}
					seen[l] = true
				}
				before := m.helpTop()
				m = drive(m, keymap.Press(km.Global.Down))
				if m.helpTop() == before {
					break
				}
			}
			// the pane's keys before the console's
			own := 0
			for _, g := range m.panes[id].fullHelp() {
				for _, b := range g {
					if b.Enabled() {
						own++
					}
				}
			}
			if own > 0 && (len(first) < 3 || first[2] != name) {
				t.Errorf("the first section is not the pane's own: %q", first)
			}
			all := strings.Join(func() []string {
				var s []string
				for l := range seen {
					s = append(s, l)
				}
				return s
			}(), "\n")
			groups := append(m.panes[id].fullHelp(), km.GlobalHelp()...)
			for _, g := range groups {
				for _, b := range g {
					if !b.Enabled() {
						continue
					}
					if !strings.Contains(all, b.Help().Key) || !strings.Contains(all, b.Help().Desc) {
						t.Errorf("key %q (%s) never shown", b.Help().Key, b.Help().Desc)
					}
				}
			}
			m = drive(m, keymap.Press(km.Global.Back))
			if m.showHelp {
				t.Error("esc did not close help")
			}
		})
	}
}

// TestHelpScrollsWhenTaller pins the scroll: at 80x24 the members pane's
// help does not fit; down moves it a line, bottom shows the last keys,
// top the first, and reopening starts at the top.
func TestHelpScrollsWhenTaller(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	m := newConsole(t, fc, themes.Dark)
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24}, snapshotMsg{snap}, keymap.Press(km.Global.Help))
	if n, h := len(m.helpBody()), m.helpBodyHeight(); n <= h {
		t.Fatalf("members help fits (%d lines in %d): the test needs one that does not", n, h)
	}
	top := helpBox(t, m)
	if !strings.Contains(strings.Join(top, "\n"), "expand all") {
		t.Errorf("the members pane's keys are not on the first screen:\n%s", strings.Join(top, "\n"))
	}
	if !strings.Contains(top[len(top)-1], "1–15 of") {
		t.Errorf("no scroll position: %q", top[len(top)-1])
	}
	m = drive(m, keymap.Press(km.Global.Down))
	if down := helpBox(t, m); down[2] != top[3] {
		t.Errorf("down did not scroll one line: %q then %q", top[2], down[2])
	}
	m = drive(m, keymap.Press(km.Global.Bottom))
	bottom := strings.Join(helpBox(t, m), "\n")
	if !strings.Contains(bottom, "quit") || strings.Contains(bottom, "expand all") {
		t.Errorf("bottom does not show the last keys:\n%s", bottom)
	}
	m = drive(m, keymap.Press(km.Global.Help), keymap.Press(km.Global.Help))
	if m.helpTop() != 0 {
		t.Errorf("help reopened scrolled to %d", m.helpTop())
	}
}

// TestKeysWorkWithHelpOpen: a key that is not help's own closes help and
// does what it does: q quits (it was swallowed), 3 goes to logs.
func TestKeysWorkWithHelpOpen(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	m := newConsole(t, fc, themes.Dark)
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24}, snapshotMsg{snap}, keymap.Press(km.Global.Help))
	next, cmd := m.Update(keymap.Press(km.Global.Quit))
	quit := false
	for _, msg := range results(cmd) {
		_, quit = msg.(tea.QuitMsg)
	}
	if !quit {
		t.Fatal("q with help open did not quit")
	}
	m = drive(next.(Model), keymap.Press(km.Global.Help), keymap.Press(km.Global.Logs))
	if m.showHelp || m.active != pane.LogsID {
		t.Fatalf("3 with help open: help %v, pane %d", m.showHelp, m.active)
	}
}

// TestWheelOverHelpScrollsHelp: the wheel moved the members list hidden
// under the help overlay; it scrolls help, and a click there does nothing.
func TestWheelOverHelpScrollsHelp(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	m := newConsole(t, fc, themes.Dark)
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24}, snapshotMsg{snap}, keymap.Press(km.Global.Help))
	under := ansi.Strip(m.panes[m.active].view())
	m = drive(m, tea.MouseWheelMsg{Button: tea.MouseWheelDown, X: 10, Y: 8}, tea.MouseClickMsg{Button: tea.MouseLeft, X: 10, Y: 6})
	if m.helpTop() == 0 {
		t.Error("the wheel did not scroll help")
	}
	if got := ansi.Strip(m.panes[m.active].view()); got != under {
		t.Error("the pane under help moved")
	}
}
