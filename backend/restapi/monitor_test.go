package restapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/restapitest"
)

func seedFlink() *fakeapi.Flink {
	f := fakeapi.NewFlink(func() time.Time { return t0 }, fakeapi.Overview{TaskManagers: 2, SlotsTotal: 4, SlotsAvailable: 1, Version: "1.19.1"})
	f.AddJob(fakeapi.Job{ID: "0123456789abcdef0123456789abcdef", Name: "agg", Start: t0.Add(-time.Hour),
		Vertices: []fakeapi.Vertex{{ID: "00000000000000000000000000000001", Name: "src", Parallelism: 2}}})
	return f
}

// counting counts requests, to show that nothing is read before Activate.
type counting struct {
	n atomic.Int64
	h http.Handler
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.n.Add(1); c.h.ServeHTTP(w, r) }

func next(t *testing.T, m *restapi.Monitor, ok func(restapi.Report) bool) restapi.Report {
	t.Helper()
	return awaitReport(t, m, "a matching report", ok)
}

// waitTimer waits until the monitor's loop sleeps on the fake clock.
func waitTimer(t *testing.T, fc *clocktesting.FakeClock) {
	t.Helper()
	for i := 0; i < 1000 && !fc.HasWaiters(); i++ {
		time.Sleep(2 * time.Millisecond)
	}
	if !fc.HasWaiters() {
		t.Fatal("monitor is not waiting")
	}
}

func TestMonitor(t *testing.T) {
	p, f := seedPravega(), seedFlink()
	pc := &counting{h: p.Handler()}
	psrv := serveChecked(t, restapitest.Pravega, pc)
	fsrv := serveChecked(t, restapitest.Flink, f.Handler())
	fc := clocktesting.NewFakeClock(t0)
	m := restapi.NewMonitor(restapi.Config{
		Overrides: []restapi.Override{
			{Target: restapi.Target{API: restapi.Pravega, Namespace: "pravega", Name: "pravega"}, URL: psrv.URL},
			{Target: restapi.Target{API: restapi.Flink, Namespace: "iot", Name: "agg"}, URL: fsrv.URL},
			{Target: restapi.Target{API: restapi.Flink, Namespace: "iot", Name: "broken"}, URL: "ftp://user:pw12345@x"},
		},
		Clock: fc, Interval: 5 * time.Second, MaxBackoff: 30 * time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Not shown yet: nothing is read.
	time.Sleep(50 * time.Millisecond)
	if pc.n.Load() != 0 {
		t.Fatal("monitor read before Activate")
	}
	m.Activate()
	r := next(t, m, func(r restapi.Report) bool {
		return len(r.Pravega) == 1 && r.Pravega[0].Inventory != nil && len(r.Flink) == 2 && r.Flink[0].Cluster != nil && !r.Flink[1].Reading
	})
	ps := r.Pravega[0]
	if ps.Route.Where() != "direct "+psrv.URL || ps.Err != nil || !ps.Updated.Equal(t0) || !ps.NextTry.Equal(t0.Add(5*time.Second)) {
		t.Errorf("pravega section %+v", ps.Section)
	}
	if len(ps.Inventory.Scopes) != 1 || len(ps.Inventory.Scopes[0].Streams) != 2 {
		t.Errorf("inventory %+v", ps.Inventory)
	}
	broken := r.Flink[1]
	if broken.Target.Name != "broken" || broken.Err == nil || !strings.Contains(broken.Err.Error(), "scheme must be http or https") || strings.Contains(broken.Route.Where(), "pw12345") {
		t.Errorf("broken override: %+v", broken.Section)
	}
	if fl := r.Flink[0]; fl.Err != nil || fl.Cluster.Overview.SlotsTotal != 4 || len(fl.Cluster.Jobs) != 1 {
		t.Errorf("flink section %+v", fl)
	}

	// The Pravega controller starts failing: the error shows in its section
	// only, the last inventory is kept, and retries back off 10s, 20s, 30s.
	p.Inject("/v1/scopes", fakeapi.Fault{Kind: fakeapi.ServerError})
	var at time.Time
	for i, wait := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second} {
		waitTimer(t, fc)
		fc.Step(wait)
		at = fc.Now()
		r = next(t, m, func(r restapi.Report) bool { return r.Pravega[0].Failures == i+1 && !r.Pravega[0].Reading })
		ps = r.Pravega[0]
		want := restapi.Backoff(5*time.Second, i+1, 30*time.Second)
		if !ps.NextTry.Equal(at.Add(want)) || ps.Err == nil || !strings.Contains(ps.Err.Error(), "500 Internal Server Error") || ps.Inventory == nil {
			t.Errorf("failure %d: next %v (want +%v), err %v", i+1, ps.NextTry.Sub(at), want, ps.Err)
		}
		if r.Flink[0].Err != nil {
			t.Errorf("flink affected: %v", r.Flink[0].Err)
		}
	}
	// Refresh reads at once; the controller is back.
	p.ClearFaults()
	m.Refresh()
	r = next(t, m, func(r restapi.Report) bool {
		return r.Pravega[0].Err == nil && r.Pravega[0].Failures == 0 && !r.Pravega[0].Reading
	})
	if !r.Pravega[0].Updated.Equal(at) {
		t.Errorf("updated %v", r.Pravega[0].Updated)
	}

	// Hidden: no request starts, however long it waits; shown again, every
	// endpoint is read at once.
	m.Deactivate()
	time.Sleep(20 * time.Millisecond) // let the loop see it
	before := pc.n.Load()
	fc.Step(time.Minute)
	time.Sleep(50 * time.Millisecond)
	if got := pc.n.Load(); got != before {
		t.Fatalf("%d requests while deactivated", got-before)
	}
	m.Activate()
	next(t, m, func(r restapi.Report) bool { return r.Pravega[0].Updated.Equal(fc.Now()) && !r.Pravega[0].Reading })

	// The scaling history of a stream is read on demand.
	h, err := m.Scaling(context.Background(), restapi.Target{API: restapi.Pravega, Namespace: "pravega", Name: "pravega"}, "iot", "sensors")
	if n, ok := h.Segments(); err != nil || !ok || n != 2 {
		t.Errorf("scaling %+v %v", h, err)
	}
}

func TestMonitorObserve(t *testing.T) {
	fc := clocktesting.NewFakeClock(t0)
	m := restapi.NewMonitor(restapi.Config{Clock: fc})
	snap := &platform.Snapshot{Components: []*platform.Component{
		{Kind: platform.Controller, Namespace: "pravega", Cluster: "pravega", Source: platform.Ref{Kind: "PravegaCluster"}},
		{Kind: platform.FlinkJobManager, Namespace: "iot", Cluster: "agg", Source: platform.Ref{Kind: "FlinkDeployment"}},
	}}
	m.Observe(snap)
	if got := m.Targets(); len(got) != 2 || got[0].String() != "pravega:pravega/pravega" {
		t.Fatalf("targets %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	m.Activate()
	// No service proxy (the demo) and no URL: each section says so.
	r := next(t, m, func(r restapi.Report) bool {
		return len(r.Flink) == 1 && r.Flink[0].Err != nil && r.Pravega[0].Err != nil
	})
	if !strings.Contains(r.Flink[0].Err.Error(), "no direct URL given") || r.Flink[0].Route.Via != restapi.ViaNone {
		t.Errorf("flink section %+v", r.Flink[0].Section)
	}
	// The Flink deployment goes away.
	m.Observe(&platform.Snapshot{Components: snap.Components[:1]})
	r = next(t, m, func(r restapi.Report) bool { return len(r.Flink) == 0 })
	if len(r.Pravega) != 1 {
		t.Errorf("pravega dropped: %+v", r)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{{0, 5 * time.Second}, {1, 10 * time.Second}, {2, 20 * time.Second}, {5, 2 * time.Minute}, {60, 2 * time.Minute}} {
		if got := restapi.Backoff(5*time.Second, tc.failures, 2*time.Minute); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}

// TestMonitorKeepsSecretsOut: a failing endpoint whose URL carries a
// password and a token in its query, with a bearer token, is reported and
// logged without any of them.
func TestMonitorKeepsSecretsOut(t *testing.T) {
	var logged strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), nil))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// an endpoint that echoes what it got into its error
		http.Error(w, "bad credentials for "+r.URL.String()+" with "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://ops:hunter2-pw@", 1) + "/?token=qu3ry-t0ken"
	m := restapi.NewMonitor(restapi.Config{Log: log, Overrides: []restapi.Override{
		{Target: restapi.Target{API: restapi.Flink, Namespace: "iot", Name: "agg"}, URL: u, Token: "b3arer-s3cret", TokenFile: "/secret/token"},
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	m.Activate()
	r := next(t, m, func(r restapi.Report) bool { return r.Flink[0].Err != nil })
	shown := r.Flink[0].Err.Error() + " " + r.Flink[0].Route.Where()
	mu.Lock()
	text := logged.String()
	mu.Unlock()
	if !strings.Contains(text, "REST endpoint failed") || !strings.Contains(shown, "401 Unauthorized") {
		t.Fatalf("not reported: %q / %q", shown, text)
	}
	t.Logf("shown: %s", shown)
	for _, secret := range []string{"hunter2-pw", "qu3ry-t0ken", "b3arer-s3cret"} {
		if strings.Contains(shown, secret) || strings.Contains(text, secret) {
			t.Errorf("%q leaked:\nshown: %s\nlogged: %s", secret, shown, text)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
