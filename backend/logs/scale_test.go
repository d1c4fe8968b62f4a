package logs_test

// Logs at scale (issue 8): pods whose kwok log files hold thousands of
// lines each, all followed at once through the real kube-apiserver (which
// reaches kwok's kubelet API through the test cluster's egress proxy), with
// the clients built as the console builds them. Every line carries a
// sequence number of its pod, so the buffer can be checked for lines lost,
// repeated or out of order.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/watch"
)

// scaleLines are what a Pravega + Flink platform logs, 120 to 200 bytes
// once the log4j date and the line's sequence number are in front.
var scaleLines = []string{
	"[core-12] INFO  i.p.s.server.logs.DurableLog - SegmentContainer[3]: Truncated log at sequence 1834 (frame 92).",
	"[flink-akka.actor.default-dispatcher-5] INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator - Completed checkpoint 4711 for job 3f2a (12345 bytes).",
	"[bookie-io-1-3] INFO  org.apache.bookkeeper.proto.BookieRequestProcessor - Add entry ledger=1842 entry=99811 took 3 ms",
	"[myid:1] - INFO  [NIOWorkerThread-2:ZooKeeperServer@1037] - Client attempting to renew session 0x10023f at /10.244.1.7:41242",
	"[Source: pravega-sensors (2/6)#0] WARN  org.apache.flink.runtime.taskmanager.Task - Source: pravega-sensors (2/6)#0 is backpressured: 87% busy.",
	"[core-7] ERROR i.p.s.server.writer.StorageWriter - StorageWriter[3]: Iteration failed, retrying: tier-2 write timeout.",
	"[epollEventLoopGroup-4-1] INFO  i.p.s.s.h.handler.PravegaRequestProcessor - [requestId=1893] Read segment iot/readings/0.#epoch.0 offset=18237 length=1024",
	"[controller-pool-3] INFO  i.p.c.server.eventProcessor.requesthandlers.ScaleOperationTask - iot/readings: scale up segment 4 into 2 at 1764000000",
}

// scaleLine is line seq of a pod: "2026-11-24 09:00:01,123 000042 [...] ...".
// The sequence number sits at a fixed place so that the check can read it.
func scaleLine(seq int) string {
	ms := seq % 1000
	s := seq / 1000
	return fmt.Sprintf("2026-11-24 %02d:%02d:%02d,%03d %06d %s", 9+s/3600%10, s/60%60, s%60, ms, seq, scaleLines[seq%len(scaleLines)])
}

// scaleSeq reads the sequence number back from a line's text.
func scaleSeq(text []byte) (int, bool) {
	const at = len("2026-11-24 09:00:01,123 ")
	if len(text) < at+7 || text[at+6] != ' ' {
		return 0, false
	}
	n, err := strconv.Atoi(string(text[at : at+6]))
	return n, err == nil
}

// scaleFixture is pods with one container each whose log kwok serves from
// its own file (in its own directory, as the kubelet keeps them: kwok
// watches a log's directory to follow it).
type scaleFixture struct {
	ns    string
	pods  []string
	files []string
	base  time.Time // timestamp of line 0; line i is base + i µs
	lines int       // lines written to each file so far
	node  string
	c     *testcluster.Cluster
}

const scaleContainer = "segmentstore"

// newScaleFixture creates a namespace with n Running kwok pods (Pravega
// segment stores by their labels) whose logs hold perPod lines each, and
// waits until kwok serves every one of them.
func newScaleFixture(tb testing.TB, ctx context.Context, c *testcluster.Cluster, n, perPod int) *scaleFixture {
	tb.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		tb.Fatal(err)
	}
	fx := &scaleFixture{ns: fmt.Sprintf("logs-scale-%d", time.Now().UnixNano()%1_000_000), c: c,
		base: time.Now().Add(-time.Hour).Truncate(time.Second)}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fx.ns}}, metav1.CreateOptions{}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), fx.ns, metav1.DeleteOptions{})
	})
	node := readyNode(tb, ctx, cs, c)
	fx.node = node
	dir, err := os.MkdirTemp(c.Dir, fx.ns+"-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	var crs strings.Builder
	for i := range n {
		pod := fmt.Sprintf("pravega-segment-store-%d", i)
		path := filepath.Join(dir, pod, scaleContainer, "0.log")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			tb.Fatal(err)
		}
		fx.pods = append(fx.pods, pod)
		fx.files = append(fx.files, path)
		fmt.Fprintf(&crs, `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Logs
metadata: {name: %s, namespace: %s}
spec:
  logs: [{containers: [%s], logsFile: %s, follow: true}]
`, pod, fx.ns, scaleContainer, path)
	}
	fx.append(tb, perPod)
	if err := c.Apply(ctx, crs.String()); err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, pod := range fx.pods {
		wg.Go(func() {
			_, err := cs.CoreV1().Pods(fx.ns).Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: fx.ns, Labels: map[string]string{
					"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore"}},
				// kwok makes the pod Running; its statuses carry no container ID
				Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: scaleContainer, Image: "pravega/pravega:0.13.0"}}},
			}, metav1.CreateOptions{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	for _, pod := range fx.pods {
		waitRunning(tb, ctx, cs, fx.ns, pod)
	}
	fx.waitServed(tb, ctx, cs)
	return fx
}

// waitServed waits until kwok serves the log of every pod (it learns the
// Logs resources through a watch of its own).
func (fx *scaleFixture) waitServed(tb testing.TB, ctx context.Context, cs kubernetes.Interface) {
	tb.Helper()
	one := int64(1)
	for _, pod := range fx.pods {
		for {
			b, err := cs.CoreV1().Pods(fx.ns).GetLogs(pod, &corev1.PodLogOptions{Container: scaleContainer, TailLines: &one}).DoRaw(ctx)
			if err == nil && len(b) > 0 {
				break
			}
			select {
			case <-ctx.Done():
				tb.Fatalf("kwok never served the log of %s: %v", pod, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// keepAddress gives the node its address back if kwok's status updates
// took it (log requests then fail with "no preferred addresses found").
func (fx *scaleFixture) keepAddress(tb testing.TB, ctx context.Context) {
	tb.Helper()
	cs, err := kubernetes.NewForConfig(fx.c.RESTConfig)
	if err != nil {
		tb.Fatal(err)
	}
	n, err := cs.CoreV1().Nodes().Get(ctx, fx.node, metav1.GetOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if ip := fx.c.Env["TESTCLUSTER_BACKEND_IP"]; len(n.Status.Addresses) == 0 && ip != "" {
		patch := fmt.Sprintf(`{"status":{"addresses":[{"type":"InternalIP","address":%q}]}}`, ip)
		if _, err := cs.CoreV1().Nodes().PatchStatus(ctx, fx.node, []byte(patch)); err != nil {
			tb.Fatal(err)
		}
	}
}

// append writes the next n lines to every pod's file, one write per file.
func (fx *scaleFixture) append(tb testing.TB, n int) {
	tb.Helper()
	var b bytes.Buffer
	for i, path := range fx.files {
		b.Reset()
		for seq := fx.lines; seq < fx.lines+n; seq++ {
			ts := fx.base.Add(time.Duration(seq)*time.Microsecond + time.Duration(i)*time.Nanosecond)
			b.WriteString(ts.UTC().Format(time.RFC3339Nano))
			b.WriteString(" stdout F ")
			b.WriteString(scaleLine(seq))
			b.WriteByte('\n')
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := f.Write(b.Bytes()); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	fx.lines += n
}

func (fx *scaleFixture) targets() []logs.Target {
	out := make([]logs.Target, len(fx.pods))
	for i, pod := range fx.pods {
		out[i] = logs.Target{Namespace: fx.ns, Pod: pod, Container: scaleContainer}
	}
	return out
}

// consoleClients builds the clients as `streamops` does for a kubeconfig
// context (kube.Options.Connect: flags, QPS and burst, user agent).
func consoleClients(tb testing.TB, c *testcluster.Cluster) *kube.Clients {
	tb.Helper()
	o := kube.NewOptions()
	o.Kubeconfig, o.Overrides.CurrentContext = c.Kubeconfig, "admin"
	clients, _, err := o.Connect()
	if err != nil {
		tb.Fatal(err)
	}
	return clients
}

// firstByte wraps a Source and records when the first byte of each
// target's first stream arrived.
type firstByte struct {
	logs.Source
	mu     sync.Mutex
	first  map[logs.Target]time.Time
	opened atomic.Int32
}

func newFirstByte(s logs.Source) *firstByte {
	return &firstByte{Source: s, first: map[logs.Target]time.Time{}}
}

func (f *firstByte) Open(ctx context.Context, t logs.Target, o logs.StreamOptions) (io.ReadCloser, error) {
	rc, err := f.Source.Open(ctx, t, o)
	if err != nil {
		return nil, err
	}
	f.opened.Add(1)
	f.mu.Lock()
	_, seen := f.first[t]
	f.mu.Unlock()
	if seen {
		return rc, nil
	}
	return &firstRead{ReadCloser: rc, f: f, t: t}, nil
}

type firstRead struct {
	io.ReadCloser
	f    *firstByte
	t    logs.Target
	done bool
}

func (r *firstRead) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if n > 0 && !r.done {
		r.done = true
		now := time.Now()
		r.f.mu.Lock()
		if _, ok := r.f.first[r.t]; !ok {
			r.f.first[r.t] = now
		}
		r.f.mu.Unlock()
	}
	return n, err
}

// allOpen is when the last of the targets received its first byte; ok is
// false while one has not.
func (f *firstByte) allOpen(ts []logs.Target) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var last time.Time
	for _, t := range ts {
		at, ok := f.first[t]
		if !ok {
			return time.Time{}, false
		}
		if at.After(last) {
			last = at
		}
	}
	return last, true
}

// checkSeqs reports lines lost, repeated or out of order: each pod's
// lines in the buffer must be exactly the sequence numbers from..to-1, in
// order. Notices are counted and returned.
func checkSeqs(eng *logs.Engine, from, to int) (notices []string, err error) {
	next := map[uint32]int{}
	var errs []error
	for _, l := range eng.Buffer().Visible() {
		if l.Notice {
			notices = append(notices, string(l.Text))
			continue
		}
		seq, ok := scaleSeq(l.Text)
		if !ok {
			errs = append(errs, fmt.Errorf("line without a sequence number: %q", l.Text))
			continue
		}
		want, started := next[l.Source]
		if !started {
			want = from
		}
		if seq != want {
			s, _ := eng.Source(l.Source)
			errs = append(errs, fmt.Errorf("%s: line %d where %d was due", s.Target.Pod, seq, want))
			if len(errs) > 10 {
				break
			}
		}
		next[l.Source] = seq + 1
	}
	for _, s := range eng.Sources() {
		if got, ok := next[s.ID]; !ok && to > from || ok && got != to {
			errs = append(errs, fmt.Errorf("%s: lines end before %d, want %d..%d", s.Target.Pod, got, from, to-1))
		}
	}
	return notices, errors.Join(errs...)
}

// scaleRun is one measurement.
type scaleRun struct {
	open   time.Duration // until every stream received its first byte
	all    time.Duration // until every line is in the buffer
	lines  int
	opens  int // streams opened (history, then follow)
	client time.Duration
}

// followAll starts an engine as the console does on every pod of fx,
// reading every line the files hold (tail all), and waits until all of
// them are in the buffer.
func followAll(tb testing.TB, ctx context.Context, fx *scaleFixture, src logs.Source) (scaleRun, *logs.Engine, func()) {
	tb.Helper()
	fx.keepAddress(tb, ctx)
	want := len(fx.pods) * fx.lines
	fb := newFirstByte(src)
	eng := logs.New(logs.Config{Source: fb, Limit: want + want/20})
	ctx, cancel := context.WithCancel(ctx)
	go func() { _ = eng.Run(ctx) }()
	ts := fx.targets()
	cpu0 := testcluster.ProcessCPU()
	start := time.Now()
	if err := eng.Follow(logs.Selection{Targets: ts}, logs.Options{Follow: true, Tail: -1}); err != nil {
		tb.Fatal(err)
	}
	var r scaleRun
	deadline := time.After(5 * time.Minute)
	for {
		if r.open == 0 {
			if at, ok := fb.allOpen(ts); ok {
				r.open = at.Sub(start)
			}
		}
		st := eng.Buffer().Stats()
		if r.open != 0 && int(st.Total) >= want {
			r.all = time.Since(start)
			break
		}
		select {
		case <-eng.Changed():
		case <-deadline:
			cancel()
			tb.Fatalf("after 5 min: %d of %d lines, streams %s", st.Total, want, states(eng))
		case <-ctx.Done():
			tb.Fatal(ctx.Err())
		}
	}
	r.client = testcluster.ProcessCPU() - cpu0
	r.lines = want
	r.opens = int(fb.opened.Load())
	return r, eng, cancel
}

func states(eng *logs.Engine) string {
	n := map[string]int{}
	for _, s := range eng.Sources() {
		n[s.State.String()+" "+s.Detail]++
	}
	return fmt.Sprint(n)
}

// serverProfile writes an 8 s CPU profile of the API server (started with
// TESTCLUSTER_PROFILING=1) to dir/kube-apiserver.cpu. kwok's pprof index
// serves no CPU profile: its share comes from /proc only.
func serverProfile(tb testing.TB, ctx context.Context, c *testcluster.Cluster, dir string) {
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		tb.Error(err)
		return
	}
	b, err := cs.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").Param("seconds", "8").Timeout(time.Minute).DoRaw(ctx)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "kube-apiserver.cpu"), b, 0o600)
	}
	if err != nil {
		tb.Logf("profile kube-apiserver (start the cluster with TESTCLUSTER_PROFILING=1): %v", err)
	}
}

// BenchmarkLogsAtScale follows 50 kwok pods whose logs hold 20,000 lines
// each (1,000,000 lines of 120–200 bytes) through the real API server into
// the engine's buffer, with the console's clients, and checks that no line
// is lost, repeated or out of order. One op is the whole run.
//
//	go test -run '^$' -bench BenchmarkLogsAtScale -benchtime 3x ./backend/logs/
//
// open-s is the time until every stream received its first byte, lines/s
// the lines in the buffer per second since the engine was told to follow,
// client-cpu-% this process's CPU (of one core), machine-busy-% the share
// of all cores busy meanwhile (the API server, etcd, kwok and its egress
// proxy run on the same machine), and <process>-cpu-% what each of those
// used (of one core). LOGSCALE_SERVER_PROFILES=DIR writes a CPU profile of
// the API server during the first run into DIR (with TESTCLUSTER_PROFILING=1).
func BenchmarkLogsAtScale(b *testing.B) {
	c := testcluster.Require(b)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	pods, perPod := 50, 20_000
	if testing.Short() {
		pods, perPod = 10, 2_000
	}
	fx := scaleFixtureOnce(b, ctx, c, pods, perPod)
	src := consoleLogSource(b, c)
	var open, all, client time.Duration
	var busyShare float64
	cluster := map[string]time.Duration{}
	profiles := os.Getenv("LOGSCALE_SERVER_PROFILES")
	b.ResetTimer()
	for b.Loop() {
		if profiles != "" {
			go serverProfile(b, ctx, c, profiles)
			profiles = ""
		}
		m0, c0 := testcluster.MachineTicks(), clusterCPU(c)
		r, eng, stop := followAll(b, ctx, fx, src)
		busyShare += m0.BusySince()
		for name, d := range clusterCPU(c) {
			cluster[name] += d - c0[name]
		}
		b.StopTimer()
		notices, err := checkSeqs(eng, 0, fx.lines)
		stop()
		if err != nil {
			b.Fatalf("lines lost or repeated:\n%v", err)
		}
		if len(notices) > 0 {
			b.Fatalf("notices: %q", notices)
		}
		b.StartTimer()
		open += r.open
		all += r.all
		client += r.client
		b.Logf("%d pods × %d lines: all streams open after %s, %d lines in %s (%.0f lines/s), %d opens, client CPU %s",
			pods, perPod, r.open.Round(time.Millisecond), r.lines, r.all.Round(time.Millisecond),
			float64(r.lines)/r.all.Seconds(), r.opens, r.client.Round(time.Millisecond))
	}
	n := float64(b.N)
	b.ReportMetric(open.Seconds()/n, "open-s")
	b.ReportMetric(float64(pods*perPod)*n/all.Seconds(), "lines/s")
	b.ReportMetric(100*client.Seconds()/all.Seconds(), "client-cpu-%")
	b.ReportMetric(busyShare/n, "machine-busy-%")
	for name, d := range cluster {
		b.ReportMetric(100*d.Seconds()/all.Seconds(), name+"-cpu-%")
	}
}

var scaleFixtures sync.Map // "pods×lines" → *scaleFixture, made once per test binary

func scaleFixtureOnce(tb testing.TB, ctx context.Context, c *testcluster.Cluster, pods, perPod int) *scaleFixture {
	key := fmt.Sprintf("%d×%d", pods, perPod)
	if fx, ok := scaleFixtures.Load(key); ok {
		return fx.(*scaleFixture)
	}
	// the benchmark function runs several times: keep the pods until the
	// binary ends (the cluster goes then)
	fx := newScaleFixture(noCleanup{tb}, ctx, c, pods, perPod)
	scaleFixtures.Store(key, fx)
	return fx
}

// noCleanup defers nothing: the fixture lives as long as the cluster.
type noCleanup struct{ testing.TB }

func (noCleanup) Cleanup(func()) {}

// consoleLogSource is the log source streamops builds for a context.
func consoleLogSource(tb testing.TB, c *testcluster.Cluster) logs.Source {
	return logs.KubeSource{Client: consoleClients(tb, c).Logs}
}

// clusterCPU is the CPU time used so far by each process of the test
// cluster (kube-apiserver, etcd, kwok, egressproxy), from /proc/PID/stat.
func clusterCPU(c *testcluster.Cluster) map[string]time.Duration {
	out := map[string]time.Duration{}
	pids, _ := filepath.Glob(filepath.Join(c.Dir, "pids", "*.pid"))
	for _, f := range pids {
		pid, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(pid)), "stat"))
		if err != nil {
			continue
		}
		// fields after the command's closing parenthesis; utime and stime
		// are the 14th and 15th of the line
		_, rest, ok := bytes.Cut(stat, []byte(") "))
		fields := strings.Fields(string(rest))
		if !ok || len(fields) < 13 {
			continue
		}
		ut, _ := strconv.ParseUint(fields[11], 10, 64)
		st, _ := strconv.ParseUint(fields[12], 10, 64)
		out[strings.TrimSuffix(filepath.Base(f), ".pid")] = time.Duration(ut+st) * time.Second / 100 // USER_HZ
	}
	return out
}

// TestLogsAtScaleSmall is the benchmark's run made small for CI: 10 kwok
// pods × 2,000 lines, selected as a component through the real watcher as
// the console does (kwok's container statuses carry no container ID, and
// no container may be skipped for it). Every stream opens, no line is lost
// or repeated; then every pod appends lines at once and one pod's log is
// rotated (a new file renamed over it, which kwok reopens), and the
// buffer still holds each line exactly once, in order.
func TestLogsAtScaleSmall(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const pods, perPod = 10, 2_000
	fx := newScaleFixture(t, ctx, c, pods, perPod)
	clients := consoleClients(t, c)

	w := watch.New(watch.Config{Clients: clients, Scope: kube.Scope{Namespaces: []string{fx.ns}}})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	eng := logs.New(logs.Config{Source: logs.KubeSource{Client: clients.Logs}, Coalesce: 5 * time.Millisecond})
	go func() { _ = eng.Run(ctx) }()
	key := fx.ns + "/pravega/SegmentStore"
	snaps := w.Subscribe(ctx)
	for s := range snaps {
		eng.Observe(s)
		if comp := s.Component(key); comp != nil && len(comp.Members) == pods && allRunning(comp.Members) {
			for _, m := range comp.Members {
				if m.Containers[0].ID != "" {
					t.Fatalf("%s has container ID %q: this test is about kwok's pods, which have none", m.Name, m.Containers[0].ID)
				}
			}
			break
		}
	}
	go func() {
		for s := range snaps {
			eng.Observe(s)
		}
	}()
	fx.keepAddress(t, ctx)
	if err := eng.Follow(logs.Selection{Components: []string{key}}, logs.Options{Follow: true, Tail: -1}); err != nil {
		t.Fatal(err)
	}
	await(t, ctx, eng, "every line of the history", func() bool { return eng.Buffer().Stats().Total >= pods*perPod })
	awaitStreaming(t, ctx, eng, pods)
	complete := func(to int) func() bool {
		return func() bool { _, err := checkSeqs(eng, 0, to); return err == nil }
	}
	await(t, ctx, eng, "the history in order", complete(perPod))

	// every pod logs 500 lines at once
	fx.append(t, 500)
	await(t, ctx, eng, "the appended lines", complete(fx.lines))

	// the first pod's log is rotated: kwok reopens the new file from its start
	rotated := fx.files[0] + ".new"
	saved := fx.files
	fx.files = []string{rotated}
	fx.append(t, 300) // the new file holds the next 300 lines
	fx.files, fx.lines = saved, fx.lines-300
	if err := os.Rename(rotated, fx.files[0]); err != nil {
		t.Fatal(err)
	}
	fx.files = saved[1:]
	fx.append(t, 300) // and the others log as many
	fx.files = saved
	await(t, ctx, eng, "the lines after the rotation", complete(fx.lines))
	time.Sleep(300 * time.Millisecond) // a repeated line would have arrived by now
	notices, err := checkSeqs(eng, 0, fx.lines)
	if err != nil {
		t.Fatalf("after the rotation: %v", err)
	}
	if len(notices) != 0 {
		t.Fatalf("notices %q", notices)
	}
	for _, s := range eng.Sources() {
		if s.State != logs.Streaming {
			t.Errorf("%s: %s %s", s.Target, s.State, s.Detail)
		}
	}
}

func allRunning(ms []*platform.Member) bool {
	for _, m := range ms {
		if len(m.Containers) == 0 || m.Containers[0].State != platform.StateRunning {
			return false
		}
	}
	return true
}
