package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/testcluster"
)

// reflectorLog keeps what client-go's reflectors log about closed watches
// (klog V(4): "Watch closed" with the error, e.g. "too old resource version").
type reflectorLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *reflectorLog) Write(p []byte) (int, error) {
	for line := range bytes.Lines(p) {
		if bytes.Contains(line, []byte("reflector.go")) && bytes.Contains(line, []byte("type=\"*v1.Pod\"")) {
			l.mu.Lock()
			l.lines = append(l.lines, strings.TrimSpace(string(line)))
			l.mu.Unlock()
		}
	}
	return len(p), nil
}

func (l *reflectorLog) matching(subs ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
next:
	for _, line := range l.lines {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				continue next
			}
		}
		out = append(out, line)
	}
	return out
}

// capturePodReflectorLog routes klog, which client-go logs through, to a
// reflectorLog at verbosity 4 for the rest of the test. Reflectors log
// through the context's logger, hence ContextualLogger.
//
// klog's logger is set once for the package and never cleared: reflectors
// of a test's watcher may still be logging after the test ends, and
// replacing klog's global logger under them is a data race. What the
// logger writes goes to the current test's reflectorLog, or nowhere.
func capturePodReflectorLog(t *testing.T) *reflectorLog {
	l := &reflectorLog{}
	klogOnce.Do(func() {
		klog.SetLoggerWithOptions(textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(4), textlogger.Output(&klogSink))), klog.ContextualLogger(true))
	})
	klogSink.set(l)
	t.Cleanup(func() { klogSink.set(nil) })
	return l
}

var (
	klogOnce sync.Once
	klogSink switchWriter
)

// switchWriter writes to whichever reflectorLog is current.
type switchWriter struct {
	mu sync.Mutex
	to *reflectorLog
}

func (w *switchWriter) set(l *reflectorLog) {
	w.mu.Lock()
	w.to = l
	w.mu.Unlock()
}

func (w *switchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	to := w.to
	w.mu.Unlock()
	if to == nil {
		return len(p), nil
	}
	return to.Write(p)
}

// TestExpiredResourceVersion makes the watcher's resource versions expire
// while it cannot reach the API server: its connection (through a TCP
// proxy) is cut, the pods change, etcd is compacted at its current
// revision and the apiserver restarted so that its watch cache cannot
// serve the old revision either. When the proxy lets it through again the
// informers' watches fail with "too old resource version" (410), they
// relist, and nothing is lost: the snapshot equals the cluster.
func TestExpiredResourceVersion(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reflectors := capturePodReflectorLog(t)
	admin := clientsFor(t, adminConfig(t, c), "admin")
	const ns = "expired"
	namespace(t, ctx, admin, ns)
	for i := range 5 {
		createPods(t, ctx, admin, zkPod(ns, fmt.Sprintf("zookeeper-%d", i), i))
	}

	// The watcher reaches the apiserver through the proxy (the serving
	// certificate is for 127.0.0.1, whatever the port).
	proxy := startProxy(t, strings.TrimPrefix(c.Env["TESTCLUSTER_APISERVER"], "https://"))
	cfg := adminConfig(t, c)
	cfg.Host = "https://" + proxy.addr
	w := startWatcher(t, ctx, clientsFor(t, cfg, "admin-via-proxy"), kube.Scope{Namespaces: []string{ns}})
	awaitSnapshot(t, ctx, w, "synced, pods shown", func(s *platform.Snapshot) string {
		if !s.Synced() {
			return fmt.Sprintf("syncs %+v", s.Syncs)
		}
		return diffPods(ctx, admin, s, ns)
	})
	before, _ := snapshotPods(w.Snapshot(), ns)
	// A watch that breaks within its first second without an event is
	// "very short": the reflector starts over with a fresh watch-list (a
	// relist at "not older than" its version), which never meets the 410.
	// One that ran longer resumes with a plain watch from its last resource
	// version, as after any real outage; that is the path under test.
	time.Sleep(1500 * time.Millisecond)

	begin := time.Now()
	proxy.Cut()
	awaitSnapshot(t, ctx, w, "pods watch failing", func(s *platform.Snapshot) string {
		if st, _ := syncState(s, "pods"); st.Phase != platform.Failing {
			return fmt.Sprintf("pods %s", st.Phase)
		}
		return ""
	})
	// Meanwhile: two pods go, two come, one changes.
	deletePods(t, ctx, admin, ns, "zookeeper-0", "zookeeper-1")
	createPods(t, ctx, admin, zkPod(ns, "zookeeper-5", 5), zkPod(ns, "zookeeper-6", 6))
	if _, err := admin.Typed.CoreV1().Pods(ns).Patch(ctx, "zookeeper-2", types.MergePatchType, []byte(`{"metadata":{"labels":{"changed":"while-away"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	rev, err := c.CompactEtcd(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RestartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	// A list from a resource version the watcher saw now fails with 410.
	_, err = admin.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{ResourceVersion: before[0].rv, ResourceVersionMatch: metav1.ResourceVersionMatchExact})
	if !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
		t.Fatalf("a list at the old resource version %s after compacting at %d: err %v, want 410 Gone", before[0].rv, rev, err)
	}
	t.Logf("etcd compacted at revision %d, apiserver restarted, %s after the cut", rev, time.Since(begin).Round(time.Millisecond))
	proxy.Resume()

	begin = time.Now()
	up := awaitSnapshot(t, ctx, w, "relisted, snapshot equal to the cluster", func(s *platform.Snapshot) string {
		for _, st := range s.Syncs {
			if st.Phase != platform.Synced && st.Phase != platform.Absent {
				return fmt.Sprintf("%s is %s (%s)", st.Resource, st.Phase, st.Reason)
			}
		}
		return diffPods(ctx, admin, s, ns)
	})
	t.Logf("resynced %s after the proxy let the watcher through", time.Since(begin).Round(time.Millisecond))
	got, _ := snapshotPods(up, ns)
	t.Logf("members before: %v", before)
	t.Logf("members after:  %v", got)
	// The reflector's watch from the old resource version was refused with
	// 410 and it relisted.
	expired := reflectors.matching("Watch closed", "too old resource version")
	if len(expired) == 0 {
		t.Errorf("the pods watch did not see an expired resource version; its reflector logged:\n%s", strings.Join(reflectors.matching(), "\n"))
	}
	for _, l := range expired {
		t.Logf("reflector: %s", l)
	}
	if relisted := reflectors.matching("Caches populated"); len(relisted) < 2 {
		t.Errorf("the pods informer did not list again: %q", relisted)
	}
}
