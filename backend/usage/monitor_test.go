package usage

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
)

// fakeMetrics serves pod and node metrics from functions and counts the
// lists.
type fakeMetrics struct {
	*metricsfake.Clientset
	podLists, nodeLists atomic.Int32
}

func newFakeMetrics(pods func() (*metricsv1beta1.PodMetricsList, error), nodes func() (*metricsv1beta1.NodeMetricsList, error)) *fakeMetrics {
	f := &fakeMetrics{Clientset: metricsfake.NewSimpleClientset()}
	f.PrependReactor("list", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		f.podLists.Add(1)
		if l, err := pods(); err != nil {
			return true, nil, err
		} else {
			return true, l, nil
		}
	})
	f.PrependReactor("list", "nodes", func(clienttesting.Action) (bool, runtime.Object, error) {
		f.nodeLists.Add(1)
		if l, err := nodes(); err != nil {
			return true, nil, err
		} else {
			return true, l, nil
		}
	})
	return f
}

type summaryFunc func(ctx context.Context, node string) (*Summary, error)

func (f summaryFunc) Summary(ctx context.Context, node string) (*Summary, error) { return f(ctx, node) }

func start(t *testing.T, cfg Config) (*Monitor, *clocktesting.FakeClock) {
	t.Helper()
	fc := clocktesting.NewFakeClock(epoch)
	cfg.Clock = fc
	m := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return m, fc
}

// eventually waits (real time) until cond holds of the latest report.
func eventually(t *testing.T, m *Monitor, what string, cond func(*Report) bool) *Report {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if r := m.Latest(); cond(r) {
			return r
		}
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s: %+v", what, m.Latest())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// quiet gives the loop time to start what would be due (for checks that
// nothing was).
func quiet(t *testing.T, fc *clocktesting.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(100 * time.Millisecond)
	for !fc.HasWaiters() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
}

func okPods() (*metricsv1beta1.PodMetricsList, error) {
	return &metricsv1beta1.PodMetricsList{Items: []metricsv1beta1.PodMetrics{
		podMetrics("pravega-segment-store-0", epoch, ctr("segment-store", "1", "1Gi"))}}, nil
}

func okNodes() (*metricsv1beta1.NodeMetricsList, error) {
	return &metricsv1beta1.NodeMetricsList{}, nil
}

func TestReadsOnlyWhileAHolderIsActive(t *testing.T) {
	f := newFakeMetrics(okPods, okNodes)
	m, fc := start(t, Config{Metrics: f})
	snap := snapshotOf(segmentStore("pravega-segment-store-0", "uid-0", "worker-2", 0, nil))
	m.Observe(snap)
	quiet(t, fc)
	fc.Step(time.Minute)
	quiet(t, fc)
	if n := f.podLists.Load(); n != 0 {
		t.Fatalf("%d reads before anything was active", n)
	}
	m.Activate("members")
	m.Activate("storage")
	r := eventually(t, m, "usage", func(r *Report) bool { return r.Metrics.State == OK })
	if u, _ := r.Member(snap.Components[0].Members[0]); !u.Current || u.Usage.Memory != gi {
		t.Errorf("member usage %+v", u)
	}
	fc.Step(DefaultInterval)
	eventually(t, m, "a second read", func(*Report) bool { return f.podLists.Load() == 2 })
	m.Deactivate("members")
	fc.Step(DefaultInterval)
	eventually(t, m, "a read while storage is still active", func(*Report) bool { return f.podLists.Load() == 3 })
	m.Deactivate("storage")
	quiet(t, fc)
	for range 4 {
		fc.Step(DefaultInterval)
		quiet(t, fc)
	}
	if n := f.podLists.Load(); n != 3 {
		t.Errorf("%d reads, want 3: reads went on with nothing active", n)
	}
	if m.Latest().Metrics.State != OK {
		t.Error("the last report was dropped on Deactivate")
	}
}

// TestAbsentMetricsAPIIsOneLineUnderBackoff: no metrics-server is one
// state with one line, read again after 30 s, 60 s, 120 s — not a loop.
func TestAbsentMetricsAPIIsOneLineUnderBackoff(t *testing.T) {
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: "metrics.k8s.io", Resource: "pods"}, "")
	f := newFakeMetrics(func() (*metricsv1beta1.PodMetricsList, error) { return nil, notFound },
		func() (*metricsv1beta1.NodeMetricsList, error) { return nil, notFound })
	m, fc := start(t, Config{Metrics: f})
	m.Observe(snapshotOf(segmentStore("pravega-segment-store-0", "uid-0", "worker-2", 0, nil)))
	m.Activate("members")
	r := eventually(t, m, "absent", func(r *Report) bool { return r.Metrics.State == Absent && r.NodeMetrics.State == Absent })
	if !strings.Contains(r.Metrics.Reason, "no metrics-server") || strings.Contains(r.Metrics.Reason, "\n") {
		t.Errorf("reason %q", r.Metrics.Reason)
	}
	if !r.Metrics.NextTry.Equal(epoch.Add(30 * time.Second)) {
		t.Errorf("next try %v", r.Metrics.NextTry)
	}
	want := []int32{1, 2, 2, 2, 3} // at 15 s, 30 s, 45 s, 60 s, 90 s
	for i, step := range []time.Duration{15, 15, 15, 15, 30} {
		before := f.podLists.Load()
		fc.Step(step * time.Second)
		if want[i] > before {
			eventually(t, m, "a retry", func(*Report) bool { return f.podLists.Load() >= want[i] })
		}
		quiet(t, fc)
		if n := f.podLists.Load(); n != want[i] {
			t.Fatalf("after step %d: %d reads, want %d", i, n, want[i])
		}
	}
}

// TestPodsAllowedNodesForbidden: a namespace-scoped user may list pod
// metrics but not node metrics: usage is shown, node usage is one line.
func TestPodsAllowedNodesForbidden(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "metrics.k8s.io", Resource: "nodes"}, "", nil)
	f := newFakeMetrics(okPods, func() (*metricsv1beta1.NodeMetricsList, error) { return nil, forbidden })
	m, _ := start(t, Config{Metrics: f, Scope: kube.Scope{Namespaces: []string{"pravega"}}})
	m.Observe(snapshotOf(segmentStore("pravega-segment-store-0", "uid-0", "worker-2", 0, nil)))
	m.Activate("members")
	r := eventually(t, m, "states", func(r *Report) bool { return r.Metrics.State == OK && r.NodeMetrics.State == Forbidden })
	if !strings.Contains(r.NodeMetrics.Reason, "forbidden") || r.Metrics.Reason != "" {
		t.Errorf("reasons %q / %q", r.Metrics.Reason, r.NodeMetrics.Reason)
	}
	if r.Volumes.State != Off || New(Config{}).Latest().Metrics.State != Off {
		t.Errorf("sources without clients: %v %v", r.Volumes.State, New(Config{}).Latest().Metrics.State)
	}
}

func u64(v int64) *uint64 { x := uint64(v); return &x }

func claimSnapshot() *platform.Snapshot {
	s := snapshotOf(
		segmentStore("bookkeeper-bookie-0", "uid-b0", "worker-1", 0, nil),
		segmentStore("bookkeeper-bookie-1", "uid-b1", "worker-2", 0, nil),
		segmentStore("bookkeeper-bookie-2", "uid-b2", "worker-9", 0, nil))
	s.Claims = []platform.Claim{
		{Name: "ledger-bookkeeper-bookie-0", Namespace: "pravega", Kind: platform.BookKeeper, Role: "ledger", Member: "bookkeeper-bookie-0"},
		{Name: "journal-bookkeeper-bookie-0", Namespace: "pravega", Kind: platform.BookKeeper, Role: "journal", Member: "bookkeeper-bookie-0"},
		{Name: "ledger-bookkeeper-bookie-1", Namespace: "pravega", Kind: platform.BookKeeper, Role: "ledger", Member: "bookkeeper-bookie-1"},
	}
	return s
}

func TestVolumeFillFromSummaries(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	worker1Down := false
	reader := summaryFunc(func(_ context.Context, node string) (*Summary, error) {
		mu.Lock()
		asked = append(asked, node)
		down := worker1Down
		mu.Unlock()
		switch {
		case node == "worker-1" && down:
			return nil, apierrors.NewServiceUnavailable("kubelet unreachable")
		case node == "worker-1":
			return &Summary{Pods: []PodStats{{PodRef: PodReference{Name: "bookkeeper-bookie-0", Namespace: "pravega"}, Volumes: []VolumeStats{
				{Name: "ledger", PVCRef: &PVCRef{Name: "ledger-bookkeeper-bookie-0", Namespace: "pravega"}, UsedBytes: u64(91 * gi), AvailableBytes: u64(9 * gi), CapacityBytes: u64(100 * gi)},
				{Name: "journal", PVCRef: &PVCRef{Name: "journal-bookkeeper-bookie-0", Namespace: "pravega"}, UsedBytes: u64(2 * gi), AvailableBytes: u64(8 * gi), CapacityBytes: u64(10 * gi)},
				{Name: "config", UsedBytes: u64(1)}, // not a claim
			}}}}, nil
		case node == "worker-2":
			return nil, apierrors.NewServiceUnavailable("kubelet unreachable")
		default:
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "nodes"}, node)
		}
	})
	m, fc := start(t, Config{Summaries: reader})
	snap := claimSnapshot()
	// A member in a namespace without claims: its node is not asked.
	snap.Components = append(snap.Components, &platform.Component{Kind: platform.Other, Cluster: "web", Namespace: "web",
		Members: []*platform.Member{{Name: "web-0", Namespace: "web", UID: "uid-web", Node: "worker-7"}}})
	m.Observe(snap)
	m.Activate("storage")
	r := eventually(t, m, "fill", func(r *Report) bool { return r.Volumes.State == OK })
	ledger, _ := r.Claim("pravega/ledger-bookkeeper-bookie-0")
	if ledger.Level != FillCritical || ledger.Fraction != 0.91 || ledger.Node != "worker-1" || ledger.Pod != "bookkeeper-bookie-0" {
		t.Errorf("ledger %+v", ledger)
	}
	if j, _ := r.Claim("pravega/journal-bookkeeper-bookie-0"); j.Level != FillOK || j.Fraction != 0.2 {
		t.Errorf("journal %+v", j)
	}
	if l1, _ := r.Claim("pravega/ledger-bookkeeper-bookie-1"); l1.Level != FillUnknown {
		t.Errorf("claim on the failed node %+v", l1)
	}
	if over := r.Over(FillHigh); len(over) != 1 || over[0].Name != "ledger-bookkeeper-bookie-0" {
		t.Errorf("over 80 %%: %+v", over)
	}
	if !strings.Contains(r.Volumes.Reason, "1 of 3 nodes failed (worker-2)") {
		t.Errorf("partial failure reason %q", r.Volumes.Reason)
	}
	mu.Lock()
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"worker-1", "worker-2", "worker-9"}) {
		t.Errorf("summaries asked of %v", asked)
	}
	worker1Down = true
	mu.Unlock()

	// worker-1's kubelet goes away: its claims keep the fill last seen;
	// a claim that leaves the snapshot leaves the report.
	next := *snap
	next.Claims = snap.Claims[:2]
	m.Observe(&next)
	fc.Step(DefaultVolumeInterval)
	r = eventually(t, m, "a round with worker-1 down", func(r *Report) bool {
		return r.Volumes.State == Failing && r.Snapshot == &next
	})
	if ledger, _ := r.Claim("pravega/ledger-bookkeeper-bookie-0"); ledger.Level != FillCritical || !ledger.Seen.Equal(epoch) {
		t.Errorf("fill of a claim on a failed node was dropped: %+v", ledger)
	}
	if _, ok := r.Claim("pravega/ledger-bookkeeper-bookie-1"); ok || len(r.Claims) != 2 {
		t.Errorf("claims %+v", r.Claims)
	}
}

// TestForbiddenNodeProxyIsOneRequestAndOneLine: without nodes/proxy the
// first forbidden summary ends the round: one request, one line, backoff.
func TestForbiddenNodeProxyIsOneRequestAndOneLine(t *testing.T) {
	var calls atomic.Int32
	reader := summaryFunc(func(_ context.Context, node string) (*Summary, error) {
		calls.Add(1)
		return nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes/proxy"}, node, nil)
	})
	m, fc := start(t, Config{Summaries: reader, Parallel: 1})
	m.Observe(claimSnapshot())
	m.Activate("storage")
	r := eventually(t, m, "forbidden", func(r *Report) bool { return r.Volumes.State == Forbidden })
	if calls.Load() != 1 {
		t.Errorf("%d summary requests after a forbidden one", calls.Load())
	}
	if !strings.Contains(r.Volumes.Reason, "nodes/proxy") || r.Volumes.Failures != 1 {
		t.Errorf("volumes %+v", r.Volumes)
	}
	fc.Step(DefaultVolumeInterval)
	quiet(t, fc)
	if calls.Load() != 1 {
		t.Errorf("read again before the backoff: %d", calls.Load())
	}
	fc.Step(DefaultVolumeInterval)
	eventually(t, m, "the retry", func(r *Report) bool { return r.Volumes.Failures == 2 })
}

// TestNodePressureFollowsTheSnapshot: a node coming under memory pressure
// is in the next report without waiting for a read.
func TestNodePressureFollowsTheSnapshot(t *testing.T) {
	f := newFakeMetrics(okPods, okNodes)
	m, _ := start(t, Config{Metrics: f})
	member := segmentStore("pravega-segment-store-0", "uid-0", "worker-1", 0, nil)
	snap := snapshotOf(member)
	m.Observe(snap)
	m.Activate("members")
	eventually(t, m, "usage", func(r *Report) bool { return r.Metrics.State == OK && r.NodeMetrics.State == OK })
	if u, _ := m.Latest().Member(member); len(u.UnderPressure()) != 0 {
		t.Fatalf("pressure before: %v", u.UnderPressure())
	}
	next := *snap
	next.Nodes = []platform.Node{{Name: "worker-1", Ready: true, Pressure: []string{"MemoryPressure", "DiskPressure"}}}
	m.Observe(&next)
	r := eventually(t, m, "pressure", func(r *Report) bool { return r.Snapshot == &next })
	if u, _ := r.Member(member); len(u.UnderPressure()) != 2 || u.Node.Name != "worker-1" {
		t.Errorf("member node %+v", u.Node)
	}
}

// TestUnreportedClaimsAreReadAgainSooner: a console that starts while the
// pods start (the demo always does) reads the summaries again at the
// metrics interval while a claim has no fill, not a minute later.
func TestUnreportedClaimsAreReadAgainSooner(t *testing.T) {
	var mu sync.Mutex
	reads, started := 0, false
	reader := summaryFunc(func(_ context.Context, node string) (*Summary, error) {
		mu.Lock()
		defer mu.Unlock()
		reads++
		if !started || node != "worker-1" {
			return &Summary{}, nil // the kubelets do not report volumes of pods still starting
		}
		return &Summary{Pods: []PodStats{{PodRef: PodReference{Name: "bookkeeper-bookie-0", Namespace: "pravega"}, Volumes: []VolumeStats{
			{Name: "ledger", PVCRef: &PVCRef{Name: "ledger-bookkeeper-bookie-0", Namespace: "pravega"}, UsedBytes: u64(91 * gi), AvailableBytes: u64(9 * gi), CapacityBytes: u64(100 * gi)},
		}}}}, nil
	})
	m, fc := start(t, Config{Summaries: reader})
	m.Observe(claimSnapshot())
	m.Activate("storage")
	eventually(t, m, "a first round", func(r *Report) bool { return r.Volumes.State == OK })
	mu.Lock()
	started = true
	mu.Unlock()
	fc.Step(DefaultInterval)
	r := eventually(t, m, "the fill a metrics interval later", func(r *Report) bool {
		l, _ := r.Claim("pravega/ledger-bookkeeper-bookie-0")
		return l.Level == FillCritical
	})
	if r.Volumes.NextTry.Sub(r.Volumes.Updated) > DefaultVolumeInterval {
		t.Errorf("next volume read %s after the last", r.Volumes.NextTry.Sub(r.Volumes.Updated))
	}
}

// TestPodReadsFollowNamespaces: pod metrics are listed in the namespaces
// the snapshot covers, not the scope the console started with, and a :ns
// change reads the new namespaces at once rather than an interval later.
func TestPodReadsFollowNamespaces(t *testing.T) {
	var mu sync.Mutex
	var listed []string
	f := newFakeMetrics(okPods, okNodes)
	f.PrependReactor("list", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		listed = append(listed, a.GetNamespace())
		mu.Unlock()
		return false, nil, nil
	})
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(listed)
	}
	m, _ := start(t, Config{Metrics: f, Scope: kube.Scope{Namespaces: []string{"pravega"}}})
	snap := snapshotOf(segmentStore("pravega-segment-store-0", "uid-0", "worker-2", 0, nil))
	snap.Namespaces = []string{"pravega"}
	m.Observe(snap)
	m.Activate("members")
	eventually(t, m, "a first read", func(*Report) bool { return len(seen()) == 1 })
	next := *snap
	next.Seq++
	next.Namespaces = []string{"flink", "tenant-a"}
	m.Observe(&next)
	eventually(t, m, "a read of the new namespaces without the clock moving", func(*Report) bool { return len(seen()) == 3 })
	if got, want := seen(), []string{"pravega", "flink", "tenant-a"}; !slices.Equal(got, want) {
		t.Errorf("listed pod metrics in %q, want %q", got, want)
	}
	all := next
	all.Seq++
	all.Namespaces = nil
	m.Observe(&all)
	eventually(t, m, "a cluster-wide read", func(*Report) bool { return len(seen()) == 4 })
	if got := seen()[3]; got != metav1.NamespaceAll {
		t.Errorf("after :ns all listed in %q, want all namespaces", got)
	}
}
