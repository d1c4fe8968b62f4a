package demo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/restapitest"
)

// validatedGet fetches base+path (with basic authentication when a user
// and password are given) and validates the answer against the upstream
// API document.
func validatedGet(t *testing.T, doc *restapitest.Document, base, path string, userPassword ...string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if len(userPassword) == 2 {
		req.SetBasicAuth(userPassword[0], userPassword[1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if err := doc.Validate(httptest.NewRequest("GET", path, nil), res.StatusCode, res.Header, body); err != nil {
		t.Error(err)
	}
	if res.StatusCode != 200 {
		t.Errorf("GET %s: %d", path, res.StatusCode)
	}
	return body
}

// TestDemoRESTFollowsSpecs walks the demo's REST APIs and validates every
// answer against the upstream documents.
func TestDemoRESTFollowsSpecs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	eps, err := p.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The Controller requires the credentials of the demo's Secret.
	sec, err := p.Clients().Typed.CoreV1().Secrets(demo.StoreNamespace).Get(ctx, demo.RESTSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	user, pass := string(sec.Data["username"]), string(sec.Data["password"])
	pdoc, fdoc, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 3 {
		t.Fatalf("endpoints %v", eps)
	}
	for _, ep := range eps {
		if ep.Target.API == restapi.Pravega {
			if res, err := http.Get(ep.URL + "/v1/scopes"); err != nil || res.StatusCode != http.StatusUnauthorized {
				t.Errorf("without credentials: %v %v, want 401", res, err)
			} else {
				res.Body.Close()
			}
			var scopes struct{ Scopes []struct{ ScopeName string } }
			_ = json.Unmarshal(validatedGet(t, pdoc, ep.URL, "/v1/scopes", user, pass), &scopes)
			for _, s := range scopes.Scopes {
				validatedGet(t, pdoc, ep.URL, "/v1/scopes/"+s.ScopeName+"/streams", user, pass)
				validatedGet(t, pdoc, ep.URL, "/v1/scopes/"+s.ScopeName+"/streams?filter_type=showInternalStreams", user, pass)
				var groups struct {
					ReaderGroups []struct{ ReaderGroupName string }
				}
				_ = json.Unmarshal(validatedGet(t, pdoc, ep.URL, "/v1/scopes/"+s.ScopeName+"/readergroups", user, pass), &groups)
				for _, g := range groups.ReaderGroups {
					validatedGet(t, pdoc, ep.URL, "/v1/scopes/"+s.ScopeName+"/readergroups/"+g.ReaderGroupName, user, pass)
				}
			}
			validatedGet(t, pdoc, ep.URL, "/v1/health", user, pass)
			validatedGet(t, pdoc, ep.URL, "/v1/scopes/iot/streams/sensor-readings/scaling-events?from=0&to="+strconv.FormatInt(epoch.UnixMilli(), 10), user, pass)
			continue
		}
		validatedGet(t, fdoc, ep.URL, "/overview")
		var tms struct{ TaskManagers []struct{ ID string } }
		_ = json.Unmarshal(validatedGet(t, fdoc, ep.URL, "/taskmanagers"), &tms)
		if len(tms.TaskManagers) == 0 {
			t.Errorf("%s: no TaskManager", ep.Target)
		}
		for _, tm := range tms.TaskManagers {
			validatedGet(t, fdoc, ep.URL, "/taskmanagers/"+tm.ID)
		}
		var jobs struct{ Jobs []struct{ JID string } }
		_ = json.Unmarshal(validatedGet(t, fdoc, ep.URL, "/jobs/overview"), &jobs)
		for _, j := range jobs.Jobs {
			validatedGet(t, fdoc, ep.URL, "/jobs/"+j.JID+"/checkpoints")
			validatedGet(t, fdoc, ep.URL, "/jobs/"+j.JID+"/metrics?get=numRestarts")
			validatedGet(t, fdoc, ep.URL, "/jobs/"+j.JID+"/exceptions?maxExceptions=10")
			var details struct{ Vertices []struct{ ID string } }
			_ = json.Unmarshal(validatedGet(t, fdoc, ep.URL, "/jobs/"+j.JID), &details)
			for _, v := range details.Vertices {
				validatedGet(t, fdoc, ep.URL, "/jobs/"+j.JID+"/vertices/"+v.ID+"/watermarks")
				validatedGet(t, fdoc, ep.URL, "/jobs/"+j.JID+"/vertices/"+v.ID+"/backpressure")
			}
		}
	}
}

// TestDemoREST reads the demo through the streams backend: streams that
// scale, a job that lags, a job whose checkpoints fail.
func TestDemoREST(t *testing.T) {
	ctx, fc, m := demoMonitor(t)
	var r restapi.Report
	for r.Pravega == nil || r.Pravega[0].Inventory == nil || r.Flink[0].Cluster == nil || r.Flink[1].Cluster == nil {
		select {
		case r = <-m.Reports():
		case <-time.After(10 * time.Second):
			t.Fatalf("no complete report: %+v", r)
		}
	}
	if got := r.Pravega[0].Auth; got != "basic auth from Secret pravega/streamops-rest" {
		t.Errorf("auth %q", got)
	}
	inv := r.Pravega[0].Inventory
	user, internal := inv.Streams()
	if user != 9 || internal < 6 || len(inv.Scopes) != 4 {
		t.Errorf("streams user %d internal %d, scopes %d", user, internal, len(inv.Scopes))
	}
	// FlinkSections are sorted by namespace: fraud-detection, iot-analytics.
	fraud, sensor := r.Flink[0].Cluster, r.Flink[1].Cluster
	sj := sensor.Jobs[0]
	if s := sj.Slowest(); s < 0 || sj.Vertices[s].Watermark.Lag(epoch) < time.Minute {
		t.Errorf("sensor-aggregation does not lag: slowest %d %+v", s, sj.Vertices)
	}
	if sensor.Overview.TaskManagers != 3 || sensor.Overview.SlotsTotal != 6 {
		t.Errorf("sensor overview %+v", sensor.Overview)
	}
	fj := fraud.Jobs[0]
	if c := fj.Checkpoints; c == nil || c.Failed == 0 || c.LatestFailure == nil || c.LatestFailure.Message == "" {
		t.Errorf("fraud-scoring checkpoints %+v", fj.Checkpoints)
	}
	if s := fj.Slowest(); s < 0 || fj.Vertices[s].Watermark.Lag(epoch) > 10*time.Second {
		t.Errorf("fraud-scoring lags: %+v", fj.Vertices)
	}
	// Sizes as Flink reports them: the checkpointed (incremental) part is
	// smaller than the whole state.
	for _, j := range []flink.Job{fj, sj} {
		if l := j.Checkpoints.Latest; l == nil || l.Size <= 0 || l.Size >= l.StateSize {
			t.Errorf("%s latest checkpoint %+v: checkpointed size not below the state size", j.Name, l)
		}
		if !j.Restarts.Known {
			t.Errorf("%s: numRestarts not read (%v)", j.Name, j.RestartsErr)
		}
	}
	if got := restapi.DefaultThresholds.JobFindings(&sj, epoch); len(got) == 0 || got[0].Problem != restapi.Lagging {
		t.Errorf("sensor-aggregation findings %+v", got)
	}
	if got := restapi.DefaultThresholds.JobFindings(&fj, epoch); len(got) == 0 || got[0].Problem != restapi.CheckpointsFailing || got[0].Health != platform.Failed {
		t.Errorf("fraud-scoring findings %+v", got)
	}

	// Looking at each job: fraud-scoring's failures are in its exception
	// history, sensor-aggregation's filter is back-pressured by its window.
	m.Focus(r.Flink[1].Target, sj.ID)
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	r = m.ReadNow(rctx)
	rcancel()
	sj = r.Flink[1].Cluster.Jobs[0]
	found := false
	for _, f := range restapi.DefaultThresholds.JobFindings(&sj, epoch) {
		found = found || f.Problem == restapi.BackPressured && strings.Contains(f.Text, "Timestamps/Watermarks -> Filter(valid)")
	}
	if !found {
		t.Errorf("no back-pressure finding for sensor-aggregation: %+v", restapi.DefaultThresholds.JobFindings(&sj, epoch))
	}
	heap := false
	for _, f := range restapi.DefaultThresholds.JobFindings(&sj, epoch) {
		heap = heap || f.Problem == restapi.HeapNearLimit
	}
	if !heap || len(sj.TaskManagers) == 0 || sj.TaskManagersErr != nil {
		t.Errorf("sensor-aggregation: no TaskManager near its heap limit: %+v %v", sj.TaskManagers, sj.TaskManagersErr)
	}
	m.Focus(r.Flink[0].Target, fj.ID)
	rctx, rcancel = context.WithTimeout(ctx, 10*time.Second)
	r = m.ReadNow(rctx)
	rcancel()
	fj = r.Flink[0].Cluster.Jobs[0]
	if e := fj.Exceptions; e == nil || len(e.Entries) < 2 || !strings.Contains(e.Entries[0].Stack, "tolerable failure threshold") {
		t.Errorf("fraud-scoring exceptions %+v %v", fj.Exceptions, fj.ExceptionsErr)
	}
	if n, _ := restapi.RecentRestarts(&fj, epoch); n < 2 {
		t.Errorf("fraud-scoring restarts in the hour: %d", n)
	}

	pv := restapi.Target{API: restapi.Pravega, Namespace: demo.StoreNamespace, Name: demo.PravegaName}
	before, err := m.Scaling(ctx, pv, "iot", "sensor-readings")
	if err != nil || len(before.Events) < 2 {
		t.Fatalf("scaling history %+v %v", before, err)
	}
	fc.Step(7 * time.Minute)
	after, err := m.Scaling(ctx, pv, "iot", "sensor-readings")
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Events) <= len(before.Events) {
		t.Errorf("sensor-readings did not scale in 7 minutes: %d → %d events", len(before.Events), len(after.Events))
	}
}

// TestDemoControllerOutage: the demo's Controller is healthy, loses its
// ZooKeeper session for ControllerOutageFor from ControllerOutageAfter on
// (health DOWN, the cluster listener named as the cause), and recovers.
func TestDemoControllerOutage(t *testing.T) {
	ctx, fc, m := demoMonitor(t)
	health := func() (*restapi.Finding, string) {
		t.Helper()
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		defer rcancel()
		r := m.ReadNow(rctx)
		if len(r.Pravega) != 1 || r.Pravega[0].Inventory == nil || r.Pravega[0].Inventory.Health == nil {
			t.Fatalf("no Controller health: %+v", r.Pravega)
		}
		inv := r.Pravega[0].Inventory
		if f, ok := restapi.HealthFinding(inv); ok {
			return &f, inv.Health.Status
		}
		return nil, inv.Health.Status
	}
	if f, status := health(); f != nil || status != "UP" {
		t.Fatalf("at the start: %s %+v", status, f)
	}
	fc.Step(demo.ControllerOutageAfter + 10*time.Second)
	f, status := health()
	if status != "DOWN" || f == nil || f.Health != platform.Failed || f.Text != "controller health DOWN: cluster-listener: DOWN (zookeeper "+demo.ControllerOutage+")" {
		t.Fatalf("during the outage: %s %+v", status, f)
	}
	fc.Step(demo.ControllerOutageFor)
	if f, status := health(); f != nil || status != "UP" {
		t.Errorf("after the outage: %s %+v", status, f)
	}
}

// demoMonitor starts a REST monitor, active, on a demo platform at epoch on
// a fake clock, with credentials as `streamops demo` gives them (the demo's
// Secret, read through the clientset). It stops when the test ends.
func demoMonitor(t *testing.T) (context.Context, *clocktesting.FakeClock, *restapi.Monitor) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	eps, err := p.Endpoints(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	m := restapi.NewMonitor(restapi.Config{Overrides: eps, Credentials: p.CredentialSources(), Secrets: p.Clients().Typed, Clock: fc})
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	m.Activate()
	return ctx, fc, m
}

// TestDemoBacklog: sensor-aggregation's source reports its reader group's
// unread bytes, which grow with the job's lag until the monitor finds the
// backlog growing; fraud-scoring's swing with its minute-long lag and are
// no finding. Both match the groups the Controller lists.
func TestDemoBacklog(t *testing.T) {
	ctx, fc, m := demoMonitor(t)
	var r restapi.Report
	for i := range 21 { // ten minutes from the bottom of the sensor job's lag sawtooth, a read every 30s
		if i > 0 {
			fc.Step(30 * time.Second)
		}
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		r = m.ReadNow(rctx)
		rcancel()
	}
	ix := restapi.Backlogs(r.Flink)
	sensor, ok := ix["iot/"+demo.SensorJobName]
	if !ok || sensor.Job.Name != demo.SensorJobName || len(sensor.Group.Trend) != 21 {
		t.Fatalf("sensor-aggregation's reader group: %+v (index %v)", sensor, ix)
	}
	first, last := sensor.Group.Trend[0].Value, sensor.Group.Unread
	if first < 300<<20 || first > 400<<20 || last < 1000<<20 || last > 1150<<20 {
		t.Errorf("sensor backlog %s → %s, want about 360 MiB (2m at 3 MiB/s) → 1.05 GiB (6m)", restapi.Size(first), restapi.Size(last))
	}
	fraud, ok := ix["fraud/"+demo.FraudJobName]
	if !ok || fraud.Group.Unread <= 0 || fraud.Group.Unread > 40<<20 {
		t.Fatalf("fraud-scoring's reader group: %+v", fraud.Group)
	}
	findings := func(job string) []restapi.Finding {
		for _, s := range r.Flink {
			for _, j := range s.Cluster.Jobs {
				if j.Name == job {
					return restapi.DefaultThresholds.JobFindings(&j, fc.Now())
				}
			}
		}
		t.Fatalf("no job %s", job)
		return nil
	}
	var grows []string
	for _, job := range []string{demo.SensorJobName, demo.FraudJobName} {
		for _, f := range findings(job) {
			if f.Problem == restapi.BacklogGrowing {
				grows = append(grows, job+": "+f.Text)
			}
		}
	}
	if len(grows) != 1 || !strings.HasPrefix(grows[0], demo.SensorJobName+": backlog growing: +") || !strings.HasSuffix(grows[0], "reader group iot/sensor-aggregation") {
		t.Errorf("backlog findings %q, want one for sensor-aggregation", grows)
	}
	for _, sec := range r.Pravega {
		for _, sc := range sec.Inventory.Scopes {
			for _, g := range sc.Groups {
				if _, ok := ix[sc.Name+"/"+g.Name]; !ok && g.Name != "dashboard" && g.Name != "archiver" {
					t.Errorf("reader group %s/%s listed by the Controller has no backlog", sc.Name, g.Name)
				}
			}
		}
	}
}
