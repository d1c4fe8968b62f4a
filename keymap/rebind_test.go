package keymap

import (
	"strings"
	"testing"
)

func TestDefaultKeyMapHasNoConflicts(t *testing.T) {
	k := Default()
	if err := k.conflicts(); err != nil {
		t.Fatal(err)
	}
	if len(k.Names()) < 40 {
		t.Errorf("only %d bindings found: %v", len(k.Names()), k.Names())
	}
}

func TestRebind(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string][]string
		err       string
	}{
		{"move quit", map[string][]string{"global.quit": {"Q", "ctrl+c"}}, ""},
		{"unknown binding", map[string][]string{"global.quitt": {"x"}}, "keys.global.quitt: no such binding"},
		{"two globals on one key", map[string][]string{"global.help": {"q"}}, `"q" is bound to both`},
		{"pane key over a global one", map[string][]string{"members.toLogs": {"j"}}, `"j" is bound to both global.down and members.toLogs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := Default()
			err := k.Rebind(tt.overrides)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Rebind: %v, want %q", err, tt.err)
			}
			if tt.err == "" && (PressString("Q").String() != "Q" || !matches(k, "Q")) {
				t.Error("new key does not quit")
			}
		})
	}
}

func matches(k KeyMap, s string) bool {
	for _, key := range k.Global.Quit.Keys() {
		if key == s {
			return k.Global.Quit.Help().Key == "Q/ctrl+c"
		}
	}
	return false
}
