package logs_test

// Integration test: the log engine against a real kube-apiserver, logs
// served through the kubelet API of the test cluster (kwok serves a pod's
// log from a file in CRI format, and streams what is appended with
// follow). It skips when the test cluster is not built.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

// criLog is a log file kwok serves for one container.
type criLog struct {
	mu   sync.Mutex
	path string
}

func (l *criLog) append(t *testing.T, ts time.Time, lines ...string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range lines {
		if _, err := fmt.Fprintf(f, "%s stdout F %s\n", ts.UTC().Format(time.RFC3339Nano), s); err != nil {
			t.Fatal(err)
		}
	}
}

// breaker wraps a Source: the next stream of a target it is told to break
// fails mid-read, as a dropped connection does.
type breaker struct {
	logs.Source
	mu    sync.Mutex
	calls []logs.StreamOptions
	live  map[logs.Target]*breakable
}

type breakable struct {
	io.ReadCloser
	broken atomic.Bool
}

func (b *breakable) Read(p []byte) (int, error) {
	n, err := 0, error(nil)
	if !b.broken.Load() {
		n, err = b.ReadCloser.Read(p)
	}
	if b.broken.Load() {
		return 0, fmt.Errorf("read tcp 127.0.0.1:43210->127.0.0.1:6443: connection reset by peer")
	}
	return n, err
}

func (b *breaker) Open(ctx context.Context, t logs.Target, o logs.StreamOptions) (io.ReadCloser, error) {
	rc, err := b.Source.Open(ctx, t, o)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, o)
	if err != nil {
		return nil, err
	}
	br := &breakable{ReadCloser: rc}
	if o.Follow {
		b.live[t] = br
	}
	return br, nil
}

// cut breaks the open follow stream of t; the blocked read returns when the
// body is closed.
func (b *breaker) cut(t logs.Target) {
	b.mu.Lock()
	br := b.live[t]
	b.mu.Unlock()
	br.broken.Store(true)
	br.ReadCloser.Close()
}

// TestFollowTwoPodsAndResume follows two pods at once through the real
// pods/log API, checks lines and sources, then breaks one stream and checks
// that it resumes without repeating or losing a line.
func TestFollowTwoPodsAndResume(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ns := fmt.Sprintf("logs-it-%d", time.Now().UnixNano()%100000)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	node := readyNode(t, ctx, cs, c)

	base := time.Now().Add(-time.Minute).Truncate(time.Second)
	pods := []string{"pravega-segment-store-0", "pravega-segment-store-1"}
	files := map[string]*criLog{}
	for i, pod := range pods {
		f := &criLog{path: filepath.Join(c.Dir, ns+"-"+pod+".log")}
		files[pod] = f
		for j := 0; j < 5; j++ {
			f.append(t, base.Add(time.Duration(j)*time.Second+time.Duration(i)*time.Millisecond), fmt.Sprintf("%s line %d", pod, j))
		}
		// The Logs resource before the pod, so that kwok knows the pod's
		// logs by the time it runs it.
		logsCR := fmt.Sprintf(`apiVersion: kwok.x-k8s.io/v1alpha1
kind: Logs
metadata: {name: %s, namespace: %s}
spec:
  logs: [{containers: [segmentstore], logsFile: %s, follow: true}]
`, pod, ns, f.path)
		if err := c.Apply(ctx, logsCR); err != nil {
			t.Fatal(err)
		}
		_, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns, Labels: map[string]string{
				"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore"}},
			// a kwok node: kwok makes the pod Running; its statuses carry no container ID
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "segmentstore", Image: "pravega/pravega:0.13.0"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, pod := range pods {
		waitRunning(t, ctx, cs, ns, pod)
	}

	src := &breaker{Source: logs.KubeSource{Client: cs}, live: map[logs.Target]*breakable{}}
	eng := logs.New(logs.Config{Source: src, Backoff: 200 * time.Millisecond, MaxBackoff: 2 * time.Second, Coalesce: 5 * time.Millisecond})
	go func() { _ = eng.Run(ctx) }()
	t0 := logs.Target{Namespace: ns, Pod: pods[0], Container: "segmentstore"}
	t1 := logs.Target{Namespace: ns, Pod: pods[1], Container: "segmentstore"}
	if err := eng.Follow(logs.Selection{Targets: []logs.Target{t0, t1}}, logs.Options{Follow: true, Tail: -1}); err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{}
	for _, pod := range pods {
		for j := 0; j < 5; j++ {
			want[pod] = append(want[pod], fmt.Sprintf("%s line %d", pod, j))
		}
	}
	await(t, ctx, eng, "the history of both pods", func() bool { return matches(eng, want) })
	awaitStreaming(t, ctx, eng, 2)
	// the history came merged in time order
	var order []string
	for _, l := range eng.Buffer().Visible() {
		order = append(order, string(l.Text))
	}
	if order[0] != pods[0]+" line 0" || order[1] != pods[1]+" line 0" || order[2] != pods[0]+" line 1" {
		t.Fatalf("history not in time order: %q", order)
	}

	// live lines, from both pods
	now := time.Now()
	files[pods[0]].append(t, now, pods[0]+" live a", pods[0]+" live b")
	files[pods[1]].append(t, now.Add(time.Millisecond), pods[1]+" live a")
	want[pods[0]] = append(want[pods[0]], pods[0]+" live a", pods[0]+" live b")
	want[pods[1]] = append(want[pods[1]], pods[1]+" live a")
	await(t, ctx, eng, "live lines", func() bool { return matches(eng, want) })

	// break the first pod's stream; lines written meanwhile share the second
	// (the API resumes at whole seconds) and even the timestamp of the last
	// line read
	src.cut(t0)
	files[pods[0]].append(t, now, pods[0]+" same timestamp as live a and b")
	files[pods[0]].append(t, now.Add(time.Millisecond), pods[0]+" after the break")
	files[pods[1]].append(t, now.Add(2*time.Millisecond), pods[1]+" live b")
	want[pods[0]] = append(want[pods[0]], pods[0]+" same timestamp as live a and b", pods[0]+" after the break")
	want[pods[1]] = append(want[pods[1]], pods[1]+" live b")
	await(t, ctx, eng, "the resumed stream", func() bool { return matches(eng, want) })
	awaitStreaming(t, ctx, eng, 2)
	files[pods[0]].append(t, time.Now(), pods[0]+" after resuming")
	want[pods[0]] = append(want[pods[0]], pods[0]+" after resuming")
	await(t, ctx, eng, "lines after resuming", func() bool { return matches(eng, want) })
	time.Sleep(300 * time.Millisecond) // a duplicate would have arrived by now
	if !matches(eng, want) {
		t.Fatalf("lines changed after resuming:\n%s", dump(eng))
	}

	var notes []string
	for _, l := range eng.Buffer().Visible() {
		if l.Notice {
			notes = append(notes, string(l.Text))
		}
	}
	if len(notes) != 2 || !strings.HasPrefix(notes[0], "connection lost: read tcp") || !strings.HasPrefix(notes[1], "reconnected; resuming after ") {
		t.Fatalf("notices %q", notes)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	last := src.calls[len(src.calls)-1]
	if !last.Follow || last.SinceTime.IsZero() || last.TailLines >= 0 {
		t.Fatalf("the reconnect asked for %+v, want follow since the last line", last)
	}
}

// matches reports whether the buffer holds exactly the wanted lines of
// each pod, in order.
func matches(eng *logs.Engine, want map[string][]string) bool {
	got := map[string][]string{}
	for _, l := range eng.Buffer().Visible() {
		if l.Notice {
			continue
		}
		s, _ := eng.Source(l.Source)
		got[s.Target.Pod] = append(got[s.Target.Pod], string(l.Text))
	}
	for pod, w := range want {
		if !slices.Equal(got[pod], w) {
			return false
		}
	}
	return len(got) == len(want)
}

func dump(eng *logs.Engine) string {
	var b strings.Builder
	for _, l := range eng.Buffer().Visible() {
		s, _ := eng.Source(l.Source)
		fmt.Fprintf(&b, "%s %s notice=%v %q\n", l.Timestamp().Format(time.RFC3339Nano), s.Target.Pod, l.Notice, l.Text)
	}
	for _, s := range eng.Sources() {
		fmt.Fprintf(&b, "source %s: %s %s\n", s.Target, s.State, s.Detail)
	}
	return b.String()
}

func await(t testing.TB, ctx context.Context, eng *logs.Engine, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for !cond() {
		select {
		case <-eng.Changed():
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s:\n%s", what, dump(eng))
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

func awaitStreaming(t testing.TB, ctx context.Context, eng *logs.Engine, n int) {
	t.Helper()
	await(t, ctx, eng, "streams", func() bool {
		ss := eng.Sources()
		ok := len(ss) == n
		for _, s := range ss {
			ok = ok && s.State == logs.Streaming
		}
		return ok
	})
}

func waitRunning(t testing.TB, ctx context.Context, cs kubernetes.Interface, ns, pod string) {
	t.Helper()
	for {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pod %s never ran", pod)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func readyNode(t testing.TB, ctx context.Context, cs kubernetes.Interface, c *testcluster.Cluster) string {
	t.Helper()
	node, err := c.KubeletNode(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	return node
}
