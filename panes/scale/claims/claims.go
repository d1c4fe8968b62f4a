// Package claims is the scale wizard's storage view: the platform's
// PersistentVolumeClaims grouped by component, with their size, class,
// whether they can grow and, where a kubelet reported it, how full they
// are; the selected claim in one line; and the size a claim over 80 %
// full is suggested to grow to.
package claims

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// Table is the storage view of a snapshot's claims in a pane of Width by
// Height rows, Cursor the selected claim (an index into Snap.Claims) and
// Report the usage monitor's newest (nil: no monitor, no FILL column).
type Table struct {
	Styles        themes.Styles
	Snap          *platform.Snapshot
	Report        *usage.Report
	Cursor        int
	Width, Height int
}

// claimRow is one line of the storage view: a component heading or a claim.
type claimRow struct {
	heading string
	index   int // into the snapshot's claims, -1 for a heading
}

// claimRows groups the claims by component (the snapshot orders them).
func claimRows(claims []platform.Claim) []claimRow {
	var out []claimRow
	last := ""
	for i, c := range claims {
		h := componentOf(c)
		if h != last {
			out = append(out, claimRow{heading: h, index: -1})
			last = h
		}
		out = append(out, claimRow{index: i})
	}
	return out
}

func componentOf(c platform.Claim) string {
	if c.Kind == platform.Other {
		return "Other claims · " + c.Namespace
	}
	return c.Kind.String() + " " + c.Cluster + " · " + c.Namespace
}

// claimState is the phase, or the resize condition that is on.
func claimState(c platform.Claim) string {
	var conds []string
	for _, t := range []string{"Resizing", "FileSystemResizePending"} {
		if _, ok := c.Condition(t); ok {
			conds = append(conds, t)
		}
	}
	if len(conds) > 0 {
		return strings.Join(conds, ",")
	}
	if c.Phase == "" {
		return "?"
	}
	return c.Phase
}

// fillOf is the claim's fill from the usage report, if a kubelet
// reported its volume.
func (m Table) fillOf(c platform.Claim) (usage.ClaimFill, bool) {
	f, ok := m.Report.Claim(c.Key())
	return f, ok && f.Level != usage.FillUnknown
}

// fillCell is the FILL column: "91% ✖" over 90 %, "84% ▲" over 80 %, so
// the mark reads without colour; "?" when no kubelet reported it.
func (m Table) fillCell(c platform.Claim) string {
	st := m.Styles
	f, ok := m.fillOf(c)
	if !ok {
		return st.Muted.Render("?")
	}
	text := pane.Percent(f.Fraction)
	switch f.Level {
	case usage.FillCritical:
		return st.Err.Render(text + " ✖")
	case usage.FillHigh:
		return st.Warn.Render(text + " ▲")
	}
	return text
}

// fillText is the selected claim's fill for its detail line: "91% full
// (9.1Gi of 10Gi) ✖ over 90%: 14Gi brings it under 70%".
func (m Table) fillText(c platform.Claim) string {
	if m.Report == nil {
		return ""
	}
	f, ok := m.fillOf(c)
	if !ok {
		if line := pane.UsageUnknown("fill", m.Report.Volumes); line != "" {
			return line
		}
		return "fill: not reported by the kubelet"
	}
	text := fmt.Sprintf("%s full (%s used)", pane.Percent(f.Fraction), pane.PairBytes(f.Used, f.Size()))
	switch f.Level {
	case usage.FillCritical:
		text += " ✖ over 90%"
	case usage.FillHigh:
		text += " ▲ over 80%"
	}
	if size, ok := m.SuggestedSize(c); ok {
		text += fmt.Sprintf(": grow to %s to bring it under %d%%", size, int(scale.TargetFill*100))
	}
	return text
}

// SuggestedSize is the size the size input starts with for a claim over
// 80 % full: enough to bring it under 70 %, in whole GiB.
func (m Table) SuggestedSize(c platform.Claim) (string, bool) {
	f, ok := m.fillOf(c)
	if !ok || f.Level < usage.FillHigh {
		return "", false
	}
	size, ok := scale.SuggestSize(f.Used, c.Requested)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%dGi", size>>30), true
}

// View lists the platform's claims grouped by component.
func (m Table) View() []string {
	st := m.Styles
	var claims []platform.Claim
	if m.Snap != nil {
		claims = m.Snap.Claims
	}
	claimW := len("CLAIM")
	for _, c := range claims {
		claimW = max(claimW, len(c.Name))
	}
	cols := []pane.Column{{Title: "", Width: 1}, {Title: "ROLE", Width: 7}, {Title: "CLAIM", Width: min(claimW, 40)},
		{Title: "SIZE", Width: 6, Right: true}, {Title: "CAPACITY", Width: 8, Right: true}, {Title: "CLASS", Width: 11},
		{Title: "GROW", Width: 4}, {Title: "STATE"}}
	wide := m.Width >= 120
	if wide {
		cols[1].Width, cols[5].Width, cols[6].Width = 17, 16, 7
		cols[6].Title = "EXPAND"
		cols = append(cols[:7], pane.Column{Title: "STATE", Width: 24}, pane.Column{Title: "MEMBER"})
	}
	// the fill, when the usage monitor is there to read it, after the
	// capacity it is a fraction of
	fill := m.Report != nil
	if fill {
		cols = slices.Insert(cols, 5, pane.Column{Title: "FILL", Width: 6, Right: true})
	}
	widths := pane.Narrow(pane.Layout(cols, m.Width), m.Width, 2)
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.Title
	}
	out := []string{st.Table.Header.Render(pane.Row(titles, widths, cols))}
	if len(claims) == 0 {
		why := "no PersistentVolumeClaims in the platform's namespaces"
		for _, s := range m.Snap.Syncs {
			if s.Resource == "persistentvolumeclaims" && s.Phase != platform.Synced {
				why = "claims " + s.Phase.String() + ": " + s.Reason
			}
		}
		return append(out, st.Muted.Render("  "+why))
	}
	rows := claimRows(claims)
	cur := 0
	for i, r := range rows {
		if r.index == m.Cursor {
			cur = i
		}
	}
	off := pane.Scroll(0, cur, m.Height-1, len(rows))
	if off > 0 && rows[off].index >= 0 && cur > off {
		off-- // keep the heading above the first claim shown when there is room
	}
	for i := off; i < len(rows) && len(out) < m.Height; i++ {
		r := rows[i]
		if r.index < 0 {
			out = append(out, st.Accent.Render(r.heading))
			continue
		}
		c := claims[r.index]
		sel := " "
		if r.index == m.Cursor {
			sel = "▸"
		}
		role := c.Role
		if !wide && role == "long-term storage" {
			role = "LTS"
		}
		grow := c.Expansion.String()
		switch c.Expansion {
		case platform.ExpansionAllowed:
			grow = st.OK.Render(grow)
		case platform.ExpansionRefused:
			grow = st.Warn.Render(grow)
		default:
			grow = st.Muted.Render("?")
			if wide {
				grow = st.Muted.Render("unknown")
			}
		}
		capacity := pane.OrDash(c.CapacityText)
		if c.Capacity > 0 && c.Capacity < c.Requested {
			capacity = st.Warn.Render(capacity)
		}
		state := claimState(c)
		if c.Invalid != "" {
			state = st.Err.Render("✖ " + c.Invalid)
		} else if state != "Bound" {
			state = st.Warn.Render(state)
		}
		cells := []string{sel, pane.OrDash(role), c.Name, pane.OrDash(c.RequestedText), capacity, pane.OrDash(c.Class), grow, state}
		if fill {
			cells = slices.Insert(cells, 5, m.fillCell(c))
		}
		if wide {
			cells = append(cells, st.Muted.Render(c.Member))
		}
		l := pane.Row(cells, widths, cols)
		if r.index == m.Cursor {
			l = st.Selected.Render(pane.Fit(ansi.Strip(l), m.Width))
		}
		out = append(out, l)
	}
	return out
}

// Detail is the status line of the storage view: the selected claim
// in one line.
func (m Table) Detail() string {
	if m.Snap == nil || m.Cursor >= len(m.Snap.Claims) {
		return ""
	}
	c := m.Snap.Claims[m.Cursor]
	var parts []string
	switch {
	case c.Member != "":
		parts = append(parts, fmt.Sprintf("%s of %s", c.Role, c.Member))
	case c.Role != "":
		parts = append(parts, fmt.Sprintf("%s of %s %s", c.Role, c.Kind, c.Cluster))
	}
	switch c.Expansion {
	case platform.ExpansionAllowed:
		parts = append(parts, "class "+c.Class+" allows volume expansion")
	case platform.ExpansionRefused:
		parts = append(parts, "class "+c.Class+" does not allow volume expansion")
	default:
		parts = append(parts, "expansion unknown: "+c.ExpansionWhy)
	}
	if c.Allocated != "" && c.Allocated != c.CapacityText {
		parts = append(parts, "allocated "+c.Allocated)
	}
	if c.ResizeStatus != "" {
		parts = append(parts, c.ResizeStatus)
	}
	if f := m.fillText(c); f != "" {
		parts = append([]string{f}, parts...)
	}
	return c.Name + ": " + strings.Join(parts, " · ")
}
