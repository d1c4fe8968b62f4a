package restarts

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
)

// clean makes text from the cluster safe to print: event and state
// messages can carry a probe's output, which a container controls.
func clean(s string) string {
	return string(logs.Sanitize(nil, []byte(s), 2048))
}

type layout struct {
	cols   []pane.Column
	widths []int
	wide   bool
}

func (m Model) layout() layout {
	if m.width >= 120 {
		cols := []pane.Column{
			{Title: "RESTARTS", Width: 8, Right: true}, {Title: "POD", Width: 34}, {Title: "CONTAINER", Width: 20},
			{Title: "COMPONENT", Width: 22}, {Title: "STATE", Width: 26}, {Title: "LAST TERMINATION", Width: 22}, {Title: "EVENTS", Width: 0},
		}
		// STATE says why a container is down: as wide as the widest state
		// ("✖ CreateContainerConfigError"), up to 34 cells, while EVENTS
		// keeps 16; EVENTS takes the rest, at least 8 cells
		stateW := 0
		for _, r := range m.rows {
			stateW = max(stateW, ansi.StringWidth(r.StateText())+2)
		}
		w := make([]int, len(cols))
		used := len(cols) - 1
		for i, c := range cols {
			w[i] = c.Width
			used += c.Width
		}
		if grow := min(stateW, 34) - w[4]; grow > 0 {
			grow = min(grow, max(m.width-used-16, 0))
			w[4] += grow
			used += grow
		}
		w[len(w)-1] = max(m.width-used, 8)
		return layout{cols, w, true}
	}
	cols := []pane.Column{
		{Title: "RST", Width: 3, Right: true}, {Title: "POD", Width: 0}, {Title: "CONTAINER", Width: 12},
		{Title: "STATE", Width: 18}, {Title: "LAST", Width: 16}, {Title: "EV", Width: 2, Right: true},
	}
	return layout{cols, pane.Layout(cols, m.width), false}
}

// View renders the pane.
func (m Model) View() string {
	st := m.deps.Styles
	if m.snap == nil || m.snap.Seq == 0 {
		return st.Muted.Render("waiting for the first snapshot…")
	}
	now := m.deps.Clock.Now()
	lay := m.layout()
	var b strings.Builder
	b.WriteString(pane.Truncate(m.summary(), m.width))
	b.WriteByte('\n')
	titles := make([]string, len(lay.cols))
	for i, c := range lay.cols {
		titles[i] = c.Title
	}
	b.WriteString(st.Table.Header.Render(pane.Row(titles, lay.widths, lay.cols)))
	n := 0
	if len(m.rows) == 0 {
		b.WriteString("\n" + st.Muted.Render("  no containers match"))
		n++
	}
	for i := m.offset; i < len(m.rows) && n < m.listHeight(); i++ {
		b.WriteByte('\n')
		line := m.renderRow(m.rows[i], lay, now)
		if i == m.cursor {
			line = st.Selected.Render(pane.Fit(ansi.Strip(line), m.width))
		}
		b.WriteString(line)
		n++
	}
	for ; n < m.listHeight(); n++ {
		b.WriteByte('\n')
	}
	if dh := m.detailHeight(); dh > 0 {
		for _, l := range m.details(dh, now) {
			b.WriteByte('\n')
			b.WriteString(pane.Truncate(l, m.width))
		}
	}
	b.WriteByte('\n')
	switch f := m.filter.View(st); {
	case f != "":
		b.WriteString(pane.Truncate(f, m.width))
	case len(m.rows) > m.listHeight():
		b.WriteString(st.Muted.Render(fmt.Sprintf("%d–%d of %d", m.offset+1, min(m.offset+m.listHeight(), len(m.rows)), len(m.rows))))
	}
	return b.String()
}

func (m Model) summary() string {
	st := m.deps.Styles
	restarted, restarts, troubled, events := 0, 0, 0, 0
	for _, r := range m.all {
		if r.Restarts > 0 {
			restarted++
			restarts += int(r.Restarts)
		}
		if r.Troubled() {
			troubled++
		}
	}
	if m.snap != nil {
		events = len(m.snap.Events)
	}
	s := fmt.Sprintf("%d containers · %d restarted (%d restarts) · %d not running · %d Warning events", len(m.all), restarted, restarts, troubled, events)
	if troubled > 0 {
		return st.Warn.Render("▲ " + s)
	}
	return st.OK.Render("● " + s)
}

// stateCell pairs the state with a glyph, so it reads without colour.
func (m Model) stateCell(r Row) string {
	st := m.deps.Styles
	text := clean(r.StateText())
	switch {
	case r.State == platform.StateRunning:
		return st.OK.Render("● " + text)
	case r.State == platform.StateTerminated && r.Reason == "Completed":
		return st.Muted.Render("○ " + text)
	case !r.Troubled():
		return st.Info.Render("◐ " + text)
	case r.State == platform.StateUnknown:
		return st.Warn.Render("▲ " + text)
	}
	return st.Err.Render("✖ " + text)
}

func (m Model) lastCell(r Row, now time.Time, wide bool) string {
	st := m.deps.Styles
	if r.Last == nil {
		return st.Muted.Render("-")
	}
	s := clean(r.LastText(now))
	if !wide { // "OOMKilled 137 4m": the details say the rest
		s = strings.TrimSuffix(s, " ago")
	}
	if r.Last.Reason == "Completed" {
		return st.Muted.Render(s)
	}
	return st.Err.Render(s)
}

func (m Model) renderRow(r Row, lay layout, now time.Time) string {
	st := m.deps.Styles
	rst := strconv.Itoa(int(r.Restarts))
	rstCell := st.Muted.Render(rst)
	if r.Restarts > 0 {
		rstCell = st.Warn.Render(rst)
	}
	container := r.Container
	if r.Init {
		container += " (init)"
	}
	if !lay.wide {
		ev := ""
		if len(r.Events) > 0 {
			ev = st.Warn.Render(strconv.Itoa(len(r.Events)))
		}
		return pane.Row([]string{rstCell, pane.ElideName(r.Pod, lay.widths[1]), container, m.stateCell(r), m.lastCell(r, now, false), ev}, lay.widths, lay.cols)
	}
	events := st.Muted.Render("-")
	if len(r.Events) > 0 {
		e := r.Events[0]
		events = st.Warn.Render(fmt.Sprintf("▲ %s ×%d %s ago", clean(e.Reason), e.Count, pane.Since(now, e.Last)))
		if len(r.Events) > 1 {
			events += st.Muted.Render(fmt.Sprintf(" +%d more", len(r.Events)-1))
		}
	}
	cells := []string{rstCell, pane.ElideName(r.Pod, lay.widths[1]), container, st.Muted.Render(r.Component), m.stateCell(r), m.lastCell(r, now, true), events}
	return pane.Row(cells, lay.widths, lay.cols)
}

// details describes the selected container in h lines: its state, how it
// last ended and its Warning events, newest first.
func (m Model) details(h int, now time.Time) []string {
	st := m.deps.Styles
	out := make([]string, 0, h)
	r, ok := m.Selected()
	if !ok {
		for len(out) < h {
			out = append(out, "")
		}
		return out
	}
	title := fmt.Sprintf("── %s/%s · %s · %s", r.Namespace, r.Pod, r.Container, r.Component)
	if r.Node != "" {
		title += " · " + r.Node
	}
	out = append(out, st.Muted.Render(pane.Fit(title+" ", m.width)))
	label := func(s string) string { return st.Header.Render(pane.Fit(s, 7)) }

	state := m.stateCell(r)
	switch {
	case r.State == platform.StateRunning && !r.Since.IsZero():
		state += st.Muted.Render(" since " + pane.Since(now, r.Since))
	case r.Message != "":
		state += st.Muted.Render(" " + clean(r.Message))
	}
	out = append(out, label("state")+state)

	last := st.Muted.Render("never terminated")
	if t := r.Last; t != nil {
		parts := []string{clean(t.Reason), ExitText(t), "finished " + pane.Since(now, t.FinishedAt) + " ago"}
		if ran := t.Ran(); ran > 0 {
			parts = append(parts, "ran "+pane.Age(ran))
		}
		last = st.Err.Render(strings.Join(parts, " · "))
		if t.Message != "" {
			last += st.Muted.Render(" " + clean(t.Message))
		}
	}
	out = append(out, label("last")+last)
	for i, l := range m.memoryLines(r, now) {
		name := "memory"
		if i > 0 {
			name = "raise"
		}
		out = append(out, label(name)+st.Warn.Render(l))
	}

	events := r.Events
	switch {
	case !m.showEvents:
		events = nil
	case len(events) == 0:
		out = append(out, label("events")+st.Muted.Render("no Warning events"))
	}
	for i, e := range events {
		if len(out) >= h-1 {
			out = append(out, label("")+st.Muted.Render(fmt.Sprintf("… %d more", len(events)-i)))
			break
		}
		l := label("")
		if i == 0 {
			l = label("events")
		}
		head := fmt.Sprintf("▲ %s ×%d %s ago", clean(e.Reason), e.Count, pane.Since(now, e.Last))
		if e.FieldPath == "" {
			head += " (pod)"
		}
		out = append(out, l+st.Warn.Render(head)+" "+clean(e.Message))
	}
	hint := m.deps.Keys.Restarts.ToLogs.Help().Key + " logs"
	if r.HasPrevious() {
		hint += " of the previous instance"
	}
	for len(out) < h-1 {
		out = append(out, "")
	}
	if len(out) < h {
		out = append(out, st.Muted.Render(hint))
	}
	return out[:h]
}
