package scale

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/platform"
)

var tmKey = key(platform.FlinkTaskManager, flinkRef)

func tm(f Field, to string) Change { return Change{Key: tmKey, Field: f, To: to} }

// flinkObj is the fixture's FlinkDeployment, to edit before planning.
func flinkObj(objs objects) *unstructured.Unstructured {
	return objs[flinkRef.Resource+"/"+flinkRef.Namespace+"/"+flinkRef.Name]
}

func TestFlinkIdleSlots(t *testing.T) {
	tests := []struct {
		name    string
		changes []Change
		edit    func(u *unstructured.Unstructured)
		warn    string // "" when no idle-slots warning is wanted
		suggest string // the parallelism suggested, "" for none
	}{
		{name: "TaskManagers 3→5 at parallelism 6 on 6 slots", changes: []Change{tm(Replicas, "5")},
			warn: "4 of 10 slots would sit idle: job parallelism 6 uses only 6 of 5 TaskManager(s) × 2 slots", suggest: "10"},
		{name: "more slots per TaskManager", changes: []Change{tm(TaskSlots, "3")}, warn: "3 of 9 slots would sit idle", suggest: "9"},
		{name: "parallelism raised with them uses the slots", changes: []Change{tm(Replicas, "5"), tm(Parallelism, "10")}},
		{name: "parallelism raised but not enough", changes: []Change{tm(Replicas, "5"), tm(Parallelism, "8")}, warn: "2 of 10 slots would sit idle", suggest: "10"},
		{name: "a job that already had idle slots", changes: []Change{tm(Replicas, "4")},
			edit: func(u *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(u.Object, int64(4), "spec", "job", "parallelism")
			},
			warn: "4 of 8 slots would sit idle", suggest: "8"},
		{name: "replicas unset follow a raised parallelism", changes: []Change{tm(Parallelism, "7")},
			edit: func(u *unstructured.Unstructured) {
				unstructured.RemoveNestedField(u.Object, "spec", "taskManager", "replicas")
			}},
		{name: "resources add no slots", changes: []Change{tm(TaskManagerMemory, "8192m")}},
		{name: "reactive mode uses every slot", changes: []Change{tm(Replicas, "5")}, edit: func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "standalone", "spec", "mode")
			_ = unstructured.SetNestedField(u.Object, "reactive", "spec", "flinkConfiguration", "scheduler-mode")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			if tt.edit != nil {
				tt.edit(flinkObj(objs))
			}
			plan, err := BuildPlan(snap, objs, tt.changes, "p", now)
			if err != nil {
				t.Fatal(err)
			}
			warns := strings.Join(plan.Steps[0].Warnings, "\n")
			if tt.warn == "" && strings.Contains(warns, "idle") || tt.warn != "" && !strings.Contains(warns, tt.warn) {
				t.Errorf("warnings %q, want %q", warns, tt.warn)
			}
			switch {
			case tt.suggest == "" && len(plan.Suggestions) > 0:
				t.Errorf("suggestions %+v, want none", plan.Suggestions)
			case tt.suggest != "" && (len(plan.Suggestions) != 1 || plan.Suggestions[0].Change != tm(Parallelism, tt.suggest) || plan.Suggestions[0].Step != 1):
				t.Errorf("suggestions %+v, want parallelism %s on step 1", plan.Suggestions, tt.suggest)
			}
			if len(plan.Refusals) > 0 {
				t.Errorf("refusals %+v", plan.Refusals)
			}
		})
	}
}

// TestFlinkSuggestionAddsParallelism: planning again with the suggested
// change puts the parallelism into the same step, and the slots are used.
func TestFlinkSuggestionAddsParallelism(t *testing.T) {
	snap, objs := platformFixture()
	changes := []Change{tm(Replicas, "5")}
	plan, err := BuildPlan(snap, objs, changes, "p", now)
	if err != nil || len(plan.Suggestions) != 1 {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	again, err := BuildPlan(snap, objs, append(changes, plan.Suggestions[0].Change), "p2", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Steps) != 1 {
		t.Fatalf("%d steps, want the one FlinkDeployment step", len(again.Steps))
	}
	s := again.Steps[0]
	if got := s.Title(); got != "TaskManager sensors 3→5, job parallelism 6→10" {
		t.Errorf("title %q", got)
	}
	if len(s.Diffs) != 2 || s.Diffs[1].PathString() != "spec.job.parallelism" || s.Diffs[1].To != "10" {
		t.Errorf("diffs %+v", s.Diffs)
	}
	if len(again.Suggestions) != 0 || strings.Contains(strings.Join(s.Warnings, " "), "idle") {
		t.Errorf("still suggests %+v, warnings %q", again.Suggestions, s.Warnings)
	}
}

func TestFlinkTooFewSlotsRefused(t *testing.T) {
	tests := []struct {
		name    string
		changes []Change
		reason  string // "" when nothing is refused
		safe    string
	}{
		{name: "TaskManagers 3→2 at parallelism 6", changes: []Change{tm(Replicas, "2")},
			reason: "job parallelism 6 needs 6 slots; 2 TaskManager(s) × 2 slots give 4: the job cannot be scheduled",
			safe:   "at least 3 TaskManager(s) at 2 slots each, or job parallelism at most 4"},
		{name: "parallelism above the slots", changes: []Change{tm(Parallelism, "8")},
			reason: "job parallelism 8 needs 8 slots; 3 TaskManager(s) × 2 slots give 6", safe: "at least 4 TaskManager(s) at 2 slots each, or job parallelism at most 6"},
		{name: "fewer slots per TaskManager", changes: []Change{tm(TaskSlots, "1")},
			reason: "3 TaskManager(s) × 1 slots give 3", safe: "at least 6 TaskManager(s) at 1 slots each"},
		{name: "scale-down with the parallelism lowered", changes: []Change{tm(Replicas, "2"), tm(Parallelism, "4")}},
		{name: "more slots let fewer TaskManagers fit", changes: []Change{tm(Replicas, "2"), tm(TaskSlots, "3")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			plan, err := BuildPlan(snap, objs, tt.changes, "p", now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason == "" {
				if len(plan.Refusals) > 0 {
					t.Errorf("refused: %+v", plan.Refusals)
				}
				return
			}
			if len(plan.Refusals) != 1 {
				t.Fatalf("refusals %+v, want one", plan.Refusals)
			}
			r := plan.Refusals[0]
			if r.ID != "flink-slots#1" || r.Phrase != "" || !strings.Contains(r.Reason, tt.reason) || !strings.Contains(r.Safe, tt.safe) {
				t.Errorf("refusal %+v, want %q; safe %q", r, tt.reason, tt.safe)
			}
			if _, ok := plan.NextOverride(); ok {
				t.Error("an unschedulable job can be overridden")
			}
		})
	}
}

func TestFlinkRestartLine(t *testing.T) {
	tests := []struct {
		name       string
		mode       string // spec.job.upgradeMode, "" unset
		state      string // status.jobStatus.state
		suspended  bool   // spec.job.state suspended
		standalone bool   // reactive standalone
		session    bool   // no spec.job
		changes    []Change
		from       RestartFrom
		line       string
	}{
		{name: "stateless loses the state", mode: "stateless", state: "RUNNING", from: FromNothing,
			line: "job restarts from nothing: the operator stops the job and redeploys it with every TaskManager and the job's state is lost (upgradeMode stateless)"},
		{name: "unset is stateless", state: "RUNNING", from: FromNothing, line: "upgradeMode unset: the operator's default, stateless"},
		{name: "last-state", mode: "last-state", state: "FAILING", from: FromCheckpoint, line: "job restarts from its last checkpoint (HA metadata)"},
		{name: "savepoint of a running job", mode: "savepoint", state: "RUNNING", from: FromSavepoint,
			line: "job restarts from a savepoint: the operator stops the job with a savepoint"},
		{name: "savepoint of a failing job falls back", mode: "savepoint", state: "FAILING", from: FromCheckpoint,
			line: "it is FAILING and a savepoint needs a running job (upgradeMode savepoint falls back to last-state)"},
		{name: "savepoint, state unknown", mode: "savepoint", from: FromSavepoint, line: "job state unknown"},
		{name: "suspended job", mode: "savepoint", state: "SUSPENDED", suspended: true, from: NoRestart, line: "no restart now: the job is suspended"},
		{name: "reactive replicas", mode: "savepoint", state: "RUNNING", standalone: true, from: NoRestart, line: "standalone reactive mode"},
		{name: "reactive still redeploys for resources", mode: "savepoint", state: "RUNNING", standalone: true,
			changes: []Change{tm(TaskManagerCPU, "4")}, from: FromSavepoint, line: "job restarts from a savepoint"},
		{name: "session cluster", session: true, from: NoRestart, line: "session cluster: the operator redeploys it"},
		{name: "unknown mode", mode: "upgrade-please", state: "RUNNING", from: RestartUnknown, line: `upgradeMode "upgrade-please" is none of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			u := flinkObj(objs)
			if tt.mode == "" {
				unstructured.RemoveNestedField(u.Object, "spec", "job", "upgradeMode")
			} else {
				_ = unstructured.SetNestedField(u.Object, tt.mode, "spec", "job", "upgradeMode")
			}
			if tt.state != "" {
				_ = unstructured.SetNestedField(u.Object, tt.state, "status", "jobStatus", "state")
			}
			if tt.suspended {
				_ = unstructured.SetNestedField(u.Object, "suspended", "spec", "job", "state")
			}
			if tt.standalone {
				_ = unstructured.SetNestedField(u.Object, "standalone", "spec", "mode")
				_ = unstructured.SetNestedField(u.Object, "reactive", "spec", "flinkConfiguration", "scheduler-mode")
			}
			if tt.session {
				unstructured.RemoveNestedField(u.Object, "spec", "job")
			}
			changes := tt.changes
			if changes == nil {
				changes = []Change{tm(Replicas, "4")}
			}
			plan, err := BuildPlan(snap, objs, changes, "p", now)
			if err != nil {
				t.Fatal(err)
			}
			r := plan.Steps[0].Restart
			if r.From != tt.from || !strings.Contains(r.Line, tt.line) {
				t.Errorf("restart %+v, want %d %q", r, tt.from, tt.line)
			}
			if r.LosesState() != (tt.from == FromNothing || tt.from == RestartUnknown) {
				t.Errorf("loses state %v", r.LosesState())
			}
			if w := strings.Join(plan.Warnings(), "\n"); !strings.Contains(w, "step 1: "+r.Line) {
				t.Errorf("plan warnings %q lack the restart line", w)
			}
		})
	}
	// stream-store steps have no restart line
	snap, objs := platformFixture()
	plan, err := BuildPlan(snap, objs, []Change{bookies5}, "p", now)
	if err != nil || plan.Steps[0].Restart != (Restart{}) {
		t.Errorf("bookie step restart %+v, %v", plan.Steps[0].Restart, err)
	}
}
