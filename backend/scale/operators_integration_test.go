package scale_test

// Integration tests against the real operators: the unmodified upstream
// zookeeper-operator and bookkeeper-operator reconcile the custom resources
// (testcluster.StartOperators), so the engine's steps wait on real
// StatefulSets, real status writes and the operators' 30 s requeue
// (../shared/contracts/OBSERVED.md). Each test has its own namespace and
// operators and runs in parallel with the other; within a test the
// scenarios run at the same time on custom resources of their own, as
// every one of them mostly waits on a 30 s requeue (go test runs only
// GOMAXPROCS parallel tests at once, two on CI). They skip when the
// operators are not built, and fail in CI then.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/testcluster"
)

// Step timeouts for the real operators. A step converges when the pods
// do, which the operators start at once on a spec change; 90 s leaves room
// for a missed wake-up, i.e. one 30 s requeue, and pods that start in
// 4-8 s each. A stuck step is given more than one requeue too, so that
// what stops it is the member, not a reconcile that had not come yet.
const (
	realStepTimeout  = 90 * time.Second
	stuckStepTimeout = 40 * time.Second
)

// realOperators starts the given operators in a namespace of its own
// (base plus a random suffix, deleted afterwards), creates the custom
// resources, and waits until each reports all its members ready.
func realOperators(t *testing.T, base string, ops []testcluster.Operator, crs ...*unstructured.Unstructured) *itEnv {
	t.Helper()
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	cfg, err := c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	ns := fmt.Sprintf("%s-%04x", base, rand.IntN(0x10000))
	e := &itEnv{ctx: ctx, c: c, admin: clientsFor(t, cfg, "admin"), ns: ns}
	// Registered before the operators, so it runs after they have stopped.
	t.Cleanup(func() {
		_ = e.admin.Typed.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	var zookeepers []string
	for _, cr := range crs {
		if cr.GetKind() == operator.ZookeeperClusters.Kind {
			zookeepers = append(zookeepers, cr.GetName())
		}
	}
	testcluster.StartOperators(t, c, testcluster.OperatorOptions{Namespace: ns, Operators: ops, ZookeeperClusters: zookeepers})
	t.Cleanup(func() {
		if t.Failed() {
			e.logPods(t)
		}
	})
	e.w = e.watcher(t, e.admin)
	for _, cr := range crs {
		cr.SetNamespace(ns)
		if _, err := e.admin.Dynamic.Resource(resourceOf(t, cr).GVR).Namespace(ns).Create(ctx, cr, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	begin := time.Now()
	for _, cr := range crs {
		n, found, err := unstructured.NestedInt64(cr.Object, "spec", "replicas")
		if !found || err != nil {
			t.Fatalf("%s %s: no spec.replicas (%v)", cr.GetKind(), cr.GetName(), err)
		}
		e.awaitOperatorReady(t, resourceOf(t, cr), cr.GetName(), int(n))
	}
	t.Logf("%s: the operators report every member ready %s after create", ns, time.Since(begin).Round(100*time.Millisecond))
	return e
}

// logPods logs where each pod of the namespace stands, for a failed test.
func (e *itEnv) logPods(t *testing.T) {
	pods, err := e.admin.Typed.CoreV1().Pods(e.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Logf("list pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		line := fmt.Sprintf("%s %s node %q", p.Name, p.Status.Phase, p.Spec.NodeName)
		for _, c := range p.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				line += fmt.Sprintf("; %s=%s %s %s", c.Type, c.Status, c.Reason, c.Message)
			}
		}
		t.Log(line)
	}
}

func resourceOf(t *testing.T, u *unstructured.Unstructured) operator.Resource {
	t.Helper()
	for _, r := range []operator.Resource{operator.ZookeeperClusters, operator.BookkeeperClusters} {
		if r.Kind == u.GetKind() {
			return r
		}
	}
	t.Fatalf("no resource for kind %s", u.GetKind())
	return operator.Resource{}
}

// sample reads an upstream sample custom resource from the testdata.
func sample(t *testing.T, file string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(testcluster.Testdata(file))
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil { // numbers as int64, as from the API server
		t.Fatalf("%s: %v", file, err)
	}
	return u
}

// operatorStatus is what an operator says about its resource.
type operatorStatus struct {
	ready, replicas int64
	podsReady       bool
	upgrading       bool
	upgradingReason string
	current, target string
}

func (s operatorStatus) String() string {
	return fmt.Sprintf("readyReplicas %d/%d, PodsReady %v, Upgrading %v %q, currentVersion %q, targetVersion %q",
		s.ready, s.replicas, s.podsReady, s.upgrading, s.upgradingReason, s.current, s.target)
}

func (e *itEnv) operatorStatus(res operator.Resource, name string) (operatorStatus, bool) {
	u, ok := e.w.Object(res.GVR, e.ns, name)
	if !ok {
		return operatorStatus{}, false
	}
	var s operatorStatus
	s.ready, _, _ = unstructured.NestedInt64(u.Object, "status", "readyReplicas")
	s.replicas, _, _ = unstructured.NestedInt64(u.Object, "status", "replicas")
	s.current, _, _ = unstructured.NestedString(u.Object, "status", "currentVersion")
	s.target, _, _ = unstructured.NestedString(u.Object, "status", "targetVersion")
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		switch m["type"] {
		case "PodsReady":
			s.podsReady = m["status"] == "True"
		case "Upgrading":
			s.upgrading = m["status"] == "True"
			s.upgradingReason, _ = m["reason"].(string)
		}
	}
	return s, true
}

// awaitOperator waits until the operator's status of a resource satisfies
// ok, and returns when the watcher saw it.
func (e *itEnv) awaitOperator(t *testing.T, what string, res operator.Resource, name string, ok func(operatorStatus) bool) (operatorStatus, time.Time) {
	t.Helper()
	var last operatorStatus
	e.await(t, what, func(*platform.Snapshot) string {
		s, found := e.operatorStatus(res, name)
		if !found {
			return res.Kind + " " + name + " not seen yet"
		}
		last = s
		if !ok(s) {
			return s.String()
		}
		return ""
	})
	return last, time.Now()
}

// awaitOperatorReady waits until the operator reports n ready members and
// PodsReady, with no upgrade going on.
func (e *itEnv) awaitOperatorReady(t *testing.T, res operator.Resource, name string, n int) time.Time {
	t.Helper()
	_, at := e.awaitOperator(t, fmt.Sprintf("%s %s to report %d ready members", res.Kind, name, n), res, name, func(s operatorStatus) bool {
		return s.ready == int64(n) && s.replicas == int64(n) && s.podsReady && !s.upgrading && s.target == ""
	})
	return at
}

// run is a plan being applied, its events collected in the background.
type run struct {
	done chan struct{}
	out  *scale.Outcome
	evs  []scale.Event
}

// startPlan plans, checks and applies one change that must pass its
// checks; the plan then runs while the test goes on. An apply refused
// with a 409 before its step was patched (the operator wrote the custom
// resource between the dry run and the apply, and the engine applies
// only to the version it planned on) is planned again, as a user would,
// up to 5 times.
func startPlan(t *testing.T, e *itEnv, eng *scale.Engine, ch scale.Change) *run {
	t.Helper()
	for attempt := 1; ; attempt++ {
		plan, pf, dry := checkAndDryRun(t, e.ctx, eng, ch)
		if !pf.Passed() {
			t.Fatalf("preflight of %s: %s", ch.Key, failing(pf))
		}
		if !dry[0].OK {
			t.Fatalf("dry run of %s: %s", ch.Key, dry[0].Message)
		}
		events, err := eng.Apply(e.ctx, plan.ID, plan.Confirm)
		if err != nil {
			t.Fatal(err)
		}
		r := &run{done: make(chan struct{})}
		// until the step is patched or the plan ends
		for ev := range events {
			r.evs = append(r.evs, ev)
			if ev.Kind == scale.Finished {
				r.out = ev.Outcome
			}
			if ev.Kind == scale.StepPatched || ev.Kind == scale.Finished {
				break
			}
		}
		if r.out != nil && strings.Contains(r.out.Message, "conflict (409)") && attempt < 5 {
			for range events { // the rest, if any
			}
			t.Logf("apply of %s refused (%s): planning again", ch.Key, r.out.Message)
			continue
		}
		go func() {
			defer close(r.done)
			for ev := range events {
				r.evs = append(r.evs, ev)
				if ev.Kind == scale.Finished {
					r.out = ev.Outcome
				}
			}
		}()
		return r
	}
}

// wait returns the outcome, and when the step was patched and converged
// (zero if it did not).
func (r *run) wait(t *testing.T) (out *scale.Outcome, patched, converged time.Time) {
	t.Helper()
	<-r.done
	if r.out == nil {
		t.Fatal("events closed without Finished")
	}
	for _, ev := range r.evs {
		switch ev.Kind {
		case scale.StepPatched:
			patched = ev.At
		case scale.StepConverged:
			converged = ev.At
		}
	}
	if patched.IsZero() {
		t.Fatalf("no step was patched: %s: %s", r.out.State, r.out.Message)
	}
	return r.out, patched, converged
}

func since(from, to time.Time) time.Duration { return to.Sub(from).Round(100 * time.Millisecond) }

// TestIntegrationRealZooKeeper drives the real zookeeper-operator with two
// clusters at once. "zookeeper" scales 3→5: the operator first writes the
// new size to its znode, then grows the OrderedReady StatefulSet one
// member at a time, and the step completes. "zk-upgrade" gets a new image
// tag: while the operator rolls its members to the new version (each new
// member takes 12 s to be ready), the preflight of a scale refuses it and
// apply is refused; once the operator has finished, the same scale passes
// its preflight.
func TestIntegrationRealZooKeeper(t *testing.T) {
	t.Parallel()
	upgrading := sample(t, "zookeeper_v1beta1_zookeepercluster_cr.yaml")
	upgrading.SetName("zk-upgrade")
	e := realOperators(t, "real-zk", []testcluster.Operator{testcluster.ZookeeperOperator},
		sample(t, "zookeeper_v1beta1_zookeepercluster_cr.yaml"), upgrading)

	// The new members take 12 s each to become ready, as real ZooKeeper
	// servers do: the operator notices an upgrade only if the StatefulSet
	// is still rolling at its next reconcile (up to 30 s later). An
	// instant rollout escapes it for good: no Upgrading condition, and
	// currentVersion stays at the old tag.
	e.patch(t, operator.ZookeeperClusters, "zk-upgrade",
		`{"spec":{"image":{"tag":"0.2.15"},"pod":{"annotations":{"testcluster.local/ready-delay":"12s"}}}}`)
	imagePatched := time.Now()

	scaleEng, _ := e.engine(t, e.admin, func(c *scale.Config) { c.StepTimeout = realStepTimeout })
	scaling := startPlan(t, e, scaleEng, scale.Change{Key: e.key(platform.ZooKeeper, "zookeeper"), Field: scale.Replicas, To: "5"})

	// The upgrade guard. Wait for the operator itself to report the
	// upgrade (not just the spec asking for a version that is not
	// running, which the guard reads too).
	upEng, _ := e.engine(t, e.admin, nil)
	blocked := scale.Change{Key: e.key(platform.ZooKeeper, "zk-upgrade"), Field: scale.Replicas, To: "5"}
	st, at := e.awaitOperator(t, "the operator to report the upgrade", operator.ZookeeperClusters, "zk-upgrade", func(s operatorStatus) bool {
		return s.upgrading && s.target == "0.2.15"
	})
	t.Logf("upgrade reported %s after the image patch: %s", since(imagePatched, at), st)
	// The engine reads the watcher's snapshot, which may trail the API
	// server read above by an event: wait until it holds the condition.
	e.await(t, "the snapshot to hold the Upgrading condition", func(s *platform.Snapshot) string {
		c := s.Component(blocked.Key)
		if c == nil {
			return "no component " + blocked.Key
		}
		for _, cond := range c.Conditions {
			if cond.Type == "Upgrading" && cond.Status == "True" {
				return ""
			}
		}
		return fmt.Sprintf("conditions %+v", c.Conditions)
	})
	plan, pf, _ := checkAndDryRun(t, e.ctx, upEng, blocked)
	up := checkNamed(pf, scale.CheckUpgrade)
	ev := strings.Join(up.Evidence, "\n")
	if pf.Passed() || up.Status != scale.Fail || !strings.Contains(ev, "is upgrading 0.2.14 → 0.2.15") || !strings.Contains(ev, "condition Upgrading=True") {
		t.Errorf("preflight during the upgrade: passed %v, %s %q\n%s", pf.Passed(), up.Status, up.Summary, ev)
	}
	for _, c := range pf.Checks {
		if c.Status == scale.Fail && c.Name != scale.CheckUpgrade && c.Name != scale.CheckHealth {
			t.Errorf("%s failed too: %s", c.Name, c.Summary)
		}
	}
	if _, err := upEng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrNotChecked) {
		t.Errorf("apply during the upgrade: %v", err)
	}

	// The scale-out.
	out, patched, converged := scaling.wait(t)
	if out.State != scale.Completed || !slices.Equal(out.Done, []int{1}) {
		t.Fatalf("ZooKeeper 3→5: %s: %s", out.State, out.Message)
	}
	ready := e.awaitOperatorReady(t, operator.ZookeeperClusters, "zookeeper", 5)
	t.Logf("ZooKeeper 3→5: the step converged %s after the patch; the operator reported 5 ready %s after it",
		since(patched, converged), since(patched, ready))
	if c := e.w.Snapshot().Component(e.key(platform.ZooKeeper, "zookeeper")); c == nil || c.Ready != 5 || c.Desired != 5 {
		t.Errorf("snapshot after the scale: %+v", c)
	}

	// The upgrade ends; the guard lets the scale through.
	done, doneAt := e.awaitOperator(t, "the upgrade to finish", operator.ZookeeperClusters, "zk-upgrade", func(s operatorStatus) bool {
		return !s.upgrading && s.target == "" && s.current == "0.2.15" && s.ready == 3 && s.podsReady
	})
	t.Logf("upgrade finished %s after the image patch: %s", since(imagePatched, doneAt), done)
	if n := e.replicas(t, operator.ZookeeperClusters, "zk-upgrade", "spec", "replicas"); n != 3 {
		t.Errorf("zk-upgrade replicas %d after a refused plan", n)
	}
	if _, pf, _ = checkAndDryRun(t, e.ctx, upEng, blocked); !pf.Passed() {
		t.Errorf("preflight after the upgrade: %s", failing(pf))
	}
}

// TestIntegrationRealBookKeeper drives the real bookkeeper-operator with
// two clusters at once. "bookkeeper" scales 3→4 (a Parallel StatefulSet,
// three claims per bookie) and completes. The bookies of "bk-stuck"
// require a node of their own (hard pod anti-affinity) and the cluster has
// three nodes, so its fourth bookie stays Pending: the resources check
// cannot see affinity and passes, and the step times out with a message
// that names the member and why.
func TestIntegrationRealBookKeeper(t *testing.T) {
	t.Parallel()
	// Small bookies: the other tests of the package leave their members
	// on the shared nodes, and each bk-stuck bookie needs room on one
	// particular node (the operator's default asks for 500m and 1Gi).
	bookies := func(name string) *unstructured.Unstructured {
		u := sample(t, "bookkeeper_v1alpha1_cr.yaml")
		u.SetName(name)
		res := map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "256Mi"}, "limits": map[string]any{"cpu": "500m", "memory": "1Gi"}}
		if err := unstructured.SetNestedField(u.Object, res, "spec", "resources"); err != nil {
			t.Fatal(err)
		}
		return u
	}
	stuck := bookies("bk-stuck")
	antiAffinity := map[string]any{"podAntiAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": []any{
		map[string]any{"topologyKey": "kubernetes.io/hostname", "labelSelector": map[string]any{
			"matchLabels": map[string]any{"bookkeeper_cluster": "bk-stuck", "component": "bookie"}}},
	}}}
	if err := unstructured.SetNestedField(stuck.Object, antiAffinity, "spec", "affinity"); err != nil {
		t.Fatal(err)
	}
	e := realOperators(t, "real-bk", []testcluster.Operator{testcluster.BookkeeperOperator}, bookies("bookkeeper"), stuck)
	if n := len(e.w.Snapshot().Nodes); n != 3 {
		t.Fatalf("the test needs exactly 3 nodes for the 3 bk-stuck bookies, the cluster has %d", n)
	}
	stuckEng, _ := e.engine(t, e.admin, func(c *scale.Config) { c.StepTimeout = stuckStepTimeout })
	stuckRun := startPlan(t, e, stuckEng, scale.Change{Key: e.key(platform.BookKeeper, "bk-stuck"), Field: scale.Replicas, To: "4"})
	scaleEng, _ := e.engine(t, e.admin, func(c *scale.Config) { c.StepTimeout = realStepTimeout })
	scaling := startPlan(t, e, scaleEng, scale.Change{Key: e.key(platform.BookKeeper, "bookkeeper"), Field: scale.Replicas, To: "4"})

	out, patched, converged := scaling.wait(t)
	if out.State != scale.Completed || !slices.Equal(out.Done, []int{1}) {
		t.Fatalf("BookKeeper 3→4: %s: %s", out.State, out.Message)
	}
	ready := e.awaitOperatorReady(t, operator.BookkeeperClusters, "bookkeeper", 4)
	t.Logf("BookKeeper 3→4: the step converged %s after the patch; the operator reported 4 ready %s after it",
		since(patched, converged), since(patched, ready))
	claims, err := e.admin.Typed.CoreV1().PersistentVolumeClaims(e.ns).List(e.ctx, metav1.ListOptions{LabelSelector: "bookkeeper_cluster=bookkeeper"})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims.Items) != 12 {
		t.Errorf("%d claims, want ledger, journal and index for 4 bookies", len(claims.Items))
	}

	out, patched, _ = stuckRun.wait(t)
	t.Logf("bk-stuck 3→4: %s %s after the patch: %s", out.State, since(patched, time.Now()), out.Message)
	if out.State != scale.TimedOut || out.FailedStep != 1 {
		t.Fatalf("%s (failed step %d): %s", out.State, out.FailedStep, out.Message)
	}
	if !strings.Contains(out.Message, "did not converge within "+stuckStepTimeout.String()) ||
		!strings.Contains(out.Message, "bk-stuck-bookie-3 Unschedulable") || !strings.Contains(out.Message, "3/4 ready") {
		t.Errorf("the message does not say which member is stuck and why: %s", out.Message)
	}
	st, _ := e.operatorStatus(operator.BookkeeperClusters, "bk-stuck")
	t.Logf("bk-stuck operator status with the member pending: %s", st)
	if st.ready != 3 {
		t.Errorf("bk-stuck operator status: %s", st)
	}
}
