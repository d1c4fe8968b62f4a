package main

// Integration tests: `streamops status` against the local test cluster
// (skipped when it is not built).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

// TestStatusOnTheTestCluster: an empty namespace is healthy (exit 0); the
// limited context, which may list pods in team-a only, cannot tell across
// namespaces: exit 2 and one line.
func TestStatusOnTheTestCluster(t *testing.T) {
	c := testcluster.Require(t)
	cfg, err := c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := fmt.Sprintf("status-it-%d", time.Now().UnixNano()%100000)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	out, _, code := runOut(t, "status", "--kubeconfig", c.Kubeconfig, "--context", "admin", "-n", ns)
	if code != 0 || !strings.HasPrefix(out, "● healthy · admin · namespace "+ns+"\n0 components · 0/0 members ready\n") {
		t.Errorf("empty namespace: exit %d\n%s", code, out)
	}

	// a crash-looping pod (kwok's stage) is degraded, with its finding
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes: %v", err)
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "sync-0", Namespace: ns, Labels: map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore", "testcluster.local/crashloop": "true"}},
		Spec:       corev1.PodSpec{NodeName: nodes.Items[0].Name, Containers: []corev1.Container{{Name: "sync", Image: "busybox"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		out, _, code = runOut(t, "status", "--kubeconfig", c.Kubeconfig, "--context", "admin", "-n", ns)
		if code == 1 && strings.Contains(out, "restarts      container "+ns+"/sync-0/sync: CrashLoopBackOff") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("crash loop: exit %d\n%s", code, out)
		}
		time.Sleep(time.Second) // kwok's stage takes a few seconds to crash the container
	}

	root := newRoot()
	root.SetArgs([]string{"status", "--kubeconfig", c.Kubeconfig, "--context", "limited", "-A", "--log-file", t.TempDir() + "/log"})
	var stdout strings.Builder
	root.SetOut(&stdout)
	err = root.ExecuteContext(ctx)
	var ee *exitError
	if !asExit(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "cannot tell the platform's health:") ||
		!strings.Contains(err.Error(), "pods: ") || strings.Contains(err.Error(), "\n") || stdout.Len() > 0 {
		t.Errorf("limited: err %v, stdout %q; want exit 2, one line naming pods", err, stdout.String())
	}
}
