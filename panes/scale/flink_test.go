package scale

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/keymap"
)

// sensorTaskManagers moves the cursor to the TaskManagers of the demo's
// sensor job (3 TaskManagers × 2 slots, parallelism 6: the slots pinned)
// and asks for n more (or fewer).
func sensorTaskManagers(t *testing.T, w *world, n int) []tea.Msg {
	t.Helper()
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	row := -1
	for i, r := range targetRows(w.engine(t).Targets(w.snap), scale.ComponentLevel, nil) {
		if r.target.Kind == platform.FlinkTaskManager && r.target.Cluster == demo.SensorJobName {
			row = i
		}
	}
	if row < 0 {
		t.Fatal("no sensor TaskManagers among the demo's targets")
	}
	step := keymap.Press(k.Increase)
	if n < 0 {
		step, n = keymap.Press(k.Decrease), -n
	}
	return slices.Concat(slices.Repeat([]tea.Msg{keymap.Press(g.Down)}, row), slices.Repeat([]tea.Msg{step}, n))
}

// TestFlinkSuggestionThroughTheWizard: TaskManagers 3→5 for the sensor
// job shows the idle slots and the restart line; the suggestion key plans
// again with the parallelism raised, and the warning goes.
func TestFlinkSuggestionThroughTheWizard(t *testing.T) {
	w := settledDemo(t, false)
	k := paneKeys(keymap.Default())
	m := newWizard(t, w, 160, 48, false)
	m = run(t, m, append(sensorTaskManagers(t, w, 2), keymap.Press(k.Plan))...)
	if m.plan == nil || len(m.plan.Suggestions) != 1 || !m.keys.Suggest.Enabled() {
		t.Fatalf("plan %+v, suggest enabled %v", m.plan, m.keys.Suggest.Enabled())
	}
	view := ansi.Strip(m.View())
	for _, want := range []string{"4 of 10 slots would sit idle", "suggested: raise job parallelism 6→10", "↻ job restarts from a savepoint", "u: raise job parallelism 6→10"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	m = run(t, m, keymap.Press(k.Suggest))
	if m.plan == nil || len(m.plan.Steps) != 1 || len(m.plan.Steps[0].Diffs) != 2 {
		t.Fatalf("plan after the suggestion: %+v", m.plan)
	}
	if d := m.plan.Steps[0].Diffs[1]; d.PathString() != "spec.job.parallelism" || d.From != "6" || d.To != "10" {
		t.Errorf("diff %+v", d)
	}
	if len(m.plan.Suggestions) != 0 || m.keys.Suggest.Enabled() {
		t.Errorf("still suggests %+v", m.plan.Suggestions)
	}
	if view := ansi.Strip(m.View()); strings.Contains(view, "idle") || !strings.Contains(view, "job parallelism 6→10") {
		t.Errorf("view after the suggestion:\n%s", view)
	}
	// a plan without a suggestion ignores the key
	before := m.plan.ID
	m = run(t, m, keymap.Press(k.Suggest))
	if m.plan.ID != before {
		t.Error("the suggestion key planned again without a suggestion")
	}
}

// TestGoldenFlink: the idle slots with the suggestion and the restart
// line; the plan once the suggestion is taken; the scale-down below the
// parallelism, refused.
func TestGoldenFlink(t *testing.T) {
	w := settledDemo(t, false)
	k := paneKeys(keymap.Default())
	up := append(sensorTaskManagers(t, w, 2), keymap.Press(k.Plan))
	views := []goldenView{
		{"idle-slots", up, nil},
		{"suggestion-taken", append(slices.Clone(up), keymap.Press(k.Suggest)), nil},
		{"too-few-slots", append(sensorTaskManagers(t, w, -1), keymap.Press(k.Plan)), nil},
	}
	runGoldens(t, w, views)
}

// TestFlinkSuggestionAppliedOnTheDemo: on the running demo, TaskManagers
// 3→5 with the suggestion taken applies as one step that sets both fields
// and converges, the job redeployed on 5 TaskManagers.
func TestFlinkSuggestionAppliedOnTheDemo(t *testing.T) {
	ctx, m, w := liveWizard(t)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	row := -1
	for i, r := range targetRows(m.targets, scale.ComponentLevel, nil) {
		if r.target.Kind == platform.FlinkTaskManager && r.target.Cluster == demo.SensorJobName {
			row = i
		}
	}
	if row < 0 {
		t.Fatal("no sensor TaskManagers")
	}
	msgs := slices.Repeat([]tea.Msg{keymap.Press(g.Down)}, row)
	msgs = append(msgs, keymap.Press(k.Increase), keymap.Press(k.Increase), keymap.Press(k.Plan), keymap.Press(k.Suggest), keymap.Press(k.DryRun))
	m = run(t, m, msgs...)
	if m.plan == nil || len(m.plan.Steps) != 1 || len(m.plan.Steps[0].Diffs) != 2 || !m.keys.Apply.Enabled() {
		t.Fatalf("plan %+v preflight %+v dry %+v", m.plan, m.preflight, m.dry)
	}
	m = run(t, m, keymap.Press(k.Apply))
	m = follow(t, ctx, m, append(typeText(demo.SensorJobName), keymap.Press(g.Select))...)
	if m.outcome == nil || m.outcome.State != scale.Completed {
		t.Fatalf("outcome %+v", m.outcome)
	}
	u, ok := w.Object(schema.GroupVersionResource{Group: "flink.apache.org", Version: "v1beta1", Resource: "flinkdeployments"}, demo.ProjectIoT, demo.SensorJobName)
	if !ok {
		t.Fatal("the FlinkDeployment is gone")
	}
	replicas, _, _ := unstructured.NestedInt64(u.Object, "spec", "taskManager", "replicas")
	parallelism, _, _ := unstructured.NestedInt64(u.Object, "spec", "job", "parallelism")
	if replicas != 5 || parallelism != 10 {
		t.Errorf("spec replicas %d parallelism %d, want 5 and 10", replicas, parallelism)
	}
}
