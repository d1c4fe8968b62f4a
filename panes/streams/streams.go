// Package streams is the streams pane: the Pravega clusters' scopes,
// streams (scaling and retention policies) and reader groups, read through
// the Pravega Controller REST API, and the Flink clusters' jobs with their
// vertices' watermarks and their checkpoints, read through the Flink REST
// API. Each cluster is its own section: an endpoint that cannot be reached
// shows its error there and the rest of the pane works. Every section says
// where its data came from (service proxy or direct URL) and when.
//
// Every job row carries its verdict (backend/restapi's findings: restarting,
// checkpoints failing, lagging, back-pressured), worst first, in text and
// glyph as well as colour. The pane tells the Source which job the
// selection is on, and that job's exception history and back-pressure are
// read and listed under it.
//
// The pane reads through a Source (backend/restapi's Monitor), which sends
// nothing before the pane is first shown.
package streams

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/pravega"
	"github.com/streamops/streamops/panes/pane"
)

// Source is what the pane reads from; *restapi.Monitor implements it.
type Source interface {
	// Reports delivers the latest report after every change.
	Reports() <-chan restapi.Report
	// Latest returns the newest report, read or not.
	Latest() restapi.Report
	// Activate starts reading (the pane calls it when shown); Deactivate
	// stops it (when another pane is shown).
	Activate()
	Deactivate()
	// Refresh reads every endpoint now.
	Refresh()
	// Focus says which job the user looks at (empty: none), whose
	// exception history and back-pressure are then read too.
	Focus(t restapi.Target, jobID string)
	// ReadNow reads every endpoint once, whether or not the pane was
	// shown, and returns the report (the triage report calls it).
	ReadNow(ctx context.Context) restapi.Report
	// Scaling reads a stream's scale events.
	Scaling(ctx context.Context, t restapi.Target, scope, stream string) (pravega.ScalingHistory, error)
	// Redactor masks secrets in text the pane shows.
	Redactor() *restapi.Redactor
}

// Views of the pane, which the Section key switches between.
const (
	pravegaView = iota
	flinkView
	viewCount
)

// ReportMsg carries a new report from the Source to the pane.
type ReportMsg struct{ Report restapi.Report }

// scalingMsg carries a stream's scale events, read for the detail lines.
type scalingMsg struct {
	key  string
	hist pravega.ScalingHistory
	err  error
}

// detailDueMsg fires when the selection rested on a stream long enough to
// read its scale events.
type detailDueMsg struct{ key string }

type scalingInfo struct {
	hist    pravega.ScalingHistory
	err     error
	at      time.Time
	loading bool
}

// detailDelay is how long the cursor rests on a stream before its scale
// events are read; scalingTTL how long they are kept.
const (
	detailDelay = 300 * time.Millisecond
	scalingTTL  = 30 * time.Second
	scalingWait = 10 * time.Second
)

// Model is the streams pane.
type Model struct {
	deps      pane.Deps
	src       Source
	report    *restapi.Report
	view      int
	internal  bool
	collapsed map[string]bool
	verdicts  restapi.Verdicts     // of the report's jobs, at the last refresh
	backlogs  restapi.BacklogIndex // reader groups' backlogs by "scope/name", from the report's Flink sources
	rows      []row
	cursor    int
	offset    int
	sel       [viewCount]string // selected row key per view
	width     int
	height    int
	filter    pane.Filter
	activated bool
	scaling   map[string]scalingInfo
	pending   string         // stream key whose detail read is scheduled
	focused   string         // "target job-id" the Source was told the user looks at
	loc       *time.Location // where times are shown (default time.Local)
}

// New returns the streams pane reading from src.
func New(deps pane.Deps, src Source) Model {
	m := Model{deps: deps, src: src, collapsed: map[string]bool{}, scaling: map[string]scalingInfo{}, filter: pane.NewFilter(deps.Styles)}
	m.updateBindings()
	return m
}

// Init waits for the Source's first report.
func (m Model) Init() tea.Cmd { return waitReport(m.src) }

// waitReport blocks on one receive; Update re-arms it after each report.
func waitReport(src Source) tea.Cmd {
	if src == nil {
		return nil
	}
	ch := src.Reports()
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return nil
		}
		return ReportMsg{Report: r}
	}
}

// SetSize sets the area the pane draws in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.offset = pane.Scroll(m.offset, m.cursor, m.listHeight(), len(m.rows))
}

// Capturing reports whether the filter input has the keyboard.
func (m Model) Capturing() bool { return m.filter.Active() }

// Update handles reports, snapshots, focus and keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ReportMsg:
		m.report = &msg.Report
		m.refresh()
		detail := m.detailCmd() // before m is copied into the result
		return m, tea.Batch(waitReport(m.src), detail)
	case pane.FocusMsg:
		return m.setActive(true)
	case pane.BlurMsg:
		return m.setActive(false)
	case scalingMsg:
		m.scaling[msg.key] = scalingInfo{hist: msg.hist, err: msg.err, at: m.deps.Clock.Now()}
	case detailDueMsg:
		return m.onDetailDue(msg.key)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		if c, ok := pane.Cursor(msg, m.deps.Keys.Global, m.cursor, m.listHeight(), len(m.rows)); ok {
			m.setCursor(c)
		}
		return m, m.detailCmd()
	case tea.MouseClickMsg:
		if i := m.offset + msg.Y - 2; msg.Button == tea.MouseLeft && msg.Y >= 2 && i >= 0 && i < len(m.rows) && msg.Y-2 < m.listHeight() {
			m.setCursor(i)
		}
		detail := m.detailCmd()
		return m, detail
	}
	return m, nil
}

// setActive activates the Source while the pane is shown (focus) and
// deactivates it when another pane is (blur): before it is first shown no
// REST request is sent, and none while another pane is. Coming back reads
// every endpoint at once.
func (m Model) setActive(on bool) (Model, tea.Cmd) {
	if m.activated == on || m.src == nil {
		return m, nil
	}
	m.activated = on
	src := m.src
	return m, func() tea.Msg {
		if on {
			src.Activate()
		} else {
			src.Deactivate()
		}
		return nil
	}
}

func (m Model) onKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g, k := m.deps.Keys.Global, m.deps.Keys.Streams
	if handled, changed, cmd := m.filter.Key(msg, g); handled {
		if !changed {
			return m, cmd
		}
		m.refresh()
		detail := m.detailCmd()
		return m, tea.Batch(cmd, detail)
	}
	if c, ok := pane.Cursor(msg, g, m.cursor, m.listHeight(), len(m.rows)); ok {
		m.setCursor(c)
		return m, m.detailCmd()
	}
	switch {
	case key.Matches(msg, k.Section):
		m.sel[m.view] = m.selectedKey()
		m.view = (m.view + 1) % viewCount
		m.updateBindings()
		m.refresh()
	case key.Matches(msg, k.Internal):
		m.internal = !m.internal
		m.updateBindings()
		m.refresh()
	case key.Matches(msg, k.Refresh):
		clear(m.scaling)
		m.pending = ""
		src := m.src
		if src == nil {
			return m, nil
		}
		return m, func() tea.Msg {
			src.Refresh()
			return pane.StatusMsg{Text: "streams: reading every endpoint now"}
		}
	case key.Matches(msg, g.Select):
		m.setCollapsed(!m.collapsed[m.parentKey()])
	case key.Matches(msg, g.Right):
		m.setCollapsed(false)
	case key.Matches(msg, g.Left):
		m.setCollapsed(true)
	}
	detail := m.detailCmd()
	return m, detail
}

// updateBindings enables the keys that work in the current view, so help
// lists only those.
func (m *Model) updateBindings() {
	k := &m.deps.Keys.Streams
	k.Internal.SetEnabled(m.view == pravegaView)
	if m.internal {
		k.Internal.SetHelp(k.Internal.Help().Key, "hide internal streams")
	} else {
		k.Internal.SetHelp(k.Internal.Help().Key, "show internal streams")
	}
	next := "flink jobs"
	if m.view == flinkView {
		next = "pravega streams"
	}
	k.Section.SetHelp(k.Section.Help().Key, next)
}

// parentKey is the key of the scope or job the selection is or belongs to.
func (m *Model) parentKey() string {
	for i := m.cursor; i >= 0 && i < len(m.rows); i-- {
		switch m.rows[i].kind {
		case rowScope, rowJob:
			return m.rows[i].key
		case rowEndpoint:
			return ""
		}
	}
	return ""
}

// setCollapsed folds or unfolds the selected scope or job; folding from a
// child selects its parent.
func (m *Model) setCollapsed(v bool) {
	p := m.parentKey()
	if p == "" {
		return
	}
	if v {
		m.collapsed[p] = true
		m.sel[m.view] = p
	} else {
		delete(m.collapsed, p)
		m.sel[m.view] = m.selectedKey()
	}
	m.refresh()
}

func (m *Model) setCursor(i int) {
	m.cursor = max(min(i, len(m.rows)-1), 0)
	m.sel[m.view] = m.selectedKey()
	m.offset = pane.Scroll(m.offset, m.cursor, m.listHeight(), len(m.rows))
}

func (m *Model) selectedKey() string {
	if m.cursor < len(m.rows) {
		return m.rows[m.cursor].key
	}
	return ""
}

func (m *Model) selected() (row, bool) {
	if m.cursor < len(m.rows) {
		return m.rows[m.cursor], true
	}
	return row{}, false
}

// refresh rebuilds the rows and keeps the selection on the same row.
func (m *Model) refresh() {
	match := matcher(all)
	if q := m.filter.Query(); q != "" {
		match = func(s string) bool { return len(pane.Match(q, []string{s})) > 0 }
	}
	m.rows = nil
	if m.report != nil {
		now := m.deps.Clock.Now()
		m.verdicts = restapi.DefaultThresholds.FlinkVerdicts(m.report.Flink, now)
		m.backlogs = restapi.Backlogs(m.report.Flink)
		if m.view == pravegaView {
			m.rows = pravegaRows(m.report.Pravega, m.internal, m.collapsed, match)
		} else {
			m.rows = flinkRows(m.report.Flink, &m.verdicts, m.collapsed, match, now)
		}
	}
	want, cursor := m.sel[m.view], 0
	for i, r := range m.rows {
		if r.key == want {
			cursor = i
			break
		}
	}
	m.setCursor(cursor)
}

// detailCmd tells the Source which job the selection is on (when that
// changed) and schedules reading the selected stream's scale events once
// the cursor rests on it.
func (m *Model) detailCmd() tea.Cmd {
	return tea.Batch(m.focusCmd(), m.scalingCmd())
}

// focusCmd tells the Source which job the user looks at: the selected
// job, or the job of the selected vertex, finding or exception.
func (m *Model) focusCmd() tea.Cmd {
	var target restapi.Target
	job := ""
	if r, ok := m.selected(); ok && r.job != nil && m.view == flinkView {
		target, job = r.target, r.job.ID
	}
	key := target.String() + " " + job
	if job == "" {
		key = ""
	}
	if key == m.focused || m.src == nil {
		return nil
	}
	m.focused = key
	src := m.src
	return func() tea.Msg {
		src.Focus(target, job)
		return nil
	}
}

func (m *Model) scalingCmd() tea.Cmd {
	r, ok := m.selected()
	if !ok || r.kind != rowStream || r.key == m.pending {
		return nil
	}
	if info, ok := m.scaling[r.key]; ok && (info.loading || m.deps.Clock.Since(info.at) < scalingTTL) {
		return nil
	}
	m.pending = r.key
	k := r.key
	return tea.Tick(detailDelay, func(time.Time) tea.Msg { return detailDueMsg{key: k} })
}

func (m Model) onDetailDue(k string) (Model, tea.Cmd) {
	if m.pending == k {
		m.pending = ""
	}
	r, ok := m.selected()
	if !ok || r.key != k || r.kind != rowStream || m.src == nil {
		return m, nil
	}
	m.scaling[k] = scalingInfo{loading: true, at: m.deps.Clock.Now()}
	src, target, scope, stream, parent := m.src, r.target, r.scope.Name, r.stream.Name, m.deps.Context()
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, scalingWait)
		defer cancel()
		h, err := src.Scaling(ctx, target, scope, stream)
		return scalingMsg{key: k, hist: h, err: err}
	}
}

// listHeight is the rows left for the list: the tab and header lines, the
// detail lines and the footer take the rest.
func (m *Model) listHeight() int { return max(m.height-3-m.detailHeight(), 1) }

func (m *Model) detailHeight() int {
	switch {
	case m.height >= 44:
		return 5
	case m.height >= 36:
		return 4
	case m.height >= 16:
		return 3
	}
	return 0
}

// ShortHelp lists the pane's main keys.
func (m Model) ShortHelp() []key.Binding {
	k, g := m.deps.Keys.Streams, m.deps.Keys.Global
	return []key.Binding{k.Section, k.Internal, k.Refresh, g.Filter}
}

// FullHelp lists every key of the pane.
func (m Model) FullHelp() [][]key.Binding {
	k, g := m.deps.Keys.Streams, m.deps.Keys.Global
	return [][]key.Binding{pane.NavHelp(g, len(m.rows) > 1), {k.Section, k.Internal, k.Refresh},
		{pane.Derive(g.Select, g.Select.Help().Desc, len(m.rows) > 0), pane.Derive(g.Right, g.Right.Help().Desc, len(m.rows) > 0),
			pane.Derive(g.Left, g.Left.Help().Desc, len(m.rows) > 0)}, m.filter.Help(g)}
}

// SelectedObject is the custom resource behind the selected row: the
// PravegaCluster of a scope, stream or reader group, the FlinkDeployment
// (or FlinkCluster) of a job.
func (m Model) SelectedObject() (object.Ref, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return object.Ref{}, false
	}
	t := m.rows[m.cursor].target
	if t.Kind == "" || t.Name == "" {
		return object.Ref{}, false
	}
	return object.Ref{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name}, true
}
