package object

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/panes/pane"
)

// build lays the story out in lines: what is wrong first (conditions,
// owners, events), the YAML last, as it is the longest.
func (m *Model) build() {
	st, s := m.deps.Styles, m.story
	now := m.deps.Clock.Now()
	var out []line
	add := func(style lipgloss.Style, format string, args ...any) {
		for _, l := range wrap(fmt.Sprintf(format, args...), m.width) {
			out = append(out, line{text: l, style: style})
		}
	}
	section := func(title string) {
		if len(out) > 0 {
			add(st.Text, "")
		}
		add(st.Header, "── %s", title)
	}
	if m.err != "" {
		add(st.Err, "✖ %s", m.err)
	}
	if s.Err != "" {
		style := st.Err
		if s.Gone {
			style = st.Warn
		}
		add(style, "✖ %s", s.Err)
	}
	if m.err == "" {
		if !s.Gone && s.Err == "" {
			section("conditions")
			if len(s.Conditions) == 0 {
				add(st.Muted, "  none reported")
			}
			for _, c := range s.Conditions {
				style := st.Text
				if troubling(c.Type, c.Status) {
					style = st.Warn
				}
				txt := fmt.Sprintf("  %-18s %-7s", c.Type, c.Status)
				if c.Reason != "" {
					txt += " " + c.Reason
				}
				if c.Message != "" {
					txt += " — " + c.Message
				}
				if !c.LastTransition.IsZero() {
					txt += " · " + pane.Since(now, c.LastTransition)
				}
				add(style, "%s", txt)
			}
			section("owners")
			if len(s.Owners) == 0 && s.OwnersErr == "" {
				add(st.Muted, "  none: nothing owns it")
			}
			for _, o := range s.Owners {
				indent := strings.Repeat("  ", o.Depth)
				role := ""
				if o.Controller {
					role = " (controller)"
				}
				switch {
				case o.Exists:
					add(st.Text, "%s↑ %s %s%s", indent, o.Kind, o.Name, role)
				case o.Err != "":
					add(st.Warn, "%s↑ %s %s%s ✖ %s", indent, o.Kind, o.Name, role, o.Err)
				default:
					add(st.Muted, "%s↑ %s %s%s (not followed)", indent, o.Kind, o.Name, role)
				}
			}
			if s.OwnersErr != "" {
				add(st.Warn, "  ✖ %s", s.OwnersErr)
			}
		}
		section("events, newest first")
		switch {
		case s.EventsErr != "":
			add(st.Err, "  ✖ %s", s.EventsErr)
		case len(s.Events) == 0:
			add(st.Muted, "  none (the API server keeps events about an hour)")
		}
		for _, e := range s.Events {
			style := st.Text
			if e.Type == "Warning" {
				style = st.Warn
			}
			count := ""
			if e.Count > 1 {
				count = fmt.Sprintf(" ×%d", e.Count)
			}
			src := ""
			if e.Source != "" {
				src = " " + e.Source + ":"
			}
			add(style, "  %-5s %-7s %s%s%s %s", pane.Since(now, e.Last), e.Type, e.Reason, count, src, e.Message)
		}
		if len(s.YAML) > 0 {
			section("yaml")
			for _, l := range s.YAML {
				add(st.Text, "  %s", l)
			}
		}
	}
	m.lines = out
	if m.query != "" {
		m.search(m.query)
	}
	m.top = m.clamp(m.top)
}

// wrap breaks a line to width, at spaces where it can; the rest of a
// wrapped line is indented two more than its start, so the eye sees it
// continue.
func wrap(s string, width int) []string {
	if width <= 0 || ansi.StringWidth(s) <= width {
		return []string{s}
	}
	indent := strings.Repeat(" ", min(len(s)-len(strings.TrimLeft(s, " "))+2, width/2))
	first := ansi.Wrap(s, width, "")
	head, rest, _ := strings.Cut(first, "\n")
	out := []string{head}
	rest = strings.ReplaceAll(rest, "\n", " ")
	for _, l := range strings.Split(ansi.Wrap(rest, width-len(indent), ""), "\n") {
		out = append(out, indent+strings.TrimLeft(l, " "))
	}
	return out
}

// troubling reports a condition in a state to look at: one whose True is
// bad (pressure, failure, error) being True, or one that says the object
// is up (Ready, Available, PodsReady, …) not being True. Others
// (Upgrading, Progressing) are drawn plainly either way.
func troubling(typ, status string) bool {
	switch {
	case strings.Contains(typ, "Pressure"), strings.Contains(typ, "Fail"), strings.Contains(typ, "Error"), strings.Contains(typ, "Unavailable"):
		return status == "True"
	case strings.HasSuffix(typ, "Ready"), typ == "Available", typ == "Initialized", typ == "PodScheduled", typ == "Bound":
		return status != "True"
	}
	return false
}

// View renders the overlay in its whole area: the title, the lines, the
// footer (search input or position).
func (m Model) View() string {
	st := m.deps.Styles
	ref := m.ref
	if m.story.Ref.Kind != "" {
		ref = m.story.Ref // as the backend resolved it
	}
	title := st.Title.Render(ref.Title())
	switch {
	case !m.loaded:
		title += st.Muted.Render("  · loading…")
	case m.story.Gone:
		title += st.Warn.Render("  · deleted")
	}
	var b strings.Builder
	b.WriteString(pane.Truncate(title, m.width))
	body := m.bodyHeight()
	n := 0
	if !m.loaded {
		b.WriteString("\n" + st.Muted.Render(pane.Truncate("  reading the object, its owners and its events…", m.width)))
		n++
	}
	for i := m.top; i < len(m.lines) && n < body; i++ {
		b.WriteString("\n" + m.renderLine(m.lines[i]))
		n++
	}
	for ; n < body; n++ {
		b.WriteByte('\n')
	}
	b.WriteString("\n" + pane.Truncate(m.footer(), m.width))
	return b.String()
}

// renderLine draws one line cut to the width, the search's matches
// highlighted.
func (m Model) renderLine(l line) string {
	text := pane.Truncate(l.text, m.width)
	if m.query == "" {
		return l.style.Render(text)
	}
	var b strings.Builder
	for {
		i := matchAt(text, m.query)
		if i < 0 {
			break
		}
		b.WriteString(l.style.Render(text[:i]))
		b.WriteString(m.deps.Styles.Highlight.Render(text[i : i+len(m.query)]))
		text = text[i+len(m.query):]
	}
	b.WriteString(l.style.Render(text))
	return b.String()
}

func (m Model) footer() string {
	st := m.deps.Styles
	if m.typing {
		return pane.InputView(m.input)
	}
	var parts []string
	if len(m.lines) > m.bodyHeight() {
		parts = append(parts, fmt.Sprintf("%d–%d of %d", m.top+1, min(m.top+m.bodyHeight(), len(m.lines)), len(m.lines)))
	}
	if m.query != "" {
		parts = append(parts, fmt.Sprintf("/%s: %d lines match (n/N)", m.query, len(m.matches)))
	}
	parts = append(parts, "esc closes")
	return st.Muted.Render(strings.Join(parts, " · "))
}
