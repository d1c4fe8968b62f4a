package pane

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/keymap"
)

// Cursor moves a list cursor for the navigation keys every list shares (up,
// down, page up and down, top, bottom) and the mouse wheel. It returns the
// new position within [0, n) and whether msg was such a movement.
func Cursor(msg tea.Msg, g keymap.Global, cursor, page, n int) (int, bool) {
	to := cursor
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, g.Up):
			to--
		case key.Matches(msg, g.Down):
			to++
		case key.Matches(msg, g.PageUp):
			to -= max(page, 1)
		case key.Matches(msg, g.PageDn):
			to += max(page, 1)
		case key.Matches(msg, g.Top):
			to = 0
		case key.Matches(msg, g.Bottom):
			to = n - 1
		default:
			return cursor, false
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			to -= 3
		case tea.MouseWheelDown:
			to += 3
		default:
			return cursor, false
		}
	default:
		return cursor, false
	}
	return max(min(to, n-1), 0), true
}

// NavHelp is the list movement keys Cursor handles, for a pane's help
// (enabled: the list has rows to move over).
func NavHelp(g keymap.Global, enabled bool) []key.Binding {
	out := []key.Binding{g.Up, g.Down, g.PageUp, g.PageDn, g.Top, g.Bottom}
	for i := range out {
		out[i].SetEnabled(enabled)
	}
	return out
}

// Derive is b's keys with a description of a pane's own, enabled or not.
func Derive(b key.Binding, desc string, enabled bool) key.Binding {
	d := key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
	d.SetEnabled(enabled && b.Enabled())
	return d
}
