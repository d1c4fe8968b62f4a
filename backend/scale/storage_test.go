package scale_test

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8sfake "k8s.io/client-go/kubernetes/fake"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
)

// storageCheck plans a storage change, runs the preflight and (outside
// read-only mode) the dry run.
func (e *env) storageCheck(t *testing.T, claim, to string) (scale.Plan, scale.Preflight, []scale.DryRunResult) {
	t.Helper()
	return e.checked(t, func() (scale.Plan, error) {
		return e.eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: demo.StoreNamespace, Claim: claim, To: to})
	})
}

func checkNamed(pf scale.Preflight, name string) scale.Check {
	for _, c := range pf.Checks {
		if c.Name == name {
			return c
		}
	}
	return scale.Check{Name: name, Status: -1}
}

func (e *env) claim(t *testing.T, name string) *corev1.PersistentVolumeClaim {
	t.Helper()
	c, err := e.p.Clients().Typed.CoreV1().PersistentVolumeClaims(demo.StoreNamespace).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStorageGrowsAClaim grows a bookie's ledger claim in the demo, whose
// simulator plays the resizer: the engine reports Resizing and
// FileSystemResizePending while it waits and finishes when status.capacity
// reaches the new size; every action is in the audit log.
func TestStorageGrowsAClaim(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	plan, pf, dry := e.storageCheck(t, "ledger-bookkeeper-bookie-1", "80Gi")
	if !pf.Passed() {
		t.Fatalf("preflight failed:\n%s", failing(pf))
	}
	if got := plan.Steps[0].Title(); got != "grow ledger-bookkeeper-bookie-1 50Gi→80Gi" {
		t.Errorf("title = %q", got)
	}
	if plan.Confirm != "ledger-bookkeeper-bookie-1" || !strings.Contains(strings.Join(plan.Warnings(), "\n"), "BookkeeperCluster bookkeeper spec.storage.ledgerVolumeClaimTemplate") {
		t.Errorf("confirm %q, warnings %v", plan.Confirm, plan.Warnings())
	}
	if len(dry) != 1 || !dry[0].OK || dry[0].After["spec.resources.requests.storage"] != "80Gi" {
		t.Fatalf("dry run: %+v", dry)
	}
	if got := e.claim(t, "ledger-bookkeeper-bookie-1").Spec.Resources.Requests.Storage().String(); got != "50Gi" {
		t.Fatalf("the dry run stored %s", got)
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, "bookkeeper"); !errors.Is(err, scale.ErrConfirmation) {
		t.Fatalf("wrong confirmation: %v", err)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, evs := drain(t, ch)
	if out.State != scale.Completed {
		t.Fatalf("outcome %s: %s", out.State, out.Message)
	}
	var seen []string
	for _, ev := range evs {
		if ev.Kind == scale.StepProgress {
			seen = append(seen, ev.Progress.String())
		}
	}
	all := strings.Join(seen, "\n")
	if !strings.Contains(all, "Resizing") || !strings.Contains(all, "FileSystemResizePending") {
		t.Errorf("progress never showed the resize conditions:\n%s", all)
	}
	if c := e.claim(t, "ledger-bookkeeper-bookie-1"); c.Status.Capacity.Storage().String() != "80Gi" {
		t.Errorf("capacity %s", c.Status.Capacity.Storage())
	}
	want := []string{"plan:ok", "preflight:pass", "dry-run:accepted#1", "refused:refused", "confirm:ok", "patch:applied#1", "wait:converged#1", "finished:completed"}
	if got := fromLastPlan(actions(e)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

// TestStorageRefusals: every refusal the storage step makes, each with its
// reason, and the API server's own refusals in the dry run.
func TestStorageRefusals(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	cases := []struct {
		name, claim, to string
		check, summary  string
		dryReason       string // the API server's answer, "" when accepted
	}{
		{"not expandable", "journal-bookkeeper-bookie-0", "20Gi", scale.CheckStorageClass, "storage class journal-ssd does not allow volume expansion", "Forbidden"},
		{"shrink", "data-zookeeper-0", "10Gi", scale.CheckPlan, "claim can only grow: 20Gi → 10Gi is a shrink", "Invalid"},
		{"same size", "data-zookeeper-0", "20Gi", scale.CheckPlan, "same size: the claim already asks for 20Gi", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, pf, dry := e.storageCheck(t, tc.claim, tc.to)
			c := checkNamed(pf, tc.check)
			if pf.Passed() || c.Status != scale.Fail || !strings.Contains(c.Summary, tc.summary) {
				t.Errorf("%s = %s %q, want fail %q", tc.check, c.Status, c.Summary, tc.summary)
			}
			if len(dry) != 1 {
				t.Fatalf("dry run: %+v", dry)
			}
			if tc.dryReason == "" && !dry[0].OK || tc.dryReason != "" && (dry[0].OK || dry[0].Reason != tc.dryReason) {
				t.Errorf("dry run = ok %v reason %q (%s), want %q", dry[0].OK, dry[0].Reason, dry[0].Message, tc.dryReason)
			}
			if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrNotChecked) {
				t.Errorf("apply: %v, want refused", err)
			}
		})
	}
	// The API server's own refusal of a shrink, word for word.
	_, _, dry := e.storageCheck(t, "data-zookeeper-1", "10Gi")
	if !strings.Contains(dry[0].Message, "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity") {
		t.Errorf("shrink dry run: %s", dry[0].Message)
	}
	for _, w := range e.p.SpecWrites() {
		if strings.Contains(w, "persistentvolumeclaims") {
			t.Errorf("a refused plan wrote: %s", w)
		}
	}
}

func TestStorageForbiddenPatch(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	e.p.Refuse(demo.Rule{Verb: "patch", Resource: "persistentvolumeclaims", Namespace: demo.StoreNamespace, Reason: "RBAC: no RoleBinding allows patch on persistentvolumeclaims"})
	_, pf, dry := e.storageCheck(t, "data-zookeeper-2", "30Gi")
	c := checkNamed(pf, scale.CheckCredentials)
	if c.Status != scale.Fail || !strings.Contains(c.Summary, "patch persistentvolumeclaims in pravega") {
		t.Errorf("credentials = %s %q", c.Status, c.Summary)
	}
	if dry[0].OK || dry[0].Reason != "Forbidden" {
		t.Errorf("dry run = %+v", dry[0])
	}
}

func TestStorageNotBoundRefused(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	c := e.claim(t, "index-bookkeeper-bookie-2")
	c.Status.Phase = corev1.ClaimPending
	if _, err := e.p.Clients().Typed.CoreV1().PersistentVolumeClaims(c.Namespace).UpdateStatus(e.ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.ctx, e.w, "claim pending", func(s *platform.Snapshot) bool {
		cl := s.Claim("pravega/index-bookkeeper-bookie-2")
		return cl != nil && cl.Phase == "Pending"
	})
	_, pf, _ := e.storageCheck(t, "index-bookkeeper-bookie-2", "20Gi")
	ck := checkNamed(pf, scale.CheckClaim)
	if ck.Status != scale.Fail || ck.Summary != "claim index-bookkeeper-bookie-2 is Pending, not Bound: only a bound claim can be resized" {
		t.Errorf("claim check = %s %q", ck.Status, ck.Summary)
	}
}

// TestStorageReadOnlyNeverWrites: plan and preflight only; the dry run and
// apply are refused and nothing reaches the store.
func TestStorageReadOnlyNeverWrites(t *testing.T) {
	e := startDemo(t, "", func(c *scale.Config) { c.ReadOnly = guard.New(true) })
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	plan, pf, _ := e.storageCheck(t, "data-zookeeper-0", "30Gi")
	if !pf.Passed() {
		t.Fatalf("preflight: %s", failing(pf))
	}
	refusedReadOnly(t, e.ctx, e.eng, plan)
	for _, w := range e.p.SpecWrites() {
		if strings.Contains(w, "persistentvolumeclaims") {
			t.Errorf("read-only wrote: %s", w)
		}
	}
}

// TestStorageTemplateGrows grows the bookies' ledger template in the
// BookkeeperCluster: new members get the size, existing claims are not
// touched; a shrink of the template is refused.
func TestStorageTemplateGrows(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	shrink, err := e.eng.PlanStorageTemplate(e.ctx, scale.StorageChange{Namespace: demo.StoreNamespace, Claim: "ledger-bookkeeper-bookie-0", To: "40Gi"})
	if err != nil {
		t.Fatal(err)
	}
	pf, err := e.eng.Preflight(e.ctx, shrink.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := checkNamed(pf, scale.CheckPlan); c.Status != scale.Fail || !strings.Contains(c.Summary, "claim template can only grow: 50Gi → 40Gi is a shrink") {
		t.Errorf("shrink: %s %q", c.Status, c.Summary)
	}
	plan, pf, dry := e.checked(t, func() (scale.Plan, error) {
		return e.eng.PlanStorageTemplate(e.ctx, scale.StorageChange{Namespace: demo.StoreNamespace, Claim: "ledger-bookkeeper-bookie-0", To: "80Gi"})
	})
	if got := plan.Steps[0].Diffs[0].PathString(); got != "spec.storage.ledgerVolumeClaimTemplate.resources.requests.storage" || plan.Confirm != "bookkeeper" {
		t.Errorf("path %s, confirm %s", got, plan.Confirm)
	}
	if !pf.Passed() {
		t.Fatalf("preflight: %s", failing(pf))
	}
	if !dry[0].OK {
		t.Fatalf("dry run: %+v", dry)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := drain(t, ch); out.State != scale.Completed {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	u, err := e.p.Clients().Dynamic.Resource(operator.BookkeeperClusters.GVR).Namespace(demo.StoreNamespace).Get(e.ctx, "bookkeeper", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := unstructured.NestedString(u.Object, "spec", "storage", "ledgerVolumeClaimTemplate", "resources", "requests", "storage"); v != "80Gi" {
		t.Errorf("template = %q", v)
	}
	if got := e.claim(t, "ledger-bookkeeper-bookie-0").Spec.Resources.Requests.Storage().String(); got != "50Gi" {
		t.Errorf("an existing claim changed: %s", got)
	}
}

// TestStorageStatusWriteBetweenReadAndPatchIsReadAgain: the resizer
// writing the claim's status between the engine's read and its patch gets
// the patch a 409; the claim is read again, still asks for the planned
// size, and the patch is sent again.
func TestStorageStatusWriteBetweenReadAndPatchIsReadAgain(t *testing.T) {
	e := startDemo(t, "", nil)
	waitFor(t, e.ctx, e.w, "claims", func(s *platform.Snapshot) bool { return len(s.Claims) == 13 })
	const name = "ledger-bookkeeper-bookie-1"
	plan, pf, dry := e.storageCheck(t, name, "80Gi")
	if !pf.Passed() || len(dry) != 1 || !dry[0].OK {
		t.Fatalf("checks %s %+v", failing(pf), dry)
	}
	typed := e.p.Clients().Typed.(*k8sfake.Clientset)
	sneaked := sneakWrites(t, &typed.Fake, typed.Tracker(), "persistentvolumeclaims", name, 1, func(o runtime.Object) {
		c := o.(*corev1.PersistentVolumeClaim)
		c.Status.Conditions = append(c.Status.Conditions, corev1.PersistentVolumeClaimCondition{Type: "Touched", Status: corev1.ConditionTrue})
	})
	out, evs := e.applyPlan(t, plan)
	if out.State != scale.Completed {
		t.Fatalf("outcome %s: %s", out.State, out.Message)
	}
	if patched := lastMessage(evs, scale.StepPatched); sneaked() != 1 || !strings.Contains(patched, "sent again after a 409") {
		t.Errorf("sneaked %d, step line %q", sneaked(), patched)
	}
	if got := e.claim(t, name).Spec.Resources.Requests.Storage().String(); got != "80Gi" {
		t.Errorf("claim asks for %s", got)
	}
}
