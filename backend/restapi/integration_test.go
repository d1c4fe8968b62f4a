package restapi_test

// Integration test: the streams backend reads the fake Pravega and Flink
// REST APIs through a real kube-apiserver's service proxy (see
// backend/testcluster), and directly. It skips when the test cluster is not
// built.
//
// How a backend outside the cluster is reached (testcluster README,
// "Service proxy"): in egress mode the test server listens on
// 127.0.0.1:PORT, a pod on a kwok node declares containerPort PORT, a
// Service selects it with targetPort PORT, and the apiserver's egress proxy
// sends the pod's IP:PORT to 127.0.0.1:PORT. Without egress
// (TESTCLUSTER_EGRESS=0) the server listens on TESTCLUSTER_BACKEND_IP and
// the pod uses the host network.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/restapitest"
	"github.com/streamops/streamops/backend/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

// backend is a fake REST API served where the cluster's service proxy can
// reach it.
type backend struct {
	url  string
	port int32
}

func serveForCluster(t *testing.T, c *testcluster.Cluster, h http.Handler) backend {
	t.Helper()
	host := "127.0.0.1"
	if c.Env["TESTCLUSTER_EGRESS"] == "0" {
		host = c.Env["TESTCLUSTER_BACKEND_IP"]
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return backend{url: "http://" + ln.Addr().String(), port: int32(ln.Addr().(*net.TCPAddr).Port)}
}

// expose creates, in ns, a pod on a kwok node that "listens" on the
// backend's port and a Service selecting it, and waits for the Service's
// endpoints.
func expose(t *testing.T, ctx context.Context, c *testcluster.Cluster, cs kubernetes.Interface, ns, svc string, labels map[string]string, portName string, port int32, b backend) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("no kwok node: %v", err)
	}
	// go test -count=N reuses the cluster: start from scratch.
	_ = cs.CoreV1().Services(ns).Delete(ctx, svc, metav1.DeleteOptions{})
	_ = cs.CoreV1().Pods(ns).Delete(ctx, svc+"-0", metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	waitGone(t, ctx, cs, ns, svc+"-0")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: svc + "-0", Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:    nodes.Items[0].Name,
			HostNetwork: c.Env["TESTCLUSTER_EGRESS"] == "0",
			Containers:  []corev1.Container{{Name: "api", Image: "fake", Ports: []corev1.ContainerPort{{Name: portName, ContainerPort: b.port}}}},
		},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	service := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: svc, Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{
			{Name: portName, Port: port, TargetPort: intstr.FromInt32(b.port)},
		}},
	}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, service, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		ep, err := cs.CoreV1().Endpoints(ns).Get(ctx, svc, metav1.GetOptions{}) // the service proxy reads v1 Endpoints
		if err == nil && len(ep.Subsets) > 0 && len(ep.Subsets[0].Addresses) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no endpoints for %s/%s: %v", ns, svc, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitGone(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, pod string) {
	t.Helper()
	for {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pod %s/%s not deleted", ns, pod)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func clientFor(t *testing.T, c *testcluster.Cluster, context string) kubernetes.Interface {
	t.Helper()
	cfg, err := c.Config(context)
	if err != nil {
		t.Fatal(err)
	}
	cfg.WarningHandler = rest.NoWarnings{} // v1 Endpoints is deprecated, but the service proxy reads it
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func runMonitor(t *testing.T, cfg restapi.Config, snap *platform.Snapshot) *restapi.Monitor {
	t.Helper()
	m := restapi.NewMonitor(cfg)
	m.Observe(snap)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	m.Activate()
	return m
}

func awaitReport(t *testing.T, m *restapi.Monitor, what string, ok func(restapi.Report) bool) restapi.Report {
	t.Helper()
	deadline := time.After(45 * time.Second)
	var last restapi.Report
	for {
		select {
		case last = <-m.Reports():
			if ok(last) {
				return last
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s; last report: %+v %+v", what, last.Pravega, last.Flink)
		}
	}
}

func TestServiceProxyIntegration(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := clientFor(t, c, "admin")
	pdoc, fdoc, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}

	pv := seedPravega()
	pvChk := restapitest.Check(t, pdoc, pv.Handler())
	fl := seedFlink()
	// A job whose source reads a Pravega reader group: its backlog comes
	// from the connector's gauges, through the proxy like the rest.
	const readerJob, readerSource = "fedcba9876543210fedcba9876543210", "00000000000000000000000000000011"
	fl.AddJob(fakeapi.Job{ID: readerJob, Name: "enrich", Start: t0.Add(-time.Hour),
		Vertices: []fakeapi.Vertex{{ID: readerSource, Name: "Source: Pravega iot/readings", Parallelism: 2}}})
	if err := fl.SetReaders(readerJob, readerSource, fakeapi.Readers{Scope: "iot", Group: "enrich", Unread: 42 << 20, Online: 2}); err != nil {
		t.Fatal(err)
	}
	flChk := restapitest.Check(t, fdoc, fl.Handler())
	pvBackend, flBackend := serveForCluster(t, c, pvChk), serveForCluster(t, c, flChk)

	// Services shaped as the operators make them (contracts/LABELS.md).
	expose(t, ctx, c, admin, "pravega-it", "pravega-pravega-controller",
		map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-controller"}, "rest", 10080, pvBackend)
	expose(t, ctx, c, admin, "flink-it", "agg-rest",
		map[string]string{"app": "agg", "component": "jobmanager", "type": "flink-native-kubernetes"}, "rest", 8081, flBackend)
	// A FlinkDeployment whose REST Service has no pod behind it.
	if _, err := admin.CoreV1().Services("flink-it").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "down-rest", Namespace: "flink-it"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "down", "component": "jobmanager"}, Ports: []corev1.ServicePort{{Name: "rest", Port: 8081}}},
	}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}

	snap := &platform.Snapshot{Seq: 1, Components: []*platform.Component{
		{Kind: platform.Controller, Namespace: "pravega-it", Cluster: "pravega", Source: platform.Ref{Kind: "PravegaCluster"}},
		{Kind: platform.FlinkJobManager, Namespace: "flink-it", Cluster: "agg", Source: platform.Ref{Kind: "FlinkDeployment"}},
		{Kind: platform.FlinkJobManager, Namespace: "flink-it", Cluster: "down", Source: platform.Ref{Kind: "FlinkDeployment"}},
	}}
	cfg := restapi.Config{ServiceProxy: admin, Interval: 500 * time.Millisecond, MaxBackoff: 2 * time.Second, Timeout: 3 * time.Second}

	t.Run("service proxy", func(t *testing.T) {
		m := runMonitor(t, cfg, snap)
		// (Right after its creation the proxy may still answer that the
		// down Service is not found; the monitor retries.)
		r := awaitReport(t, m, "both APIs read through the proxy", func(r restapi.Report) bool {
			return len(r.Pravega) == 1 && r.Pravega[0].Inventory != nil && len(r.Flink) == 2 && r.Flink[0].Cluster != nil &&
				r.Flink[1].Err != nil && strings.Contains(r.Flink[1].Err.Error(), "no endpoints available")
		})
		p := r.Pravega[0]
		if p.Route.Where() != "service proxy pravega-it/pravega-pravega-controller:rest" || p.Err != nil {
			t.Errorf("pravega section %+v", p.Section)
		}
		if len(p.Inventory.Scopes) != 1 || len(p.Inventory.Scopes[0].Streams) != 2 {
			t.Errorf("inventory %+v", p.Inventory)
		}
		f := r.Flink[0]
		if f.Route.Where() != "service proxy flink-it/agg-rest:rest" || f.Cluster.Overview == nil || f.Cluster.Overview.SlotsTotal != 4 || len(f.Cluster.Jobs) != 2 {
			t.Errorf("flink section %+v %+v", f.Section, f.Cluster)
		}
		if b, ok := restapi.Backlogs(r.Flink)["iot/enrich"]; !ok || b.Group.Unread != 42<<20 || b.Job.Name != "enrich" {
			t.Errorf("reader group backlog through the proxy: %+v (%t)", b.Group, ok)
		}
		// The Service without endpoints fails in its own section.
		var e *restapi.Error
		if down := r.Flink[1]; !errors.As(down.Err, &e) || e.Kind != restapi.Unreachable || !strings.Contains(down.Err.Error(), `no endpoints available for service "down-rest`) {
			t.Errorf("down section: %v (%+v)", down.Err, e)
		}

		// The controller fails: a 500 through the proxy, in its section only.
		pv.Inject("/v1/scopes", fakeapi.Fault{Kind: fakeapi.ServerError})
		r = awaitReport(t, m, "the controller's 500", func(r restapi.Report) bool { return r.Pravega[0].Err != nil })
		if err := r.Pravega[0].Err; !errors.As(err, &e) || e.Kind != restapi.HTTPStatus || e.Status != 500 || !strings.Contains(err.Error(), "injected failure") {
			t.Errorf("500 through the proxy: %v", err)
		}
		if r.Flink[0].Err != nil || r.Pravega[0].Inventory == nil {
			t.Errorf("others affected: %v, inventory kept %v", r.Flink[0].Err, r.Pravega[0].Inventory != nil)
		}
		pv.ClearFaults()
		m.Refresh()
		awaitReport(t, m, "recovery", func(r restapi.Report) bool { return r.Pravega[0].Err == nil && r.Pravega[0].Failures == 0 })

		// A stream's scale events, on demand, through the proxy.
		h, err := m.Scaling(ctx, restapi.Target{API: restapi.Pravega, Namespace: "pravega-it", Name: "pravega"}, "iot", "sensors")
		if n, ok := h.Segments(); err != nil || !ok || n != 2 {
			t.Errorf("scaling through the proxy: %+v %v", h, err)
		}
	})

	t.Run("forbidden", func(t *testing.T) {
		// "limited" may only read pods in one namespace: it can neither list
		// Services nor use the service proxy.
		limited := cfg
		limited.ServiceProxy = clientFor(t, c, "limited")
		m := runMonitor(t, limited, snap)
		r := awaitReport(t, m, "forbidden sections", func(r restapi.Report) bool {
			return len(r.Pravega) == 1 && r.Pravega[0].Err != nil && len(r.Flink) == 2 && r.Flink[0].Err != nil
		})
		var e *restapi.Error
		if err := r.Pravega[0].Err; !errors.As(err, &e) || e.Kind != restapi.Forbidden || !strings.Contains(err.Error(), `cannot get resource "services/proxy"`) {
			t.Errorf("forbidden: %v (%+v)", err, e)
		}
		// Services could not be listed: the operator's default name is used.
		if w := r.Pravega[0].Route.Where(); w != "service proxy pravega-it/pravega-pravega-controller:rest" {
			t.Errorf("guessed route %s", w)
		}
	})

	t.Run("direct URL", func(t *testing.T) {
		direct := cfg
		direct.ServiceProxy = nil
		direct.Overrides = []restapi.Override{
			{Target: restapi.Target{API: restapi.Pravega, Namespace: "pravega-it", Name: "pravega"}, URL: pvBackend.url},
			{Target: restapi.Target{API: restapi.Flink, Namespace: "flink-it", Name: "agg"}, URL: flBackend.url},
		}
		m := runMonitor(t, direct, snap)
		r := awaitReport(t, m, "direct reads", func(r restapi.Report) bool {
			return len(r.Pravega) == 1 && r.Pravega[0].Inventory != nil && len(r.Flink) == 2 && r.Flink[0].Cluster != nil && r.Flink[1].Err != nil
		})
		if w := r.Pravega[0].Route.Where(); w != "direct "+pvBackend.url {
			t.Errorf("route %s", w)
		}
		if err := r.Flink[1].Err; err == nil || !strings.Contains(err.Error(), "no direct URL given for it, and the service proxy is off") {
			t.Errorf("down without a URL: %v", err)
		}
	})

	if pvChk.Validated() == 0 || flChk.Validated() == 0 {
		t.Errorf("responses validated: pravega %d, flink %d", pvChk.Validated(), flChk.Validated())
	}
	t.Logf("validated %d Pravega and %d Flink responses", pvChk.Validated(), flChk.Validated())
}
