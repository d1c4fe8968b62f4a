// Package tui is the console's root model: it routes messages to the panes,
// owns the layout (tabs, pane area, status bar, help overlay, command
// palette) and turns backend events into pane messages.
package tui

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"k8s.io/utils/clock"

	accessapi "github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/access"
	objectpane "github.com/streamops/streamops/panes/object"
	"github.com/streamops/streamops/panes/pane"
	scalepane "github.com/streamops/streamops/panes/scale"
	"github.com/streamops/streamops/panes/streams"
	"github.com/streamops/streamops/themes"
)

// Minimum terminal size; below it the console shows one line asking for more.
const (
	MinWidth  = 80
	MinHeight = 24
)

// FPS is the most frames a second the console is drawn at: a log view
// scrolling every frame rewrites at most 160x48 cells 20 times a second
// (~150 KB/s) on a slow SSH link; an unchanged screen writes nothing at
// all. bubbletea's renderer wakes at this rate even when nothing changed,
// which is the console's idle floor (streamops-bench run -floor).
const FPS = 20

// Options configure the console.
type Options struct {
	// Ctx ends with the console; panes that run work (a scale plan)
	// stop under it (default: context.Background()).
	Ctx    context.Context
	Styles themes.Styles
	Keys   keymap.KeyMap
	Clock  clock.PassiveClock
	// ReadOnly is the backend's read-only switch, the one the scale engine
	// was built with; :readonly sets it (default: a switch that is off).
	// Mouse turns mouse capture on from the start (default off, so the
	// terminal can select text to copy; the Mouse key toggles it).
	Mouse    bool
	ReadOnly *guard.Switch

	// Snapshots delivers the backend's platform snapshots (watch.Subscribe).
	Snapshots <-chan *platform.Snapshot
	// Errors delivers backend failures to show in the status bar.
	Errors <-chan error

	Context string // kubeconfig context (or "demo")
	Server  string // API server, credentials removed
	Scope   string // "all namespaces" or the namespace

	// CrashDir is where a panic's trace is written.
	CrashDir string
	// ReportDir is where triage reports are written.
	ReportDir string
	// Tick is how often ages are refreshed (default 1s; negative disables).
	Tick time.Duration

	// Backends the panes act through; a nil one leaves its pane saying
	// what it would show.
	Backends Backends

	// Panes overrides panes by id (tests).
	Panes map[int]Slot
}

// Backends are what panes call, through Cmds, to act or ask.
type Backends struct {
	Access *accessapi.Reviewer
	// Members follows the projects' RoleBindings (nil: not available).
	Members access.MemberSource
	// Scope changes the namespaces the backend watches (nil: fixed).
	Scope ScopeSetter
	// Streams reads the Pravega and Flink REST APIs (nil: not available).
	Streams streams.Source
	// Scale plans and applies scale changes (nil: not available).
	Scale scalepane.Backend
	// Logs follows containers' logs (nil: not available).
	Logs *logs.Engine
	// Objects reads the story of one object for the object overlay
	// (nil: the overlay says objects cannot be read).
	Objects objectpane.Source
	// Contexts checks another kubeconfig context before the console
	// switches to it (nil: switching is not possible, e.g. the demo).
	Contexts ContextChecker
	// Usage reads CPU, memory and volume fill while a pane that shows
	// them is visible (nil: not available).
	Usage UsageSource
}

// UsageSource is the usage monitor: the panes that show usage tell it when
// they are visible; the root hands its reports to every pane.
type UsageSource interface {
	pane.Usage
	Reports() <-chan *usage.Report
	Latest() *usage.Report
}

// ContextChecker lists kubeconfig contexts and checks that one answers.
type ContextChecker interface {
	Contexts() []string
	Check(ctx context.Context, name string) error
}

// ScopeSetter is the watcher's scope control.
type ScopeSetter interface {
	SetScope(kube.Scope)
	Scope() kube.Scope
}

// Slot is a pane ready to be placed in the console.
type Slot = slot

// NewSlot adapts a pane package's Model for the console.
func NewSlot[M paneModel[M]](m M, resize func(*M, int, int)) Slot { return newSlot(m, resize) }

// Model is the root model.
type Model struct {
	opts   Options
	deps   pane.Deps
	panes  []slot
	active int
	width  int
	height int

	snap       *platform.Snapshot
	newest     time.Time     // snap.Newest(): the youngest age on screen
	tickSeq    int           // the pending tick's number; an older tick is dropped
	tickFast   bool          // the pending tick comes after Tick, not 15 Ticks
	usage      *usage.Report // the newest usage report handed to the panes
	status     string        // last informational or error line
	statusErr  bool          // status is an error
	statusAt   time.Time     // when it was set
	statusPane int           // the pane it belongs to; -1: the console's own (backend errors)
	showHelp   bool
	helpScroll helpScroll
	palette    palette
	object     objectpane.Model // the object overlay, over the active pane
	help       help.Model
	crash      *Crash
	next       string // the context to switch to after quitting
	mouse      bool   // mouse capture is on (off: the terminal selects text)
	quitAsked  bool   // quit was pressed while a pane was busy: the next quit quits
}

// NextContext is the kubeconfig context the user switched to; the caller
// starts the console again on it.
func (m Model) NextContext() string { return m.next }

// New returns the console's root model.
func New(opts Options) Model {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Tick == 0 {
		opts.Tick = time.Second
	}
	if opts.Ctx == nil {
		opts.Ctx = context.Background()
	}
	if opts.ReadOnly == nil {
		opts.ReadOnly = guard.New(false)
	}
	if opts.ReadOnly.On() {
		opts.Keys.ReadOnly()
	}
	deps := pane.Deps{Styles: opts.Styles, Keys: opts.Keys, Clock: opts.Clock, Guard: opts.ReadOnly, Ctx: opts.Ctx}
	if opts.Backends.Usage != nil {
		deps.Usage = opts.Backends.Usage
	}
	m := Model{opts: opts, deps: deps, help: help.New(), palette: newPalette(deps), mouse: opts.Mouse,
		object: objectpane.New(deps, opts.Backends.Objects)}
	m.help.Styles = opts.Styles.HelpStyles()
	m.panes = make([]slot, len(paneTable))
	for i, row := range paneTable {
		if row.id != i {
			panic("tui: paneTable is out of pane ID order") // a programming error, caught by every test
		}
		m.panes[i] = row.build(opts, deps)
	}
	for id, s := range opts.Panes {
		if id > 0 && id < len(m.panes) {
			m.panes[id] = s
		}
	}
	return m
}

// Crash returns the panic the console stopped on, if any.
func (m Model) Crash() *Crash { return m.crash }

type snapshotMsg struct{ snap *platform.Snapshot }
type usageMsg struct{ report *usage.Report }
type backendErrMsg struct{ err error }
type tickMsg struct {
	t   time.Time
	seq int
}
type closedMsg struct{ what string }

// waitSnapshot blocks on one receive; Update re-arms it after each message.
func waitSnapshot(ch <-chan *platform.Snapshot) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		s, ok := <-ch
		if !ok {
			return closedMsg{"snapshots"}
		}
		return snapshotMsg{s}
	}
}

// waitUsage blocks on one report of the usage monitor; Update re-arms it.
func waitUsage(src UsageSource) tea.Cmd {
	if src == nil {
		return nil
	}
	ch := src.Reports()
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return closedMsg{"usage"}
		}
		return usageMsg{r}
	}
}

func waitErr(ch <-chan error) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		err, ok := <-ch
		if !ok {
			return closedMsg{"errors"}
		}
		return backendErrMsg{err}
	}
}

// armTick arms the tick that refreshes ages, and records its pace: every
// Tick while the snapshot shows something younger than 90 seconds or
// changed in the last 90 seconds (ages are in seconds under a minute),
// every 15 Ticks otherwise, so that an idle console wakes rarely and, its
// screen unchanged, writes nothing. The initial list of a watch is not a
// change: a console started on an old platform ticks slowly from the start.
func (m *Model) armTick() tea.Cmd {
	if m.opts.Tick < 0 {
		return nil
	}
	m.tickFast = m.agesYoung()
	d := m.opts.Tick
	if !m.tickFast {
		d *= 15
	}
	seq := m.tickSeq
	return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg{t: t, seq: seq} })
}

// agesYoung tells whether ages on screen may change within a second.
func (m Model) agesYoung() bool {
	if m.snap == nil {
		return true
	}
	latest := m.newest
	if m.snap.LastChange.After(latest) {
		latest = m.snap.LastChange
	}
	return m.opts.Clock.Since(latest) <= 90*time.Second
}

// retick replaces a slow pending tick by a fast one when a snapshot brings
// something young (a new pod, a restart): its age counts in seconds now.
func (m *Model) retick() tea.Cmd {
	if m.tickFast || !m.agesYoung() {
		return nil
	}
	m.tickSeq++
	return m.armTick()
}

// Init starts listening to the backend.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{waitSnapshot(m.opts.Snapshots), waitErr(m.opts.Errors), m.armTick()}
	for _, p := range m.panes {
		cmds = append(cmds, p.init())
	}
	if u := m.opts.Backends.Usage; u != nil {
		latest := u.Latest()
		cmds = append(cmds, func() tea.Msg { return usageMsg{latest} }, waitUsage(u))
	}
	// The first pane is shown without a switch: it is told so, as a pane
	// switched to is (the members pane starts reading usage), and the
	// others are told they are hidden (they keep no rows meanwhile).
	for i, p := range m.panes {
		if i != m.active {
			cmds = append(cmds, p.update(pane.BlurMsg{}))
		}
	}
	cmds = append(cmds, m.panes[m.active].update(pane.FocusMsg{}))
	return m.safe(tea.Batch(cmds...))
}

func (m Model) safe(cmd tea.Cmd) tea.Cmd { return safe(m.opts.CrashDir, cmd) }

// Update routes a message. A panic here is caught, its trace written to a
// file, and the console quits cleanly.
func (m Model) Update(msg tea.Msg) (next tea.Model, cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			m.crash = writeCrash(m.opts.CrashDir, r, debug.Stack())
			next, cmd = m, tea.Quit
		}
	}()
	n, cmd := m.update(msg)
	return n, n.safe(cmd)
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case snapshotMsg:
		return m.onSnapshot(msg.snap)
	case usageMsg:
		return m.onUsage(msg.report)
	case backendErrMsg:
		m.setStatus(msg.err.Error(), true)
		m.statusPane = -1
		return m, waitErr(m.opts.Errors)
	case closedMsg:
		return m, nil
	case tickMsg:
		if msg.seq != m.tickSeq {
			return m, nil // replaced by a faster one
		}
		m.fadeStatus()
		tick := pane.TickMsg{Now: msg.t}
		m.object, _ = m.object.Update(tick)
		return m, tea.Batch(m.broadcast(tick), m.armTick())
	case objectpane.LoadedMsg:
		var cmd tea.Cmd
		m.object, cmd = m.object.Update(msg)
		return m, cmd
	case crashMsg:
		m.crash = msg.crash
		return m, tea.Quit
	case nsCheckedMsg:
		if msg.err != nil {
			m.setStatus("ns: "+msg.err.Error()+"; still watching "+m.opts.Scope, true)
			return m, nil
		}
		return m.rescope(msg.scope), nil
	case contextCheckedMsg:
		if msg.err != nil {
			m.setStatus(fmt.Sprintf("ctx %s: %v", msg.name, msg.err), true)
			return m, nil
		}
		m.next = msg.name
		return m, tea.Quit
	case pane.ErrMsg:
		m.setStatus(msg.Err.Error(), true)
		return m, nil
	case pane.StatusMsg:
		if msg.Text == "" {
			if m.statusPane == m.active {
				m.status = ""
			}
			return m, nil
		}
		m.setStatus(msg.Text, false)
		return m, nil
	case pane.SwitchMsg:
		return m.switchTo(msg.To)
	case streams.ReportMsg:
		return m, m.panes[pane.StreamsID].update(msg)
	case pane.OpenLogsMsg:
		m, cmd := m.switchTo(pane.LogsID)
		return m, tea.Batch(cmd, m.panes[pane.LogsID].update(msg))
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		switch {
		case m.showHelp || m.palette.open: // the overlay is what is under the wheel
			return m.onHelpWheel(msg), nil
		case m.object.IsOpen():
			m.object, _ = m.object.Update(msg)
			return m, nil
		}
		return m, m.toActive(msg, 1)
	case tea.MouseClickMsg:
		if m.showHelp || m.palette.open || m.object.IsOpen() {
			return m, nil // not the pane hidden under the overlay
		}
		return m.onClick(msg)
	case tea.MouseMsg:
		if m.showHelp || m.palette.open || m.object.IsOpen() {
			return m, nil
		}
		return m, m.toActive(msg, 1)
	}
	// Anything else (pane-internal messages from their Cmds) goes to every
	// pane; each ignores what is not its own.
	return m, m.broadcast(msg)
}

// setStatus shows one line in the message line, as the active pane's.
func (m *Model) setStatus(s string, isErr bool) {
	m.status, m.statusErr, m.statusAt, m.statusPane = kube.FirstLine(s), isErr, m.opts.Clock.Now(), m.active
}

// statusFade is how long an informational line covers the key hints.
const statusFade = 6 * time.Second

// fadeStatus takes an informational line away once it is old: the key
// hints under it are what the user needs next. Errors stay until
// replaced, esc, or a switch to another pane.
func (m *Model) fadeStatus() {
	if m.status != "" && !m.statusErr && m.opts.Clock.Since(m.statusAt) >= statusFade {
		m.status = ""
	}
}

func (m Model) onSnapshot(s *platform.Snapshot) (Model, tea.Cmd) {
	m.snap = s
	m.newest = s.Newest()
	retick := m.retick()
	return m, tea.Batch(m.broadcast(pane.SnapshotMsg{Snapshot: s}), waitSnapshot(m.opts.Snapshots), retick)
}

// onUsage hands a usage report to every pane; one older than the last
// (the first Latest arriving after a report) is dropped.
func (m Model) onUsage(r *usage.Report) (Model, tea.Cmd) {
	wait := waitUsage(m.opts.Backends.Usage)
	if r == nil || m.usage != nil && r.Seq < m.usage.Seq {
		return m, wait
	}
	m.usage = r
	return m, tea.Batch(m.broadcast(pane.UsageMsg{Report: r}), wait)
}

func (m Model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.panes))
	for _, p := range m.panes {
		cmds = append(cmds, p.update(msg))
	}
	return tea.Batch(cmds...)
}

// toActive sends a mouse message to the active pane with its Y made
// relative to the pane area.
func (m Model) toActive(msg tea.Msg, top int) tea.Cmd {
	switch mm := msg.(type) {
	case tea.MouseWheelMsg:
		mm.Y -= top
		return m.panes[m.active].update(mm)
	case tea.MouseClickMsg:
		mm.Y -= top
		return m.panes[m.active].update(mm)
	}
	return nil
}

func (m Model) onClick(msg tea.MouseClickMsg) (Model, tea.Cmd) {
	if msg.Y == 0 && msg.Button == tea.MouseLeft { // the tab line
		if id, ok := tabAt(msg.X); ok {
			return m.switchTo(id)
		}
		return m, nil
	}
	return m, m.toActive(msg, 1)
}

func (m Model) switchTo(id int) (Model, tea.Cmd) {
	if id < 0 || id >= len(m.panes) {
		return m, nil
	}
	var blur tea.Cmd
	if id != m.active {
		blur = m.panes[m.active].update(pane.BlurMsg{})
		if m.statusPane >= 0 {
			m.status = "" // a pane's line says nothing about the next pane
		}
	}
	m.active = id
	m.showHelp = false
	return m, tea.Batch(blur, m.panes[id].update(pane.FocusMsg{}))
}

func (m Model) onKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g := m.opts.Keys.Global
	if m.palette.open {
		return m.onPaletteKey(msg)
	}
	if m.showHelp {
		return m.onHelpKey(msg)
	}
	if m.object.IsOpen() {
		return m.onObjectKey(msg)
	}
	if key.Matches(msg, g.Quit) {
		// A scale plan is running: quitting would interrupt its wait
		// without asking. Ask once (the pane says what quitting does);
		// the next quit key quits, and the engine records the
		// interruption when the session closes.
		if id, busy := m.busyPane(); busy {
			if m.quitAsked {
				return m, tea.Quit
			}
			m.quitAsked = true
			m, cmd := m.switchTo(id)
			return m, tea.Batch(cmd, m.panes[id].update(pane.StopMsg{}))
		}
	}
	m.quitAsked = false // any other key withdraws the question
	active := m.panes[m.active]
	if active.capturing() {
		if msg.String() == "ctrl+c" {
			return m, tea.Quit
		}
		return m, active.update(msg)
	}
	switch {
	case key.Matches(msg, g.Quit):
		return m, tea.Quit
	case key.Matches(msg, g.Help):
		m.showHelp = true
		return m, nil
	case key.Matches(msg, g.Palette):
		return m, m.palette.show()
	case key.Matches(msg, g.Snapshot):
		return m, m.triage()
	case key.Matches(msg, g.Mouse):
		m.mouse = !m.mouse
		if m.mouse {
			m.setStatus("mouse capture on: click and scroll; M again to select text", false)
		} else {
			m.setStatus("mouse capture off: the terminal selects text; M turns it on", false)
		}
		return m, nil
	case key.Matches(msg, g.Object) && active.selector():
		return m.openObject()
	case key.Matches(msg, g.NextPane):
		return m.switchTo((m.active + 1) % len(m.panes))
	case key.Matches(msg, g.PrevPane):
		return m.switchTo((m.active + len(m.panes) - 1) % len(m.panes))
	}
	for _, row := range paneTable {
		if key.Matches(msg, row.key(g)) {
			return m.switchTo(row.id)
		}
	}
	if key.Matches(msg, g.Back) && m.status != "" {
		m.status = ""
	}
	return m, active.update(msg)
}

// openObject opens the object overlay on the active pane's selection.
func (m Model) openObject() (Model, tea.Cmd) {
	ref, ok := m.panes[m.active].selected()
	if !ok {
		m.setStatus("the selected row names no object", false)
		return m, nil
	}
	var cmd tea.Cmd
	m.object, cmd = m.object.Open(m.opts.Ctx, ref)
	return m, cmd
}

// onObjectKey gives a key to the object overlay while it is open; ctrl+c
// still quits.
func (m Model) onObjectKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return m, tea.Quit
	}
	var cmd tea.Cmd
	m.object, cmd = m.object.Update(msg)
	return m, cmd
}

// busyPane finds a pane running work that must not be cut short.
func (m Model) busyPane() (int, bool) {
	for id, p := range m.panes {
		if p.busy() {
			return id, true
		}
	}
	return 0, false
}

func (m *Model) resize() {
	for _, p := range m.panes {
		p.setSize(m.width, m.paneHeight())
	}
	m.object.SetSize(m.width, m.paneHeight())
	m.help.SetWidth(m.width)
	m.palette.width = m.width
}

// paneHeight is the rows between the tab line and the two status lines.
func (m Model) paneHeight() int { return max(m.height-3, 1) }

// View renders the whole console.
func (m Model) View() (v tea.View) {
	defer func() {
		if r := recover(); r != nil {
			m.crash = writeCrash(m.opts.CrashDir, r, debug.Stack())
			v = tea.NewView("streamops: " + m.crash.Error())
		}
	}()
	v = tea.NewView(m.render())
	v.AltScreen = true
	if m.mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "streamops"
	if m.opts.Context != "" {
		v.WindowTitle = "streamops · " + sanitizeTitle(m.opts.Context)
	}
	return v
}

// sanitizeTitle keeps a window title free of control characters.
func sanitizeTitle(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// render draws the console as a string (the golden tests compare it).
func (m Model) render() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.width < MinWidth || m.height < MinHeight {
		return m.opts.Styles.Warn.Render(pane.Truncate(
			fmt.Sprintf("terminal too small: %dx%d, streamops needs at least %dx%d", m.width, m.height, MinWidth, MinHeight), m.width))
	}
	body := m.panes[m.active].view()
	if m.object.IsOpen() {
		body = m.object.View()
	}
	body = fitBlock(body, m.width, m.paneHeight())
	if m.showHelp {
		body = overlay(body, m.helpView(), m.width, m.paneHeight())
	}
	if m.palette.open {
		body = overlay(body, m.palette.view(m.opts.Styles), m.width, m.paneHeight())
	}
	return strings.Join([]string{m.tabs(), body, m.statusLine(), m.messageLine()}, "\n")
}

// fitBlock makes s exactly h lines of at most w cells.
func fitBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = pane.Truncate(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// overlay places box in the middle of the body.
func overlay(body, box string, w, h int) string {
	bl := strings.Split(body, "\n")
	ol := strings.Split(box, "\n")
	bw := lipgloss.Width(box)
	top := max((h-len(ol))/2, 0)
	left := max((w-bw)/2, 0)
	for i, l := range ol {
		y := top + i
		if y >= len(bl) {
			break
		}
		bl[y] = strings.Repeat(" ", left) + pane.Truncate(l, w-left)
	}
	return strings.Join(bl, "\n")
}

func tabAt(x int) (int, bool) {
	pos := len("streamops ")
	for i, row := range paneTable {
		n := row.name
		w := len(fmt.Sprintf(" %d %s ", i+1, n))
		if x >= pos && x < pos+w {
			return i, true
		}
		pos += w
	}
	return 0, false
}

func (m Model) tabs() string {
	st := m.opts.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("streamops"))
	b.WriteString(" ")
	for i, row := range paneTable {
		label := fmt.Sprintf(" %d %s ", i+1, row.name)
		if i == m.active {
			b.WriteString(st.Tabs.Active.Render(label))
		} else {
			b.WriteString(st.Tabs.Inactive.Render(label))
		}
	}
	return pane.Truncate(b.String(), m.width)
}
