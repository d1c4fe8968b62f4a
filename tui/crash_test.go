package tui

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
)

// TestPanicInTheRunningProgramRestoresTheTerminal runs the real bubbletea
// program (teatest) with a pane that panics on the first snapshot: the
// program ends by itself, the terminal is handed back (alternate screen
// left, mouse reporting off, cursor shown, after the last frame), and the
// trace is in the file the crash names.
func TestPanicInTheRunningProgramRestoresTheTerminal(t *testing.T) {
	dir := t.TempDir()
	ch := make(chan *platform.Snapshot, 1)
	m := New(Options{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Tick: -1, CrashDir: dir, Snapshots: ch, Mouse: true,
		Panes: map[int]Slot{1: NewSlot(panicky{}, (*panicky).SetSize)}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	ch <- &platform.Snapshot{Seq: 1}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	crash := final.Crash()
	if crash == nil {
		t.Fatal("the program ended without a crash")
	}
	trace, err := os.ReadFile(crash.File)
	if err != nil || !bytes.Contains(trace, []byte("assignment to entry in nil map")) || !bytes.Contains(trace, []byte("goroutine")) {
		t.Errorf("trace file %s: %v\n%s", crash.File, err, trace)
	}
	if !strings.HasPrefix(crash.File, dir) || !strings.Contains(crash.Error(), crash.File) {
		t.Errorf("crash %q does not name its file in %s", crash.Error(), dir)
	}
	out, err := io.ReadAll(tm.FinalOutput(t))
	if err != nil {
		t.Fatal(err)
	}
	enter := bytes.LastIndex(out, []byte("\x1b[?1049h"))
	for name, seq := range map[string]string{"leave the alternate screen": "\x1b[?1049l", "mouse reporting off": "\x1b[?1002l", "show the cursor": "\x1b[?25h"} {
		if i := bytes.LastIndex(out, []byte(seq)); i < 0 || i < enter {
			t.Errorf("the terminal was not restored: no %q (%s) after entering the alternate screen", seq, name)
		}
	}
}
