package scale_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/scale"
)

// TestRevertPlanRestoresTheBeforeValues: the segment store step times out
// on the stuck member; its revert is a new plan setting the before value,
// which passes the preflight, the dry run and the confirmation like any
// plan, and brings the spec back.
func TestRevertPlanRestoresTheBeforeValues(t *testing.T) {
	e := startDemo(t, demo.ScenarioStuckMember, func(c *scale.Config) { c.StepTimeout = 1500 * time.Millisecond })
	plan, pf, dry := e.check(t, scale.Change{Key: ss, Field: scale.Replicas, To: "4"}, scale.Change{Key: ctl, Field: scale.Replicas, To: "3"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	if _, err := e.eng.RevertPlan(e.ctx, plan.ID); !errors.Is(err, scale.ErrNothingToRevert) {
		t.Fatalf("revert before apply: %v", err)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := drain(t, ch); out.State != scale.TimedOut {
		t.Fatalf("outcome %s: %s", out.State, out.Message)
	}
	rev, err := e.eng.RevertPlan(e.ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Only the applied step is reverted: the controllers were never patched.
	if len(rev.Steps) != 1 || rev.Steps[0].Title() != "SegmentStore pravega 4→3" || rev.ID == plan.ID {
		t.Fatalf("revert plan %s: %+v", rev.ID, rev.Steps)
	}
	if _, err := e.eng.Apply(e.ctx, rev.ID, rev.Confirm); !errors.Is(err, scale.ErrNotChecked) {
		t.Fatalf("revert applied without its checks: %v", err)
	}
	pf, err = e.eng.Preflight(e.ctx, rev.ID)
	if err != nil {
		t.Fatal(err)
	}
	dry, err = e.eng.DryRun(e.ctx, rev.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The preflight may warn about the stuck member; it must not block going back.
	if !pf.Passed() || len(dry) != 1 || !dry[0].OK {
		t.Fatalf("revert checks: %s %+v", failing(pf), dry)
	}
	if _, err := e.eng.Apply(e.ctx, rev.ID, "wrong"); !errors.Is(err, scale.ErrConfirmation) {
		t.Fatalf("wrong confirmation: %v", err)
	}
	ch, err = e.eng.Apply(e.ctx, rev.ID, rev.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := drain(t, ch); out.State != scale.Completed {
		t.Fatalf("revert outcome %s: %s", out.State, out.Message)
	}
	if got := e.spec(t, operator.PravegaClusters, "pravega", "pravega", "spec", "pravega", "segmentStoreReplicas"); got != 3 {
		t.Errorf("segment stores %d after the revert", got)
	}
	var planMsg string
	for _, r := range mustTail(e) {
		if r.Plan == rev.ID && r.Action == "plan" {
			planMsg = r.Message + " " + strings.Join(r.Evidence, " ")
		}
	}
	if !strings.Contains(planMsg, "revert of plan "+plan.ID+" (steps 1)") || !strings.Contains(planMsg, "reverts step 1 PravegaCluster pravega/pravega spec.pravega.segmentStoreReplicas: 4 → 3") {
		t.Errorf("revert plan record %q", planMsg)
	}
}

// TestRevertPlanIsRefusedByTheRules: reverting a bookie scale-out whose
// new bookie never got ready removes a bookie: the rules refuse it as
// they refuse any such plan, and the engine sends no dry run.
func TestRevertPlanIsRefusedByTheRules(t *testing.T) {
	e := startDemo(t, demo.ScenarioStuckMember, func(c *scale.Config) { c.StepTimeout = 1500 * time.Millisecond })
	plan, pf, dry := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := drain(t, ch); out.State != scale.TimedOut {
		t.Fatalf("outcome %s: %s", out.State, out.Message)
	}
	rev, err := e.eng.RevertPlan(e.ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rev.Pending() {
		ids = append(ids, r.ID)
	}
	if !slices.Contains(ids, "bookie-data#1") || !slices.Contains(ids, "bookkeeper-ready#1") {
		t.Fatalf("revert refusals %q", ids)
	}
	if _, err := e.eng.DryRun(e.ctx, rev.ID); err == nil {
		t.Error("the dry run of a refused revert was sent")
	}
	if got := e.spec(t, operator.BookkeeperClusters, "pravega", "bookkeeper", "spec", "replicas"); got != 4 {
		t.Errorf("bookies %d", got)
	}
}

// TestRevertWhileWaitingInterruptsTheWait: asked while the step still
// waits, the revert ends that wait (recorded) and no later step starts.
func TestRevertWhileWaitingInterruptsTheWait(t *testing.T) {
	e := startDemo(t, demo.ScenarioStuckMember, func(c *scale.Config) { c.StepTimeout = time.Minute })
	plan, pf, dry := e.check(t, scale.Change{Key: ss, Field: scale.Replicas, To: "4"}, scale.Change{Key: ctl, Field: scale.Replicas, To: "3"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	for ev := range ch {
		if ev.Kind == scale.StepProgress && ev.Progress.Desired == 4 {
			break // the watch has seen the patch
		}
	}
	rev, err := e.eng.RevertPlan(e.ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := drain(t, ch); out.State != scale.Interrupted || !slices.Equal(out.NotStarted, []int{2}) {
		t.Fatalf("outcome %s %v: %s", out.State, out.NotStarted, out.Message)
	}
	if len(rev.Steps) != 1 || rev.Steps[0].Title() != "SegmentStore pravega 4→3" {
		t.Errorf("revert %+v", rev.Steps)
	}
	if a := actions(e); !slices.Contains(a, "stop:interrupted") || !slices.Contains(a, "wait:interrupted#1") {
		t.Errorf("audit %q", a)
	}
}
