package pane

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// OrDash is s, or "-" for a value that is not known (empty).
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Age formats a duration as kubectl does: 45s, 12m, 3h4m, 5d.
func Age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 && h < 10 {
			return fmt.Sprintf("%dh%dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// Since is the age of t at now, "-" for a zero time.
func Since(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return Age(now.Sub(t))
}

// Fit truncates s to width cells (with an ellipsis) or pads it with spaces.
// s may contain ANSI styling.
func Fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := lipgloss.Width(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-w)
}

// Truncate shortens s to width cells with an ellipsis, without padding.
func Truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if lipgloss.Width(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// ElideName shortens a name (plain text, one cell a rune: a pod, a
// cluster) to width cells by cutting its middle, the one rule every pane
// uses: the start says what it is, the end tells pods apart (ordinals,
// ReplicaSet and pod hashes), so both stay, e.g.
// "pravega-…-controller-b121e3f-x7k2p". The head is the first dash-separated
// word when that is short, the rest goes to the end.
func ElideName(s string, width int) string {
	if width <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	if width <= 2 {
		return string(r[len(r)-width:])
	}
	head := 0
	if i := strings.IndexRune(s, '-'); i > 0 && utf8.RuneCountInString(s[:i+1]) <= (width-1)/3 {
		head = utf8.RuneCountInString(s[:i+1])
	} else {
		head = (width - 1) / 4
	}
	tail := width - 1 - head
	t := r[len(r)-tail:]
	// start the end at a word when that loses little
	// start the end at a word when that loses little, giving the cells
	// to the head
	if k := slices.Index(t, '-'); k > 0 && k <= 3 {
		head, t = head+k, t[k:]
	}
	return string(r[:head]) + "…" + string(t)
}

// Column is one column of a table: a header and a width; a zero Width
// column takes the space left over.
type Column struct {
	Title string
	Width int
	Right bool // right-aligned (numbers)
}

// Layout resolves flexible columns for a total width (one space between
// columns) and returns the widths.
func Layout(cols []Column, total int) []int {
	widths := make([]int, len(cols))
	fixed, flex := 0, 0
	for i, c := range cols {
		widths[i] = c.Width
		fixed += c.Width
		if c.Width == 0 {
			flex++
		}
	}
	fixed += len(cols) - 1
	if flex > 0 {
		each := max((total-fixed)/flex, 4)
		for i, c := range cols {
			if c.Width == 0 {
				widths[i] = each
			}
		}
	}
	return widths
}

// Narrow narrows column i (a name column) of widths when the table is
// wider than total, so that narrow terminals keep every column; it
// returns widths.
func Narrow(widths []int, total, i int) []int {
	used := len(widths) - 1
	for _, w := range widths {
		used += w
	}
	if over := used - total; over > 0 {
		widths[i] = max(widths[i]-over, 6)
	}
	return widths
}

// Row renders cells in columns of the given widths; columns of width 0
// are left out.
func Row(cells []string, widths []int, cols []Column) string {
	var b strings.Builder
	first := true
	for i, c := range cells {
		if i >= len(widths) {
			break
		}
		if widths[i] <= 0 {
			continue // a dropped column
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		if i < len(cols) && cols[i].Right {
			w := lipgloss.Width(c)
			if w < widths[i] {
				b.WriteString(strings.Repeat(" ", widths[i]-w))
				b.WriteString(c)
				continue
			}
		}
		b.WriteString(Fit(c, widths[i]))
	}
	return b.String()
}

// Scroll keeps the cursor visible in a window of height rows and returns the
// new offset.
func Scroll(offset, cursor, height, total int) int {
	if height <= 0 {
		return 0
	}
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+height {
		offset = cursor - height + 1
	}
	if maxOff := total - height; offset > maxOff {
		offset = max(maxOff, 0)
	}
	return max(offset, 0)
}

// ElideMiddle shortens one line of plain text to width cells by cutting
// its middle: a message's start says what it is about and its end holds
// the cause or the file written ("…/triage-prod-20261204-2359.md"), so
// both stay.
func ElideMiddle(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	if width <= 1 {
		return ansi.Truncate(s, width, "")
	}
	head := (width - 1) / 2
	tail := width - 1 - head
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, ansi.StringWidth(s)-tail, "")
}

// HomePath writes a path under the home directory with ~, as people type
// it.
func HomePath(p string) string {
	if home, err := os.UserHomeDir(); err == nil && home != "" && home != "/" {
		if rest, ok := strings.CutPrefix(p, home+string(os.PathSeparator)); ok {
			return "~" + string(os.PathSeparator) + rest
		}
	}
	return p
}
