package streams

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/panes/pane"
)

// inert makes text from a REST API safe to show: escape sequences
// removed, other control characters shown as their pictures (see
// logs.Sanitize), on one line.
func inert(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			return string(logs.Sanitize(nil, []byte(s), len(s)*3+16))
		}
	}
	return s
}

// detail is the title and lines below the list for the selected row, the
// most important line first (small terminals show fewer).
func (m *Model) detail(r row, now time.Time) (string, []string) {
	st := &m.deps.Styles
	switch r.kind {
	case rowEndpoint:
		return r.target.String(), m.endpointDetail(r, now)
	case rowProblem:
		text := m.redact(r.text)
		if !r.err {
			return "note", []string{st.Muted.Render(text)}
		}
		return "error", strings.Split(st.Err.Render(ansi.Wrap(text, max(m.width, 20), " /")), "\n")
	case rowScope:
		user, internal := r.scope.StreamCounts()
		return "scope " + r.scope.Name, []string{fmt.Sprintf("%s (+%d internal) · %s", plural(user, "stream"), internal, plural(len(r.scope.Groups), "reader group"))}
	case rowStream:
		return "stream " + r.scope.Name + "/" + r.stream.Name, m.streamDetail(r, now)
	case rowGroup:
		g := r.group
		reads := "reads " + strings.Join(g.Streams, ", ")
		if g.Err != nil {
			reads += " · " + st.Err.Render("✖ "+m.redact(g.Err.Error()))
		} else {
			reads += fmt.Sprintf(" · online readers (%d): %s", len(g.OnlineReaders), orNone(strings.Join(g.OnlineReaders, ", ")))
		}
		return "reader group " + r.scope.Name + "/" + g.Name, []string{m.backlogDetail(r), reads}
	case rowJob:
		return "job " + inert(r.job.Name) + " " + r.job.ID, m.jobDetail(r, now)
	case rowVertex:
		return "vertex " + inert(r.vertex.Name), m.vertexDetail(r, now)
	case rowFinding:
		style, glyph := st.Health(r.finding.Health)
		of := r.target.String() // a cluster's finding
		if r.job != nil {
			of = inert(r.job.Name)
		}
		return r.finding.Problem.String() + " · " + of, strings.Split(style.Render(glyph+" "+ansi.Wrap(inert(m.redact(r.finding.Text)), max(m.width-2, 20), " /")), "\n")
	case rowExceptions:
		return "exception history of " + inert(r.job.Name), []string{restapi.ExceptionsText(r.job.Exceptions, now, maxExceptionRows), st.Muted.Render("select an entry for its stack trace (first lines)")}
	case rowException:
		return "exception " + inert(r.exc.Name), m.exceptionDetail(r, now)
	case rowTaskManager:
		t := r.tm
		gc := make([]string, len(t.GC))
		for i, g := range t.GC {
			gc[i] = fmt.Sprintf("%s %d× %s", inert(g.Name), g.Count, restapi.Duration(g.Time))
		}
		return "TaskManager " + inert(t.Name()) + " of " + inert(r.job.Name), []string{inert(m.redact(restapi.TaskManagerText(t, now))),
			fmt.Sprintf("%d slots, %d free · id %s · GC: %s", t.Slots, t.FreeSlots, inert(t.ID), orNone(strings.Join(gc, ", ")))}
	}
	return "", nil
}

// exceptionDetail is where and when a failure happened, then the first
// lines of its stack trace, shown inert (no escape sequence reaches the
// terminal).
func (m *Model) exceptionDetail(r row, now time.Time) []string {
	st := &m.deps.Styles
	x := r.exc
	first := fmt.Sprintf("at %s (%s ago) %s", m.clock(x.Time), pane.Age(now.Sub(x.Time)), inert(m.redact(restapi.ExceptionWhere(x))))
	if x.Concurrent > 0 {
		first += fmt.Sprintf(" · %d concurrent", x.Concurrent)
	}
	lines := []string{first}
	stack := stackLines(m.redact(x.Stack))
	for i, l := range stack {
		if i == stackShown {
			lines = append(lines, st.Muted.Render(fmt.Sprintf("… %d more lines", len(stack)-stackShown)))
			break
		}
		lines = append(lines, st.Err.Render(l))
	}
	if len(stack) == 0 {
		lines = append(lines, st.Muted.Render("no stack trace"))
	}
	return lines
}

// stackShown is how many lines of a stack trace the detail shows.
const stackShown = 3

// stackLines splits a stack trace into inert lines, without empty ones.
func stackLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(inert(l), " "); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (m *Model) clock(t time.Time) string { return t.In(m.location()).Format("15:04:05") }

func (m *Model) endpointDetail(r row, now time.Time) []string {
	st := &m.deps.Styles
	sec := r.section
	how := "via " + sec.Route.Where()
	switch sec.Route.Via {
	case restapi.ViaServiceProxy:
		how += ", with the kubeconfig's credentials"
	case restapi.ViaDirect:
		how += " (configured URL)"
	}
	when := "not read yet"
	if !sec.Updated.IsZero() {
		when = fmt.Sprintf("last read %s (%s ago)", m.clock(sec.Updated), pane.Age(now.Sub(sec.Updated)))
	}
	if !sec.NextTry.IsZero() {
		when += " · next read in " + pane.Age(sec.NextTry.Sub(now))
	}
	if sec.Failures > 0 {
		when += fmt.Sprintf(" · %s in a row", plural(sec.Failures, "failure"))
	}
	lines := []string{how, when}
	if op := sec.Operator; op != nil && op.State != "" {
		lines = append(lines, fmt.Sprintf("%s %s/%s: operator reports %s", r.target.Kind, r.target.Namespace, r.target.Name, inert(op.State)))
	}
	if sec.Err != nil {
		lines = append([]string{st.Err.Render("✖ " + m.redact(sec.Err.Error()))}, lines...)
	}
	switch {
	case r.pravega != nil && r.pravega.Inventory != nil:
		user, internal := r.pravega.Inventory.Streams()
		groups := 0
		for _, sc := range r.pravega.Inventory.Scopes {
			groups += len(sc.Groups)
		}
		lines = append(lines, fmt.Sprintf("%s · %s + %d internal · %s", plural(len(r.pravega.Inventory.Scopes), "scope"), plural(user, "stream"), internal, plural(groups, "reader group")))
	case r.flink != nil && r.flink.Cluster != nil && r.flink.Cluster.Overview != nil:
		o := r.flink.Cluster.Overview
		lines = append(lines, fmt.Sprintf("Flink %s (commit %s) · %s · %d slots, %d available · jobs %d running, %d finished, %d cancelled, %d failed",
			o.Version, o.Commit, plural(int(o.TaskManagers), "TaskManager"), o.SlotsTotal, o.SlotsAvailable, o.JobsRunning, o.JobsFinished, o.JobsCancelled, o.JobsFailed))
	}
	return lines
}

func (m *Model) streamDetail(r row, now time.Time) []string {
	st := &m.deps.Styles
	s := r.stream
	ret := "keeps everything (no retention policy)"
	if s.Retention != nil {
		ret = "keeps " + restapi.RetentionText(s.Retention)
	}
	seg := "segments: "
	info, ok := m.scaling[r.key]
	switch {
	case !ok || info.loading:
		seg += st.Muted.Render("reading scale events…")
	case info.err != nil:
		seg += st.Err.Render("✖ " + m.redact(info.err.Error()))
	default:
		n, known := info.hist.Segments()
		if !known {
			seg += "no scale event reported"
			break
		}
		last := info.hist.Events[len(info.hist.Events)-1]
		seg += fmt.Sprintf("%d now · %s since %s · last %s ago (%s)", n, plural(len(info.hist.Events)-1, "scaling"), m.clock(info.hist.Events[0].At),
			pane.Age(now.Sub(last.At)), last.Change())
	}
	tags := "no tags"
	if len(s.Tags) > 0 {
		tags = "tags " + strings.Join(s.Tags, ", ")
	}
	return []string{
		"scaling " + restapi.ScalingLong(s.Scaling),
		seg,
		ret + " · " + tags + " · " + st.Muted.Render("sealed or not: the Controller REST API does not say"),
	}
}

func (m *Model) jobDetail(r row, now time.Time) []string {
	st := &m.deps.Styles
	j := r.job
	var lines []string
	switch c := j.Checkpoints; {
	case j.CheckpointErr != nil:
		lines = append(lines, st.Err.Render("checkpoints: ✖ "+m.redact(j.CheckpointErr.Error())))
	case c == nil:
		lines = append(lines, st.Muted.Render("checkpoints: not read (only for jobs that are not finished)"))
	default:
		s := fmt.Sprintf("checkpoints: %d completed · %d failed · %d in progress", c.Completed, c.Failed, c.InProgress)
		if failed, ended := c.RecentFailures(); ended > 0 {
			s += fmt.Sprintf(" · %d of the last %d failed", failed, ended)
		}
		if l := c.Latest; l != nil {
			s += fmt.Sprintf(" · latest #%d at %s (%s ago), %s checkpointed of %s state in %s", l.ID, m.clock(l.Acked), pane.Age(now.Sub(l.Acked)),
				restapi.Size(l.Size), restapi.Size(l.StateSize), restapi.Duration(l.Duration))
		}
		lines = append(lines, s)
		if f := c.LatestFailure; f != nil {
			fs := fmt.Sprintf("latest failure: #%d at %s (%s ago): %s", f.ID, m.clock(f.Failed), pane.Age(now.Sub(f.Failed)), inert(m.redact(orNone(f.Message))))
			if c.FailingNow() {
				lines = append(lines, st.Err.Render("✖ "+fs))
			} else {
				lines = append(lines, st.Warn.Render(fs))
			}
		} else if len(j.CheckpointTrend) < 2 { // else the trend shows none failed
			lines = append(lines, st.Muted.Render("no failed checkpoint"))
		}
	}
	if t := m.checkpointTrend(j); t != "" {
		lines = append(lines, t)
	}
	meta := fmt.Sprintf("%s since %s (%s)", j.State, j.Start.In(m.location()).Format("2006-01-02 15:04"), pane.Age(j.Uptime(now)))
	if p := j.Parallelism(); p > 0 {
		meta += fmt.Sprintf(" · parallelism %d (max %d)", p, j.MaxParallelism)
	}
	switch r := j.Restarts; {
	case j.RestartsErr != nil:
		meta += " · restarts: " + st.Err.Render("✖ "+m.redact(j.RestartsErr.Error()))
	case r.Known:
		meta += fmt.Sprintf(" · restarted %d× since submitted", r.Total)
		if n, since := restapi.RecentRestarts(j, now); n > 0 {
			meta += fmt.Sprintf(", %d since %s", n, m.clock(since))
		}
	}
	if s := j.Slowest(); s >= 0 {
		v := j.Vertices[s]
		meta += fmt.Sprintf(" · slowest: %s, %s behind", inert(v.Name), restapi.Duration(v.Watermark.Lag(now)))
	}
	return append(lines, meta)
}

func (m *Model) vertexDetail(r row, now time.Time) []string {
	st := &m.deps.Styles
	v := r.vertex
	w := v.Watermark
	var first string
	switch {
	case v.WatermarkErr != nil:
		first = st.Err.Render("watermark: ✖ " + m.redact(v.WatermarkErr.Error()))
	case w.Known() && w.MinSubtask >= 0:
		first = fmt.Sprintf("input watermark %s, %s behind now: subtask %d/%d holds the minimum over its %d subtasks (each the minimum of what its inputs sent)",
			m.clock(w.Time()), restapi.Duration(w.Lag(now)), w.MinSubtask+1, w.Subtasks, w.Subtasks)
	case w.Known():
		first = fmt.Sprintf("input watermark %s, %s behind now: the minimum over its %d subtasks (each the minimum of what its inputs sent)",
			m.clock(w.Time()), restapi.Duration(w.Lag(now)), w.Subtasks)
	case w.Subtasks > 0 && w.Missing == w.Subtasks:
		first = st.Muted.Render(fmt.Sprintf("no input watermark: none of its %d subtasks received one (sources read no watermark)", w.Subtasks))
	default:
		first = st.Warn.Render(fmt.Sprintf("no input watermark yet: %d of %d subtasks have none", w.Missing, w.Subtasks))
	}
	second := fmt.Sprintf("%s · parallelism %d (max %d)", v.Status, v.Parallelism, v.MaxParallelism)
	if r.slowest {
		second += " · the slowest vertex of " + inert(r.job.Name)
	}
	lines := []string{first, second}
	if bp := m.pressureText(v.BackPressure); bp != "" {
		lines = []string{first, bp, second}
	}
	return lines
}

// pressureText explains a vertex's back-pressure sample: its level, the
// subtask back-pressured most and how busy and idle it was.
func (m *Model) pressureText(bp *flink.BackPressure) string {
	st := &m.deps.Styles
	switch {
	case bp == nil:
		return ""
	case bp.Err != nil:
		return st.Err.Render("back-pressure: ✖ " + m.redact(bp.Err.Error()))
	case len(bp.Subtasks) == 0:
		return st.Muted.Render("back-pressure: sampling (no subtask reported yet)")
	}
	text := inert(restapi.PressureText(bp))
	if !bp.At.IsZero() {
		text += " · sampled " + m.clock(bp.At)
	}
	switch bp.Level {
	case "high":
		return st.Err.Render("✖ " + text)
	case "low":
		return st.Warn.Render("▲ " + text)
	}
	return text
}

// trendCells is how many readings a sparkline shows at most.
const trendCells = 40

// backlogDetail is a reader group's backlog as the Flink source reading
// through it reports it, with its trend over the readings kept.
func (m *Model) backlogDetail(r row) string {
	st := &m.deps.Styles
	b, ok := m.backlogs[r.scope.Name+"/"+r.group.Name]
	if !ok {
		return st.Muted.Render("backlog: unknown: no Flink job's source reports this group (the Pravega connector's readerGroup.unreadBytes)")
	}
	g := b.Group
	text := "backlog " + restapi.DefaultThresholds.BacklogText(g)
	if h := restapi.DefaultThresholds.BacklogHealth(g); h != platform.Ready {
		style, glyph := st.Health(h)
		text = style.Render(glyph + " " + text)
	}
	legend := " · from Flink job " + inert(b.Job.Name)
	if len(g.Trend) > 1 {
		// As many cells as fit beside the text (at least a few), over
		// all the readings kept.
		cells := min(trendCells, max(m.width-lipgloss.Width(text)-1, 8))
		text += " " + pane.Spark(spread(g.Trend, cells), cells)
		legend = " since " + m.clock(g.Trend[0].At) + legend
	}
	return text + st.Muted.Render(legend)
}

// checkpointTrend draws the checkpoints that ended while the console ran,
// newest last: a completed one as a block as tall as its duration, a
// failed one as ✖. Empty until two have ended.
func (m *Model) checkpointTrend(j *flink.Job) string {
	st := &m.deps.Styles
	t := j.CheckpointTrend
	if len(t) < 2 {
		return ""
	}
	t = t[max(len(t)-trendCells, 0):]
	lo, hi, failed := time.Duration(-1), time.Duration(0), 0
	for _, a := range t {
		if a.Status == "COMPLETED" {
			if lo < 0 || a.Duration < lo {
				lo = a.Duration
			}
			hi = max(hi, a.Duration)
		}
	}
	var b strings.Builder
	for _, a := range t {
		if a.Status != "COMPLETED" {
			failed++
			b.WriteString(st.Err.Render("✖"))
			continue
		}
		b.WriteRune(pane.SparkRune(float64(a.Duration), float64(lo), float64(hi)))
	}
	legend := fmt.Sprintf(" last %d since %s", len(t), m.clock(t[0].Trigger))
	if lo >= 0 {
		legend += fmt.Sprintf(" · took %s–%s", restapi.Duration(lo), restapi.Duration(hi))
	}
	if failed > 0 {
		legend += fmt.Sprintf(" · %d failed (✖)", failed)
	}
	return "trend " + b.String() + st.Muted.Render(legend)
}

// spread is a trend's values at most cells of them, evenly spaced in time
// from its first reading to its last: each the last reading at or before
// its time, so that a sparkline spans the whole trend.
func spread(trend []flink.Sample, cells int) []float64 {
	if len(trend) <= cells || cells < 2 {
		out := make([]float64, len(trend))
		for i, s := range trend {
			out[i] = float64(s.Value)
		}
		return out
	}
	first, span := trend[0].At, trend[len(trend)-1].At.Sub(trend[0].At)
	out := make([]float64, cells)
	k := 0
	for i := range out {
		at := first.Add(span * time.Duration(i) / time.Duration(cells-1))
		for k+1 < len(trend) && !trend[k+1].At.After(at) {
			k++
		}
		out[i] = float64(trend[k].Value)
	}
	return out
}
