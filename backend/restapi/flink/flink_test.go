package flink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/restapitest"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

type httpGetter struct {
	base   string
	client *http.Client
}

const requestTimeout = 300 * time.Millisecond

func (g httpGetter) Get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	u := g.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	res, err := g.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return b, nil
}

func hex32(n int) string { return fmt.Sprintf("%032x", n) }

var (
	running  = hex32(0xa1)
	failing  = hex32(0xa2)
	finished = hex32(0xa3)
)

func seed() *fakeapi.Flink {
	f := fakeapi.NewFlink(func() time.Time { return t0 }, fakeapi.Overview{TaskManagers: 3, SlotsTotal: 6, SlotsAvailable: 1, Version: "1.19.1", Commit: "abc123"})
	f.AddJob(fakeapi.Job{ID: running, Name: "sensor-aggregation", Start: t0.Add(-2 * time.Hour), MaxParallelism: 128, Vertices: []fakeapi.Vertex{
		{ID: hex32(1), Name: "Source: sensors", Parallelism: 2},
		{ID: hex32(2), Name: "window-aggregate", Parallelism: 3},
		{ID: hex32(3), Name: "Sink: aggregates", Parallelism: 6},
	}})
	must(f.SetWatermarks(running, hex32(2), []int64{t0.Add(-5 * time.Second).UnixMilli(), t0.Add(-90 * time.Second).UnixMilli(), t0.UnixMilli()}))
	must(f.SetWatermarks(running, hex32(3), []int64{t0.Add(-10 * time.Second).UnixMilli(), t0.Add(-10 * time.Second).UnixMilli(), t0.Add(-10 * time.Second).UnixMilli(), t0.UnixMilli(), t0.UnixMilli(), fakeapi.NoWatermark}))
	must(f.CompleteCheckpoint(running, fakeapi.Checkpoint{ID: 41, Trigger: t0.Add(-time.Minute), Ack: t0.Add(-58 * time.Second), Duration: 2 * time.Second, Size: 3 << 20, State: 40 << 20}))
	must(f.SetInProgress(running, 1))
	f.AddJob(fakeapi.Job{ID: failing, Name: "fraud-scoring", Start: t0.Add(-time.Hour), Vertices: []fakeapi.Vertex{{ID: hex32(4), Name: "Source: payments -> score", Parallelism: 8}}})
	must(f.FailCheckpoint(failing, fakeapi.Checkpoint{ID: 7, Trigger: t0.Add(-40 * time.Second), FailedAt: t0.Add(-30 * time.Second), Failure: "Checkpoint expired before completing."}))
	f.AddJob(fakeapi.Job{ID: finished, Name: "backfill", State: "FINISHED", Start: t0.Add(-48 * time.Hour), End: t0.Add(-47 * time.Hour)})
	return f
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func serve(t *testing.T, f *fakeapi.Flink) *flink.Client {
	t.Helper()
	return serveThrough(t, f, nil)
}

// serveThrough is serve with each request also seen by seen (nil: none).
func serveThrough(t *testing.T, f *fakeapi.Flink, seen func(*http.Request)) *flink.Client {
	t.Helper()
	_, doc, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	chk := restapitest.Check(t, doc, f.Handler())
	var h http.Handler = chk
	if seen != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen(r)
			chk.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		if chk.Validated()+chk.Faults() == 0 {
			t.Error("no response went through the contract checker")
		}
	})
	return flink.New(httpGetter{base: srv.URL, client: srv.Client()})
}

func TestRead(t *testing.T) {
	cl, err := serve(t, seed()).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cl.OverviewErr != nil || *cl.Overview != (flink.Overview{TaskManagers: 3, SlotsTotal: 6, SlotsAvailable: 1, JobsRunning: 2, JobsFinished: 1, Version: "1.19.1", Commit: "abc123"}) {
		t.Errorf("overview %+v %v", cl.Overview, cl.OverviewErr)
	}
	if len(cl.Jobs) != 3 {
		t.Fatalf("jobs %+v", cl.Jobs)
	}
	// running jobs first, newest first; terminal ones last, not detailed
	if cl.Jobs[0].Name != "fraud-scoring" || cl.Jobs[1].Name != "sensor-aggregation" || cl.Jobs[2].Name != "backfill" {
		t.Errorf("order %s %s %s", cl.Jobs[0].Name, cl.Jobs[1].Name, cl.Jobs[2].Name)
	}
	if j := cl.Jobs[2]; j.Vertices != nil || j.Checkpoints != nil || !j.End.Equal(t0.Add(-47*time.Hour)) || j.Duration != time.Hour {
		t.Errorf("finished job %+v", j)
	}
	j := cl.Jobs[1]
	if j.DetailErr != nil || j.CheckpointErr != nil {
		t.Fatal(j.DetailErr, j.CheckpointErr)
	}
	if !j.Start.Equal(t0.Add(-2*time.Hour)) || j.Duration != 2*time.Hour || j.Parallelism() != 6 || j.MaxParallelism != 128 || j.State != "RUNNING" {
		t.Errorf("job %+v", j)
	}
	src, agg, sink := j.Vertices[0].Watermark, j.Vertices[1].Watermark, j.Vertices[2].Watermark
	if src.Known() || src.Subtasks != 2 || src.Missing != 2 {
		t.Errorf("source watermark %+v", src)
	}
	if !agg.Known() || !agg.Time().Equal(t0.Add(-90*time.Second)) || agg.Lag(t0) != 90*time.Second {
		t.Errorf("aggregate watermark %+v", agg)
	}
	if sink.Known() || sink.Missing != 1 {
		t.Errorf("sink with one subtask without watermark %+v", sink)
	}
	if j.Slowest() != 1 {
		t.Errorf("slowest %d", j.Slowest())
	}
	c := j.Checkpoints
	if c.Completed != 1 || c.InProgress != 1 || c.Failed != 0 || c.Latest == nil || c.Latest.ID != 41 ||
		c.Latest.Size != 3<<20 || c.Latest.Duration != 2*time.Second || !c.Latest.Acked.Equal(t0.Add(-58*time.Second)) || c.LatestFailure != nil {
		t.Errorf("checkpoints %+v latest %+v", c, c.Latest)
	}
	f := cl.Jobs[0].Checkpoints
	if f.Failed != 1 || f.LatestFailure == nil || f.LatestFailure.Message != "Checkpoint expired before completing." || !f.LatestFailure.Failed.Equal(t0.Add(-30*time.Second)) {
		t.Errorf("failing job checkpoints %+v", f)
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name   string
		prefix string
		fault  fakeapi.Fault
		whole  string                                  // Read fails with this
		check  func(cl *flink.Cluster) (string, error) // what else must hold
	}{
		{name: "jobs malformed", prefix: "/jobs/overview", fault: fakeapi.Fault{Kind: fakeapi.Malformed}, whole: "GET /jobs/overview: malformed JSON"},
		{name: "jobs 500", prefix: "/jobs/overview", fault: fakeapi.Fault{Kind: fakeapi.ServerError}, whole: "GET /jobs/overview: 500"},
		{name: "job without jid", prefix: "/jobs/overview", fault: fakeapi.Fault{Kind: fakeapi.MissingField, Field: "jid"}, whole: "a job without jid"},
		{name: "overview slow", prefix: "/overview", fault: fakeapi.Fault{Kind: fakeapi.Slow, Delay: 5 * time.Second}, check: func(cl *flink.Cluster) (string, error) {
			return "deadline exceeded", cl.OverviewErr
		}},
		{name: "one job's details 500", prefix: "/jobs/" + running, fault: fakeapi.Fault{Kind: fakeapi.ServerError}, check: func(cl *flink.Cluster) (string, error) {
			if cl.Jobs[0].DetailErr != nil || cl.Overview == nil {
				return "other job affected", nil
			}
			return "GET /jobs/" + running + ": 500", cl.Jobs[1].DetailErr
		}},
		{name: "checkpoints without className", prefix: "/jobs/" + running + "/checkpoints", fault: fakeapi.Fault{Kind: fakeapi.MissingField, Field: "counts"}, check: func(cl *flink.Cluster) (string, error) {
			if cl.Jobs[1].DetailErr != nil {
				return "details affected", nil
			}
			return "the statistics without counts", cl.Jobs[1].CheckpointErr
		}},
		{name: "watermarks malformed", prefix: "/jobs/" + running + "/vertices/" + hex32(2), fault: fakeapi.Fault{Kind: fakeapi.Malformed}, check: func(cl *flink.Cluster) (string, error) {
			if cl.Jobs[1].Vertices[2].WatermarkErr != nil {
				return "other vertex affected", nil
			}
			return "malformed JSON", cl.Jobs[1].Vertices[1].WatermarkErr
		}},
		{name: "metric without id", prefix: "/jobs/" + running + "/vertices/" + hex32(2), fault: fakeapi.Fault{Kind: fakeapi.MissingField, Field: "id"}, check: func(cl *flink.Cluster) (string, error) {
			return "a metric without id", cl.Jobs[1].Vertices[1].WatermarkErr
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := seed()
			f.Inject(tc.prefix, tc.fault)
			cl, err := serve(t, f).Read(context.Background())
			if tc.whole != "" {
				if err == nil || !strings.Contains(err.Error(), tc.whole) {
					t.Fatalf("error %v, want %q", err, tc.whole)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, got := tc.check(cl)
			if got == nil || !strings.Contains(got.Error(), want) {
				t.Errorf("error %v, want %q", got, want)
			}
		})
	}
}

func TestDecodeWatermarks(t *testing.T) {
	const path = "/jobs/x/vertices/y/watermarks"
	cases := []struct {
		name string
		body string
		want flink.Watermark
		err  string
	}{
		{"documented form", `{"metrics":[{"id":"0.currentInputWatermark","value":"1700000000500"},{"id":"1.currentInputWatermark","value":"1700000000000"}]}`,
			flink.Watermark{Read: true, Subtasks: 2, Millis: 1700000000000, MinSubtask: 1}, ""},
		{"the subtask behind, lowest on a tie", `[{"id":"2.currentInputWatermark","value":"9"},{"id":"3.currentInputWatermark","value":"4"},{"id":"1.currentInputWatermark","value":"4"}]`,
			flink.Watermark{Read: true, Subtasks: 3, Millis: 4, MinSubtask: 1}, ""},
		{"bare array as Flink sends it", ` [{"value":"7","id":"0.currentInputWatermark"}] `, flink.Watermark{Read: true, Subtasks: 1, Millis: 7}, ""},
		{"no watermark yet", `[{"id":"0.currentInputWatermark","value":"-9223372036854775808"},{"id":"1.currentInputWatermark","value":"5"}]`,
			flink.Watermark{Read: true, Subtasks: 2, Missing: 1, Millis: 5, MinSubtask: 1}, ""},
		{"other metrics and members ignored", `{"metrics":[{"id":"0.currentInput1Watermark","value":"1"},{"id":"0.currentInputWatermark","value":"9","x":[1,{"a":null}]}],"extra":true}`,
			flink.Watermark{Read: true, Subtasks: 1, Millis: 9}, ""},
		{"escaped id", `[{"id":"0.current\u0049nputWatermark","value":"3"}]`, flink.Watermark{Read: true, Subtasks: 1, Millis: 3}, ""},
		{"numeric value tolerated", `[{"id":"0.currentInputWatermark","value":4}]`, flink.Watermark{Read: true, Subtasks: 1, Millis: 4}, ""},
		{"empty", `{"metrics":[]}`, flink.Watermark{Read: true, MinSubtask: -1}, ""},
		{"null metrics", `{"metrics":null}`, flink.Watermark{Read: true, MinSubtask: -1}, ""},
		{"missing id", `{"metrics":[{"value":"1"}]}`, flink.Watermark{}, "a metric without id"},
		{"not a number", `[{"id":"0.currentInputWatermark","value":"soon"}]`, flink.Watermark{}, `has value "soon"`},
		{"overflow", `[{"id":"0.currentInputWatermark","value":"9223372036854775808"}]`, flink.Watermark{}, "not milliseconds"},
		{"truncated", `{"metrics":[{"id":"0.currentInputWatermark","val`, flink.Watermark{}, "malformed JSON"},
		{"trailing garbage", `[] x`, flink.Watermark{}, "malformed JSON"},
		{"not JSON", `<html>`, flink.Watermark{}, "malformed JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := flink.DecodeWatermarks(path, []byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "GET "+path+": ") {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}

// FuzzDecodeWatermarks: the scanner never accepts what is not JSON, and
// agrees with encoding/json on the documented form.
func FuzzDecodeWatermarks(f *testing.F) {
	for _, s := range []string{`{"metrics":[{"id":"0.currentInputWatermark","value":"12"}]}`, `[{"id":"1.currentInputWatermark","value":"-9223372036854775808"}]`, `[]`, `{"a":[1,2,{"b":"\""}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := flink.DecodeWatermarks("/w", body)
		if err != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var doc struct {
			Metrics []struct{ ID, Value string } `json:"metrics"`
		}
		if json.Unmarshal(body, &doc) == nil && len(doc.Metrics) > 0 && got.Subtasks > len(doc.Metrics) {
			t.Fatalf("%d subtasks from %d metrics", got.Subtasks, len(doc.Metrics))
		}
	})
}

// BenchmarkFlinkJobDecode decodes one job of 200 vertices with 100
// subtasks each: the job details and the 200 watermark bodies (20,000
// subtask watermarks), then finds the slowest vertex.
func BenchmarkFlinkJobDecode(b *testing.B) {
	details, marks := bigJob(200, 100)
	b.ReportAllocs()
	b.SetBytes(int64(len(details) + len(marks[0])*len(marks)))
	for b.Loop() {
		var j flink.Job
		if err := flink.DecodeJob("/jobs/x", details, &j); err != nil {
			b.Fatal(err)
		}
		for i := range j.Vertices {
			w, err := flink.DecodeWatermarks("/w", marks[i])
			if err != nil {
				b.Fatal(err)
			}
			j.Vertices[i].Watermark = w
		}
		if j.Slowest() < 0 {
			b.Fatal("no slowest vertex")
		}
	}
}

func bigJob(vertices, subtasks int) ([]byte, [][]byte) {
	vs := make([]map[string]any, vertices)
	marks := make([][]byte, vertices)
	for i := range vs {
		vs[i] = map[string]any{"id": hex32(i), "name": fmt.Sprintf("operator-%d", i), "parallelism": subtasks, "maxParallelism": 128, "status": "RUNNING",
			"start-time": t0.UnixMilli(), "end-time": -1, "duration": 1000, "tasks": map[string]int{"RUNNING": subtasks},
			"metrics": map[string]any{"read-bytes": 1, "write-bytes": 2, "read-records": 3, "write-records": 4, "accumulated-busy-time": 0.5}}
		ms := make([]map[string]string, subtasks)
		for s := range ms {
			ms[s] = map[string]string{"id": fmt.Sprintf("%d.currentInputWatermark", s), "value": fmt.Sprint(t0.UnixMilli() - int64(i*1000+s))}
		}
		marks[i], _ = json.Marshal(map[string]any{"metrics": ms})
	}
	details, _ := json.Marshal(map[string]any{"jid": hex32(1), "name": "big", "state": "RUNNING", "start-time": t0.UnixMilli(), "end-time": -1, "duration": 1000, "maxParallelism": 128, "vertices": vs})
	return details, marks
}
