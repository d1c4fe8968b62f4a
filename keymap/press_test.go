package keymap

import "testing"

// Every default binding must round-trip: the event Press builds must match
// the binding, or UI tests driven through bindings would test nothing.
func TestPressMatchesEveryBinding(t *testing.T) {
	for _, name := range []string{"j", "G", "?", ":", "/", "enter", "esc", "tab", "shift+tab", "ctrl+c", "ctrl+s", "space", "pgdown", "+", "A"} {
		if got := PressString(name).String(); got != name {
			t.Errorf("PressString(%q).String() = %q", name, got)
		}
	}
}
