package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/watch"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

func clientsFor(t *testing.T, cfg *rest.Config, name string) *kube.Clients {
	t.Helper()
	cl, err := kube.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl.Context = name
	return cl
}

func adminConfig(t *testing.T, c *testcluster.Cluster) *rest.Config {
	t.Helper()
	cfg, err := c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// namespace creates a namespace, or empties it of pods when an earlier run
// (go test -count=N shares the cluster) left some.
func namespace(t *testing.T, ctx context.Context, admin *kube.Clients, name string) {
	t.Helper()
	_, err := admin.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err == nil {
		return
	}
	if !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	pods := admin.Typed.CoreV1().Pods(name)
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

// zkPod is a ZooKeeper member as the operator labels it (contracts/LABELS.md),
// bound to a kwok node, which makes it Running and Ready.
func zkPod(ns, name string, node int) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels: map[string]string{"app": "zookeeper", "release": "zookeeper", "kind": "ZookeeperMember"}},
		Spec: corev1.PodSpec{
			NodeName:   fmt.Sprintf("kwok-node-%d", node%3),
			Containers: []corev1.Container{{Name: "zookeeper", Image: "pravega/zookeeper:0.2.14"}},
		},
	}
}

func createPods(t *testing.T, ctx context.Context, admin *kube.Clients, pods ...*corev1.Pod) {
	t.Helper()
	for _, p := range pods {
		if _, err := admin.Typed.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod %s/%s: %v", p.Namespace, p.Name, err)
		}
	}
}

func deletePods(t *testing.T, ctx context.Context, admin *kube.Clients, ns string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := admin.Typed.CoreV1().Pods(ns).Delete(ctx, n, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
			t.Fatalf("delete pod %s/%s: %v", ns, n, err)
		}
	}
}

// runningWatcher is a watcher under test and every error it reported.
type runningWatcher struct {
	*watch.Watcher
	log  syncBuffer // what the watcher logged
	mu   sync.Mutex
	errs []error
}

// syncBuffer is a bytes.Buffer for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the lines that contain every one of subs.
func (b *syncBuffer) lines(subs ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
next:
	for _, line := range strings.Split(b.buf.String(), "\n") {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				continue next
			}
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

func (r *runningWatcher) errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

// startWatcher starts a watcher that stops when the test ends; the test
// fails if the watcher reports an internal error (a recovered panic).
func startWatcher(t *testing.T, ctx context.Context, clients *kube.Clients, scope kube.Scope) *runningWatcher {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	w := &runningWatcher{}
	w.Watcher = watch.New(watch.Config{Clients: clients, Scope: scope, Log: slog.New(slog.NewTextHandler(&w.log, nil))})
	if err := w.Start(wctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-wctx.Done():
				return
			case err := <-w.Errors():
				w.mu.Lock()
				w.errs = append(w.errs, err)
				w.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		for _, err := range w.errors() {
			if strings.Contains(err.Error(), "internal error") {
				t.Errorf("watcher reported: %v", err)
			}
		}
	})
	return w
}

// awaitSnapshot reads snapshots until check returns "" and returns that
// snapshot; on timeout it fails with the last thing check complained about.
func awaitSnapshot(t *testing.T, ctx context.Context, w *runningWatcher, what string, check func(*platform.Snapshot) string) *platform.Snapshot {
	t.Helper()
	sub := w.Subscribe(ctx)
	last := "no snapshot published"
	tick := time.NewTicker(200 * time.Millisecond) // check also reads the cluster, which changes without a snapshot
	defer tick.Stop()
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
		case <-tick.C:
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

// podKey is what must match between the snapshot and the cluster: the same
// pod (UID) at the same version.
type podKey struct{ name, uid, rv string }

func (k podKey) String() string { return k.name + "@" + k.rv }

// snapshotPods lists the members of ns in the snapshot, sorted, and the
// names that appear more than once.
func snapshotPods(s *platform.Snapshot, ns string) (pods []podKey, dups []string) {
	seen := map[string]bool{}
	for _, c := range s.Components {
		if c.Namespace != ns {
			continue
		}
		for _, m := range c.Members {
			if seen[m.UID] {
				dups = append(dups, m.Name)
			}
			seen[m.UID] = true
			pods = append(pods, podKey{m.Name, m.UID, m.ResourceVersion})
		}
	}
	slices.SortFunc(pods, func(a, b podKey) int { return strings.Compare(a.name, b.name) })
	return pods, dups
}

// clusterPods lists ns's pods with a plain client, sorted.
func clusterPods(ctx context.Context, admin *kube.Clients, ns string) ([]podKey, error) {
	list, err := admin.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]podKey, 0, len(list.Items))
	for _, p := range list.Items {
		out = append(out, podKey{p.Name, string(p.UID), p.ResourceVersion})
	}
	slices.SortFunc(out, func(a, b podKey) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// diffPods says how the snapshot's members of ns differ from the cluster's
// pods: stale members, missing pods, old versions, duplicates.
func diffPods(ctx context.Context, admin *kube.Clients, s *platform.Snapshot, ns string) string {
	got, dups := snapshotPods(s, ns)
	if len(dups) > 0 {
		return fmt.Sprintf("duplicate members %v", dups)
	}
	want, err := clusterPods(ctx, admin, ns)
	if err != nil {
		return "list pods: " + err.Error()
	}
	if !slices.Equal(got, want) {
		return fmt.Sprintf("snapshot members %v, cluster pods %v", got, want)
	}
	return ""
}
