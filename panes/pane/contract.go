package pane

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/object"
)

// Model is the contract every pane package's Model meets, M being the
// Model itself (Update returns the new value, as bubbletea's models do).
// A pane package also exports New(Deps, ...) and (*Model).SetSize(w, h);
// the console (tui's pane table) builds it and routes messages to it.
type Model[M any] interface {
	Init() tea.Cmd
	Update(tea.Msg) (M, tea.Cmd)
	View() string
	// ShortHelp is the footer's key hints; FullHelp the help overlay's
	// columns, the pane's own keys.
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Capturing is true while a text input of the pane has the keyboard
	// (global keys are not taken then).
	Capturing() bool
}

// Runner is what a pane whose work must not be cut short (a running
// scale plan) adds: while Running, quitting asks first (StopMsg).
type Runner interface {
	Running() bool
}

// Selector is what a pane whose rows name Kubernetes objects adds: the
// object of the selected row, which the object overlay (Global.Object)
// tells the story of. ok is false when the selection names none.
type Selector interface {
	SelectedObject() (ref object.Ref, ok bool)
}
