package scale_test

// Integration tests: the engine against a real kube-apiserver with the
// operators' upstream CRDs. A test-side operator stand-in reconciles the
// custom resources into member pods (with the labels the real operators
// set) on kwok's nodes, which kwok makes Running and Ready. They skip when
// the test cluster is not built (backend/testcluster).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/watch"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

// Annotations on a custom resource the stand-in honours: member pods it
// creates unschedulable (they stay Pending, never ready), and members whose
// logs carry an error.
const (
	annotationStuck     = "test.streamops.io/unschedulable"
	annotationErrorLogs = "test.streamops.io/error-logs"
)

// kwokLogs is kwok's Logs resource: the container logs its kubelet serves.
var kwokLogs = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}

// serveLogs writes a member's log file and points kwok's kubelet at it.
func serveLogs(ctx context.Context, cl *kube.Clients, ns, dir, pod, container string, withError bool) {
	now := time.Now().UTC()
	cri := func(d time.Duration, msg string) string { // the CRI log format kwok serves
		return now.Add(d).Format(time.RFC3339Nano) + " stdout F " + msg
	}
	lines := []string{cri(0, "INFO  [main] "+container+" starting"), cri(time.Millisecond, "INFO  [main] "+container+" ready")}
	if withError {
		lines = append(lines, cri(2*time.Millisecond, "ERROR [segment-container-3] SegmentContainer - Failed to recover: java.io.IOException: ledger 42 fenced"))
	}
	file := filepath.Join(dir, ns+"-"+pod+".log")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
		"metadata": map[string]any{"name": pod, "namespace": ns},
		"spec":     map[string]any{"logs": []any{map[string]any{"containers": []any{container}, "logsFile": file}}},
	}}
	_, _ = cl.Dynamic.Resource(kwokLogs).Namespace(ns).Create(ctx, obj, metav1.CreateOptions{})
}

type itEnv struct {
	ctx   context.Context
	c     *testcluster.Cluster
	admin *kube.Clients
	ns    string
	w     *watch.Watcher
}

func clientsFor(t *testing.T, cfg *rest.Config, name string) *kube.Clients {
	t.Helper()
	cl, err := kube.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl.Context, cl.User = name, name
	return cl
}

// integration starts a stream store (ZooKeeper 3, BookKeeper 3, Segment
// Store 3, Controller 1, from the upstream samples) in its own namespace,
// with the operator stand-in running, and waits until it is ready.
func integration(t *testing.T, ns string) *itEnv {
	t.Helper()
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	cfg, err := c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	e := &itEnv{ctx: ctx, c: c, admin: clientsFor(t, cfg, "admin"), ns: ns}
	if err := testcluster.InstallCRDs(ctx, c, testcluster.Testdata("zookeeper.pravega.io_zookeeperclusters.yaml"),
		testcluster.Testdata("bookkeeper.pravega.io_bookkeeperclusters.yaml"), testcluster.Testdata("pravega.pravega.io_pravegaclusters.yaml")); err != nil {
		t.Fatal(err)
	}
	e.freshNamespace(t)
	for _, f := range []string{"zookeeper_v1beta1_zookeepercluster_cr.yaml", "bookkeeper_v1alpha1_cr.yaml", "pravega_v1beta1_pravega-cr.yaml"} {
		if _, err := c.Kubectl(ctx, "apply", "--server-side", "--force-conflicts", "-n", ns, "-f", testcluster.Testdata(f)); err != nil {
			t.Fatal(err)
		}
	}
	sctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	logs := t.TempDir()
	go func() { defer wg.Done(); standIn(sctx, e.admin, ns, logs) }()
	t.Cleanup(func() { stop(); wg.Wait() })
	e.w = e.watcher(t, e.admin)
	e.await(t, "the stream store to be ready", func(s *platform.Snapshot) string {
		want := map[platform.Kind]int{platform.ZooKeeper: 3, platform.BookKeeper: 3, platform.SegmentStore: 3, platform.Controller: 1}
		for _, c := range s.Components {
			if n, ok := want[c.Kind]; ok && c.Ready == n && c.Desired == n && c.Health == platform.Ready {
				delete(want, c.Kind)
			}
		}
		if len(want) > 0 {
			return fmt.Sprintf("not ready yet: %v", want)
		}
		return ""
	})
	return e
}

// freshNamespace creates the namespace or empties it of what an earlier
// run (-count=N shares the cluster) left.
func (e *itEnv) freshNamespace(t *testing.T) {
	t.Helper()
	_, err := e.admin.Typed.CoreV1().Namespaces().Create(e.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}}, metav1.CreateOptions{})
	if err == nil {
		return
	}
	if !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	for _, r := range []operator.Resource{operator.ZookeeperClusters, operator.BookkeeperClusters, operator.PravegaClusters} {
		if err := e.admin.Dynamic.Resource(r.GVR).Namespace(e.ns).DeleteCollection(e.ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_ = e.admin.Dynamic.Resource(kwokLogs).Namespace(e.ns).DeleteCollection(e.ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	pods := e.admin.Typed.CoreV1().Pods(e.ns)
	if err := pods.DeleteCollection(e.ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		list, err := pods.List(e.ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 0 {
			return
		}
		select {
		case <-e.ctx.Done():
			t.Fatal("old pods not deleted")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (e *itEnv) watcher(t *testing.T, cl *kube.Clients) *watch.Watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	t.Cleanup(cancel)
	w := watch.New(watch.Config{Clients: cl, Scope: kube.Scope{Namespaces: []string{e.ns}}, Coalesce: 20 * time.Millisecond})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

func (e *itEnv) await(t *testing.T, what string, check func(*platform.Snapshot) string) {
	t.Helper()
	sub := e.w.Subscribe(e.ctx)
	last := "no snapshot"
	for {
		if s := e.w.Snapshot(); s.Seq > 0 {
			if last = check(s); last == "" {
				return
			}
		}
		select {
		case <-e.ctx.Done():
			t.Fatalf("waiting for %s: %s", what, last)
		case <-sub:
		}
	}
}

func (e *itEnv) engine(t *testing.T, cl *kube.Clients, configure func(*scale.Config)) (*scale.Engine, *audit.Log) {
	t.Helper()
	log, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	cfg := scale.Config{Clients: cl, Scope: kube.Scope{Namespaces: []string{e.ns}}, Source: e.w, Audit: log, StepTimeout: time.Minute}
	if configure != nil {
		configure(&cfg)
	}
	eng, err := scale.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return eng, log
}

func (e *itEnv) key(kind platform.Kind, cluster string) string {
	return e.ns + "/" + cluster + "/" + kind.String()
}

func (e *itEnv) replicas(t *testing.T, res operator.Resource, name string, path ...string) int64 {
	t.Helper()
	u, err := e.admin.Dynamic.Resource(res.GVR).Namespace(e.ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n, _, _ := unstructured.NestedInt64(u.Object, path...)
	return n
}

func (e *itEnv) patch(t *testing.T, res operator.Resource, name, body string) {
	t.Helper()
	if _, err := e.admin.Dynamic.Resource(res.GVR).Namespace(e.ns).Patch(e.ctx, name, types.MergePatchType, []byte(body), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// viewerClients returns the clients of the harness's "limited" user,
// bound in the test namespace to a role that may get, list and watch
// everything and write nothing.
func (e *itEnv) viewerClients(t *testing.T) *kube.Clients {
	t.Helper()
	role := fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: viewer, namespace: %[1]s}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: limited-viewer, namespace: %[1]s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: viewer}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: limited}
`, e.ns)
	if err := e.c.Apply(e.ctx, role); err != nil {
		t.Fatal(err)
	}
	cfg, err := e.c.Config("limited")
	if err != nil {
		t.Fatal(err)
	}
	return clientsFor(t, cfg, "limited")
}

// countedClients returns admin clients whose every request goes through a
// counting transport, and a check that fails the test for any non-GET
// request but the access and identity reviews (POSTs that the API server
// answers without storing anything), or when no review was counted.
func (e *itEnv) countedClients(t *testing.T) (*kube.Clients, func(*testing.T)) {
	t.Helper()
	cfg, err := e.c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var writes []string
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(req *http.Request) (*http.Response, error) {
			if req.Method != http.MethodGet && req.Method != http.MethodHead {
				mu.Lock()
				writes = append(writes, req.Method+" "+req.URL.Path)
				mu.Unlock()
			}
			return rt.RoundTrip(req)
		})
	})
	onlyReviews := func(t *testing.T) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		reviews := 0
		for _, w := range writes {
			if w == "POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews" || w == "POST /apis/authentication.k8s.io/v1/selfsubjectreviews" {
				reviews++
				continue
			}
			t.Errorf("read-only mode sent a write: %s", w)
		}
		if reviews == 0 {
			t.Error("no access review was counted: is the transport wrapped?")
		}
	}
	return clientsFor(t, cfg, "admin"), onlyReviews
}

func checkAndDryRun(t *testing.T, ctx context.Context, eng *scale.Engine, changes ...scale.Change) (scale.Plan, scale.Preflight, []scale.DryRunResult) {
	t.Helper()
	plan, err := eng.Plan(ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := eng.Preflight(ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	dry, err := eng.DryRun(ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	return plan, pf, dry
}

// TestIntegrationHappyPlan scales bookies, segment stores and controllers
// in one plan against the real API server.
func TestIntegrationHappyPlan(t *testing.T) {
	e := integration(t, "scale-happy")
	eng, log := e.engine(t, e.admin, nil)
	plan, pf, dry := checkAndDryRun(t, e.ctx, eng,
		scale.Change{Key: e.key(platform.Controller, "pravega"), Field: scale.Replicas, To: "2"},
		scale.Change{Key: e.key(platform.SegmentStore, "pravega"), Field: scale.Replicas, To: "4"},
		scale.Change{Key: e.key(platform.BookKeeper, "bookkeeper"), Field: scale.Replicas, To: "4"},
	)
	if !pf.Passed() {
		t.Fatalf("preflight: %s", failing(pf))
	}
	for _, d := range dry {
		if !d.OK {
			t.Fatalf("dry run %d: %s", d.Step, d.Message)
		}
	}
	if n := e.replicas(t, operator.BookkeeperClusters, "bookkeeper", "spec", "replicas"); n != 3 {
		t.Fatalf("the dry run was stored: bookies %d", n)
	}
	ch, err := eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, evs := drain(t, ch)
	if out.State != scale.Completed {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	var order []string
	for _, ev := range evs {
		if ev.Kind == scale.StepStarted {
			order = append(order, ev.Message)
		}
	}
	if want := []string{"BookKeeper bookkeeper 3→4", "SegmentStore pravega 3→4", "Controller pravega 1→2"}; !slices.Equal(order, want) {
		t.Errorf("order %q", order)
	}
	if out.Post == nil || out.Post.Verdict != scale.Pass {
		t.Errorf("post-check %+v", out.Post)
	}
	if n := e.replicas(t, operator.PravegaClusters, "pravega", "spec", "pravega", "controllerReplicas"); n != 2 {
		t.Errorf("controllers %d", n)
	}
	recs, err := log.Tail(100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action+":"+r.Result)
		if r.User == "" || r.Context != "admin" {
			t.Errorf("record without user/context: %+v", r)
		}
	}
	for _, want := range []string{"plan:ok", "preflight:pass", "dry-run:accepted", "confirm:ok", "patch:applied", "wait:converged", "finished:completed"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
}

// TestIntegrationDryRunRejected: a ValidatingAdmissionPolicy of the
// cluster (a change freeze) rejects the patch; the dry run shows the
// server's message and apply is refused.
func TestIntegrationDryRunRejected(t *testing.T) {
	e := integration(t, "scale-freeze")
	policy := `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: streamops-test-change-freeze}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["bookkeeper.pravega.io"]
      apiVersions: ["*"]
      operations: ["UPDATE"]
      resources: ["bookkeeperclusters"]
  validations:
  - expression: "object.spec.replicas == oldObject.spec.replicas"
    message: "change freeze: bookkeeper replicas are frozen until 2026-11-30 (CHG-4711)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: streamops-test-change-freeze}
spec:
  policyName: streamops-test-change-freeze
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: scale-freeze}
`
	if err := e.c.Apply(e.ctx, policy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = e.c.Kubectl(context.Background(), "delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "streamops-test-change-freeze", "--ignore-not-found")
	})
	eng, _ := e.engine(t, e.admin, nil)
	// The policy takes a moment to load: dry-run until it answers.
	var plan scale.Plan
	var dry []scale.DryRunResult
	for {
		var pf scale.Preflight
		plan, pf, dry = checkAndDryRun(t, e.ctx, eng, scale.Change{Key: e.key(platform.BookKeeper, "bookkeeper"), Field: scale.Replicas, To: "4"})
		if !pf.Passed() {
			t.Fatalf("preflight: %s", failing(pf))
		}
		if !dry[0].OK || e.ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond) // test only: wait for the policy to load
	}
	t.Logf("dry run rejected: %s: %s", dry[0].Reason, dry[0].Message)
	if !strings.Contains(dry[0].Message, "change freeze: bookkeeper replicas are frozen") || dry[0].Reason != "Invalid" {
		t.Fatalf("dry run: %+v", dry[0])
	}
	if _, err := eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrNotChecked) {
		t.Fatalf("apply after a rejected dry run: %v", err)
	}
	if n := e.replicas(t, operator.BookkeeperClusters, "bookkeeper", "spec", "replicas"); n != 3 {
		t.Errorf("bookies %d", n)
	}
}

// TestIntegrationForbiddenForLimitedUser: the "limited" user may read the
// namespace but not patch; the credentials check names what is missing and
// the API server refuses the (dry-run) patch with 403.
func TestIntegrationForbiddenForLimitedUser(t *testing.T) {
	e := integration(t, "scale-limited")
	limited := e.viewerClients(t)
	eng, _ := e.engine(t, limited, nil)
	plan, pf, dry := checkAndDryRun(t, e.ctx, eng, scale.Change{Key: e.key(platform.SegmentStore, "pravega"), Field: scale.Replicas, To: "4"})
	cred := pf.Checks[1]
	if cred.Name != scale.CheckCredentials || cred.Status != scale.Fail ||
		!strings.Contains(cred.Summary, "limited may not patch pravegaclusters.pravega.pravega.io in "+e.ns) {
		t.Fatalf("credentials: %s %q\n%s", cred.Status, cred.Summary, strings.Join(cred.Evidence, "\n"))
	}
	if dry[0].OK || dry[0].Reason != "Forbidden" || !strings.Contains(dry[0].Message, `cannot patch resource "pravegaclusters"`) {
		t.Fatalf("dry run: %+v", dry[0])
	}
	if _, err := eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrNotChecked) {
		t.Fatalf("apply: %v", err)
	}
}

// TestIntegrationStepTimeoutStopsThePlan: the fourth segment store never
// gets scheduled; its step times out and the controller step never starts.
func TestIntegrationStepTimeoutStopsThePlan(t *testing.T) {
	e := integration(t, "scale-stuck")
	e.patch(t, operator.PravegaClusters, "pravega", `{"metadata":{"annotations":{"`+annotationStuck+`":"pravega-pravega-segment-store-3"}}}`)
	eng, _ := e.engine(t, e.admin, func(c *scale.Config) { c.StepTimeout = 4 * time.Second })
	plan, pf, dry := checkAndDryRun(t, e.ctx, eng,
		scale.Change{Key: e.key(platform.SegmentStore, "pravega"), Field: scale.Replicas, To: "4"},
		scale.Change{Key: e.key(platform.Controller, "pravega"), Field: scale.Replicas, To: "2"})
	if !pf.Passed() || !dry[0].OK || !dry[1].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	ch, err := eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := drain(t, ch)
	if out.State != scale.TimedOut || out.FailedStep != 1 || !slices.Equal(out.NotStarted, []int{2}) {
		t.Fatalf("%s failed %d not started %v: %s", out.State, out.FailedStep, out.NotStarted, out.Message)
	}
	if !strings.Contains(out.Message, "pravega-pravega-segment-store-3") {
		t.Errorf("the message does not name the stuck member: %s", out.Message)
	}
	if n := e.replicas(t, operator.PravegaClusters, "pravega", "spec", "pravega", "controllerReplicas"); n != 1 {
		t.Errorf("controllers patched to %d after the step timed out", n)
	}
}

// TestIntegrationConflict: someone changes the spec between the plan and
// apply; the engine refuses the step and nothing is overwritten.
func TestIntegrationConflict(t *testing.T) {
	e := integration(t, "scale-conflict")
	eng, _ := e.engine(t, e.admin, nil)
	plan, pf, dry := checkAndDryRun(t, e.ctx, eng, scale.Change{Key: e.key(platform.ZooKeeper, "zookeeper"), Field: scale.Replicas, To: "5"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	e.patch(t, operator.ZookeeperClusters, "zookeeper", `{"spec":{"replicas":4}}`)
	ch, err := eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := drain(t, ch)
	if out.State != scale.Failed || !strings.Contains(out.Message, "conflict: the spec of ZookeeperCluster "+e.ns+"/zookeeper changed since the plan") {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	if n := e.replicas(t, operator.ZookeeperClusters, "zookeeper", "spec", "replicas"); n != 4 {
		t.Errorf("the other change was overwritten: %d", n)
	}
}

// TestIntegrationWriteBetweenReadAndPatch: a write lands between the
// engine's read and its patch, and the API server answers 409 because the
// patch carries the resourceVersion it was made from. A write that left the
// spec alone (an annotation here, the operator's status update in life) is
// read again and the patch sent again; an edit of the spec is refused and
// kept.
func TestIntegrationWriteBetweenReadAndPatch(t *testing.T) {
	for _, tc := range []struct {
		name, write string
		state       scale.OutcomeState
		message     string
		replicas    int64
	}{
		{"metadata", `{"metadata":{"annotations":{"touched-by":"someone-else"}}}`, scale.Completed, "converged", 4},
		{"spec", `{"spec":{"replicas":5}}`, scale.Failed, "changed since the plan", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := integration(t, "scale-409-"+tc.name)
			cfg, err := e.c.Config("admin")
			if err != nil {
				t.Fatal(err)
			}
			var once sync.Once
			var conflicts atomic.Int32
			cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
				return roundTripper(func(req *http.Request) (*http.Response, error) {
					apply := req.Method == http.MethodPatch && !strings.Contains(req.URL.RawQuery, "dryRun")
					if apply {
						once.Do(func() { e.patch(t, operator.BookkeeperClusters, "bookkeeper", tc.write) })
					}
					res, err := rt.RoundTrip(req)
					if apply && err == nil && res.StatusCode == http.StatusConflict {
						conflicts.Add(1)
					}
					return res, err
				})
			})
			eng, _ := e.engine(t, clientsFor(t, cfg, "admin"), nil)
			plan, pf, dry := checkAndDryRun(t, e.ctx, eng, scale.Change{Key: e.key(platform.BookKeeper, "bookkeeper"), Field: scale.Replicas, To: "4"})
			if !pf.Passed() || !dry[0].OK {
				t.Fatalf("checks: %s %+v", failing(pf), dry)
			}
			ch, err := eng.Apply(e.ctx, plan.ID, plan.Confirm)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := drain(t, ch)
			if out.State != tc.state || !strings.Contains(out.Message, tc.message) {
				t.Fatalf("%s: %s", out.State, out.Message)
			}
			if n := conflicts.Load(); n != 1 {
				t.Errorf("%d patches answered 409, want the one made before the write", n)
			}
			if n := e.replicas(t, operator.BookkeeperClusters, "bookkeeper", "spec", "replicas"); n != tc.replicas {
				t.Errorf("bookies %d, want %d", n, tc.replicas)
			}
		})
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestIntegrationReadOnlySendsNoWrite proves read-only mode writes
// nothing: every request of the engine and its watcher goes through a
// counting transport, and the only non-GET requests are the access and
// identity reviews (POSTs that the API server answers without storing
// anything).
func TestIntegrationReadOnlySendsNoWrite(t *testing.T) {
	e := integration(t, "scale-readonly")
	counted, onlyReviews := e.countedClients(t)
	e.w = e.watcher(t, counted) // the engine reads through the counted clients too
	e.await(t, "the counted watcher", func(s *platform.Snapshot) string {
		if len(s.Components) < 4 || !s.Synced() {
			return "syncing"
		}
		return ""
	})
	eng, _ := e.engine(t, counted, func(c *scale.Config) { c.ReadOnly = guard.New(true) })
	plan, err := eng.Plan(e.ctx, []scale.Change{{Key: e.key(platform.SegmentStore, "pravega"), Field: scale.Replicas, To: "5"}})
	if err != nil {
		t.Fatal(err)
	}
	pf, err := eng.Preflight(e.ctx, plan.ID)
	if err != nil || !pf.Passed() {
		t.Fatalf("preflight %v: %s", err, failing(pf))
	}
	if _, err := eng.Nodes(e.ctx); err != nil {
		t.Fatal(err)
	}
	refusedReadOnly(t, e.ctx, eng, plan)
	onlyReviews(t)
	if n := e.replicas(t, operator.PravegaClusters, "pravega", "spec", "pravega", "segmentStoreReplicas"); n != 3 {
		t.Errorf("segment stores %d", n)
	}
}

// standIn plays the operators for the stream store in one namespace: it
// reconciles each custom resource's replicas into member pods, one at a
// time in ordinal order (as a StatefulSet rolls), with the operators'
// labels and the spec's requests, on kwok's nodes. Members listed in the
// resource's annotationStuck are created unschedulable.
func standIn(ctx context.Context, cl *kube.Clients, ns, logsDir string) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, c := range wanted(ctx, cl, ns) {
			reconcileMembers(ctx, cl, ns, logsDir, c)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

type memberSet struct {
	prefix, container string
	n                 int
	labels            map[string]string
	requests          corev1.ResourceList
	stuck, errorLogs  []string
}

func wanted(ctx context.Context, cl *kube.Clients, ns string) []memberSet {
	var out []memberSet
	get := func(r operator.Resource) []unstructured.Unstructured {
		l, err := cl.Dynamic.Resource(r.GVR).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil
		}
		return l.Items
	}
	num := func(u *unstructured.Unstructured, def int64, path ...string) int {
		n, found, _ := unstructured.NestedInt64(u.Object, path...)
		if !found {
			n = def
		}
		return int(n)
	}
	reqs := func(u *unstructured.Unstructured, path ...string) corev1.ResourceList {
		m, _, _ := unstructured.NestedStringMap(u.Object, path...)
		out := corev1.ResourceList{}
		for k, v := range m {
			if q, err := resource.ParseQuantity(v); err == nil {
				out[corev1.ResourceName(k)] = q
			}
		}
		return out
	}
	stuck := func(u *unstructured.Unstructured) []string {
		return strings.Split(u.GetAnnotations()[annotationStuck], ",")
	}
	errorLogs := func(u *unstructured.Unstructured) []string {
		return strings.Split(u.GetAnnotations()[annotationErrorLogs], ",")
	}
	for _, u := range get(operator.ZookeeperClusters) {
		out = append(out, memberSet{prefix: u.GetName(), container: "zookeeper", n: num(&u, 3, "spec", "replicas"), stuck: stuck(&u),
			labels: map[string]string{"app": u.GetName(), "release": u.GetName(), "kind": "ZookeeperMember"}, requests: reqs(&u, "spec", "pod", "resources", "requests")})
	}
	for _, u := range get(operator.BookkeeperClusters) {
		out = append(out, memberSet{prefix: u.GetName() + "-bookie", container: "bookie", n: num(&u, 3, "spec", "replicas"), stuck: stuck(&u),
			labels: map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": u.GetName(), "component": "bookie"}, requests: reqs(&u, "spec", "resources", "requests")})
	}
	for _, u := range get(operator.PravegaClusters) {
		common := func(component string) map[string]string {
			return map[string]string{"app": "pravega-cluster", "pravega_cluster": u.GetName(), "component": component}
		}
		out = append(out,
			memberSet{prefix: u.GetName() + "-pravega-segment-store", container: "pravega-segmentstore", n: num(&u, 1, "spec", "pravega", "segmentStoreReplicas"), stuck: stuck(&u),
				labels: common("pravega-segmentstore"), requests: reqs(&u, "spec", "pravega", "segmentStoreResources", "requests"), errorLogs: errorLogs(&u)},
			memberSet{prefix: u.GetName() + "-pravega-controller", container: "pravega-controller", n: num(&u, 1, "spec", "pravega", "controllerReplicas"), stuck: stuck(&u),
				labels: common("pravega-controller"), requests: reqs(&u, "spec", "pravega", "controllerResources", "requests")})
	}
	return out
}

func reconcileMembers(ctx context.Context, cl *kube.Clients, ns, logsDir string, m memberSet) {
	var sel []string
	for k, v := range m.labels {
		sel = append(sel, k+"="+v)
	}
	pods, err := cl.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: strings.Join(sel, ",")})
	if err != nil {
		return
	}
	have := map[string]*corev1.Pod{}
	for i := range pods.Items {
		have[pods.Items[i].Name] = &pods.Items[i]
	}
	for i := len(have) - 1; i >= m.n; i-- { // surplus, highest ordinal first
		name := fmt.Sprintf("%s-%d", m.prefix, i)
		if p, ok := have[name]; ok && p.DeletionTimestamp == nil {
			_ = cl.Typed.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
			return
		}
	}
	for i := 0; i < m.n; i++ {
		name := fmt.Sprintf("%s-%d", m.prefix, i)
		p, ok := have[name]
		if !ok {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: m.labels},
				Spec: corev1.PodSpec{NodeName: fmt.Sprintf("kwok-node-%d", i%3),
					Containers: []corev1.Container{{Name: m.container, Image: "example/" + m.container, Resources: corev1.ResourceRequirements{Requests: m.requests}}}},
			}
			if slices.Contains(m.stuck, name) {
				pod.Spec.NodeName = ""
				pod.Spec.NodeSelector = map[string]string{"test.streamops.io/no-such-node": "true"}
			}
			// The logs first: kwok can run the pod Ready before it has
			// seen a Logs resource created after it, and a post-check
			// then finds a running container with no logs, which a
			// kubelet never serves.
			serveLogs(ctx, cl, ns, logsDir, name, m.container, slices.Contains(m.errorLogs, name))
			_, _ = cl.Typed.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
			return
		}
		if !podReady(p) {
			return // ordered: the next member waits for this one
		}
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// TestIntegrationPostCheckFindsErrors: the new segment store logs an error
// after the step began; the post-scale check reads it through the pods/log
// API and warns with the line as evidence.
func TestIntegrationPostCheckFindsErrors(t *testing.T) {
	e := integration(t, "scale-postcheck")
	e.patch(t, operator.PravegaClusters, "pravega", `{"metadata":{"annotations":{"`+annotationErrorLogs+`":"pravega-pravega-segment-store-3"}}}`)
	eng, _ := e.engine(t, e.admin, nil)
	plan, pf, dry := checkAndDryRun(t, e.ctx, eng, scale.Change{Key: e.key(platform.SegmentStore, "pravega"), Field: scale.Replicas, To: "4"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	ch, err := eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := drain(t, ch)
	if out.State != scale.Completed || out.Post == nil {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	ev := strings.Join(out.Post.Evidence, "\n")
	if out.Post.Verdict != scale.Warn || !strings.Contains(ev, "pravega-pravega-segment-store-3/pravega-segmentstore: 1 error line(s)") ||
		!strings.Contains(ev, "ledger 42 fenced") {
		t.Errorf("post-check %s %q\n%s", out.Post.Verdict, out.Post.Summary, ev)
	}
}
