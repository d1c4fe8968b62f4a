package usage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/streamops/streamops/backend/kube"
)

// summaryJSON is trimmed from a real kubelet's /stats/summary.
const summaryJSON = `{
 "node": {"nodeName": "worker-1", "fs": {"usedBytes": 1}},
 "pods": [
  {"podRef": {"name": "bookkeeper-bookie-0", "namespace": "pravega", "uid": "u0"},
   "containers": [{"name": "bookie", "memory": {"workingSetBytes": 123}}],
   "volume": [
    {"time": "2026-12-04T09:00:00Z", "availableBytes": 966367641, "capacityBytes": 10737418240, "usedBytes": 9771050599,
     "inodesFree": 1, "name": "ledger", "pvcRef": {"name": "ledger-bookkeeper-bookie-0", "namespace": "pravega"}},
    {"time": "2026-12-04T09:00:00Z", "usedBytes": 4096, "name": "kube-api-access-x"}
   ]},
  {"podRef": {"name": "no-volumes", "namespace": "pravega", "uid": "u1"}}
 ]}`

func TestNodeProxyReadsAndDecodesTheSummary(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/nodes/worker-1/proxy/stats/summary":
			_, _ = w.Write([]byte(summaryJSON))
		case "/api/v1/nodes/worker-2/proxy/stats/summary":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,` +
				`"message":"nodes \"worker-2\" is forbidden: User \"dev\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope"}`))
		default:
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("{not json"))
		}
	}))
	defer srv.Close()
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := NodeProxy{Client: cs}
	s, err := p.Summary(context.Background(), "worker-1")
	if err != nil {
		t.Fatal(err)
	}
	vols := map[string]volumeStat{}
	volumesOf(vols, "worker-1", s, epoch)
	v, ok := vols["pravega/ledger-bookkeeper-bookie-0"]
	if len(vols) != 1 || !ok || v.used != 9771050599 || v.capacity != 10737418240 || v.pod != "bookkeeper-bookie-0" || !v.seen.Equal(epoch) {
		t.Fatalf("volumes %+v", vols)
	}
	if f, level := fillFraction(v.used, v.available, v.capacity); level != FillCritical || f < 0.90 || f > 0.92 {
		t.Errorf("fill %v %v", f, level)
	}

	_, err = p.Summary(context.Background(), "worker-2")
	if !apierrors.IsForbidden(err) {
		t.Fatalf("forbidden read: %v", err)
	}
	state, reason := classify("volume fill", err)
	if state != Forbidden || !strings.Contains(reason, "nodes/proxy") || strings.Contains(reason, "\n") {
		t.Errorf("classified %v %q", state, reason)
	}

	if _, err := p.Summary(context.Background(), "worker-3"); err == nil || !strings.Contains(err.Error(), "node worker-3") {
		t.Errorf("bad body: %v", err)
	}
	if len(paths) != 3 {
		t.Errorf("paths %v", paths)
	}
}

func TestClientsForNeedsAConnection(t *testing.T) {
	if _, _, err := ClientsFor(&kube.Clients{}); err == nil {
		t.Error("clients without a rest.Config")
	}
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mc, sr, err := ClientsFor(&kube.Clients{Config: cfg, Typed: cs})
	if err != nil || mc == nil || sr.(NodeProxy).Client != cs {
		t.Errorf("clients %v %v %v", mc, sr, err)
	}
}
