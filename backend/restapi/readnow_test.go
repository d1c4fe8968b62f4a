package restapi_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/restapitest"
)

const aggJob = "0123456789abcdef0123456789abcdef"

func flinkMonitor(t *testing.T, f *fakeapi.Flink, fc *clocktesting.FakeClock) (*restapi.Monitor, *checked) {
	t.Helper()
	srv := serveChecked(t, restapitest.Flink, f.Handler())
	m := restapi.NewMonitor(restapi.Config{
		Overrides: []restapi.Override{{Target: restapi.Target{API: restapi.Flink, Namespace: "iot", Name: "agg"}, URL: srv.URL}},
		Clock:     fc, Interval: 5 * time.Second, Timeout: time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m, srv
}

func (c *checked) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.paths)
}

// TestReadNow: a monitor that was never activated (the streams pane never
// opened) reads every endpoint once when asked and returns their jobs; it
// stays inactive afterwards. A read that outlasts ctx returns what there
// is, and the endpoint is read again next time (not left "reading").
func TestReadNow(t *testing.T) {
	f := seedFlink()
	fc := clocktesting.NewFakeClock(t0)
	m, srv := flinkMonitor(t, f, fc)
	time.Sleep(20 * time.Millisecond)
	if n := len(srv.requests()); n != 0 {
		t.Fatalf("%d requests before anyone asked", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := m.ReadNow(ctx)
	if len(r.Flink) != 1 || r.Flink[0].Err != nil || r.Flink[0].Cluster == nil || len(r.Flink[0].Cluster.Jobs) != 1 || r.Flink[0].Reading {
		t.Fatalf("report %+v", r.Flink)
	}
	if j := r.Flink[0].Cluster.Jobs[0]; j.Name != "agg" || j.Checkpoints == nil || !j.Restarts.Known {
		t.Errorf("job %+v", j)
	}
	n := len(srv.requests())
	fc.Step(time.Minute) // still inactive: no read of its own
	time.Sleep(50 * time.Millisecond)
	if got := len(srv.requests()); got != n {
		t.Errorf("%d requests after ReadNow while inactive", got-n)
	}

	f.Inject("/jobs/overview", fakeapi.Fault{Kind: fakeapi.Slow, Delay: 5 * time.Second})
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	start := time.Now()
	m.ReadNow(short)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("ReadNow took %v past its deadline", d)
	}
	f.ClearFaults()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	r = m.ReadNow(ctx2)
	if r.Flink[0].Reading || !r.Flink[0].Updated.Equal(fc.Now()) {
		t.Errorf("after an abandoned read: %+v", r.Flink[0].Section)
	}
}

// TestRestartsInTheHour: the monitor counts a job's restarts over the last
// hour from its numRestarts readings.
func TestRestartsInTheHour(t *testing.T) {
	f := fakeapi.NewFlink(func() time.Time { return t0 }, fakeapi.Overview{Version: "1.19.1"})
	f.AddJob(fakeapi.Job{ID: aggJob, Name: "agg", Start: t0.Add(-48 * time.Hour)})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetRestarts(aggJob, 5)) // before the console looked
	fc := clocktesting.NewFakeClock(t0)
	m, _ := flinkMonitor(t, f, fc)
	read := func() (int64, time.Time) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r := m.ReadNow(ctx)
		j := r.Flink[0].Cluster.Jobs[0]
		return restapi.RecentRestarts(&j, fc.Now())
	}
	if n, _ := read(); n != 0 {
		t.Errorf("restarts before the console looked counted: %d", n)
	}
	fc.Step(10 * time.Minute)
	must(f.SetRestarts(aggJob, 6))
	n, since := read()
	if n != 1 || !since.Equal(t0) {
		t.Errorf("%d restarts since %v", n, since)
	}
	if fs := restapi.DefaultThresholds.JobFindings(&m.Latest().Flink[0].Cluster.Jobs[0], fc.Now()); len(fs) != 1 || fs[0].Text != "restarted 1× in the last 10m00s" {
		t.Errorf("findings %+v", fs)
	}
	fc.Step(65 * time.Minute) // the restart is more than an hour ago
	if n, since := read(); n != 0 || !since.Equal(fc.Now().Add(-time.Hour)) {
		t.Errorf("%d restarts since %v, want none in the last hour", n, since)
	}
}

// TestFocus: while the pane is shown, the job the user looks at gets its
// exception history and its vertices' back-pressure read; another job
// does not; without focus neither is read. ReadNow (the triage report)
// reads them for every running job.
func TestFocus(t *testing.T) {
	f := seedFlink()
	other := "fedcba9876543210fedcba9876543210"
	f.AddJob(fakeapi.Job{ID: other, Name: "other", Start: t0.Add(-time.Hour), Vertices: []fakeapi.Vertex{{ID: "00000000000000000000000000000009", Name: "v", Parallelism: 1}}})
	_ = f.Restart(aggJob, fakeapi.Exception{Name: "java.io.IOException", At: t0.Add(-time.Minute), Stack: "boom"})
	f.SetTaskManager(fakeapi.TaskManager{ID: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", Host: "10.0.0.7:6122", Slots: 2, Jobs: []string{aggJob}, HeapUsed: 1 << 30, HeapMax: 1 << 30})
	fc := clocktesting.NewFakeClock(t0)
	m, srv := flinkMonitor(t, f, fc)
	target := restapi.Target{API: restapi.Flink, Namespace: "iot", Name: "agg"}
	focusRequests := func() []string {
		var asked []string
		for _, p := range srv.requests() {
			if strings.Contains(p, "/exceptions") || strings.Contains(p, "/backpressure") || strings.Contains(p, "/taskmanagers") {
				asked = append(asked, p)
			}
		}
		return asked
	}
	m.Activate()
	r := next(t, m, func(r restapi.Report) bool { return r.Flink[0].Cluster != nil && !r.Flink[0].Reading })
	for _, j := range r.Flink[0].Cluster.Jobs {
		if j.Exceptions != nil || j.Vertices[0].BackPressure != nil {
			t.Errorf("%s read without focus", j.Name)
		}
	}
	if asked := focusRequests(); len(asked) != 0 {
		t.Errorf("requests without focus: %v", asked)
	}
	m.Focus(target, aggJob) // read at once, not at the next interval
	r = next(t, m, func(r restapi.Report) bool {
		if r.Flink[0].Cluster == nil || r.Flink[0].Reading {
			return false
		}
		for _, j := range r.Flink[0].Cluster.Jobs {
			if j.ID == aggJob && j.Exceptions != nil {
				return true
			}
		}
		return false
	})
	for _, j := range r.Flink[0].Cluster.Jobs {
		focused := j.ID == aggJob
		if (j.Exceptions != nil) != focused || (j.Vertices[0].BackPressure != nil) != focused {
			t.Errorf("%s: exceptions %v, back-pressure %v", j.Name, j.Exceptions, j.Vertices[0].BackPressure)
		}
		if focused && (len(j.Exceptions.Entries) != 1 || j.Exceptions.Entries[0].Name != "java.io.IOException") {
			t.Errorf("exceptions %+v", j.Exceptions)
		}
		if (len(j.TaskManagers) == 1) != focused || j.TaskManagersErr != nil {
			t.Errorf("%s: TaskManagers %+v %v", j.Name, j.TaskManagers, j.TaskManagersErr)
		}
	}
	if asked := focusRequests(); len(asked) != 4 || strings.Contains(strings.Join(asked, " "), other) {
		t.Errorf("focus requests %v", asked)
	}
	m.Focus(restapi.Target{}, "")
	waitTimer(t, fc)
	fc.Step(5 * time.Second)
	r = next(t, m, func(r restapi.Report) bool { return !r.Flink[0].Reading && r.Flink[0].Updated.Equal(fc.Now()) })
	for _, j := range r.Flink[0].Cluster.Jobs {
		if j.Exceptions != nil {
			t.Errorf("%s still read after focus ended", j.Name)
		}
	}
	m.Deactivate()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, j := range m.ReadNow(ctx).Flink[0].Cluster.Jobs {
		if j.Exceptions == nil || j.Vertices[0].BackPressure == nil {
			t.Errorf("ReadNow left out %s's exceptions or back-pressure", j.Name)
		}
		if j.ID == aggJob && (len(j.TaskManagers) != 1 || restapi.DefaultThresholds.JobVerdict(&j, t0).Findings[0].Problem != restapi.HeapNearLimit) {
			t.Errorf("ReadNow: %s's TaskManagers %+v, verdict %+v", j.Name, j.TaskManagers, restapi.DefaultThresholds.JobVerdict(&j, t0))
		}
	}
}
