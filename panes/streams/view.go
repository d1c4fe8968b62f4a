package streams

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/panes/pane"
)

// The Pravega view's columns: a stream's scaling and retention policies,
// a reader group's readers online and unread bytes.
var pravegaCols = []pane.Column{
	{Title: "SCOPE / STREAM"},
	{Title: "SCALING / READERS", Width: 22},
	{Title: "RETAIN / UNREAD", Width: 15},
	{Title: "TAGS · READS"},
}

var flinkColsWide = []pane.Column{
	{Title: "JOB / VERTEX"},
	{Title: "STATE", Width: 11},
	{Title: "STARTED", Width: 12},
	{Title: "UPTIME", Width: 8},
	{Title: "PAR", Width: 4, Right: true},
	{Title: "WM LAG", Width: 9, Right: true},
	{Title: "CHECKPOINTS / WM", Width: 22},
	{Title: "LAST CKPT", Width: 9},
}

var flinkColsNarrow = []pane.Column{
	{Title: "JOB / VERTEX"},
	{Title: "STATE", Width: 9},
	{Title: "UPTIME", Width: 7},
	{Title: "PAR", Width: 3, Right: true},
	{Title: "WM LAG", Width: 9, Right: true},
	{Title: "CKPT / WM", Width: 15},
}

var pravegaColsNarrow = []pane.Column{
	{Title: "SCOPE / STREAM"},
	{Title: "SCALING / READERS", Width: 18},
	{Title: "RET/UNREAD", Width: 10},
	{Title: "TAGS · READS"},
}

func (m *Model) columns() []pane.Column {
	switch {
	case m.view == pravegaView && m.width >= 120:
		return pravegaCols
	case m.view == pravegaView:
		return pravegaColsNarrow
	case m.width >= 120:
		return flinkColsWide
	}
	return flinkColsNarrow
}

// View renders the pane.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	st := &m.deps.Styles
	now := m.deps.Clock.Now()
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	b.WriteString(pane.Truncate(m.tabLine(), m.width))
	b.WriteByte('\n')
	cols := m.columns()
	widths := pane.Layout(cols, m.width)
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.Title
	}
	b.WriteString(st.Table.Header.Render(pane.Row(titles, widths, cols)))
	n := 0
	if len(m.rows) == 0 {
		b.WriteString("\n" + pane.Truncate(st.Muted.Render("  "+m.emptyText()), m.width))
		n++
	}
	for i := m.offset; i < len(m.rows) && n < m.listHeight(); i++ {
		b.WriteByte('\n')
		line := m.renderRow(m.rows[i], widths, cols, now)
		if i == m.cursor {
			line = st.Selected.Render(pane.Fit(ansi.Strip(line), m.width))
		} else {
			line = pane.Truncate(line, m.width)
		}
		b.WriteString(line)
		n++
	}
	for ; n < m.listHeight(); n++ {
		b.WriteByte('\n')
	}
	if h := m.detailHeight(); h > 0 {
		r, ok := m.selected()
		title, lines := "", []string(nil)
		if ok {
			title, lines = m.detail(r, now)
		}
		b.WriteByte('\n')
		b.WriteString(st.Muted.Render(rule("── "+title+" ", m.width)))
		for i := 0; i < h-1; i++ {
			b.WriteByte('\n')
			if i < len(lines) {
				b.WriteString(pane.Truncate(lines[i], m.width))
			}
		}
	}
	b.WriteByte('\n')
	b.WriteString(pane.Truncate(m.footer(), m.width))
	return b.String()
}

// rule pads a title with "─" to width.
func rule(title string, width int) string {
	title = pane.Truncate(title, width)
	if w := lipgloss.Width(title); w < width {
		title += strings.Repeat("─", width-w)
	}
	return title
}

func (m *Model) emptyText() string {
	switch {
	case m.report == nil:
		return "waiting for the streams backend…"
	case m.filter.Query() != "":
		return "nothing matches"
	case m.view == pravegaView && len(m.report.Pravega) == 0:
		return "no PravegaCluster found, and no Pravega endpoint configured"
	case m.view == flinkView && len(m.report.Flink) == 0:
		return "no FlinkDeployment or FlinkCluster found, and no Flink endpoint configured"
	}
	return "nothing to show"
}

// tabLine names both views, the active one highlighted, with their counts.
func (m *Model) tabLine() string {
	st := &m.deps.Styles
	var pr, fl, problems string
	if m.report != nil {
		streams, internal, pf := restapi.PravegaCounts(m.report.Pravega)
		switch {
		case internal > 0 && m.internal:
			pr = plural(streams+internal, "stream") + fmt.Sprintf(" (%d internal)", internal)
		case internal > 0:
			pr = plural(streams, "stream") + fmt.Sprintf(" (+%d internal hidden)", internal)
		default:
			pr = plural(streams, "stream")
		}
		if pf > 0 {
			pr += " " + st.Err.Render(fmt.Sprintf("✖ %d failing", pf))
		}
		jobs, running, ff := restapi.FlinkCounts(m.report.Flink)
		fl = fmt.Sprintf("%s, %d running", plural(jobs, "job"), running)
		if ff > 0 {
			fl += " " + st.Err.Render(fmt.Sprintf("✖ %d failing", ff))
		}
		if v := m.verdicts; v.Problems > 0 {
			style, glyph := st.Health(v.Worst)
			problems = " " + style.Render(fmt.Sprintf("%s %d with problems", glyph, v.Problems))
		}
	}
	tab := func(active bool, name, rest string) string {
		if active {
			return st.Tabs.Active.Render(" "+name+" ") + " " + rest
		}
		return st.Tabs.Inactive.Render(" "+name+" ") + " " + st.Muted.Render(ansi.Strip(rest))
	}
	// The jobs with problems are counted when that fits (their rows say it
	// in any case).
	s := tab(m.view == pravegaView, "Pravega", pr) + "   " + tab(m.view == flinkView, "Flink", fl+problems)
	if problems != "" && lipgloss.Width(s) > m.width {
		s = tab(m.view == pravegaView, "Pravega", pr) + "   " + tab(m.view == flinkView, "Flink", fl)
	}
	if m.report != nil && m.report.Interval > 0 {
		right := st.Muted.Render("read every " + restapi.Duration(m.report.Interval))
		if gap := m.width - lipgloss.Width(s) - lipgloss.Width(right); gap > 1 {
			s += strings.Repeat(" ", gap) + right
		}
	}
	return s
}

func (m *Model) footer() string {
	st := &m.deps.Styles
	if f := m.filter.View(*st); f != "" {
		return f
	}
	var parts []string
	if len(m.rows) > m.listHeight() {
		parts = append(parts, fmt.Sprintf("%d–%d of %d", m.offset+1, min(m.offset+m.listHeight(), len(m.rows)), len(m.rows)))
	}
	k := m.deps.Keys.Streams
	for _, b := range []struct{ key, desc string }{
		{k.Section.Help().Key, k.Section.Help().Desc},
		{k.Internal.Help().Key, k.Internal.Help().Desc},
		{k.Refresh.Help().Key, k.Refresh.Help().Desc},
	} {
		if b.key == k.Internal.Help().Key && !k.Internal.Enabled() {
			continue
		}
		parts = append(parts, b.key+" "+b.desc)
	}
	return st.Muted.Render(strings.Join(parts, " · "))
}

func (m *Model) redact(s string) string {
	if m.src == nil {
		return (*restapi.Redactor)(nil).String(s)
	}
	return m.src.Redactor().String(s)
}

// indent lines rows up under their parents: endpoints at 0, scopes and
// jobs at 2, streams, groups and vertices at 6.
func indent(depth int) string {
	switch depth {
	case 0:
		return ""
	case 1:
		return "  "
	}
	return strings.Repeat(" ", 6+2*(depth-2))
}

func (m *Model) renderRow(r row, widths []int, cols []pane.Column, now time.Time) string {
	st := &m.deps.Styles
	switch r.kind {
	case rowEndpoint:
		return m.endpointLine(r, now)
	case rowProblem:
		if r.err {
			return indent(r.depth) + st.Err.Render("✖ "+m.redact(r.text))
		}
		return indent(r.depth) + st.Muted.Render("· "+r.text)
	case rowScope:
		marker := "▾"
		if m.collapsed[r.key] {
			marker = "▸"
		}
		streams, internal := r.scope.StreamCounts()
		if m.internal {
			streams += internal
		}
		groups := plural(len(r.scope.Groups), "reader group")
		if r.scope.GroupErr != nil {
			groups = "reader groups unknown"
		}
		if r.scope.StreamErr != nil {
			return indent(1) + st.Bold.Render(marker+" "+r.scope.Name) + st.Muted.Render(" · streams unknown · "+groups)
		}
		return indent(1) + st.Bold.Render(marker+" "+r.scope.Name) + st.Muted.Render(" · "+plural(streams, "stream")+" · "+groups)
	case rowStream:
		name := r.stream.Name
		if r.stream.Internal() || r.scope.Internal() {
			name = st.Muted.Render(name)
		}
		tags := st.Muted.Render(strings.Join(r.stream.Tags, ", "))
		return pane.Row([]string{indent(2) + name, restapi.ScalingText(r.stream.Scaling), restapi.RetentionText(r.stream.Retention), tags}, widths, cols)
	case rowGroup:
		online := len(r.group.OnlineReaders)
		onlineCell := st.OK.Render(plural(online, "reader") + " online")
		if online == 0 {
			onlineCell = st.Warn.Render("▲ no reader online")
		}
		if r.group.Err != nil {
			onlineCell = st.Err.Render("✖ unreadable")
		}
		return pane.Row([]string{indent(2) + st.Info.Render("◆ "+r.group.Name), onlineCell, m.backlogCell(r), st.Muted.Render("reads " + strings.Join(r.group.Streams, ", "))}, widths, cols)
	case rowJob:
		return pane.Row(m.jobCells(r, now), widths, cols)
	case rowVertex:
		return pane.Row(m.vertexCells(r, now, len(cols)), widths, cols)
	case rowFinding:
		style, glyph := st.Health(r.finding.Health)
		return indent(r.depth) + style.Render(glyph+" "+inert(m.redact(r.finding.Text)))
	case rowTaskManager:
		style, glyph := st.Health(restapi.DefaultThresholds.HeapHealth(r.tm))
		return indent(r.depth) + style.Render(glyph+" TaskManager "+inert(m.redact(restapi.TaskManagerText(r.tm, now))))
	case rowExceptions:
		return indent(r.depth) + st.Muted.Render("exception history: "+restapi.ExceptionsText(r.job.Exceptions, now, maxExceptionRows))
	case rowException:
		x := r.exc
		where := ""
		if x.Task != "" {
			where = " in " + x.Task
		}
		if x.Location != "" {
			where += " @ " + x.Location
		}
		return indent(r.depth) + st.Err.Render("✖ "+m.clock(x.Time)) + " " + inert(restapi.ShortClass(x.Name)) + st.Muted.Render(inert(where))
	}
	return ""
}

// backlogCell is a reader group's unread bytes, marked ▲ (in text as well
// as colour) while they grow, "-" when no Flink source reports them.
func (m *Model) backlogCell(r row) string {
	st := &m.deps.Styles
	b, ok := m.backlogs[r.scope.Name+"/"+r.group.Name]
	if !ok {
		return st.Muted.Render("-")
	}
	size := restapi.Size(b.Group.Unread)
	switch h := restapi.DefaultThresholds.BacklogHealth(b.Group); h {
	case platform.Ready:
		if delta, _ := restapi.Growth(b.Group.Trend); delta < 0 {
			return "▼ " + size
		}
		return size
	default:
		style, glyph := st.Health(h)
		return style.Render(glyph + " " + size)
	}
}

func (m *Model) endpointLine(r row, now time.Time) string {
	st := &m.deps.Styles
	sec := r.section
	glyph := st.OK.Render("●")
	switch {
	case sec.Err != nil:
		glyph = st.Err.Render("✖")
	case sec.Updated.IsZero():
		glyph = st.Info.Render("◐")
	}
	api := "Pravega Controller"
	if p := r.pravega; p != nil && p.Inventory != nil && p.Inventory.Health != nil {
		h := p.Inventory.Health
		switch {
		case h.Up():
			api += " · health UP"
		case h.Bad():
			api += " · " + st.Err.Render("✖ health "+inert(h.Status))
			if sec.Err == nil {
				glyph = st.Err.Render("✖")
			}
		default:
			api += " · " + st.Warn.Render("▲ health "+inert(h.Status))
		}
	}
	if r.target.API == restapi.Flink {
		api = "Flink"
		if c := r.flink.Cluster; c != nil && c.Overview != nil {
			o := c.Overview
			api += fmt.Sprintf(" %s · %s · slots %d, %d free", o.Version, plural(int(o.TaskManagers), "TaskManager"), o.SlotsTotal, o.SlotsAvailable)
		}
	}
	via := " · via " + sec.Route.Where()
	switch {
	case sec.Auth != "":
		via += " · " + sec.Auth // how it authenticates, never with what
	case sec.AuthRequired:
		via += " · authentication on"
	}
	return glyph + " " + st.Bold.Render(r.target.Namespace+"/"+r.target.Name) + "  " + api +
		st.Muted.Render(via+" · "+freshness(*sec, now))
}

// freshness says when a section was read and when it is read next.
func freshness(sec restapi.Section, now time.Time) string {
	switch {
	case sec.Reading && sec.Updated.IsZero():
		return "reading…"
	case sec.Err != nil && !sec.NextTry.IsZero():
		s := "retry in " + pane.Age(sec.NextTry.Sub(now))
		if sec.Failures > 1 {
			s += fmt.Sprintf(" (%d failures)", sec.Failures)
		}
		if !sec.Updated.IsZero() {
			s += " · last read " + pane.Age(now.Sub(sec.Updated)) + " ago"
		}
		return s
	case sec.Updated.IsZero():
		return "not read yet"
	}
	return "read " + pane.Age(now.Sub(sec.Updated)) + " ago"
}

// jobStateCell is a job's state with its verdict: a running job with
// something wrong shows the worst finding's glyph and colour.
func (m *Model) jobStateCell(state string, h platform.Health) string {
	if state == "RUNNING" && h != platform.Ready {
		style, glyph := m.deps.Styles.Health(h)
		return style.Render(glyph + " " + state)
	}
	return m.stateCell(state)
}

func (m *Model) stateCell(state string) string {
	st := &m.deps.Styles
	switch flink.StateLevel(state) {
	case 0:
		return st.OK.Render("● " + state)
	case 2:
		return st.Err.Render("✖ " + state)
	case 3:
		return st.Muted.Render("○ " + state)
	}
	return st.Info.Render("◐ " + state)
}

// lagCell is a watermark lag, with the glyph of its grade when it is
// behind (readable without colour): "2s", "▲ 4m20s", "✖ 6m12s ◀".
func (m *Model) lagCell(d time.Duration, slowest bool) string {
	st := &m.deps.Styles
	s := restapi.Duration(d)
	h := restapi.DefaultThresholds.LagHealth(d)
	style, glyph := st.Health(h)
	if h != platform.Ready {
		s = glyph + " " + s
	}
	if slowest {
		s += " ◀"
	}
	return style.Render(s)
}

// checkpointCell is "✓120 ✖3 ⋯1": completed in green, failed in red when
// there are any.
func (m *Model) checkpointCell(c *flink.Checkpoints) string {
	st := &m.deps.Styles
	fs := st.Muted
	if c.Failed > 0 {
		fs = st.Err
	}
	return st.OK.Render("✓"+strconv.FormatInt(c.Completed, 10)) + " " + fs.Render("✖"+strconv.FormatInt(c.Failed, 10)) + " " + st.Muted.Render("⋯"+strconv.Itoa(int(c.InProgress)))
}

func (m *Model) jobCells(r row, now time.Time) []string {
	st := &m.deps.Styles
	j := r.job
	marker := "▾"
	if m.collapsed[r.key] {
		marker = "▸"
	}
	if len(j.Vertices) == 0 {
		marker = " "
	}
	lag := st.Muted.Render("-")
	if d, ok := j.Lag(now); ok {
		lag = m.lagCell(d, false)
	}
	ck := st.Muted.Render("-")
	last := st.Muted.Render("-")
	if c := j.Checkpoints; c != nil {
		ck = m.checkpointCell(c)
		if c.Latest != nil {
			last = pane.Since(now, c.Latest.Acked)
		}
	}
	par := "-"
	if p := j.Parallelism(); p > 0 {
		par = strconv.Itoa(int(p))
	}
	name := indent(1) + st.Bold.Render(marker+" "+j.Name)
	if m.width < 120 {
		return []string{name, m.jobStateCell(j.State, r.health), pane.Age(j.Uptime(now)), par, lag, ck}
	}
	started := "-"
	if !j.Start.IsZero() {
		started = j.Start.In(m.location()).Format("Jan 02 15:04")
	}
	return []string{name, m.jobStateCell(j.State, r.health), started, pane.Age(j.Uptime(now)), par, lag, ck, last}
}

func (m *Model) vertexCells(r row, now time.Time, ncols int) []string {
	st := &m.deps.Styles
	v := r.vertex
	lag := st.Muted.Render("-")
	if v.WatermarkErr != nil {
		lag = st.Err.Render("✖")
	} else if v.Watermark.Known() {
		lag = m.lagCell(v.Watermark.Lag(now), r.slowest)
	}
	wm := "wm " + restapi.WatermarkText(v.Watermark, m.location())
	if !v.Watermark.Known() {
		wm = st.Muted.Render(wm)
	}
	cells := []string{indent(2) + inert(v.Name), m.stateCell(v.Status)}
	if ncols == len(flinkColsWide) {
		cells = append(cells, "", "")
	} else {
		cells = append(cells, "")
	}
	return append(cells, strconv.Itoa(int(v.Parallelism)), lag, wm, m.pressureCell(v.BackPressure))
}

// pressureCell is a vertex's back-pressure in the last column (wide
// layout): "bp ✖ high", "bp ▲ low", "bp ok"; empty when not sampled.
func (m *Model) pressureCell(bp *flink.BackPressure) string {
	st := &m.deps.Styles
	switch {
	case bp == nil:
		return ""
	case bp.Err != nil:
		return st.Err.Render("bp ✖")
	case bp.Level == "high":
		return st.Err.Render("bp ✖ high")
	case bp.Level == "low":
		return st.Warn.Render("bp ▲ low")
	case bp.Level == "":
		return st.Muted.Render("bp -")
	}
	return st.Muted.Render("bp " + inert(bp.Level))
}

func (m *Model) location() *time.Location {
	if m.loc != nil {
		return m.loc
	}
	return time.Local
}
