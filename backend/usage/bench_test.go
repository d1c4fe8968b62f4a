package usage

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/streamops/streamops/backend/platform"
)

// benchPlatform is 10,000 pods in 100 components of 100 members, two
// containers each (the workload and a sidecar), on 100 nodes, and the pod
// metrics metrics-server answers for them (CPU in nanocores, memory in
// KiB, as it formats them).
func benchPlatform(pods int) (*platform.Snapshot, []metricsv1beta1.PodMetrics, []metricsv1beta1.NodeMetrics) {
	snap := &platform.Snapshot{}
	items := make([]metricsv1beta1.PodMetrics, 0, pods)
	for n := range 100 {
		snap.Nodes = append(snap.Nodes, platform.Node{Name: fmt.Sprintf("node-%03d", n), Ready: true,
			Allocatable: platform.Resources{MilliCPU: 64000, Memory: 256 * gi}})
	}
	var nodes []metricsv1beta1.NodeMetrics
	for _, n := range snap.Nodes {
		nodes = append(nodes, metricsv1beta1.NodeMetrics{ObjectMeta: metav1.ObjectMeta{Name: n.Name}, Timestamp: metav1.NewTime(epoch),
			Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("31234567890n"), corev1.ResourceMemory: resource.MustParse("123456789Ki")}})
	}
	perComponent := 100
	for c := 0; c*perComponent < pods; c++ {
		comp := &platform.Component{Kind: platform.Other, Cluster: fmt.Sprintf("app-%03d", c), Namespace: fmt.Sprintf("ns-%02d", c%20)}
		for i := 0; i < perComponent && c*perComponent+i < pods; i++ {
			k := c*perComponent + i
			m := &platform.Member{Name: fmt.Sprintf("%s-%d", comp.Cluster, i), Namespace: comp.Namespace, UID: fmt.Sprintf("uid-%d", k),
				Node: snap.Nodes[k%100].Name, Containers: []platform.Container{
					{Name: "app", State: platform.StateRunning, Limits: platform.Resources{MilliCPU: 2000, Memory: 4 * gi}},
					{Name: "sidecar", State: platform.StateRunning, Limits: platform.Resources{Memory: 128 * mi}},
				}}
			comp.Members = append(comp.Members, m)
			items = append(items, metricsv1beta1.PodMetrics{ObjectMeta: metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace},
				Timestamp: metav1.NewTime(epoch), Window: metav1.Duration{Duration: 15 * time.Second},
				Containers: []metricsv1beta1.ContainerMetrics{
					{Name: "app", Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(fmt.Sprintf("%dn", 100000000+k)),
						corev1.ResourceMemory: resource.MustParse(fmt.Sprintf("%dKi", 2000000+k))}},
					{Name: "sidecar", Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1234567n"),
						corev1.ResourceMemory: resource.MustParse("51200Ki")}},
				}})
		}
		snap.Components = append(snap.Components, comp)
	}
	return snap, items, nodes
}

// BenchmarkUsageJoin joins one read of usage for 10,000 pods (and their
// 100 nodes) onto the snapshot, after a previous read (the steady state:
// samples are carried and restarts compared). Target: ≤ 5 ms and ≤ 1 MB
// per op.
func BenchmarkUsageJoin(b *testing.B) {
	snap, items, nodes := benchPlatform(10000)
	prev := joinPods(nil, snap, items, epoch)
	prev.Nodes = joinNodes(nil, snap, nodes)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		r := joinPods(prev, snap, items, epoch.Add(15*time.Second))
		r.Nodes = joinNodes(prev, snap, nodes)
	}
	// The process's CPU time (GC included) per op: on a loaded machine
	// ns/op is wall time, inflated by the wait for a core.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestBenchPlatformJoins(t *testing.T) {
	snap, items, nodes := benchPlatform(10000)
	r := joinPods(nil, snap, items, epoch)
	r.Nodes = joinNodes(nil, snap, nodes)
	r2 := joinPods(r, snap, items, epoch.Add(15*time.Second))
	r2.Nodes = joinNodes(r, snap, nil)
	r = r2
	last := snap.Components[99].Members[99]
	u, ok := r.Member(last)
	if !ok || !u.Current || u.Containers[0].Usage.Memory != (2000000+9999)*1024 || u.Containers[0].Usage.MilliCPU != 101 {
		t.Fatalf("last member %+v", u)
	}
	if len(r.Nodes) != 100 || r.Nodes[0].Members != 100 {
		t.Errorf("nodes %d, first %+v", len(r.Nodes), r.Nodes[0])
	}
}
