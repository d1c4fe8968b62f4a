package keymap

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's key table")

const (
	beginKeys = "<!-- keys:begin (generated from keymap.Default by go test ./keymap -update-readme) -->\n"
	endKeys   = "<!-- keys:end -->"
)

// TestReadmeKeyTable keeps the README's key table equal to the key map.
func TestReadmeKeyTable(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, beginKeys), strings.Index(readme, endKeys)
	if i < 0 || j < i {
		t.Fatalf("README.md has no generated key table between %q and %q", beginKeys, endKeys)
	}
	want := Default().Markdown()
	if got := readme[i+len(beginKeys) : j]; got != want {
		if *updateReadme {
			if err := os.WriteFile(path, []byte(readme[:i+len(beginKeys)]+want+readme[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README key table is stale; run go test ./keymap -update-readme\n got:\n%s\nwant:\n%s", got, want)
	}
}
