package restapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

// healthyJob runs, its watermark 2s behind, its checkpoints completing,
// never restarted: no finding.
func healthyJob() flink.Job {
	return flink.Job{ID: "j", Name: "agg", State: "RUNNING", Start: t0.Add(-48 * time.Hour),
		Vertices: []flink.Vertex{
			{ID: "v1", Name: "Source", Parallelism: 4, Watermark: flink.Watermark{Read: true, Subtasks: 4, Missing: 4, MinSubtask: -1}},
			{ID: "v2", Name: "Window -> Aggregate", Parallelism: 6, Watermark: flink.Watermark{Read: true, Subtasks: 6, Millis: t0.Add(-2 * time.Second).UnixMilli(), MinSubtask: 2}},
		},
		Restarts: flink.Restarts{Known: true, Total: 7, Since: t0.Add(-time.Hour)},
		Checkpoints: &flink.Checkpoints{Completed: 100, Failed: 3, Recent: []flink.Attempt{{ID: 10, Status: "COMPLETED"}, {ID: 9, Status: "COMPLETED"}, {ID: 8, Status: "IN_PROGRESS"}},
			Latest:        &flink.Completed{ID: 10, Trigger: t0.Add(-20 * time.Second)},
			LatestFailure: &flink.Failure{ID: 5, Trigger: t0.Add(-time.Hour), Message: "old"}}}
}

func TestJobFindings(t *testing.T) {
	th := restapi.DefaultThresholds
	// backlog: the source reads iot/agg, its unread bytes read every 5m.
	backlog := func(values ...int64) func(*flink.Job) {
		return func(j *flink.Job) {
			g := &flink.ReaderGroup{Scope: "iot", Name: "agg", Unread: values[len(values)-1]}
			for i, v := range values {
				g.Trend = append(g.Trend, flink.Sample{At: t0.Add(time.Duration(i-len(values)+1) * 5 * time.Minute), Value: v})
			}
			j.Vertices[0].Readers = g
		}
	}
	lagging := func(d time.Duration) func(*flink.Job) {
		return func(j *flink.Job) { j.Vertices[1].Watermark.Millis = t0.Add(-d).UnixMilli() }
	}
	failing := func(failed, completed int) func(*flink.Job) {
		return func(j *flink.Job) {
			c := j.Checkpoints
			c.Recent = nil
			for i := range failed {
				c.Recent = append(c.Recent, flink.Attempt{ID: int64(100 - i), Status: "FAILED"})
			}
			for i := range completed {
				c.Recent = append(c.Recent, flink.Attempt{ID: int64(50 - i), Status: "COMPLETED"})
			}
			c.LatestFailure = &flink.Failure{ID: 100, Trigger: t0.Add(-10 * time.Second), Message: "Checkpoint expired before completing."}
		}
	}
	cases := []struct {
		name   string
		change func(*flink.Job)
		want   []string // the findings' texts, worst first; health glyph first
	}{
		{"healthy", func(*flink.Job) {}, nil},
		{"lag under the threshold", lagging(29 * time.Second), nil},
		{"lagging", lagging(4*time.Minute + 20*time.Second), []string{"▲ lagging 4m20s behind: Window -> Aggregate, subtask 3/6 holds the minimum"}},
		{"far behind", lagging(6 * time.Minute), []string{"✖ lagging 6m00s behind: Window -> Aggregate, subtask 3/6 holds the minimum"}},
		{"lagging, no subtask index", func(j *flink.Job) { lagging(time.Minute)(j); j.Vertices[1].Watermark.MinSubtask = -1 }, []string{"▲ lagging 1m00s behind: Window -> Aggregate"}},
		{"checkpoints: one of ten failed", failing(1, 9), []string{"▲ checkpoints failing: 1 of the last 10 · latest: Checkpoint expired before completing."}},
		{"checkpoints: two of three fail", failing(7, 3), []string{"✖ checkpoints failing: 7 of the last 10 · latest: Checkpoint expired before completing."}},
		{"checkpoints: no history, latest failed", func(j *flink.Job) {
			j.Checkpoints.Recent = nil
			j.Checkpoints.LatestFailure = &flink.Failure{Trigger: t0.Add(-time.Second), Message: "declined"}
		}, []string{"✖ checkpoints failing: the latest failed · latest: declined"}},
		{"checkpoints: no history, an old failure", func(j *flink.Job) { j.Checkpoints.Recent = nil }, nil},
		{"restarted once in the hour", func(j *flink.Job) { j.Restarts.Recent = 1 }, []string{"▲ restarted 1× in the last hour"}},
		{"restarted 3× since readings began", func(j *flink.Job) { j.Restarts.Recent, j.Restarts.Since = 3, t0.Add(-12*time.Minute) }, []string{"✖ restarted 3× in the last 12m00s"}},
		{"restarting now", func(j *flink.Job) { j.State = "RESTARTING" }, []string{"✖ restarting now"}},
		{"restarts from the exception history", func(j *flink.Job) {
			j.Exceptions = &flink.Exceptions{Entries: []flink.Exception{
				{Name: "java.io.IOException", Task: "Window (2/6)", Time: t0.Add(-5 * time.Minute)},
				{Name: "x", Time: t0.Add(-30 * time.Minute)},
				{Name: "y", Time: t0.Add(-2 * time.Hour)},
			}}
		}, []string{"▲ restarted 2× in the last hour · latest: IOException in Window (2/6)"}},
		{"an old exception is no restart", func(j *flink.Job) {
			j.Exceptions = &flink.Exceptions{Entries: []flink.Exception{{Name: "y", Time: t0.Add(-2 * time.Hour)}}}
		}, nil},
		{"back-pressured", func(j *flink.Job) {
			j.Vertices[1].BackPressure = &flink.BackPressure{Level: "high", Subtasks: []flink.SubtaskPressure{{Index: 0, Ratio: 0.2}, {Index: 1, Ratio: 0.87}}}
		}, []string{"✖ back-pressured (high): Window -> Aggregate, subtask 2/2 87% of the time"}},
		{"back-pressure low", func(j *flink.Job) {
			j.Vertices[1].BackPressure = &flink.BackPressure{Level: "low", Subtasks: []flink.SubtaskPressure{{Index: 0, Ratio: 0.3}}}
		}, []string{"▲ back-pressured (low): Window -> Aggregate, subtask 1/1 30% of the time"}},
		{"back-pressure ok or unreadable", func(j *flink.Job) {
			j.Vertices[0].BackPressure = &flink.BackPressure{Level: "ok", Subtasks: []flink.SubtaskPressure{{Index: 0, Ratio: 0.05}}}
			j.Vertices[1].BackPressure = &flink.BackPressure{Err: errors.New("404")}
		}, nil},
		{"worst first", func(j *flink.Job) { lagging(time.Minute)(j); failing(7, 3)(j); j.Restarts.Recent = 1 }, []string{
			"✖ checkpoints failing: 7 of the last 10 · latest: Checkpoint expired before completing.",
			"▲ restarted 1× in the last hour",
			"▲ lagging 1m00s behind: Window -> Aggregate, subtask 3/6 holds the minimum",
		}},
		{"heap near its limit", func(j *flink.Job) {
			j.TaskManagers = []flink.TaskManager{
				{ID: "a", Path: "pekko.tcp://flink@10.42.0.7:6122/user/rpc/taskmanager_0", HeapUsed: 1760 << 20, HeapMax: 2 << 30},
				{ID: "b", HeapUsed: 1 << 30, HeapMax: 2 << 30},
			}
		}, []string{"▲ heap near its limit: TaskManager 10.42.0.7:6122 uses 1.7 GiB of 2 GiB (86%)"}},
		{"heap at its limit, and another near", func(j *flink.Job) {
			j.TaskManagers = []flink.TaskManager{
				{ID: "a", HeapUsed: 1800 << 20, HeapMax: 2 << 30},
				{ID: "b", HeapUsed: 1990 << 20, HeapMax: 2 << 30},
				{ID: "c", HeapUsed: 2 << 30, Err: errors.New("500")},
			}
		}, []string{"✖ heap near its limit: TaskManager b uses 1.9 GiB of 2 GiB (97%) · 1 more over 85%"}},
		{"backlog growing", backlog(400<<20, 450<<20, 520<<20), []string{
			"▲ backlog growing: +120 MiB in 10m00s to 520 MiB unread · reader group iot/agg"}},
		{"backlog doubled", backlog(200<<20, 300<<20, 420<<20), []string{
			"✖ backlog growing: +220 MiB in 10m00s to 420 MiB unread · reader group iot/agg"}},
		{"backlog falling or holding", backlog(520<<20, 450<<20, 400<<20), nil},
		{"backlog swinging", backlog(400<<20, 600<<20, 450<<20, 620<<20, 500<<20, 640<<20), nil},
		{"backlog: growth under a tenth", backlog(1000<<20, 1050<<20, 1090<<20), nil},
		{"backlog: growth too small in bytes", backlog(1000, 2000, 4000), nil},
		{"backlog: too short a trend", func(j *flink.Job) {
			backlog(100<<20, 200<<20, 400<<20)(j)
			for i := range j.Vertices[0].Readers.Trend {
				j.Vertices[0].Readers.Trend[i].At = t0.Add(time.Duration(i) * 30 * time.Second)
			}
		}, nil},
		{"a finished job has none", func(j *flink.Job) { j.State = "FINISHED"; lagging(time.Hour)(j) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := healthyJob()
			tc.change(&j)
			var got []string
			for _, f := range th.JobFindings(&j, t0) {
				g := map[platform.Health]string{platform.Degraded: "▲", platform.Failed: "✖"}[f.Health]
				got = append(got, g+" "+f.Text)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestPravegaFindings(t *testing.T) {
	ok := &pravega.Inventory{Scopes: []pravega.Scope{{Name: "iot", Groups: []pravega.ReaderGroup{{Scope: "iot", Name: "agg", OnlineReaders: []string{"r-0"}}}}}}
	if fs := restapi.PravegaFindings(ok); len(fs) != 0 {
		t.Errorf("healthy inventory: %+v", fs)
	}
	bad := &pravega.Inventory{Scopes: []pravega.Scope{
		{Name: "audit", GroupErr: errors.New("500 Internal Server Error")},
		{Name: "iot", Groups: []pravega.ReaderGroup{{Scope: "iot", Name: "dashboard", Streams: []string{"iot/aggregates"}}}},
	}}
	fs := restapi.PravegaFindings(bad)
	if len(fs) != 2 || fs[0].Health != platform.Failed || fs[0].Text != "scope audit: reader groups unreadable: 500 Internal Server Error" ||
		fs[1].Health != platform.Degraded || fs[1].Text != "reader group iot/dashboard: no reader online (reads iot/aggregates)" {
		t.Errorf("findings %+v", fs)
	}
	if restapi.Worst(fs) != platform.Failed || restapi.Worst(nil) != platform.Ready {
		t.Error("worst")
	}
}

// TestControllerHealthFindings: the Controller's health DOWN is a failure
// naming the contributor at fault, STARTING a warning, UP nothing; a 404
// (a Controller older than the health API) is nothing, another error a
// warning that the health could not be read.
func TestControllerHealthFindings(t *testing.T) {
	down := pravega.Health{Name: "controller", Status: "DOWN", Children: []pravega.Health{
		{Name: "cluster-listener", Status: "DOWN", Details: map[string]string{"zookeeper": "session expired"}}, {Name: "grpc-server", Status: "UP"}}}
	for _, tc := range []struct {
		name   string
		inv    pravega.Inventory
		health platform.Health
		text   string
	}{
		{"up", pravega.Inventory{Health: &pravega.Health{Name: "controller", Status: "UP"}}, platform.Ready, ""},
		{"down", pravega.Inventory{Health: &down}, platform.Failed, "controller health DOWN: cluster-listener: DOWN (zookeeper session expired)"},
		{"starting", pravega.Inventory{Health: &pravega.Health{Name: "controller", Status: "STARTING"}}, platform.Degraded, "controller health STARTING"},
		{"older controller", pravega.Inventory{HealthErr: &restapi.Error{Kind: restapi.HTTPStatus, Path: "/v1/health", Status: 404, Msg: "404 Not Found"}}, platform.Ready, ""},
		{"unreadable", pravega.Inventory{HealthErr: &restapi.Error{Kind: restapi.Timeout, Path: "/v1/health", Msg: "no answer within 5s"}}, platform.Degraded, "controller health unreadable: GET /v1/health: no answer within 5s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := restapi.PravegaFindings(&tc.inv)
			if tc.text == "" {
				if len(fs) != 0 {
					t.Errorf("findings %+v, want none", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Health != tc.health || fs[0].Text != tc.text {
				t.Errorf("findings %+v, want %s %q", fs, tc.health, tc.text)
			}
		})
	}
}

// TestFlinkVerdicts: each job's verdict sits at its section's and job's
// index; the jobs with problems are counted, with the worst health; a
// section without data has none.
func TestFlinkVerdicts(t *testing.T) {
	ok, lagging, failing := healthyJob(), healthyJob(), healthyJob()
	lagging.Vertices[1].Watermark.Millis = t0.Add(-time.Minute).UnixMilli()
	failing.State = "RESTARTING"
	secs := []restapi.FlinkSection{
		{Section: restapi.Section{Err: errors.New("unreachable")}},
		{Cluster: &flink.Cluster{Jobs: []flink.Job{ok, lagging}}},
		{Cluster: &flink.Cluster{Jobs: []flink.Job{failing}}},
	}
	v := restapi.DefaultThresholds.FlinkVerdicts(secs, t0)
	if v.Problems != 2 || v.Worst != platform.Failed {
		t.Errorf("problems %d, worst %v", v.Problems, v.Worst)
	}
	if got := v.Of(1, 0); got.Health != platform.Ready || len(got.Findings) != 0 {
		t.Errorf("healthy job: %+v", got)
	}
	if got := v.Of(1, 1); got.Health != platform.Degraded || len(got.Findings) != 1 || got.Findings[0].Problem != restapi.Lagging {
		t.Errorf("lagging job: %+v", got)
	}
	if got := v.Of(2, 0); got.Health != platform.Failed || got.Findings[0].Problem != restapi.Restarting {
		t.Errorf("restarting job: %+v", got)
	}
	if got := v.Of(0, 0); got.Health != platform.Ready || v.Of(5, 5).Health != platform.Ready {
		t.Errorf("no data, out of range: %+v", got)
	}
	if v := restapi.DefaultThresholds.FlinkVerdicts(secs[:2], t0); v.Problems != 1 || v.Worst != platform.Degraded {
		t.Errorf("without the restarting job: %d %v", v.Problems, v.Worst)
	}
}

// bigCluster is 50 running jobs of 200 vertices (8 subtasks each) as
// decoded from the REST API, with something wrong in every fifth: a
// lagging watermark, failing checkpoints, a back-pressured vertex, an
// exception history with recent restarts.
func bigCluster() []restapi.FlinkSection {
	jobs := make([]flink.Job, 50)
	for k := range jobs {
		j := healthyJob()
		j.ID, j.Name = fmt.Sprintf("job-%02d", k), fmt.Sprintf("pipeline-%02d", k)
		j.Vertices = make([]flink.Vertex, 200)
		for i := range j.Vertices {
			v := flink.Vertex{ID: fmt.Sprintf("v%03d", i), Name: fmt.Sprintf("operator-%d", i), Status: "RUNNING", Parallelism: 8,
				Watermark: flink.Watermark{Read: true, Subtasks: 8, Millis: t0.Add(-time.Duration(i%7) * time.Second).UnixMilli(), MinSubtask: i % 8}}
			if k%5 == 0 {
				sub := make([]flink.SubtaskPressure, 8)
				for s := range sub {
					sub[s] = flink.SubtaskPressure{Index: int32(s), Level: "ok", Ratio: float64(s) / 20, Busy: 0.5, Idle: 0.4}
				}
				v.BackPressure = &flink.BackPressure{Level: "ok", Subtasks: sub}
				if i == 150 {
					v.BackPressure.Level = "high"
					v.BackPressure.Subtasks[5].Ratio = 0.9
				}
			}
			j.Vertices[i] = v
		}
		switch k % 5 {
		case 1:
			j.Vertices[120].Watermark.Millis = t0.Add(-6 * time.Minute).UnixMilli()
		case 2:
			for i := range j.Checkpoints.Recent {
				j.Checkpoints.Recent[i].Status = "FAILED"
			}
			j.Checkpoints.LatestFailure = &flink.Failure{ID: 11, Trigger: t0.Add(-5 * time.Second), Message: "Checkpoint expired before completing."}
		case 3:
			j.Exceptions = &flink.Exceptions{Entries: []flink.Exception{
				{Name: "java.io.IOException", Task: "operator-3 (2/8)", Time: t0.Add(-5 * time.Minute)},
				{Name: "java.lang.OutOfMemoryError", Task: "operator-9 (1/8)", Time: t0.Add(-20 * time.Minute)},
			}}
		}
		jobs[k] = j
	}
	return []restapi.FlinkSection{{Section: restapi.Section{Target: restapi.Target{API: restapi.Flink, Namespace: "ns", Name: "big"}}, Cluster: &flink.Cluster{Jobs: jobs}}}
}

// BenchmarkJobVerdict: the verdicts of 50 jobs × 200 vertices from decoded
// REST data (issue 15: ≤ 1 ms).
func BenchmarkJobVerdict(b *testing.B) {
	secs := bigCluster()
	th := restapi.DefaultThresholds
	if v := th.FlinkVerdicts(secs, t0); v.Problems != 40 || v.Worst != platform.Failed {
		b.Fatalf("problems %d, worst %v", v.Problems, v.Worst)
	}
	b.ReportAllocs()
	for b.Loop() {
		th.FlinkVerdicts(secs, t0)
	}
}
