package scale

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

func testDeps() pane.Deps {
	return pane.Deps{Styles: themes.New(themes.Mono), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(time.Now())}
}

var fixtureTargets = []scale.Target{
	{Key: "pravega/zookeeper/ZooKeeper", Level: scale.ComponentLevel, Kind: platform.ZooKeeper, Namespace: "pravega", Cluster: "zookeeper", Field: scale.Replicas, Current: "3", Desired: 3, Ready: 3},
	{Key: "pravega/bookkeeper/BookKeeper", Level: scale.ComponentLevel, Kind: platform.BookKeeper, Namespace: "pravega", Cluster: "bookkeeper", Field: scale.Replicas, Current: "3", Desired: 3, Ready: 2},
	{Key: "iot/sensors/TaskManager", Level: scale.ApplicationLevel, Kind: platform.FlinkTaskManager, Namespace: "iot", Cluster: "sensors", Field: scale.TaskManagerCPU, Current: "2"},
	{Key: "iot/sensors/TaskManager", Level: scale.ApplicationLevel, Kind: platform.FlinkTaskManager, Namespace: "iot", Cluster: "sensors", Field: scale.Parallelism, Disabled: "spec.job.parallelism is not set"},
}

func TestTargetRows(t *testing.T) {
	edits := map[string]string{fixtureTargets[1].ID(): "5", fixtureTargets[0].ID(): "3", fixtureTargets[2].ID(): "2.5"}
	tests := []struct {
		level scale.Level
		want  []string
	}{
		{scale.ComponentLevel, []string{"zookeeper 3  3/3", "bookkeeper 3 5 2/3"}},
		{scale.ApplicationLevel, []string{"sensors 2 2.5 ", "sensors -  "}},
		{scale.KubernetesLevel, nil},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			var got []string
			for _, r := range targetRows(fixtureTargets, tt.level, edits) {
				got = append(got, r.target.Cluster+" "+r.now+" "+r.next+" "+r.ready)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	ch := changes(fixtureTargets, edits)
	if len(ch) != 2 || ch[0].To != "5" || ch[1].Field != scale.TaskManagerCPU {
		t.Errorf("changes %+v", ch)
	}
	if s := changeSummary(fixtureTargets, edits); s != "BookKeeper bookkeeper 3→5, TaskManager sensors TaskManager CPU 2→2.5" {
		t.Errorf("summary %q", s)
	}
}

func TestNodeRows(t *testing.T) {
	const gi = int64(1) << 30
	nodes := []scale.NodeUsage{
		{Name: "w1", Ready: true, Schedulable: true, Allocatable: platform.Resources{MilliCPU: 16000, Memory: 64 * gi, EphemeralStorage: 200 * gi, Pods: 110},
			Requested: platform.Resources{MilliCPU: 15000, Memory: 20 * gi, Pods: 12}, Added: platform.Resources{MilliCPU: 1000}},
		{Name: "w2", Ready: true, Schedulable: false, Allocatable: platform.Resources{MilliCPU: 8000, Memory: 32 * gi}, Requested: platform.Resources{MilliCPU: 500, Memory: gi / 2}},
		{Name: "w3", Ready: false, Taints: []platform.Taint{{Key: "a"}}, Allocatable: platform.Resources{MilliCPU: 8000, Memory: 32 * gi}},
	}
	rows := nodeRows(nodes, false)
	got := []string{}
	for _, r := range rows {
		got = append(got, strings.Join([]string{r.name, r.state, r.cpu, r.freeCPU, r.memory, r.freeMemory, r.disk, r.pods}, " "))
	}
	want := []string{
		"w1 ready 15/16 1 20Gi/64Gi 44Gi 200Gi 12/110",
		"w2 cordoned 500m/8 7.5 512Mi/32Gi 31.5Gi - 0/0",
		"w3 not ready 0/8 8 0/32Gi 32Gi - 0/0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n%s", strings.Join(got, "\n"))
	}
	if !rows[0].tight || rows[1].tight {
		t.Error("w1 has 1/16 CPU free and is tight; w2 is not")
	}
	if after := nodeRows(nodes, true); after[0].freeCPU != "0" {
		t.Errorf("after the plan w1 has %s CPU free", after[0].freeCPU)
	}
}

func texts(ls []line) string {
	var out []string
	for _, l := range ls {
		s := strings.Repeat(" ", l.indent) + l.text
		if l.kind == kindCheck {
			s = strings.Repeat(" ", l.indent) + l.status.Glyph() + " " + l.text
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func TestPlanLines(t *testing.T) {
	plan := scale.Plan{ID: "p", Confirm: "bookkeeper", Steps: []scale.Step{{N: 1, Kind: platform.BookKeeper, Cluster: "bookkeeper",
		Ref:   platform.Ref{Kind: "BookkeeperCluster", Namespace: "pravega", Name: "bookkeeper"},
		Diffs: []scale.Diff{{Field: scale.Replicas, Path: []string{"spec", "replicas"}, From: "3", To: "2"}}, Warnings: []string{"bookies must be decommissioned"}}}}
	pf := &scale.Preflight{Checks: []scale.Check{
		{Name: scale.CheckCredentials, Status: scale.Pass, Summary: "may do all", Evidence: []string{"✓ hidden when passing"}},
		{Name: scale.CheckHealth, Status: scale.Fail, Summary: "not ready: BookKeeper 2/3", Evidence: []string{"✖ bookie-2 CrashLoopBackOff"}, Fix: "repair it"},
	}}
	dry := []scale.DryRunResult{{Step: 1, OK: false, Reason: "Forbidden", Message: "change freeze"}}
	got := texts(planLines(plan, pf, dry, false))
	for _, want := range []string{
		"1. BookKeeper bookkeeper 3→2  (BookkeeperCluster pravega/bookkeeper)",
		"   spec.replicas: 3 → 2",
		"   ▲ bookies must be decommissioned",
		" ✓ Credentials         may do all",
		" ✖ Health              not ready: BookKeeper 2/3",
		"    ✖ bookie-2 CrashLoopBackOff",
		"    fix: repair it",
		" ✖ step 1 rejected (Forbidden): change freeze",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lines lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "hidden when passing") {
		t.Error("evidence of a passing check is shown")
	}
	if ro := texts(planLines(plan, nil, nil, true)); !strings.Contains(ro, "running…") {
		t.Errorf("pending preflight:\n%s", ro)
	}
	if ro := texts(planLines(plan, pf, nil, true)); !strings.Contains(ro, "not sent: read-only mode") {
		t.Errorf("read-only:\n%s", ro)
	}
}

func TestRunLines(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	plan := scale.Plan{Steps: []scale.Step{
		{N: 1, Kind: platform.BookKeeper, Cluster: "bk", Diffs: []scale.Diff{{Field: scale.Replicas, From: "3", To: "4"}}},
		{N: 2, Kind: platform.SegmentStore, Cluster: "pr", Diffs: []scale.Diff{{Field: scale.Replicas, From: "3", To: "4"}}},
		{N: 3, Kind: platform.Controller, Cluster: "pr", Diffs: []scale.Diff{{Field: scale.Replicas, From: "2", To: "3"}}},
	}}
	steps := map[int]stepState{
		1: {phase: scale.StepConverged, message: "4/4 ready in 12s"},
		2: {phase: scale.StepProgress, started: at.Add(-42 * time.Second), progress: scale.Progress{Expect: 4, Desired: 4, Members: 4, Ready: 3, Waiting: []string{"ss-3 not ready"}}},
	}
	got := texts(runLines(plan, steps, nil, 10*time.Minute, at))
	want := "✓ 1. BookKeeper bk 3→4 — 4/4 ready in 12s\n" +
		"◐ 2. SegmentStore pr 3→4 — 42s of 10m0s\n" +
		"    3/4 ready, 4 member(s), spec 4\n" +
		"    waiting: ss-3 not ready\n" +
		"· 3. Controller pr 2→3 — not started"
	if got != want {
		t.Errorf("run lines\n%s\nwant\n%s", got, want)
	}
	out := &scale.Outcome{State: scale.TimedOut, Message: "step 2 did not converge", Post: &scale.PostCheck{Verdict: scale.Fail, Summary: "unhealthy", Evidence: []string{"✖ ss-3 is not ready"}}}
	got = texts(runLines(plan, steps, out, time.Minute, at))
	for _, w := range []string{"Result: timed out", " ✖ step 2 did not converge", " ✖ unhealthy", "    ✖ ss-3 is not ready"} {
		if !strings.Contains(got, w) {
			t.Errorf("outcome lacks %q:\n%s", w, got)
		}
	}
}

func TestAuditLines(t *testing.T) {
	recs := []audit.Record{
		{Time: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Action: "patch", Step: 1, Result: "applied", Target: "BookkeeperCluster pravega/bookkeeper",
			Before: map[string]string{"spec.replicas": "3"}, After: map[string]string{"spec.replicas": "4"}},
	}
	got := texts(auditLines(recs, "/state/audit.jsonl"))
	want := "Audit log · /state/audit.jsonl · 1 record(s)\n11-24 09:00:00 patch      step 1 applied · BookkeeperCluster pravega/bookkeeper\n    spec.replicas: 3 → 4"
	if got != want {
		t.Errorf("got\n%s", got)
	}
	if got := texts(auditLines(nil, "x")); !strings.Contains(got, "no actions recorded yet") {
		t.Errorf("empty: %s", got)
	}
}

func TestLongNamesKeepTheTableInTheWidth(t *testing.T) {
	long := append([]scale.Target(nil), fixtureTargets...)
	for i := range long {
		long[i].Cluster = strings.Repeat("very-long-cluster-name-", 3)
		long[i].Namespace = strings.Repeat("project-", 5)
	}
	for _, level := range []scale.Level{scale.ComponentLevel, scale.ApplicationLevel} {
		m := Model{deps: testDeps(), width: 80, height: 21, targets: long, level: level, edits: map[string]string{long[2].ID(): "3"}}
		for i, l := range m.targetsView() {
			if w := ansi.StringWidth(l); w > 80 {
				t.Errorf("%s line %d is %d wide: %q", level, i, w, ansi.Strip(l))
			}
		}
	}
}
