package scale_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
)

// applied plans changes, checks them and applies the plan, failing the
// test unless every check passes and the plan completes.
func (e *env) applied(t *testing.T, changes ...scale.Change) (scale.Plan, *scale.Outcome) {
	t.Helper()
	plan, pf, dry := e.check(t, changes...)
	if !pf.Passed() {
		t.Fatalf("preflight failed:\n%s", failing(pf))
	}
	return plan, e.applyChecked(t, plan, dry)
}

func (e *env) applyChecked(t *testing.T, plan scale.Plan, dry []scale.DryRunResult) *scale.Outcome {
	t.Helper()
	for _, d := range dry {
		if !d.OK {
			t.Fatalf("dry run of step %d rejected: %s", d.Step, d.Message)
		}
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := drain(t, ch)
	if out.State != scale.Completed {
		t.Fatalf("outcome %s: %s", out.State, out.Message)
	}
	return out
}

// overridden wraps a planner for checked: each plan it makes has its
// refusals overridden with their phrases (the test already checked them
// once), as a user who re-plans after a 409 does.
func (e *env) overridden(plan func() (scale.Plan, error)) func() (scale.Plan, error) {
	return func() (scale.Plan, error) {
		p, err := plan()
		for err == nil {
			r, ok := p.NextOverride()
			if !ok {
				break
			}
			p, err = e.eng.Override(e.ctx, p.ID, r.ID, r.Phrase)
		}
		return p, err
	}
}

// refused plans changes and fails the test unless the plan carries a
// refusal containing want, its preflight fails on it, and the engine
// refuses the dry run and the apply without writing.
func (e *env) refused(t *testing.T, want string, changes ...scale.Change) scale.Plan {
	t.Helper()
	writes := len(e.p.SpecWrites())
	plan, err := e.eng.Plan(e.ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range plan.Pending() {
		lines = append(lines, r.Line())
	}
	if !strings.Contains(strings.Join(lines, "\n"), want) {
		t.Fatalf("refusals %q, want one with %q", lines, want)
	}
	pf, err := e.eng.Preflight(e.ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := checkNamed(pf, scale.CheckPlan); c.Status != scale.Fail || !strings.HasPrefix(c.Summary, "refused: ") {
		t.Errorf("plan check %s %q, want refused", c.Status, c.Summary)
	}
	if _, err := e.eng.DryRun(e.ctx, plan.ID); !errors.Is(err, scale.ErrRefused) {
		t.Errorf("dry run: %v, want refused", err)
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrRefused) {
		t.Errorf("apply: %v, want refused", err)
	}
	if got := e.p.SpecWrites(); len(got) != writes {
		t.Errorf("a refused plan wrote: %q", got[writes:])
	}
	return plan
}

func titles(plan scale.Plan) []string {
	var out []string
	for _, s := range plan.Steps {
		out = append(out, s.Title())
	}
	return out
}

// TestZooKeeperGrowsTwoMembersPerStep: 3→7 is planned 3→5→7, each step
// keeping an odd ensemble and waited on before the next; it applies.
func TestZooKeeperGrowsTwoMembersPerStep(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, _ := e.applied(t, scale.Change{Key: zk, Field: scale.Replicas, To: "7"})
	if got, want := titles(plan), []string{"ZooKeeper zookeeper 3→5", "ZooKeeper zookeeper 5→7"}; !slices.Equal(got, want) {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if got := e.spec(t, operator.ZookeeperClusters, "pravega", "zookeeper", "spec", "replicas"); got != 7 {
		t.Errorf("replicas %d", got)
	}
	got := strings.Join(actions(e), " ")
	if !strings.Contains(got, "patch:applied#1 wait:converged#1 patch:applied#2 wait:converged#2") {
		t.Errorf("audit %s: each step is waited on before the next", got)
	}
}

// TestZooKeeperShrinksOneMemberPerStep: 5→3 is planned 5→4→3 and applies;
// the removed members' claims are named.
func TestZooKeeperShrinksOneMemberPerStep(t *testing.T) {
	e := startDemo(t, "", nil)
	e.applied(t, scale.Change{Key: zk, Field: scale.Replicas, To: "5"})
	waitFor(t, e.ctx, e.w, "5 ready members", func(s *platform.Snapshot) bool { c := s.Component(zk); return c != nil && c.Ready == 5 })
	plan, _ := e.applied(t, scale.Change{Key: zk, Field: scale.Replicas, To: "3"})
	if got, want := titles(plan), []string{"ZooKeeper zookeeper 5→4", "ZooKeeper zookeeper 4→3"}; !slices.Equal(got, want) {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if w := strings.Join(plan.Warnings(), "\n"); !strings.Contains(w, "deletes the claim data-zookeeper-4") || !strings.Contains(w, "deletes the claim data-zookeeper-3") {
		t.Errorf("warnings %s", w)
	}
	if got := e.spec(t, operator.ZookeeperClusters, "pravega", "zookeeper", "spec", "replicas"); got != 3 {
		t.Errorf("replicas %d", got)
	}
}

// TestZooKeeperRefusals: below 3, an even ensemble; nothing overrides them.
func TestZooKeeperRefusals(t *testing.T) {
	e := startDemo(t, "", nil)
	for _, tc := range []struct{ name, to, want string }{
		{"below three", "1", "ZooKeeper zookeeper 3→1: an ensemble of 1 survives no member failure; safe: keep at least 3 members"},
		{"even", "4", "ZooKeeper zookeeper 3→4: an even ensemble of 4 tolerates no more failures than 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := e.refused(t, tc.want, scale.Change{Key: zk, Field: scale.Replicas, To: tc.to})
			if _, err := e.eng.Override(e.ctx, plan.ID, plan.Refusals[0].ID, "anything"); !errors.Is(err, scale.ErrNoOverride) {
				t.Errorf("override: %v, want none possible", err)
			}
		})
	}
}

// TestZooKeeperScaleDownNeedsEveryMemberReady: with a member that never
// gets ready (the stuck-member scenario), 5→3 is refused at Plan.
func TestZooKeeperScaleDownNeedsEveryMemberReady(t *testing.T) {
	e := startDemo(t, demo.ScenarioStuckMember, func(c *scale.Config) { c.StepTimeout = 1500 * time.Millisecond })
	plan, pf, dry := e.check(t, scale.Change{Key: zk, Field: scale.Replicas, To: "5"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("preflight %s", failing(pf))
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := drain(t, ch); out.State != scale.TimedOut {
		t.Fatalf("outcome %s: %s", out.State, out.Message)
	}
	waitFor(t, e.ctx, e.w, "5 members asked for, not all ready", func(s *platform.Snapshot) bool {
		c := s.Component(zk)
		return c != nil && c.Desired == 5 && c.Ready < 5
	})
	e.refused(t, "ZooKeeper zookeeper 5→3: scale-down only when every member is Ready (3/5 ready: zookeeper-3 not ready)", scale.Change{Key: zk, Field: scale.Replicas, To: "3"})
}

// TestBookiesNeverBelowTheEnsemble: the PravegaCluster sets no options, so
// Pravega's defaults hold (ensemble 3, write quorum 3, ack quorum 2): 3→2
// is refused with no override; with the options at 2, 3→2 is a scale-down
// behind the override instead.
func TestBookiesNeverBelowTheEnsemble(t *testing.T) {
	e := startDemo(t, "", nil)
	plan := e.refused(t, "BookKeeper bookkeeper 3→2: below what every ledger needs (ensemble 3, write quorum 3, ack quorum 2 per Pravega's defaults)",
		scale.Change{Key: bk, Field: scale.Replicas, To: "2"})
	for _, r := range plan.Refusals {
		if r.ID == "bookkeeper-ensemble#1" {
			if _, err := e.eng.Override(e.ctx, plan.ID, r.ID, "anything"); !errors.Is(err, scale.ErrNoOverride) {
				t.Errorf("override of the ensemble rule: %v", err)
			}
		}
	}
	targets := e.eng.Targets(e.w.Snapshot())
	for _, tg := range targets {
		if tg.Key == bk && (tg.Min != 3 || !strings.Contains(tg.MinWhy, "ensemble 3")) {
			t.Errorf("bookie target min %d %q", tg.Min, tg.MinWhy)
		}
	}

	res := e.p.Clients().Dynamic.Resource(operator.PravegaClusters.GVR).Namespace("pravega")
	u, err := res.Get(e.ctx, "pravega", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]any{"bookkeeper.ensemble.size": "2", "bookkeeper.write.quorum.size": "2", "bookkeeper.ack.quorum.size": "2"}
	if err := unstructured.SetNestedMap(u.Object, opts, "spec", "pravega", "options"); err != nil {
		t.Fatal(err)
	}
	if _, err := res.Update(e.ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.ctx, e.w, "the options", func(*platform.Snapshot) bool {
		o, ok := e.w.Object(operator.PravegaClusters.GVR, "pravega", "pravega")
		v, _, _ := unstructured.NestedString(o.Object, "spec", "pravega", "options", "bookkeeper.ensemble.size")
		return ok && v == "2"
	})
	plan, err = e.eng.Plan(e.ctx, []scale.Change{{Key: bk, Field: scale.Replicas, To: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	rs := plan.Pending()
	if len(rs) != 1 || rs[0].Phrase != "delete-bookie-data bookkeeper-bookie-2" {
		t.Fatalf("refusals %+v, want only the bookie-data override", rs)
	}
	if !strings.Contains(rs[0].Risk, "ensemble 2, write quorum 2, ack quorum 2 per PravegaCluster pravega/pravega spec.pravega.options") {
		t.Errorf("risk %q", rs[0].Risk)
	}
}

// TestBookieScaleDownOnlyBehindTheOverride: 3→4 needs no override; 4→3 names the bookie and the
// claims the operator deletes; the dry run and apply are refused until the
// override; a wrong phrase is refused and audited; the right one is
// audited as an override, then the plan checks and applies.
func TestBookieScaleDownOnlyBehindTheOverride(t *testing.T) {
	e := startDemo(t, "", nil)
	// Growing the bookies needs no override.
	if out, _ := e.applied(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"}); len(out.Refusals) != 0 || len(out.Steps) != 1 {
		t.Fatalf("scale-out: refusals %v, steps %q", out.Refusals, titles(out))
	}
	waitFor(t, e.ctx, e.w, "4 ready bookies", func(s *platform.Snapshot) bool { c := s.Component(bk); return c != nil && c.Ready == 4 })
	plan := e.refused(t, "step 1 removes bookie bookkeeper-bookie-3 and the operator then deletes its claims ledger-bookkeeper-bookie-3, journal-bookkeeper-bookie-3, index-bookkeeper-bookie-3",
		scale.Change{Key: bk, Field: scale.Replicas, To: "3"})
	r, ok := plan.NextOverride()
	if !ok || r.Phrase != "delete-bookie-data bookkeeper-bookie-3" || r.Risk == "" || r.Safe == "" {
		t.Fatalf("override %+v", r)
	}
	if _, err := e.eng.Override(e.ctx, plan.ID, r.ID, "delete-bookie-data bookkeeper-bookie-2"); !errors.Is(err, scale.ErrOverridePhrase) {
		t.Fatalf("wrong phrase: %v", err)
	}
	if _, err := e.eng.DryRun(e.ctx, plan.ID); !errors.Is(err, scale.ErrRefused) {
		t.Fatalf("dry run after a wrong phrase: %v", err)
	}
	got, err := e.eng.Override(e.ctx, plan.ID, r.ID, " "+r.Phrase+" ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Pending()) != 0 || !got.Refusals[0].Overridden {
		t.Fatalf("after the override: %+v", got.Refusals)
	}
	pf, err := e.eng.Preflight(e.ctx, plan.ID)
	if err != nil || !pf.Passed() {
		t.Fatalf("preflight %v: %s", err, failing(pf))
	}
	if c := checkNamed(pf, scale.CheckPlan); c.Status != scale.Warn || !strings.Contains(strings.Join(c.Evidence, "\n"), "overridden (audited)") {
		t.Errorf("plan check %s %v", c.Status, c.Evidence)
	}
	dry, err := e.eng.DryRun(e.ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if conflicted(dry) {
		got, _, dry = e.checked(t, e.overridden(func() (scale.Plan, error) {
			return e.eng.Plan(e.ctx, []scale.Change{{Key: bk, Field: scale.Replicas, To: "3"}})
		}))
	}
	e.applyChecked(t, got, dry)
	if n := e.spec(t, operator.BookkeeperClusters, "pravega", "bookkeeper", "spec", "replicas"); n != 3 {
		t.Errorf("bookies %d", n)
	}
	var overrides []audit.Record
	confirmed := false
	for _, rec := range mustTail(e) {
		if rec.Plan != plan.ID {
			continue
		}
		if rec.Action == audit.ActionOverride {
			overrides = append(overrides, rec)
		}
		if rec.Action == audit.ActionConfirm && rec.Override {
			confirmed = true
		}
	}
	if len(overrides) != 2 || overrides[0].Result != "refused" || overrides[1].Result != "accepted" || !overrides[0].Override || !overrides[1].Override ||
		!strings.Contains(overrides[1].Message, "delete-bookie-data bookkeeper-bookie-3") {
		t.Errorf("override records %+v", overrides)
	}
	if !confirmed {
		t.Error("the confirmation of an overridden plan is not marked as an override")
	}
}

// TestBookieScaleDownOneAtATime: 5→3 is two steps, each behind its own
// override naming its bookie.
func TestBookieScaleDownOneAtATime(t *testing.T) {
	e := startDemo(t, "", nil)
	e.applied(t, scale.Change{Key: bk, Field: scale.Replicas, To: "5"})
	waitFor(t, e.ctx, e.w, "5 ready bookies", func(s *platform.Snapshot) bool { c := s.Component(bk); return c != nil && c.Ready == 5 })
	plan, err := e.eng.Plan(e.ctx, []scale.Change{{Key: bk, Field: scale.Replicas, To: "3"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := titles(plan), []string{"BookKeeper bookkeeper 5→4", "BookKeeper bookkeeper 4→3"}; !slices.Equal(got, want) {
		t.Fatalf("steps %q, want %q", got, want)
	}
	var phrases []string
	for _, r := range plan.Pending() {
		phrases = append(phrases, r.Phrase)
	}
	if want := []string{"delete-bookie-data bookkeeper-bookie-4", "delete-bookie-data bookkeeper-bookie-3"}; !slices.Equal(phrases, want) {
		t.Fatalf("phrases %q, want %q", phrases, want)
	}
	// One override lifts one step only.
	if _, err := e.eng.Override(e.ctx, plan.ID, plan.Refusals[0].ID, phrases[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrRefused) || !strings.Contains(err.Error(), "bookkeeper-bookie-3") {
		t.Errorf("apply with one of two overrides: %v", err)
	}
}

// TestStreamStoreShrinksOneMemberPerStep: segment stores 3→1 and
// controllers 2→1 remove one member per step; below 1 is one clean line.
func TestStreamStoreShrinksOneMemberPerStep(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t, scale.Change{Key: ss, Field: scale.Replicas, To: "1"}, scale.Change{Key: ctl, Field: scale.Replicas, To: "1"})
	if got, want := titles(plan), []string{"SegmentStore pravega 3→2", "SegmentStore pravega 2→1", "Controller pravega 2→1"}; !slices.Equal(got, want) {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if !pf.Passed() || len(plan.Refusals) != 0 {
		t.Fatalf("preflight %s, refusals %v", failing(pf), plan.Refusals)
	}
	for _, d := range dry {
		if !d.OK {
			t.Errorf("dry run of step %d: %s", d.Step, d.Message)
		}
	}
	_, err := e.eng.Plan(e.ctx, []scale.Change{{Key: ctl, Field: scale.Replicas, To: "0"}})
	if err == nil || err.Error() != "plan: Controller pravega: replicas must be at least 1, not 0" {
		t.Errorf("0 controllers: %v", err)
	}
}

// TestApplyChecksTheRulesAgain: a claim growth that fitted the quota at
// Plan, preflight and dry run is refused at Apply once the quota shrinks.
func TestApplyChecksTheRulesAgain(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	plan, pf, dry := e.storageCheck(t, "ledger-bookkeeper-bookie-2", "80Gi")
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s", failing(pf))
	}
	quotas := e.p.Clients().Typed.CoreV1().ResourceQuotas(demo.StoreNamespace)
	q, err := quotas.Get(e.ctx, demo.QuotaName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q.Spec.Hard[corev1.ResourceRequestsStorage] = resource.MustParse("380Gi")
	if _, err := quotas.Update(e.ctx, q, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if !errors.Is(err, scale.ErrRefused) || !strings.Contains(err.Error(), "ResourceQuota pravega/storage allows 380Gi of requests.storage") {
		t.Errorf("apply: %v", err)
	}
	if got := e.claim(t, "ledger-bookkeeper-bookie-2").Spec.Resources.Requests.Storage().String(); got != "50Gi" {
		t.Errorf("claim asks for %s", got)
	}
}

// TestStorageQuota: growing a claim stays within the namespace's
// ResourceQuota (the demo's 400Gi of the standard class): 80Gi fits, 400Gi
// is refused with what would fit; a forbidden read of the quotas is one
// line in the preflight.
func TestStorageQuota(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	_, pf, _ := e.storageCheck(t, "ledger-bookkeeper-bookie-0", "80Gi")
	if c := checkNamed(pf, scale.CheckQuota); c.Status != scale.Pass || c.Summary != "within ResourceQuota pravega/storage 400Gi of 1Ti in all, pravega/storage 270Gi of 400Gi for class standard" {
		t.Errorf("quota %s %q", c.Status, c.Summary)
	}
	plan, err := e.eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: demo.StoreNamespace, Claim: "ledger-bookkeeper-bookie-0", To: "400Gi"})
	if err != nil {
		t.Fatal(err)
	}
	rs := plan.Pending()
	if len(rs) != 1 || rs[0].Phrase != "" ||
		rs[0].Line() != "ResourceQuota pravega/storage allows 400Gi of standard.storageclass.storage.k8s.io/requests.storage; growing ledger-bookkeeper-bookie-0 to 400Gi needs 590Gi; safe: grow ledger-bookkeeper-bookie-0 by at most 160Gi (to 210Gi), or ask for a larger quota" {
		t.Fatalf("refusals %+v", rs)
	}
	pf, err = e.eng.Preflight(e.ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := checkNamed(pf, scale.CheckQuota); c.Status != scale.Fail {
		t.Errorf("quota %s %q", c.Status, c.Summary)
	}
	if _, err := e.eng.DryRun(e.ctx, plan.ID); !errors.Is(err, scale.ErrRefused) {
		t.Errorf("dry run %v", err)
	}

	e.p.Refuse(demo.Rule{Verb: "list", Resource: "resourcequotas", Namespace: demo.StoreNamespace, Reason: "RBAC: no RoleBinding allows list on resourcequotas"})
	_, pf, _ = e.storageCheck(t, "ledger-bookkeeper-bookie-0", "80Gi")
	c := checkNamed(pf, scale.CheckQuota)
	if c.Status != scale.Warn || !strings.HasPrefix(c.Summary, "cannot read ResourceQuotas in pravega: ") || strings.Contains(c.Summary, "\n") || !pf.Passed() {
		t.Errorf("forbidden quota read: %s %q", c.Status, c.Summary)
	}
}

// TestStorageGrowthBeyondTenTimes: index 10Gi→110Gi (11×, within the
// quota) needs the override; typed, it is audited and the claim grows.
// 80Gi→... within 10× needs none; a malformed size is one line, no plan.
func TestStorageGrowthBeyondTenTimes(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	for _, junk := range []string{"lots", "-5Gi", "", "0"} {
		_, err := e.eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: demo.StoreNamespace, Claim: "index-bookkeeper-bookie-0", To: junk})
		if err == nil || strings.Contains(err.Error(), "\n") || strings.Count(err.Error(), "plan: ") != 1 {
			t.Errorf("size %q: %v", junk, err)
		}
	}
	if got := actions(e); len(got) != 0 {
		t.Errorf("junk sizes were audited as plans: %q", got)
	}
	plan, err := e.eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: demo.StoreNamespace, Claim: "index-bookkeeper-bookie-0", To: "110Gi"})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := plan.NextOverride()
	if !ok || r.Phrase != "grow-beyond-10x index-bookkeeper-bookie-0" || !strings.Contains(r.Reason, "more than 10× its size (at most 100Gi without an override)") ||
		!strings.Contains(r.Risk, "can never shrink") {
		t.Fatalf("refusal %+v", r)
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrRefused) {
		t.Fatalf("apply before the override: %v", err)
	}
	if _, err := e.eng.Override(e.ctx, plan.ID, r.ID, "grow-beyond-10x"); !errors.Is(err, scale.ErrOverridePhrase) {
		t.Fatalf("wrong phrase: %v", err)
	}
	if _, err := e.eng.Override(e.ctx, plan.ID, r.ID, r.Phrase); err != nil {
		t.Fatal(err)
	}
	pf, err := e.eng.Preflight(e.ctx, plan.ID)
	if err != nil || !pf.Passed() {
		t.Fatalf("preflight %v: %s", err, failing(pf))
	}
	dry, err := e.eng.DryRun(e.ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if conflicted(dry) {
		plan, _, dry = e.checked(t, e.overridden(func() (scale.Plan, error) {
			return e.eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: demo.StoreNamespace, Claim: "index-bookkeeper-bookie-0", To: "110Gi"})
		}))
	}
	e.applyChecked(t, plan, dry)
	if got := e.claim(t, "index-bookkeeper-bookie-0").Spec.Resources.Requests.Storage().String(); got != "110Gi" {
		t.Errorf("claim asks for %s", got)
	}
	want := "plan:refused refused:refused#1 override:refused#1 override:accepted#1 preflight:pass dry-run:accepted#1 confirm:ok patch:applied#1"
	if got := strings.Join(actions(e), " "); !strings.Contains(got, want) {
		t.Errorf("audit %s, want %s", got, want)
	}
}

// TestAuditFailureStopsThePlan: with the audit log gone, an override is
// not accepted and the apply stops before any patch.
func TestAuditFailureStopsThePlan(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t, scale.Change{Key: ss, Field: scale.Replicas, To: "4"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s", failing(pf))
	}
	storage, err := e.eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: demo.StoreNamespace, Claim: "index-bookkeeper-bookie-1", To: "200Gi"})
	if err != nil {
		t.Fatal(err)
	}
	writes := len(e.p.SpecWrites())
	if err := e.audit.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); err == nil || !strings.Contains(err.Error(), "audit log is closed") {
		t.Errorf("apply without an audit log: %v", err)
	}
	r, _ := storage.NextOverride()
	if _, err := e.eng.Override(e.ctx, storage.ID, r.ID, r.Phrase); err == nil || !strings.Contains(err.Error(), "override not accepted") {
		t.Errorf("override without an audit log: %v", err)
	}
	if got := e.p.SpecWrites(); len(got) != writes {
		t.Errorf("wrote without an audit log: %q", got[writes:])
	}
}

// TestAuditFailureMidPlanStopsBeforeTheNextStep: the audit log fails once
// step 1 is patched; the plan stops with that error, step 2 is never sent,
// and the outcome says what the log misses.
func TestAuditFailureMidPlanStopsBeforeTheNextStep(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t, scale.Change{Key: ss, Field: scale.Replicas, To: "4"}, scale.Change{Key: ctl, Field: scale.Replicas, To: "3"})
	if !pf.Passed() || !dry[0].OK || !dry[1].OK {
		t.Fatalf("checks: %s", failing(pf))
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	var out *scale.Outcome
	for ev := range ch {
		if ev.Kind == scale.StepPatched && ev.Step == 1 {
			if err := e.audit.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if ev.Kind == scale.Finished {
			out = ev.Outcome
		}
	}
	if out == nil || out.State != scale.Failed || !slices.Equal(out.NotStarted, []int{2}) ||
		!strings.Contains(out.Message, "step 1 converged but the audit log failed (audit log is closed): stopping.") ||
		!strings.Contains(out.Message, "The audit log failed (audit log is closed)") {
		t.Fatalf("outcome %+v", out)
	}
	if n := e.spec(t, operator.PravegaClusters, "pravega", "pravega", "spec", "pravega", "controllerReplicas"); n != 2 {
		t.Errorf("step 2 was sent: controllers %d", n)
	}
}
