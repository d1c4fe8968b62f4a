package pane

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/keymap"
)

func TestCursor(t *testing.T) {
	g := keymap.Default().Global
	tests := []struct {
		name            string
		msg             tea.Msg
		cursor, page, n int
		want            int
		ok              bool
	}{
		{"down", keymap.Press(g.Down), 3, 10, 20, 4, true},
		{"up stops at the top", keymap.Press(g.Up), 0, 10, 20, 0, true},
		{"page down stops at the end", keymap.Press(g.PageDn), 15, 10, 20, 19, true},
		{"page up", keymap.Press(g.PageUp), 15, 10, 20, 5, true},
		{"top", keymap.Press(g.Top), 15, 10, 20, 0, true},
		{"bottom", keymap.Press(g.Bottom), 0, 10, 20, 19, true},
		{"wheel down", tea.MouseWheelMsg{Button: tea.MouseWheelDown}, 0, 10, 20, 3, true},
		{"empty list", keymap.Press(g.Down), 0, 10, 0, 0, true},
		{"other key", keymap.PressString("x"), 7, 10, 20, 7, false},
		{"other message", tea.WindowSizeMsg{}, 7, 10, 20, 7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Cursor(tt.msg, g, tt.cursor, tt.page, tt.n)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Cursor = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
