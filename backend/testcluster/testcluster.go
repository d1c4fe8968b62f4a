// Package testcluster runs integration tests against a real kube-apiserver
// (etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok on
// 127.0.0.1), started by the scripts in .ci/testcluster.
//
// A test package wires it up in TestMain:
//
//	func TestMain(m *testing.M) { testcluster.Main(m, nil) }
//
// and each integration test asks for the cluster:
//
//	c := testcluster.Require(t) // skips when the binaries are not built
//
// The cluster is started by the first Require of the package's test binary
// (so unit tests filtered with -run never pay for it), shared by all its
// tests, and stopped when the binary ends, even when a test panics or the
// binary is killed by go test's timeout.
package testcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Binaries that .ci/testcluster/build.sh installs and the tests need.
var binaries = []string{"etcd", "kube-apiserver", "kwok", "kubectl"}

// Tools start.sh needs on PATH.
var tools = []string{"bash", "openssl", "curl", "ss"}

// Cluster is a running test cluster.
type Cluster struct {
	Dir        string            // state directory: certs, logs/, env, kubeconfig
	Kubeconfig string            // path of the kubeconfig (contexts admin, admin-token, limited)
	RESTConfig *rest.Config      // the admin context
	Env        map[string]string // TESTCLUSTER_* values from $Dir/env

	root     string
	watchdog io.WriteCloser // closing it without "stopped" makes the watchdog stop the cluster
	stopOnce sync.Once

	apiMu     sync.Mutex    // StopAPIServer, StartAPIServer
	apiExited chan struct{} // closed when an apiserver StartAPIServer started has exited
}

// Current is the package's cluster once a test has required it; nil before
// and when integration tests are skipped.
var Current *Cluster

var (
	mu        sync.Mutex
	mainSetup func(*Cluster)
	inMain    bool
	startErr  error
	skipWhy   string
)

// Main is TestMain for a package with integration tests: it runs the tests
// and stops the cluster afterwards if one was started. When the test
// cluster is not available the integration tests skip, except in CI
// (CI=true), where that fails the package. setup, if not nil, runs once
// right after the cluster has started (e.g. to install CRDs).
func Main(m *testing.M, setup func(*Cluster)) {
	os.Exit(run(m, setup))
}

func run(m *testing.M, setup func(*Cluster)) int {
	reason, ok := Available()
	mu.Lock()
	inMain, mainSetup = true, setup
	if !ok {
		skipWhy = reason
	}
	mu.Unlock()
	if !ok {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "integration tests cannot run in CI: %s\n", reason)
			return 1
		}
		fmt.Printf("skipping integration tests: %s\n", reason)
	}
	code := m.Run()
	mu.Lock()
	c := Current
	mu.Unlock()
	if c != nil {
		if code != 0 && os.Getenv("TESTCLUSTER_KEEP") != "1" {
			fmt.Fprintf(os.Stderr, "testcluster: tests failed; rerun with TESTCLUSTER_KEEP=1 to keep the logs\n")
		}
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// Require returns the package's test cluster, starting it on first use. It
// skips the test when the cluster is not available and fails it when the
// cluster could not be started.
func Require(t testing.TB) *Cluster {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		t.Fatal("testcluster.Require needs TestMain to call testcluster.Main")
	}
	if skipWhy != "" {
		t.Skipf("skipping integration test: %s", skipWhy)
	}
	if startErr != nil {
		t.Fatalf("test cluster did not start earlier: %v", startErr)
	}
	if Current != nil {
		return Current
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	c, err := Start(ctx)
	if err != nil {
		startErr = err
		t.Fatal(err)
	}
	t.Logf("test cluster started in %s: %s", time.Since(begin).Round(100*time.Millisecond), c.Dir)
	Current = c
	if mainSetup != nil {
		mainSetup(c)
	}
	return c
}

// Available reports whether the test cluster can be started: the binaries
// built by .ci/testcluster/build.sh under $TESTCLUSTER_PREFIX (default
// $HOME/.local/testcluster) and the tools start.sh uses.
func Available() (reason string, ok bool) {
	bin := filepath.Join(prefix(), "bin")
	for _, b := range binaries {
		st, err := os.Stat(filepath.Join(bin, b))
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Sprintf("%s not built (run .ci/testcluster/build.sh)", filepath.Join(bin, b)), false
		}
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not on PATH", false
		}
	}
	return "", true
}

func prefix() string {
	if p := os.Getenv("TESTCLUSTER_PREFIX"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "testcluster")
}

// RepoRoot is the directory holding go.mod, found by walking up from the
// working directory (a test's working directory is its package directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Testdata returns the absolute path of a file in backend/testcluster/testdata
// (the upstream CRDs and samples, see testdata/SOURCES.md). It panics outside
// the repository.
func Testdata(name string) string {
	root, err := RepoRoot()
	if err != nil {
		panic(err)
	}
	return filepath.Join(root, "backend", "testcluster", "testdata", name)
}

// Start starts a test cluster with .ci/testcluster/start.sh (which honours
// TESTCLUSTER_PREFIX and the other TESTCLUSTER_* settings in the environment).
// The caller must Stop it.
func Start(ctx context.Context) (*Cluster, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(root, ".ci", "testcluster", "start.sh"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// On cancellation, SIGTERM lets start.sh's exit trap stop what it started.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("start test cluster: %w\n%s", err, tail(stderr.String(), 40))
	}
	kubeconfig := lastLine(stdout.String())
	if kubeconfig == "" {
		return nil, fmt.Errorf("start test cluster: start.sh printed no kubeconfig path\n%s", tail(stderr.String(), 40))
	}
	c := &Cluster{Dir: filepath.Dir(kubeconfig), Kubeconfig: kubeconfig, root: root}
	// From here on the processes run: stop them if anything below fails.
	if err := c.startWatchdog(); err != nil {
		c.Stop()
		return nil, err
	}
	if c.Env, err = readEnv(filepath.Join(c.Dir, "env")); err != nil {
		c.Stop()
		return nil, err
	}
	if c.RESTConfig, err = c.Config("admin"); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// startWatchdog starts a small shell in its own session that stops the
// cluster when this process ends without calling Stop (a panicking test,
// go test's timeout, a kill): it waits on a pipe that only this process
// holds open.
func (c *Cluster) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("test cluster watchdog: %w", err)
	}
	defer r.Close()
	stop := filepath.Join(c.root, ".ci", "testcluster", "stop.sh")
	keep := ""
	if os.Getenv("TESTCLUSTER_KEEP") == "1" {
		keep = "--keep"
	}
	// $0 $1 $2 are stop.sh, the --keep flag and the directory.
	cmd := exec.Command("sh", "-c", `read -r line; [ "$line" = stopped ] || exec "$0" $1 "$2"`, stop, keep, c.Dir)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("test cluster watchdog: %w", err)
	}
	go cmd.Wait() //nolint:errcheck // reaps the watchdog; its exit status does not matter
	c.watchdog = w
	return nil
}

// Stop stops the cluster's processes and removes its directory, unless
// TESTCLUSTER_KEEP=1 (then the logs, certificates and etcd data stay).
func (c *Cluster) Stop() error {
	var err error
	c.stopOnce.Do(func() {
		args := []string{}
		if os.Getenv("TESTCLUSTER_KEEP") == "1" {
			args = append(args, "--keep")
			fmt.Fprintf(os.Stderr, "testcluster: keeping %s (logs in %s/logs)\n", c.Dir, c.Dir)
		}
		args = append(args, c.Dir)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, runErr := exec.CommandContext(ctx, filepath.Join(c.root, ".ci", "testcluster", "stop.sh"), args...).CombinedOutput()
		if runErr != nil {
			err = fmt.Errorf("stop test cluster %s: %w\n%s", c.Dir, runErr, out)
		}
		if c.watchdog != nil {
			io.WriteString(c.watchdog, "stopped\n") //nolint:errcheck // the watchdog may be gone already
			c.watchdog.Close()
		}
	})
	return err
}

// Config returns a REST config for a kubeconfig context: admin (client
// certificate, system:masters), admin-token, or limited (may only
// get/list/watch pods in $TESTCLUSTER_LIMITED_NS).
func (c *Cluster) Config(name string) (*rest.Config, error) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: name},
	).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("test cluster context %q: %w", name, err)
	}
	cfg.QPS, cfg.Burst = 200, 400 // tests create objects in bursts
	return cfg, nil
}

// Kubectl runs the cluster's kubectl (the version built with the
// apiserver) with the admin kubeconfig and returns its stdout.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	return c.kubectl(ctx, nil, args...)
}

func (c *Cluster) kubectl(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	bin := c.Env["TESTCLUSTER_BIN"]
	if bin == "" {
		bin = filepath.Join(prefix(), "bin")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// Apply server-side applies YAML (one or more documents).
func (c *Cluster) Apply(ctx context.Context, yaml string) error {
	_, err := c.kubectl(ctx, strings.NewReader(yaml), "apply", "--server-side", "--force-conflicts", "-f", "-")
	return err
}

// InstallCRDs applies CRD files and waits until they are Established. CRDs
// of protected groups (k8s.io and *.k8s.io, e.g. flinkoperator.k8s.io) get
// the annotation api-approved.kubernetes.io: "unapproved, experimental-only",
// without which the apiserver refuses them.
func InstallCRDs(ctx context.Context, c *Cluster, paths ...string) error {
	var docs bytes.Buffer
	var names []string
	for _, path := range paths {
		json, crdNames, err := crdJSON(path)
		if err != nil {
			return err
		}
		docs.Write(json)
		names = append(names, crdNames...)
	}
	if len(names) == 0 {
		return nil
	}
	if err := c.Apply(ctx, docs.String()); err != nil {
		return fmt.Errorf("install CRDs: %w", err)
	}
	if err := waitEstablished(ctx, c, names); err != nil {
		return fmt.Errorf("install CRDs: %w", err)
	}
	return nil
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// waitEstablished polls the CRDs until their Established condition is True.
// (kubectl wait fails instead of waiting while a new CRD has no conditions.)
func waitEstablished(ctx context.Context, c *Cluster, names []string) error {
	dyn, err := dynamic.NewForConfig(c.RESTConfig)
	if err != nil {
		return err
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for _, name := range names {
		for {
			crd, err := dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("wait for CRD %s: %w", name, err)
			}
			if established(crd) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("wait for CRD %s to be established: %w", name, ctx.Err())
			case <-tick.C:
			}
		}
	}
	return nil
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// crdCache keeps the JSON of CRD files already read: the large upstream
// CRDs take a while to parse, and every test installs them again.
var crdCache = struct {
	sync.Mutex
	json  map[string][]byte
	names map[string][]string
}{json: map[string][]byte{}, names: map[string][]string{}}

// crdJSON returns the CRDs of a file as a YAML stream of JSON documents,
// annotated by readCRDs, and their names.
func crdJSON(path string) ([]byte, []string, error) {
	crdCache.Lock()
	defer crdCache.Unlock()
	if json, ok := crdCache.json[path]; ok {
		return json, crdCache.names[path], nil
	}
	crds, err := readCRDs(path)
	if err != nil {
		return nil, nil, err
	}
	var docs bytes.Buffer
	var names []string
	for _, crd := range crds {
		json, err := crd.MarshalJSON()
		if err != nil {
			return nil, nil, fmt.Errorf("install CRDs: %s: %w", path, err)
		}
		docs.WriteString("---\n")
		docs.Write(json)
		docs.WriteString("\n")
		names = append(names, crd.GetName())
	}
	crdCache.json[path], crdCache.names[path] = docs.Bytes(), names
	return docs.Bytes(), names, nil
}

// readCRDs reads the CustomResourceDefinitions of a YAML file and adds the
// api-approved annotation where the group needs it.
func readCRDs(path string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("install CRDs: %w", err)
	}
	defer f.Close()
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("install CRDs: %s: %w", path, err)
		}
		if obj == nil {
			continue // an empty document
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetKind() != "CustomResourceDefinition" {
			return nil, fmt.Errorf("install CRDs: %s: %s %q is not a CustomResourceDefinition", path, u.GetKind(), u.GetName())
		}
		group, _, _ := unstructured.NestedString(obj, "spec", "group")
		if group == "k8s.io" || strings.HasSuffix(group, ".k8s.io") {
			ann := u.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			if ann["api-approved.kubernetes.io"] == "" {
				ann["api-approved.kubernetes.io"] = "unapproved, experimental-only"
			}
			u.SetAnnotations(ann)
		}
		out = append(out, u)
	}
	return out, nil
}

// readEnv parses the `export K=V` lines start.sh writes to $DIR/env.
func readEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read test cluster env: %w", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		env[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read test cluster env: %w", err)
	}
	return env, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Describe is what a test prints when something in ns did not become
// ready: its pods, claims and StatefulSets as kubectl shows them, and the
// namespace's events, so a failure in CI names the member that was stuck
// and why (unscheduled, a claim unbound, ...). It uses its own deadline:
// it is called after the test's own has passed.
func (c *Cluster) Describe(ns string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var b strings.Builder
	for _, args := range [][]string{
		{"get", "statefulsets,pods,persistentvolumeclaims", "-n", ns, "-o", "wide"},
		{"get", "events", "-n", ns, "--sort-by=.lastTimestamp"},
	} {
		out, err := c.Kubectl(ctx, args...)
		if err != nil {
			fmt.Fprintf(&b, "kubectl %s: %v\n", strings.Join(args, " "), err)
			continue
		}
		b.Write(out)
	}
	return tail(b.String(), 80)
}
