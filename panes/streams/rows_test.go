package streams

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

func TestNumbers(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{plural(1, "stream"), "1 stream"},
		{plural(0, "stream"), "0 streams"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestCheckpointText(t *testing.T) {
	ok := &flink.Completed{Trigger: now.Add(-time.Minute)}
	cases := []struct {
		name    string
		c       *flink.Checkpoints
		counts  string
		failing bool
	}{
		{"healthy", &flink.Checkpoints{Completed: 12, Latest: ok}, "✓12 ✖0 ⋯0", false},
		{"failed long ago", &flink.Checkpoints{Completed: 12, Failed: 1, Latest: ok, LatestFailure: &flink.Failure{Trigger: now.Add(-time.Hour)}}, "✓12 ✖1 ⋯0", false},
		{"failing now", &flink.Checkpoints{Completed: 12, Failed: 3, InProgress: 1, Latest: ok, LatestFailure: &flink.Failure{Trigger: now}}, "✓12 ✖3 ⋯1", true},
		{"never completed", &flink.Checkpoints{Failed: 3, LatestFailure: &flink.Failure{Trigger: now}}, "✓0 ✖3 ⋯0", true},
	}
	m, _ := newPane(t, 160, 48)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ansi.Strip(m.checkpointCell(tc.c)); got != tc.counts {
				t.Errorf("counts %q, want %q", got, tc.counts)
			}
			if got := tc.c.FailingNow(); got != tc.failing {
				t.Errorf("failing %v, want %v", got, tc.failing)
			}
		})
	}
}

func keys(rows []row) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.key)
	}
	return strings.Join(out, "\n")
}

func TestPravegaRows(t *testing.T) {
	rep := fixture()
	const base = "pravega:pravega/pravega"
	cases := []struct {
		name      string
		internal  bool
		collapsed map[string]bool
		match     matcher
		want      []string
	}{
		{"internal hidden", false, nil, all, []string{base, base + "/audit", base + "/audit/s/access-log", base + "/audit/!g",
			base + "/fraud", base + "/fraud/s/payments", base + "/fraud/s/scores", base + "/fraud/g/fraud-scoring",
			base + "/iot", base + "/iot/s/device-events", base + "/iot/s/sensor-aggregates", base + "/iot/s/sensor-readings", base + "/iot/g/dashboard", base + "/iot/g/sensor-aggregation"}},
		{"internal shown", true, map[string]bool{base + "/audit": true, base + "/fraud": true, base + "/iot": true}, all, []string{base,
			base + "/_system", base + "/_system/s/_requeststream", base + "/_system/s/_abortStream", base + "/audit", base + "/fraud", base + "/iot"}},
		{"filter on a stream keeps its scope", false, nil, func(s string) bool { return strings.Contains(s, "payments") }, []string{base, base + "/fraud", base + "/fraud/s/payments", base + "/fraud/g/fraud-scoring"}},
		{"filter on a tag", false, nil, func(s string) bool { return strings.Contains(s, "eu-west") }, []string{base, base + "/iot", base + "/iot/s/sensor-readings"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := keys(pravegaRows(rep.Pravega, tc.internal, tc.collapsed, tc.match))
			if want := strings.Join(tc.want, "\n"); got != want {
				t.Errorf("rows:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestPravegaRowsProblems(t *testing.T) {
	sec := restapi.PravegaSection{Section: restapi.Section{Target: restapi.Target{API: restapi.Pravega, Namespace: "p", Name: "p"}}}
	cases := []struct {
		name string
		sec  func() restapi.PravegaSection
		want string
	}{
		{"never read", func() restapi.PravegaSection { return sec }, "not read yet"},
		{"reading", func() restapi.PravegaSection { s := sec; s.Reading = true; return s }, "reading…"},
		{"failed", func() restapi.PravegaSection {
			s := sec
			s.Err = errors.New("GET /v1/scopes: no answer within 5s")
			return s
		}, "GET /v1/scopes: no answer within 5s"},
		{"failed after success", func() restapi.PravegaSection {
			s := sec
			s.Err, s.Inventory = errors.New("GET /v1/scopes: 500"), &pravega.Inventory{}
			return s
		}, "GET /v1/scopes: 500 (showing data from before)"},
		{"scope streams failed", func() restapi.PravegaSection {
			s := sec
			s.Inventory = &pravega.Inventory{Scopes: []pravega.Scope{{Name: "iot", StreamErr: errors.New("GET /v1/scopes/iot/streams: malformed JSON")}}}
			return s
		}, "GET /v1/scopes/iot/streams: malformed JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows := pravegaRows([]restapi.PravegaSection{tc.sec()}, false, nil, all)
			found := false
			for _, r := range rows {
				if r.kind == rowProblem && r.text == tc.want {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem row %q in %s", tc.want, keys(rows))
			}
		})
	}
}

// testFlinkRows lists the Flink view at now with the default thresholds.
func testFlinkRows(secs []restapi.FlinkSection, collapsed map[string]bool, match matcher) []row {
	v := restapi.DefaultThresholds.FlinkVerdicts(secs, now)
	return flinkRows(secs, &v, collapsed, match, now)
}

func TestFlinkRows(t *testing.T) {
	rep := fixture()
	rows := testFlinkRows(rep.Flink, nil, all)
	var slowest []string
	for _, r := range rows {
		if r.slowest {
			slowest = append(slowest, r.vertex.Name)
		}
	}
	if want := "KeyBy(account) -> Score (CEP)|Window(TumblingEventTimeWindows(60000)) -> Aggregate"; strings.Join(slowest, "|") != want {
		t.Errorf("slowest vertices %v", slowest)
	}
	// the forbidden cluster shows its error, the others their jobs
	last := rows[len(rows)-1]
	if last.kind != rowProblem || !strings.Contains(last.text, "forbidden") || rows[len(rows)-2].kind != rowEndpoint {
		t.Errorf("last rows %+v %+v", rows[len(rows)-2], last)
	}
	const sensor = "flink:iot-analytics/sensor-aggregation/a1b2c3d4e5f60718293a4b5c6d7e8f90"
	collapsed := testFlinkRows(rep.Flink, map[string]bool{sensor: true}, all)
	if len(rows)-len(collapsed) != 4 {
		t.Errorf("collapsing a job hides its 4 vertices (not its verdict): %d → %d rows", len(rows), len(collapsed))
	}
	filtered := testFlinkRows(rep.Flink, nil, func(s string) bool { return strings.Contains(s, "Window") })
	if got := len(filtered); got != 8 { // 3 endpoints, the forbidden one's error, the job, its verdict's 2 findings, the vertex
		t.Errorf("filtered rows:\n%s", keys(filtered))
	}
}

// TestFlinkRowsVerdicts: a job with something wrong has its findings
// under it, worst first, and its verdict on its row; a healthy job has
// none.
func TestFlinkRowsVerdicts(t *testing.T) {
	rep := fixture()
	rows := testFlinkRows(rep.Flink, nil, all)
	verdicts := map[string][]string{}
	health := map[string]platform.Health{}
	for _, r := range rows {
		switch r.kind {
		case rowJob:
			health[r.job.Name] = r.health
		case rowFinding:
			verdicts[r.job.Name] = append(verdicts[r.job.Name], r.finding.Text)
		}
	}
	if got := verdicts["sensor-aggregation"]; len(got) != 2 || got[0] != "lagging 6m12s behind: Window(TumblingEventTimeWindows(60000)) -> Aggregate, subtask 4/6 holds the minimum" ||
		got[1] != "backlog growing: +350 MiB in 10m00s to 1.2 GiB unread · reader group iot/sensor-aggregation" || health["sensor-aggregation"] != platform.Failed {
		t.Errorf("sensor-aggregation: %v %v", got, health["sensor-aggregation"])
	}
	if got := verdicts["fraud-scoring"]; len(got) != 3 || !strings.HasPrefix(got[0], "checkpoints failing: 7 of the last 10 · latest: Checkpoint expired") ||
		got[1] != "back-pressured (high): Source: Pravega fraud/payments, subtask 6/8 72% of the time" || !strings.HasPrefix(got[2], "restarted 2× in the last hour") {
		t.Errorf("fraud-scoring: %q", got)
	}
	if got, h := verdicts["backfill-2026-11"], health["backfill-2026-11"]; len(got) != 0 || h != platform.Ready {
		t.Errorf("finished job: %v %v", got, h)
	}
	healthy := fixture()
	j := &healthy.Flink[1].Cluster.Jobs[0]
	for i := range j.Vertices {
		j.Vertices[i].Watermark.Millis = now.Add(-3 * time.Second).UnixMilli()
	}
	j.Vertices[0].Readers = readers("iot", "sensor-aggregation", trend(12, func(i int) int64 { return (820 - 10*int64(i)) << 20 })) // catching up
	for _, r := range testFlinkRows(healthy.Flink[1:2], nil, all) {
		if r.kind == rowFinding || r.kind == rowJob && r.job.State == "RUNNING" && r.health != platform.Ready {
			t.Errorf("healthy job has a verdict: %+v", r)
		}
	}
}

// TestExceptionRows: the job whose history was read lists its newest
// entries under a header; an absent history is one line; a job whose
// history was not read lists nothing.
func TestExceptionRows(t *testing.T) {
	rep := fixture()
	sec := &rep.Flink[0]
	job := &sec.Cluster.Jobs[0]
	rows := exceptionRows(sec, job, "k", now)
	if len(rows) != 1+maxExceptionRows || rows[0].kind != rowExceptions || rows[1].exc.Name != "org.apache.flink.util.FlinkRuntimeException" {
		t.Fatalf("rows %s", keys(rows))
	}
	job.Exceptions, job.ExceptionsErr = nil, errors.New("GET /jobs/x/exceptions: 404 Not Found")
	rows = exceptionRows(sec, job, "k", now)
	if len(rows) != 1 || rows[0].kind != rowProblem || rows[0].text != "exception history: GET /jobs/x/exceptions: 404 Not Found" {
		t.Errorf("absent history: %+v", rows)
	}
	if rows := exceptionRows(sec, &rep.Flink[1].Cluster.Jobs[0], "k", now); len(rows) != 0 {
		t.Errorf("history not read, yet %s", keys(rows))
	}
}

func TestInert(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                                "plain",
		"\x1b[31mred\x1b[0m \x1b]0;title\x07x": "red x",
		"bell\x07 and NUL\x00":                 "bell␇ and NUL␀",
		"Window → Aggregate":                   "Window → Aggregate",
	} {
		if got := inert(in); got != want {
			t.Errorf("inert(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJobLag(t *testing.T) {
	rep := fixture()
	j := &rep.Flink[1].Cluster.Jobs[0]
	if d, ok := j.Lag(now); !ok || d != 6*time.Minute+12*time.Second {
		t.Errorf("lag %v %v", d, ok)
	}
	if _, ok := rep.Flink[1].Cluster.Jobs[1].Lag(now); ok {
		t.Error("finished job without vertices has a lag")
	}
}

// TestSpread: a long trend is drawn over its whole time, a short one as
// it is.
func TestSpread(t *testing.T) {
	var trend []flink.Sample
	for i := range 121 {
		trend = append(trend, flink.Sample{At: now.Add(time.Duration(i) * 30 * time.Second), Value: int64(i)})
	}
	got := spread(trend, 5)
	if fmt.Sprint(got) != "[0 30 60 90 120]" {
		t.Errorf("spread over 5 cells: %v", got)
	}
	if got := spread(trend[:3], 5); fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("a short trend: %v", got)
	}
}
