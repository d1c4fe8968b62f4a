package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/panes/pane"
)

// pendingPane stands in for a pane whose backend is not available in this
// session (for example the streams pane when no REST endpoint is known):
// it says so plainly instead of showing an empty screen.
type pendingPane struct {
	deps    pane.Deps
	message string
}

func (p pendingPane) Init() tea.Cmd                         { return nil }
func (p pendingPane) Update(tea.Msg) (pendingPane, tea.Cmd) { return p, nil }
func (p pendingPane) View() string                          { return p.deps.Styles.Muted.Render(p.message) }
func (p *pendingPane) SetSize(int, int)                     {}
func (p pendingPane) ShortHelp() []key.Binding              { return nil }
func (p pendingPane) FullHelp() [][]key.Binding             { return nil }
func (p pendingPane) Capturing() bool                       { return false }
