// Package pane is the contract between the root model (tui) and the panes:
// what a pane is given (Deps), the messages the root sends every pane and
// the requests a pane may send to another, and the small formatting and
// filtering pieces every pane shares.
//
// A pane package exports a Model that meets the Model contract
// (contract.go), with New(Deps, ...) and (*Model).SetSize(w, h).
package pane

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"k8s.io/utils/clock"

	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
)

// Deps is what every pane is built with.
type Deps struct {
	Styles themes.Styles
	Keys   keymap.KeyMap
	Clock  clock.PassiveClock // ages are computed from it (frozen in tests)
	// Guard is the backend's read-only switch, shared with every writer:
	// a pane reads it to show what is refused; the backend does the
	// refusing.
	Guard *guard.Switch
	// Ctx is the console's context, cancelled when it quits: the requests
	// a pane's Cmds make derive from it (through Context).
	Ctx context.Context
	// Usage is the usage monitor a pane tells when it shows usage
	// (Activate on focus, Deactivate on blur); nil: none in this session.
	Usage Usage
}

// Context is Ctx, or context.Background() where a test built Deps
// without one.
func (d Deps) Context() context.Context {
	if d.Ctx == nil {
		return context.Background()
	}
	return d.Ctx
}

// Usage is what a pane tells the usage monitor: that it shows usage
// (holder is the pane's name) or no longer does. *usage.Monitor meets it.
type Usage interface {
	Activate(holder string)
	Deactivate(holder string)
}

// UsageMsg carries the usage monitor's newest report to every pane.
type UsageMsg struct{ Report *usage.Report }

// ShowUsageCmd tells the monitor that holder shows usage (on) or no
// longer does; nil without a monitor.
func (d Deps) ShowUsageCmd(holder string, on bool) tea.Cmd {
	u := d.Usage
	if u == nil {
		return nil
	}
	return func() tea.Msg {
		if on {
			u.Activate(holder)
		} else {
			u.Deactivate(holder)
		}
		return nil
	}
}

// ReadOnly reports whether the console is read-only now.
func (d Deps) ReadOnly() bool { return d.Guard.On() }

// SnapshotMsg carries a new platform snapshot to every pane.
type SnapshotMsg struct{ Snapshot *platform.Snapshot }

// TickMsg lets panes refresh what depends on the time (ages).
type TickMsg struct{ Now time.Time }

// FocusMsg tells a pane it became the visible one.
type FocusMsg struct{}

// StopMsg asks a pane whose work is under way (busy) to offer stopping it,
// as its own stop key would: the user asked to quit.
type StopMsg struct{}

// BlurMsg tells a pane it is no longer the visible one: it may stop work
// only its view needs (the streams pane stops reading the REST APIs).
type BlurMsg struct{}

// ErrMsg is an error for the status bar: one line, e.g.
// "scale bookkeeper 3→5: preflight: bk-2 not ready". It belongs to the
// pane that was active when it came, stays until that pane's state
// replaces it (a StatusMsg, an empty one included), esc, or a switch to
// another pane.
type ErrMsg struct{ Err error }

// StatusMsg is an informational line for the status bar. It belongs to
// the pane that was active when it came: switching panes takes it away,
// and it fades after a few seconds so the key hints come back. An empty
// Text withdraws the active pane's line (its state changed: a valid plan
// replaced a failed one).
type StatusMsg struct{ Text string }

// LogTarget names one container whose logs to show.
type LogTarget struct {
	Namespace, Pod, Container string
}

// OpenLogsMsg asks the root to switch to the logs pane and follow targets.
type OpenLogsMsg struct {
	Targets  []LogTarget
	Previous bool   // show the previous (crashed) container's logs
	Title    string // what the selection is, e.g. "pravega/SegmentStore"
}

// ID values of the panes, in number-key order.
const (
	MembersID = iota
	RestartsID
	LogsID
	StreamsID
	ScaleID
	AccessID
)

// ReadOnlyMsg tells panes that read-only mode was turned on, so they
// redraw their keys and hints; the switch itself is Deps.Guard, which the
// backend's writers consult.
type ReadOnlyMsg struct{}

// SwitchMsg asks the root to show another pane.
type SwitchMsg struct{ To int }

// Status is a Cmd that shows text as the active pane's line in the
// message line (StatusMsg).
func Status(text string) tea.Cmd { return func() tea.Msg { return StatusMsg{Text: text} } }

// Withdraw is a Cmd that takes the active pane's line away: the state it
// described has changed.
func Withdraw() tea.Cmd { return Status("") }
