package usage_test

// Integration test: the monitor against a real kube-apiserver (see
// backend/testcluster). The metrics API is a small server of the test's
// own (backend/usage/usagetest), registered as the APIService
// v1beta1.metrics.k8s.io and answering with the upstream types of
// k8s.io/metrics; the kubelet summary is served by the same server at the
// port a node of the test names as its kubelet endpoint, which the API
// server's node proxy reaches through the test cluster's egress proxy.
// Skips when the test cluster is not built.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/backend/usage/usagetest"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

const (
	itNamespace = "usage-it"
	itNode      = "usage-it-node"
	itPod       = "bookie-it-0"
	itClaim     = "ledger-bookie-it-0"
)

// itServe is what the test's server answers: the bookie's usage, the
// node's, and its ledger claim 91 % full.
func itServe() usagetest.Serve {
	return usagetest.Serve{Node: itNode,
		NodeUsage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3"), corev1.ResourceMemory: resource.MustParse("60Gi")},
		Pods: []usagetest.Pod{{Name: itPod, Namespace: itNamespace, Containers: []usagetest.Container{{Name: "bookie", Usage: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("250123456n"), corev1.ResourceMemory: resource.MustParse("983040Ki")}}}}},
		Volumes: []usagetest.Volume{{Pod: itPod, Namespace: itNamespace, Name: "ledger", Claim: itClaim,
			Used: 9318 << 20, Available: 922 << 20, Capacity: 10240 << 20}},
	}
}

func itSnapshot() *platform.Snapshot {
	return &platform.Snapshot{
		Components: []*platform.Component{{Kind: platform.BookKeeper, Cluster: "bookie-it", Namespace: itNamespace, Members: []*platform.Member{{
			Name: itPod, Namespace: itNamespace, UID: "uid-it", Node: itNode, Phase: "Running",
			Containers: []platform.Container{{Name: "bookie", State: platform.StateRunning,
				Requests: platform.Resources{MilliCPU: 500, Memory: 1 << 30}, Limits: platform.Resources{Memory: 1 << 30}}},
		}}}},
		Nodes:  []platform.Node{{Name: itNode, Ready: true, Allocatable: platform.Resources{MilliCPU: 16000, Memory: 64 << 30}}},
		Claims: []platform.Claim{{Name: itClaim, Namespace: itNamespace, Kind: platform.BookKeeper, Role: "ledger", Member: itPod}},
	}
}

func runMonitor(t *testing.T, ctx context.Context, cfg *rest.Config) *usage.Monitor {
	t.Helper()
	mc, err := metricsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := usage.New(usage.Config{Metrics: mc, Summaries: usage.NodeProxy{Client: cs}, Scope: kube.Scope{Namespaces: []string{itNamespace}},
		Interval: 100 * time.Millisecond, VolumeInterval: 100 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	m.Observe(itSnapshot())
	m.Activate("test")
	return m
}

func TestIntegrationMetricsAPIAndNodeProxy(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}

	// No metrics-server yet: one line, not an error loop.
	absent := runMonitor(t, ctx, c.RESTConfig)
	wait(t, ctx, absent, "metrics.k8s.io absent", func(r *usage.Report) bool {
		return r.Metrics.State == usage.Absent && r.NodeMetrics.State == usage.Absent && strings.Contains(r.Metrics.Reason, "no metrics-server")
	})

	srv := usagetest.Start(t, itServe())
	srv.AddNode(t, ctx, c, cs)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: itNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	apiServices := srv.RegisterMetricsAPI(t, ctx, cs, dyn, itNamespace)

	m := runMonitor(t, ctx, c.RESTConfig)
	r := waitOr(t, ctx, m, "usage and fill through the API server", func(r *usage.Report) bool {
		return r.Metrics.State == usage.OK && r.NodeMetrics.State == usage.OK && r.Volumes.State == usage.OK
	}, func() string {
		u, _ := apiServices.Get(context.Background(), usagetest.MetricsAPIService, metav1.GetOptions{})
		if u == nil {
			return ""
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		return fmt.Sprintf("apiservice %v; %s", conds, srv.Proxied(context.Background(), cs))
	})
	u, ok := r.Member(itSnapshot().Components[0].Members[0])
	if !ok || !u.Current || u.Containers[0].Usage != (usage.Sample{MilliCPU: 251, Memory: 960 << 20}) {
		t.Errorf("member usage %+v", u)
	}
	if f, ok := u.Containers[0].MemoryOfLimit(); !ok || f != 0.9375 {
		t.Errorf("memory of limit %v %v", f, ok)
	}
	if n, _ := r.Node(itNode); n.Usage.Memory != 60<<30 {
		t.Errorf("node %+v", n)
	}
	fill, _ := r.Claim(itNamespace + "/" + itClaim)
	if fill.Level != usage.FillCritical || fill.Fraction < 0.90 || fill.Fraction > 0.92 || fill.Node != itNode {
		t.Errorf("claim fill %+v", fill)
	}

	// The limited user (pods in team-a only): both are forbidden, one
	// line each.
	limitedCfg, err := c.Config("limited")
	if err != nil {
		t.Fatal(err)
	}
	limited := runMonitor(t, ctx, limitedCfg)
	r = wait(t, ctx, limited, "forbidden", func(r *usage.Report) bool {
		return r.Metrics.State == usage.Forbidden && r.NodeMetrics.State == usage.Forbidden && r.Volumes.State == usage.Forbidden
	})
	if !strings.Contains(r.Volumes.Reason, "nodes/proxy") || strings.Contains(r.Volumes.Reason+r.Metrics.Reason, "\n") {
		t.Errorf("reasons %q / %q", r.Metrics.Reason, r.Volumes.Reason)
	}
}

// waitOr is wait with more to say when it times out.
func waitOr(t *testing.T, ctx context.Context, m *usage.Monitor, what string, cond func(*usage.Report) bool, more func() string) *usage.Report {
	t.Helper()
	for {
		if r := m.Latest(); cond(r) {
			return r
		}
		select {
		case <-ctx.Done():
			r := m.Latest()
			t.Fatalf("timed out waiting for %s: metrics %+v nodes %+v volumes %+v (%s)", what, r.Metrics, r.NodeMetrics, r.Volumes, more())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
