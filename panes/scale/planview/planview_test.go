package planview

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // the audit view shows local times
	os.Exit(m.Run())
}

func texts(ls []Line) string {
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
	got := texts(Plan(plan, pf, dry, false))
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
	if ro := texts(Plan(plan, nil, nil, true)); !strings.Contains(ro, "running…") {
		t.Errorf("pending preflight:\n%s", ro)
	}
	if ro := texts(Plan(plan, pf, nil, true)); !strings.Contains(ro, "not sent: read-only mode") {
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
	steps := Steps{
		1: {phase: scale.StepConverged, message: "4/4 ready in 12s"},
		2: {phase: scale.StepProgress, started: at.Add(-42 * time.Second), progress: scale.Progress{Expect: 4, Desired: 4, Members: 4, Ready: 3, Waiting: []string{"ss-3 not ready"}}},
	}
	got := texts(Run(plan, steps, nil, 10*time.Minute, at))
	want := "✓ 1. BookKeeper bk 3→4 — 4/4 ready in 12s\n" +
		"◐ 2. SegmentStore pr 3→4 — 42s of 10m0s\n" +
		"    3/4 ready, 4 member(s), spec 4\n" +
		"    waiting: ss-3 not ready\n" +
		"· 3. Controller pr 2→3 — not started"
	if got != want {
		t.Errorf("run lines\n%s\nwant\n%s", got, want)
	}
	out := &scale.Outcome{State: scale.TimedOut, Message: "step 2 did not converge", Post: &scale.PostCheck{Verdict: scale.Fail, Summary: "unhealthy", Evidence: []string{"✖ ss-3 is not ready"}}}
	got = texts(Run(plan, steps, out, time.Minute, at))
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
	got := texts(Audit(recs, "/state/audit.jsonl"))
	want := "Audit log · /state/audit.jsonl · 1 record(s)\n11-24 09:00:00 patch      step 1 applied · BookkeeperCluster pravega/bookkeeper\n    spec.replicas: 3 → 4"
	if got != want {
		t.Errorf("got\n%s", got)
	}
	if got := texts(Audit(nil, "x")); !strings.Contains(got, "no actions recorded yet") {
		t.Errorf("empty: %s", got)
	}
}
