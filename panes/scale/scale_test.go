package scale

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/backend/watch"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

var epoch = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	time.Local = time.UTC // the audit view shows local times
	os.Exit(m.Run())
}

// fixedPath shows a stable audit path in goldens.
type fixedPath struct{ *scale.Engine }

func (fixedPath) AuditPath() string { return "~/.local/state/streamops/audit.jsonl" }

type world struct {
	ctx   context.Context
	fc    *clocktesting.FakeClock
	p     *demo.Platform
	w     *watch.Watcher
	snap  *platform.Snapshot
	guard *guard.Switch // the console's read-only switch, shared by engine and pane
	usage *usage.Report // what the engine and the pane know of usage (nil: no monitor)
}

// fixedUsage is a usage monitor that always has the same report.
type fixedUsage struct{ r *usage.Report }

func (f fixedUsage) Latest() *usage.Report { return f.r }

// settledDemo is the demo platform settled on a frozen clock, its
// snapshot, and an engine over it.
func settledDemo(t *testing.T, readOnly bool, scenarios ...string) *world {
	t.Helper()
	return settledDemoWith(t, readOnly, nil, scenarios...)
}

// settledDemoWith is settledDemo with prepare run on the platform before it
// settles (e.g. a fourth bookie asked for).
func settledDemoWith(t *testing.T, readOnly bool, prepare func(context.Context, *demo.Platform) error, scenarios ...string) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	for _, s := range scenarios {
		if err := p.Scenario(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if prepare != nil {
		if err := prepare(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Settle(ctx, fc, 300); err != nil {
		t.Fatal(err)
	}
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc, Coalesce: 5 * time.Millisecond})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sub := w.Subscribe(ctx)
	var snap *platform.Snapshot
	for snap == nil {
		s := w.Snapshot()
		ready := s.Synced() && len(s.Components) == 8 && len(s.Nodes) == 4
		for _, c := range s.Components {
			ready = ready && c.Health == platform.Ready
		}
		if ready {
			snap = s
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("demo never settled")
		case <-sub:
		}
	}
	return &world{ctx: ctx, fc: fc, p: p, w: w, snap: snap, guard: guard.New(readOnly)}
}

// engine is a new engine over the world, with its own audit log.
func (w *world) engine(t *testing.T) *scale.Engine {
	t.Helper()
	log, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	cfg := scale.Config{Clients: w.p.Clients(), Scope: w.p.Scope(), Source: w.w, Audit: log, Clock: w.fc, ReadOnly: w.guard}
	if w.usage != nil {
		cfg.Usage = fixedUsage{w.usage}
	}
	eng, err := scale.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func newWizard(t *testing.T, w *world, width, height int, readOnly bool) Model {
	t.Helper()
	keys := keymap.Default()
	if readOnly {
		w.guard.Set()
		keys.ReadOnly()
	}
	m := New(w.ctx, pane.Deps{Styles: themes.New(themes.Dark), Keys: keys, Clock: w.fc, Guard: w.guard}, fixedPath{w.engine(t)})
	m.SetSize(width, height)
	if w.usage != nil {
		m = run(t, m, pane.UsageMsg{Report: w.usage})
	}
	return run(t, m, pane.SnapshotMsg{Snapshot: w.snap})
}

// run feeds msgs and executes the Cmds they return, feeding their
// results back, as the program would; status and error messages are
// dropped, Cmds that block (events, blinking cursors) are left alone.
func run(t *testing.T, m Model, msgs ...tea.Msg) Model {
	t.Helper()
	queue := append([]tea.Msg(nil), msgs...)
	for len(queue) > 0 {
		msg := queue[0]
		queue = queue[1:]
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		queue = append(results(cmd), queue...) // answers before the next key
	}
	return m
}

func results(cmd tea.Cmd) []tea.Msg { return resultsWithin(cmd, 3*time.Second) }

// resultsWithin runs cmd and keeps the pane's own messages it returns
// within wait (0: however long it takes).
func resultsWithin(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var timeout <-chan time.Time
	if wait > 0 {
		timeout = time.After(wait)
	}
	select {
	case msg := <-done:
		switch msg := msg.(type) {
		case tea.BatchMsg:
			var out []tea.Msg
			for _, c := range msg {
				out = append(out, resultsWithin(c, wait)...)
			}
			return out
		case targetsMsg, nodesMsg, planMsg, preflightMsg, dryRunMsg, applyMsg, auditMsg, stopMsg, eventMsg, overrideMsg:
			return []tea.Msg{msg}
		}
	case <-timeout:
	}
	return nil
}

func typeText(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, keymap.PressString(string(r)))
	}
	return out
}

// canned events of a run, for the views that show one.
func running(m Model, plan scale.Plan) Model {
	ch := make(chan scale.Event)
	now := m.deps.Clock.Now()
	m, _ = m.Update(applyMsg{planID: plan.ID, events: ch})
	evs := []scale.Event{
		{Kind: scale.StepStarted, Step: 1, At: now.Add(-70 * time.Second), Message: plan.Steps[0].Title()},
		{Kind: scale.StepPatched, Step: 1, Message: "patched"},
		{Kind: scale.StepConverged, Step: 1, Message: "5/5 ready in 58s", Progress: scale.Progress{Expect: 5, Desired: 5, Members: 5, Ready: 5}},
		{Kind: scale.StepStarted, Step: 2, At: now.Add(-12 * time.Second), Message: plan.Steps[1].Title()},
		{Kind: scale.StepProgress, Step: 2, Progress: scale.Progress{Expect: 4, Desired: 4, Members: 4, Ready: 3,
			Waiting: []string{"pravega-pravega-segment-store-3 ContainerCreating"}}},
	}
	for _, ev := range evs {
		ev.Plan = plan.ID
		m, _ = m.Update(eventMsg{planID: plan.ID, ev: ev})
	}
	return m
}

func TestGoldenWizard(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	down := func(n int) []tea.Msg { return slices.Repeat([]tea.Msg{keymap.Press(g.Down)}, n) }
	seq := slices.Concat[[]tea.Msg]
	one := func(b ...tea.Msg) []tea.Msg { return b }
	// bookies 3→5 and segment stores 3→4
	plan := seq(down(1), one(keymap.Press(k.Increase), keymap.Press(k.Increase)), down(1), one(keymap.Press(k.Increase), keymap.Press(k.Plan)))
	views := []goldenView{
		{"components", seq(down(1), one(keymap.Press(k.Increase), keymap.Press(k.Increase))), nil},
		{"application", one(keymap.Press(k.Level), keymap.Press(k.Increase)), nil},
		{"kubernetes", one(keymap.Press(k.PrevLevel)), nil},
		{"plan", plan, nil},
		{"plan-dry-run", seq(plan, one(keymap.Press(k.DryRun))), nil},
		{"credentials-fail", seq(down(4), one(keymap.Press(k.Increase), keymap.Press(k.Plan))), nil},
		{"confirm", seq(plan, one(keymap.Press(k.DryRun), keymap.Press(k.Apply)), typeText("prav")), nil},
		{"running", seq(plan, one(keymap.Press(k.DryRun))), func(m Model) Model { return running(m, *m.plan) }},
		{"stop-question", seq(plan, one(keymap.Press(k.DryRun))), func(m Model) Model {
			m = running(m, *m.plan)
			m, _ = m.Update(keymap.Press(k.Stop))
			return m
		}},
		{"timed-out", seq(plan, one(keymap.Press(k.DryRun))), func(m Model) Model {
			m = running(m, *m.plan)
			out := &scale.Outcome{State: scale.TimedOut, FailedStep: 2, Done: []int{1},
				Message: "step 2 (SegmentStore pravega 3→4) did not converge within 10m0s: 3/4 ready, 4 member(s), spec 4; waiting for pravega-pravega-segment-store-3 not ready. The patch stays applied and the operator keeps working on it; no later step was started.",
				Post: &scale.PostCheck{Verdict: scale.Fail, Summary: "unhealthy: 1 member(s) not ready",
					Evidence: []string{"✖ pravega-pravega-segment-store-3 is not ready (Running)"}}}
			m, _ = m.Update(eventMsg{planID: m.plan.ID, ev: scale.Event{Kind: scale.StepFailed, Step: 2, Message: "timed out: 3/4 ready"}})
			m, _ = m.Update(eventMsg{planID: m.plan.ID, ev: scale.Event{Kind: scale.Finished, Outcome: out}})
			return m
		}},
		{"audit", seq(plan, one(keymap.Press(k.DryRun), keymap.Press(k.Audit))), nil},
	}
	runGoldens(t, w, views)
}

func TestGoldenReadOnly(t *testing.T) {
	w := settledDemo(t, true)
	k := keymap.Default().Scale
	for _, size := range goldenSizes {
		t.Run(size.name, func(t *testing.T) {
			m := newWizard(t, w, size.w, size.h, true)
			m = run(t, m, keymap.Press(keymap.Default().Global.Down), keymap.Press(k.Increase), keymap.Press(k.Plan), keymap.Press(k.DryRun), keymap.Press(k.Apply))
			if m.mode != modePlan || m.keys.Apply.Enabled() || m.keys.DryRun.Enabled() {
				t.Errorf("read-only: mode %d, apply enabled %v, dry run enabled %v", m.mode, m.keys.Apply.Enabled(), m.keys.DryRun.Enabled())
			}
			out := ansi.Strip(m.View())
			assertFits(t, out, size.w, size.h)
			golden.RequireEqual(t, out)
		})
	}
}

func TestGoldenShortResources(t *testing.T) {
	w := settledDemo(t, false, demo.ScenarioShortResources)
	km := keymap.Default()
	k := km.Scale
	for _, size := range goldenSizes {
		t.Run(size.name, func(t *testing.T) {
			m := newWizard(t, w, size.w, size.h, false)
			// sensor-aggregation TaskManagers 3→6
			msgs := []tea.Msg{}
			for i := 0; i < 5; i++ {
				msgs = append(msgs, keymap.Press(km.Global.Down))
			}
			msgs = append(msgs, keymap.Press(k.Increase), keymap.Press(k.Increase), keymap.Press(k.Increase), keymap.Press(k.Plan))
			m = run(t, m, msgs...)
			if m.preflight == nil || m.preflight.Passed() {
				t.Fatalf("preflight should fail: %+v", m.preflight)
			}
			out := ansi.Strip(m.View())
			assertFits(t, out, size.w, size.h)
			golden.RequireEqual(t, out)
		})
	}
}

// goldenSizes are the terminal sizes every golden is taken at (the pane's
// share of an 80x24 and a 160x48 terminal).
var goldenSizes = []struct {
	name string
	w, h int
}{{"80x24", 80, 21}, {"160x48", 160, 45}}

// goldenView is one golden of a wizard: the keys that lead to it and what
// is done to the model after them.
type goldenView struct {
	name  string
	keys  []tea.Msg
	after func(Model) Model
}

// runGoldens renders each view at each golden size and compares it with
// its golden file, named view-size.
func runGoldens(t *testing.T, w *world, views []goldenView) {
	t.Helper()
	for _, size := range goldenSizes {
		for _, v := range views {
			t.Run(v.name+"-"+size.name, func(t *testing.T) {
				m := newWizard(t, w, size.w, size.h, false)
				m = run(t, m, v.keys...)
				if v.after != nil {
					m = v.after(m)
				}
				out := ansi.Strip(m.View())
				assertFits(t, out, size.w, size.h)
				golden.RequireEqual(t, out)
			})
		}
	}
}

func assertFits(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide (max %d): %q", i, lw, w, l)
		}
	}
}

// TestGoldenNodesAfterPlan: back at the Kubernetes level with a plan
// checked, the table shows each node once the new members run.
func TestGoldenNodesAfterPlan(t *testing.T) {
	w := settledDemo(t, false)
	w.usage = panetest.UsageReport(t, usage.Config{Metrics: w.p.Metrics(), Summaries: w.p.Summaries(), Scope: w.p.Scope()}, w.fc.Now(), w.snap)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	for _, size := range goldenSizes {
		t.Run(size.name, func(t *testing.T) {
			m := newWizard(t, w, size.w, size.h, false)
			m = run(t, m, keymap.Press(g.Down), keymap.Press(g.Down), keymap.Press(k.Increase), keymap.Press(k.Increase), keymap.Press(k.Plan),
				keymap.Press(g.Back), keymap.Press(k.PrevLevel))
			out := ansi.Strip(m.View())
			assertFits(t, out, size.w, size.h)
			golden.RequireEqual(t, out)
		})
	}
}

// TestGoldenStorage: the storage view and the storage wizard: the claims
// grouped by component, the size input, a refused preflight (a class that
// does not allow expansion; a shrink), the confirmation, the watched step
// and its end.
// TestGoldenStorageFill is the storage view with the demo's kubelets'
// volume fill: the ledger at 91 % marked, the size input starting at the
// size that brings it under 70 %, and the plan naming the fill as the
// reason to grow.
func TestGoldenStorageFill(t *testing.T) {
	w := settledDemo(t, false)
	w.usage = panetest.UsageReport(t, usage.Config{Metrics: w.p.Metrics(), Summaries: w.p.Summaries(), Scope: w.p.Scope()}, w.fc.Now(), w.snap)
	ledger := slices.IndexFunc(w.snap.Claims, func(c platform.Claim) bool { return c.Name == demo.LedgerNearlyFull })
	if ledger < 0 {
		t.Fatalf("no claim %s", demo.LedgerNearlyFull)
	}
	if f, ok := w.usage.Claim(w.snap.Claims[ledger].Key()); !ok || f.Level != usage.FillCritical {
		t.Fatalf("the ledger's fill is %+v", f)
	}
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	to := slices.Concat(one(keymap.Press(k.Storage)), slices.Repeat([]tea.Msg{keymap.Press(g.Down)}, ledger))
	runGoldens(t, w, []goldenView{
		{"list", to, nil},
		{"suggested", slices.Concat(to, one(keymap.Press(g.Select))), nil},
		{"plan", slices.Concat(to, one(keymap.Press(g.Select), keymap.Press(g.Select))), nil},
	})
}

func one(b ...tea.Msg) []tea.Msg { return b }

func TestGoldenStorage(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	down := func(n int) []tea.Msg { return slices.Repeat([]tea.Msg{keymap.Press(g.Down)}, n) }
	seq := slices.Concat[[]tea.Msg]
	storage := one(keymap.Press(k.Storage))
	grow := func(claim int, size string) []tea.Msg {
		return seq(storage, down(claim), one(keymap.Press(g.Select)), typeText(size), one(keymap.Press(g.Select)))
	}
	ledger := seq(grow(3, "80Gi"), one(keymap.Press(k.DryRun)))
	views := []goldenView{
		{"list", seq(storage, down(6)), nil},
		{"size-input", seq(storage, down(3), one(keymap.Press(g.Select)), typeText("80Gi")), nil},
		{"refused-class", seq(grow(6, "20Gi"), one(keymap.Press(k.DryRun))), nil},
		{"refused-shrink", grow(0, "10Gi"), nil},
		{"template", seq(storage, down(3), one(keymap.Press(k.Template)), typeText("80Gi"), one(keymap.Press(g.Select), keymap.Press(k.DryRun))), nil},
		{"confirm", seq(ledger, one(keymap.Press(k.Apply)), typeText("ledger")), nil},
		{"running", ledger, func(m Model) Model {
			ch := make(chan scale.Event)
			now := m.deps.Clock.Now()
			m, _ = m.Update(applyMsg{planID: m.plan.ID, events: ch})
			for _, ev := range []scale.Event{
				{Kind: scale.StepStarted, Step: 1, At: now.Add(-9 * time.Second), Message: m.plan.Steps[0].Title()},
				{Kind: scale.StepPatched, Step: 1, Message: "patched"},
				{Kind: scale.StepProgress, Step: 1, Progress: scale.Progress{Storage: "capacity 50Gi of 80Gi; FileSystemResizePending (NodeResizePending)",
					Note: "the file system grows when the pod using the claim (re)starts"}},
			} {
				ev.Plan = m.plan.ID
				m, _ = m.Update(eventMsg{planID: m.plan.ID, ev: ev})
			}
			return m
		}},
	}
	runGoldens(t, w, views)
}

// TestLevelsCycleInTheOrderShown: → and ← go round Kubernetes,
// Components, Application and Storage as the header shows them (Storage
// was reachable only with s), and g/G move in the target and claim lists.
func TestLevelsCycleInTheOrderShown(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	m := newWizard(t, w, 160, 45, false)
	stop := func(m Model) string {
		if m.storage {
			return "Storage"
		}
		return m.level.String()
	}
	want := []string{"Application", "Storage", "Kubernetes", "Components"}
	for _, w := range want {
		m = run(t, m, keymap.Press(k.Level))
		if got := stop(m); got != w {
			t.Fatalf("→ went to %s, want %s", got, w)
		}
		if !strings.Contains(ansi.Strip(m.View()), "["+w+"]") {
			t.Fatalf("header does not mark [%s]:\n%s", w, ansi.Strip(m.View()))
		}
	}
	for _, w := range []string{"Kubernetes", "Storage", "Application", "Components"} {
		m = run(t, m, keymap.Press(k.PrevLevel))
		if got := stop(m); got != w {
			t.Fatalf("← went to %s, want %s", got, w)
		}
	}
	rows := len(targetRows(m.targets, m.level, m.edits))
	m = run(t, m, keymap.Press(g.Bottom))
	if m.cursor != rows-1 || rows < 3 {
		t.Fatalf("G: cursor %d of %d targets", m.cursor, rows)
	}
	m = run(t, m, keymap.Press(g.Top))
	if m.cursor != 0 {
		t.Fatalf("g: cursor %d", m.cursor)
	}
	m = run(t, m, keymap.Press(k.Storage), keymap.Press(g.Bottom))
	if n := len(m.snap.Claims); m.claimCursor != n-1 || n < 3 {
		t.Fatalf("G in storage: cursor %d of %d claims", m.claimCursor, n)
	}
	m = run(t, m, keymap.Press(g.Top))
	if m.claimCursor != 0 {
		t.Fatalf("g in storage: cursor %d", m.claimCursor)
	}
}

// TestFooterPutsPlanFirstOnceAValueChanged: at 80 columns the footer is
// cut; after + the next key, p plan, must be on it.
func TestFooterPutsPlanFirstOnceAValueChanged(t *testing.T) {
	w := settledDemo(t, false)
	k := paneKeys(keymap.Default())
	m := newWizard(t, w, 80, 21, false)
	m = run(t, m, keymap.Press(k.Increase))
	if h := m.ShortHelp(); len(h) == 0 || h[0].Help().Key != k.Plan.Help().Key {
		t.Fatalf("footer after +: %v", h[0].Help())
	}
}

// TestPreflightIsCheckedAgainWhenTheClusterChanges: the results carry
// their time, and a snapshot after preflightEvery runs them again (they
// did not refresh); a snapshot sooner does not.
func TestPreflightIsCheckedAgainWhenTheClusterChanges(t *testing.T) {
	w := settledDemo(t, false)
	k := paneKeys(keymap.Default())
	m := newWizard(t, w, 160, 45, false)
	m = run(t, m, keymap.Press(keymap.Default().Global.Down), keymap.Press(k.Increase), keymap.Press(k.Plan))
	if m.preflight == nil {
		t.Fatal("no preflight")
	}
	first := m.preflight.At
	if out := ansi.Strip(m.View()); !strings.Contains(out, "Preflight · checked "+first.Local().Format("15:04:05")) {
		t.Fatalf("the preflight has no time:\n%s", out)
	}
	rechecked := func(m Model) bool {
		_, cmd := m.Update(pane.SnapshotMsg{Snapshot: m.snap})
		for _, msg := range results(cmd) {
			if _, ok := msg.(preflightMsg); ok {
				return true
			}
		}
		return false
	}
	w.fc.Step(preflightEvery / 2)
	if rechecked(m) {
		t.Fatal("checked again before preflightEvery")
	}
	w.fc.Step(preflightEvery)
	if !rechecked(m) {
		t.Fatal("a changed cluster did not check the plan again")
	}
}
