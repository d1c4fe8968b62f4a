package scale

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamops/streamops/backend/platform"
)

func TestBuildPlanOrdersSteps(t *testing.T) {
	tests := []struct {
		name    string
		changes []Change
		want    []string // step titles in order
		confirm string
	}{
		{
			name: "stream store in the notes' order whatever order the user asked",
			changes: []Change{
				{Key: key(platform.Controller, prRef), Field: Replicas, To: "3"},
				{Key: key(platform.FlinkTaskManager, flinkRef), Field: Replicas, To: "4"},
				{Key: key(platform.SegmentStore, prRef), Field: Replicas, To: "5"},
				{Key: key(platform.BookKeeper, bkRef), Field: Replicas, To: "5"},
				{Key: key(platform.ZooKeeper, zkRef), Field: Replicas, To: "5"},
			},
			want: []string{"ZooKeeper zookeeper 3→5", "BookKeeper bookkeeper 3→5", "SegmentStore pravega 3→5", "Controller pravega 2→3", "TaskManager sensors 3→4"},
			// two namespaces, several resources
			confirm: "scale-5-steps",
		},
		{
			name:    "one resource: confirm with its name",
			changes: []Change{{Key: key(platform.BookKeeper, bkRef), Field: Replicas, To: "4"}},
			want:    []string{"BookKeeper bookkeeper 3→4"},
			confirm: "bookkeeper",
		},
		{
			name: "one namespace, several resources: confirm with the namespace",
			changes: []Change{
				{Key: key(platform.SegmentStore, prRef), Field: Replicas, To: "4"},
				{Key: key(platform.ZooKeeper, zkRef), Field: Replicas, To: "5"},
			},
			want:    []string{"ZooKeeper zookeeper 3→5", "SegmentStore pravega 3→4"},
			confirm: "pravega",
		},
		{
			name: "every Flink change of one deployment is one step",
			changes: []Change{
				{Key: key(platform.FlinkTaskManager, flinkRef), Field: Parallelism, To: "8"},
				{Key: key(platform.FlinkTaskManager, flinkRef), Field: Replicas, To: "4"},
				{Key: key(platform.FlinkTaskManager, flinkRef), Field: TaskManagerCPU, To: "2.5"},
			},
			want:    []string{"TaskManager sensors 3→4, TaskManager CPU 2→2.5, job parallelism 6→8"},
			confirm: "sensors",
		},
		{
			name: "unchanged values are dropped",
			changes: []Change{
				{Key: key(platform.ZooKeeper, zkRef), Field: Replicas, To: "3"},
				{Key: key(platform.FlinkTaskManager, flinkRef), Field: TaskManagerMemory, To: "4g"},
				{Key: key(platform.BookKeeper, bkRef), Field: Replicas, To: "4"},
			},
			want:    []string{"BookKeeper bookkeeper 3→4"},
			confirm: "bookkeeper",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			plan, err := BuildPlan(snap, objs, tt.changes, "p1", now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, s := range plan.Steps {
				got = append(got, s.Title())
				if s.N != i+1 {
					t.Errorf("step %d numbered %d", i+1, s.N)
				}
			}
			if strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
				t.Errorf("steps\n got %q\nwant %q", got, tt.want)
			}
			if plan.Confirm != tt.confirm {
				t.Errorf("confirm %q, want %q", plan.Confirm, tt.confirm)
			}
		})
	}
}

func TestBuildPlanWritesTheFieldsTheOperatorsRead(t *testing.T) {
	snap, objs := platformFixture()
	// A v1alpha1 PravegaCluster runs its own bookies: spec.bookkeeper.replicas.
	objs.add(prV1a1, map[string]any{"bookkeeper": map[string]any{"replicas": int64(3)}}, nil)
	snap.Components = append(snap.Components, comp(platform.BookKeeper, prV1a1, 3, 3))
	tests := []struct {
		change Change
		path   string
		patch  string
	}{
		{Change{Key: key(platform.ZooKeeper, zkRef), Field: Replicas, To: "5"}, "spec.replicas", `{"metadata":{"resourceVersion":"100"},"spec":{"replicas":5}}`},
		{Change{Key: key(platform.BookKeeper, bkRef), Field: Replicas, To: "4"}, "spec.replicas", `{"metadata":{"resourceVersion":"100"},"spec":{"replicas":4}}`},
		{Change{Key: key(platform.BookKeeper, prV1a1), Field: Replicas, To: "4"}, "spec.bookkeeper.replicas", `{"metadata":{"resourceVersion":"100"},"spec":{"bookkeeper":{"replicas":4}}}`},
		{Change{Key: key(platform.SegmentStore, prRef), Field: Replicas, To: "4"}, "spec.pravega.segmentStoreReplicas", `{"metadata":{"resourceVersion":"100"},"spec":{"pravega":{"segmentStoreReplicas":4}}}`},
		{Change{Key: key(platform.Controller, prRef), Field: Replicas, To: "3"}, "spec.pravega.controllerReplicas", `{"metadata":{"resourceVersion":"100"},"spec":{"pravega":{"controllerReplicas":3}}}`},
		{Change{Key: key(platform.FlinkTaskManager, flinkRef), Field: Replicas, To: "4"}, "spec.taskManager.replicas", `{"metadata":{"resourceVersion":"100"},"spec":{"taskManager":{"replicas":4}}}`},
		{Change{Key: key(platform.FlinkTaskManager, flinkRef), Field: TaskManagerCPU, To: "2.5"}, "spec.taskManager.resource.cpu", `{"metadata":{"resourceVersion":"100"},"spec":{"taskManager":{"resource":{"cpu":2.5}}}}`},
		{Change{Key: key(platform.FlinkTaskManager, flinkRef), Field: TaskManagerMemory, To: "5120m"}, "spec.taskManager.resource.memory", `{"metadata":{"resourceVersion":"100"},"spec":{"taskManager":{"resource":{"memory":"5120m"}}}}`},
		{Change{Key: key(platform.FlinkTaskManager, flinkRef), Field: TaskSlots, To: "3"}, "spec.flinkConfiguration.taskmanager.numberOfTaskSlots", `{"metadata":{"resourceVersion":"100"},"spec":{"flinkConfiguration":{"taskmanager.numberOfTaskSlots":"3"}}}`},
		{Change{Key: key(platform.FlinkTaskManager, flinkRef), Field: Parallelism, To: "4"}, "spec.job.parallelism", `{"metadata":{"resourceVersion":"100"},"spec":{"job":{"parallelism":4}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			plan, err := BuildPlan(snap, objs, []Change{tt.change}, "p", now)
			if err != nil {
				t.Fatal(err)
			}
			s := plan.Steps[0]
			if got := s.Diffs[0].PathString(); got != tt.path {
				t.Errorf("path %s, want %s", got, tt.path)
			}
			b, err := s.patch(s.Ref.ResourceVersion)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.patch {
				t.Errorf("patch\n got %s\nwant %s", b, tt.patch)
			}
		})
	}
}

func TestBuildPlanRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change Change
		want   string
	}{
		{"unknown component", Change{Key: "pravega/nope/ZooKeeper", Field: Replicas, To: "3"}, "no such component"},
		{"below the operator's minimum", Change{Key: key(platform.ZooKeeper, zkRef), Field: Replicas, To: "0"}, "at least 1"},
		{"not a number", Change{Key: key(platform.BookKeeper, bkRef), Field: Replicas, To: "many"}, "not a whole number"},
		{"field the component has not", Change{Key: key(platform.ZooKeeper, zkRef), Field: TaskSlots, To: "2"}, "cannot be changed"},
		{"JobManager is not scaled by the wizard", Change{Key: key(platform.FlinkJobManager, flinkRef), Field: Replicas, To: "2"}, "cannot be changed"},
		{"tiny TaskManager memory", Change{Key: key(platform.FlinkTaskManager, flinkRef), Field: TaskManagerMemory, To: "512m"}, "below 1 GiB"},
		{"zero CPU", Change{Key: key(platform.FlinkTaskManager, flinkRef), Field: TaskManagerCPU, To: "0"}, "more than 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			_, err := BuildPlan(snap, objs, []Change{tt.change}, "p", now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
	snap, objs := platformFixture()
	if _, err := BuildPlan(snap, objs, []Change{{Key: key(platform.ZooKeeper, zkRef), Field: Replicas, To: "3"}}, "p", now); !errors.Is(err, ErrNothingToDo) {
		t.Errorf("no-op plan: %v", err)
	}
}

func TestStepWarningsAndProblems(t *testing.T) {
	tests := []struct {
		name     string
		changes  []Change
		warn     string
		problem  string
		redeploy bool
		expect   int
	}{
		{name: "segment store scale-down", changes: []Change{{Key: key(platform.SegmentStore, prRef), Field: Replicas, To: "2"}}, warn: "segment containers move", expect: 2},
		{name: "single controller", changes: []Change{{Key: key(platform.Controller, prRef), Field: Replicas, To: "1"}}, warn: "high availability", expect: 1},
		{name: "scale-out is plain", changes: []Change{{Key: key(platform.SegmentStore, prRef), Field: Replicas, To: "5"}}, expect: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			plan, err := BuildPlan(snap, objs, tt.changes, "p", now)
			if err != nil {
				t.Fatal(err)
			}
			s := plan.Steps[0]
			warns, probs := strings.Join(s.Warnings, "\n"), strings.Join(s.Problems, "\n")
			if tt.warn == "" && warns != "" || tt.warn != "" && !strings.Contains(warns, tt.warn) {
				t.Errorf("warnings %q, want %q", warns, tt.warn)
			}
			if tt.problem == "" && probs != "" || tt.problem != "" && !strings.Contains(probs, tt.problem) {
				t.Errorf("problems %q, want %q", probs, tt.problem)
			}
			if s.Redeploy != tt.redeploy || s.Expect != tt.expect {
				t.Errorf("redeploy %v expect %d, want %v %d", s.Redeploy, s.Expect, tt.redeploy, tt.expect)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	snap, objs := platformFixture()
	var got []string
	for _, tg := range Targets(snap, objs) {
		s := tg.Level.String() + " " + tg.Kind.String() + " " + tg.Field.String() + "=" + tg.Current
		if tg.Disabled != "" {
			s += " (" + tg.Disabled + ")"
		}
		got = append(got, s)
	}
	want := []string{
		"Components ZooKeeper replicas=3",
		"Components BookKeeper replicas=3",
		"Components SegmentStore replicas=3",
		"Components Controller replicas=2",
		"Components TaskManager replicas=3",
		"Application TaskManager TaskManager CPU=2",
		"Application TaskManager TaskManager memory=4096m",
		"Application TaskManager task slots=2",
		"Application TaskManager job parallelism=6",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("targets\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	delete(objs, "flinkdeployments/iot/sensors")
	for _, tg := range Targets(snap, objs) {
		if tg.Field == TaskManagerCPU && tg.Disabled == "" {
			t.Error("a target whose resource is not cached must be disabled")
		}
	}
}

func TestAdjust(t *testing.T) {
	tests := []struct {
		field Field
		in    string
		delta int
		want  string
	}{
		{Replicas, "3", 1, "4"},
		{Replicas, "0", -1, "0"},
		{TaskManagerCPU, "2", 1, "2.5"},
		{TaskManagerCPU, "0.5", -1, "0.5"},
		{TaskManagerCPU, "1.3", 1, "2"},
		{TaskManagerMemory, "4096m", 1, "5120m"},
		{TaskManagerMemory, "4g", -1, "3g"},
		{TaskManagerMemory, "1g", -1, "1g"},
		{TaskSlots, "2", 2, "4"},
		{Parallelism, "6", -1, "5"},
	}
	for _, tt := range tests {
		t.Run(tt.field.String()+" "+tt.in, func(t *testing.T) {
			got, err := Adjust(tt.field, tt.in, tt.delta)
			if err != nil || got != tt.want {
				t.Errorf("Adjust(%s, %d) = %q, %v; want %q", tt.in, tt.delta, got, err, tt.want)
			}
		})
	}
}

func TestParseFlinkMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"2048m", 2 << 30, false},
		{"4g", 4 << 30, false},
		{"4096 mb", 4 << 30, false},
		{"1073741824", 1 << 30, false},
		{"1.5g", 3 << 29, false},
		{"lots", 0, true},
		{"4 furlongs", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFlinkMemory(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("got %d, %v", got, err)
			}
		})
	}
}
