// Package members is the members pane: every component of the platform with
// desired and ready members, version and the operator's conditions,
// expandable to its member pods (phase, readiness, node, age, restarts).
// It answers the on-call engineer's first question: is everything up?
package members

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/status"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/panes/pane"
)

// Model is the members pane.
type Model struct {
	deps     pane.Deps
	snap     *platform.Snapshot
	rows     []row
	expanded map[string]bool
	cursor   int
	offset   int
	width    int
	height   int
	filter   pane.Filter
	// selected remembers the selection across snapshots (component key and
	// member name), so the cursor does not jump when the list changes.
	selComp, selMember string
	memberW            int // widest member name shown, for the layout
	// the widest node cell, member state and condition shown, measured
	// when the rows or the marks change (not per frame: 10,000 rows)
	nodeW, stateW, condW int

	report *usage.Report                  // the usage monitor's newest (nil: no monitor)
	nodes  map[string]*platform.Node      // the snapshot's nodes by name (their pressure)
	shown  bool                           // the usage monitor was told the pane is visible
	marks  map[*platform.Component]string // what members near a limit or pressed add to a component's condition
}

// New returns the members pane.
func New(deps pane.Deps) Model {
	return Model{deps: deps, expanded: map[string]bool{}, filter: pane.NewFilter(deps.Styles)}
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

// Update handles snapshots and keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case pane.SnapshotMsg:
		m.snap = msg.Snapshot
		m.nodes = nodesByName(m.snap)
		m.marks = componentMarks(m.snap, m.nodes, m.report)
		m.refresh()
	case pane.UsageMsg:
		m.report = msg.Report
		m.marks = componentMarks(m.snap, m.nodes, m.report)
	case pane.FocusMsg:
		return m.show(true)
	case pane.BlurMsg:
		return m.show(false)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		if c, ok := pane.Cursor(msg, m.deps.Keys.Global, m.cursor, m.listHeight(), len(m.rows)); ok {
			m.setCursor(c)
		}
	case tea.MouseClickMsg:
		// rows start below the summary and header lines
		if i := m.offset + msg.Y - 2; msg.Button == tea.MouseLeft && i >= 0 && i < len(m.rows) && msg.Y >= 2 {
			if i == m.cursor && m.rows[i].member == nil {
				m.toggle()
			}
			m.setCursor(i)
		}
	}
	return m, nil
}

// show tells the usage monitor the pane is visible (focus) or not (blur):
// usage is read only while a pane that shows it is.
func (m Model) show(on bool) (Model, tea.Cmd) {
	if m.shown == on {
		return m, nil
	}
	m.shown = on
	return m, m.deps.ShowUsageCmd(holder, on)
}

func nodesByName(s *platform.Snapshot) map[string]*platform.Node {
	if s == nil {
		return nil
	}
	out := make(map[string]*platform.Node, len(s.Nodes))
	for i := range s.Nodes {
		out[s.Nodes[i].Name] = &s.Nodes[i]
	}
	return out
}

func (m Model) onKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g, k := m.deps.Keys.Global, m.deps.Keys.Members
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
	case key.Matches(msg, k.Expand):
		m.toggle()
	case key.Matches(msg, g.Right):
		m.setExpanded(true)
	case key.Matches(msg, g.Left):
		m.setExpanded(false)
	case key.Matches(msg, k.ExpandAll):
		if m.snap != nil {
			for _, c := range m.snap.Components {
				m.expanded[c.Key()] = true
			}
			m.refresh()
		}
	case key.Matches(msg, k.CollapseAll):
		clear(m.expanded)
		m.refresh()
	case key.Matches(msg, k.ToLogs):
		return m, m.openLogs()
	}
	return m, nil
}

// openLogs asks the root to follow the logs of the selected component's
// members, or of the selected member.
func (m Model) openLogs() tea.Cmd {
	if m.cursor >= len(m.rows) {
		return nil
	}
	r := m.rows[m.cursor]
	members := r.comp.Members
	title := r.comp.Namespace + "/" + r.comp.Cluster + " " + r.comp.Kind.String()
	if r.member != nil {
		members = []*platform.Member{r.member}
		title = r.member.Namespace + "/" + r.member.Name
	}
	var targets []pane.LogTarget
	for _, mem := range members {
		for _, c := range mem.Containers {
			if !c.Init {
				targets = append(targets, pane.LogTarget{Namespace: mem.Namespace, Pod: mem.Name, Container: c.Name})
			}
		}
	}
	if len(targets) == 0 {
		return func() tea.Msg { return pane.StatusMsg{Text: "no containers to follow in " + title} }
	}
	return func() tea.Msg { return pane.OpenLogsMsg{Targets: targets, Title: title} }
}

func (m *Model) toggle() {
	if m.cursor >= len(m.rows) {
		return
	}
	key := m.rows[m.cursor].comp.Key()
	m.expanded[key] = !m.expanded[key]
	m.selMember = ""
	m.refresh()
}

func (m *Model) setExpanded(v bool) {
	if m.cursor >= len(m.rows) {
		return
	}
	m.expanded[m.rows[m.cursor].comp.Key()] = v
	if !v {
		m.selMember = ""
	}
	m.refresh()
}

func (m *Model) setCursor(i int) {
	m.cursor = max(min(i, len(m.rows)-1), 0)
	if m.cursor < len(m.rows) {
		r := m.rows[m.cursor]
		m.selComp, m.selMember = r.comp.Key(), ""
		if r.member != nil {
			m.selMember = r.member.Name
		}
	}
	m.offset = pane.Scroll(m.offset, m.cursor, m.listHeight(), len(m.rows))
}

// refresh rebuilds the visible rows and keeps the selection on the same
// component or member.
func (m *Model) refresh() {
	if m.snap == nil {
		m.rows = nil
		return
	}
	m.rows = flatten(m.snap.Components, m.expanded, matcher(m.filter.Query(), m.snap.Components))
	m.measure()
	m.cursor = 0
	for i, r := range m.rows {
		if r.comp.Key() != m.selComp {
			continue
		}
		if r.member == nil && m.selMember == "" || r.member != nil && r.member.Name == m.selMember {
			m.cursor = i
			break
		}
		if r.member == nil {
			m.cursor = i // member gone: stay on its component
		}
	}
	m.setCursor(m.cursor)
}

// measure finds the widest cells the layout sizes its columns by.
func (m *Model) measure() {
	m.memberW, m.nodeW, m.stateW, m.condW = 0, 0, 0, 0
	if m.snap != nil {
		for _, c := range m.snap.Components {
			m.condW = max(m.condW, ansi.StringWidth(conditionCell(c)))
		}
	}
	for _, r := range m.rows {
		if r.member != nil {
			m.memberW = max(m.memberW, len(r.member.Name)+2)
			m.nodeW = max(m.nodeW, len(r.member.Node)+len(pressureMark(m.nodes, r.member)))
			m.stateW = max(m.stateW, stateWidth(r.member)+len(" · 99m"))
		}
	}
}

// stateWidth is the width of memberState(mem), without building it.
func stateWidth(mem *platform.Member) int {
	state, reason := status.MemberStateParts(mem)
	w := cellWidth(state)
	if reason != "" {
		w += 1 + cellWidth(reason)
	}
	return w
}

// cellWidth is the width of s in cells, without the grapheme segmentation
// for the ASCII text states nearly always are (10,000 of them per snapshot).
func cellWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// detailHeight is the lines under the list that show the selected row
// whole (its cells may be cut).
const detailHeight = 2

// listHeight is the pane less the summary, the header, the detail lines
// and the filter line.
func (m Model) listHeight() int { return max(m.height-3-detailHeight, 1) }

// ShortHelp lists the pane's main keys.
func (m Model) ShortHelp() []key.Binding {
	k, g := m.deps.Keys.Members, m.deps.Keys.Global
	return []key.Binding{k.Expand, k.ToLogs, g.Filter}
}

// FilterColumns names the columns the filter's column:value form knows.
func (m Model) FilterColumns() []string { return FilterColumns }

// FullHelp lists every key of the pane.
func (m Model) FullHelp() [][]key.Binding {
	k, g := m.deps.Keys.Members, m.deps.Keys.Global
	return [][]key.Binding{pane.NavHelp(g, len(m.rows) > 1), {k.Expand, g.Right, g.Left, k.ExpandAll, k.CollapseAll}, append([]key.Binding{k.ToLogs}, m.filter.Help(g)...)}
}

// columns lays out the component table for the pane's width, by
// priority: every column at its least first (the name columns narrowed,
// no version, the condition 16 cells); then the condition, which says
// what is wrong, to 22 cells; then the cluster to 18, the namespace whole,
// the cluster to 24; then the condition (and the members' states) whole;
// then the cluster whole; then the version column; whatever is left goes
// to the condition. A cell still cut is read whole on the detail line.
func (m Model) columns() ([]pane.Column, []int) {
	clusterW, nsW := len("CLUSTER"), max(len("NAMESPACE"), m.nodeW)
	condW, stateW := m.condW, m.stateW
	if m.snap != nil {
		for _, c := range m.snap.Components {
			clusterW = max(clusterW, len(c.Cluster))
			nsW = max(nsW, len(c.Namespace))
		}
	}
	// member names are drawn under KIND and CLUSTER
	clusterW = min(max(clusterW, m.memberW-15), 40)
	nsW = min(nsW, 24)
	const (
		kindW, readyW, rstW, versionW = 14, 7, 3, 10
		wideRstW                      = len("RESTARTS")
		condMin, clusterMin, nsMin    = 16, 12, 9
	)
	cols := []pane.Column{
		{Title: "", Width: 1},
		{Title: "KIND", Width: kindW},
		{Title: "CLUSTER", Width: min(clusterW, clusterMin)},
		{Title: "NAMESPACE", Width: min(nsW, nsMin)},
		{Title: "READY", Width: readyW, Right: true},
		{Title: "VERSION", Width: 0},
		{Title: "RST", Width: rstW, Right: true},
		{Title: "CONDITION", Width: condMin},
	}
	used := 0
	for _, c := range cols {
		used += c.Width
	}
	used += len(cols) - 2 // separators, none for the dropped version
	free := max(m.width-used, 0)
	grow := func(i, to int) {
		if d := min(max(to-cols[i].Width, 0), free); d > 0 {
			cols[i].Width += d
			free -= d
		}
	}
	condW = max(condW, stateW)
	grow(7, min(condW, 22)) // the start of a cause: "fetch-rules CreateCon…"
	grow(2, min(clusterW, 18))
	grow(3, nsW)
	grow(2, min(clusterW, 24))
	grow(7, condW)
	grow(2, clusterW)
	if free >= versionW+1+wideRstW-rstW {
		cols[5].Width, cols[6].Width, cols[6].Title = versionW, wideRstW, "RESTARTS"
		free -= versionW + 1 + wideRstW - rstW
	}
	cols[7].Width += free
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = c.Width
	}
	return cols, widths
}

// View renders the pane.
func (m Model) View() string {
	st := m.deps.Styles
	if m.snap == nil || m.snap.Seq == 0 {
		return st.Muted.Render("waiting for the first snapshot…")
	}
	cols, widths := m.columns()
	var b strings.Builder
	b.WriteString(pane.Truncate(m.summaryLine(), m.width))
	b.WriteByte('\n')
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.Title
	}
	b.WriteString(st.Table.Header.Render(pane.Row(titles, widths, cols)))
	n := 0
	now := m.deps.Clock.Now()
	if len(m.rows) == 0 {
		b.WriteString("\n" + st.Muted.Render("  nothing matches"))
		n++
	}
	for i := m.offset; i < len(m.rows) && n < m.listHeight(); i++ {
		b.WriteByte('\n')
		line := m.renderRow(m.rows[i], widths, cols, now)
		if i == m.cursor {
			line = st.Selected.Render(pane.Fit(stripForSelect(line), m.width))
		}
		b.WriteString(line)
		n++
	}
	for ; n < m.listHeight(); n++ {
		b.WriteByte('\n')
	}
	for _, l := range m.detail(now) {
		b.WriteString("\n" + l)
	}
	b.WriteByte('\n')
	if f := m.filter.View(st); f != "" {
		b.WriteString(pane.Truncate(f, m.width))
	} else if len(m.rows) > m.listHeight() {
		b.WriteString(st.Muted.Render(fmt.Sprintf("%d–%d of %d", m.offset+1, min(m.offset+m.listHeight(), len(m.rows)), len(m.rows))))
	}
	return b.String()
}

func (m Model) summaryLine() string {
	st := m.deps.Styles
	comps := m.snap.Components
	if len(comps) == 0 && !m.snap.Synced() {
		return st.Muted.Render("syncing " + scopeText(m.snap) + "… (no component listed yet)")
	}
	if len(comps) == 0 {
		return st.Muted.Render("no platform components found in " + scopeText(m.snap) + " (ZookeeperCluster, BookkeeperCluster, PravegaCluster, FlinkDeployment, FlinkCluster)")
	}
	s := status.SummaryLine(comps)
	if status.Flagged(comps) {
		return st.Warn.Render("▲ " + s)
	}
	return st.OK.Render("● " + s)
}

func scopeText(s *platform.Snapshot) string { return status.ScopeText(s) }

// SelectedObject is the selected row's object: the member's pod, or the
// component's custom resource (its workload for other components).
func (m Model) SelectedObject() (object.Ref, bool) {
	if m.cursor >= len(m.rows) {
		return object.Ref{}, false
	}
	r := m.rows[m.cursor]
	if r.member != nil {
		return object.Ref{Version: "v1", Kind: "Pod", Namespace: r.member.Namespace, Name: r.member.Name}, true
	}
	src := r.comp.Source
	if src.Name == "" || src.Kind == "" && src.Resource == "" {
		return object.Ref{}, false
	}
	return object.Ref{Group: src.Group, Version: src.Version, Resource: src.Resource, Kind: src.Kind, Namespace: src.Namespace, Name: src.Name}, true
}
