package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/testcluster"
)

// sternVersion is the peer `streamops logs` is compared with.
const sternVersion = "v1.33.0"

const (
	logsNamespace = "logbench"
	logsSelector  = "component=pravega-segmentstore"
)

// logsOptions configure `streamops-bench logs`.
type logsOptions struct {
	pods, lines, repeat int
	binary              string
}

// logsRun is one tool reading every line once.
type logsRun struct {
	tool  string
	wall  time.Duration // process start to exit
	cpu   time.Duration // user + system of the process
	rss   int64         // peak, bytes
	lines int           // written to stdout
}

// logsCmd measures `streamops logs` beside stern on the same pods: a test
// cluster whose kwok serves each pod's log from a file (the Logs custom
// resource), both tools run to the end of every log (no follow), each a
// fresh process, interleaved, with their stdout read through a pipe.
func logsCmd(args []string) error {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	var o logsOptions
	fs.IntVar(&o.pods, "pods", 50, "pods, each with one container")
	fs.IntVar(&o.lines, "lines", 20000, "log lines per pod")
	fs.IntVar(&o.repeat, "repeat", 3, "runs per tool, interleaved; the table shows medians")
	fs.StringVar(&o.binary, "binary", "", "streamops executable (default: go build ./cmd/streamops)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	quietKlog()
	c, stopCluster, err := startCluster(ctx, runOptions{})
	if err != nil {
		return err
	}
	defer stopCluster()
	typed, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		return err
	}
	if err := logsSetup(ctx, c, typed, o); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "streamops-bench-logs")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	so := o.binary
	if so == "" {
		if so, err = buildStreamops(ctx, tmp); err != nil {
			return err
		}
	}
	stern, err := installTool(ctx, "stern", "github.com/stern/stern", sternVersion)
	if err != nil {
		return err
	}
	tools := []struct {
		name string
		argv []string
	}{
		{"streamops", []string{so, "--kubeconfig", c.Kubeconfig, "-n", logsNamespace, "logs", logsSelector, "--tail", "-1"}},
		{"stern", []string{stern, "--kubeconfig", c.Kubeconfig, "-n", logsNamespace, ".", "-l", logsSelector, "--no-follow", "--tail", "-1",
			"--max-log-requests", fmt.Sprint(o.pods), "--color", "never"}},
	}
	want := o.pods * o.lines
	runs := map[string][]logsRun{}
	for r := range o.repeat {
		for _, tl := range tools {
			res, err := runLogsTool(ctx, tl.name, tl.argv, filepath.Join(tmp, "home"))
			if err != nil {
				return err
			}
			logf("run %d %s: %d lines in %s, cpu %s, peak RSS %.0f MiB", r+1, tl.name, res.lines, res.wall.Round(time.Millisecond),
				res.cpu.Round(time.Millisecond), mib(uint64(res.rss)))
			if res.lines < want {
				logf("%s wrote %d of %d lines", tl.name, res.lines, want)
			}
			runs[tl.name] = append(runs[tl.name], res)
		}
	}
	fmt.Printf("%d pods × %d lines (%d lines) through the API server's pods/log, to the end, median of %d\n\n", o.pods, o.lines, want, o.repeat)
	fmt.Println("| figure | stern " + sternVersion + " | streamops | streamops ÷ stern |")
	fmt.Println("|---|---:|---:|---:|")
	med := func(tool string, f func(logsRun) float64) float64 {
		var v []float64
		for _, r := range runs[tool] {
			v = append(v, f(r))
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	for _, fig := range []struct {
		name string
		f    func(logsRun) float64
		unit string
	}{
		{"time to the last line", func(r logsRun) float64 { return r.wall.Seconds() }, "s"},
		{"CPU", func(r logsRun) float64 { return r.cpu.Seconds() }, "s"},
		{"peak RSS", func(r logsRun) float64 { return mib(uint64(r.rss)) }, " MiB"},
		{"lines written", func(r logsRun) float64 { return float64(r.lines) }, ""},
	} {
		s, so := med("stern", fig.f), med("streamops", fig.f)
		fmt.Printf("| %s | %.2f%s | %.2f%s | %.2f× |\n", fig.name, s, fig.unit, so, fig.unit, so/s)
	}
	return nil
}

// logsSetup makes the namespace and its pods, each on a kwok node whose
// kubelet serves a CRI-format file of lines as the container's log.
func logsSetup(ctx context.Context, c *testcluster.Cluster, typed kubernetes.Interface, o logsOptions) error {
	_, err := typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: logsNamespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("namespace: %w", err)
	}
	node, err := c.KubeletNode(ctx, typed)
	if err != nil {
		return err
	}
	begin := time.Now()
	base := time.Now().Add(-time.Hour)
	for i := range o.pods {
		pod := fmt.Sprintf("logbench-%02d", i)
		path := filepath.Join(c.Dir, pod+".log")
		if err := writeCRILog(path, pod, base, o.lines); err != nil {
			return err
		}
		_, err := typed.CoreV1().Pods(logsNamespace).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: logsNamespace, Labels: map[string]string{
				// segment stores, as the Pravega operator labels them: the
				// console follows the platform's members
				"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore"}},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "busybox"}}},
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("pod %s: %w", pod, err)
		}
		cr := fmt.Sprintf("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Logs\nmetadata: {name: %s, namespace: %s}\nspec:\n  logs: [{containers: [app], logsFile: %s, follow: false}]\n",
			pod, logsNamespace, path)
		if err := c.Apply(ctx, cr); err != nil {
			return fmt.Errorf("kwok Logs for %s: %w", pod, err)
		}
	}
	for {
		list, err := typed.CoreV1().Pods(logsNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		running := 0
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		if running >= o.pods {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pods: %d of %d running: %w", running, o.pods, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	// kwok's statuses carry no container ID, and stern tails only
	// containers that have one (a real kubelet always sets it)
	for i := range o.pods {
		patch := fmt.Sprintf(`[{"op":"add","path":"/status/containerStatuses/0/containerID","value":"containerd://%064x"}]`, i+1)
		if _, err := typed.CoreV1().Pods(logsNamespace).Patch(ctx, fmt.Sprintf("logbench-%02d", i), types.JSONPatchType, []byte(patch),
			metav1.PatchOptions{}, "status"); err != nil {
			return fmt.Errorf("container ID: %w", err)
		}
	}
	logf("%d pods with %d log lines each in %s", o.pods, o.lines, time.Since(begin).Round(100*time.Millisecond))
	return nil
}

// writeCRILog writes n lines in the kubelet's CRI log format, a
// segment-store-like line each, a millisecond apart.
func writeCRILog(path, pod string, base time.Time, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		ts := base.Add(time.Duration(i) * time.Millisecond).UTC()
		fmt.Fprintf(w, "%s stdout F %s INFO [core-%d] i.p.s.server.logs.DurableLog - %s: Truncated log at sequence %d (frame %d).\n",
			ts.Format(time.RFC3339Nano), ts.Format("2006-01-02 15:04:05,000"), i%16, pod, i, i%128)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runLogsTool runs one tool to its end and counts the lines it writes.
func runLogsTool(ctx context.Context, name string, argv []string, home string) (logsRun, error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return logsRun{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return logsRun{}, err
	}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return logsRun{}, fmt.Errorf("%s: %w", name, err)
	}
	lines := 0
	br := bufio.NewReaderSize(out, 1<<20)
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			lines++
		}
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return logsRun{}, fmt.Errorf("%s: reading its output: %w", name, err)
		}
	}
	if err := cmd.Wait(); err != nil {
		return logsRun{}, fmt.Errorf("%s: %w: %s", name, err, firstLines(stderr.String(), 3))
	}
	if e := strings.TrimSpace(stderr.String()); e != "" {
		logf("%s stderr: %s", name, firstLines(e, 5))
	}
	res := logsRun{tool: name, wall: time.Since(begin), lines: lines,
		cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.rss = ru.Maxrss * 1024
	}
	return res, nil
}

func firstLines(s string, n int) string {
	ls := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	return strings.Join(ls[:min(n, len(ls))], " / ")
}
