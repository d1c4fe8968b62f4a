package watch_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

var epoch = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// settledDemo returns a demo platform whose members are all up.
func settledDemo(t testing.TB, ctx context.Context) (*demo.Platform, *clocktesting.FakeClock) {
	t.Helper()
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 200); err != nil {
		t.Fatal(err)
	}
	return p, fc
}

// waitFor reads snapshots until cond holds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, w *watch.Watcher, what string, cond func(*platform.Snapshot) bool) *platform.Snapshot {
	t.Helper()
	sub := w.Subscribe(ctx)
	for {
		if s := w.Snapshot(); s.Seq > 0 && cond(s) {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-sub:
		}
	}
}

func syncOf(s *platform.Snapshot, resource string) platform.SyncState {
	for _, st := range s.Syncs {
		if st.Resource == resource {
			return st
		}
	}
	return platform.SyncState{Resource: resource, Phase: -1}
}

func TestForbiddenWatchesAreReportedPerResource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	typed := p.Clients().Typed.(*fake.Clientset)
	forbid := func(resource string) {
		typed.PrependReactor("list", resource, func(a clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New(`User "limited" cannot list resource "`+resource+`" at the cluster scope`))
		})
	}
	forbid("nodes")
	forbid("events")
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ctx, w, "nodes and events failing, pods synced", func(s *platform.Snapshot) bool {
		return syncOf(s, "nodes").Phase == platform.Failing && syncOf(s, "events").Phase == platform.Failing && syncOf(s, "pods").Phase == platform.Synced
	})
	if r := syncOf(s, "nodes").Reason; !strings.Contains(r, "forbidden") {
		t.Errorf("nodes reason %q, want it to say forbidden", r)
	}
	if len(s.Components) != 8 {
		t.Errorf("the rest of the platform must still show: %d components", len(s.Components))
	}
}

func TestOnlyRequestedResourcesAreWatched(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	// A cluster that serves only the Flink operator's CRD.
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc,
		Resources: []operator.Resource{operator.ZookeeperClusters, operator.FlinkDeployments}})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ctx, w, "synced", func(s *platform.Snapshot) bool { return s.Synced() })
	if st := syncOf(s, "zookeeperclusters.zookeeper.pravega.io"); st.Phase != platform.Synced {
		t.Errorf("zookeeperclusters: %s %s", st.Phase, st.Reason)
	}
	if st := syncOf(s, "flinkclusters.flinkoperator.k8s.io"); st.Phase != -1 {
		t.Errorf("flinkclusters not asked for, but tracked: %+v", st)
	}
}

func TestAbsentCRDWithFakeDiscovery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	typed := fake.NewClientset()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		operator.ZookeeperClusters.GVR: "ZookeeperClusterList",
	})
	w := watch.New(watch.Config{Clients: clientsOf(typed, dyn), Clock: clocktesting.NewFakeClock(epoch)})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ctx, w, "synced", func(s *platform.Snapshot) bool { return s.Synced() })
	for _, r := range operator.All {
		if r.Fallback {
			continue
		}
		if st := syncOf(s, r.Name()); st.Phase != platform.Absent || !strings.Contains(st.Reason, "not served") {
			t.Errorf("%s: %s %q, want absent", r.Name(), st.Phase, st.Reason)
		}
	}
	if st := syncOf(s, "pods"); st.Phase != platform.Synced {
		t.Errorf("pods: %s", st.Phase)
	}
}

// TestFailingWatchRecovers refuses the nodes list for a while, then lets it
// through: the watch must go back to synced on its own (the reflector
// relists; the watcher notices without polling the API server).
func TestFailingWatchRecovers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	typed := p.Clients().Typed.(*fake.Clientset)
	var refuse atomic.Bool
	refuse.Store(true)
	typed.PrependReactor("list", "nodes", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if refuse.Load() {
			return true, nil, apierrors.NewServiceUnavailable("apiserver is restarting")
		}
		return false, nil, nil
	})
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ctx, w, "nodes failing", func(s *platform.Snapshot) bool { return syncOf(s, "nodes").Phase == platform.Failing })
	if r := syncOf(s, "nodes").Reason; !strings.Contains(r, "restarting") {
		t.Errorf("reason %q", r)
	}
	refuse.Store(false)
	s = waitFor(t, ctx, w, "nodes synced again", func(s *platform.Snapshot) bool { return syncOf(s, "nodes").Phase == platform.Synced })
	if len(s.Nodes) != 4 {
		t.Errorf("%d nodes after recovery, want 4", len(s.Nodes))
	}
}

func TestMalformedResourceMarksOnlyItsRow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, w, "platform", func(s *platform.Snapshot) bool { return len(s.Components) == 8 })
	// The demo validates writes against the schema, as an API server does;
	// a malformed resource (e.g. stored before a schema change, or by an
	// operator with a different idea of the type) is written underneath it.
	res := p.Clients().Dynamic.Resource(operator.BookkeeperClusters.GVR).Namespace(demo.StoreNamespace)
	u, err := res.Get(ctx, demo.BookkeeperName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u.Object["spec"].(map[string]any)["replicas"] = "three"
	u.Object["status"] = map[string]any{"conditions": "broken"}
	u.SetResourceVersion("99999999")
	tracker := p.Clients().Dynamic.(*dynamicfake.FakeDynamicClient).Tracker()
	if err := tracker.Update(operator.BookkeeperClusters.GVR, u, demo.StoreNamespace); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ctx, w, "bookkeeper invalid", func(s *platform.Snapshot) bool {
		c := s.Component("pravega/bookkeeper/BookKeeper")
		return c != nil && c.Invalid != ""
	})
	c := s.Component("pravega/bookkeeper/BookKeeper")
	if !strings.Contains(c.Invalid, "invalid spec: spec.replicas: is a string") || c.Health != platform.Unknown {
		t.Errorf("bookkeeper: %q %s", c.Invalid, c.Health)
	}
	for _, other := range s.Components {
		if other != c && other.Invalid != "" {
			t.Errorf("%s marked invalid too: %s", other.Key(), other.Invalid)
		}
	}
}

// TestStormIsCoalesced updates pods as fast as possible and checks that the
// watcher builds at most about one snapshot per coalescing period.
func TestStormIsCoalesced(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc, Coalesce: 100 * time.Millisecond})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, w, "platform", func(s *platform.Snapshot) bool { return len(s.Components) == 8 && s.Synced() })
	pods := p.Clients().Typed.CoreV1().Pods(demo.StoreNamespace)
	list, err := pods.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := w.Snapshot().Seq
	start := time.Now()
	const updates = 600
	for i := 0; i < updates; i++ {
		pod := list.Items[i%len(list.Items)].DeepCopy()
		pod.Labels["storm"] = string(rune('a' + i%26))
		got, err := pods.Update(ctx, pod, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		list.Items[i%len(list.Items)] = *got
	}
	last := list.Items[len(list.Items)-1]
	waitFor(t, ctx, w, "last update seen", func(s *platform.Snapshot) bool {
		for _, c := range s.Components {
			for _, m := range c.Members {
				if m.Name == last.Name {
					return m.ResourceVersion == last.ResourceVersion
				}
			}
		}
		return false
	})
	elapsed := time.Since(start)
	builds := w.Snapshot().Seq - before
	limit := uint64(elapsed/(100*time.Millisecond)) + 3
	t.Logf("%d updates in %s became %d snapshots (limit %d)", updates, elapsed.Round(time.Millisecond), builds, limit)
	if builds > limit {
		t.Errorf("%d snapshots for %d updates in %s: not coalesced", builds, updates, elapsed)
	}
	if builds >= updates/2 {
		t.Errorf("%d snapshots for %d updates", builds, updates)
	}
}

func TestSnapshotsShareUnchangedMembers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s1 := waitFor(t, ctx, w, "platform", func(s *platform.Snapshot) bool { return len(s.Components) == 8 && s.Synced() })
	zk1 := s1.Component("pravega/zookeeper/ZooKeeper")
	pod, err := p.Clients().Typed.CoreV1().Pods(demo.StoreNamespace).Get(ctx, "zookeeper-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.ContainerStatuses[0].RestartCount = 7
	if _, err := p.Clients().Typed.CoreV1().Pods(demo.StoreNamespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s2 := waitFor(t, ctx, w, "restart seen", func(s *platform.Snapshot) bool {
		c := s.Component("pravega/zookeeper/ZooKeeper")
		return c != nil && c.Members[0].Restarts == 7
	})
	zk2 := s2.Component("pravega/zookeeper/ZooKeeper")
	if zk1.Members[0] == zk2.Members[0] {
		t.Error("changed member was not rebuilt")
	}
	if zk1.Members[1] != zk2.Members[1] {
		t.Error("unchanged member was rebuilt instead of shared")
	}
	if zk1.Members[0].Restarts != 0 {
		t.Error("a published snapshot was modified")
	}
}

// TestSetScopeKeepsSubscribers narrows the watch to one namespace and back:
// the same subscription sees the new scope's platform.
func TestSetScopeKeepsSubscribers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, w, "all namespaces", func(s *platform.Snapshot) bool { return len(s.Components) == 8 && s.Synced() })
	w.SetScope(kube.Scope{Namespaces: []string{demo.StoreNamespace}})
	s := waitFor(t, ctx, w, "the store only", func(s *platform.Snapshot) bool {
		return len(s.Namespaces) == 1 && s.Synced() && len(s.Components) == 4
	})
	for _, c := range s.Components {
		if c.Namespace != demo.StoreNamespace {
			t.Errorf("%s outside the scope", c.Key())
		}
	}
	if w.Scope().String() != demo.StoreNamespace {
		t.Errorf("scope %q", w.Scope())
	}
	if _, ok := w.Object(operator.ZookeeperClusters.GVR, demo.StoreNamespace, demo.ZookeeperName); !ok {
		t.Error("Object does not find the zookeeper cluster after the switch")
	}
	w.SetScope(kube.Scope{})
	waitFor(t, ctx, w, "all again", func(s *platform.Snapshot) bool { return len(s.Namespaces) == 0 && len(s.Components) == 8 && s.Synced() })
}

// TestInitialListIsNotAChange: a console started on a platform that has
// not changed shows no last change (and ticks ages slowly from the start);
// the first event after the lists is one.
func TestInitialListIsNotAChange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s1 := waitFor(t, ctx, w, "platform", func(s *platform.Snapshot) bool { return len(s.Components) == 8 && s.Synced() })
	if !s1.LastChange.IsZero() {
		t.Fatalf("LastChange after the initial lists = %v, want none", s1.LastChange)
	}
	fc.Step(time.Minute)
	pod, err := p.Clients().Typed.CoreV1().Pods(demo.StoreNamespace).Get(ctx, "zookeeper-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.ContainerStatuses[0].RestartCount = 7
	if _, err := p.Clients().Typed.CoreV1().Pods(demo.StoreNamespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s2 := waitFor(t, ctx, w, "restart seen", func(s *platform.Snapshot) bool {
		c := s.Component("pravega/zookeeper/ZooKeeper")
		return c != nil && c.Members[0].Restarts == 7
	})
	if !s2.LastChange.Equal(fc.Now()) {
		t.Errorf("LastChange after a restart = %v, want %v", s2.LastChange, fc.Now())
	}
}
