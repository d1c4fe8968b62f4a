// Package panetest holds the checks the panes' tests make on a rendered
// frame: that it fills its area exactly, and that it carries no escape
// sequence but colours.
package panetest

import (
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/platform"
)

// AssertFits checks the frame is exactly w x h cells at most: h lines,
// none wider than w, so nothing scrolls or wraps.
func AssertFits(t testing.TB, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide (max %d): %q", i, lw, w, l)
		}
	}
}

// AssertOnlySGR fails on any escape sequence other than SGR (colours), on
// C0 controls other than newline and on C1 controls.
func AssertOnlySGR(t testing.TB, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			if i+1 >= len(s) || s[i+1] != '[' {
				t.Fatalf("non-CSI escape at %d: %q", i, s[i:min(i+20, len(s))])
			}
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if j >= len(s) || s[j] != 'm' {
				t.Fatalf("non-SGR sequence at %d: %q", i, s[i:min(i+20, len(s))])
			}
			i = j
		case c < 0x20 && c != '\n', c == 0x7f:
			t.Fatalf("control byte %#x at %d: %q", c, i, s[max(i-20, 0):min(i+20, len(s))])
		}
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			t.Fatalf("C1 control %U", r)
		}
	}
}

// Snapshots is a platform.Subscriber that hands every subscriber one
// fixed snapshot, for a backend service a pane test runs over a frozen
// platform.
type Snapshots struct{ Snapshot *platform.Snapshot }

// Subscribe returns a channel holding the snapshot, closed when ctx ends.
func (s Snapshots) Subscribe(ctx context.Context) <-chan *platform.Snapshot {
	ch := make(chan *platform.Snapshot, 1)
	ch <- s.Snapshot
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}
