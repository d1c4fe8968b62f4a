package scale

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/watch"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// follow feeds msgs and executes every Cmd to its end, including the
// blocking waits for apply events, until the plan is done.
func follow(t *testing.T, ctx context.Context, m Model, msgs ...tea.Msg) Model {
	t.Helper()
	queue := append([]tea.Msg(nil), msgs...)
	for len(queue) > 0 {
		if ctx.Err() != nil {
			t.Fatal("plan did not finish")
		}
		msg := queue[0]
		queue = queue[1:]
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		queue = append(resultsWithin(cmd, 0), queue...)
	}
	return m
}

// TestApplyThroughTheWizard drives a whole scale-out of the running demo
// through the key map: change, plan (preflight runs), dry run, apply,
// type the name, watch it converge, read the verdict and the audit log.
func TestApplyThroughTheWizard(t *testing.T) {
	ctx, m, _ := liveWizard(t)
	km := keymap.Default()
	g, k := km.Global, km.Scale
	// ZooKeeper 3→5 (one press: odd size to odd size) and controllers 2→3
	m = run(t, m, keymap.Press(k.Increase), keymap.Press(g.Down), keymap.Press(g.Down), keymap.Press(g.Down),
		keymap.Press(k.Increase), keymap.Press(k.Plan))
	if m.preflight == nil || !m.preflight.Passed() {
		t.Fatalf("preflight: %+v", m.preflight)
	}
	if m.keys.Apply.Enabled() {
		t.Error("apply is offered before the dry run")
	}
	m = run(t, m, keymap.Press(k.DryRun))
	if !m.keys.Apply.Enabled() {
		t.Fatalf("apply not offered after a passing dry run: %+v", m.dry)
	}
	m = run(t, m, keymap.Press(k.Apply))
	if !m.Capturing() {
		t.Fatal("the confirmation must have the keyboard")
	}
	// A wrong name does not apply.
	m = run(t, m, append(typeText("zoo"), keymap.Press(g.Select))...)
	if m.mode != modeConfirm || !strings.Contains(m.err, `type "pravega" exactly`) {
		t.Fatalf("mode %d err %q", m.mode, m.err)
	}
	if m.confirm.Value() != "" {
		t.Fatalf("a wrong confirmation stays in the input: %q", m.confirm.Value())
	}
	m = follow(t, ctx, m, append(typeText("pravega"), keymap.Press(g.Select))...)
	if m.mode != modeDone || m.outcome == nil || m.outcome.State != scale.Completed {
		t.Fatalf("mode %d outcome %+v", m.mode, m.outcome)
	}
	out := ansi.Strip(m.View())
	for _, want := range []string{"✓ 1. ZooKeeper zookeeper 3→5", "✓ 2. Controller pravega 2→3", "Result: completed", "✓ healthy"} {
		if !strings.Contains(out, want) {
			t.Errorf("view lacks %q:\n%s", want, out)
		}
	}
	m = run(t, m, keymap.Press(k.Audit))
	out = ansi.Strip(m.View())
	for _, want := range []string{"confirm", "patch      step 1 applied · ZookeeperCluster pravega/zookeeper", "spec.replicas: 3 → 5", "post-check", "finished"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit view lacks %q:\n%s", want, out)
		}
	}
}

// fakeBackend records the stop request.
type fakeBackend struct {
	Backend
	stopped string
}

func (f *fakeBackend) StopAfterStep(_ context.Context, id string) error {
	f.stopped = id
	return nil
}
func (f *fakeBackend) StepTimeout() time.Duration                   { return time.Minute }
func (f *fakeBackend) Cancel(context.Context, string, string) error { return nil }
func (f *fakeBackend) Targets(*platform.Snapshot) []scale.Target {
	return fixtureTargets
}

func TestStopAsksBeforeStopping(t *testing.T) {
	fb := &fakeBackend{}
	km := keymap.Default()
	m := New(context.Background(), pane.Deps{Styles: themes.New(themes.Mono), Keys: km, Clock: clocktesting.NewFakeClock(time.Now())}, fb)
	m.SetSize(80, 21)
	plan := scale.Plan{ID: "p1", Confirm: "bookkeeper", Steps: []scale.Step{{N: 1, Kind: platform.BookKeeper, Cluster: "bookkeeper",
		Diffs: []scale.Diff{{Field: scale.Replicas, From: "3", To: "4"}}}}}
	m.plan, m.mode, m.snap = &plan, modePlan, &platform.Snapshot{Seq: 1}
	m = running(m, scale.Plan{ID: "p1", Steps: append(plan.Steps, plan.Steps[0])})
	for _, stop := range []tea.Msg{keymap.Press(km.Scale.Stop), keymap.Press(km.Global.Back), keymap.PressString("ctrl+c")} {
		m, _ = m.Update(stop)
		if !m.askStop || !m.Capturing() {
			t.Fatalf("%v: no question asked", stop)
		}
		m, _ = m.Update(keymap.PressString("n"))
		if m.askStop || fb.stopped != "" {
			t.Fatalf("%v: answering no stopped the plan", stop)
		}
	}
	m, _ = m.Update(keymap.Press(km.Scale.Stop))
	m = run(t, m, keymap.PressString("y"))
	if fb.stopped != "p1" || !m.stopAsked || m.keys.Stop.Enabled() {
		t.Errorf("stop %q asked %v", fb.stopped, m.stopAsked)
	}
	if !strings.Contains(ansi.Strip(m.View()), "stopping after the current step") {
		t.Error("the view does not say the plan will stop")
	}
}

func TestLateAnswersForAnotherPlanAreIgnored(t *testing.T) {
	fb := &fakeBackend{}
	m := New(context.Background(), pane.Deps{Styles: themes.New(themes.Mono), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(time.Now())}, fb)
	plan := scale.Plan{ID: "new"}
	m.plan, m.mode = &plan, modePlan
	m, _ = m.Update(preflightMsg{planID: "old", err: errors.New("stale")})
	m, _ = m.Update(dryRunMsg{planID: "old", results: []scale.DryRunResult{{Step: 1, OK: true}}})
	if m.err != "" || m.dry != nil {
		t.Errorf("a stale answer changed the wizard: err %q dry %v", m.err, m.dry)
	}
}

// liveWizard is the scale pane at 120x40 on the running demo (fast, seeded)
// once every component is ready, with its engine, watcher and audit log; it
// returns the context the test must finish within and the watcher.
func liveWizard(t *testing.T) (context.Context, Model, *watch.Watcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	p := demo.New(demo.Options{Seed: 1, Interval: 10 * time.Millisecond, Speed: 40})
	go func() { _ = p.Run(ctx) }()
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Coalesce: 10 * time.Millisecond})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sub := w.Subscribe(ctx)
	var snap *platform.Snapshot
	for snap == nil {
		s := <-sub
		ok := s != nil && len(s.Components) == 8
		for _, c := range s.Components {
			ok = ok && c.Health == platform.Ready
		}
		if ok {
			snap = s
		}
	}
	log, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	eng, err := scale.New(scale.Config{Clients: p.Clients(), Scope: p.Scope(), Source: w, Audit: log, StepTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := New(ctx, pane.Deps{Styles: themes.New(themes.Mono), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(time.Now())}, eng)
	m.SetSize(120, 40)
	return ctx, run(t, m, pane.SnapshotMsg{Snapshot: snap}), w
}
