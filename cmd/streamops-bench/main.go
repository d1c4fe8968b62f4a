// Command streamops-bench measures the console that ships, cmd/streamops,
// at scale against a real kube-apiserver with kwok pods, beside k9s: it
// runs each tool as a fresh process on a pseudo-terminal read by a virtual
// terminal, and takes the time from process start to the first complete
// frame on that screen, RSS, idle CPU, idle terminal output and idle API
// requests (see README.md).
//
//	streamops-bench run -pods 1000,5000,15000 [-peer k9s] [-repeat 3] [-keep]
//
// run starts a test cluster (backend/testcluster), creates the pods, and
// for each size starts the tools in turn (streamops, k9s, streamops, ...).
// measure is the older in-process timeline of the console's start, kept for
// -trace: it shows when the watcher published what, which the real binary
// does not tell.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kwatch "k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/klog/v2"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/testcluster"
)

const (
	namespace   = "bench"
	podsPerNode = 250
	blockSize   = 1000 // pods per platform block, see role
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runCmd(os.Args[2:])
	case "measure":
		err = measureCmd(os.Args[2:])
	case "table":
		err = tableCmd(os.Args[2:])
	case "logs":
		err = logsCmd(os.Args[2:])
	case "floor":
		err = floorCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "streamops-bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: streamops-bench run [-pods 1000,5000,15000] [-namespaces 1] [-peer k9s] [-floor] [-repeat 3] [-binary STREAMOPS] [-size 160x48]
           [-settle 10s] [-idle 30s] [-frame-limit 5m] [-workers 20] [-kubeconfig K] [-results FILE] [-trace] [-screens DIR] [-keep]
       streamops-bench table [-peer k9s] RESULTS.jsonl   (the tables again, from run -results)
       streamops-bench logs [-pods 50] [-lines 20000] [-repeat 3] [-binary STREAMOPS]   (streamops logs beside stern `+sternVersion+`)
       streamops-bench floor   (a bare bubbletea program at the console's frame rate, which run -floor measures)
       streamops-bench measure -kubeconfig K [-namespace bench] -pods N [-raw] [-trace] [-profile DIR]   (in-process timeline)`)
	os.Exit(2)
}

type runOptions struct {
	sizes           []int
	workers, repeat int
	binary, peer    string
	cols, rows      int
	settle, idle    time.Duration
	kubeconfig      string // an existing cluster instead of a new one
	screens         string
	results         string
	frameLimit      time.Duration
	keep, trace     bool
	floor           bool
	layout          layout
}

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	pods := fs.String("pods", "1000,5000,15000", "pod counts to measure, ascending; pods are added between sizes")
	size := fs.String("size", "160x48", "terminal size, COLSxROWS")
	var o runOptions
	namespaces := fs.Int("namespaces", 1, "spread the pods over this many namespaces (bench-000…), one small platform block each, and run the tools with -A (1: every pod in \"bench\", blocks of 1000)")
	fs.IntVar(&o.workers, "workers", 20, "parallel pod creators")
	fs.IntVar(&o.repeat, "repeat", 3, "runs per size and tool, each a fresh process; the table shows medians")
	fs.StringVar(&o.binary, "binary", "", "streamops executable to measure (default: go build ./cmd/streamops into a temporary directory)")
	fs.StringVar(&o.peer, "peer", "", "also measure this tool, interleaved with streamops: k9s ("+k9sVersion+", installed once from the module proxy)")
	fs.BoolVar(&o.floor, "floor", false, "also measure a bare bubbletea v2 program at the console's frame rate in the same rounds: the renderer's idle floor")
	fs.DurationVar(&o.settle, "settle", 10*time.Second, "wait after the first frame before reading RSS")
	fs.DurationVar(&o.idle, "idle", 30*time.Second, "idle window for CPU, terminal output and API requests")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "use this cluster (admin context) instead of starting a test cluster; the bench namespace and pods are created if missing")
	fs.DurationVar(&o.frameLimit, "frame-limit", 5*time.Minute, "give up on a tool that shows no complete frame this long")
	fs.StringVar(&o.results, "results", "", "append every run's figures to this file as JSON lines (streamops-bench table prints the tables from it)")
	fs.StringVar(&o.screens, "screens", "", "write every distinct screen up to the first complete frame into this directory")
	fs.BoolVar(&o.trace, "trace", false, "print each distinct screen's gist up to the first complete frame, with its time since process start")
	fs.BoolVar(&o.keep, "keep", false, "keep the cluster and its pods until interrupted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.sizes, err = parseSizes(*pods); err != nil || len(o.sizes) == 0 {
		return fmt.Errorf("-pods %q: want ascending counts such as 1000,5000", *pods)
	}
	if o.layout, err = spreadLayout(*namespaces, o.sizes[len(o.sizes)-1]); err != nil {
		return err
	}
	if o.cols, o.rows, err = parseTermSize(*size); err != nil {
		return err
	}
	if o.repeat < 1 {
		return fmt.Errorf("-repeat %d: want at least 1", o.repeat)
	}
	if o.peer != "" && o.peer != "k9s" {
		return fmt.Errorf("-peer %q: only k9s is known", o.peer)
	}
	if o.frameLimit <= 0 {
		return fmt.Errorf("-frame-limit %s: want a positive duration", o.frameLimit)
	}
	if o.settle < 0 || o.idle <= 0 {
		return fmt.Errorf("-settle %s -idle %s: want a settle of at least 0 and an idle window above 0", o.settle, o.idle)
	}
	if o.binary != "" {
		if _, err := exec.LookPath(o.binary); err != nil {
			return fmt.Errorf("-binary %s: %w", o.binary, err)
		}
	}
	// The custom resources' definitions and samples are read from the
	// repository, whichever cluster is used.
	if _, err := testcluster.RepoRoot(); err != nil {
		return fmt.Errorf("run from the repository: %w", err)
	}
	if o.kubeconfig == "" {
		if reason, ok := testcluster.Available(); !ok {
			return fmt.Errorf("test cluster not available: %s", reason)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, o)
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 || (len(out) > 0 && n <= out[len(out)-1]) {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseTermSize reads COLSxROWS.
func parseTermSize(s string) (cols, rows int, err error) {
	c, r, ok := strings.Cut(strings.ToLower(s), "x")
	cols, err1 := strconv.Atoi(c)
	rows, err2 := strconv.Atoi(r)
	if !ok || err1 != nil || err2 != nil || cols < 20 || rows < 10 || cols > 1000 || rows > 500 {
		return 0, 0, fmt.Errorf("-size %q: want COLSxROWS such as 160x48 (at least 20x10)", s)
	}
	return cols, rows, nil
}

// startCluster starts a test cluster, or connects to o.kubeconfig's.
func startCluster(ctx context.Context, o runOptions) (*testcluster.Cluster, func(), error) {
	if o.kubeconfig != "" {
		cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			&clientcmd.ClientConfigLoadingRules{ExplicitPath: o.kubeconfig}, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			return nil, nil, fmt.Errorf("-kubeconfig %s: %w", o.kubeconfig, err)
		}
		return &testcluster.Cluster{Kubeconfig: o.kubeconfig, RESTConfig: cfg, Env: map[string]string{}}, func() {}, nil
	}
	// The pods are bound to nodes up front and their owners are made up:
	// neither the scheduler nor the controller manager (whose garbage
	// collector would delete the pods) may run, and both would only add
	// load to the two cores the measurement shares.
	os.Setenv("TESTCLUSTER_KCM", "0")
	os.Setenv("TESTCLUSTER_SCHEDULER", "0")
	begin := time.Now()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	c, err := testcluster.Start(startCtx)
	cancel()
	if err != nil {
		return nil, nil, err
	}
	logf("test cluster up in %s: %s", time.Since(begin).Round(100*time.Millisecond), c.Dir)
	return c, func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}, nil
}

func run(ctx context.Context, o runOptions) error {
	quietKlog()
	logf("load before: %s", loadavg())
	work, err := os.MkdirTemp("", "streamops-bench")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	defer os.RemoveAll(work)
	if o.binary == "" {
		if o.binary, err = buildStreamops(ctx, work); err != nil {
			return err
		}
	}
	tools := []tool{streamopsTool(o.binary, o.layout)}
	if o.peer == "k9s" {
		exe, err := k9sBinary(ctx)
		if err != nil {
			return err
		}
		tools = append(tools, k9sTool(exe, o.layout))
	}
	if o.floor {
		t, err := floorTool()
		if err != nil {
			return err
		}
		tools = append(tools, t)
	}
	env := measureEnv{cols: o.cols, rows: o.rows, settle: o.settle, idle: o.idle, frameLimit: o.frameLimit,
		namespaces: o.layout.namespaces, homes: map[string]string{}, stderrDir: filepath.Join(work, "stderr"), trace: o.trace, screensDir: o.screens}
	if err := os.MkdirAll(env.stderrDir, 0o755); err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	if o.screens != "" {
		if err := os.MkdirAll(o.screens, 0o755); err != nil {
			return fmt.Errorf("-screens: %w", err)
		}
	}
	for _, t := range tools {
		home := filepath.Join(work, "home-"+t.name)
		if err := os.MkdirAll(home, 0o700); err != nil {
			return fmt.Errorf("home for %s: %w", t.name, err)
		}
		if t.setup != nil {
			if err := t.setup(home); err != nil {
				return err
			}
		}
		env.homes[t.name] = home
	}

	c, stopCluster, err := startCluster(ctx, o)
	if err != nil {
		return err
	}
	defer stopCluster()
	env.kubeconfig = c.Kubeconfig
	cfg := *c.RESTConfig
	cfg.QPS, cfg.Burst = 2000, 4000
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	typed, err := kubernetes.NewForConfig(&cfg)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	env.typed = typed
	// JSON, as custom resources are served, at the pods' rate: 2,000 CRs
	// at -namespaces 500 take 400 s at client-go's default 5 a second.
	dynCfg := *c.RESTConfig
	dynCfg.QPS, dynCfg.Burst = cfg.QPS, cfg.Burst
	dyn, err := dynamic.NewForConfig(&dynCfg)
	if err != nil {
		return fmt.Errorf("create dynamic client: %w", err)
	}
	if err := setup(ctx, c, typed, o.layout, o.sizes[len(o.sizes)-1]); err != nil {
		return err
	}

	var results []toolResult
	var record io.Writer = io.Discard
	if o.results != "" {
		f, err := os.OpenFile(o.results, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("-results: %w", err)
		}
		defer f.Close()
		record = f
	}
	// Whatever was measured is printed, also when a later size fails.
	defer func() {
		if len(results) > 0 {
			printComparison(os.Stdout, results, o.peer)
		}
	}()
	created := 0
	for si, n := range o.sizes {
		t0 := time.Now()
		if err := applyCRs(ctx, dyn, o.layout, n); err != nil {
			return err
		}
		if err := createPods(ctx, typed, o.layout, created, n, o.workers); err != nil {
			return err
		}
		t1 := time.Now()
		if err := waitPodsReady(ctx, typed, o.layout, n); err != nil {
			return err
		}
		logf("%d pods: %d created in %s, all Ready after %s", n, n-created, t1.Sub(t0).Round(100*time.Millisecond), time.Since(t0).Round(100*time.Millisecond))
		if err := waitQuiet(ctx); err != nil {
			return err
		}
		created = n
		if si == 0 {
			// One untimed start of each tool: the first start of a fresh
			// binary reads it from disk, and writes its configuration.
			for _, t := range tools {
				r, err := measureTool(ctx, t, env, n, 0)
				if err != nil {
					return fmt.Errorf("warm-up: %w", err)
				}
				logf("warm-up %s at %d pods: frame after %.3f s", t.name, n, r.FirstFrame.Seconds())
			}
		}
		env.measureIdle = true
		for run := 1; run <= o.repeat; run++ {
			for _, t := range tools {
				logf("measuring %s at %d pods, run %d/%d (load %s)", t.name, n, run, o.repeat, loadavg())
				r, err := measureTool(ctx, t, env, n, run)
				if err != nil {
					return err
				}
				logf("  %s", r.line())
				results = append(results, r)
				if err := json.NewEncoder(record).Encode(r); err != nil {
					return fmt.Errorf("-results: %w", err)
				}
			}
		}
	}
	logf("load after: %s", loadavg())
	if o.keep {
		printComparison(os.Stdout, results, o.peer)
		results = nil
		logf("cluster kept until interrupted: %s", c.Kubeconfig)
		<-ctx.Done()
	}
	return nil
}

// quietBusy is how busy (all cores, every process) the machine may be for
// the cluster to count as settled: 3–5 % with 15,000 pods and nothing
// else running.
const quietBusy = 12.0

// waitQuiet waits, after pods were added, until the machine has been
// below quietBusy for 3 s (at most 2 minutes): the API server, etcd and
// kwok go on working for a while after the last pod is Ready, and the
// first tool measured would otherwise start, and idle, on a busier
// machine than the others (at stop 36, 5,000 pods: streamops' first run
// 3.3 s to the frame against 0.8 s for the second, the machine 100 % busy).
func waitQuiet(ctx context.Context) error {
	begin := time.Now()
	for {
		t := testcluster.MachineTicks()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(3 * time.Second):
		}
		busy := t.BusySince()
		if busy < quietBusy || time.Since(begin) > 2*time.Minute {
			logf("machine %.0f %% busy over 3 s, %s after the pods were Ready", busy, time.Since(begin).Round(100*time.Millisecond))
			return nil
		}
	}
}

// tableCmd prints the tables again from the JSON lines of run -results.
func tableCmd(args []string) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	peer := fs.String("peer", "k9s", "the peer's column (empty: streamops only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("table needs one results file (run -results)")
	}
	results, err := readResults(fs.Arg(0))
	if err != nil {
		return err
	}
	printComparison(os.Stdout, results, *peer)
	return nil
}

func readResults(path string) ([]toolResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	var out []toolResult
	dec := json.NewDecoder(f)
	for {
		var r toolResult
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("results %s: record %d: %w", path, len(out)+1, err)
		}
		if r.Tool == "" || r.Pods <= 0 {
			return nil, fmt.Errorf("results %s: record %d has no tool or pod count", path, len(out)+1)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("results %s: no runs", path)
	}
	return out, nil
}

func (r toolResult) line() string {
	kinds := make([]string, 0, len(r.IdleByKind))
	for k, n := range r.IdleByKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%s %d pods: frame %.3f s, RSS %.1f MiB (anon %.1f), idle CPU %.2f %%, idle %d bytes to the terminal, %d API requests [%s], machine busy %.0f %% during start, %.0f %% when idle",
		r.Tool, r.Pods, r.FirstFrame.Seconds(), mib(r.RSS), mib(r.RSSAnon), r.IdleCPU, r.IdleBytes, r.IdleRequests, strings.Join(kinds, ", "), r.BusyStart, r.BusyIdle)
}

// setup creates the namespaces, the CRDs and kwok nodes for max pods.
func setup(ctx context.Context, c *testcluster.Cluster, typed kubernetes.Interface, l layout, maxPods int) error {
	for _, name := range l.allNamespaces() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := typed.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", name, err)
		}
	}
	crds := []string{"zookeeper.pravega.io_zookeeperclusters.yaml", "bookkeeper.pravega.io_bookkeeperclusters.yaml",
		"pravega.pravega.io_pravegaclusters.yaml", "flinkdeployments.flink.apache.org-v1.yml"}
	for i, f := range crds {
		crds[i] = testcluster.Testdata(f)
	}
	if err := testcluster.InstallCRDs(ctx, c, crds...); err != nil {
		return err
	}
	nodes := (maxPods + podsPerNode - 1) / podsPerNode
	for i := range nodes {
		if _, err := typed.CoreV1().Nodes().Create(ctx, benchNode(i), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", nodeName(i), err)
		}
	}
	if err := waitNodesReady(ctx, typed, nodes); err != nil {
		return err
	}
	logf("%d kwok nodes Ready", nodes)
	return nil
}

func nodeName(i int) string { return fmt.Sprintf("bench-%d", i) }

// benchNode is a kwok node for 250 pods that nothing else lands on.
func benchNode(i int) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: *resource.NewQuantity(podsPerNode, resource.DecimalSI),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: nodeName(i), Labels: map[string]string{"bench": namespace, "type": "kwok"},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}},
		Spec:   corev1.NodeSpec{Taints: []corev1.Taint{{Key: "bench", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}

// waitNodesReady watches the bench nodes until n of them are Ready.
func waitNodesReady(ctx context.Context, typed kubernetes.Interface, n int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	lw := cache.NewFilteredListWatchFromClient(typed.CoreV1().RESTClient(), "nodes", "", func(o *metav1.ListOptions) { o.LabelSelector = "bench=" + namespace })
	if ready, err := waitReady(ctx, lw, &corev1.Node{}, n, nodeReady); err != nil {
		return fmt.Errorf("wait for %d kwok nodes to be Ready (%d are): %w", n, ready, err)
	}
	return nil
}

// waitReady watches what lw lists until n of those objects are ready, and
// returns how many are. It keeps the set of ready names, whose size is the
// count: recounting every object on each of 15,000 pods' events is
// quadratic.
func waitReady[T interface {
	runtime.Object
	GetName() string
}](ctx context.Context, lw cache.ListerWatcher, objType T, n int, isReady func(T) bool) (int, error) {
	ready := map[string]struct{}{}
	_, err := watchtools.UntilWithSync(ctx, lw, objType, nil, func(ev kwatch.Event) (bool, error) {
		if o, ok := ev.Object.(T); ok {
			if ev.Type != kwatch.Deleted && isReady(o) {
				ready[o.GetName()] = struct{}{}
			} else {
				delete(ready, o.GetName())
			}
		}
		return len(ready) >= n, nil
	})
	return len(ready), err
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitPodsReady watches the layout's namespaces until n pods are Running
// and Ready: one watch, of all namespaces when the pods are spread, that
// counts only the bench namespaces' pods.
func waitPodsReady(ctx context.Context, typed kubernetes.Interface, l layout, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	watched := namespace
	if l.spread() {
		watched = metav1.NamespaceAll
	}
	lw := cache.NewListWatchFromClient(typed.CoreV1().RESTClient(), "pods", watched, fields.Everything())
	benchReady := func(p *corev1.Pod) bool { return l.nsIndex(p.Namespace) >= 0 && podReady(p) }
	if ready, err := waitReady(ctx, lw, &corev1.Pod{}, n, benchReady); err != nil {
		return fmt.Errorf("wait for %d pods to be Ready (%d are): %w", n, ready, err)
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// createPods creates pods [from, to) with parallel workers.
func createPods(ctx context.Context, typed kubernetes.Interface, l layout, from, to, workers int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				p := benchPod(l, i)
				if _, err := typed.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{FieldManager: "streamops-bench"}); err != nil && !apierrors.IsAlreadyExists(err) {
					cancel(fmt.Errorf("create pod %s: %w", p.Name, err))
				}
			}
		})
	}
feed:
	for i := from; i < to; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// applyCRs server-side applies the custom resources of the blocks that n
// pods fill, with replicas matching the pods.
func applyCRs(ctx context.Context, dyn dynamic.Interface, l layout, n int) error {
	type key struct{ namespace, cluster, kind string }
	counts := map[key]int64{}
	var order []key
	for i := range n {
		r := l.role(i)
		k := key{l.namespaceOf(i), r.cluster, r.kind}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	objs := map[string]*unstructured.Unstructured{}
	var names []string
	obj := func(res operator.Resource, ns, name string) map[string]any {
		id := res.Kind + "/" + ns + "/" + name
		if u := objs[id]; u != nil {
			return u.Object["spec"].(map[string]any)
		}
		spec := map[string]any{}
		objs[id] = &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": res.GVR.GroupVersion().String(), "kind": res.Kind,
			"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec,
		}}
		names = append(names, id)
		return spec
	}
	for _, k := range order {
		c := counts[k]
		switch k.kind {
		case "zk":
			obj(operator.ZookeeperClusters, k.namespace, k.cluster)["replicas"] = c
		case "bk":
			obj(operator.BookkeeperClusters, k.namespace, k.cluster)["replicas"] = c
		case "ss", "ct":
			spec := obj(operator.PravegaClusters, k.namespace, k.cluster)
			pr, _ := spec["pravega"].(map[string]any)
			if pr == nil {
				pr = map[string]any{"segmentStoreReplicas": int64(0), "controllerReplicas": int64(0)}
				spec["pravega"] = pr
			}
			pr[map[string]string{"ss": "segmentStoreReplicas", "ct": "controllerReplicas"}[k.kind]] = c
		case "jm", "tm":
			spec := obj(operator.FlinkDeployments, k.namespace, k.cluster)
			if k.kind == "jm" {
				spec["jobManager"] = map[string]any{"replicas": c}
				spec["taskManager"] = map[string]any{"replicas": int64(0)}
			} else {
				spec["taskManager"] = map[string]any{"replicas": c}
			}
		}
	}
	resources := map[string]operator.Resource{}
	for _, r := range []operator.Resource{operator.ZookeeperClusters, operator.BookkeeperClusters, operator.PravegaClusters, operator.FlinkDeployments} {
		resources[r.Kind] = r
	}
	for _, id := range names {
		u := objs[id]
		res := resources[u.GetKind()]
		if _, err := dyn.Resource(res.GVR).Namespace(u.GetNamespace()).Apply(ctx, u.GetName(), u,
			metav1.ApplyOptions{FieldManager: "streamops-bench", Force: true}); err != nil {
			return fmt.Errorf("apply %s: %w", id, err)
		}
	}
	return nil
}

// benchPod is pod i, with what the operators put into their pods: two
// containers with environment, resources, probes and mounts, the labels
// and annotations of contracts/LABELS.md, and an owner. kwok fills the
// status; the server adds managedFields.
func benchPod(l layout, i int) *corev1.Pod {
	r := l.role(i)
	hash := fmt.Sprintf("%08x", uint32(r.block*2654435761+int(r.kind[0])*40503))[:8]
	var (
		name, container, image, owner, ownerKind string
		labels                                   map[string]string
		annotations                              = map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "9404"}
		ports                                    []corev1.ContainerPort
	)
	switch r.kind {
	case "zk":
		name, owner, ownerKind = fmt.Sprintf("%s-%d", r.cluster, r.index), r.cluster, "StatefulSet"
		container, image = "zookeeper", "pravega/zookeeper:0.2.15"
		labels = map[string]string{"app": r.cluster, "release": r.cluster, "kind": "ZookeeperMember"}
		ports = []corev1.ContainerPort{{Name: "client", ContainerPort: 2181}, {Name: "quorum", ContainerPort: 2888}, {Name: "leader-election", ContainerPort: 3888}, {Name: "metrics", ContainerPort: 7000}, {Name: "admin-server", ContainerPort: 8080}}
	case "bk":
		owner, ownerKind = r.cluster+"-bookie", "StatefulSet"
		name, container, image = fmt.Sprintf("%s-%d", owner, r.index), "bookie", "pravega/bookkeeper:0.9.0"
		labels = map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": r.cluster, "component": "bookie"}
		annotations["bookkeeper.version"] = "0.9.0"
		ports = []corev1.ContainerPort{{Name: "bookie", ContainerPort: 3181}}
	case "ss":
		owner, ownerKind = r.cluster+"-pravega-segment-store", "StatefulSet"
		name, container, image = fmt.Sprintf("%s-%d", owner, r.index), "pravega-segmentstore", "pravega/pravega:0.10.0"
		labels = map[string]string{"app": "pravega-cluster", "pravega_cluster": r.cluster, "component": "pravega-segmentstore"}
		annotations["pravega.version"] = "0.10.0"
		ports = []corev1.ContainerPort{{Name: "server", ContainerPort: 12345}}
	case "ct":
		owner, ownerKind = r.cluster+"-pravega-controller-"+hash, "ReplicaSet"
		name, container, image = fmt.Sprintf("%s-%05x", owner, r.index*7919%0xfffff), "pravega-controller", "pravega/pravega:0.10.0"
		labels = map[string]string{"app": "pravega-cluster", "pravega_cluster": r.cluster, "component": "pravega-controller", "pod-template-hash": hash}
		annotations["pravega.version"] = "0.10.0"
		ports = []corev1.ContainerPort{{Name: "rest", ContainerPort: 10080}, {Name: "grpc", ContainerPort: 9090}}
	case "jm":
		owner, ownerKind = r.cluster+"-"+hash, "ReplicaSet"
		name, container, image = owner+"-q4w8z", "flink-main-container", "flink:2.2"
		labels = map[string]string{"type": "flink-native-kubernetes", "app": r.cluster, "component": "jobmanager", "pod-template-hash": hash}
		ports = []corev1.ContainerPort{{Name: "rest", ContainerPort: 8081}, {Name: "jobmanager-rpc", ContainerPort: 6123}, {Name: "blobserver", ContainerPort: 6124}}
	case "tm":
		owner, ownerKind = r.cluster, "Deployment"
		name, container, image = fmt.Sprintf("%s-taskmanager-1-%d", r.cluster, r.index+1), "flink-main-container", "flink:2.2"
		labels = map[string]string{"type": "flink-native-kubernetes", "app": r.cluster, "component": "taskmanager"}
		ports = []corev1.ContainerPort{{Name: "taskmanager-rpc", ContainerPort: 6122}}
	}
	if ownerKind == "StatefulSet" {
		labels["statefulset.kubernetes.io/pod-name"] = name
		labels["controller-revision-hash"] = owner + "-" + hash
	}
	annotations["kubectl.kubernetes.io/default-container"] = container
	annotations["checksum/config"] = fmt.Sprintf("%016x%016x", uint64(r.block)*0x9e3779b97f4a7c15, uint64(len(owner)+int(r.kind[0]))*0xbf58476d1ce4e5b9)
	qty := resource.MustParse
	env := []corev1.EnvVar{
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
		{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		{Name: "JAVA_OPTS", Value: "-Xms2g -Xmx2g -XX:MaxDirectMemorySize=4g -XX:+UseG1GC -XX:MaxGCPauseMillis=100 -XX:+ExitOnOutOfMemoryError -Dlog.level=INFO"},
		{Name: "ZK_URL", Value: "zk" + strconv.Itoa(r.block) + "-client:2181"},
		{Name: "CLUSTER_NAME", Value: r.cluster},
		{Name: "LOG_LEVEL", Value: "INFO"},
		{Name: "METRICS_ENABLED", Value: "true"},
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: l.namespaceOf(i), Labels: labels, Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: ownerKind, Name: owner,
				UID: types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012x", uint64(r.block)<<16|uint64(r.kind[0]))), Controller: new(true), BlockOwnerDeletion: new(true)}},
		},
		Spec: corev1.PodSpec{
			NodeName:    nodeName(i / podsPerNode),
			Tolerations: []corev1.Toleration{{Key: "bench", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			Containers: []corev1.Container{
				{
					Name: container, Image: image, Ports: ports, Env: env,
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: qty("500m"), corev1.ResourceMemory: qty("2Gi")},
						Limits:   corev1.ResourceList{corev1.ResourceCPU: qty("2"), corev1.ResourceMemory: qty("4Gi")},
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/etc/config"}, {Name: "data", MountPath: "/data"}, {Name: "logs", MountPath: "/var/log/app"}},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "/usr/local/bin/health.sh ready"}}},
						InitialDelaySeconds: 10, PeriodSeconds: 10, FailureThreshold: 3},
					LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "/usr/local/bin/health.sh live"}}},
						InitialDelaySeconds: 60, PeriodSeconds: 15, FailureThreshold: 5},
				},
				{
					Name: "jmx-exporter", Image: "bitnami/jmx-exporter:1.0.1",
					Args:  []string{"9404", "/etc/config/jmx.yaml"},
					Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9404}},
					Env:   env[:2],
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceCPU: qty("50m"), corev1.ResourceMemory: qty("64Mi")},
						Limits:   corev1.ResourceList{corev1.ResourceCPU: qty("200m"), corev1.ResourceMemory: qty("256Mi")},
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/etc/config", ReadOnly: true}},
				},
			},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: r.cluster + "-configmap"}}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "logs", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	}
}

// loadavg is the 1-, 5- and 15-minute load average of the machine.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// quietKlog keeps client-go's klog lines off the terminal.
func quietKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
}

type spread struct{ median, min, max float64 }

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
