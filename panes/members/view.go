package members

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/status"
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
	mark := m.marks[c]
	if mark != "" && c.Health == platform.Ready {
		hs, glyph = st.Warn, "▲"
	}
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
	cond := withMarks(conditionCell(c), mark)
	condCell := st.Muted.Render(cond)
	switch {
	case mark != "" && c.Health == platform.Ready:
		condCell = st.Warn.Render(cond)
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
		pane.ElideName(c.Cluster, widths[2]),
		st.Muted.Render(c.Namespace),
		readyCell,
		pane.OrDash(c.Version),
		rst,
		condCell,
	}
	return pane.Row(cells, widths, cols)
}

// withMarks puts a component's usage and pressure marks before its
// condition (a narrow cell keeps the warning); they replace a bare "ok",
// which they contradict.
func withMarks(cond, marks string) string {
	switch {
	case marks == "":
		return cond
	case cond == "ok" || cond == "":
		return marks
	}
	return marks + " · " + cond
}

// memberLook is a member's glyph, its style and its state text.
func (m Model) memberLook(mem *platform.Member) (string, lipgloss.Style, string) {
	st := m.deps.Styles
	glyph, gs := "●", st.OK
	switch {
	case mem.Terminating:
		glyph, gs = "◌", st.Muted
	case !mem.Ready && mem.Phase == "Running":
		glyph, gs = "▲", st.Warn
	case mem.Phase == "Failed" || mem.Phase == "Unknown":
		glyph, gs = "✖", st.Err
	case mem.Phase == "Pending":
		glyph, gs = "◐", st.Info
	case mem.Phase == "Succeeded":
		glyph, gs = "○", st.Muted
	}
	return glyph, gs, memberState(mem)
}

// memberState is the state text of a member row, e.g. "Pending
// Unschedulable".
func memberState(mem *platform.Member) string { return status.MemberState(mem) }

// pressureMark is " ▲" after the node of a member whose node reports a
// pressure condition.
// (A function of the nodes, not a method: the columns call it per row,
// and a method would copy the Model each time.)
func pressureMark(nodes map[string]*platform.Node, mem *platform.Member) string {
	if n := nodes[mem.Node]; n != nil && len(n.Pressure) > 0 {
		return " ▲"
	}
	return ""
}

// renderMember draws a member pod under its component: name, phase and
// readiness, node, age, restarts and why it is not ready. A name too long
// for its cells loses its middle, never the end that tells pods apart.
func (m Model) renderMember(mem *platform.Member, widths []int, now time.Time) string {
	st := m.deps.Styles
	glyph, gs, state := m.memberLook(mem)
	// member rows span the columns after the glyph: name under KIND+CLUSTER,
	// node under NAMESPACE, ready flag under READY, age under VERSION —
	// labelled ("on worker-2", "4m old"), as they are not what the header
	// says.
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
	age := pane.Since(now, mem.Created) + " old"
	stateCell := gs.Render(state)
	// what is near a limit or pressed comes before the age, so a narrow
	// cell still shows its glyph; the figures after it
	use := m.usageOf(mem)
	for _, mark := range use.marks {
		stateCell += " " + st.Warn.Render(mark)
	}
	if widths[5] == 0 { // no version column: the age goes with the state
		stateCell += st.Muted.Render(" · " + age)
	}
	if len(use.figures) > 0 {
		stateCell += st.Muted.Render(" · " + strings.Join(use.figures, " · "))
	}
	mark := pressureMark(m.nodes, mem)
	label := "on " + pane.OrDash(mem.Node)
	if room := widths[3] - ansi.StringWidth(mark); utf8.RuneCountInString(label) > room {
		label = pane.OrDash(mem.Node) // the name before the label: "on…-3" told nothing
	}
	node := st.Muted.Render(pane.ElideName(label, widths[3]-ansi.StringWidth(mark)))
	if mark != "" {
		node += st.Warn.Render(mark)
	}
	parts := []string{
		gs.Render(glyph),
		pane.Fit("  "+pane.ElideName(mem.Name, nameW-2), nameW),
		pane.Fit(node, widths[3]),
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

// detail is the selected row said whole, in detailHeight lines: what the
// table's cells may cut (long names, the condition) is read here.
func (m Model) detail(now time.Time) []string {
	st := m.deps.Styles
	var text string
	if m.cursor < len(m.rows) {
		r := m.rows[m.cursor]
		if mem := r.member; mem != nil {
			text = fmt.Sprintf("%s/%s · %s · node %s · %s old · %d restarts", mem.Namespace, mem.Name, memberState(mem), pane.OrDash(mem.Node), pane.Since(now, mem.Created), mem.Restarts)
			use := m.usageOf(mem)
			for _, part := range append(use.marks, use.figures...) {
				text += " · " + part
			}
			if use.unknown != "" {
				text += " · " + use.unknown
			}
			if n := m.nodeText(mem.Node); n != "" {
				text += " · " + n
			}
		} else {
			c := r.comp
			text = fmt.Sprintf("%s %s/%s · %s ready · %s", c.Kind, c.Namespace, c.Cluster, readyText(c), withMarks(conditionCell(c), m.marks[c]))
			if c.Version != "" {
				text += " · version " + c.Version
			}
			if u := m.componentUsage(c); u != "" {
				text += " · " + u
			}
		}
	}
	lines := wrapWords("── "+text, m.width)
	if len(lines) > detailHeight {
		lines = lines[:detailHeight]
		lines[detailHeight-1] = pane.Truncate(lines[detailHeight-1]+" …", m.width)
	}
	out := make([]string, detailHeight)
	for i := range out {
		if i < len(lines) {
			out[i] = st.Muted.Render(lines[i])
		}
	}
	return out
}

// wrapWords breaks s into lines of at most width cells, between its
// " · " parts where it can, else at spaces; a word longer than a line is
// cut.
func wrapWords(s string, width int) []string {
	var out []string
	cur := ""
	add := func(piece, sep string) {
		switch {
		case cur == "":
			cur = piece
		case ansi.StringWidth(cur)+ansi.StringWidth(sep)+ansi.StringWidth(piece) <= width:
			cur += sep + piece
		default:
			out, cur = append(out, pane.Truncate(cur, width)), piece
		}
	}
	for _, part := range strings.Split(s, " · ") {
		sep := " · "
		if ansi.StringWidth(part) > width || cur != "" && ansi.StringWidth(cur)+3+ansi.StringWidth(part) > width && ansi.StringWidth(part) > width/2 {
			// a long part flows on from where the line is
			for i, w := range strings.Fields(part) {
				if i > 0 {
					sep = " "
				}
				add(w, sep)
			}
			continue
		}
		add(part, sep)
	}
	return append(out, pane.Truncate(cur, width))
}
