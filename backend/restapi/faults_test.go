package restapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
	"github.com/streamops/streamops/backend/restapi/wire"
	"github.com/streamops/streamops/backend/testcluster"
)

// restFault is one way a REST endpoint misbehaves, and what the console
// must say about it.
type restFault struct {
	name  string
	fault fakeapi.Fault
	kind  restapi.ErrorKind // when the error is a *restapi.Error; -1: a decode error
	msg   string            // substring of the one-line error
}

// restFaults are the endpoint faults of issue 8: hang, reset, 500,
// malformed JSON (cut, and a body that is not JSON at all).
func restFaults(timeout time.Duration) []restFault {
	within := "no answer within " + timeout.String()
	return []restFault{
		{"hang after half the body", fakeapi.Fault{Kind: fakeapi.Hang}, restapi.Timeout, within},
		{"no answer", fakeapi.Fault{Kind: fakeapi.Slow, Delay: time.Minute}, restapi.Timeout, within},
		{"connection reset", fakeapi.Fault{Kind: fakeapi.Reset}, restapi.Unreachable, "connection reset by peer"},
		{"500", fakeapi.Fault{Kind: fakeapi.ServerError}, restapi.HTTPStatus, "500 Internal Server Error: injected failure"},
		{"malformed JSON", fakeapi.Fault{Kind: fakeapi.Malformed}, -1, "malformed JSON at byte"},
		{"not JSON", fakeapi.Fault{Kind: fakeapi.Garbage}, -1, "malformed JSON at byte 1: invalid character '<'"},
	}
}

// checkFault checks an error against a fault: kind, text, one line.
func checkFault(t *testing.T, f restFault, path string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", f.name)
	}
	text := err.Error()
	var e *restapi.Error
	switch {
	case f.kind < 0:
		var pde *wire.DecodeError
		if !errors.As(err, &pde) && !strings.Contains(text, "malformed JSON") {
			t.Errorf("%s: %v, want a decode error", f.name, err)
		}
	case !errors.As(err, &e) || e.Kind != f.kind:
		t.Errorf("%s: %v (%+v), want kind %d", f.name, err, e, f.kind)
	}
	if !strings.HasPrefix(text, "GET "+path+": ") || !strings.Contains(text, f.msg) || strings.ContainsAny(text, "\r\n") {
		t.Errorf("%s: error %q, want one line starting GET %s and containing %q", f.name, text, path, f.msg)
	}
}

// TestRESTFaultsDirect: a direct URL that hangs, resets, fails or answers
// garbage yields one line saying so, within the request timeout, from both
// the Pravega and the Flink client.
func TestRESTFaultsDirect(t *testing.T) {
	const timeout = 300 * time.Millisecond
	pv, fl := seedPravega(), seedFlink()
	pvSrv, flSrv := httptest.NewServer(pv.Handler()), httptest.NewServer(fl.Handler())
	t.Cleanup(pvSrv.Close)
	t.Cleanup(flSrv.Close)
	pg, err := restapi.NewDirectGetter(pvSrv.URL, "", timeout, &restapi.Redactor{})
	if err != nil {
		t.Fatal(err)
	}
	fg, err := restapi.NewDirectGetter(flSrv.URL, "", timeout, &restapi.Redactor{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range restFaults(timeout) {
		t.Run(f.name, func(t *testing.T) {
			pv.ClearFaults()
			fl.ClearFaults()
			pv.Inject("/v1/scopes", f.fault)
			fl.Inject("/jobs/overview", f.fault)

			begin := time.Now()
			_, err := pravega.New(pg).Inventory(context.Background(), true)
			took := time.Since(begin)
			checkFault(t, f, "/v1/scopes", err)
			// Bounded: one request's timeout plus slack for a loaded machine,
			// never the fault's own delay (a minute).
			if took > timeout+5*time.Second {
				t.Errorf("pravega: took %s with a %s timeout", took, timeout)
			}

			begin = time.Now()
			_, err = flink.New(fg).Read(context.Background())
			took = time.Since(begin)
			checkFault(t, f, "/jobs/overview", err)
			if took > timeout+5*time.Second {
				t.Errorf("flink: took %s with a %s timeout", took, timeout)
			}
			t.Logf("%s: %v", f.name, err)
		})
	}
}

// TestRESTFaultsThroughServiceProxy: the same faults behind a real
// kube-apiserver's service proxy (the default route), with the proxy's own
// way of saying them.
func TestRESTFaultsThroughServiceProxy(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := clientFor(t, c, "admin")
	pv, fl := seedPravega(), seedFlink()
	pvBackend, flBackend := serveForCluster(t, c, pv.Handler()), serveForCluster(t, c, fl.Handler())
	expose(t, ctx, c, admin, "faults-it", "pravega-pravega-controller",
		map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-controller"}, "rest", 10080, pvBackend)
	expose(t, ctx, c, admin, "faults-it", "agg-rest",
		map[string]string{"app": "agg", "component": "jobmanager", "type": "flink-native-kubernetes"}, "rest", 8081, flBackend)

	const timeout = 2 * time.Second
	getter := func(svc string) *restapi.ProxyGetter {
		return &restapi.ProxyGetter{Client: admin, Namespace: "faults-it", Service: svc, Port: "rest", Timeout: timeout, Redact: &restapi.Redactor{}}
	}
	pc, fc := pravega.New(getter("pravega-pravega-controller")), flink.New(getter("agg-rest"))
	// Healthy first, so that a failure below is the fault's.
	if _, err := pc.Inventory(ctx, true); err != nil {
		t.Fatalf("pravega through the proxy: %v", err)
	}
	if _, err := fc.Read(ctx); err != nil {
		t.Fatalf("flink through the proxy: %v", err)
	}
	for _, f := range restFaults(timeout) {
		if f.fault.Kind == fakeapi.Reset {
			// The apiserver answers for the backend that reset: 503 with its
			// own message (the egress proxy's connection ended).
			f.kind, f.msg = restapi.Unreachable, "error trying to reach service: "
		}
		if f.kind == restapi.Timeout {
			f.msg = "no answer within " + timeout.String() + " (service proxy)"
		}
		t.Run(f.name, func(t *testing.T) {
			pv.ClearFaults()
			fl.ClearFaults()
			pv.Inject("/v1/scopes", f.fault)
			fl.Inject("/jobs/overview", f.fault)

			begin := time.Now()
			_, err := pc.Inventory(ctx, true)
			took := time.Since(begin)
			checkFault(t, f, "/v1/scopes", err)
			if took > timeout+5*time.Second {
				t.Errorf("pravega: took %s with a %s timeout", took, timeout)
			}
			begin = time.Now()
			_, err = fc.Read(ctx)
			took = time.Since(begin)
			checkFault(t, f, "/jobs/overview", err)
			if took > timeout+5*time.Second {
				t.Errorf("flink: took %s with a %s timeout", took, timeout)
			}
			t.Logf("%s: %v (%s)", f.name, err, took.Round(time.Millisecond))
		})
	}
}

// TestPanicWhileReadingBecomesSectionError: a fake clientset has no REST
// client behind its service proxy, so reading through it dereferences nil:
// in the monitor's goroutine (Pravega's first request) and in the Flink
// client's own goroutines. Each becomes its section's error, the monitor
// keeps running, and nothing ends the program.
func TestPanicWhileReadingBecomesSectionError(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("list", "services", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "services"}, "", errors.New("no"))
	})
	snap := &platform.Snapshot{Seq: 1, Components: []*platform.Component{
		{Kind: platform.Controller, Namespace: "pravega", Cluster: "pravega", Source: platform.Ref{Kind: "PravegaCluster"}},
		{Kind: platform.FlinkJobManager, Namespace: "analytics", Cluster: "agg", Source: platform.Ref{Kind: "FlinkDeployment"}},
	}}
	m := runMonitor(t, restapi.Config{ServiceProxy: cs, Interval: time.Hour, Timeout: time.Second}, snap)
	r := awaitReport(t, m, "both sections failed", func(r restapi.Report) bool {
		return len(r.Pravega) == 1 && r.Pravega[0].Err != nil && len(r.Flink) == 1 && r.Flink[0].Err != nil
	})
	for _, sec := range []restapi.Section{r.Pravega[0].Section, r.Flink[0].Section} {
		text := sec.Err.Error()
		if !strings.HasPrefix(text, "internal error reading "+sec.Target.String()+": ") || !strings.Contains(text, "nil pointer dereference") || strings.Contains(text, "\n") {
			t.Errorf("%s: %q, want one line naming the internal error", sec.Target, text)
		}
		if sec.Reading || sec.Failures != 1 {
			t.Errorf("%s: reading %v failures %d", sec.Target, sec.Reading, sec.Failures)
		}
	}
	// Still running: a refresh reads again (and fails again).
	m.Refresh()
	awaitReport(t, m, "a second read", func(r restapi.Report) bool {
		return len(r.Pravega) == 1 && r.Pravega[0].Failures == 2 && r.Flink[0].Failures == 2
	})
}
