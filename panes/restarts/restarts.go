// Package restarts is the restarts pane: every container of the platform
// (init containers too), most restarted first, with its current state
// (Running, CrashLoopBackOff, ImagePullBackOff ...), how it last ended
// (OOMKilled, Error, exit code and signal, when, after how long) and the
// Warning events about it, newest first. Events come from the watcher's
// informer, never from polling. One key opens the logs of the selected
// container, its previous instance when it has restarted.
package restarts

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/panes/pane"
)

// Model is the restarts pane.
type Model struct {
	deps       pane.Deps
	snap       *platform.Snapshot
	all        []Row // every container, sorted
	rows       []Row // those the filter shows
	cursor     int
	offset     int
	width      int
	height     int
	filter     pane.Filter
	showEvents bool
	selected   string // the selected row's key, kept across snapshots

	report *usage.Report // the usage monitor's newest (nil: no monitor)
	vis    visibility    // as the console last told it
}

// visibility is what the console told the pane of being on screen.
type visibility int8

const (
	untold visibility = iota // not told yet (a pane driven alone): rows are kept
	shown                    // the usage monitor was told the pane is visible
	hidden                   // another pane is shown: no rows are kept
)

// New returns the restarts pane.
func New(deps pane.Deps) Model {
	return Model{deps: deps, filter: pane.NewFilter(deps.Styles), showEvents: true}
}

// Init implements the pane contract.
func (m Model) Init() tea.Cmd { return nil }

// SetSize sets the area the pane draws in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.offset = pane.Scroll(m.offset, m.cursor, m.listHeight(), len(m.rows))
}

// Capturing reports whether the filter input has the keyboard.
func (m Model) Capturing() bool { return m.filter.Active() }

// Selected returns the selected row, false when there is none.
func (m Model) Selected() (Row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return Row{}, false
	}
	return m.rows[m.cursor], true
}

// Update handles snapshots, keys and the mouse.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	m, cmd := m.update(msg)
	// help lists "logs" only when there is a container to open
	m.deps.Keys.Restarts.ToLogs.SetEnabled(len(m.rows) > 0)
	return m, cmd
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case pane.SnapshotMsg:
		m.snap = msg.Snapshot
		m.setRows()
	case pane.UsageMsg:
		m.report = msg.Report
	case pane.FocusMsg, pane.BlurMsg:
		_, on := msg.(pane.FocusMsg)
		v := hidden
		if on {
			v = shown
		}
		if v == m.vis {
			return m, nil
		}
		wasShown := m.vis == shown
		m.vis = v
		m.setRows()
		// usage is read only while a pane that shows it is visible
		if on != wasShown {
			return m, m.deps.ShowUsageCmd("restarts", on)
		}
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		if c, ok := pane.Cursor(msg, m.deps.Keys.Global, m.cursor, m.listHeight(), len(m.rows)); ok {
			m.setCursor(c)
		}
	case tea.MouseClickMsg:
		if i := m.offset + msg.Y - 2; msg.Button == tea.MouseLeft && msg.Y >= 2 && i < len(m.rows) && msg.Y-2 < m.listHeight() {
			m.setCursor(i)
		}
	}
	return m, nil
}

func (m Model) onKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g, k := m.deps.Keys.Global, m.deps.Keys.Restarts
	if handled, changed, cmd := m.filter.Key(msg, g); handled {
		if changed {
			m.refresh()
		}
		return m, cmd
	}
	if c, ok := pane.Cursor(msg, g, m.cursor, m.listHeight(), len(m.rows)); ok {
		m.setCursor(c)
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Events):
		m.showEvents = !m.showEvents
		m.setCursor(m.cursor)
	case key.Matches(msg, k.ToLogs, g.Select):
		return m, m.openLogs()
	}
	return m, nil
}

// openLogs asks the root to show the selected container's log: the
// previous instance's when it has restarted, which is where the crash is.
func (m Model) openLogs() tea.Cmd {
	r, ok := m.Selected()
	if !ok {
		return nil
	}
	previous := r.HasPrevious()
	title := r.Key()
	if previous {
		title += " (previous)"
	}
	msg := pane.OpenLogsMsg{
		Targets:  []pane.LogTarget{{Namespace: r.Namespace, Pod: r.Pod, Container: r.Container}},
		Previous: previous,
		Title:    title,
	}
	return func() tea.Msg { return msg }
}

func (m *Model) setCursor(i int) {
	m.cursor = max(min(i, len(m.rows)-1), 0)
	if m.cursor < len(m.rows) {
		m.selected = m.rows[m.cursor].Key()
	}
	m.offset = pane.Scroll(m.offset, m.cursor, m.listHeight(), len(m.rows))
}

// setRows makes the rows of the snapshot while the pane is visible and
// drops them while it is hidden: a row per container of 15,000 pods is
// about 10 MB, and nothing else reads them.
func (m *Model) setRows() {
	if m.vis == hidden {
		m.all, m.rows = nil, nil
		return
	}
	m.all = Rows(m.snap)
	m.refresh()
}

// refresh applies the filter and keeps the selection on the same container.
func (m *Model) refresh() {
	q := m.filter.Query()
	if q == "" {
		m.rows = m.all
	} else {
		fields := make([][]pane.Field, len(m.all))
		for i, r := range m.all {
			fields[i] = r.fields()
		}
		// keep the list's order (most restarted first) among the matches
		m.rows = m.rows[:0:0]
		for _, i := range pane.MatchFieldsInOrder(q, fields) {
			m.rows = append(m.rows, m.all[i])
		}
	}
	cursor := 0
	for i, r := range m.rows {
		if r.Key() == m.selected {
			cursor = i
			break
		}
	}
	m.setCursor(cursor)
}

// detailHeight is the rows the selected container's details take.
func (m Model) detailHeight() int {
	switch {
	case m.height < 12:
		return 0
	case !m.showEvents:
		return 4 // the title, state, last end and the logs hint
	}
	return min(max(m.height/3, 6), 12)
}

// listHeight is the rows of the list: the pane less the summary, the
// header, the details and the footer.
func (m Model) listHeight() int { return max(m.height-3-m.detailHeight(), 1) }

// ShortHelp lists the pane's main keys.
func (m Model) ShortHelp() []key.Binding {
	k, g := m.deps.Keys.Restarts, m.deps.Keys.Global
	return []key.Binding{k.ToLogs, k.Events, g.Filter}
}

// FilterColumns names the columns the filter's column:value form knows.
func (m Model) FilterColumns() []string { return FilterColumns }

// FullHelp lists every key of the pane.
func (m Model) FullHelp() [][]key.Binding {
	k, g := m.deps.Keys.Restarts, m.deps.Keys.Global
	return [][]key.Binding{pane.NavHelp(g, len(m.rows) > 1), append([]key.Binding{k.ToLogs, k.Events}, m.filter.Help(g)...)}
}

// SelectedObject is the selected container's pod.
func (m Model) SelectedObject() (object.Ref, bool) {
	r, ok := m.Selected()
	if !ok {
		return object.Ref{}, false
	}
	return object.Ref{Version: "v1", Kind: "Pod", Namespace: r.Namespace, Name: r.Pod}, true
}
