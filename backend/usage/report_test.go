package usage

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/streamops/streamops/backend/platform"
)

var epoch = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

const gi = int64(1) << 30
const mi = int64(1) << 20

func segmentStore(name, uid, node string, restarts int32, last *platform.Termination) *platform.Member {
	return &platform.Member{Name: name, Namespace: "pravega", UID: uid, Node: node, Phase: "Running", Restarts: restarts,
		Containers: []platform.Container{
			{Name: "init-ledgers", Init: true, State: platform.StateTerminated, Requests: platform.Resources{MilliCPU: 100}},
			{Name: "segment-store", State: platform.StateRunning, RestartCount: restarts, Last: last,
				Requests: platform.Resources{MilliCPU: 1000, Memory: 2 * gi}, Limits: platform.Resources{MilliCPU: 2000, Memory: 4 * gi}},
			{Name: "metrics-agent", State: platform.StateRunning, Requests: platform.Resources{MilliCPU: 50, Memory: 64 * mi}},
		}}
}

func snapshotOf(members ...*platform.Member) *platform.Snapshot {
	return &platform.Snapshot{
		Components: []*platform.Component{{Kind: platform.SegmentStore, Cluster: "pravega", Namespace: "pravega", Members: members}},
		Nodes: []platform.Node{
			{Name: "worker-1", Ready: true, Allocatable: platform.Resources{MilliCPU: 8000, Memory: 32 * gi}},
			{Name: "worker-2", Ready: true, Allocatable: platform.Resources{MilliCPU: 8000, Memory: 32 * gi}, Pressure: []string{"MemoryPressure"}},
			{Name: "worker-9", Ready: true},
		},
	}
}

func podMetrics(name string, at time.Time, ctrs ...metricsv1beta1.ContainerMetrics) metricsv1beta1.PodMetrics {
	return metricsv1beta1.PodMetrics{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "pravega"},
		Timestamp: metav1.NewTime(at), Window: metav1.Duration{Duration: 15 * time.Second}, Containers: ctrs}
}

func ctr(name, cpu, mem string) metricsv1beta1.ContainerMetrics {
	return metricsv1beta1.ContainerMetrics{Name: name, Usage: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}
}

func TestJoinPutsUsageNextToRequestsAndLimits(t *testing.T) {
	ss0 := segmentStore("pravega-segment-store-0", "uid-0", "worker-2", 0, nil)
	snap := snapshotOf(ss0, segmentStore("pravega-segment-store-1", "uid-1", "worker-1", 0, nil))
	items := []metricsv1beta1.PodMetrics{
		podMetrics("pravega-segment-store-0", epoch, ctr("segment-store", "1500m", "3Gi"), ctr("metrics-agent", "12345678n", "40Mi")),
		podMetrics("not-a-member", epoch, ctr("x", "1", "1Gi")),
		podMetrics("pravega-segment-store-1", epoch, ctr("gone-container", "1", "1Gi")),
	}
	r := joinPods(nil, snap, items, epoch)
	r.Nodes = joinNodes(nil, snap, []metricsv1beta1.NodeMetrics{{ObjectMeta: metav1.ObjectMeta{Name: "worker-2"}, Timestamp: metav1.NewTime(epoch),
		Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("6"), corev1.ResourceMemory: resource.MustParse("30Gi")}}})

	u, ok := r.Member(ss0)
	if !ok {
		t.Fatal("member not found")
	}
	ss := u.Containers[1]
	if !ss.Current || ss.Usage != (Sample{MilliCPU: 1500, Memory: 3 * gi}) || ss.Limits.Memory != 4*gi {
		t.Errorf("segment-store = %+v", ss)
	}
	if f, ok := ss.MemoryOfLimit(); !ok || f != 0.75 {
		t.Errorf("memory of limit %v %v", f, ok)
	}
	if f, ok := ss.CPUOfRequest(); !ok || f != 1.5 {
		t.Errorf("cpu of request %v %v", f, ok)
	}
	agent := u.Containers[2]
	if agent.Usage.MilliCPU != 13 || agent.Usage.Memory != 40*mi { // 12.3 m rounds up
		t.Errorf("agent = %+v", agent.Usage)
	}
	if _, ok := agent.MemoryOfLimit(); ok {
		t.Error("a container without a memory limit has a fraction of it")
	}
	if init := u.Containers[0]; init.Current || !init.Seen.IsZero() {
		t.Errorf("init container not reported has usage %+v", init)
	}
	if u.Usage != (Sample{MilliCPU: 1513, Memory: 3*gi + 40*mi}) || u.Requests.Memory != 2*gi+64*mi || u.LimitsComplete {
		t.Errorf("member sums usage %+v requests %+v complete %v", u.Usage, u.Requests, u.LimitsComplete)
	}
	if got := u.UnderPressure(); len(got) != 1 || got[0] != "MemoryPressure" {
		t.Errorf("pressure of worker-2 = %v", got)
	}
	if f, ok := u.Node.MemoryOfAllocatable(); !ok || f < 0.93 || f > 0.94 {
		t.Errorf("node memory %v %v", f, ok)
	}

	u1, _ := r.Member(snap.Components[0].Members[1])
	if u1.Current || u1.Containers[1].Current {
		t.Errorf("a member whose containers were not reported is current: %+v", u1)
	}
	if n, _ := r.Node("worker-1"); !n.Seen.IsZero() || n.Members != 1 {
		t.Errorf("worker-1 without metrics = %+v", n)
	}
	if _, ok := r.Node("worker-9"); ok {
		t.Error("a node without members is listed")
	}
	// Another pod of the same name (a StatefulSet pod recreated) is not
	// the one measured.
	if _, ok := r.Member(segmentStore("pravega-segment-store-0", "uid-new", "worker-2", 0, nil)); ok {
		t.Error("a recreated pod took the old pod's usage")
	}
}

// TestOOMKilledKeepsTheUsageBeforeItDied: the segment store used 3.9 GiB
// of its 4 GiB limit, was OOMKilled and restarted; the report shows its
// limit and that last usage next to the new run's.
func TestOOMKilledKeepsTheUsageBeforeItDied(t *testing.T) {
	before := segmentStore("pravega-segment-store-0", "uid-0", "worker-2", 0, nil)
	r1 := joinPods(nil, snapshotOf(before), []metricsv1beta1.PodMetrics{
		podMetrics(before.Name, epoch, ctr("segment-store", "1900m", "3994Mi"), ctr("metrics-agent", "10m", "40Mi"))}, epoch)

	// It died: not running, not reported by the metrics API.
	oom := &platform.Termination{Reason: "OOMKilled", ExitCode: 137, FinishedAt: epoch.Add(20 * time.Second)}
	dead := segmentStore(before.Name, "uid-0", "worker-2", 0, nil)
	dead.Containers[1].State, dead.Containers[1].Reason = platform.StateTerminated, "OOMKilled"
	r2 := joinPods(r1, snapshotOf(dead), []metricsv1beta1.PodMetrics{
		podMetrics(before.Name, epoch.Add(30*time.Second), ctr("metrics-agent", "10m", "41Mi"))}, epoch.Add(30*time.Second))
	u, _ := r2.Member(dead)
	c := u.Containers[1]
	if c.Current || c.Usage.Memory != 3994*mi || !c.Seen.Equal(epoch) || !c.OOMKilled() {
		t.Fatalf("dead container = %+v", c)
	}
	if s, at, ok := c.BeforeDeath(); !ok || s.Memory != 3994*mi || !at.Equal(epoch) {
		t.Errorf("before death %v %v %v", s, at, ok)
	}

	// Restarted: running again with little memory; the last usage before
	// the end stays, read after read.
	again := segmentStore(before.Name, "uid-0", "worker-2", 1, oom)
	r3 := joinPods(r2, snapshotOf(again), []metricsv1beta1.PodMetrics{
		podMetrics(before.Name, epoch.Add(60*time.Second), ctr("segment-store", "800m", "600Mi"))}, epoch.Add(60*time.Second))
	r4 := joinPods(r3, snapshotOf(again), []metricsv1beta1.PodMetrics{
		podMetrics(before.Name, epoch.Add(75*time.Second), ctr("segment-store", "900m", "700Mi"))}, epoch.Add(75*time.Second))
	for i, r := range []*Report{r3, r4} {
		u, _ := r.Member(again)
		c := u.Containers[1]
		if !c.Current || c.BeforeEnd == nil || c.BeforeEnd.Memory != 3994*mi || !c.OOMKilled() || c.Limits.Memory != 4*gi {
			t.Errorf("read %d after the restart: %+v (before end %v)", i+3, c, c.BeforeEnd)
		}
		if s, _, _ := c.BeforeDeath(); s.Memory != 3994*mi {
			t.Errorf("read %d: before death %v", i+3, s)
		}
		if u.Containers[2].BeforeEnd != nil {
			t.Errorf("read %d: the sidecar that did not restart has an end", i+3)
		}
	}
	// A pod recreated under the same name starts with nothing carried over.
	fresh := segmentStore(before.Name, "uid-other", "worker-2", 0, nil)
	r5 := joinPods(r4, snapshotOf(fresh), nil, time.Time{})
	if u, ok := r5.Member(fresh); ok && (u.Containers[1].BeforeEnd != nil || !u.Containers[1].Seen.IsZero()) {
		t.Errorf("a new pod inherited %+v", u.Containers[1])
	}
}

func TestFillLevels(t *testing.T) {
	cases := []struct {
		name                      string
		used, available, capacity int64
		want                      Fill
		fraction                  float64
	}{
		{"ledger 91%", 91, 9, 100, FillCritical, 0.91},
		{"85%", 85, 15, 100, FillHigh, 0.85},
		{"exactly 80% is not over", 80, 20, 100, FillOK, 0.80},
		{"exactly 90% is high", 90, 10, 100, FillHigh, 0.90},
		{"reserved blocks count as df does", 90, 5, 100, FillCritical, 90.0 / 95},
		{"full, no available bytes", 100, 0, 100, FillCritical, 1},
		{"nothing known", 0, 0, 0, FillUnknown, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, level := fillFraction(c.used, c.available, c.capacity)
			if level != c.want || f != c.fraction {
				t.Errorf("fill %v %v, want %v %v", f, level, c.fraction, c.want)
			}
		})
	}
}
