package scale

import (
	"context"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
)

// stuckProgress is what the engine reports for the stuck-member scenario's
// segment store: the kubelet's readiness-probe event, and the operator's
// PodsReady.
var stuckProgress = scale.Progress{Expect: 4, Desired: 4, Members: 4, Ready: 3, On: scale.WaitingPods,
	Waiting: []string{"pravega-pravega-segment-store-3 not ready"},
	Stuck: []scale.MemberWait{{Namespace: "pravega", Pod: "pravega-pravega-segment-store-3", Container: "pravega-segmentstore", State: "not ready",
		Reasons: []string{`Unhealthy: Readiness probe failed: Get "http://10.244.1.17:8080/ready": dial tcp 10.244.1.17:8080: connect: connection refused (×12)`}}},
	Operator: "operator: PodsReady=False"}

// stuck is a run whose second step waits on the stuck member.
func stuck(m Model, plan scale.Plan) Model {
	m = running(m, plan)
	m, _ = m.Update(eventMsg{planID: plan.ID, ev: scale.Event{Kind: scale.StepProgress, Step: 2, Plan: plan.ID, Progress: stuckProgress}})
	return m
}

func TestGoldenStuckStep(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	down := func(n int) []tea.Msg { return slices.Repeat([]tea.Msg{keymap.Press(g.Down)}, n) }
	seq := slices.Concat[[]tea.Msg]
	one := func(b ...tea.Msg) []tea.Msg { return b }
	plan := seq(down(1), one(keymap.Press(k.Increase), keymap.Press(k.Increase)), down(1), one(keymap.Press(k.Increase), keymap.Press(k.Plan), keymap.Press(k.DryRun)))
	runGoldens(t, w, []goldenView{
		{"stuck", plan, func(m Model) Model { return stuck(m, *m.plan) }},
		{"stuck-timed-out", plan, func(m Model) Model {
			m = stuck(m, *m.plan)
			p := stuckProgress
			out := &scale.Outcome{State: scale.TimedOut, FailedStep: 2, Done: []int{1},
				Message: "step 2 (SegmentStore pravega 3→4) did not converge within 10m0s: 3/4 ready, 4 member(s), spec 4; waiting for pravega-pravega-segment-store-3 not ready. Why: pravega-pravega-segment-store-3 not ready (Unhealthy: Readiness probe failed: connection refused (×12)); operator: PodsReady=False. The patch stays applied and the operator keeps working on it; no later step was started."}
			m, _ = m.Update(eventMsg{planID: m.plan.ID, ev: scale.Event{Kind: scale.StepFailed, Step: 2, Progress: p, Message: "timed out: " + p.String()}})
			m, _ = m.Update(eventMsg{planID: m.plan.ID, ev: scale.Event{Kind: scale.Finished, Outcome: out}})
			return m
		}},
		{"quit-question", plan, func(m Model) Model {
			m = stuck(m, *m.plan)
			m, _ = m.Update(pane.StopMsg{})
			return m
		}},
	})
}

// TestConvergingRunShowsNoReason: a step whose members come up as
// expected shows no reasons and offers no logs key.
func TestConvergingRunShowsNoReason(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	m := newWizard(t, w, 160, 45, false)
	m = run(t, m, keymap.Press(km.Global.Down), keymap.Press(km.Scale.Increase), keymap.Press(km.Global.Down), keymap.Press(km.Scale.Increase),
		keymap.Press(km.Scale.Plan), keymap.Press(km.Scale.DryRun))
	m = running(m, *m.plan)
	out := ansi.Strip(m.View())
	if strings.Contains(out, "waits on") || strings.Contains(out, "logs of") || m.keys.Logs.Enabled() {
		t.Errorf("a converging step explains itself:\n%s", out)
	}
	if _, cmd := m.Update(keymap.Press(km.Scale.Logs)); cmd != nil {
		if msg, ok := cmd().(pane.OpenLogsMsg); ok {
			t.Errorf("logs key without a waiting pod opened %#v", msg)
		}
	}
}

// revertingEngine records the plans asked to be reverted and answers with
// a real plan of the engine.
type revertingEngine struct {
	fixedPath
	asked *[]string
}

func (e revertingEngine) RevertPlan(ctx context.Context, id string) (scale.Plan, error) {
	*e.asked = append(*e.asked, id)
	return e.Plan(ctx, []scale.Change{{Key: "pravega/pravega/SegmentStore", Field: scale.Replicas, To: "2"}})
}

// TestStuckStepKeys: on a stuck step, the logs key opens the waiting pod's
// logs and the revert key shows the revert plan, checked by a new
// preflight, for its own dry run and confirmation.
func TestStuckStepKeys(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	var asked []string
	m := New(w.ctx, pane.Deps{Styles: newWizard(t, w, 1, 1, false).deps.Styles, Keys: km, Clock: w.fc, Guard: w.guard},
		revertingEngine{fixedPath: fixedPath{w.engine(t)}, asked: &asked})
	m.SetSize(160, 45)
	m = run(t, m, pane.SnapshotMsg{Snapshot: w.snap}, keymap.Press(km.Global.Down), keymap.Press(km.Scale.Increase), keymap.Press(km.Global.Down),
		keymap.Press(km.Scale.Increase), keymap.Press(km.Scale.Plan), keymap.Press(km.Scale.DryRun))
	first := m.plan.ID
	m = stuck(m, *m.plan)
	if !m.keys.Logs.Enabled() || !m.keys.Revert.Enabled() {
		t.Fatalf("logs %v revert %v", m.keys.Logs.Enabled(), m.keys.Revert.Enabled())
	}
	_, cmd := m.Update(keymap.Press(km.Scale.Logs))
	if cmd == nil {
		t.Fatal("logs key did nothing")
	}
	open, ok := cmd().(pane.OpenLogsMsg)
	if !ok || len(open.Targets) != 1 || open.Targets[0] != (pane.LogTarget{Namespace: "pravega", Pod: "pravega-pravega-segment-store-3", Container: "pravega-segmentstore"}) {
		t.Fatalf("logs key: %#v", open)
	}
	m = run(t, m, keymap.Press(km.Scale.Revert))
	if !slices.Equal(asked, []string{first}) {
		t.Fatalf("reverted %q, want %s", asked, first)
	}
	if m.mode != modePlan || m.plan.ID == first || m.preflight == nil || m.dry != nil || m.keys.Apply.Enabled() {
		t.Errorf("revert plan: mode %d plan %s preflight %v dry %v apply %v", m.mode, m.plan.ID, m.preflight != nil, m.dry, m.keys.Apply.Enabled())
	}
	if m.Running() {
		t.Error("still running after the revert was planned")
	}
}

// TestQuitWhileRunningAsksOnce: the root's quit key asks (and says what a
// second one does); any answer withdraws the question.
func TestQuitWhileRunningAsksOnce(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	m := newWizard(t, w, 160, 45, false)
	m = run(t, m, keymap.Press(km.Global.Down), keymap.Press(km.Scale.Increase), keymap.Press(km.Global.Down), keymap.Press(km.Scale.Increase),
		keymap.Press(km.Scale.Plan), keymap.Press(km.Scale.DryRun))
	m = stuck(m, *m.plan)
	m, _ = m.Update(pane.StopMsg{})
	if !m.Capturing() || !strings.Contains(ansi.Strip(m.View()), "q again: quit (audit log records it)") {
		t.Fatalf("no quit question:\n%s", ansi.Strip(m.View()))
	}
	m, _ = m.Update(pane.StopMsg{}) // the root quits on the second; the pane keeps asking
	if !m.quitAsked {
		t.Error("a second quit withdrew the question")
	}
	m, _ = m.Update(keymap.PressString("n"))
	if m.Capturing() || m.quitAsked || strings.Contains(ansi.Strip(m.View()), "q again") {
		t.Error("n did not withdraw the question")
	}
}
