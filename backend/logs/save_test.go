package logs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSaveNew: a save makes its directory private, names the file by the
// time, never overwrites an earlier save in the same second, and writes
// each line with its time and source.
func TestSaveNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "streamops")
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	lines := []Line{
		{Source: 1, Time: at.UnixNano(), Text: []byte("bookie started")},
		{Source: 1, Notice: true, Text: []byte("stream ended")},
	}
	label := func(id uint32) string { return map[uint32]string{1: "bookie-0"}[id] }
	var paths []string
	for range 3 {
		p, err := SaveNew(dir, at, lines, label, true)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(p))
	}
	want := []string{"streamops-logs-20261204-080000.log", "streamops-logs-20261204-080000-2.log", "streamops-logs-20261204-080000-3.log"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("saved to %q, want %q", paths, want)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, %v", fi.Mode().Perm(), err)
	}
	b, err := os.ReadFile(filepath.Join(dir, want[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != "2026-12-04T08:00:00Z bookie-0 bookie started\n- bookie-0 -- stream ended\n" {
		t.Errorf("file holds %q", got)
	}
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := SaveNew(filepath.Join(blocked, "sub"), at, lines, label, true); err == nil || !strings.HasPrefix(err.Error(), "save logs:") {
		t.Errorf("a directory under a file: %v", err)
	}
}
