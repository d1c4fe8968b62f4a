package main

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
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/testcluster"
)

// TestLogsOnTheTestCluster: `streamops logs` through the real pods/log
// API (kwok serves each pod's log from a file): every line of three segment
// stores, merged in time order, escape sequences removed, prefixed by pod
// and container, and the command ends by itself without --follow.
func TestLogsOnTheTestCluster(t *testing.T) {
	c := testcluster.Require(t)
	cfg, err := c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := fmt.Sprintf("logs-it-%d", time.Now().UnixNano()%100000)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	node, err := c.KubeletNode(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}

	const pods, lines = 3, 40
	base := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
	for p := range pods {
		pod := fmt.Sprintf("pravega-segment-store-%d", p)
		path := filepath.Join(c.Dir, ns+"-"+pod+".log")
		var b strings.Builder
		for i := range lines {
			// pods interleave in time: line i of pod p at i·3+p ms
			fmt.Fprintf(&b, "%s stdout F line %02d of %s \x1b[31mred\x1b[0m\n", base.Add(time.Duration(i*3+p)*time.Millisecond).Format(time.RFC3339Nano), i, pod)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		// The Logs resource before the pod, so that kwok knows the pod's
		// logs by the time it runs it.
		if err := c.Apply(ctx, fmt.Sprintf("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Logs\nmetadata: {name: %s, namespace: %s}\nspec:\n  logs: [{containers: [segmentstore], logsFile: %s, follow: false}]\n", pod, ns, path)); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns, Labels: map[string]string{
				"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore"}},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "segmentstore", Image: "pravega/pravega:0.13.0"}}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		if running == pods {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d of %d pods running", running, pods)
		}
		time.Sleep(200 * time.Millisecond)
	}

	out, errOut, code := runOut(t, "logs", "--kubeconfig", c.Kubeconfig, "--context", "admin", "-n", ns, "component=pravega-segmentstore", "--tail", "-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) != pods*lines {
		t.Fatalf("%d lines, want %d:\n%s", len(got), pods*lines, out)
	}
	for k, l := range got {
		i, p := k/pods, k%pods
		pod := fmt.Sprintf("pravega-segment-store-%d", p)
		want := fmt.Sprintf("%s segmentstore line %02d of %s red", pod, i, pod)
		if l != want {
			t.Fatalf("line %d:\n got %q\nwant %q (merged in time, sanitised)", k, l, want)
		}
	}
}

// TestReportOnTheTestCluster: `streamops report -o -` against the real API
// server writes the triage report of the namespace: its segment store in
// the components, the crash-looping one among the restarting containers.
func TestReportOnTheTestCluster(t *testing.T) {
	c := testcluster.Require(t)
	cfg, err := c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := fmt.Sprintf("report-it-%d", time.Now().UnixNano()%100000)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	node, err := c.KubeletNode(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "pravega-segment-store-0", Namespace: ns, Labels: map[string]string{
			"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore", "testcluster.local/crashloop": "true"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "segmentstore", Image: "pravega/pravega:0.13.0"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		out, errOut, code := runOut(t, "report", "--kubeconfig", c.Kubeconfig, "--context", "admin", "-n", ns, "-o", "-")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		ok := true
		for _, want := range []string{"# streamops triage — admin", "Scope: " + ns + " ", "## Components", "| SegmentStore | pravega | " + ns + " |",
			"## Restarting containers", "pravega-segment-store-0"} {
			ok = ok && strings.Contains(out, want)
		}
		if ok && strings.Contains(out, "CrashLoopBackOff") {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the report never showed the crash loop:\n%s", out)
		}
		time.Sleep(time.Second) // kwok's stage takes a few seconds to crash the container
	}
}
