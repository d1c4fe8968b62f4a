package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/panes/pane"
)

// paneModel is what every pane package's Model provides: the contract
// in panes/pane.
type paneModel[M any] = pane.Model[M]

// slot holds one pane behind a uniform interface, so the root model can
// route by pane id without a switch per pane.
type slot interface {
	init() tea.Cmd
	update(tea.Msg) tea.Cmd
	view() string
	setSize(w, h int)
	shortHelp() []key.Binding
	fullHelp() [][]key.Binding
	capturing() bool
	busy() bool // running work (a scale plan) that quitting would cut
	// selector reports whether the pane's rows name objects
	// (pane.Selector); selected is the selected row's object.
	selector() bool
	selected() (object.Ref, bool)
}

type paneSlot[M paneModel[M]] struct {
	m      M
	resize func(*M, int, int)
}

func newSlot[M paneModel[M]](m M, resize func(*M, int, int)) *paneSlot[M] {
	return &paneSlot[M]{m: m, resize: resize}
}

func (s *paneSlot[M]) init() tea.Cmd { return s.m.Init() }

func (s *paneSlot[M]) update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	s.m, cmd = s.m.Update(msg)
	return cmd
}

func (s *paneSlot[M]) view() string              { return s.m.View() }
func (s *paneSlot[M]) setSize(w, h int)          { s.resize(&s.m, w, h) }
func (s *paneSlot[M]) shortHelp() []key.Binding  { return s.m.ShortHelp() }
func (s *paneSlot[M]) fullHelp() [][]key.Binding { return s.m.FullHelp() }
func (s *paneSlot[M]) capturing() bool           { return s.m.Capturing() }

// busy reports a pane's Running(), for panes that are a pane.Runner.
func (s *paneSlot[M]) busy() bool {
	r, ok := any(s.m).(pane.Runner)
	return ok && r.Running()
}

func (s *paneSlot[M]) selector() bool {
	_, ok := any(s.m).(pane.Selector)
	return ok
}

func (s *paneSlot[M]) selected() (object.Ref, bool) {
	if sel, ok := any(s.m).(pane.Selector); ok {
		return sel.SelectedObject()
	}
	return object.Ref{}, false
}
