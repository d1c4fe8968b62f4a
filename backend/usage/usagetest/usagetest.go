// Package usagetest serves what the usage monitor reads (metrics.k8s.io
// v1beta1 and a kubelet's stats summary) from a test's own server, and
// wires that server into the test cluster (backend/testcluster): a kwok
// node whose kubelet endpoint is the server, reached through the API
// server's node proxy and the cluster's egress proxy, and optionally the
// APIService v1beta1.metrics.k8s.io pointing at it. A test says what is
// served (pods and their containers' usage, the node's usage, claims'
// volumes with used and capacity bytes) and runs the real monitor against
// the cluster.
//
// Only tests import this package; the console binary does not carry it.
package usagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	"k8s.io/utils/ptr"

	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/usage"
)

// Serve is what the server answers.
type Serve struct {
	// Node names the node of the summary and of the node metrics.
	Node string
	// NodeUsage is the node's usage in metrics.k8s.io; nil serves no node.
	NodeUsage corev1.ResourceList
	// Pods are the pod metrics (listed in their namespaces and across all).
	Pods []Pod
	// Volumes are the claims' volumes of the kubelet summary.
	Volumes []Volume
}

// Pod is one pod's metrics.
type Pod struct {
	Name, Namespace string
	Containers      []Container
}

// Container is one container's usage.
type Container struct {
	Name  string
	Usage corev1.ResourceList
}

// Volume is a claim's volume as the kubelet reports it, under the pod
// that mounts it (in the claim's namespace).
type Volume struct {
	Pod, Namespace  string
	Name            string // the pod's volume name, e.g. ledger
	Claim           string // the PersistentVolumeClaim (pvcRef)
	Used, Available uint64
	Capacity        uint64
}

// Handler serves metrics.k8s.io/v1beta1 (discovery, pods, nodes) and a
// kubelet's /stats/summary with what s says, timestamped now.
func Handler(t testing.TB, s Serve) http.Handler {
	at := metav1.NewTime(time.Now().Truncate(time.Second))
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(v); err != nil {
			t.Errorf("usagetest: encode: %v", err)
		}
	}
	gv := metricsv1beta1.SchemeGroupVersion.String()
	window := metav1.Duration{Duration: 15 * time.Second}
	podsIn := func(ns string) *metricsv1beta1.PodMetricsList {
		l := &metricsv1beta1.PodMetricsList{TypeMeta: metav1.TypeMeta{Kind: "PodMetricsList", APIVersion: gv}, Items: []metricsv1beta1.PodMetrics{}}
		for _, p := range s.Pods {
			if ns != "" && p.Namespace != ns {
				continue
			}
			pm := metricsv1beta1.PodMetrics{TypeMeta: metav1.TypeMeta{Kind: "PodMetrics", APIVersion: gv},
				ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}, Timestamp: at, Window: window}
			for _, c := range p.Containers {
				pm.Containers = append(pm.Containers, metricsv1beta1.ContainerMetrics{Name: c.Name, Usage: c.Usage})
			}
			l.Items = append(l.Items, pm)
		}
		return l
	}
	nodes := &metricsv1beta1.NodeMetricsList{TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: gv}, Items: []metricsv1beta1.NodeMetrics{}}
	if s.NodeUsage != nil {
		nodes.Items = append(nodes.Items, metricsv1beta1.NodeMetrics{TypeMeta: metav1.TypeMeta{Kind: "NodeMetrics", APIVersion: gv},
			ObjectMeta: metav1.ObjectMeta{Name: s.Node}, Timestamp: at, Window: window, Usage: s.NodeUsage})
	}
	summary := usage.Summary{Node: usage.NodeRef{NodeName: s.Node}}
	for _, v := range s.Volumes {
		used, avail, capacity := v.Used, v.Available, v.Capacity
		vs := usage.VolumeStats{Name: v.Name, Time: at, PVCRef: &usage.PVCRef{Name: v.Claim, Namespace: v.Namespace},
			UsedBytes: &used, AvailableBytes: &avail, CapacityBytes: &capacity}
		i := 0
		for i < len(summary.Pods) && (summary.Pods[i].PodRef.Name != v.Pod || summary.Pods[i].PodRef.Namespace != v.Namespace) {
			i++
		}
		if i == len(summary.Pods) {
			summary.Pods = append(summary.Pods, usage.PodStats{PodRef: usage.PodReference{Name: v.Pod, Namespace: v.Namespace}})
		}
		summary.Pods[i].Volumes = append(summary.Pods[i].Volumes, vs)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1", func(w http.ResponseWriter, _ *http.Request) {
		write(w, &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv,
			APIResources: []metav1.APIResource{
				{Name: "nodes", Kind: "NodeMetrics", Verbs: metav1.Verbs{"get", "list"}},
				{Name: "pods", Namespaced: true, Kind: "PodMetrics", Verbs: metav1.Verbs{"get", "list"}},
			}})
	})
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/pods", func(w http.ResponseWriter, _ *http.Request) { write(w, podsIn("")) })
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods", func(w http.ResponseWriter, r *http.Request) {
		write(w, podsIn(r.PathValue("ns")))
	})
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/nodes", func(w http.ResponseWriter, _ *http.Request) { write(w, nodes) })
	mux.HandleFunc("GET /stats/summary", func(w http.ResponseWriter, _ *http.Request) { write(w, summary) })
	return mux
}

// Server is a running Handler (TLS, on 127.0.0.1), closed when the test
// ends.
type Server struct {
	Serve
	Port int
	srv  *httptest.Server
}

// Start starts the server of s.
func Start(t testing.TB, s Serve) *Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(Handler(t, s))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, portText, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("usagetest: server address: %v", err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatalf("usagetest: server port %q: %v", portText, err)
	}
	return &Server{Serve: s, Port: port, srv: srv}
}

// AddNode creates the kwok node s.Node whose kubelet is the server: kwok
// makes it Ready (with its own address and port), then the node's status
// is patched to name the server's port. The node proxy refuses loopback
// addresses ("address not allowed"), so the node gets a pod-range
// address, which the test cluster's egress proxy sends to 127.0.0.1
// (without the egress proxy, the cluster's backend address). The node is
// tainted so that nothing is scheduled on it by chance; a pod given its
// name in spec.nodeName runs there. It is deleted when the test ends.
func (s *Server) AddNode(t testing.TB, ctx context.Context, c *testcluster.Cluster, cs kubernetes.Interface) {
	t.Helper()
	nodeIP := "10.244.255.1"
	if c.Env["TESTCLUSTER_EGRESS"] != "1" {
		nodeIP = c.Env["TESTCLUSTER_BACKEND_IP"]
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: s.Node, Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{Taint}}}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("usagetest: create node %s: %v", s.Node, err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), s.Node, metav1.DeleteOptions{}) })
	for {
		n, err := cs.CoreV1().Nodes().Get(ctx, s.Node, metav1.GetOptions{})
		if err == nil && n.Status.DaemonEndpoints.KubeletEndpoint.Port != 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("usagetest: kwok never initialised the node %s (last error %v)", s.Node, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	patch := fmt.Sprintf(`{"status":{"addresses":[{"type":"InternalIP","address":%q},{"type":"Hostname","address":%q}],`+
		`"daemonEndpoints":{"kubeletEndpoint":{"Port":%d}}}}`, nodeIP, s.Node, s.Port)
	if _, err := cs.CoreV1().Nodes().Patch(ctx, s.Node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatalf("usagetest: point node %s at the server: %v", s.Node, err)
	}
}

// Taint is on the node AddNode makes; Toleration lets a pod run there.
var (
	Taint      = corev1.Taint{Key: "test.streamops.io/usage-server", Value: "true", Effect: corev1.TaintEffectNoSchedule}
	Toleration = corev1.Toleration{Key: Taint.Key, Operator: corev1.TolerationOpEqual, Value: Taint.Value, Effect: Taint.Effect}
)

// MetricsAPIService is the APIService RegisterMetricsAPI creates.
const MetricsAPIService = "v1beta1.metrics.k8s.io"

// RegisterMetricsAPI makes the server the cluster's metrics API: a
// Service without selector in ns (which must exist) whose endpoint the
// egress proxy maps to the server on 127.0.0.1, and the APIService
// pointing at it, deleted when the test ends. It returns the APIService's
// client, for a test to say what the aggregator thinks of it.
func (s *Server) RegisterMetricsAPI(t testing.TB, ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface, ns string) dynamic.NamespaceableResourceInterface {
	t.Helper()
	const name = "metrics-it"
	port := int32(s.Port)
	svc, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: port}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("usagetest: metrics service: %v", err)
	}
	if _, err := cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.250"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(port)}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("usagetest: metrics endpoint slice: %v", err)
	}
	if _, err := cs.CoreV1().Endpoints(ns).Create(ctx, &corev1.Endpoints{ //nolint:staticcheck // the aggregator may still read Endpoints
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.244.0.250"}}, //nolint:staticcheck
			Ports: []corev1.EndpointPort{{Name: "https", Port: port}}}}, //nolint:staticcheck
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("usagetest: metrics endpoints: %v", err)
	}
	apiServices := dyn.Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"})
	if _, err := apiServices.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": MetricsAPIService},
		"spec": map[string]any{"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
			"groupPriorityMinimum": int64(100), "versionPriority": int64(100),
			"service": map[string]any{"namespace": ns, "name": svc.Name, "port": int64(port)}},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("usagetest: APIService %s: %v", MetricsAPIService, err)
	}
	t.Cleanup(func() { _ = apiServices.Delete(context.Background(), MetricsAPIService, metav1.DeleteOptions{}) })
	return apiServices
}

// Proxied reads the node's summary through the API server's node proxy,
// for a test's failure message: what the monitor would read.
func (s *Server) Proxied(ctx context.Context, cs kubernetes.Interface) string {
	n, err := cs.CoreV1().Nodes().Get(ctx, s.Node, metav1.GetOptions{})
	if err != nil {
		return fmt.Sprintf("node %s: %v", s.Node, err)
	}
	body, err := cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/" + s.Node + "/proxy/stats/summary").DoRaw(ctx)
	return fmt.Sprintf("node %v %v; proxy %q %v", n.Status.Addresses, n.Status.DaemonEndpoints, body, err)
}
