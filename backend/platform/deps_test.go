package platform_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBackendImportsNoUI: nothing under backend/ may depend on a UI
// package (charm.land, tui, panes, themes, keymap), directly or not.
func TestBackendImportsNoUI(t *testing.T) {
	const mod = "github.com/streamops/streamops/"
	out, err := exec.Command("go", "list", "-deps", mod+"backend/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, ui := range []string{"charm.land/", "github.com/charmbracelet/", mod + "tui", mod + "panes", mod + "themes", mod + "keymap"} {
			if strings.HasPrefix(dep, ui) {
				t.Errorf("backend depends on UI package %s", dep)
			}
		}
	}
}
