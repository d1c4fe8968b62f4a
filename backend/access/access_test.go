package access_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/watch"
)

func settled(t *testing.T) (*demo.Platform, *platform.Snapshot) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	fc := clocktesting.NewFakeClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 300); err != nil {
		t.Fatal(err)
	}
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sub := w.Subscribe(ctx)
	for {
		s := w.Snapshot()
		if s.Synced() && len(s.Services) == 10 && len(s.Ingresses) == 1 && len(s.Components) == 8 {
			return p, s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("never settled: %d services", len(s.Services))
		case <-sub:
		}
	}
}

func TestExposureCallsOutEveryWayIn(t *testing.T) {
	_, s := settled(t)
	var got []string
	for _, e := range access.Exposure(s) {
		got = append(got, e.Kind+" "+e.Namespace+"/"+e.Name+" "+strings.Join(e.Addresses, ",")+" → "+e.Target)
	}
	want := []string{
		"NodePort fraud-detection/fraud-scoring-rest <any node>:30081 → rest 8081",
		"LoadBalancer pravega/pravega-pravega-controller 203.0.113.10:10080,203.0.113.10:9090 → rest 10080, grpc 9090",
		"Ingress iot-analytics/sensor-aggregation https://flink.iot-analytics.example.com/ → sensor-aggregation-rest:8081",
	}
	if !slices.Equal(got, want) {
		t.Errorf("exposure:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEntriesFindDashboardsAndControllers(t *testing.T) {
	_, s := settled(t)
	entries := access.Entries(s, "https://api.example.com:6443")
	got := map[string][]string{}
	for _, e := range entries {
		got[e.What+" "+e.Namespace+"/"+e.Cluster] = e.How
	}
	tests := map[string]string{
		"Pravega controller REST pravega/pravega":          "203.0.113.10:10080",
		"Flink dashboard iot-analytics/sensor-aggregation": "https://flink.iot-analytics.example.com/",
		"Flink dashboard fraud-detection/fraud-scoring":    "<any node>:30081",
	}
	for what, first := range tests {
		how := got[what]
		if len(how) < 2 || how[0] != first {
			t.Errorf("%s: %v, want first %q", what, how, first)
		}
		if last := how[len(how)-1]; !strings.HasPrefix(last, "https://api.example.com:6443/api/v1/namespaces/") || !strings.HasSuffix(last, "/proxy/") {
			t.Errorf("%s: last way in %q is not the service proxy", what, last)
		}
	}
}

func TestReviewAsksTheServerPerNamespace(t *testing.T) {
	p, s := settled(t)
	ctx := context.Background()
	nss := access.Namespaces(s)
	if !slices.Equal(nss, []string{"fraud-detection", "iot-analytics", "pravega"}) {
		t.Fatalf("namespaces %v", nss)
	}
	m := access.Review(ctx, p.Clients().Typed, access.ConsoleChecks(s), nss)
	missing := m.Missing()
	if !slices.Equal(missing, []string{"patch flinkdeployments.flink.apache.org in fraud-detection"}) {
		t.Errorf("missing %v", missing)
	}
	p.ReadOnlyUser()
	m = access.Review(ctx, p.Clients().Typed, access.ConsoleChecks(s), nss)
	if n := len(m.Missing()); n != 3*5 { // patch on four resource kinds and claims, in three namespaces
		t.Errorf("read-only user: %d refusals: %v", n, m.Missing())
	}
	u, err := access.WhoAmI(ctx, p.Clients().Typed)
	if err != nil || u.String() != "oncall@example.com (platform-oncall)" {
		t.Errorf("who am I: %v %v", u, err)
	}
}

// TestPanicInAReviewIsItsCell: reviews run in goroutines of their own; a
// panic in one (here in the clientset) is that cell's error.
func TestPanicInAReviewIsItsCell(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a clienttesting.Action) (bool, runtime.Object, error) {
		ns := a.(clienttesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).Spec.ResourceAttributes.Namespace
		if ns == "b" {
			panic("injected in b")
		}
		return true, &authorizationv1.SelfSubjectAccessReview{Status: authorizationv1.SubjectAccessReviewStatus{Allowed: true}}, nil
	})
	m := access.Review(context.Background(), cs, []access.Check{{Verb: "get", Resource: "pods"}}, []string{"a", "b"})
	if a := m.Answers[0][0]; !a.Allowed || a.Err != "" {
		t.Errorf("namespace a: %+v", a)
	}
	if b := m.Answers[0][1]; b.Allowed || b.Err != "internal error: injected in b" {
		t.Errorf("namespace b: %+v", b)
	}
}
