package watch_test

// Integration tests: the watcher against a real kube-apiserver with the
// operators' upstream CRDs, kwok making the pods Running and Ready (see
// backend/testcluster). They skip when the test cluster is not built.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/watch"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

// The upstream CRDs, by the resource the watcher names them with.
var crdFiles = map[string]string{
	"zookeeperclusters.zookeeper.pravega.io":   "zookeeper.pravega.io_zookeeperclusters.yaml",
	"bookkeeperclusters.bookkeeper.pravega.io": "bookkeeper.pravega.io_bookkeeperclusters.yaml",
	"pravegaclusters.pravega.pravega.io":       "pravega.pravega.io_pravegaclusters.yaml",
	"flinkdeployments.flink.apache.org":        "flinkdeployments.flink.apache.org-v1.yml",
	"flinkclusters.flinkoperator.k8s.io":       "spotify_flinkoperator.k8s.io_flinkclusters.yaml",
}

// typedWatches are the watches every watcher has, in display order.
var typedWatches = []string{"pods", "events", "nodes", "statefulsets", "deployments", "services", "endpointslices", "ingresses",
	"persistentvolumeclaims", "storageclasses"}

// itTime is the lastTransitionTime the tests write into operator conditions.
var itTime = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

type itCluster struct {
	*testcluster.Cluster
	admin *kube.Clients
}

// integration returns the package's test cluster with admin clients.
func integration(t *testing.T) *itCluster {
	t.Helper()
	c := testcluster.Require(t)
	return &itCluster{Cluster: c, admin: clientsFor(t, c, "admin")}
}

func clientsFor(t *testing.T, c *testcluster.Cluster, context string) *kube.Clients {
	t.Helper()
	cfg, err := c.Config(context)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kube.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl.Context = context
	return cl
}

func (c *itCluster) installCRDs(t *testing.T, ctx context.Context, resources ...string) {
	t.Helper()
	paths := make([]string, len(resources))
	for i, r := range resources {
		paths[i] = testcluster.Testdata(crdFiles[r])
	}
	if err := testcluster.InstallCRDs(ctx, c.Cluster, paths...); err != nil {
		t.Fatal(err)
	}
}

// namespace creates a namespace, or empties it of pods when an earlier run
// (go test -count=N shares the cluster) left some.
func (c *itCluster) namespace(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	_, err := c.admin.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err == nil {
		return
	}
	if !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	pods := c.admin.Typed.CoreV1().Pods(name)
	if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, metav1.ListOptions{}); err != nil {
		t.Fatalf("delete pods of %s: %v", name, err)
	}
	for {
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list pods of %s: %v", name, err)
		}
		if len(list.Items) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d pods of %s not deleted: %v", len(list.Items), name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// applySample applies an upstream sample (they carry no namespace) into ns,
// taking back fields an earlier run patched.
func (c *itCluster) applySample(t *testing.T, ctx context.Context, ns, file string) {
	t.Helper()
	if _, err := c.Kubectl(ctx, "apply", "--server-side", "--force-conflicts", "-n", ns, "-f", testcluster.Testdata(file)); err != nil {
		t.Fatal(err)
	}
}

// patchStatus merge-patches a custom resource's status subresource (every
// CRD used here has one: `kubectl get crd X -o jsonpath={.spec.versions[*].subresources}`).
func (c *itCluster) patchStatus(ctx context.Context, res operator.Resource, ns, name string, status map[string]any) error {
	body, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	_, err = c.admin.Dynamic.Resource(res.GVR).Namespace(ns).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{}, "status")
	return err
}

type podDef struct {
	ns, name, node, container, image string
	labels, annotations              map[string]string
}

func (c *itCluster) createPods(t *testing.T, ctx context.Context, pods ...podDef) {
	t.Helper()
	for _, p := range pods {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: p.ns, Labels: p.labels, Annotations: p.annotations},
			Spec: corev1.PodSpec{
				NodeName:   p.node, // a kwok node: kwok makes the pod Running and Ready
				Containers: []corev1.Container{{Name: p.container, Image: p.image}},
			},
		}
		if _, err := c.admin.Typed.CoreV1().Pods(p.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod %s/%s: %v", p.ns, p.name, err)
		}
	}
}

// startWatcher starts a watcher that stops when the test ends, and fails
// the test if the watcher reports an internal error (a recovered panic).
func startWatcher(t *testing.T, ctx context.Context, clients *kube.Clients, scope kube.Scope) *watch.Watcher {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	w := watch.New(watch.Config{Clients: clients, Scope: scope})
	if err := w.Start(wctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		for {
			select {
			case err := <-w.Errors():
				if strings.Contains(err.Error(), "internal error") {
					t.Errorf("watcher reported: %v", err)
				}
			default:
				return
			}
		}
	})
	return w
}

// awaitSnapshot reads snapshots until check returns "" and returns that
// snapshot; on timeout it fails with the last thing check complained about.
func awaitSnapshot(t *testing.T, ctx context.Context, w *watch.Watcher, what string, check func(*platform.Snapshot) string) *platform.Snapshot {
	t.Helper()
	sub := w.Subscribe(ctx)
	last := "no snapshot published"
	for {
		if s := w.Snapshot(); s.Seq > 0 {
			if last = check(s); last == "" {
				return s
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s: %s", what, last)
		case <-sub:
		}
	}
}

func syncState(s *platform.Snapshot, resource string) (platform.SyncState, bool) {
	for _, st := range s.Syncs {
		if st.Resource == resource {
			return st, true
		}
	}
	return platform.SyncState{}, false
}

func syncNames(s *platform.Snapshot) []string {
	out := make([]string, len(s.Syncs))
	for i, st := range s.Syncs {
		out[i] = st.Resource
	}
	return out
}

// wantComp is what a component must look like, exactly.
type wantComp struct {
	desired, ready int
	hasSpec        bool
	version, state string
	health         platform.Health
	reason         string
	invalid        string
	source         string // the custom resource kind
	members        []string
	nodes          []string
	conditions     []platform.Condition
}

// diffComponent describes how c differs from want, "" when it does not.
func diffComponent(c *platform.Component, want wantComp) string {
	if c == nil {
		return "component missing"
	}
	var names, nodes []string
	for _, m := range c.Members {
		names, nodes = append(names, m.Name), append(nodes, m.Node)
	}
	var diffs []string
	add := func(field string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, got, want))
		}
	}
	add("desired", c.Desired, want.desired)
	add("ready", c.Ready, want.ready)
	add("hasSpec", c.HasSpec, want.hasSpec)
	add("version", c.Version, want.version)
	add("state", c.State, want.state)
	add("health", c.Health, want.health)
	add("reason", c.Reason, want.reason)
	add("invalid", c.Invalid, want.invalid)
	add("source kind", c.Source.Kind, want.source)
	add("members", names, want.members)
	add("nodes", nodes, want.nodes)
	if !slices.EqualFunc(c.Conditions, want.conditions, func(a, b platform.Condition) bool {
		return a.Type == b.Type && a.Status == b.Status && a.Reason == b.Reason && a.Message == b.Message && a.LastTransition.Equal(b.LastTransition)
	}) {
		diffs = append(diffs, fmt.Sprintf("conditions = %+v, want %+v", c.Conditions, want.conditions))
	}
	if diffs == nil {
		return ""
	}
	return c.Key() + ": " + strings.Join(diffs, "; ")
}

// diffComponents checks every wanted component (by key) and returns the
// first difference.
func diffComponents(s *platform.Snapshot, want map[string]wantComp) string {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if c := s.Component(k); c == nil {
			return k + ": component missing"
		} else if d := diffComponent(c, want[k]); d != "" {
			return d
		}
	}
	return ""
}

// operatorConditions are the conditions the Pravega operators write when
// all pods are ready (contracts/STATUS.md); times are RFC3339 strings.
func operatorConditions() ([]any, []platform.Condition) {
	ts := itTime.Format(time.RFC3339)
	raw := []any{
		map[string]any{"type": "PodsReady", "status": "True", "lastTransitionTime": ts, "lastUpdateTime": ts},
		map[string]any{"type": "Upgrading", "status": "False", "lastTransitionTime": ts, "lastUpdateTime": ts},
		map[string]any{"type": "Error", "status": "False", "lastTransitionTime": ts, "lastUpdateTime": ts},
	}
	decoded := []platform.Condition{
		{Type: "PodsReady", Status: "True", LastTransition: itTime},
		{Type: "Upgrading", Status: "False", LastTransition: itTime},
		{Type: "Error", Status: "False", LastTransition: itTime},
	}
	return raw, decoded
}

func seq(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

func TestIntegrationSnapshot(t *testing.T) {
	c := integration(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	c.installCRDs(t, ctx, "zookeeperclusters.zookeeper.pravega.io", "bookkeeperclusters.bookkeeper.pravega.io",
		"pravegaclusters.pravega.pravega.io", "flinkdeployments.flink.apache.org", "flinkclusters.flinkoperator.k8s.io")
	c.namespace(t, ctx, "pravega")
	c.namespace(t, ctx, "analytics")
	c.applySample(t, ctx, "pravega", "zookeeper_v1beta1_zookeepercluster_cr.yaml") // zookeeper, 3 replicas
	c.applySample(t, ctx, "pravega", "bookkeeper_v1alpha1_cr.yaml")                // bookkeeper, 3 replicas
	c.applySample(t, ctx, "pravega", "pravega_v1beta1_pravega-cr.yaml")            // pravega, 1 controller, 3 segment stores
	c.applySample(t, ctx, "analytics", "basic.yaml")                               // basic-example, parallelism 2, 2 slots

	// Status as the operators write it once everything is up.
	rawConds, conds := operatorConditions()
	ts := itTime.Format(time.RFC3339)
	statuses := []struct {
		res      operator.Resource
		ns, name string
		status   map[string]any
	}{
		{operator.ZookeeperClusters, "pravega", "zookeeper", map[string]any{
			"replicas": 3, "readyReplicas": 3, "currentVersion": "0.2.14", "metaRootCreated": true,
			"internalClientEndpoint": "10.0.0.12:2181", "externalClientEndpoint": "N/A",
			"members": map[string]any{"ready": seq("zookeeper-%d", 3)}, "conditions": rawConds,
		}},
		{operator.BookkeeperClusters, "pravega", "bookkeeper", map[string]any{
			"replicas": 3, "currentReplicas": 3, "readyReplicas": 3, "currentVersion": "0.9.0", "versionHistory": []string{"0.9.0"},
			"members": map[string]any{"ready": seq("bookkeeper-bookie-%d", 3)}, "conditions": rawConds,
		}},
		{operator.PravegaClusters, "pravega", "pravega", map[string]any{
			"replicas": 4, "currentReplicas": 4, "readyReplicas": 4, "currentVersion": "0.10.0", "versionHistory": []string{"0.10.0"},
			"conditions": rawConds,
		}},
		{operator.FlinkDeployments, "analytics", "basic-example", map[string]any{
			"jobStatus":                  map[string]any{"jobName": "State machine job", "jobId": "c4b8e7e0a1f24f0e9d0b8f5c3a2e1d00", "state": "RUNNING", "startTime": "1795510800000"},
			"lifecycleState":             "STABLE",
			"jobManagerDeploymentStatus": "READY",
			"taskManager":                map[string]any{"labelSelector": "component=taskmanager,app=basic-example", "replicas": 1},
			"conditions":                 []any{map[string]any{"type": "Running", "status": "True", "reason": "Running", "message": "Job status RUNNING", "lastTransitionTime": ts}},
		}},
	}
	for _, s := range statuses {
		if err := c.patchStatus(ctx, s.res, s.ns, s.name, s.status); err != nil {
			t.Fatalf("status of %s %s/%s: %v", s.res.Kind, s.ns, s.name, err)
		}
	}

	// The watcher starts before the pods exist: they arrive as watch events.
	w := startWatcher(t, ctx, c.admin, kube.Scope{})

	// Pods with the labels the operators set (contracts/LABELS.md).
	var pods []podDef
	for i := range 3 {
		node := fmt.Sprintf("kwok-node-%d", i)
		pods = append(pods,
			podDef{ns: "pravega", name: fmt.Sprintf("zookeeper-%d", i), node: node, container: "zookeeper", image: "pravega/zookeeper:0.2.14",
				labels: map[string]string{"app": "zookeeper", "release": "zookeeper", "kind": "ZookeeperMember"}},
			podDef{ns: "pravega", name: fmt.Sprintf("bookkeeper-bookie-%d", i), node: node, container: "bookie", image: "pravega/bookkeeper:0.9.0",
				labels:      map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": "bookkeeper", "component": "bookie"},
				annotations: map[string]string{"bookkeeper.version": "0.9.0"}},
			podDef{ns: "pravega", name: fmt.Sprintf("pravega-pravega-segment-store-%d", i), node: node, container: "pravega-segmentstore", image: "pravega/pravega:0.10.0",
				labels:      map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore"},
				annotations: map[string]string{"pravega.version": "0.10.0"}})
	}
	pods = append(pods,
		podDef{ns: "pravega", name: "pravega-pravega-controller-5d8c7f9b6d-x7k2p", node: "kwok-node-1", container: "pravega-controller", image: "pravega/pravega:0.10.0",
			labels:      map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-controller", "pod-template-hash": "5d8c7f9b6d"},
			annotations: map[string]string{"pravega.version": "0.10.0"}},
		podDef{ns: "analytics", name: "basic-example-6b8f9c7d5-q4w8z", node: "kwok-node-2", container: "flink-main-container", image: "flink:2.2",
			labels: map[string]string{"type": "flink-native-kubernetes", "app": "basic-example", "component": "jobmanager", "pod-template-hash": "6b8f9c7d5"}},
		podDef{ns: "analytics", name: "basic-example-taskmanager-1-1", node: "kwok-node-0", container: "flink-main-container", image: "flink:2.2",
			labels: map[string]string{"type": "flink-native-kubernetes", "app": "basic-example", "component": "taskmanager"}},
	)
	c.createPods(t, ctx, pods...)

	flinkConds := []platform.Condition{{Type: "Running", Status: "True", Reason: "Running", Message: "Job status RUNNING", LastTransition: itTime}}
	nodes3 := []string{"kwok-node-0", "kwok-node-1", "kwok-node-2"}
	want := map[string]wantComp{
		"pravega/zookeeper/ZooKeeper": {desired: 3, ready: 3, hasSpec: true, version: "0.2.14", health: platform.Ready,
			source: "ZookeeperCluster", members: seq("zookeeper-%d", 3), nodes: nodes3, conditions: conds},
		"pravega/bookkeeper/BookKeeper": {desired: 3, ready: 3, hasSpec: true, version: "0.9.0", health: platform.Ready,
			source: "BookkeeperCluster", members: seq("bookkeeper-bookie-%d", 3), nodes: nodes3, conditions: conds},
		"pravega/pravega/SegmentStore": {desired: 3, ready: 3, hasSpec: true, version: "0.10.0", health: platform.Ready,
			source: "PravegaCluster", members: seq("pravega-pravega-segment-store-%d", 3), nodes: nodes3, conditions: conds},
		"pravega/pravega/Controller": {desired: 1, ready: 1, hasSpec: true, version: "0.10.0", health: platform.Ready,
			source: "PravegaCluster", members: []string{"pravega-pravega-controller-5d8c7f9b6d-x7k2p"}, nodes: []string{"kwok-node-1"}, conditions: conds},
		"analytics/basic-example/JobManager": {desired: 1, ready: 1, hasSpec: true, version: "v2_2", state: "job RUNNING", health: platform.Ready,
			source: "FlinkDeployment", members: []string{"basic-example-6b8f9c7d5-q4w8z"}, nodes: []string{"kwok-node-2"}, conditions: flinkConds},
		// No spec.taskManager.replicas: ceil(parallelism 2 / 2 slots) = 1.
		"analytics/basic-example/TaskManager": {desired: 1, ready: 1, hasSpec: true, version: "v2_2", state: "job RUNNING", health: platform.Ready,
			source: "FlinkDeployment", members: []string{"basic-example-taskmanager-1-1"}, nodes: []string{"kwok-node-0"}, conditions: flinkConds},
	}
	snap := awaitSnapshot(t, ctx, w, "all components ready", func(s *platform.Snapshot) string {
		if !s.Synced() {
			return fmt.Sprintf("syncs %+v", s.Syncs)
		}
		return diffComponents(s, want)
	})

	// Kinds in display order (the stream store in scaling order, then Flink),
	// and nothing else in the platform's namespaces.
	var kinds []string
	for _, comp := range snap.Components {
		if comp.Namespace == "pravega" || comp.Namespace == "analytics" {
			kinds = append(kinds, comp.Kind.String())
		}
	}
	if got, wantKinds := strings.Join(kinds, ","), "ZooKeeper,BookKeeper,SegmentStore,Controller,JobManager,TaskManager"; got != wantKinds {
		t.Errorf("component kinds = %s, want %s", got, wantKinds)
	}
	// Every watch synced; the v1alpha1 PravegaCluster fallback is not watched
	// because v1beta1 is served.
	wantSyncs := append(slices.Clone(typedWatches), "zookeeperclusters.zookeeper.pravega.io", "bookkeeperclusters.bookkeeper.pravega.io",
		"pravegaclusters.pravega.pravega.io", "flinkdeployments.flink.apache.org", "flinkclusters.flinkoperator.k8s.io")
	if got := syncNames(snap); !slices.Equal(got, wantSyncs) {
		t.Errorf("sync states = %v, want %v", got, wantSyncs)
	}
	for _, st := range snap.Syncs {
		if st.Phase != platform.Synced {
			t.Errorf("sync %s = %s (%s), want synced", st.Resource, st.Phase, st.Reason)
		}
	}
	var nodeNames []string
	for _, n := range snap.Nodes {
		if !n.Ready {
			t.Errorf("node %s not ready", n.Name)
		}
		nodeNames = append(nodeNames, n.Name)
	}
	if !slices.Equal(nodeNames, nodes3) {
		t.Errorf("nodes = %v, want %v", nodeNames, nodes3)
	}
	for _, m := range snap.Component("pravega/pravega/SegmentStore").Members {
		if m.Phase != "Running" || m.IP == "" || len(m.Containers) != 1 || m.Containers[0].State != platform.StateRunning || m.Restarts != 0 {
			t.Errorf("segment store %s: phase %s ip %q containers %+v restarts %d, want a running pod with an IP", m.Name, m.Phase, m.IP, m.Containers, m.Restarts)
		}
	}
	if t.Failed() {
		return
	}

	// One segment store crash-loops, OOM-killed (the testcluster's kwok stage).
	crashing := "pravega-pravega-segment-store-1"
	patch := `{"metadata":{"labels":{"testcluster.local/crashloop":"true"},"annotations":{"testcluster.local/crash-reason":"OOMKilled","testcluster.local/crash-exit-code":"137","testcluster.local/crash-delay-ms":"300"}}}`
	if _, err := c.admin.Typed.CoreV1().Pods("pravega").Patch(ctx, crashing, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	ssWant := want["pravega/pravega/SegmentStore"]
	ssWant.ready, ssWant.health, ssWant.reason = 2, platform.Degraded, "2/3 ready; CrashLoopBackOff: "+crashing
	snap = awaitSnapshot(t, ctx, w, "segment store 2/3", func(s *platform.Snapshot) string {
		if d := diffComponent(s.Component("pravega/pravega/SegmentStore"), ssWant); d != "" {
			return d
		}
		if m := memberOf(s, "pravega/pravega/SegmentStore", crashing); m == nil || m.Restarts < 1 {
			return "no restart seen yet"
		}
		return ""
	})
	m := memberOf(snap, "pravega/pravega/SegmentStore", crashing)
	ct := m.Containers[0]
	if m.Ready || m.Phase != "Running" || m.Reason != "CrashLoopBackOff" {
		t.Errorf("member %s: ready %v phase %s reason %q, want not ready, Running, CrashLoopBackOff", m.Name, m.Ready, m.Phase, m.Reason)
	}
	if ct.Name != "pravega-segmentstore" || ct.State != platform.StateWaiting || ct.Reason != "CrashLoopBackOff" || ct.RestartCount < 1 || ct.RestartCount != m.Restarts {
		t.Errorf("container %+v, want pravega-segmentstore waiting in CrashLoopBackOff with restarts counted", ct)
	}
	if ct.Last == nil || ct.Last.Reason != "OOMKilled" || ct.Last.ExitCode != 137 {
		t.Errorf("last termination = %+v, want OOMKilled exit code 137", ct.Last)
	}
	if d := diffComponents(snap, map[string]wantComp{"pravega/pravega/Controller": want["pravega/pravega/Controller"], "pravega/zookeeper/ZooKeeper": want["pravega/zookeeper/ZooKeeper"]}); d != "" {
		t.Errorf("a crash-looping segment store changed another component: %s", d)
	}

	// Another segment store is deleted: two members are left, one ready.
	if err := c.admin.Typed.CoreV1().Pods("pravega").Delete(ctx, "pravega-pravega-segment-store-2", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	ssWant.ready, ssWant.reason = 1, "1/3 ready; CrashLoopBackOff: "+crashing
	ssWant.members, ssWant.nodes = seq("pravega-pravega-segment-store-%d", 2), nodes3[:2]
	awaitSnapshot(t, ctx, w, "segment store 1/3 after a deletion", func(s *platform.Snapshot) string {
		return diffComponent(s.Component("pravega/pravega/SegmentStore"), ssWant)
	})
}

func memberOf(s *platform.Snapshot, key, name string) *platform.Member {
	c := s.Component(key)
	if c == nil {
		return nil
	}
	for _, m := range c.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

func TestIntegrationMissingCRDAndForbidden(t *testing.T) {
	c := integration(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // CRD deletion is slow under a loaded machine
	defer cancel()
	const flinkClusters = "flinkclusters.flinkoperator.k8s.io"
	c.installCRDs(t, ctx, "zookeeperclusters.zookeeper.pravega.io", "bookkeeperclusters.bookkeeper.pravega.io",
		"pravegaclusters.pravega.pravega.io", "flinkdeployments.flink.apache.org")

	t.Run("absent CRD", func(t *testing.T) {
		// Another test may have installed it: remove it and wait until
		// discovery no longer serves the group.
		if _, err := c.Kubectl(ctx, "delete", "crd", flinkClusters, "--ignore-not-found", "--wait"); err != nil {
			t.Fatal(err)
		}
		gv := operator.FlinkClusters.GVR.GroupVersion().String()
		for {
			_, err := c.admin.Discovery.ServerResourcesForGroupVersion(gv)
			if apierrors.IsNotFound(err) {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("discovery still serves %s after the CRD was deleted (last error %v)", gv, err)
			case <-time.After(50 * time.Millisecond):
			}
		}

		w := startWatcher(t, ctx, c.admin, kube.Scope{})
		snap := awaitSnapshot(t, ctx, w, "sync", func(s *platform.Snapshot) string {
			if !s.Synced() {
				return fmt.Sprintf("syncs %+v", s.Syncs)
			}
			return ""
		})
		st, ok := syncState(snap, flinkClusters)
		if !ok || st.Phase != platform.Absent || st.Reason != "not served (CRD not installed)" {
			t.Errorf("%s = %+v (listed %v), want absent, not served (CRD not installed)", flinkClusters, st, ok)
		}
		for _, st := range snap.Syncs {
			if st.Resource != flinkClusters && st.Phase != platform.Synced {
				t.Errorf("sync %s = %s (%s), want synced", st.Resource, st.Phase, st.Reason)
			}
		}

		// Once the CRD is installed, a new watcher watches it.
		c.installCRDs(t, ctx, flinkClusters)
		w2 := startWatcher(t, ctx, c.admin, kube.Scope{})
		awaitSnapshot(t, ctx, w2, flinkClusters+" synced", func(s *platform.Snapshot) string {
			if st, _ := syncState(s, flinkClusters); st.Phase != platform.Synced {
				return fmt.Sprintf("%+v", st)
			}
			return ""
		})
		// The watcher started before the CRD existed picks it up by itself
		// (it watches the operators' CRDs) and drops it when it goes.
		awaitSnapshot(t, ctx, w, flinkClusters+" appears at run time", func(s *platform.Snapshot) string {
			if st, _ := syncState(s, flinkClusters); st.Phase != platform.Synced {
				return fmt.Sprintf("%+v", st)
			}
			return ""
		})
		if _, err := c.Kubectl(ctx, "delete", "crd", flinkClusters, "--wait"); err != nil {
			t.Fatal(err)
		}
		awaitSnapshot(t, ctx, w, flinkClusters+" disappears at run time", func(s *platform.Snapshot) string {
			if st, _ := syncState(s, flinkClusters); st.Phase != platform.Absent {
				return fmt.Sprintf("%+v", st)
			}
			return ""
		})
	})

	t.Run("forbidden", func(t *testing.T) {
		// Everything is installed now; user "limited" may only get/list/watch
		// pods in team-a.
		c.installCRDs(t, ctx, flinkClusters)
		ns := c.Env["TESTCLUSTER_LIMITED_NS"]
		if ns == "" {
			ns = "team-a"
		}
		c.namespace(t, ctx, ns)
		c.createPods(t, ctx,
			podDef{ns: ns, name: "zk-a-0", node: "kwok-node-0", container: "zookeeper", image: "pravega/zookeeper:0.2.14",
				labels: map[string]string{"app": "zk-a", "kind": "ZookeeperMember"}},
			podDef{ns: ns, name: "toolbox", node: "kwok-node-1", container: "toolbox", image: "busybox"})
		limited := clientsFor(t, c.Cluster, "limited")

		// Discovery is open to every authenticated user (system:discovery),
		// so the custom resources are found served and their lists refused.
		if _, err := limited.Discovery.ServerResourcesForGroupVersion(operator.ZookeeperClusters.GVR.GroupVersion().String()); err != nil {
			t.Errorf("discovery as limited: %v", err)
		}

		w := startWatcher(t, ctx, limited, kube.Scope{Namespaces: []string{ns}})
		type wantSync struct {
			phase  platform.SyncPhase
			reason []string // substrings
		}
		forbidden := func(resource, group, scope string) wantSync {
			return wantSync{platform.Failing, []string{"forbidden: ", `User "limited" cannot list resource "` + resource + `" in API group "` + group + `" ` + scope}}
		}
		inNS := `in the namespace "` + ns + `"`
		wantSyncs := []struct {
			resource string
			want     wantSync
		}{
			{"pods", wantSync{phase: platform.Synced}},
			{"events", forbidden("events", "", inNS)},
			{"nodes", forbidden("nodes", "", "at the cluster scope")},
			{"statefulsets", forbidden("statefulsets", "apps", inNS)},
			{"deployments", forbidden("deployments", "apps", inNS)},
			{"services", forbidden("services", "", inNS)},
			{"endpointslices", forbidden("endpointslices", "discovery.k8s.io", inNS)},
			{"ingresses", forbidden("ingresses", "networking.k8s.io", inNS)},
			{"persistentvolumeclaims", forbidden("persistentvolumeclaims", "", inNS)},
			{"storageclasses", forbidden("storageclasses", "storage.k8s.io", "at the cluster scope")},
			{"zookeeperclusters.zookeeper.pravega.io", forbidden("zookeeperclusters", "zookeeper.pravega.io", inNS)},
			{"bookkeeperclusters.bookkeeper.pravega.io", forbidden("bookkeeperclusters", "bookkeeper.pravega.io", inNS)},
			{"pravegaclusters.pravega.pravega.io", forbidden("pravegaclusters", "pravega.pravega.io", inNS)},
			{"flinkdeployments.flink.apache.org", forbidden("flinkdeployments", "flink.apache.org", inNS)},
			{flinkClusters, forbidden("flinkclusters", "flinkoperator.k8s.io", inNS)},
		}
		diffSyncs := func(s *platform.Snapshot) string {
			var names []string
			for _, ws := range wantSyncs {
				names = append(names, ws.resource)
				st, ok := syncState(s, ws.resource)
				if !ok || st.Phase != ws.want.phase {
					return fmt.Sprintf("%s = %s (%s), want %s", ws.resource, st.Phase, st.Reason, ws.want.phase)
				}
				for _, sub := range ws.want.reason {
					if !strings.Contains(st.Reason, sub) {
						return fmt.Sprintf("%s reason %q does not contain %q", ws.resource, st.Reason, sub)
					}
				}
			}
			if got := syncNames(s); !slices.Equal(got, names) {
				return fmt.Sprintf("sync states = %v, want %v", got, names)
			}
			return ""
		}
		zk := wantComp{desired: 0, ready: 1, hasSpec: false, health: platform.Ready, source: "ZookeeperCluster",
			members: []string{"zk-a-0"}, nodes: []string{"kwok-node-0"}}
		toolbox := wantComp{desired: 0, ready: 1, hasSpec: false, health: platform.Ready, source: "Pod",
			members: []string{"toolbox"}, nodes: []string{"kwok-node-1"}}
		snap := awaitSnapshot(t, ctx, w, "forbidden watches failing, pods shown", func(s *platform.Snapshot) string {
			if d := diffSyncs(s); d != "" {
				return d
			}
			// Without the resource or its StatefulSet, the pods still show,
			// with an unknown desired count.
			return diffComponents(s, map[string]wantComp{ns + "/zk-a/ZooKeeper": zk, ns + "/toolbox/Other": toolbox})
		})
		if len(snap.Nodes) != 0 || len(snap.Events) != 0 || len(snap.Services) != 0 {
			t.Errorf("forbidden lists leaked into the snapshot: %d nodes, %d events, %d services", len(snap.Nodes), len(snap.Events), len(snap.Services))
		}
		for _, st := range snap.Syncs {
			t.Logf("limited: %-42s %-8s %s", st.Resource, st.Phase, st.Reason)
		}
	})
}

func TestIntegrationMalformedStatus(t *testing.T) {
	c := integration(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "malformed"
	c.installCRDs(t, ctx, "zookeeperclusters.zookeeper.pravega.io", "pravegaclusters.pravega.pravega.io", "flinkdeployments.flink.apache.org")
	c.namespace(t, ctx, ns)
	c.applySample(t, ctx, ns, "zookeeper_v1beta1_zookeepercluster_cr.yaml")
	c.applySample(t, ctx, ns, "basic.yaml")
	w := startWatcher(t, ctx, c.admin, kube.Scope{Namespaces: []string{ns}})

	// What the apiserver does with wrongly typed status: the CRDs have
	// structural schemas, so it refuses wrong types (the decoder's handling
	// of those is only reachable in unit tests), but it accepts values of
	// the right type with the wrong meaning.
	statusPatches := []struct {
		name     string
		status   map[string]any
		rejected string // substring of the apiserver's error; "" = accepted
	}{
		{"readyReplicas as a string", map[string]any{"readyReplicas": "three"}, `status.readyReplicas: Invalid value: "string": readyReplicas in body must be of type integer`},
		{"conditions as a string", map[string]any{"conditions": "broken"}, `status.conditions: Invalid value: "string": conditions in body must be of type array`},
		{"condition as a string", map[string]any{"conditions": []any{"PodsReady"}}, `status.conditions[0]: Invalid value: "string": conditions[0] in body must be of type object`},
		{"readyReplicas beyond int32", map[string]any{"readyReplicas": int64(math.MaxInt32) * 4}, ""},
		{"unparseable condition time, odd status", map[string]any{"currentVersion": "0.2.14",
			"conditions": []any{map[string]any{"type": "PodsReady", "status": "Maybe", "lastTransitionTime": "yesterday"}}}, ""},
	}
	for _, p := range statusPatches {
		err := c.patchStatus(ctx, operator.ZookeeperClusters, ns, "zookeeper", p.status)
		switch {
		case p.rejected == "" && err != nil:
			t.Errorf("%s: apiserver refused it: %v", p.name, err)
		case p.rejected != "" && (!apierrors.IsInvalid(err) || !strings.Contains(err.Error(), p.rejected)):
			t.Errorf("%s: got error %v, want 422 Invalid with %q", p.name, err, p.rejected)
		}
	}
	// The decoder takes what was accepted: an unparseable time is left
	// zero, an unknown status passes through, nothing is reported invalid.
	zk := wantComp{desired: 3, ready: 0, hasSpec: true, version: "0.2.14", health: platform.Failed, reason: "0/3 ready",
		source: "ZookeeperCluster", conditions: []platform.Condition{{Type: "PodsReady", Status: "Maybe"}}}
	awaitSnapshot(t, ctx, w, "zookeeper status", func(s *platform.Snapshot) string {
		return diffComponent(s.Component(ns+"/zookeeper/ZooKeeper"), zk)
	})

	// Malformed resources the apiserver does accept.
	// 1. flinkConfiguration is x-kubernetes-preserve-unknown-fields: any shape
	// is stored, and the decoder must report it on the resource's rows.
	patch := `{"spec":{"flinkConfiguration":{"taskmanager.numberOfTaskSlots":{"nested":true}}}}`
	if _, err := c.admin.Dynamic.Resource(operator.FlinkDeployments.GVR).Namespace(ns).Patch(ctx, "basic-example", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("apiserver refused an object in flinkConfiguration: %v", err)
	}
	// 2. A PravegaCluster written as v1alpha1 (no minimum on the replica
	// counts there, and no conversion webhook) is served as v1beta1 with a
	// negative controllerReplicas that v1beta1's schema would refuse.
	err := c.Apply(ctx, `apiVersion: pravega.pravega.io/v1alpha1
kind: PravegaCluster
metadata: {name: legacy, namespace: `+ns+`}
spec:
  pravega: {controllerReplicas: -2, segmentStoreReplicas: 1}
`)
	if err != nil {
		t.Fatalf("apiserver refused a v1alpha1 PravegaCluster with negative controllerReplicas: %v", err)
	}
	// 3. format: int32 is not enforced: 4×MaxInt32 replicas is stored.
	patch = fmt.Sprintf(`{"spec":{"replicas":%d}}`, int64(math.MaxInt32)*4)
	if _, err := c.admin.Dynamic.Resource(operator.ZookeeperClusters.GVR).Namespace(ns).Patch(ctx, "zookeeper", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("apiserver refused spec.replicas beyond int32: %v", err)
	}

	slotsInvalid := "invalid spec: spec.flinkConfiguration.taskmanager.numberOfTaskSlots: is an object, want a string"
	negInvalid := "invalid spec: spec.pravega.controllerReplicas: is negative (-2)"
	want := map[string]wantComp{
		ns + "/basic-example/JobManager": {desired: 1, hasSpec: true, version: "v2_2", health: platform.Unknown, reason: slotsInvalid, invalid: slotsInvalid, source: "FlinkDeployment"},
		// The slot count falls back to 1: ceil(2/1) = 2.
		ns + "/basic-example/TaskManager": {desired: 2, hasSpec: true, version: "v2_2", health: platform.Unknown, reason: slotsInvalid, invalid: slotsInvalid, source: "FlinkDeployment"},
		ns + "/legacy/SegmentStore":       {desired: 1, hasSpec: true, health: platform.Unknown, reason: negInvalid, invalid: negInvalid, source: "PravegaCluster"},
		// A negative count is replaced by the operator's default (1).
		ns + "/legacy/Controller": {desired: 1, hasSpec: true, health: platform.Unknown, reason: negInvalid, invalid: negInvalid, source: "PravegaCluster"},
	}
	snap := awaitSnapshot(t, ctx, w, "malformed resources reported", func(s *platform.Snapshot) string {
		if d := diffComponents(s, want); d != "" {
			return d
		}
		if z := s.Component(ns + "/zookeeper/ZooKeeper"); z == nil || z.Invalid == "" {
			return "zookeeper replicas not reported yet"
		}
		return ""
	})
	// The zookeeper-operator (int32 field) cannot decode such a resource at
	// all: the row says so and keeps the operator's default.
	z := snap.Component(ns + "/zookeeper/ZooKeeper")
	if want := fmt.Sprintf("invalid spec: spec.replicas: is %d, out of the int32 range", int64(math.MaxInt32)*4); z.Invalid != want || z.Desired != 3 {
		t.Errorf("spec.replicas beyond int32: desired %d, invalid %q; want 3, %q", z.Desired, z.Invalid, want)
	}
	// Only the malformed resources' rows are marked.
	for _, comp := range snap.Components {
		if _, marked := want[comp.Key()]; !marked && comp.Invalid != "" && comp.Key() != ns+"/zookeeper/ZooKeeper" {
			t.Errorf("%s marked invalid: %s", comp.Key(), comp.Invalid)
		}
	}
	if _, ok := syncState(snap, "zookeeperclusters.zookeeper.pravega.io"); !ok {
		t.Error("zookeeperclusters not watched")
	}
}
