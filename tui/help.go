package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// helpScroll is how far the help overlay is scrolled, and for which pane:
// opening it over another pane starts at the top.
type helpScroll struct {
	pane, top int
}

// filterColumns is what a pane offers to the column:value filter form,
// for panes that say (pane.FilterColumns).
func (s *paneSlot[M]) filterColumns() []string {
	if fc, ok := any(s.m).(interface{ FilterColumns() []string }); ok {
		return fc.FilterColumns()
	}
	return nil
}

// onHelpKey handles a key while the help overlay is open: the cursor keys
// scroll it, help or back closes it, any other key closes it and works.
func (m Model) onHelpKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g := m.opts.Keys.Global
	top := m.helpTop()
	page := max(m.helpBodyHeight()-1, 1)
	switch {
	case key.Matches(msg, g.Help, g.Back):
		m.showHelp = false
		m.helpScroll = helpScroll{}
		return m, nil
	case key.Matches(msg, g.Down):
		top++
	case key.Matches(msg, g.Up):
		top--
	case key.Matches(msg, g.PageDn):
		top += page
	case key.Matches(msg, g.PageUp):
		top -= page
	case key.Matches(msg, g.Top):
		top = 0
	case key.Matches(msg, g.Bottom):
		top = len(m.helpBody())
	default:
		// Any other key closes help and does what it does without it: q
		// quits (asking first while a plan runs), 3 goes to logs.
		m.showHelp = false
		m.helpScroll = helpScroll{}
		return m.onKey(msg)
	}
	m.helpScroll = helpScroll{pane: m.active, top: m.clampHelpTop(top)}
	return m, nil
}

// onHelpWheel scrolls help with the wheel (over the palette it does
// nothing): the pane under the overlay must not move.
func (m Model) onHelpWheel(msg tea.MouseWheelMsg) Model {
	if !m.showHelp {
		return m
	}
	top := m.helpTop()
	switch msg.Button {
	case tea.MouseWheelDown:
		top += 3
	case tea.MouseWheelUp:
		top -= 3
	}
	m.helpScroll = helpScroll{pane: m.active, top: m.clampHelpTop(top)}
	return m
}

func (m Model) helpTop() int {
	if m.helpScroll.pane != m.active {
		return 0
	}
	return m.clampHelpTop(m.helpScroll.top)
}

func (m Model) clampHelpTop(top int) int {
	return max(min(top, len(m.helpBody())-m.helpBodyHeight()), 0)
}

// helpInner is the width inside the overlay's border and padding.
func (m Model) helpInner() int { return max(m.width-8, 20) }

// helpBodyHeight is how many lines of keys fit: the pane area less the
// border, the title and its gap, and the gap and line under the keys.
func (m Model) helpBodyHeight() int { return max(m.paneHeight()-6, 1) }

// helpBody lays out the keys: the active pane's own first, then the
// filter syntax where the pane has a filter, then the global keys. Groups
// are columns packed into rows as wide as the overlay; nothing is cut.
func (m Model) helpBody() []string {
	st := m.opts.Styles
	inner := m.helpInner()
	p := m.panes[m.active]
	var out []string
	section := func(title string, groups [][]key.Binding) {
		lines := helpColumns(st, groups, inner)
		if len(lines) == 0 {
			return
		}
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, st.Header.Render(title))
		out = append(out, lines...)
	}
	own := p.fullHelp()
	if p.selector() { // the object key works where rows name objects
		own = append(own, []key.Binding{m.opts.Keys.Global.Object})
	}
	section(paneName(m.active), own)
	if fc, ok := p.(interface{ filterColumns() []string }); ok {
		if cols := fc.filterColumns(); len(cols) > 0 {
			out = append(out, "", st.Header.Render("filter ("+m.opts.Keys.Global.Filter.Help().Key+")"))
			out = append(out, helpText(st, filterSyntax(cols), inner)...)
		}
	}
	section("every pane", m.opts.Keys.GlobalHelp())
	return out
}

// filterSyntax explains the filter, with the pane's columns.
func filterSyntax(cols []string) [][2]string {
	ex := cols[0]
	if len(cols) > 1 {
		ex = cols[1]
	}
	return [][2]string{
		{"word", "whole values and prefixes first, then text inside a value; letters in order (fuzzy) only when nothing else matches"},
		{"a b", "every word must match"},
		{"col:value", "only that column (" + ex + ":x); columns: " + strings.Join(cols, ", ")},
	}
}

// helpText renders key/description pairs one a line, the descriptions
// wrapped under themselves.
func helpText(st themes.Styles, pairs [][2]string, inner int) []string {
	kw := 0
	for _, p := range pairs {
		kw = max(kw, lipgloss.Width(p[0]))
	}
	dw := max(inner-kw-1, 10)
	var out []string
	for _, p := range pairs {
		for i, l := range wrapWords(p[1], dw) {
			k := ""
			if i == 0 {
				k = p[0]
			}
			out = append(out, st.Help.Key.Render(pane.Fit(k, kw))+" "+st.Help.Desc.Render(l))
		}
	}
	return out
}

// helpColumns renders groups of bindings as columns (keys, then their
// descriptions), as many side by side as fit in width.
func helpColumns(st themes.Styles, groups [][]key.Binding, width int) []string {
	type column struct {
		lines []string
		w     int
	}
	var cols []column
	for _, g := range groups {
		var ks, ds []string
		kw, dw := 0, 0
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			h := b.Help()
			ks, ds = append(ks, h.Key), append(ds, h.Desc)
			kw, dw = max(kw, lipgloss.Width(h.Key)), max(dw, lipgloss.Width(h.Desc))
		}
		if len(ks) == 0 {
			continue
		}
		dw = min(dw, max(width-kw-1, 10)) // a description wider than the box wraps
		var c column
		for i := range ks {
			for j, l := range wrapWords(ds[i], dw) {
				k := ""
				if j == 0 {
					k = ks[i]
				}
				c.lines = append(c.lines, st.Help.Key.Render(pane.Fit(k, kw))+" "+st.Help.Desc.Render(pane.Fit(l, dw)))
			}
		}
		c.w = kw + 1 + dw
		cols = append(cols, c)
	}
	const gap = "   "
	var out []string
	for len(cols) > 0 {
		n, w := 1, cols[0].w
		for n < len(cols) && w+len(gap)+cols[n].w <= width {
			w += len(gap) + cols[n].w
			n++
		}
		rows := 0
		for _, c := range cols[:n] {
			rows = max(rows, len(c.lines))
		}
		for r := range rows {
			var b strings.Builder
			for i, c := range cols[:n] {
				if i > 0 {
					b.WriteString(gap)
				}
				if r < len(c.lines) {
					b.WriteString(c.lines[r])
				} else {
					b.WriteString(strings.Repeat(" ", c.w))
				}
			}
			out = append(out, strings.TrimRight(b.String(), " "))
		}
		cols = cols[n:]
	}
	return out
}

// wrapWords breaks s into lines of at most width cells at spaces; a word
// longer than width is split.
func wrapWords(s string, width int) []string {
	var out []string
	cur := ""
	for _, word := range strings.Fields(s) {
		for lipgloss.Width(word) > width {
			if cur != "" {
				out, cur = append(out, cur), ""
			}
			r := []rune(word)
			out, word = append(out, string(r[:width])), string(r[width:])
		}
		switch {
		case cur == "":
			cur = word
		case lipgloss.Width(cur)+1+lipgloss.Width(word) <= width:
			cur += " " + word
		default:
			out, cur = append(out, cur), word
		}
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// helpView is the overlay: a window of the keys, with where it is when
// they do not all fit.
func (m Model) helpView() string {
	st := m.opts.Styles
	body := m.helpBody()
	h := m.helpBodyHeight()
	top := m.helpTop()
	hint := "? or esc closes"
	if len(body) > h {
		g := m.opts.Keys.Global
		hint = fmt.Sprintf("%s %s %s %s scroll · %d–%d of %d · %s", g.Up.Help().Key, g.Down.Help().Key, g.PageUp.Help().Key, g.PageDn.Help().Key,
			top+1, min(top+h, len(body)), len(body), hint)
		body = body[top:min(top+h, len(body))]
	}
	// as wide as the widest line of all the keys, so scrolling does not
	// change the box
	title := "keys — " + paneName(m.active)
	inner := max(lipgloss.Width(title), lipgloss.Width(hint))
	for _, l := range m.helpBody() {
		inner = max(inner, lipgloss.Width(l))
	}
	inner = min(inner, m.helpInner())
	for i, l := range body {
		body[i] = pane.Fit(l, inner)
	}
	content := st.Title.Render(title) + "\n\n" + strings.Join(body, "\n") + "\n\n" + st.Muted.Render(pane.Fit(hint, inner))
	return st.Help.Box.Render(content)
}
