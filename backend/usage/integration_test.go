package usage_test

// Integration test: the monitor against a real kube-apiserver (see
// backend/testcluster). The metrics API is a small server of the test's
// own, registered as the APIService v1beta1.metrics.k8s.io and answering
// with the upstream types of k8s.io/metrics; the kubelet summary is served
// by the same server at the port a node of the test names as its kubelet
// endpoint, which the API server's node proxy reaches through the test
// cluster's egress proxy. Skips when the test cluster is not built.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	"k8s.io/utils/ptr"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/usage"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

const (
	itNamespace = "usage-it"
	itNode      = "usage-it-node"
	itPod       = "bookie-it-0"
	itClaim     = "ledger-bookie-it-0"
)

// metricsHandler serves metrics.k8s.io/v1beta1 (discovery, pods, nodes)
// and a kubelet's /stats/summary.
func metricsHandler(t *testing.T) http.Handler {
	at := metav1.NewTime(time.Now().Truncate(time.Second))
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(v); err != nil {
			t.Errorf("encode: %v", err)
		}
	}
	gv := metricsv1beta1.SchemeGroupVersion.String()
	pods := &metricsv1beta1.PodMetricsList{TypeMeta: metav1.TypeMeta{Kind: "PodMetricsList", APIVersion: gv},
		Items: []metricsv1beta1.PodMetrics{{TypeMeta: metav1.TypeMeta{Kind: "PodMetrics", APIVersion: gv},
			ObjectMeta: metav1.ObjectMeta{Name: itPod, Namespace: itNamespace}, Timestamp: at, Window: metav1.Duration{Duration: 15 * time.Second},
			Containers: []metricsv1beta1.ContainerMetrics{{Name: "bookie", Usage: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("250123456n"), corev1.ResourceMemory: resource.MustParse("983040Ki")}}}}}}
	nodes := &metricsv1beta1.NodeMetricsList{TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: gv},
		Items: []metricsv1beta1.NodeMetrics{{TypeMeta: metav1.TypeMeta{Kind: "NodeMetrics", APIVersion: gv},
			ObjectMeta: metav1.ObjectMeta{Name: itNode}, Timestamp: at, Window: metav1.Duration{Duration: 15 * time.Second},
			Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3"), corev1.ResourceMemory: resource.MustParse("60Gi")}}}}
	used, avail, capacity := uint64(9318<<20), uint64(922<<20), uint64(10240<<20)
	summary := usage.Summary{Node: usage.NodeRef{NodeName: itNode}, Pods: []usage.PodStats{{
		PodRef: usage.PodReference{Name: itPod, Namespace: itNamespace},
		Volumes: []usage.VolumeStats{{Name: "ledger", Time: at, PVCRef: &usage.PVCRef{Name: itClaim, Namespace: itNamespace},
			UsedBytes: &used, AvailableBytes: &avail, CapacityBytes: &capacity}}}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1", func(w http.ResponseWriter, _ *http.Request) {
		write(w, &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv,
			APIResources: []metav1.APIResource{
				{Name: "nodes", Kind: "NodeMetrics", Verbs: metav1.Verbs{"get", "list"}},
				{Name: "pods", Namespaced: true, Kind: "PodMetrics", Verbs: metav1.Verbs{"get", "list"}},
			}})
	})
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/pods", func(w http.ResponseWriter, _ *http.Request) { write(w, pods) })
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("ns") != itNamespace {
			write(w, &metricsv1beta1.PodMetricsList{TypeMeta: pods.TypeMeta, Items: []metricsv1beta1.PodMetrics{}})
			return
		}
		write(w, pods)
	})
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/nodes", func(w http.ResponseWriter, _ *http.Request) { write(w, nodes) })
	mux.HandleFunc("GET /stats/summary", func(w http.ResponseWriter, _ *http.Request) { write(w, summary) })
	return mux
}

func itSnapshot() *platform.Snapshot {
	return &platform.Snapshot{
		Components: []*platform.Component{{Kind: platform.BookKeeper, Cluster: "bookie-it", Namespace: itNamespace, Members: []*platform.Member{{
			Name: itPod, Namespace: itNamespace, UID: "uid-it", Node: itNode, Phase: "Running",
			Containers: []platform.Container{{Name: "bookie", State: platform.StateRunning,
				Requests: platform.Resources{MilliCPU: 500, Memory: 1 << 30}, Limits: platform.Resources{Memory: 1 << 30}}},
		}}}},
		Nodes:  []platform.Node{{Name: itNode, Ready: true, Allocatable: platform.Resources{MilliCPU: 16000, Memory: 64 << 30}}},
		Claims: []platform.Claim{{Name: itClaim, Namespace: itNamespace, Kind: platform.BookKeeper, Role: "ledger", Member: itPod}},
	}
}

func runMonitor(t *testing.T, ctx context.Context, cfg *rest.Config) *usage.Monitor {
	t.Helper()
	mc, err := metricsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := usage.New(usage.Config{Metrics: mc, Summaries: usage.NodeProxy{Client: cs}, Scope: kube.Scope{Namespaces: []string{itNamespace}},
		Interval: 100 * time.Millisecond, VolumeInterval: 100 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	m.Observe(itSnapshot())
	m.Activate("test")
	return m
}

func TestIntegrationMetricsAPIAndNodeProxy(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}

	// No metrics-server yet: one line, not an error loop.
	absent := runMonitor(t, ctx, c.RESTConfig)
	wait(t, ctx, absent, "metrics.k8s.io absent", func(r *usage.Report) bool {
		return r.Metrics.State == usage.Absent && r.NodeMetrics.State == usage.Absent && strings.Contains(r.Metrics.Reason, "no metrics-server")
	})

	srv := httptest.NewUnstartedServer(metricsHandler(t))
	srv.StartTLS()
	defer srv.Close()
	_, portText, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portText)

	// The kubelet of itNode is the test's server: kwok makes the node
	// Ready (with its own address and port), then the node's status names
	// ours.
	// The node proxy refuses loopback addresses ("address not allowed"):
	// the node gets a pod-range address, which the test cluster's egress
	// proxy sends to 127.0.0.1 (without it, the backend IP is the host's).
	nodeIP := "10.244.255.1"
	if c.Env["TESTCLUSTER_EGRESS"] != "1" {
		nodeIP = c.Env["TESTCLUSTER_BACKEND_IP"]
	}
	if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: itNode,
		Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), itNode, metav1.DeleteOptions{}) })
	for {
		n, err := cs.CoreV1().Nodes().Get(ctx, itNode, metav1.GetOptions{})
		if err == nil && n.Status.DaemonEndpoints.KubeletEndpoint.Port != 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("kwok never initialised the node")
		case <-time.After(50 * time.Millisecond):
		}
	}
	patch := fmt.Sprintf(`{"status":{"addresses":[{"type":"InternalIP","address":%q},{"type":"Hostname","address":%q}],`+
		`"daemonEndpoints":{"kubeletEndpoint":{"Port":%d}}}}`, nodeIP, itNode, port)
	if _, err := cs.CoreV1().Nodes().Patch(ctx, itNode, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}

	// The metrics API: a Service without selector whose endpoint the
	// egress proxy maps to the test's server on 127.0.0.1, and the
	// APIService pointing at it.
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: itNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := cs.CoreV1().Services(itNamespace).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "metrics-it"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: int32(port)}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.DiscoveryV1().EndpointSlices(itNamespace).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "metrics-it", Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.250"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(int32(port))}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Endpoints(itNamespace).Create(ctx, &corev1.Endpoints{ //nolint:staticcheck // the aggregator may still read Endpoints
		ObjectMeta: metav1.ObjectMeta{Name: "metrics-it", Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.244.0.250"}}, //nolint:staticcheck
			Ports: []corev1.EndpointPort{{Name: "https", Port: int32(port)}}}}, //nolint:staticcheck
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	apiServices := dyn.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"})
	if _, err := apiServices.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1beta1.metrics.k8s.io"},
		"spec": map[string]any{"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
			"groupPriorityMinimum": int64(100), "versionPriority": int64(100),
			"service": map[string]any{"namespace": itNamespace, "name": svc.Name, "port": int64(port)}},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = apiServices.Delete(context.Background(), "v1beta1.metrics.k8s.io", metav1.DeleteOptions{}) })

	m := runMonitor(t, ctx, c.RESTConfig)
	r := waitOr(t, ctx, m, "usage and fill through the API server", func(r *usage.Report) bool {
		return r.Metrics.State == usage.OK && r.NodeMetrics.State == usage.OK && r.Volumes.State == usage.OK
	}, func() string {
		u, _ := apiServices.Get(context.Background(), "v1beta1.metrics.k8s.io", metav1.GetOptions{})
		if u == nil {
			return ""
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		n, _ := cs.CoreV1().Nodes().Get(context.Background(), itNode, metav1.GetOptions{})
		body, err := cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/" + itNode + "/proxy/stats/summary").DoRaw(context.Background())
		return fmt.Sprintf("apiservice %v; node %v %v; proxy %q %v", conds, n.Status.Addresses, n.Status.DaemonEndpoints, body, err)
	})
	u, ok := r.Member(itSnapshot().Components[0].Members[0])
	if !ok || !u.Current || u.Containers[0].Usage != (usage.Sample{MilliCPU: 251, Memory: 960 << 20}) {
		t.Errorf("member usage %+v", u)
	}
	if f, ok := u.Containers[0].MemoryOfLimit(); !ok || f != 0.9375 {
		t.Errorf("memory of limit %v %v", f, ok)
	}
	if n, _ := r.Node(itNode); n.Usage.Memory != 60<<30 {
		t.Errorf("node %+v", n)
	}
	fill, _ := r.Claim(itNamespace + "/" + itClaim)
	if fill.Level != usage.FillCritical || fill.Fraction < 0.90 || fill.Fraction > 0.92 || fill.Node != itNode {
		t.Errorf("claim fill %+v", fill)
	}

	// The limited user (pods in team-a only): both are forbidden, one
	// line each.
	limitedCfg, err := c.Config("limited")
	if err != nil {
		t.Fatal(err)
	}
	limited := runMonitor(t, ctx, limitedCfg)
	r = wait(t, ctx, limited, "forbidden", func(r *usage.Report) bool {
		return r.Metrics.State == usage.Forbidden && r.NodeMetrics.State == usage.Forbidden && r.Volumes.State == usage.Forbidden
	})
	if !strings.Contains(r.Volumes.Reason, "nodes/proxy") || strings.Contains(r.Volumes.Reason+r.Metrics.Reason, "\n") {
		t.Errorf("reasons %q / %q", r.Metrics.Reason, r.Volumes.Reason)
	}
}

// waitOr is wait with more to say when it times out.
func waitOr(t *testing.T, ctx context.Context, m *usage.Monitor, what string, cond func(*usage.Report) bool, more func() string) *usage.Report {
	t.Helper()
	for {
		if r := m.Latest(); cond(r) {
			return r
		}
		select {
		case <-ctx.Done():
			r := m.Latest()
			t.Fatalf("timed out waiting for %s: metrics %+v nodes %+v volumes %+v (%s)", what, r.Metrics, r.NodeMetrics, r.Volumes, more())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
