package members

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
)

// stripForSelect removes styling so the selection style applies evenly.
func stripForSelect(s string) string { return ansi.Strip(s) }

func (m Model) renderRow(r row, widths []int, cols []pane.Column, now time.Time) string {
	st := m.deps.Styles
	if r.member != nil {
		return m.renderMember(r.member, widths, now)
	}
	c := r.comp
	hs, glyph := st.Health(c.Health)
	marker := "▸"
	if m.expanded[c.Key()] {
		marker = "▾"
	}
	ready := readyText(c)
	readyCell := st.OK.Render(ready)
	switch c.Health {
	case platform.Degraded:
		readyCell = st.Warn.Render(ready + " ▲")
	case platform.Failed:
		readyCell = st.Err.Render(ready + " ✖")
	case platform.Progressing:
		readyCell = st.Info.Render(ready + " ◐")
	case platform.Unknown:
		readyCell = st.Muted.Render(ready + " ?")
	}
	cond := conditionText(c)
	condCell := st.Muted.Render(cond)
	switch {
	case c.Invalid != "" || c.Health == platform.Failed:
		condCell = st.Err.Render(cond)
	case c.Health == platform.Degraded:
		condCell = st.Warn.Render(cond)
	case c.Health == platform.Progressing:
		condCell = st.Info.Render(cond)
	}
	restarts := c.Restarts()
	rst := st.Muted.Render(strconv.Itoa(restarts))
	if restarts > 0 {
		rst = st.Warn.Render(strconv.Itoa(restarts))
	}
	cells := []string{
		hs.Render(glyph),
		st.Bold.Render(marker + " " + c.Kind.String()),
		c.Cluster,
		st.Muted.Render(c.Namespace),
		readyCell,
		orDash(c.Version),
		rst,
		condCell,
	}
	return pane.Row(cells, widths, cols)
}

// renderMember draws a member pod under its component: name, phase and
// readiness, node, age, restarts and why it is not ready.
func (m Model) renderMember(mem *platform.Member, widths []int, now time.Time) string {
	st := m.deps.Styles
	glyph, gs := "●", st.OK
	state := mem.Phase
	switch {
	case mem.Terminating:
		glyph, gs, state = "◌", st.Muted, "Terminating"
	case !mem.Ready && mem.Phase == "Running":
		glyph, gs, state = "▲", st.Warn, "NotReady"
	case mem.Phase == "Failed" || mem.Phase == "Unknown":
		glyph, gs = "✖", st.Err
	case mem.Phase == "Pending":
		glyph, gs = "◐", st.Info
	case mem.Phase == "Succeeded":
		glyph, gs = "○", st.Muted
	}
	if mem.Reason != "" && mem.Reason != state {
		state += " " + mem.Reason
	}
	// member rows span the columns after the glyph: name under KIND+CLUSTER,
	// node under NAMESPACE, ready flag under READY, age under VERSION.
	nameW := widths[1] + 1 + widths[2]
	rst := strconv.Itoa(int(mem.Restarts))
	rstCell := st.Muted.Render(rst)
	if mem.Restarts > 0 {
		rstCell = st.Warn.Render(rst)
	}
	readyFlag := "ready"
	if !mem.Ready {
		readyFlag = "-"
	}
	age := pane.Since(now, mem.Created)
	stateCell := gs.Render(state)
	if widths[5] == 0 { // no version column: the age goes with the state
		stateCell += st.Muted.Render(" · " + age)
	}
	parts := []string{
		gs.Render(glyph),
		pane.Fit("  "+mem.Name, nameW),
		pane.Fit(st.Muted.Render(orDash(mem.Node)), widths[3]),
		pane.Fit(readyFlag, widths[4]),
	}
	if widths[5] > 0 {
		parts = append(parts, pane.Fit(st.Muted.Render(age), widths[5]))
	}
	parts = append(parts, leftPad(rstCell, widths[6]), pane.Fit(stateCell, widths[7]))
	return strings.Join(parts, " ")
}

func leftPad(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
