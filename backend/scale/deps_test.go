package scale_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImportsNoUI keeps the scale engine and the audit log usable
// without the UI (STYLE.md, "Shape").
func TestEngineImportsNoUI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const mod = "github.com/streamops/streamops/"
	out, err := exec.Command("go", "list", "-deps", mod+"backend/scale", mod+"backend/audit").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"charm.land/", "github.com/charmbracelet/", mod + "tui", mod + "panes", mod + "themes", mod + "keymap"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("scale engine depends on %s", dep)
			}
		}
	}
}
