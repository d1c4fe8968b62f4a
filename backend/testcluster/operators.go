package testcluster

// The upstream Pravega operators, run out of cluster against the test
// cluster (see /work/shared/contracts/OBSERVED.md for what they do):
//
//	ops := testcluster.StartOperators(t, c, testcluster.OperatorOptions{
//		Namespace: ns, Operators: []testcluster.Operator{testcluster.ZookeeperOperator},
//	})
//
// Each call runs its own operator processes watching one namespace, so
// parallel tests do not share reconcile loops, leader locks or ZooKeeper
// state. The binaries are built by .ci/testcluster/build.sh; the ZooKeeper
// server the zookeeper-operator writes to is Debian's zookeeper package.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Operator is an upstream operator binary that build.sh installs.
type Operator string

// The operators StartOperators can run.
const (
	ZookeeperOperator  Operator = "zookeeper-operator"
	BookkeeperOperator Operator = "bookkeeper-operator"
)

// operatorArgs are the flags each operator needs out of cluster: no metrics
// listener (both default to 127.0.0.1:6000, so two would collide), no
// webhook for bookkeeper (it needs cert-manager), and no finalizers, so
// that deleting a test's namespace after its operators stopped is not
// blocked by custom resources nobody finalizes.
var operatorArgs = map[Operator][]string{
	ZookeeperOperator:  {"-metrics-bind-address=0", "-disableFinalizer"},
	BookkeeperOperator: {"-metrics-bind-address=0", "-webhook=false", "-disableFinalizer"},
}

// ZooKeeper server files from Debian's zookeeper package (apt, .ci/run).
var (
	zookeeperJars = []string{"/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar"}
	javaBinary    = "java"
)

// OperatorOptions says what StartOperators runs.
type OperatorOptions struct {
	// Namespace the operators watch (WATCH_NAMESPACE) and live in: their
	// stand-in pods and leader-lock ConfigMaps go there. Created if missing.
	Namespace string
	Operators []Operator
	// ZookeeperClusters are the names of the ZookeeperClusters (in
	// Namespace) whose client Service the zookeeper-operator must reach:
	// it dials <name>-client.<namespace>.svc.cluster.local:2181, which the
	// operator's own /etc/hosts maps to a ZooKeeper server of that
	// cluster's own, as each ZookeeperCluster is its own ensemble (the
	// operator fails to create the metadata of a second cluster in a
	// ZooKeeper that holds a first: "Error creating parent zkNode:
	// /zookeeper-operator: zk: node already exists").
	// Default: "zookeeper" (the upstream sample's name).
	ZookeeperClusters []string
}

// Operators are the operator processes of one test.
type Operators struct {
	Namespace string
	LogDir    string // <operator>.log and zookeeper-<cluster>.log
	// ZooKeepers are the addresses of the ZooKeeper servers by
	// ZookeeperCluster name (each on a loopback IP of its own, port 2181).
	ZooKeepers map[string]string

	procs []*process
}

// Log returns the log of one of the operators (or "zookeeper-<cluster>").
func (o *Operators) Log(name string) string {
	b, _ := os.ReadFile(filepath.Join(o.LogDir, name+".log"))
	return string(b)
}

// OperatorsAvailable reports whether StartOperators can run: the operator
// binaries from build.sh, unshare(1), and a ZooKeeper server.
func OperatorsAvailable() (reason string, ok bool) {
	return operatorsAvailable(filepath.Join(prefix(), "bin"), zookeeperJars, javaBinary)
}

func operatorsAvailable(bin string, jars []string, java string) (string, bool) {
	for _, op := range []Operator{ZookeeperOperator, BookkeeperOperator} {
		st, err := os.Stat(filepath.Join(bin, string(op)))
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Sprintf("%s not built (run .ci/testcluster/build.sh)", filepath.Join(bin, string(op))), false
		}
	}
	for _, tool := range []string{"unshare", "sh", java} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not on PATH (apt-get install zookeeper brings java)", false
		}
	}
	if _, err := os.Stat(jars[0]); err != nil {
		return jars[0] + " is missing (apt-get install zookeeper)", false
	}
	return "", true
}

// StartOperators starts the requested operators out of cluster against
// c, watching opts.Namespace, and stops them when the test ends. It
// installs their CRDs, creates the namespace, provisions volumes for the
// namespace's claims (ProvisionVolumes), starts a ZooKeeper server for the
// zookeeper-operator, and returns once every operator holds its leader
// lock. It skips the test when the operators are not available, except in
// CI (CI=true), where that fails it.
func StartOperators(t testing.TB, c *Cluster, opts OperatorOptions) *Operators {
	t.Helper()
	if reason, ok := OperatorsAvailable(); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the operator integration tests cannot run in CI: %s", reason)
		}
		t.Skipf("skipping operator integration test: %s", reason)
	}
	if opts.Namespace == "" || len(opts.Operators) == 0 {
		t.Fatal("StartOperators: a namespace and at least one operator are needed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	begin := time.Now()
	o := &Operators{Namespace: opts.Namespace, LogDir: t.TempDir(), ZooKeepers: map[string]string{}}
	// Registered first, so it runs last: after the volumes' cleanup below.
	t.Cleanup(func() { o.stop(t) })

	var crds []string
	for _, op := range opts.Operators {
		switch op {
		case ZookeeperOperator:
			crds = append(crds, Testdata("zookeeper.pravega.io_zookeeperclusters.yaml"))
		case BookkeeperOperator:
			crds = append(crds, Testdata("bookkeeper.pravega.io_bookkeeperclusters.yaml"))
		default:
			t.Fatalf("StartOperators: unknown operator %q", op)
		}
	}
	if err := InstallCRDs(ctx, c, crds...); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureNamespace(ctx, cs, opts.Namespace); err != nil {
		t.Fatal(err)
	}
	ProvisionVolumes(t, c, opts.Namespace)

	hosts := "127.0.0.1 localhost\n::1 localhost\n"
	for _, op := range opts.Operators {
		if op != ZookeeperOperator {
			continue
		}
		names := opts.ZookeeperClusters
		if len(names) == 0 {
			names = []string{"zookeeper"}
		}
		for _, n := range names {
			zk, err := o.startZooKeeper(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			ip, _, _ := net.SplitHostPort(zk)
			hosts += fmt.Sprintf("%s %s-client.%s.svc.cluster.local\n", ip, n, opts.Namespace)
		}
	}
	hostsFile := filepath.Join(o.LogDir, "hosts")
	if err := os.WriteFile(hostsFile, []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, op := range opts.Operators {
		if err := o.startOperator(ctx, c, cs, op, hostsFile); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("operators %v started in %s, logs in %s", opts.Operators, time.Since(begin).Round(10*time.Millisecond), o.LogDir)
	return o
}

func ensureNamespace(ctx context.Context, cs kubernetes.Interface, ns string) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	return nil
}

// process is a subprocess with its log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when it has exited
	err  error         // its exit status, once done
}

func (o *Operators) spawn(name string, cmd *exec.Cmd) (*process, error) {
	f, err := os.Create(filepath.Join(o.LogDir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// The process dies with the test binary, even when go test's timeout
	// kills it before any cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: f, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	o.procs = append(o.procs, p)
	return p, nil
}

// exited returns an error with the log's tail if the process has ended.
func (o *Operators) exited(p *process) error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%v):\n%s", p.name, p.err, tail(o.Log(p.name), 20))
	default:
		return nil
	}
}

// startZooKeeper runs a standalone ZooKeeper for one ZookeeperCluster on
// port 2181 of a random loopback address of its own (127.0.0.0/8 is all
// loopback on Linux), so that clusters, parallel tests and packages each
// have their own, and waits until it answers "ruok".
func (o *Operators) startZooKeeper(ctx context.Context, cluster string) (string, error) {
	name := "zookeeper-" + cluster
	var addr string
	for range 20 {
		ip := fmt.Sprintf("127.%d.%d.%d", 10+rand.IntN(240), rand.IntN(256), 2+rand.IntN(250))
		l, err := net.Listen("tcp", ip+":2181")
		if err == nil {
			l.Close()
			addr = ip + ":2181"
			break
		}
	}
	if addr == "" {
		return "", fmt.Errorf("start %s: no free loopback address for port 2181", name)
	}
	ip, _, _ := net.SplitHostPort(addr)
	dir := filepath.Join(o.LogDir, name+"-data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("start %s: %w", name, err)
	}
	cfg := filepath.Join(o.LogDir, name+".cfg")
	conf := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=2181\nclientPortAddress=%s\nadmin.enableServer=false\n4lw.commands.whitelist=ruok,srvr\n", dir, ip)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return "", fmt.Errorf("start %s: %w", name, err)
	}
	var cp []string
	for _, j := range zookeeperJars {
		if _, err := os.Stat(j); err == nil {
			cp = append(cp, j)
		}
	}
	cmd := exec.Command(javaBinary, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", strings.Join(cp, ":"),
		"org.apache.zookeeper.server.ZooKeeperServerMain", cfg)
	p, err := o.spawn(name, cmd)
	if err != nil {
		return "", err
	}
	for {
		if ruok(addr) {
			o.ZooKeepers[cluster] = addr
			return addr, nil
		}
		if err := o.exited(p); err != nil {
			return "", fmt.Errorf("start %s: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("start %s on %s: %w:\n%s", name, addr, ctx.Err(), tail(o.Log(name), 20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ruok asks ZooKeeper whether it is serving (the "ruok" four-letter word).
func ruok(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(conn, "ruok"); err != nil {
		return false
	}
	b, _ := io.ReadAll(conn)
	return string(b) == "imok"
}

// The operators' main.go exit unless the in-cluster namespace file exists,
// then take a leader-for-life lock owned by the Pod named by $POD_NAME. So
// each operator runs in a mount namespace of its own (unshare -m; with -r
// when not root) where a private tmpfs on /run holds that file and the
// test's hosts file is bound over /etc/hosts, and a stand-in Pod (kwok runs
// it) owns the lock.
const inNamespace = `set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/secrets/kubernetes.io/serviceaccount
printf '%s' "$OPERATOR_NAMESPACE" > /run/secrets/kubernetes.io/serviceaccount/namespace
mount --bind "$OPERATOR_HOSTS" /etc/hosts
exec "$@"`

func (o *Operators) startOperator(ctx context.Context, c *Cluster, cs kubernetes.Interface, op Operator, hosts string) error {
	name := string(op)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: o.Namespace, Labels: map[string]string{"name": name}},
		Spec: corev1.PodSpec{NodeName: "kwok-node-0",
			Containers: []corev1.Container{{Name: name, Image: "pravega/" + name}}},
	}
	if _, err := cs.CoreV1().Pods(o.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("start %s: stand-in pod: %w", name, err)
	}
	args := []string{"-m", "--propagation", "private"}
	if os.Geteuid() != 0 {
		args = append(args, "-r")
	}
	args = append(args, "sh", "-c", inNamespace, "sh", filepath.Join(prefix(), "bin", name))
	args = append(args, operatorArgs[op]...)
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(),
		"KUBECONFIG="+c.Kubeconfig,
		"WATCH_NAMESPACE="+o.Namespace,
		"POD_NAME="+name,
		"OPERATOR_NAMESPACE="+o.Namespace,
		"OPERATOR_HOSTS="+hosts,
	)
	p, err := o.spawn(name, cmd)
	if err != nil {
		return err
	}
	// Ready once it holds its lock and its controller has started workers.
	lock := name + "-lock"
	for {
		if err := o.exited(p); err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		if _, err := cs.CoreV1().ConfigMaps(o.Namespace).Get(ctx, lock, metav1.GetOptions{}); err == nil && logHas(filepath.Join(o.LogDir, name+".log"), "Starting workers") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("start %s: no leader lock %s/%s and no workers: %w\n%s", name, o.Namespace, lock, ctx.Err(), tail(o.Log(name), 20))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func logHas(path, s string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			return true
		}
	}
	return false
}

// stop ends the processes (SIGTERM, then SIGKILL after 5 s), operators
// first, and logs the tail of each log when the test failed.
func (o *Operators) stop(t testing.TB) {
	for i := len(o.procs) - 1; i >= 0; i-- {
		p := o.procs[i]
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		p.log.Close()
		if t.Failed() {
			t.Logf("%s log (tail):\n%s", p.name, tail(o.Log(p.name), 30))
		}
	}
}
