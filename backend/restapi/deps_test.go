package restapi_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBackendImportsNoUI keeps the REST backends free of the UI: they must
// not depend on charm.land, tui, panes or themes (STYLE.md, "Shape").
func TestBackendImportsNoUI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const mod = "github.com/streamops/streamops/"
	out, err := exec.Command("go", "list", "-deps", mod+"backend/restapi", mod+"backend/restapi/pravega", mod+"backend/restapi/flink", mod+"backend/restapi/fakeapi").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"charm.land/", mod + "tui", mod + "panes", mod + "themes", "github.com/getkin/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("backend depends on %s", dep)
			}
		}
	}
}
