// Package scale is the guided scale wizard pane: choose the level and the
// targets (nodes, component replicas, Flink application resources), change
// the values with +/-, see the ordered plan with its diff and the preflight
// (✓ pass, ▲ warn, ✖ fail, with evidence), run the server-side dry run,
// confirm by typing the cluster's name, and watch each step converge live,
// then the post-scale verdict. The audit log is one key away.
//
// The pane talks to the engine (backend/scale) only through Cmds; apply
// progress arrives on the engine's channel, one event per Cmd, re-armed by
// Update.
package scale

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/scale/planview"
)

// Backend is what the wizard needs of the engine (*scale.Engine).
type Backend interface {
	Targets(*platform.Snapshot) []scale.Target
	Nodes(ctx context.Context) (scale.NodeReport, error)
	Plan(ctx context.Context, changes []scale.Change) (scale.Plan, error)
	PlanStorage(ctx context.Context, change scale.StorageChange) (scale.Plan, error)
	PlanStorageTemplate(ctx context.Context, change scale.StorageChange) (scale.Plan, error)
	Preflight(ctx context.Context, planID string) (scale.Preflight, error)
	DryRun(ctx context.Context, planID string) ([]scale.DryRunResult, error)
	Apply(ctx context.Context, planID, confirm string) (<-chan scale.Event, error)
	Override(ctx context.Context, planID, refusalID, phrase string) (scale.Plan, error)
	StopAfterStep(ctx context.Context, planID string) error
	RevertPlan(ctx context.Context, planID string) (scale.Plan, error)
	Cancel(ctx context.Context, planID, what string) error
	Audit(n int) ([]audit.Record, error)
	StepTimeout() time.Duration
	AuditPath() string
}

var _ Backend = (*scale.Engine)(nil)

type mode int

const (
	modeSelect   mode = iota // choose targets and values
	modePlan                 // plan, preflight, dry run
	modeConfirm              // typing the confirmation
	modeOverride             // typing an override phrase
	modeRun                  // applying, live progress
	modeDone                 // outcome and post-check
)

// keys are the key map's Scale bindings plus global ones this pane gives a
// meaning of its own (with help text to match).
type keys struct {
	keymap.Scale
	Level, PrevLevel, Reset, Value key.Binding
}

func paneKeys(km keymap.KeyMap) keys {
	g := km.Global
	derive := func(b key.Binding, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
	}
	return keys{Scale: km.Scale, Level: derive(g.Right, "next level"), PrevLevel: derive(g.Left, "previous level"),
		Reset: derive(g.Back, "discard changes"), Value: derive(g.Select, "type a value")}
}

// Model is the scale wizard pane.
type Model struct {
	deps pane.Deps
	keys keys
	ctx  context.Context
	eng  Backend

	width, height int
	snap          *platform.Snapshot
	targets       []scale.Target
	level         scale.Level
	cursor        int
	edits         map[string]string // target ID → new value

	nodes    *scale.NodeReport
	nodesErr string

	mode      mode
	plan      *scale.Plan
	preflight *scale.Preflight
	dry       []scale.DryRunResult
	busy      string // what the engine is doing, "" when idle
	confirm   textinput.Model
	events    <-chan scale.Event
	steps     planview.Steps
	outcome   *scale.Outcome
	askStop   bool
	stopAsked bool
	// quitAsked: the user pressed quit while the plan runs; the root quits
	// on the next quit key, and the question says so.
	quitAsked bool

	showAudit bool
	audit     []audit.Record
	auditErr  string

	offset int    // scroll of the plan, run and audit views
	err    string // last error, one line

	// The storage view: claims instead of compute targets, a size typed
	// for the selected claim, and the storage change being planned.
	storage       bool
	claimCursor   int
	editing       bool
	size          textinput.Model
	storageChange *scale.StorageChange
	template      bool // the input and the change are for the claim's template

	report *usage.Report // the usage monitor's newest: claims' fill (nil: no monitor)
	shown  bool          // the usage monitor was told the pane is visible

	// A value typed for the selected target (enter), and the override
	// phrase typed for a refusal of the plan.
	typing     bool
	value      textinput.Model
	phrase     textinput.Model
	overriding scale.Refusal
}

// New returns the wizard. ctx is the console's root context: quitting
// cancels it, which stops a running plan after its current patch.
func New(ctx context.Context, deps pane.Deps, eng Backend) Model {
	in := textinput.New()
	in.Prompt = "> "
	in.CharLimit = 253
	styles := in.Styles()
	styles.Cursor.Blink = false // no redraw every half second over SSH
	in.SetStyles(styles)
	size := textinput.New()
	size.Prompt = ""
	size.CharLimit = 32
	size.Placeholder = "e.g. 80Gi"
	size.SetStyles(styles)
	size.SetWidth(10)
	value := textinput.New()
	value.Prompt = ""
	value.CharLimit = 16
	value.SetStyles(styles)
	value.SetWidth(8)
	phrase := textinput.New()
	phrase.Prompt = "> "
	phrase.CharLimit = 253
	phrase.SetStyles(styles)
	m := Model{deps: deps, keys: paneKeys(deps.Keys), ctx: ctx, eng: eng, level: scale.ComponentLevel,
		edits: map[string]string{}, steps: planview.Steps{}, confirm: in, size: size, value: value, phrase: phrase}
	m.updateKeys()
	return m
}

// Messages between the pane and its Cmds. Each carries the plan it is
// about, so a late answer for an abandoned plan is ignored.
type (
	targetsMsg struct {
		seq     uint64
		targets []scale.Target
	}
	nodesMsg struct {
		report scale.NodeReport
		err    error
	}
	planMsg struct {
		plan scale.Plan
		err  error
	}
	preflightMsg struct {
		planID string
		pf     scale.Preflight
		err    error
	}
	dryRunMsg struct {
		planID  string
		results []scale.DryRunResult
		err     error
	}
	applyMsg struct {
		planID string
		events <-chan scale.Event
		err    error
	}
	eventMsg struct {
		planID string
		ev     scale.Event
		closed bool
	}
	overrideMsg struct {
		planID string
		plan   scale.Plan
		err    error
	}
	stopMsg  struct{ err error }
	auditMsg struct {
		recs []audit.Record
		err  error
	}
)

// Init implements the pane contract.
func (m Model) Init() tea.Cmd { return nil }

// SetSize sets the area the pane draws in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
}

// Capturing is true while the confirmation input or the stop question has
// the keyboard.
func (m Model) Capturing() bool {
	return m.mode == modeConfirm || m.mode == modeOverride || m.askStop || m.editing || m.typing
}

// Running reports whether a plan is being applied (the root may ask before
// quitting).
func (m Model) Running() bool { return m.mode == modeRun }

// Update handles snapshots, keys and the engine's answers.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case pane.SnapshotMsg:
		m.snap = msg.Snapshot
		return m, tea.Batch(targetsCmd(m.eng, msg.Snapshot), m.recheck())
	case pane.StopMsg:
		return m.onQuit()
	case pane.UsageMsg:
		m.report = msg.Report
	case pane.FocusMsg:
		// usage (claims' fill, nodes' use) is read only while shown
		show := m.show(true)
		if m.level == scale.KubernetesLevel && m.mode == modeSelect {
			return m, tea.Batch(show, m.nodesCmd())
		}
		return m, show
	case pane.BlurMsg:
		return m, m.show(false)
	case targetsMsg:
		if m.snap != nil && msg.seq == m.snap.Seq {
			m.targets = msg.targets
			m.clampCursor()
			m.claimCursor = max(min(m.claimCursor, len(m.snap.Claims)-1), 0)
		}
	case nodesMsg:
		m.busy = ""
		m.nodesErr = ""
		if msg.err != nil {
			m.nodesErr = msg.err.Error()
		} else {
			m.nodes = &msg.report
		}
	case planMsg:
		return m.onPlan(msg)
	case preflightMsg:
		if m.plan == nil || msg.planID != m.plan.ID {
			return m, nil
		}
		m.busy = ""
		if msg.err != nil {
			return m.fail("preflight", msg.err)
		}
		m.preflight = &msg.pf
	case dryRunMsg:
		if m.plan == nil || msg.planID != m.plan.ID {
			return m, nil
		}
		m.busy = ""
		if msg.err != nil {
			return m.fail("dry run", msg.err)
		}
		m.dry = msg.results
	case applyMsg:
		return m.onApply(msg)
	case overrideMsg:
		return m.onOverride(msg)
	case eventMsg:
		return m.onEvent(msg)
	case stopMsg:
		if msg.err != nil {
			return m.fail("stop", msg.err)
		}
		m.stopAsked = true
	case auditMsg:
		m.audit, m.auditErr = msg.recs, ""
		if msg.err != nil {
			m.auditErr = msg.err.Error()
		}
		m.offset = m.maxOffset() // newest records, at the end
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	m.updateKeys()
	return m, nil
}

// preflightEvery is how often at most a plan on screen is checked again
// while the cluster changes: a result says what held when it was taken.
const preflightEvery = 10 * time.Second

// recheck runs the preflight of the plan on screen again when the cluster
// changed and its result is older than preflightEvery; nothing is waiting
// on it (a dry run or apply in flight keeps the one it started with).
func (m Model) recheck() tea.Cmd {
	if m.mode != modePlan || m.busy != "" || m.plan == nil || m.preflight == nil || m.showAudit ||
		m.deps.Clock.Since(m.preflight.At) < preflightEvery {
		return nil
	}
	return preflightCmd(m.ctx, m.eng, m.plan.ID)
}

func (m Model) fail(what string, err error) (Model, tea.Cmd) {
	m.busy = ""
	m.err = what + ": " + err.Error()
	m.updateKeys()
	return m, errCmd(m.title()+": "+what, err)
}

// title names the plan in status-bar errors: "scale BookKeeper bookkeeper 3→5".
func (m Model) title() string {
	if m.plan != nil && len(m.plan.Steps) > 0 {
		t := "scale " + m.plan.Steps[0].Title()
		if n := len(m.plan.Steps); n > 1 {
			t += fmt.Sprintf(" (+%d)", n-1)
		}
		return t
	}
	return "scale"
}

func (m Model) onPlan(msg planMsg) (Model, tea.Cmd) {
	m.busy = ""
	if msg.err != nil {
		// the engine's error already says "plan: …"; the plan shown stays
		m.err = msg.err.Error()
		m.updateKeys()
		return m, errCmd(m.title(), msg.err)
	}
	p := msg.plan
	m.plan, m.preflight, m.dry, m.outcome, m.err = &p, nil, nil, nil, ""
	m.mode, m.offset, m.showAudit = modePlan, 0, false
	m.busy = "running the preflight…"
	m.updateKeys()
	// a failed plan's error no longer describes what is on screen
	return m, tea.Batch(pane.Withdraw(), preflightCmd(m.ctx, m.eng, p.ID))
}

func (m Model) onApply(msg applyMsg) (Model, tea.Cmd) {
	if m.plan == nil || msg.planID != m.plan.ID {
		return m, nil
	}
	m.busy = ""
	if msg.err != nil {
		m.mode = modePlan
		return m.fail("apply", msg.err)
	}
	m.mode, m.events, m.offset, m.stopAsked = modeRun, msg.events, 0, false
	m.steps = planview.Steps{}
	m.updateKeys()
	return m, waitEventCmd(msg.planID, msg.events)
}

func (m Model) onEvent(msg eventMsg) (Model, tea.Cmd) {
	if m.plan == nil || msg.planID != m.plan.ID {
		return m, nil
	}
	if msg.closed {
		m.events = nil
		if m.mode == modeRun {
			m.mode = modeDone
		}
		m.updateKeys()
		return m, nil
	}
	ev := msg.ev
	m.steps.Apply(ev)
	switch ev.Kind {
	case scale.PostChecking:
		m.busy = ev.Message + "…"
	case scale.Finished:
		m.busy, m.outcome, m.mode, m.askStop = "", ev.Outcome, modeDone, false
		var cmd tea.Cmd
		if ev.Outcome != nil && ev.Outcome.State != scale.Completed {
			cmd = errCmd(m.title(), fmt.Errorf("%s: %s", ev.Outcome.State, ev.Outcome.Message))
		} else {
			cmd = pane.Status(m.title() + ": completed")
		}
		m.updateKeys()
		return m, tea.Batch(cmd, waitEventCmd(msg.planID, m.events))
	}
	m.updateKeys()
	return m, waitEventCmd(msg.planID, m.events)
}

func (m Model) onKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g, k := m.deps.Keys.Global, m.keys
	switch {
	case m.askStop:
		return m.onStopKey(msg)
	case m.mode == modeConfirm:
		return m.onConfirmKey(msg)
	case m.mode == modeOverride:
		return m.onPhraseKey(msg)
	case m.editing:
		return m.onSizeKey(msg)
	case m.typing:
		return m.onValueKey(msg)
	case key.Matches(msg, k.Audit):
		m.showAudit = !m.showAudit
		m.offset = 0
		if m.showAudit {
			return m, auditCmd(m.eng)
		}
		return m, nil
	case m.showAudit && key.Matches(msg, g.Back):
		m.showAudit = false
		return m, nil
	case m.mode == modeRun && (key.Matches(msg, k.Stop, g.Back) || msg.String() == "ctrl+c"):
		return m.onStop()
	case key.Matches(msg, k.Logs) && (m.mode == modeRun || m.mode == modeDone) && !m.showAudit:
		w, ok := m.waitingPod()
		if !ok {
			return m, pane.Status("scale: no step waits for a pod")
		}
		t := pane.LogTarget{Namespace: w.Namespace, Pod: w.Pod, Container: w.Container}
		return m, func() tea.Msg {
			return pane.OpenLogsMsg{Targets: []pane.LogTarget{t}, Title: t.Namespace + "/" + t.Pod}
		}
	case key.Matches(msg, k.Revert) && (m.mode == modeRun || m.mode == modeDone) && !m.showAudit && m.plan != nil && m.busy == "":
		m.busy, m.err, m.storageChange = "planning the revert (the before values)…", "", nil
		clear(m.edits)
		m.updateKeys()
		return m, revertCmd(m.ctx, m.eng, m.plan.ID)
	}
	if m.showAudit || m.mode != modeSelect {
		return m.onScrollKey(msg)
	}
	if key.Matches(msg, k.Storage) {
		m.storage = !m.storage
		m.updateKeys()
		return m, nil
	}
	if key.Matches(msg, k.Level, k.PrevLevel) {
		step := 1
		if key.Matches(msg, k.PrevLevel) {
			step = -1
		}
		return m.cycleLevel(step)
	}
	if m.storage {
		return m.onClaimKey(msg)
	}
	return m.onSelectKey(msg)
}

func (m Model) onSelectKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g, k := m.deps.Keys.Global, m.keys
	rows := targetRows(m.targets, m.level, m.edits)
	switch {
	case key.Matches(msg, g.Up, g.Down, g.PageUp, g.PageDn, g.Top, g.Bottom):
		m.cursor, _ = pane.Cursor(msg, g, m.cursor, m.bodyHeight(), len(rows))
		m.err = ""
	case key.Matches(msg, k.Increase, k.Decrease):
		if m.cursor >= len(rows) {
			return m, nil
		}
		t := rows[m.cursor].target
		if t.Disabled != "" {
			return m, pane.Status(t.Kind.String() + " " + t.Cluster + ": " + t.Disabled)
		}
		delta := 1
		if key.Matches(msg, k.Decrease) {
			delta = -1
		}
		cur := t.Current
		if v, ok := m.edits[t.ID()]; ok {
			cur = v
		}
		next, err := scale.AdjustTarget(t, cur, delta)
		m.err = ""
		if err != nil {
			m.err = err.Error() // at the minimum: one line, the value stays
		}
		m.setEdit(t, next)
	case key.Matches(msg, k.Value):
		if m.cursor >= len(rows) {
			return m, nil
		}
		if t := rows[m.cursor].target; t.Disabled != "" {
			return m, pane.Status(t.Kind.String() + " " + t.Cluster + ": " + t.Disabled)
		}
		m.typing, m.err = true, ""
		m.value.Reset()
		m.updateKeys()
		return m, m.value.Focus()
	case key.Matches(msg, k.Reset):
		clear(m.edits)
	case key.Matches(msg, k.Plan):
		if m.level == scale.KubernetesLevel {
			return m, m.nodesCmd()
		}
		ch := changes(m.targets, m.edits)
		if len(ch) == 0 {
			return m, pane.Status("scale: change a value with " + k.Increase.Help().Key + " / " + k.Decrease.Help().Key + " first")
		}
		m.busy, m.err, m.storageChange = "planning…", "", nil
		return m, planCmd(m.ctx, m.eng, ch)
	}
	m.updateKeys()
	return m, nil
}

// levels are the select view's stops, in the order its header shows
// them; Storage is the last.
var levels = []scale.Level{scale.KubernetesLevel, scale.ComponentLevel, scale.ApplicationLevel}

// cycleLevel moves step stops along Kubernetes, Components, Application,
// Storage, round.
func (m Model) cycleLevel(step int) (Model, tea.Cmd) {
	n := len(levels) + 1
	at := len(levels) // Storage
	if !m.storage {
		at = slices.Index(levels, m.level)
	}
	at = ((at+step)%n + n) % n
	m.storage, m.err = at == len(levels), ""
	if !m.storage {
		m.level, m.cursor = levels[at], 0
	}
	m.updateKeys()
	if !m.storage && m.level == scale.KubernetesLevel {
		return m, m.nodesCmd()
	}
	return m, nil
}

// onScrollKey handles the plan, run, done and audit views.
func (m Model) onScrollKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g, k := m.deps.Keys.Global, m.keys
	switch {
	case key.Matches(msg, g.Up):
		m.offset = max(m.offset-1, 0)
	case key.Matches(msg, g.Down):
		m.offset++
	case key.Matches(msg, g.PageUp):
		m.offset = max(m.offset-m.bodyHeight(), 0)
	case key.Matches(msg, g.PageDn):
		m.offset += m.bodyHeight()
	case key.Matches(msg, g.Top):
		m.offset = 0
	case key.Matches(msg, g.Bottom):
		m.offset = m.maxOffset()
	case m.showAudit:
		return m, nil
	case key.Matches(msg, k.Plan) && (m.mode == modePlan || m.mode == modeDone) && m.storageChange != nil:
		m.busy = "planning…"
		return m, planStorageCmd(m.ctx, m.eng, *m.storageChange, m.template)
	case key.Matches(msg, k.Plan) && (m.mode == modePlan || m.mode == modeDone):
		ch := changes(m.targets, m.edits)
		if len(ch) == 0 {
			return m, nil
		}
		m.busy = "planning…"
		return m, planCmd(m.ctx, m.eng, ch)
	case key.Matches(msg, k.Suggest) && m.mode == modePlan && m.busy == "" && m.storageChange == nil:
		return m.onSuggest()
	case key.Matches(msg, k.DryRun) && m.mode == modePlan && m.busy == "":
		if m.deps.ReadOnly() {
			return m, pane.Status("scale: read-only mode sends no dry run and applies nothing")
		}
		m.busy = "dry run…"
		return m, dryRunCmd(m.ctx, m.eng, m.plan.ID)
	case key.Matches(msg, k.Override) && m.mode == modePlan && m.busy == "":
		r, ok := m.plan.NextOverride()
		if !ok {
			return m, pane.Status("scale: no refusal of this plan can be overridden")
		}
		m.mode, m.overriding, m.err, m.offset = modeOverride, r, "", 0
		m.phrase.Reset()
		m.phrase.SetWidth(len(r.Phrase) + 1)
		m.updateKeys()
		return m, m.phrase.Focus()
	case key.Matches(msg, k.Apply) && m.mode == modePlan && m.busy == "":
		if why := m.applyBlocked(); why != "" {
			return m, errCmd(m.title(), fmt.Errorf("%s", why))
		}
		m.mode = modeConfirm
		m.confirm.Reset()
		m.confirm.SetWidth(len(m.plan.Confirm) + 1)
		m.updateKeys()
		return m, m.confirm.Focus()
	case key.Matches(msg, g.Back) && (m.mode == modePlan || m.mode == modeDone):
		if m.mode == modeDone {
			m.plan, m.outcome = nil, nil
			clear(m.edits)
			m.storageChange = nil
		}
		m.mode, m.offset = modeSelect, 0
	}
	m.offset = min(m.offset, m.maxOffset())
	m.updateKeys()
	return m, nil
}

// onSuggest adds the plan's first suggestion to the changes and plans
// again: the engine builds the new plan, the pane only keeps the value.
func (m Model) onSuggest() (Model, tea.Cmd) {
	if m.plan == nil || len(m.plan.Suggestions) == 0 {
		return m, pane.Status("scale: this plan suggests nothing")
	}
	sg := m.plan.Suggestions[0]
	for _, t := range m.targets {
		if t.Key == sg.Change.Key && t.Field == sg.Change.Field {
			m.setEdit(t, sg.Change.To)
			m.busy, m.err = "planning…", ""
			m.updateKeys()
			return m, planCmd(m.ctx, m.eng, changes(m.targets, m.edits))
		}
	}
	return m.fail("suggestion", fmt.Errorf("%s %s is not a target any more", sg.Change.Key, sg.Change.Field))
}

// applyBlocked says why apply cannot start yet, "" when it can.
func (m Model) applyBlocked() string {
	if m.deps.ReadOnly() {
		return "read-only mode (plan and preflight only)"
	}
	if m.plan != nil {
		if rs := m.plan.Pending(); len(rs) > 0 {
			why := "refused: " + rs[0].Reason
			if _, ok := m.plan.NextOverride(); ok {
				why += " (" + m.keys.Override.Help().Key + ": override)"
			}
			return why
		}
	}
	switch {
	case m.preflight == nil:
		return "the preflight has not finished"
	case !m.preflight.Passed():
		return "preflight failed: " + strings.Join(m.preflight.Failed(), ", ")
	case m.dry == nil:
		return "run the dry run first (" + m.keys.DryRun.Help().Key + ")"
	}
	for _, r := range m.dry {
		if !r.OK {
			return fmt.Sprintf("the dry run of step %d was rejected", r.Step)
		}
	}
	return ""
}

func (m Model) onConfirmKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g := m.deps.Keys.Global
	switch {
	case key.Matches(msg, g.Back):
		m.mode = modePlan
		m.confirm.Blur()
		m.updateKeys()
		return m, cancelCmd(m.ctx, m.eng, m.plan.ID, "confirmation abandoned")
	case key.Matches(msg, g.Select):
		typed := strings.TrimSpace(m.confirm.Value())
		if typed != m.plan.Confirm {
			m.err = fmt.Sprintf("type %q exactly to apply", m.plan.Confirm)
			m.confirm.Reset()
			return m, nil
		}
		m.confirm.Blur()
		m.busy, m.err = "applying…", ""
		return m, applyCmd(m.ctx, m.eng, m.plan.ID, typed)
	default:
		var cmd tea.Cmd
		m.confirm, cmd = m.confirm.Update(msg)
		return m, cmd
	}
}

// show tells the usage monitor whether the pane is visible (a pointer
// method: the flag must stick on the model Update returns).
func (m *Model) show(on bool) tea.Cmd {
	if m.shown == on {
		return nil
	}
	m.shown = on
	return m.deps.ShowUsageCmd("scale", on)
}

// onClaimKey handles the storage view: choose a claim, enter opens the
// size input.
func (m Model) onClaimKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g := m.deps.Keys.Global
	var pvcs []platform.Claim
	if m.snap != nil {
		pvcs = m.snap.Claims
	}
	switch {
	case key.Matches(msg, g.Up, g.Down, g.PageUp, g.PageDn, g.Top, g.Bottom):
		m.claimCursor, _ = pane.Cursor(msg, g, m.claimCursor, m.bodyHeight(), len(pvcs))
	case key.Matches(msg, g.Select, m.keys.Template):
		if m.claimCursor >= len(pvcs) {
			return m, nil
		}
		m.template = key.Matches(msg, m.keys.Template)
		m.editing, m.err = true, ""
		m.size.Reset()
		if size, ok := m.claims().SuggestedSize(pvcs[m.claimCursor]); ok && !m.template {
			m.size.SetValue(size) // the fill's reason to grow, editable
		}
		m.updateKeys()
		return m, m.size.Focus()
	}
	m.updateKeys()
	return m, nil
}

// onSizeKey handles the size input: enter plans, esc abandons.
func (m Model) onSizeKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g := m.deps.Keys.Global
	switch {
	case key.Matches(msg, g.Back):
		m.editing, m.err = false, ""
		m.size.Blur()
	case key.Matches(msg, g.Select):
		if m.snap == nil || m.claimCursor >= len(m.snap.Claims) {
			m.editing = false
			return m, nil
		}
		c := m.snap.Claims[m.claimCursor]
		if _, err := scale.ParseSize(m.size.Value()); err != nil {
			m.err = err.Error() // one line; the plan stays as it was
			m.size.Reset()
			return m, nil
		}
		m.editing = false
		m.size.Blur()
		ch := scale.StorageChange{Namespace: c.Namespace, Claim: c.Name, To: strings.TrimSpace(m.size.Value())}
		m.storageChange = &ch
		m.busy, m.err = "planning…", ""
		m.updateKeys()
		return m, planStorageCmd(m.ctx, m.eng, ch, m.template)
	default:
		var cmd tea.Cmd
		m.size, cmd = m.size.Update(msg)
		return m, cmd
	}
	m.updateKeys()
	return m, nil
}

// onQuit is the root's quit key while the plan runs: it asks whether to
// stop after the step, and says that quitting again quits now.
func (m Model) onQuit() (Model, tea.Cmd) {
	if m.mode == modeRun {
		m.askStop, m.quitAsked = !m.stopAsked, true
	}
	m.updateKeys()
	return m, nil
}

// waitingPod is the first member the latest waiting (or failed) step waits
// for.
func (m Model) waitingPod() (scale.MemberWait, bool) { return m.steps.WaitingPod(m.plan) }

// onStop asks whether to stop the running plan (once: a stop already asked
// for is under way); asked again while the question shows, it withdraws it.
func (m Model) onStop() (Model, tea.Cmd) {
	switch {
	case m.askStop:
		m.askStop = false
	case m.mode == modeRun && !m.stopAsked:
		m.askStop = true
	}
	m.updateKeys()
	return m, nil
}

func (m Model) onStopKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	m.askStop, m.quitAsked = false, false
	m.updateKeys()
	switch msg.String() {
	case "y", "Y":
		return m, stopCmd(m.ctx, m.eng, m.plan.ID)
	}
	return m, nil
}

func (m *Model) clampCursor() {
	n := len(targetRows(m.targets, m.level, m.edits))
	m.cursor = max(min(m.cursor, n-1), 0)
}

// updateKeys enables the bindings that work in the current state, so help
// lists only those.
func (m *Model) updateKeys() {
	k := &m.keys
	sel := m.mode == modeSelect && !m.showAudit
	compute := sel && !m.storage
	rows := len(targetRows(m.targets, m.level, m.edits)) > 0
	k.Increase.SetEnabled(compute && rows && m.level != scale.KubernetesLevel)
	k.Decrease.SetEnabled(compute && rows && m.level != scale.KubernetesLevel)
	k.Level.SetEnabled(sel && !m.editing && !m.typing)
	k.PrevLevel.SetEnabled(sel && !m.editing && !m.typing)
	k.Reset.SetEnabled(compute && len(m.edits) > 0)
	k.Storage.SetEnabled(sel && !m.editing)
	k.Template.SetEnabled(sel && m.storage && !m.editing)
	k.Plan.SetEnabled((compute || m.mode == modePlan || m.mode == modeDone) && !m.showAudit)
	k.DryRun.SetEnabled(m.mode == modePlan && !m.deps.ReadOnly() && !m.showAudit)
	k.Apply.SetEnabled(m.deps.Keys.Scale.Apply.Enabled() && m.mode == modePlan && !m.deps.ReadOnly() && !m.showAudit && m.applyBlocked() == "")
	canOverride := false
	if m.plan != nil {
		_, canOverride = m.plan.NextOverride()
	}
	k.Override.SetEnabled(m.deps.Keys.Scale.Override.Enabled() && m.mode == modePlan && !m.deps.ReadOnly() && !m.showAudit && canOverride)
	k.Value.SetEnabled(compute && rows && m.level != scale.KubernetesLevel && !m.typing)
	k.Suggest.SetEnabled(m.mode == modePlan && !m.showAudit && m.plan != nil && len(m.plan.Suggestions) > 0 && m.storageChange == nil)
	k.Stop.SetEnabled(m.mode == modeRun && !m.stopAsked)
	_, waiting := m.waitingPod()
	k.Logs.SetEnabled((m.mode == modeRun || m.mode == modeDone) && !m.showAudit && waiting)
	k.Revert.SetEnabled((m.mode == modeRun || m.mode == modeDone) && !m.showAudit && m.plan != nil && !m.plan.Storage() && m.steps.Patched())
	k.Audit.SetEnabled(m.mode != modeConfirm && m.mode != modeOverride)
}

// ShortHelp lists the keys that work now.
func (m Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.mode == modeSelect && len(m.edits) > 0 {
		// a change waits to be planned: that is the next key, first in a
		// footer that 80 columns cut
		return []key.Binding{k.Plan, k.Increase, k.Decrease, k.Reset, k.Value, k.Level, k.Storage, k.Template, k.Audit}
	}
	return []key.Binding{k.Increase, k.Decrease, k.Value, k.Level, k.Storage, k.Template, k.Plan, k.Suggest, k.DryRun, k.Override, k.Apply, k.Stop, k.Logs, k.Revert, k.Audit}
}

// FullHelp lists every key of the pane.
func (m Model) FullHelp() [][]key.Binding {
	k, g := m.keys, m.deps.Keys.Global
	return [][]key.Binding{pane.NavHelp(g, m.canMove()), {k.Level, k.PrevLevel, k.Increase, k.Decrease, k.Value, k.Reset, k.Storage, k.Template},
		{k.Plan, k.Suggest, k.DryRun, k.Override, k.Apply, k.Stop, k.Logs, k.Revert, k.Audit, m.backHelp()}}
}

// canMove: the movement keys move something (a list of more than one
// row, or a view taller than the pane).
func (m Model) canMove() bool {
	switch {
	case m.showAudit || m.mode != modeSelect:
		return m.maxOffset() > 0
	case m.storage:
		return m.snap != nil && len(m.snap.Claims) > 1
	}
	return len(targetRows(m.targets, m.level, m.edits)) > 1
}

// backHelp is what esc does now, for help: in the target list it discards
// the changes (Reset says so); elsewhere it goes back or stops.
func (m Model) backHelp() key.Binding {
	g := m.deps.Keys.Global
	switch {
	case m.showAudit:
		return pane.Derive(g.Back, "close the audit log", true)
	case m.mode == modeRun:
		return pane.Derive(g.Back, "stop after this step", !m.stopAsked)
	case m.mode == modePlan || m.mode == modeDone:
		return pane.Derive(g.Back, "back to the targets", true)
	}
	return pane.Derive(g.Back, "back", false)
}

// Cmds. Each copies what it needs into locals before returning its closure.

func targetsCmd(eng Backend, snap *platform.Snapshot) tea.Cmd {
	if eng == nil || snap == nil {
		return nil
	}
	seq := snap.Seq
	return func() tea.Msg { return targetsMsg{seq: seq, targets: eng.Targets(snap)} }
}

func (m *Model) nodesCmd() tea.Cmd {
	if m.eng == nil {
		return nil
	}
	eng, ctx := m.eng, m.ctx
	m.busy = "reading what is requested on the nodes…"
	return func() tea.Msg {
		r, err := eng.Nodes(ctx)
		return nodesMsg{report: r, err: err}
	}
}

func planCmd(ctx context.Context, eng Backend, changes []scale.Change) tea.Cmd {
	return func() tea.Msg {
		p, err := eng.Plan(ctx, changes)
		return planMsg{plan: p, err: err}
	}
}

func planStorageCmd(ctx context.Context, eng Backend, change scale.StorageChange, template bool) tea.Cmd {
	return func() tea.Msg {
		plan := eng.PlanStorage
		if template {
			plan = eng.PlanStorageTemplate
		}
		p, err := plan(ctx, change)
		return planMsg{plan: p, err: err}
	}
}

func preflightCmd(ctx context.Context, eng Backend, id string) tea.Cmd {
	return func() tea.Msg {
		pf, err := eng.Preflight(ctx, id)
		return preflightMsg{planID: id, pf: pf, err: err}
	}
}

func dryRunCmd(ctx context.Context, eng Backend, id string) tea.Cmd {
	return func() tea.Msg {
		r, err := eng.DryRun(ctx, id)
		return dryRunMsg{planID: id, results: r, err: err}
	}
}

func applyCmd(ctx context.Context, eng Backend, id, confirm string) tea.Cmd {
	return func() tea.Msg {
		ch, err := eng.Apply(ctx, id, confirm)
		return applyMsg{planID: id, events: ch, err: err}
	}
}

func overrideCmd(ctx context.Context, eng Backend, id, refusal, phrase string) tea.Cmd {
	return func() tea.Msg {
		p, err := eng.Override(ctx, id, refusal, phrase)
		return overrideMsg{planID: id, plan: p, err: err}
	}
}

// waitEventCmd blocks on one event; Update re-arms it after each.
func waitEventCmd(id string, ch <-chan scale.Event) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ev, ok := <-ch
		return eventMsg{planID: id, ev: ev, closed: !ok}
	}
}

// revertCmd asks the engine for the revert plan; it arrives as any plan.
func revertCmd(ctx context.Context, eng Backend, id string) tea.Cmd {
	return func() tea.Msg {
		p, err := eng.RevertPlan(ctx, id)
		return planMsg{plan: p, err: err}
	}
}

func stopCmd(ctx context.Context, eng Backend, id string) tea.Cmd {
	return func() tea.Msg { return stopMsg{err: eng.StopAfterStep(ctx, id)} }
}

func cancelCmd(ctx context.Context, eng Backend, id, what string) tea.Cmd {
	return func() tea.Msg {
		if err := eng.Cancel(ctx, id, what); err != nil {
			return pane.ErrMsg{Err: fmt.Errorf("scale: audit: %w", err)}
		}
		return nil
	}
}

func auditCmd(eng Backend) tea.Cmd {
	if eng == nil {
		return nil
	}
	return func() tea.Msg {
		recs, err := eng.Audit(500)
		return auditMsg{recs: recs, err: err}
	}
}

func errCmd(what string, err error) tea.Cmd {
	e := fmt.Errorf("%s: %w", what, err)
	return func() tea.Msg { return pane.ErrMsg{Err: e} }
}

// setEdit keeps a target's new value, or forgets it when it is the
// current one.
func (m *Model) setEdit(t scale.Target, v string) {
	if v == t.Current {
		delete(m.edits, t.ID())
		return
	}
	m.edits[t.ID()] = v
}

// onValueKey handles the value typed for the selected target: junk is one
// line and clears the input, the changes stay as they were.
func (m Model) onValueKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g := m.deps.Keys.Global
	switch {
	case key.Matches(msg, g.Back):
		m.typing, m.err = false, ""
		m.value.Blur()
	case key.Matches(msg, g.Select):
		rows := targetRows(m.targets, m.level, m.edits)
		if m.cursor >= len(rows) {
			m.typing = false
			break
		}
		t := rows[m.cursor].target
		v, err := scale.CheckValue(t, m.value.Value())
		if err != nil {
			m.err = err.Error()
			m.value.Reset()
			return m, nil
		}
		m.typing, m.err = false, ""
		m.value.Blur()
		m.setEdit(t, v)
	default:
		var cmd tea.Cmd
		m.value, cmd = m.value.Update(msg)
		return m, cmd
	}
	m.updateKeys()
	return m, nil
}

// onPhraseKey handles the override phrase: the engine judges it (and
// audits every attempt); esc goes back to the plan.
func (m Model) onPhraseKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g := m.deps.Keys.Global
	switch {
	case key.Matches(msg, g.Back):
		m.mode, m.err = modePlan, ""
		m.phrase.Blur()
		m.updateKeys()
		return m, nil
	case key.Matches(msg, g.Select):
		if m.busy != "" {
			return m, nil
		}
		m.busy = "recording the override…"
		return m, overrideCmd(m.ctx, m.eng, m.plan.ID, m.overriding.ID, m.phrase.Value())
	default:
		var cmd tea.Cmd
		m.phrase, cmd = m.phrase.Update(msg)
		return m, cmd
	}
}

// onOverride takes the engine's answer: a wrong phrase is one line and an
// empty input; an accepted one shows the plan, checked again.
func (m Model) onOverride(msg overrideMsg) (Model, tea.Cmd) {
	if m.plan == nil || msg.planID != m.plan.ID {
		return m, nil
	}
	m.busy = ""
	if msg.err != nil {
		m.phrase.Reset()
		if errors.Is(msg.err, scale.ErrOverridePhrase) {
			m.err = fmt.Sprintf("not overridden: type %q exactly", m.overriding.Phrase)
			return m, nil
		}
		m.mode = modePlan
		m.phrase.Blur()
		return m.fail("override", msg.err)
	}
	p := msg.plan
	m.plan, m.preflight, m.dry, m.err = &p, nil, nil, ""
	m.mode = modePlan
	m.phrase.Blur()
	m.busy = "running the preflight…"
	m.updateKeys()
	return m, tea.Batch(pane.Status(fmt.Sprintf("%s: override of step %d recorded in the audit log", m.title(), m.overriding.Step)), preflightCmd(m.ctx, m.eng, p.ID))
}

// SelectedObject is the selected claim in the storage view, or the
// custom resource of the selected target (none at the Kubernetes level,
// whose rows are nodes' capacity).
func (m Model) SelectedObject() (object.Ref, bool) {
	if m.storage {
		if m.snap == nil || m.claimCursor >= len(m.snap.Claims) {
			return object.Ref{}, false
		}
		c := m.snap.Claims[m.claimCursor]
		return object.Ref{Version: "v1", Kind: "PersistentVolumeClaim", Namespace: c.Namespace, Name: c.Name}, true
	}
	rows := targetRows(m.targets, m.level, m.edits)
	if m.cursor >= len(rows) || rows[m.cursor].target.Resource == "" {
		return object.Ref{}, false
	}
	t := rows[m.cursor].target
	return object.Ref{Kind: t.Resource, Namespace: t.Namespace, Name: t.Cluster}, true
}
