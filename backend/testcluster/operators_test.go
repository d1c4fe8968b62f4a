package testcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

func TestOperatorsAvailableNamesWhatIsMissing(t *testing.T) {
	bin := t.TempDir()
	jar := filepath.Join(t.TempDir(), "zookeeper.jar")
	if reason, ok := operatorsAvailable(bin, []string{jar}, "sh"); ok || !strings.Contains(reason, "zookeeper-operator not built") {
		t.Errorf("no binaries: ok=%v %q", ok, reason)
	}
	for _, op := range []Operator{ZookeeperOperator, BookkeeperOperator} {
		if err := os.WriteFile(filepath.Join(bin, string(op)), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if reason, ok := operatorsAvailable(bin, []string{jar}, "no-such-java-on-path"); ok || !strings.Contains(reason, "no-such-java-on-path is not on PATH") {
		t.Errorf("no java: ok=%v %q", ok, reason)
	}
	if reason, ok := operatorsAvailable(bin, []string{jar}, "sh"); ok || !strings.Contains(reason, jar+" is missing") {
		t.Errorf("no ZooKeeper: ok=%v %q", ok, reason)
	}
	if err := os.WriteFile(jar, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if reason, ok := operatorsAvailable(bin, []string{jar}, "sh"); !ok {
		t.Errorf("everything there: %q", reason)
	}
}

func TestVolumeNameIsValid(t *testing.T) {
	if got := volumeName("ops", "data-zookeeper-0"); got != "tc-ops-data-zookeeper-0" {
		t.Errorf("volumeName = %q", got)
	}
	long := volumeName(strings.Repeat("n", 63), strings.Repeat("c", 253))
	if len(long) > 253 || strings.HasSuffix(long, "-") {
		t.Errorf("long volume name %d chars: %q", len(long), long)
	}
}

// TestIntegrationNodeLeasesAreRenewed: kwok holds a Lease per node in
// kube-node-lease and renews it, so kube-controller-manager never marks the
// nodes (and every pod on them) not ready after its grace period.
func TestIntegrationNodeLeasesAreRenewed(t *testing.T) {
	c := Require(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) == 0 {
		t.Fatal("no nodes")
	}
	first := map[string]time.Time{}
	for _, n := range nodes.Items {
		l, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("node %s: %v", n.Name, err)
		}
		if l.Spec.RenewTime == nil {
			t.Fatalf("lease %s was never renewed", n.Name)
		}
		first[n.Name] = l.Spec.RenewTime.Time
	}
	// kwok renews every quarter of the 40 s lease duration.
	for len(first) > 0 {
		for name, t0 := range first {
			l, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if l.Spec.RenewTime.After(t0) {
				delete(first, name)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("leases not renewed: %v", first)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

var (
	zookeeperClusters  = schema.GroupVersionResource{Group: "zookeeper.pravega.io", Version: "v1beta1", Resource: "zookeeperclusters"}
	bookkeeperClusters = schema.GroupVersionResource{Group: "bookkeeper.pravega.io", Version: "v1alpha1", Resource: "bookkeeperclusters"}
)

// TestIntegrationOperatorsReconcile runs both operators on the upstream
// samples: each reports its three members ready, the zookeeper-operator
// only after writing its znode to the test's ZooKeeper (currentVersion is
// set then), and every claim is bound.
func TestIntegrationOperatorsReconcile(t *testing.T) {
	c := Require(t)
	t.Parallel()
	ns := "operators-reconcile"
	ops := StartOperators(t, c, OperatorOptions{Namespace: ns, Operators: []Operator{ZookeeperOperator, BookkeeperOperator}})
	// Three members each, one after the other (the StatefulSets are
	// OrderedReady): half a minute on a quiet machine; CI's two cores also
	// run the other packages' clusters.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	begin := time.Now()
	for _, f := range []string{"zookeeper_v1beta1_zookeepercluster_cr.yaml", "bookkeeper_v1alpha1_cr.yaml"} {
		if _, err := c.Kubectl(ctx, "apply", "--server-side", "-n", ns, "-f", Testdata(f)); err != nil {
			t.Fatal(err)
		}
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ready := func(gvr schema.GroupVersionResource, name string) (string, bool) {
		u, err := dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		n, _, _ := unstructured.NestedInt64(u.Object, "status", "readyReplicas")
		v, _, _ := unstructured.NestedString(u.Object, "status", "currentVersion")
		podsReady := false
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "PodsReady" && m["status"] == "True" {
				podsReady = true
			}
		}
		state := fmt.Sprintf("readyReplicas %d, PodsReady %v, currentVersion %q", n, podsReady, v)
		return state, n == 3 && podsReady && v != ""
	}
	for _, cr := range []struct {
		gvr  schema.GroupVersionResource
		name string
		op   Operator
	}{{zookeeperClusters, "zookeeper", ZookeeperOperator}, {bookkeeperClusters, "bookkeeper", BookkeeperOperator}} {
		for {
			state, ok := ready(cr.gvr, cr.name)
			if ok {
				t.Logf("%s ready %s after apply (%s)", cr.name, time.Since(begin).Round(100*time.Millisecond), state)
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s not ready: %s\n%s log (tail):\n%s\n%s", cr.name, state, cr.op, tail(ops.Log(string(cr.op)), 10), c.Describe(ns))
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	if !ruok(ops.ZooKeepers["zookeeper"]) {
		t.Errorf("ZooKeeper of cluster zookeeper at %q does not answer", ops.ZooKeepers["zookeeper"])
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims.Items) != 3+9 { // data-zookeeper-N; ledger, journal and index per bookie
		t.Errorf("%d claims", len(claims.Items))
	}
	for _, cl := range claims.Items {
		if cl.Status.Phase != corev1.ClaimBound {
			t.Errorf("claim %s is %s", cl.Name, cl.Status.Phase)
		}
	}
}

// TestIntegrationReadyDelayStage: a pod annotated
// testcluster.local/ready-delay (a Go duration) becomes Ready only after that delay
// (stages/pod-ready-delayed.yaml); one without is Ready at once.
func TestIntegrationReadyDelayStage(t *testing.T) {
	c := Require(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ns := "ready-delay"
	if err := ensureNamespace(ctx, cs, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	const delay = 3 * time.Second
	begin := time.Now()
	for name, ann := range map[string]map[string]string{"slow": {"testcluster.local/ready-delay": delay.String()}, "fast": nil} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: ann},
			Spec: corev1.PodSpec{NodeName: "kwok-node-1", Containers: []corev1.Container{{Name: "c", Image: "example/c"}}}}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	readyAfter := map[string]time.Duration{}
	for len(readyAfter) < 2 {
		for _, name := range []string{"slow", "fast"} {
			if _, done := readyAfter[name]; done {
				continue
			}
			p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
					readyAfter[name] = time.Since(begin)
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pods not ready: %v", readyAfter)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("ready after: %v", readyAfter)
	if readyAfter["slow"] < delay || readyAfter["fast"] >= delay {
		t.Errorf("slow pod ready after %s, fast after %s, want ≥ and < %s", readyAfter["slow"], readyAfter["fast"], delay)
	}
}
