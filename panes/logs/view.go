package logs

import (
	"fmt"
	"image/color"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	logengine "github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// codes are a style's opening and closing sequences, so that a line can
// be styled by concatenation: a frame of 48 lines calls no Render.
type codes struct{ open, close string }

func codesOf(s lipgloss.Style) codes {
	r := s.Render("X")
	i := strings.IndexByte(r, 'X')
	if i < 0 {
		return codes{}
	}
	return codes{r[:i], r[i+1:]}
}

func (c codes) wrap(s string) string {
	if c.open == "" {
		return s
	}
	return c.open + s + c.close
}

// renderCache holds what every frame reuses.
type renderCache struct {
	lines     []logengine.Line
	ranges    [][2]int
	sources   []codes // one per source colour
	highlight codes
	err, warn codes
	muted     codes
	info      codes
	selected  codes
	accent    codes

	// the short labels of the sources last drawn, made again only when
	// the snapshot or the sources change (View and every scroll ask)
	labels    labels
	labelSnap *platform.Snapshot
	labelSrcs []labelKey
}

// labelKey is what a source's label depends on.
type labelKey struct {
	id     uint32
	target logengine.Target
}

// labelsFor is shortLabels of srcs over the pane's snapshot, from the
// cache while neither changed.
func (m Model) labelsFor(srcs []logengine.SourceInfo) labels {
	c := m.cache
	same := c.labels.byID != nil && c.labelSnap == m.snap && len(c.labelSrcs) == len(srcs)
	for i := 0; same && i < len(srcs); i++ {
		same = c.labelSrcs[i] == labelKey{srcs[i].ID, srcs[i].Target}
	}
	if same {
		return c.labels
	}
	c.labels, c.labelSnap = shortLabels(srcs, m.snap), m.snap
	c.labelSrcs = c.labelSrcs[:0]
	for _, s := range srcs {
		c.labelSrcs = append(c.labelSrcs, labelKey{s.ID, s.Target})
	}
	return c.labels
}

// sourceStyles are the colours lines are prefixed in, one per source in
// turn. They come from the theme's palette; the no-colour theme varies
// weight and underline instead. The prefix text names the source, so the
// colour only helps the eye.
func sourceStyles(st themes.Styles) []lipgloss.Style {
	p := st.Palette
	base := lipgloss.NewStyle()
	if p.NoColor {
		return []lipgloss.Style{base.Bold(true), base.Underline(true), base.Italic(true), base.Faint(true), base.Bold(true).Underline(true)}
	}
	var out []lipgloss.Style
	for _, c := range []color.Color{p.Accent, p.Info, p.OK} {
		out = append(out, base.Foreground(c))
	}
	for _, c := range []color.Color{p.Accent, p.Info, p.OK} {
		out = append(out, base.Foreground(c).Bold(true).Underline(true))
	}
	return out
}

func newRenderCache(st themes.Styles) *renderCache {
	c := &renderCache{
		highlight: codesOf(st.Highlight), err: codesOf(st.Err), warn: codesOf(st.Warn),
		muted: codesOf(st.Muted), info: codesOf(st.Info), selected: codesOf(st.Selected), accent: codesOf(st.Accent),
	}
	for _, s := range sourceStyles(st) {
		c.sources = append(c.sources, codesOf(s))
	}
	return c
}

// View renders the pane.
func (m Model) View() string {
	st := m.deps.Styles
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.picker.open {
		return m.picker.view(m.deps, m.width, m.height)
	}
	if m.eng == nil {
		return st.Muted.Render("logs are not available in this session")
	}
	rows := m.logRows()
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	srcs := m.eng.Sources() // once a frame: it takes the engine's lock
	b.WriteString(pane.Truncate(m.header(srcs), m.width))
	lb := m.labelsFor(srcs)
	if lb.legend != "" {
		b.WriteByte('\n')
		b.WriteString(st.Muted.Render(pane.Truncate(lb.legend, m.width)))
	}
	body, foot := m.body(rows, srcs, lb)
	for _, l := range body {
		b.WriteByte('\n')
		b.WriteString(l)
	}
	for i := len(body); i < rows; i++ {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(pane.Truncate(foot, m.width))
	return b.String()
}

// bodyHeight is the rows below the header.
func (m Model) bodyHeight() int { return max(m.height-1, 1) }

// logRows is the rows log lines get: the pane less header and footer.
func (m Model) logRows() int { return max(m.height-2-m.legendRows(), 1) }

// legendRows is 1 while several sources of components are followed: the
// legend of their short labels takes a line under the header.
func (m Model) legendRows() int {
	if m.eng != nil && m.labelsFor(m.eng.Sources()).legend != "" {
		return 1
	}
	return 0
}

func (m Model) header(srcs []logengine.SourceInfo) string {
	st := m.deps.Styles
	title := m.title
	if title == "" {
		title = "logs"
	}
	if m.set.Stream.Previous && !strings.Contains(title, "previous") {
		title += " (previous)"
	}
	counts := map[logengine.State]int{}
	for _, s := range srcs {
		counts[s.State]++
	}
	var parts []string
	for _, s := range []logengine.State{logengine.Streaming, logengine.Ended, logengine.Connecting, logengine.Retrying, logengine.Waiting, logengine.Capped, logengine.Stopped} {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	noun := "sources"
	if len(srcs) == 1 {
		noun = "source"
	}
	state := st.Muted.Render(fmt.Sprintf(" · %d %s", len(srcs), noun))
	if len(parts) > 0 {
		text := " (" + strings.Join(parts, ", ") + ")"
		if counts[logengine.Retrying]+counts[logengine.Capped] > 0 {
			state += st.Warn.Render(text)
		} else {
			state += st.Muted.Render(text)
		}
	}
	opts := m.set.Summary()
	if m.set.Timestamps {
		opts += " · timestamps"
	}
	if m.wrap {
		opts += " · wrap"
	}
	left := st.Title.Render(clean(title)) + state
	right := st.Muted.Render(opts)
	if gap := m.width - lipgloss.Width(left) - lipgloss.Width(right); gap >= 2 {
		return left + strings.Repeat(" ", gap) + right
	}
	return left + "  " + right
}

// clean keeps text from other panes (titles) free of control sequences.
func clean(s string) string { return string(logengine.Sanitize(nil, []byte(s), 512)) }

// podLabels names every source of the session: its pod, and its container
// when a pod has several.
func podLabels(srcs []logengine.SourceInfo) map[uint32]string {
	perPod := map[string]int{}
	for _, s := range srcs {
		perPod[s.Target.Namespace+"/"+s.Target.Pod]++
	}
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Target.Pod
		if perPod[s.Target.Namespace+"/"+s.Target.Pod] > 1 {
			names[i] += "/" + s.Target.Container
		}
	}
	names = shorten(names)
	out := make(map[uint32]string, len(srcs))
	for i, s := range srcs {
		out[s.ID] = names[i]
	}
	return out
}

// shorten drops what all names start with, keeping the last common word
// for context: three segment stores are "store-0", "store-1", "store-2",
// not "pravega-pravega-segment-store-0"... (the title names the component).
func shorten(names []string) []string {
	if len(names) < 2 {
		return names
	}
	split := make([][]string, len(names))
	for i, n := range names {
		split[i] = strings.Split(n, "-")
	}
	common := 0
	for ; common < len(split[0])-1; common++ {
		same := true
		for _, s := range split[1:] {
			same = same && common < len(s)-1 && s[common] == split[0][common]
		}
		if !same {
			break
		}
	}
	keep := -1 // the last common segment that is a word
	for i := common - 1; i >= 0; i-- {
		if strings.IndexFunc(split[0][i], func(r rune) bool { return r >= '0' && r <= '9' }) < 0 {
			keep = i
			break
		}
	}
	if keep <= 0 {
		return names
	}
	out := make([]string, len(names))
	for i, s := range split {
		out[i] = strings.Join(s[keep:], "-")
	}
	return out
}

// body renders the log rows and the footer line.
func (m Model) body(rows int, srcs []logengine.SourceInfo, lb labels) ([]string, string) {
	buf := m.eng.Buffer()
	if m.context && m.hasCursor {
		return m.contextBody(rows, lb), m.footer(buf.Tail(0, nil), 0)
	}
	var w logengine.Window
	if m.paused {
		w = buf.From(m.anchor, rows, m.cache.lines[:0])
	} else {
		w = buf.Tail(rows, m.cache.lines[:0])
	}
	m.cache.lines = w.Lines[:0]
	if len(w.Lines) == 0 {
		return m.emptyBody(rows, srcs), m.footer(w, 0)
	}
	labelW := min(lb.width, max(m.width/5, 10))
	search := buf.Search()
	var out []string
	if w.Pos == 0 && w.Stats.Dropped > 0 {
		out = append(out, m.cache.muted.wrap(pane.Fit(fmt.Sprintf("── %s older lines dropped (the buffer keeps %s) ──", thousands(w.Stats.Dropped), thousands(uint64(w.Stats.Limit))), m.width)))
	}
	for _, l := range w.Lines {
		out = append(out, m.renderLine(l, lb.byID[l.Source], labelW, search)...)
		if m.paused && len(out) >= rows {
			break
		}
	}
	if len(out) > rows {
		if m.paused {
			out = out[:rows]
		} else {
			out = out[len(out)-rows:]
		}
	}
	last := w.Lines[len(w.Lines)-1].Seq
	waiting := 0
	if m.paused {
		waiting = buf.CountAfter(last)
	}
	return out, m.footer(w, waiting)
}

func (m Model) emptyBody(rows int, srcs []logengine.SourceInfo) []string {
	st := m.deps.Styles
	if m.sel.Empty() {
		k := m.deps.Keys
		return []string{"", st.Muted.Render(pane.Truncate(fmt.Sprintf("  Nothing followed yet: %s chooses a component or pods; %s on a member or a restart opens its log.",
			k.Logs.Sources.Help().Key, k.Members.ToLogs.Help().Key), m.width))}
	}
	out := []string{"", st.Muted.Render("  waiting for lines from:")}
	for _, s := range srcs {
		if len(out) >= rows {
			break
		}
		line := fmt.Sprintf("    %s/%s  %s", s.Target.Pod, s.Target.Container, s.State)
		if s.Detail != "" {
			line += ": " + s.Detail
		}
		style := st.Muted
		if s.State == logengine.Retrying || s.State == logengine.Waiting || s.State == logengine.Capped {
			style = st.Warn
		}
		out = append(out, style.Render(pane.Truncate(line, m.width)))
	}
	return out
}

func (m Model) footer(w logengine.Window, waiting int) string {
	st := m.deps.Styles
	if m.mode != noInput {
		return m.input.View()
	}
	s := w.Stats
	// pieces in order of importance: what does not fit is left out
	var parts []string
	switch {
	case m.paused:
		parts = append(parts, st.Warn.Render(fmt.Sprintf("⏸ paused · %s new below", thousands(uint64(waiting)))))
	case m.set.Stream.Follow && !m.set.Stream.Previous:
		parts = append(parts, st.OK.Render("▶ live"))
	default:
		parts = append(parts, st.Muted.Render("■ not following"))
	}
	if m.search != "" {
		parts = append(parts, st.Accent.Render(fmt.Sprintf("/%s %d matches", clean(m.search), s.Matches)))
	}
	if s.Errors > 0 {
		parts = append(parts, st.Err.Render(fmt.Sprintf("✖ %d errors", s.Errors)))
	} else {
		parts = append(parts, st.Muted.Render("0 errors"))
	}
	count := fmt.Sprintf("%s lines", thousands(uint64(s.Visible)))
	if s.Visible != s.Held {
		count += fmt.Sprintf(" shown of %s", thousands(uint64(s.Held)))
	}
	if s.Dropped > 0 {
		count += fmt.Sprintf(" (%s dropped)", thousands(s.Dropped))
	}
	parts = append(parts, st.Muted.Render(count))
	if m.hscroll > 0 {
		parts = append(parts, st.Muted.Render(fmt.Sprintf("→%d", m.hscroll)))
	}
	if m.paused {
		parts = append(parts, st.Muted.Render(m.deps.Keys.Logs.Pause.Help().Key+" resumes"))
	}
	sep := st.Muted.Render(" · ")
	out := parts[0]
	for _, p := range parts[1:] {
		if lipgloss.Width(out)+3+lipgloss.Width(p) > m.width {
			break
		}
		out += sep + p
	}
	return out
}

// contextBody is the cursor line's source around it, every line of it
// whatever the filters hide (C): grep -C for the hit or error at hand.
func (m Model) contextBody(rows int, lb labels) []string {
	st := m.deps.Styles
	n := max((rows-2)/2, 1)
	lines, ok := m.eng.Buffer().Around(m.cursor, n, 20000, nil)
	if !ok {
		return []string{st.Muted.Render(pane.Truncate("  the line is no longer in the buffer · "+m.deps.Keys.Logs.Context.Help().Key+" closes", m.width))}
	}
	title := fmt.Sprintf("── %d lines of %s around the line, filters off · %s or esc closes ──", len(lines)-1, orSource(lb.byID[lines[0].Source]),
		m.deps.Keys.Logs.Context.Help().Key)
	out := []string{st.Muted.Render(pane.Fit(title, m.width))}
	labelW := min(lb.width, max(m.width/5, 10))
	var at int
	var body []string
	for _, l := range lines {
		if l.Seq == m.cursor {
			at = len(body)
		}
		body = append(body, m.renderLine(l, lb.byID[l.Source], labelW, m.eng.Buffer().Search())...)
	}
	// keep the cursor line in view: cut from the far side of it
	room := rows - 1
	if len(body) > room {
		from := max(min(at-room/2, len(body)-room), 0)
		body = body[from : from+room]
	}
	return append(out, body...)
}

func orSource(label string) string {
	if label == "" {
		return "its source"
	}
	return label
}

// renderLine draws one log line: its source, level and text, with the
// search highlighted; one row, or several when wrapping.
func (m Model) renderLine(l logengine.Line, label string, labelW int, search *logengine.Search) []string {
	c := m.cache
	var pre strings.Builder
	if m.set.Timestamps {
		ts := "--:--:--.---"
		if l.Time != 0 {
			ts = l.Timestamp().Format("15:04:05.000")
		}
		pre.WriteString(c.muted.wrap(ts))
		pre.WriteByte(' ')
	}
	if labelW > 0 {
		pre.WriteString(c.sources[int(l.Source)%len(c.sources)].wrap(pane.Fit(pane.ElideName(label, labelW), labelW)))
		pre.WriteByte(' ')
	}
	switch {
	case l.Notice:
		pre.WriteString(c.info.wrap("»"))
	case l.Cont:
		pre.WriteString(c.muted.wrap("│"))
	case l.Level == logengine.LevelError:
		pre.WriteString(c.err.wrap("✖"))
	case l.Level == logengine.LevelWarn:
		pre.WriteString(c.warn.wrap("▲"))
	default:
		pre.WriteByte(' ')
	}
	if m.hasCursor && l.Seq == m.cursor {
		pre.WriteString(c.accent.wrap("▶"))
	} else {
		pre.WriteByte(' ')
	}
	prefix := pre.String()
	prefixW := 2
	if labelW > 0 {
		prefixW += labelW + 1
	}
	if m.set.Timestamps {
		prefixW += 13
	}
	avail := max(m.width-prefixW, 8)

	text := l.Text
	if m.set.JSON && !l.Notice {
		if p, ok := logengine.PrettyJSON(text, m.set.Fields); ok {
			text = p
		}
	}
	limit := len(text)
	if !m.wrap {
		limit = (m.hscroll+avail)*4 + 8
	} else {
		limit = m.logRows()*avail*4 + 8
	}
	if len(text) > limit {
		text = text[:limit]
		for len(text) > 0 && !utf8.RuneStart(text[len(text)-1]) {
			text = text[:len(text)-1]
		}
	}
	s := m.styleText(string(text), l, search)
	if !m.wrap {
		if m.hscroll > 0 {
			s = ansi.Cut(s, m.hscroll, m.hscroll+avail+1)
		}
		return []string{prefix + ansi.Truncate(s, avail, "…")}
	}
	parts := strings.Split(ansi.Hardwrap(s, avail, true), "\n")
	out := make([]string, len(parts))
	indent := strings.Repeat(" ", prefixW)
	for i, p := range parts {
		if i == 0 {
			out[i] = prefix + p
		} else {
			out[i] = indent + p
		}
	}
	return out
}

// styleText colours a line's text: notices and stack frames muted, search
// matches highlighted.
func (m Model) styleText(s string, l logengine.Line, search *logengine.Search) string {
	c := m.cache
	base := codes{}
	switch {
	case l.Notice:
		base = c.info
	case l.Cont:
		base = c.muted
	}
	if search == nil || l.Notice {
		return base.wrap(s)
	}
	c.ranges = search.FindString(s, c.ranges[:0])
	if len(c.ranges) == 0 {
		return base.wrap(s)
	}
	var b strings.Builder
	b.Grow(len(s) + len(c.ranges)*24)
	at := 0
	for _, r := range c.ranges {
		b.WriteString(base.wrap(s[at:r[0]]))
		b.WriteString(c.highlight.wrap(s[r[0]:r[1]]))
		at = r[1]
	}
	b.WriteString(base.wrap(s[at:]))
	return b.String()
}

// thousands writes 1234567 as 1,234,567.
func thousands(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
