// Package logs is the logs pane: it follows one or many containers at
// once through the log engine (backend/logs), each line prefixed by its
// pod and container in the source's colour, with what a kubectl or stern
// user expects: follow, previous instance, timestamps, since, tail,
// container pattern, include/exclude patterns, wrap, pause (lines keep
// arriving and are counted), jump to the next or previous error, search
// with highlight and n/N, and saving the screen or the buffer to a file.
//
// The engine keeps the lines; the pane pulls the ones it shows. A Cmd
// blocks on one receive from the engine's change channel and Update re-arms
// it.
package logs

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/config"
	logengine "github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
)

// Options configure the pane.
type Options struct {
	// SaveDir is where saved logs go (default: config.StateDir, i.e. $XDG_STATE_HOME/streamops
	// or ~/.local/state/streamops).
	SaveDir string
}

type inputMode int

const (
	noInput inputMode = iota
	searchInput
	optionsInput
)

// Model is the logs pane.
type Model struct {
	deps   pane.Deps
	eng    *logengine.Engine
	opts   Options
	width  int
	height int
	snap   *platform.Snapshot
	title  string
	sel    logengine.Selection
	set    logengine.Settings
	search string
	wrap   bool

	paused    bool   // the view stays put while lines arrive
	anchor    uint64 // seq of the top line while paused
	cursor    uint64 // the line the last jump went to
	hasCursor bool
	hscroll   int
	context   bool // the cursor line's source around it, filters off (C)

	mode   inputMode
	input  textinput.Model
	picker picker
	cache  *renderCache // scratch reused between frames (UI goroutine only)
}

// New returns the logs pane over an engine (nil when logs are not
// available). The root model must run the engine (go eng.Run(ctx)).
func New(deps pane.Deps, eng *logengine.Engine, opts Options) Model {
	in := textinput.New()
	in.CharLimit = 512
	m := Model{deps: deps, eng: eng, opts: opts, input: in, picker: newPicker(deps.Styles), cache: newRenderCache(deps.Styles)}
	m.set.Stream = logengine.DefaultOptions()
	m.updateKeys()
	return m
}

// updateKeys enables the bindings that work in the pane's state, so that
// help lists only those (the pane's KeyMap is its own copy).
func (m *Model) updateKeys() {
	k := &m.deps.Keys.Logs
	has := m.eng != nil
	sel := has && !m.sel.Empty()
	k.Sources.SetEnabled(has)
	for _, b := range []*key.Binding{&k.Follow, &k.Previous, &k.Timestamps, &k.Wrap, &k.Pause, &k.NextError, &k.PrevError,
		&k.Save, &k.SaveAll, &k.Clear, &k.Search, &k.Options, &k.JSON} {
		b.SetEnabled(sel)
	}
	k.Context.SetEnabled(sel && (m.hasCursor || m.context))
	k.NextMatch.SetEnabled(sel && m.search != "")
	k.PrevMatch.SetEnabled(sel && m.search != "")
}

// changedMsg says the engine has news; err is an internal failure.
type changedMsg struct {
	eng *logengine.Engine
	err error
}

// savedMsg reports a finished save.
type savedMsg struct {
	path  string
	lines int
	err   error
}

// waitCmd blocks on one receive from the engine.
func waitCmd(eng *logengine.Engine) tea.Cmd {
	if eng == nil {
		return nil
	}
	changed, errs := eng.Changed(), eng.Errors()
	return func() tea.Msg {
		select {
		case <-changed:
			return changedMsg{eng: eng}
		case err := <-errs:
			return changedMsg{eng: eng, err: err}
		}
	}
}

// Init starts listening to the engine.
func (m Model) Init() tea.Cmd { return waitCmd(m.eng) }

// SetSize sets the area the pane draws in.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Capturing reports whether an input or the source picker has the keyboard.
func (m Model) Capturing() bool { return m.mode != noInput || m.picker.open }

// Update handles the engine's news, snapshots, log requests and keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	m, cmd := m.update(msg)
	m.updateKeys()
	return m, cmd
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case changedMsg:
		if msg.eng != m.eng {
			return m, nil
		}
		cmd := waitCmd(m.eng)
		if msg.err != nil {
			err := msg.err
			return m, tea.Batch(cmd, func() tea.Msg { return pane.ErrMsg{Err: err} })
		}
		return m, cmd
	case pane.SnapshotMsg:
		m.snap = msg.Snapshot
		if m.picker.open {
			m.picker.setItems(m.snap)
		}
	case pane.OpenLogsMsg:
		return m.onOpen(msg)
	case savedMsg:
		if msg.err != nil {
			err := msg.err
			return m, func() tea.Msg { return pane.ErrMsg{Err: err} }
		}
		text := fmt.Sprintf("saved %d lines: %s", msg.lines, pane.HomePath(msg.path))
		return m, func() tea.Msg { return pane.StatusMsg{Text: text} }
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.scroll(-3)
		case tea.MouseWheelDown:
			m.scroll(3)
		}
	}
	return m, nil
}

// onOpen follows what another pane asked for.
func (m Model) onOpen(msg pane.OpenLogsMsg) (Model, tea.Cmd) {
	if m.eng == nil {
		return m, pane.Status("logs are not available in this session")
	}
	targets := make([]logengine.Target, len(msg.Targets))
	for i, t := range msg.Targets {
		targets[i] = logengine.Target{Namespace: t.Namespace, Pod: t.Pod, Container: t.Container}
	}
	m.sel = logengine.SelectionOf(m.snap, targets)
	m.title = msg.Title
	m.set.Stream.Previous = msg.Previous
	return m.restart()
}

// restart starts a new session with the selection and settings.
func (m Model) restart() (Model, tea.Cmd) {
	m.paused, m.hasCursor, m.hscroll = false, false, 0
	if err := m.eng.Follow(m.sel, m.set.Stream); err != nil {
		return m, errCmd(err)
	}
	return m, nil
}

func errCmd(err error) tea.Cmd { return func() tea.Msg { return pane.ErrMsg{Err: err} } }

func (m Model) onKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.picker.open {
		done, apply, cmd := m.picker.update(msg, m.deps, m.bodyHeight()-3)
		if done && apply && m.eng != nil {
			m.sel, m.title = m.picker.selection()
			m.set.Stream.Previous = false
			var rc tea.Cmd
			m, rc = m.restart()
			return m, tea.Batch(cmd, rc)
		}
		return m, cmd
	}
	if m.mode != noInput {
		return m.onInputKey(msg)
	}
	if m.eng == nil {
		return m, nil
	}
	g, k := m.deps.Keys.Global, m.deps.Keys.Logs
	switch {
	case key.Matches(msg, k.Search):
		return m, m.openInput(searchInput, m.search)
	case key.Matches(msg, k.Options):
		return m, m.openInput(optionsInput, m.set.FlagLine())
	case key.Matches(msg, k.Sources):
		return m, m.picker.show(m.snap, m.sel)
	case key.Matches(msg, k.Context): // enabled while a search or error jump stopped on a line
		m.context = !m.context
	case key.Matches(msg, k.JSON):
		m.set.JSON = !m.set.JSON
		return m, pane.Status(map[bool]string{true: "JSON lines read as level, message and fields (--fields= in options chooses them)", false: "JSON lines as written"}[m.set.JSON])
	case m.context && key.Matches(msg, g.Back):
		m.context = false
	case key.Matches(msg, g.Back):
		switch {
		case m.search != "":
			m.search, m.hasCursor = "", false
			return m, m.applyView()
		case m.paused:
			m.follow()
		}
	case key.Matches(msg, k.Pause):
		if m.paused {
			m.follow()
		} else {
			m.pause()
		}
	case key.Matches(msg, k.Follow):
		m.set.Stream.Follow = !m.set.Stream.Follow
		m.eng.SetFollow(m.set.Stream.Follow)
		return m, pane.Status(map[bool]string{true: "following: streams resume where they stopped", false: "not following: streams stop at what is there"}[m.set.Stream.Follow])
	case key.Matches(msg, k.Previous):
		m.set.Stream.Previous = !m.set.Stream.Previous
		return m.restart()
	case key.Matches(msg, k.Timestamps):
		m.set.Timestamps = !m.set.Timestamps
	case key.Matches(msg, k.Wrap):
		m.wrap, m.hscroll = !m.wrap, 0
	case key.Matches(msg, k.Clear):
		m.eng.Clear()
		m.follow()
	case key.Matches(msg, k.NextError):
		return m.jump(m.eng.Buffer().NextError, true, "error")
	case key.Matches(msg, k.PrevError):
		return m.jump(m.eng.Buffer().PrevError, false, "error")
	case key.Matches(msg, k.NextMatch):
		return m.jump(m.eng.Buffer().NextMatch, true, "match")
	case key.Matches(msg, k.PrevMatch):
		return m.jump(m.eng.Buffer().PrevMatch, false, "match")
	case key.Matches(msg, k.Save):
		return m, m.save(false)
	case key.Matches(msg, k.SaveAll):
		return m, m.save(true)
	case key.Matches(msg, g.Up):
		m.scroll(-1)
	case key.Matches(msg, g.Down):
		m.scroll(1)
	case key.Matches(msg, g.PageUp):
		m.scroll(-m.logRows())
	case key.Matches(msg, g.PageDn):
		m.scroll(m.logRows())
	case key.Matches(msg, g.Top):
		m.paused, m.anchor = true, 0
	case key.Matches(msg, g.Bottom):
		m.follow()
	case key.Matches(msg, g.Left):
		m.hscroll = max(m.hscroll-8, 0)
	case key.Matches(msg, g.Right):
		if !m.wrap {
			m.hscroll += 8
		}
	}
	return m, nil
}

func (m *Model) openInput(mode inputMode, value string) tea.Cmd {
	m.mode = mode
	m.input.Prompt = map[inputMode]string{searchInput: "/", optionsInput: "options: "}[mode]
	m.input.Placeholder = map[inputMode]string{searchInput: "search (smart case)", optionsInput: "--since=5m --tail=100 -c bookie -i ERROR -e health"}[mode]
	m.input.SetValue(value)
	m.input.CursorEnd()
	m.input.SetWidth(max(m.width-len(m.input.Prompt)-2, 10))
	return m.input.Focus()
}

func (m Model) onInputKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch msg.String() {
	case "esc":
		m.mode = noInput
		m.input.Blur()
		return m, nil
	case "enter":
		mode, value := m.mode, strings.TrimSpace(m.input.Value())
		m.mode = noInput
		m.input.Blur()
		if mode == searchInput {
			return m.applySearch(value)
		}
		return m.applyOptions(value)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// applySearch highlights a search and goes to its newest match above the
// bottom of the screen.
func (m Model) applySearch(q string) (Model, tea.Cmd) {
	m.search, m.hasCursor = q, false
	// the jump needs the matches: index them now (a few ms for 50,000 lines)
	if err := m.eng.SetView(logengine.View{Search: q, Include: m.set.Include, Exclude: m.set.Exclude}); err != nil {
		return m, errCmd(err)
	}
	if q == "" {
		return m, nil
	}
	if st := m.eng.Buffer().Stats(); st.Matches == 0 {
		return m, pane.Status(fmt.Sprintf("no line matches %q", q))
	}
	return m.jumpFrom(m.bottomSeq()+1, m.eng.Buffer().PrevMatch, false, "match")
}

// applyOptions reads the options line: stream options start over, view
// options apply to what is there.
func (m Model) applyOptions(line string) (Model, tea.Cmd) {
	next, err := logengine.ParseSettings(line, m.set)
	if err != nil {
		return m, errCmd(fmt.Errorf("options: %w", err))
	}
	old := m.set
	m.set = next
	if next.Stream != old.Stream {
		m, cmd := m.restart()
		return m, tea.Batch(cmd, m.applyView())
	}
	return m, m.applyView()
}

// applyView hands the search and patterns to the engine; rebuilding the
// indexes over 50,000 lines runs in a Cmd, not in Update.
func (m Model) applyView() tea.Cmd {
	eng, v := m.eng, logengine.View{Search: m.search, Include: m.set.Include, Exclude: m.set.Exclude}
	return func() tea.Msg {
		if err := eng.SetView(v); err != nil {
			return pane.ErrMsg{Err: err}
		}
		return nil
	}
}

// jump moves the cursor to the next (forward) or previous line a finder
// returns from the last jump, or else from the screen's edge, wrapping
// around the buffer once, and pauses there.
func (m Model) jump(find func(uint64) (uint64, bool), forward bool, what string) (Model, tea.Cmd) {
	var start uint64
	switch {
	case m.hasCursor:
		start = m.cursor
	case forward:
		start = m.topSeq()
	default:
		start = m.bottomSeq() + 1
	}
	return m.jumpFrom(start, find, forward, what)
}

// jumpFrom is jump from the line start.
func (m Model) jumpFrom(start uint64, find func(uint64) (uint64, bool), forward bool, what string) (Model, tea.Cmd) {
	seq, ok := find(start)
	var note tea.Cmd
	if !ok {
		// from the far end: "after" the largest seq wraps to the first
		// line, "before" it is the last
		seq, ok = find(^uint64(0))
		if forward {
			note = pane.Status(fmt.Sprintf("no %s below: went on from the top", what))
		} else {
			note = pane.Status(fmt.Sprintf("no %s above: went on from the bottom", what))
		}
		if !ok {
			if what == "match" && m.search == "" {
				return m, pane.Status("no search: " + m.deps.Keys.Logs.Search.Help().Key + " searches")
			}
			return m, pane.Status(fmt.Sprintf("no %s in the buffer", what))
		}
	}
	m.cursor, m.hasCursor = seq, true
	m.paused = true
	m.anchor, _ = m.eng.Buffer().Step(seq, -m.logRows()/3)
	return m, note
}

func (m *Model) pause() {
	m.anchor = m.topSeq() // before pausing: topSeq of a paused view is the anchor
	m.paused = true
}

func (m *Model) follow() {
	m.paused, m.hasCursor, m.context = false, false, false
}

// scroll moves the view by n lines; moving up pauses.
func (m *Model) scroll(n int) {
	if m.eng == nil {
		return
	}
	if !m.paused {
		if n >= 0 {
			return
		}
		m.pause()
	}
	if seq, ok := m.eng.Buffer().Step(m.anchor, n); ok {
		m.anchor = seq
	}
}

// topSeq is the seq of the first line on screen.
func (m Model) topSeq() uint64 {
	if m.paused {
		return m.anchor
	}
	w := m.eng.Buffer().Tail(m.logRows(), m.cache.lines[:0])
	if len(w.Lines) == 0 {
		last, _ := m.eng.Buffer().Last()
		return last
	}
	return w.Lines[0].Seq
}

// bottomSeq is the seq of the last line on screen.
func (m Model) bottomSeq() uint64 {
	if m.paused {
		w := m.eng.Buffer().From(m.anchor, m.logRows(), m.cache.lines[:0])
		if n := len(w.Lines); n > 0 {
			return w.Lines[n-1].Seq
		}
	}
	last, _ := m.eng.Buffer().Last()
	return last
}

// save writes what is on screen, or every visible line of the buffer, to
// a new file (mode 0600) in a Cmd.
func (m Model) save(all bool) tea.Cmd {
	buf := m.eng.Buffer()
	var lines []logengine.Line
	if all {
		lines = buf.Visible()
	} else {
		rows := m.logRows()
		var w logengine.Window
		if m.paused {
			w = buf.From(m.anchor, rows, nil)
		} else {
			w = buf.Tail(rows, nil)
		}
		lines = w.Lines
	}
	labels := podLabels(m.eng.Sources()) // a saved file has no legend: whole pod names
	label := func(id uint32) string { return labels[id] }
	dir, at := m.opts.SaveDir, m.deps.Clock.Now()
	return func() tea.Msg {
		if dir == "" {
			dir = config.StateDir()
		}
		path, err := logengine.SaveNew(dir, at, lines, label, true)
		if err != nil {
			return savedMsg{err: err}
		}
		return savedMsg{path: path, lines: len(lines)}
	}
}

// ShortHelp lists the pane's main keys.
func (m Model) ShortHelp() []key.Binding {
	k := m.deps.Keys.Logs
	return []key.Binding{k.Sources, k.Pause, k.Search, k.NextError, k.Options}
}

// FullHelp lists every key of the pane.
func (m Model) FullHelp() [][]key.Binding {
	k, g := m.deps.Keys.Logs, m.deps.Keys.Global
	sel := m.eng != nil && !m.sel.Empty()
	back := pane.Derive(g.Back, "back", false)
	switch {
	case m.context:
		back = pane.Derive(g.Back, "close the context", sel)
	case m.search != "":
		back = pane.Derive(g.Back, "clear the search", sel)
	case m.paused:
		back = pane.Derive(g.Back, "resume following", sel)
	}
	return [][]key.Binding{
		{k.Sources, k.Options, k.Follow, k.Previous, k.Timestamps, k.Wrap},
		{k.Pause, k.Search, k.NextMatch, k.PrevMatch, k.NextError, k.PrevError, k.Context, k.JSON, back},
		{pane.Derive(g.Up, "older line (pauses)", sel), pane.Derive(g.Down, "newer line", sel && m.paused),
			pane.Derive(g.PageUp, "page older", sel), pane.Derive(g.PageDn, "page newer", sel && m.paused),
			pane.Derive(g.Top, "oldest line (pauses)", sel), pane.Derive(g.Bottom, "newest line, follow", sel && m.paused),
			pane.Derive(g.Left, "scroll left", sel && !m.wrap && m.hscroll > 0), pane.Derive(g.Right, "scroll right", sel && !m.wrap)},
		{k.Save, k.SaveAll, k.Clear},
	}
}
