package demo

// What metrics-server and the kubelets would report of the demo platform:
// CPU and memory that move with the clock (metrics.k8s.io through a fake
// clientset of k8s.io/metrics), and the fill of the claims' volumes (the
// kubelet summary the node proxy serves). The bookie ledger of
// LedgerNearlyFull is at 91 %, and PressureNode — which holds segment
// stores — reports MemoryPressure (seeded in seedNodes).

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"

	"github.com/streamops/streamops/backend/usage"
)

// The demo's storage and memory troubles.
const (
	// LedgerNearlyFull is the claim whose volume is 91 % full.
	LedgerNearlyFull = "ledger-" + BookkeeperName + "-bookie-1"
	// PressureNode reports MemoryPressure; it holds segment stores.
	PressureNode = "worker-3"
)

// metricsWindow is the window metrics-server reports.
const metricsWindow = 15 * time.Second

// Metrics returns the demo's metrics.k8s.io client. Every list answers
// what the platform's running containers use now.
func (p *Platform) Metrics() metricsclient.Interface {
	p.metricsOnce.Do(func() {
		f := metricsfake.NewSimpleClientset()
		f.PrependReactor("list", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
			l, err := p.podMetrics(context.Background(), a.GetNamespace())
			if err != nil {
				return true, nil, err
			}
			return true, l, nil
		})
		f.PrependReactor("list", "nodes", func(clienttesting.Action) (bool, runtime.Object, error) {
			l, err := p.nodeMetrics(context.Background())
			if err != nil {
				return true, nil, err
			}
			return true, l, nil
		})
		p.metrics = f
	})
	return p.metrics
}

// wave is a value in [0, 1] that moves with the clock, at a pace of its
// own for each key.
func (p *Platform) wave(key string, period time.Duration) float64 {
	phase := float64(fnv(key)%1000) / 1000
	t := p.clock.Now().Sub(epochOfWaves).Seconds() * p.opts.Speed
	return 0.5 + 0.5*math.Sin(2*math.Pi*(t/period.Seconds()+phase))
}

var epochOfWaves = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// containerUsage is what a running container uses: CPU between 20 % and
// 80 % of its request, memory between 50 % and 75 % (a segment store on
// the pressured node between 88 % and 98 %).
func (p *Platform) containerUsage(pod *corev1.Pod, c *corev1.Container) usage.Sample {
	key := pod.Namespace + "/" + pod.Name + "/" + c.Name
	cpuReq := c.Resources.Requests.Cpu().MilliValue()
	memReq := c.Resources.Requests.Memory().Value()
	if cpuReq == 0 {
		cpuReq = 100
	}
	if memReq == 0 {
		memReq = 256 << 20
	}
	low, span := 0.50, 0.25
	if pod.Spec.NodeName == PressureNode && strings.Contains(pod.Name, "segment-store") {
		low, span = 0.88, 0.10
	}
	return usage.Sample{
		MilliCPU: int64(float64(cpuReq) * (0.2 + 0.6*p.wave(key+"/cpu", 40*time.Second))),
		Memory:   int64(float64(memReq) * (low + span*p.wave(key+"/memory", 3*time.Minute))),
	}
}

func running(pod *corev1.Pod, name string) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == name {
			return cs.State.Running != nil
		}
	}
	return false
}

func resourceList(s usage.Sample) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewScaledQuantity(s.MilliCPU*1_000_000, resource.Nano),
		corev1.ResourceMemory: *resource.NewQuantity(s.Memory/1024*1024, resource.BinarySI),
	}
}

func (p *Platform) podMetrics(ctx context.Context, namespace string) (*metricsv1beta1.PodMetricsList, error) {
	pods, err := p.typed.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list pods for their metrics: %w", err)
	}
	now := metav1.NewTime(p.clock.Now().Truncate(time.Second))
	out := &metricsv1beta1.PodMetricsList{Items: []metricsv1beta1.PodMetrics{}}
	for i := range pods.Items {
		pod := &pods.Items[i]
		pm := metricsv1beta1.PodMetrics{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, Labels: pod.Labels},
			Timestamp: now, Window: metav1.Duration{Duration: metricsWindow}}
		for j := range pod.Spec.Containers {
			c := &pod.Spec.Containers[j]
			if running(pod, c.Name) {
				pm.Containers = append(pm.Containers, metricsv1beta1.ContainerMetrics{Name: c.Name, Usage: resourceList(p.containerUsage(pod, c))})
			}
		}
		if len(pm.Containers) > 0 { // metrics-server leaves out pods it has no container metrics of
			out.Items = append(out.Items, pm)
		}
	}
	return out, nil
}

func (p *Platform) nodeMetrics(ctx context.Context) (*metricsv1beta1.NodeMetricsList, error) {
	nodes, err := p.typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes for their metrics: %w", err)
	}
	pods, err := p.typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list pods for node metrics: %w", err)
	}
	sum := map[string]usage.Sample{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		for j := range pod.Spec.Containers {
			if c := &pod.Spec.Containers[j]; running(pod, c.Name) {
				u, s := p.containerUsage(pod, c), sum[pod.Spec.NodeName]
				sum[pod.Spec.NodeName] = usage.Sample{MilliCPU: s.MilliCPU + u.MilliCPU, Memory: s.Memory + u.Memory}
			}
		}
	}
	now := metav1.NewTime(p.clock.Now().Truncate(time.Second))
	out := &metricsv1beta1.NodeMetricsList{Items: []metricsv1beta1.NodeMetrics{}}
	for _, n := range nodes.Items {
		// The system's own share: kubelet, runtime, page cache.
		u := sum[n.Name]
		u.MilliCPU += 400 + int64(300*p.wave(n.Name+"/cpu", 50*time.Second))
		u.Memory += 3<<30 + int64(float64(1<<30)*p.wave(n.Name+"/memory", 4*time.Minute))
		if n.Name == PressureNode {
			u.Memory = max(u.Memory, int64(float64(n.Status.Allocatable.Memory().Value())*(0.93+0.03*p.wave(n.Name+"/pressure", time.Minute))))
		}
		out.Items = append(out.Items, metricsv1beta1.NodeMetrics{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels},
			Timestamp: now, Window: metav1.Duration{Duration: metricsWindow}, Usage: resourceList(u)})
	}
	return out, nil
}

// Summaries returns the demo's kubelet summaries, as the node proxy would
// serve them: the volumes of the claims mounted by each node's pods.
func (p *Platform) Summaries() usage.SummaryReader { return summaries{p: p} }

type summaries struct{ p *Platform }

// usageState is what the demo's metrics and kubelets keep.
type usageState struct {
	metricsOnce sync.Once
	metrics     metricsclient.Interface
	volMu       sync.Mutex
	volBase     map[string]int64 // the first capacity seen of each claim: what its data filled
}

// filled is the bytes a claim's data takes: its fill of the capacity the
// claim first had, so that expanding it makes it less full.
func (p *Platform) filled(key string, capacity int64, fill float64) int64 {
	p.volMu.Lock()
	defer p.volMu.Unlock()
	if p.volBase == nil {
		p.volBase = map[string]int64{}
	}
	base, ok := p.volBase[key]
	if !ok {
		base = capacity
		p.volBase[key] = base
	}
	return int64(fill * float64(base))
}

// fillOf is how full a claim's volume is: the nearly full ledger at 91 %,
// the others between 20 % and 60 %, creeping up over hours.
func (p *Platform) fillOf(claim string) float64 {
	if claim == LedgerNearlyFull {
		return 0.91
	}
	base := 0.2 + 0.3*float64(fnv(claim)%1000)/1000
	return base + 0.1*p.wave(claim, 6*time.Hour)
}

// mountedBy reports whether a pod mounts a claim: a StatefulSet's claim
// (role-pod, e.g. ledger-bookkeeper-bookie-1), or the long-term storage
// every segment store mounts.
func mountedBy(claim string, pod *corev1.Pod) bool {
	if claim == LTSClaimName {
		return strings.Contains(pod.Name, "segment-store")
	}
	role, ok := strings.CutSuffix(claim, "-"+pod.Name)
	return ok && role != "" && !strings.Contains(role, "-")
}

func (s summaries) Summary(ctx context.Context, node string) (*usage.Summary, error) {
	p := s.p
	if _, err := p.typed.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); err != nil {
		return nil, fmt.Errorf("read kubelet stats of node %s: %w", node, err)
	}
	pods, err := p.typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("read kubelet stats of node %s: %w", node, err)
	}
	claims, err := p.typed.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("read kubelet stats of node %s: %w", node, err)
	}
	now := metav1.NewTime(p.clock.Now().Truncate(time.Second))
	out := &usage.Summary{Node: usage.NodeRef{NodeName: node}}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Spec.NodeName != node || pod.Status.Phase != corev1.PodRunning {
			continue
		}
		ps := usage.PodStats{PodRef: usage.PodReference{Name: pod.Name, Namespace: pod.Namespace, UID: string(pod.UID)}}
		for j := range claims.Items {
			c := &claims.Items[j]
			if c.Namespace != pod.Namespace || !mountedBy(c.Name, pod) {
				continue
			}
			capacity := c.Status.Capacity.Storage().Value()
			if capacity <= 0 {
				continue
			}
			// The volume's filesystem: 1 % goes to its metadata.
			fsCap := uint64(float64(capacity) * 0.99)
			used := uint64(float64(p.filled(c.Namespace+"/"+c.Name, capacity, p.fillOf(c.Name))) * 0.99)
			avail := fsCap - min(used, fsCap)
			ps.Volumes = append(ps.Volumes, usage.VolumeStats{Name: strings.SplitN(c.Name, "-", 2)[0], Time: now,
				PVCRef:        &usage.PVCRef{Name: c.Name, Namespace: c.Namespace},
				CapacityBytes: &fsCap, UsedBytes: &used, AvailableBytes: &avail})
		}
		out.Pods = append(out.Pods, ps)
	}
	return out, nil
}
