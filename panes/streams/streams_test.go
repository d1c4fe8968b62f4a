package streams

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// fakeSource records what the pane asks of it.
type fakeSource struct {
	mu          sync.Mutex
	ch          chan restapi.Report
	activated   int
	deactivated int
	refreshed   int
	scalings    []string
	focus       []string
	hist        pravega.ScalingHistory
	redact      restapi.Redactor
	// scalingCtxErr is the error of the last Scaling read's context
	scalingCtxErr error
}

func newFakeSource() *fakeSource { return &fakeSource{ch: make(chan restapi.Report, 1)} }

func (f *fakeSource) Reports() <-chan restapi.Report { return f.ch }
func (f *fakeSource) Latest() restapi.Report         { return restapi.Report{} }
func (f *fakeSource) Activate()                      { f.mu.Lock(); f.activated++; f.mu.Unlock() }
func (f *fakeSource) Deactivate()                    { f.mu.Lock(); f.deactivated++; f.mu.Unlock() }
func (f *fakeSource) Refresh()                       { f.mu.Lock(); f.refreshed++; f.mu.Unlock() }
func (f *fakeSource) Focus(t restapi.Target, job string) {
	f.mu.Lock()
	if job == "" {
		f.focus = append(f.focus, "none")
	} else {
		f.focus = append(f.focus, t.String()+" "+job)
	}
	f.mu.Unlock()
}
func (f *fakeSource) ReadNow(context.Context) restapi.Report { return restapi.Report{} }
func (f *fakeSource) Scaling(ctx context.Context, t restapi.Target, scope, stream string) (pravega.ScalingHistory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scalings = append(f.scalings, t.String()+" "+scope+"/"+stream)
	f.scalingCtxErr = ctx.Err()
	return f.hist, nil
}
func (f *fakeSource) Redactor() *restapi.Redactor { return &f.redact }

func ms(d time.Duration) int64 { return now.Add(-d).UnixMilli() }

func vertex(id, name string, par int32, lag time.Duration, missing int) flink.Vertex {
	v := flink.Vertex{ID: id, Name: name, Status: "RUNNING", Parallelism: par, MaxParallelism: 128,
		Watermark: flink.Watermark{Read: true, Subtasks: int(par), Missing: missing, Millis: ms(lag)}}
	if missing == int(par) {
		v.Watermark.Millis = 0
	}
	return v
}

// fixture is a report with one Pravega cluster (internal streams, a scope
// whose reader groups cannot be listed), a Flink cluster whose job lags, one
// whose checkpoints fail, and one the service proxy forbids.
func fixture() restapi.Report {
	ev := func(rate, factor, min int32) *pravega.Scaling {
		return &pravega.Scaling{Type: pravega.ByEventRate, TargetRate: rate, ScaleFactor: factor, MinSegments: min}
	}
	fixed := func(n int32) *pravega.Scaling { return &pravega.Scaling{Type: pravega.FixedSegments, MinSegments: n} }
	days := func(d int) *pravega.Retention {
		return &pravega.Retention{Type: pravega.ByTime, Value: int64(d), Time: time.Duration(d) * 24 * time.Hour}
	}
	inv := &pravega.Inventory{Scopes: []pravega.Scope{
		{Name: "_system", Streams: []pravega.Stream{{Scope: "_system", Name: "_requeststream", Scaling: fixed(1)}, {Scope: "_system", Name: "_abortStream", Scaling: fixed(1)}}},
		{Name: "audit", Streams: []pravega.Stream{{Scope: "audit", Name: "access-log", Scaling: fixed(1), Retention: days(30), Tags: []string{"compliance"}}},
			GroupErr: &restapi.Error{Path: "/v1/scopes/audit/readergroups", Msg: "500 Internal Server Error: reader group store unavailable"}},
		{Name: "fraud", Streams: []pravega.Stream{
			{Scope: "fraud", Name: "_RGfraud-scoring", Scaling: fixed(1)},
			{Scope: "fraud", Name: "payments", Scaling: ev(5000, 2, 8), Retention: &pravega.Retention{Type: pravega.BySize, Value: 102400}, Tags: []string{"pci"}},
			{Scope: "fraud", Name: "scores", Scaling: fixed(4), Retention: days(7)},
		}, Groups: []pravega.ReaderGroup{{Scope: "fraud", Name: "fraud-scoring", Streams: []string{"fraud/payments"}, OnlineReaders: []string{"r-0", "r-1", "r-2", "r-3", "r-4", "r-5", "r-6", "r-7"}}}},
		{Name: "iot", Streams: []pravega.Stream{
			{Scope: "iot", Name: "_MARKsensor-readings", Scaling: fixed(1)},
			{Scope: "iot", Name: "device-events", Scaling: fixed(3)},
			{Scope: "iot", Name: "sensor-aggregates", Scaling: &pravega.Scaling{Type: pravega.ByByteRate, TargetRate: 512, ScaleFactor: 2, MinSegments: 2}, Retention: &pravega.Retention{Type: pravega.BySize, Value: 51200}},
			{Scope: "iot", Name: "sensor-readings", Scaling: ev(1000, 2, 4), Retention: days(3), Tags: []string{"raw", "eu-west"}},
		}, Groups: []pravega.ReaderGroup{
			{Scope: "iot", Name: "dashboard", Streams: []string{"iot/sensor-aggregates"}},
			{Scope: "iot", Name: "sensor-aggregation", Streams: []string{"iot/sensor-readings"}, OnlineReaders: []string{"a-0", "a-1", "a-2", "a-3", "a-4", "a-5"}},
		}},
	}}
	fraudJob := flink.Job{ID: "6f1d0c2e8a5b4f3e9d7c1b0a2e4f6a8c", Name: "fraud-scoring", State: "RUNNING", Start: now.Add(-26 * time.Hour), MaxParallelism: 128,
		Vertices: []flink.Vertex{
			vertex("00000000000000000000000000000001", "Source: Pravega fraud/payments", 8, 0, 8),
			vertex("00000000000000000000000000000002", "KeyBy(account) -> Score (CEP)", 8, 2100*time.Millisecond, 0),
			vertex("00000000000000000000000000000003", "Sink: Pravega fraud/scores", 4, 1900*time.Millisecond, 0),
		},
		Checkpoints: &flink.Checkpoints{Completed: 1093, Failed: 2187, InProgress: 1,
			Latest:        &flink.Completed{ID: 3279, Trigger: now.Add(-95 * time.Second), Acked: now.Add(-93 * time.Second), Duration: 1900 * time.Millisecond, Size: 26 << 20, StateSize: 310 << 20},
			LatestFailure: &flink.Failure{ID: 3281, Trigger: now.Add(-35 * time.Second), Failed: now.Add(-25 * time.Second), Message: "Checkpoint expired before completing: Task KeyBy(account) -> Score (CEP) (3/8) did not acknowledge within 10s."},
			Recent:        history(3281, 10, 3)},
		Restarts: flink.Restarts{Known: true, Total: 77, Recent: 0, Since: now.Add(-10 * time.Minute)},
		// The job the user looks at: its exception history and back-pressure were read.
		Exceptions: &flink.Exceptions{Entries: []flink.Exception{
			{Name: "org.apache.flink.util.FlinkRuntimeException", Time: now.Add(-7 * time.Minute),
				Stack: "org.apache.flink.util.FlinkRuntimeException: Exceeded checkpoint tolerable failure threshold.\n\tat org.apache.flink.runtime.checkpoint.CheckpointFailureManager.checkFailureAgainstCounter(CheckpointFailureManager.java:212)\n\tat java.base/java.lang.Thread.run(Thread.java:840)\n\tat x\n\tat y"},
			{Name: "java.lang.IllegalStateException", Task: "KeyBy(account) -> Score (CEP) (3/8)", Location: "10.42.1.17:6122", TaskManager: "fraud-scoring-taskmanager-1-2", Time: now.Add(-27 * time.Minute),
				Stack: "java.lang.IllegalStateException: bad record \x1b[2J\x1b]0;pwned\x07from account 4711\n\tat com.example.Score.map(Score.java:88)"},
			{Name: "org.apache.flink.util.FlinkRuntimeException", Time: now.Add(-67 * time.Minute), Stack: "org.apache.flink.util.FlinkRuntimeException: Exceeded checkpoint tolerable failure threshold."},
			{Name: "org.apache.flink.util.FlinkRuntimeException", Time: now.Add(-87 * time.Minute), Stack: "org.apache.flink.util.FlinkRuntimeException: Exceeded checkpoint tolerable failure threshold."},
		}}}
	fraudJob.Vertices[1].Watermark.MinSubtask = 2
	fraudJob.Vertices[2].Watermark.MinSubtask = 0
	fraudJob.Vertices[0].BackPressure = &flink.BackPressure{Level: "high", Status: "ok", At: now.Add(-2 * time.Second), Subtasks: pressure(8, 5, 0.72, 0.25)}
	fraudJob.Vertices[1].BackPressure = &flink.BackPressure{Level: "ok", Status: "ok", At: now.Add(-2 * time.Second), Subtasks: pressure(8, 0, 0, 0.98)}
	fraudJob.Vertices[2].BackPressure = &flink.BackPressure{Level: "ok", Status: "ok", At: now.Add(-2 * time.Second), Subtasks: pressure(4, 0, 0, 0.1)}
	sensorJob := flink.Job{ID: "a1b2c3d4e5f60718293a4b5c6d7e8f90", Name: "sensor-aggregation", State: "RUNNING", Start: now.Add(-7 * 24 * time.Hour), MaxParallelism: 128,
		Vertices: []flink.Vertex{
			vertex("00000000000000000000000000000011", "Source: Pravega iot/sensor-readings", 6, 0, 6),
			vertex("00000000000000000000000000000012", "Timestamps/Watermarks -> Filter(valid)", 6, 4*time.Second, 0),
			vertex("00000000000000000000000000000013", "Window(TumblingEventTimeWindows(60000)) -> Aggregate", 6, 6*time.Minute+12*time.Second, 0),
			vertex("00000000000000000000000000000014", "Sink: Pravega iot/sensor-aggregates", 3, 6*time.Minute+8*time.Second, 0),
		},
		Checkpoints: &flink.Checkpoints{Completed: 20160, InProgress: 0,
			Latest: &flink.Completed{ID: 20160, Trigger: now.Add(-21 * time.Second), Acked: now.Add(-19 * time.Second), Duration: 1700 * time.Millisecond, Size: 4 << 20, StateSize: 48 << 20},
			Recent: history(20160, 10, 0)},
		Restarts: flink.Restarts{Known: true, Total: 0, Since: now.Add(-10 * time.Minute)}}
	for i := 1; i < 4; i++ {
		sensorJob.Vertices[i].Watermark.MinSubtask = 3 % int(sensorJob.Vertices[i].Parallelism)
	}
	// sensor-aggregation falls behind: its reader group's backlog grew by
	// half in 11 minutes; fraud-scoring's holds. Both kept a checkpoint
	// trend past Flink's short history.
	sensorJob.Vertices[0].Readers = readers("iot", "sensor-aggregation", trend(12, func(i int) int64 { return (820 + 35*int64(i)) << 20 }))
	fraudJob.Vertices[0].Readers = readers("fraud", "fraud-scoring", trend(12, func(i int) int64 { return (12 + int64(i%3)) << 20 }))
	fraudJob.CheckpointTrend = checkpointTrend(3281, 30, 3)
	sensorJob.CheckpointTrend = checkpointTrend(20160, 30, 0)
	backfill := flink.Job{ID: "ffff0000ffff0000ffff0000ffff0000", Name: "backfill-2026-11", State: "FINISHED", Start: now.Add(-30 * time.Hour), End: now.Add(-28 * time.Hour), Duration: 2 * time.Hour}
	overview := func(tm, slots, free int32) *flink.Overview {
		return &flink.Overview{TaskManagers: tm, SlotsTotal: slots, SlotsAvailable: free, JobsRunning: 1, Version: "1.19.1", Commit: "c2d3b0d"}
	}
	proxy := func(ns, svc, port string) restapi.Route {
		return restapi.Route{Via: restapi.ViaServiceProxy, Namespace: ns, Service: svc, Port: port}
	}
	ok := func(t restapi.Target, r restapi.Route) restapi.Section {
		return restapi.Section{Target: t, Route: r, Updated: now.Add(-2 * time.Second), NextTry: now.Add(3 * time.Second)}
	}
	ledger := restapi.Target{API: restapi.Flink, Namespace: "payments", Name: "ledger", Kind: "FlinkDeployment"}
	return restapi.Report{Seq: 7, At: now, Interval: 5 * time.Second,
		Pravega: []restapi.PravegaSection{{Section: ok(restapi.Target{API: restapi.Pravega, Namespace: "pravega", Name: "pravega", Kind: "PravegaCluster"}, proxy("pravega", "pravega-pravega-controller", "rest")), Inventory: inv}},
		Flink: []restapi.FlinkSection{
			{Section: ok(restapi.Target{API: restapi.Flink, Namespace: "fraud-detection", Name: "fraud-scoring"}, restapi.Route{Via: restapi.ViaDirect, URL: "https://flink.example.com/fraud"}),
				Cluster: &flink.Cluster{Overview: overview(2, 8, 0), Jobs: []flink.Job{fraudJob}}},
			{Section: ok(restapi.Target{API: restapi.Flink, Namespace: "iot-analytics", Name: "sensor-aggregation"}, proxy("iot-analytics", "sensor-aggregation-rest", "rest")),
				Cluster: &flink.Cluster{Overview: overview(3, 6, 0), Jobs: []flink.Job{sensorJob, backfill}}},
			{Section: restapi.Section{Target: ledger, Route: proxy("payments", "ledger-rest", "rest"), Failures: 3, NextTry: now.Add(40 * time.Second),
				Err: &restapi.Error{Kind: restapi.Forbidden, Path: "/jobs/overview", Msg: `services "ledger-rest" is forbidden: User "oncall" cannot get resource "services/proxy" in API group "" in the namespace "payments"`}}},
		},
	}
}

// history is a checkpoint history of n attempts up to id, of which every
// failEvery-th completed and the others failed (failEvery 0: none failed).
func history(id int64, n, failEvery int) []flink.Attempt {
	var out []flink.Attempt
	for i := range n {
		a := flink.Attempt{ID: id - int64(i), Status: "COMPLETED", Trigger: now.Add(-time.Duration(i) * 30 * time.Second)}
		if failEvery > 0 && a.ID%int64(failEvery) != 0 {
			a.Status, a.Failure = "FAILED", "Checkpoint expired before completing."
		}
		out = append(out, a)
	}
	return out
}

// readers is a reader group whose unread bytes are the trend's last.
func readers(scope, name string, trend []flink.Sample) *flink.ReaderGroup {
	return &flink.ReaderGroup{Scope: scope, Name: name, Unread: trend[len(trend)-1].Value, Trend: trend}
}

// trend is n readings a minute apart up to now, the i-th of value(i).
func trend(n int, value func(i int) int64) []flink.Sample {
	out := make([]flink.Sample, n)
	for i := range out {
		out[i] = flink.Sample{At: now.Add(-time.Duration(n-1-i) * time.Minute), Value: value(i)}
	}
	return out
}

// checkpointTrend is n ended checkpoints up to id, oldest first, 30s
// apart, taking 1–4s in a seeded pattern, every failEvery-th completing
// and the others failing as history does (0: none fails).
func checkpointTrend(id int64, n, failEvery int) []flink.Attempt {
	out := history(id, n, failEvery)
	slices.Reverse(out)
	for i := range out {
		out[i].Duration = time.Duration(1000+(i*7919)%3000) * time.Millisecond
	}
	return out
}

// pressure is n subtasks' back-pressure, subtask worst at ratio, the
// others at a third of it, each busy as given.
func pressure(n, worst int, ratio, busy float64) []flink.SubtaskPressure {
	out := make([]flink.SubtaskPressure, n)
	for i := range out {
		r := ratio / 3
		if i == worst {
			r = ratio
		}
		out[i] = flink.SubtaskPressure{Index: int32(i), Ratio: r, Busy: busy, Idle: max(1-r-busy, 0)}
	}
	return out
}

func newPane(t testing.TB, w, h int) (Model, *fakeSource) {
	t.Helper()
	src := newFakeSource()
	m := New(pane.Deps{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(now)}, src)
	m.loc = time.UTC
	m.SetSize(w, h)
	return m, src
}

// TestGolden renders the pane at 80x24 and 160x48: the Pravega view, the
// Flink view with its verdicts, internal streams shown, an exception, a
// back-pressured vertex, and a selected error.
func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		keys func(m Model) Model
	}{
		{"pravega", func(m Model) Model { return m }},
		{"pravega_internal", func(m Model) Model {
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Internal))
			return m
		}},
		{"pravega_stream", func(m Model) Model {
			for range 11 {
				m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
			}
			m, _ = m.Update(scalingMsg{key: m.selectedKey(), hist: pravega.ScalingHistory{Events: []pravega.ScaleEvent{
				{At: now.Add(-6 * time.Hour), Segments: 4}, {At: now.Add(-40 * time.Minute), Segments: 6, Splits: 2}, {At: now.Add(-2 * time.Minute), Segments: 5, Merges: 1}}}})
			return m
		}},
		{"flink", func(m Model) Model { // the slowest vertex of fraud-scoring
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			for range 10 {
				m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
			}
			return m
		}},
		{"flink_job_verdict", func(m Model) Model { // fraud-scoring: checkpoints failing, back-pressured, restarted
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			for range 1 {
				m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
			}
			return m
		}},
		{"flink_exception", func(m Model) Model { // a failure whose stack trace holds escape sequences
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			for range 7 {
				m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
			}
			return m
		}},
		{"flink_backpressured_vertex", func(m Model) Model { // fraud-scoring's source
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			for range 9 {
				m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
			}
			return m
		}},
		{"flink_lagging_vertex", func(m Model) Model { // sensor-aggregation's window
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			for range 18 {
				m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
			}
			return m
		}},
		{"flink_lag_finding", func(m Model) Model { // sensor-aggregation lags
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			for range 14 {
				m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
			}
			return m
		}},
		{"pravega_group_backlog", func(m Model) Model { // sensor-aggregation's backlog grows
			return selectKey(m, "/g/sensor-aggregation")
		}},
		{"flink_checkpoint_trend", func(m Model) Model { // sensor-aggregation: its job row
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			return selectKey(m, "/a1b2c3d4e5f60718293a4b5c6d7e8f90")
		}},
		{"flink_forbidden", func(m Model) Model {
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Bottom))
			return m
		}},
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s_%dx%d", tc.name, size[0], size[1]), func(t *testing.T) {
				m, _ := newPane(t, size[0], size[1])
				m, _ = m.Update(ReportMsg{Report: fixture()})
				m = tc.keys(m)
				golden.RequireEqual(t, frame(t, m, size[0], size[1]))
			})
		}
	}
}

// selectKey moves the cursor down to the first row whose key ends in suffix.
func selectKey(m Model, suffix string) Model {
	for range len(m.rows) {
		if strings.HasSuffix(m.selectedKey(), suffix) {
			break
		}
		m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
	}
	return m
}

// frame is the pane's view without styling, which must fill exactly h
// lines of at most w cells.
func frame(t *testing.T, m Model, w, h int) string {
	t.Helper()
	view := ansi.Strip(m.View())
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d wide: %q", i, lw, l)
		}
	}
	return view
}

func TestActivatesOnFirstFocusOnly(t *testing.T) {
	m, src := newPane(t, 160, 48)
	if src.activated != 0 {
		t.Fatal("activated before focus")
	}
	m, cmd := m.Update(pane.FocusMsg{})
	if cmd == nil {
		t.Fatal("no activation on focus")
	}
	cmd()
	m, cmd = m.Update(pane.FocusMsg{})
	if cmd != nil || src.activated != 1 {
		t.Errorf("activated %d times, second focus cmd %v", src.activated, cmd)
	}
	// The monitor follows the watcher itself: the pane never hands a
	// snapshot to it.
	if m, cmd = m.Update(pane.SnapshotMsg{Snapshot: &platform.Snapshot{Seq: 3}}); cmd != nil {
		t.Errorf("a snapshot gave the pane work to hand on: %v", cmd())
	}
	// Hidden: reading stops; shown again: it starts again.
	m, cmd = m.Update(pane.BlurMsg{})
	if cmd == nil {
		t.Fatal("no deactivation when hidden")
	}
	cmd()
	m, cmd = m.Update(pane.BlurMsg{})
	if cmd != nil || src.deactivated != 1 {
		t.Errorf("deactivated %d times, second blur cmd %v", src.deactivated, cmd)
	}
	_, cmd = m.Update(pane.FocusMsg{})
	if cmd == nil {
		t.Fatal("no activation when shown again")
	}
	cmd()
	if src.activated != 2 {
		t.Errorf("activated %d times, want 2", src.activated)
	}
}

func TestInitWaitsForReports(t *testing.T) {
	m, src := newPane(t, 80, 24)
	src.ch <- fixture()
	msg := m.Init()()
	rm, ok := msg.(ReportMsg)
	if !ok || rm.Report.Seq != 7 {
		t.Fatalf("Init delivered %T", msg)
	}
	m, cmd := m.Update(rm)
	if cmd == nil || len(m.rows) == 0 {
		t.Error("report not shown or wait not re-armed")
	}
}

func TestKeys(t *testing.T) {
	m, src := newPane(t, 160, 48)
	m, _ = m.Update(ReportMsg{Report: fixture()})
	km := m.deps.Keys
	hidden := len(m.rows)

	m, _ = m.Update(keymap.Press(km.Streams.Internal))
	if len(m.rows) != hidden+5 { // the _system scope, its 2 streams, 2 internal streams elsewhere
		t.Errorf("internal shown: %d rows, hidden: %d", len(m.rows), hidden)
	}
	m, _ = m.Update(keymap.Press(km.Streams.Internal))
	if len(m.rows) != hidden {
		t.Errorf("internal hidden again: %d rows", len(m.rows))
	}

	// fold the iot scope from one of its streams, then unfold it
	for m.selectedKey() != "pravega:pravega/pravega/iot/s/sensor-readings" {
		m, _ = m.Update(keymap.Press(km.Global.Down))
	}
	m, _ = m.Update(keymap.Press(km.Global.Left))
	if m.selectedKey() != "pravega:pravega/pravega/iot" || len(m.rows) != hidden-5 {
		t.Errorf("fold: selected %s, %d rows", m.selectedKey(), len(m.rows))
	}
	m, _ = m.Update(keymap.Press(km.Global.Select))
	if len(m.rows) != hidden {
		t.Errorf("unfold: %d rows", len(m.rows))
	}

	// the selection is kept per view
	m, _ = m.Update(keymap.Press(km.Streams.Section))
	if m.view != flinkView || m.rows[0].kind != rowEndpoint || m.rows[0].target.API != restapi.Flink {
		t.Fatalf("section did not switch: %+v", m.rows[0])
	}
	if km := m.deps.Keys.Streams; km.Internal.Enabled() {
		t.Error("internal key enabled in the Flink view")
	}
	m, _ = m.Update(keymap.Press(km.Streams.Section))
	if m.selectedKey() != "pravega:pravega/pravega/iot" {
		t.Errorf("selection lost: %s", m.selectedKey())
	}

	_, cmd := m.Update(keymap.Press(km.Streams.Refresh))
	if msg := cmd(); src.refreshed != 1 {
		t.Errorf("refresh: %d, %v", src.refreshed, msg)
	}

	// filter through the global binding
	m, _ = m.Update(keymap.Press(km.Global.Filter))
	for _, r := range "payments" {
		m, _ = m.Update(keymap.PressString(string(r)))
	}
	m, _ = m.Update(keymap.PressString("enter"))
	if got := keys(m.rows); got != "pravega:pravega/pravega\npravega:pravega/pravega/fraud\npravega:pravega/pravega/fraud/s/payments\npravega:pravega/pravega/fraud/g/fraud-scoring" {
		t.Errorf("filtered rows:\n%s", got)
	}
	m, _ = m.Update(keymap.Press(km.Global.Back))
	if len(m.rows) != hidden {
		t.Errorf("filter not cleared: %d rows", len(m.rows))
	}
}

func TestSelectionSurvivesReports(t *testing.T) {
	m, _ := newPane(t, 160, 48)
	m, _ = m.Update(ReportMsg{Report: fixture()})
	for m.selectedKey() != "pravega:pravega/pravega/iot/s/sensor-readings" {
		m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
	}
	next := fixture()
	iot := &next.Pravega[0].Inventory.Scopes[3]
	iot.Streams = append([]pravega.Stream{{Scope: "iot", Name: "alarms"}}, iot.Streams...)
	m, _ = m.Update(ReportMsg{Report: next})
	if m.selectedKey() != "pravega:pravega/pravega/iot/s/sensor-readings" {
		t.Errorf("selection moved to %s", m.selectedKey())
	}
}

// TestScalingDetail: resting on a stream reads its scale events once.
func TestScalingDetail(t *testing.T) {
	m, src := newPane(t, 160, 48)
	src.hist = pravega.ScalingHistory{Events: []pravega.ScaleEvent{{At: now.Add(-time.Hour), Segments: 4}, {At: now.Add(-3 * time.Minute), Segments: 8, Splits: 4}}}
	m, _ = m.Update(ReportMsg{Report: fixture()})
	for m.selectedKey() != "pravega:pravega/pravega/iot/s/sensor-readings" {
		m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
	}
	m.pending = ""
	tick := m.detailCmd()
	if tick == nil {
		t.Fatal("no detail read scheduled")
	}
	due := tick().(detailDueMsg)
	m, read := m.Update(due)
	if read == nil {
		t.Fatal("no read after the delay")
	}
	if !strings.Contains(ansi.Strip(m.View()), "segments: reading scale events…") {
		t.Error("no reading note")
	}
	m, _ = m.Update(read().(scalingMsg))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "segments: 8 now · 1 scaling since 08:00:00 · last 3m ago (split, +4)") {
		t.Errorf("detail:\n%s", v)
	}
	if len(src.scalings) != 1 || src.scalings[0] != "pravega:pravega/pravega iot/sensor-readings" {
		t.Errorf("scaling reads %v", src.scalings)
	}
	if m.detailCmd() != nil {
		t.Error("read again while fresh")
	}
}

// TestScalingReadEndsWithTheConsole: the scale-event read derives from
// the console's context, so quitting ends it.
func TestScalingReadEndsWithTheConsole(t *testing.T) {
	m, src := newPane(t, 160, 48)
	ctx, cancel := context.WithCancel(context.Background())
	m.deps.Ctx = ctx
	m, _ = m.Update(ReportMsg{Report: fixture()})
	for m.selectedKey() != "pravega:pravega/pravega/iot/s/sensor-readings" {
		m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
	}
	m.pending = ""
	_, read := m.Update(m.detailCmd()().(detailDueMsg))
	if read == nil {
		t.Fatal("no read after the delay")
	}
	cancel()
	read()
	if !errors.Is(src.scalingCtxErr, context.Canceled) {
		t.Errorf("the read's context after the console's ended: %v, want context.Canceled", src.scalingCtxErr)
	}
}

// TestNoSecretOnScreen: errors and routes that carry a password or a token
// are masked before they are drawn.
func TestNoSecretOnScreen(t *testing.T) {
	m, src := newPane(t, 160, 48)
	src.redact.Add("s3cr3t-token-value")
	rep := fixture()
	rep.Flink[2].Err = errors.New(`Get "https://admin:hunter2@flink.example.com/jobs/overview?token=abc123": Authorization: Bearer s3cr3t-token-value rejected`)
	m, _ = m.Update(ReportMsg{Report: rep})
	m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
	m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Bottom))
	v := m.View()
	for _, secret := range []string{"hunter2", "abc123", "s3cr3t-token-value"} {
		if strings.Contains(v, secret) {
			t.Errorf("%q drawn:\n%s", secret, ansi.Strip(v))
		}
	}
	if !strings.Contains(ansi.Strip(v), "rejected") {
		t.Errorf("error not shown:\n%s", ansi.Strip(v))
	}
}

func TestHelpListsWorkingKeys(t *testing.T) {
	m, _ := newPane(t, 80, 24)
	if got := m.ShortHelp(); len(got) != 4 || !got[1].Enabled() {
		t.Errorf("short help %v", got)
	}
	m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
	if m.ShortHelp()[1].Enabled() {
		t.Error("internal streams key listed in the Flink view")
	}
	if h := m.ShortHelp()[0].Help().Desc; h != "pravega streams" {
		t.Errorf("section help %q", h)
	}
}

// bigReport has 500 streams in 10 scopes and 50 jobs of 6 vertices in 10
// Flink clusters.
func bigReport() restapi.Report {
	rep := restapi.Report{Interval: 5 * time.Second}
	inv := &pravega.Inventory{}
	for s := 0; s < 10; s++ {
		sc := pravega.Scope{Name: fmt.Sprintf("scope-%02d", s)}
		for i := 0; i < 50; i++ {
			sc.Streams = append(sc.Streams, pravega.Stream{Scope: sc.Name, Name: fmt.Sprintf("stream-%03d", i),
				Scaling:   &pravega.Scaling{Type: pravega.ByEventRate, TargetRate: 1000, ScaleFactor: 2, MinSegments: int32(i%8 + 1)},
				Retention: &pravega.Retention{Type: pravega.ByTime, Time: time.Duration(i%30+1) * 24 * time.Hour}, Tags: []string{"team-a", "raw"}})
		}
		sc.Groups = []pravega.ReaderGroup{{Scope: sc.Name, Name: "rg", Streams: []string{sc.Name + "/stream-000"}, OnlineReaders: []string{"r"}}}
		inv.Scopes = append(inv.Scopes, sc)
	}
	rep.Pravega = []restapi.PravegaSection{{Section: restapi.Section{Target: restapi.Target{API: restapi.Pravega, Namespace: "pravega", Name: "pravega"},
		Route: restapi.Route{Via: restapi.ViaServiceProxy, Namespace: "pravega", Service: "pravega-pravega-controller", Port: "rest"}, Updated: now}, Inventory: inv}}
	for c := 0; c < 10; c++ {
		cl := &flink.Cluster{Overview: &flink.Overview{TaskManagers: 4, SlotsTotal: 16, SlotsAvailable: 2, Version: "1.19.1"}}
		for j := 0; j < 5; j++ {
			job := flink.Job{ID: fmt.Sprintf("%030d%02d", c, j), Name: fmt.Sprintf("job-%02d-%d", c, j), State: "RUNNING", Start: now.Add(-time.Hour),
				Checkpoints: &flink.Checkpoints{Completed: 100, Failed: int64(j), Latest: &flink.Completed{Acked: now.Add(-10 * time.Second)}}}
			for v := 0; v < 6; v++ {
				job.Vertices = append(job.Vertices, vertex(fmt.Sprintf("%032d", v), fmt.Sprintf("operator %d of job %d", v, j), 4, time.Duration(v)*time.Second, 0))
			}
			cl.Jobs = append(cl.Jobs, job)
		}
		rep.Flink = append(rep.Flink, restapi.FlinkSection{Section: restapi.Section{Target: restapi.Target{API: restapi.Flink, Namespace: fmt.Sprintf("project-%02d", c), Name: "flink"},
			Route: restapi.Route{Via: restapi.ViaServiceProxy, Namespace: fmt.Sprintf("project-%02d", c), Service: "flink-rest", Port: "rest"}, Updated: now}, Cluster: cl})
	}
	return rep
}

// BenchmarkStreamsView renders the pane at 160x48 with 500 streams and 50
// jobs, the cursor in the middle of the list, in both views.
func BenchmarkStreamsView(b *testing.B) {
	for _, view := range []string{"pravega", "flink"} {
		b.Run(view, func(b *testing.B) {
			m, _ := newPane(b, 160, 48)
			m, _ = m.Update(ReportMsg{Report: bigReport()})
			if view == "flink" {
				m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			}
			m.setCursor(len(m.rows) / 2)
			if len(m.rows) < 300 {
				b.Fatalf("%d rows", len(m.rows))
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkStreamsReport is the work done when a report arrives.
func BenchmarkStreamsReport(b *testing.B) {
	m, _ := newPane(b, 160, 48)
	rep := bigReport()
	b.ReportAllocs()
	for b.Loop() {
		m, _ = m.Update(ReportMsg{Report: rep})
	}
}

// TestDemoPane runs the pane on the demo platform's REST APIs through the
// real Monitor: scaling streams, the lagging job and the failing
// checkpoints show up.
func TestDemoPane(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fc := clocktesting.NewFakeClock(now)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	eps, err := p.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mon := restapi.NewMonitor(restapi.Config{Overrides: eps, Credentials: p.CredentialSources(), Secrets: p.Clients().Typed, Clock: fc})
	done := make(chan error)
	go func() { done <- mon.Run(ctx) }()
	defer func() { cancel(); <-done }()

	m := New(pane.Deps{Styles: themes.New(themes.Mono), Keys: keymap.Default(), Clock: fc}, mon)
	m.loc = time.UTC
	m.SetSize(160, 48)
	m, activate := m.Update(pane.FocusMsg{})
	activate()
	wait := m.Init()
	for {
		msg := wait()
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		_ = cmd
		r := msg.(ReportMsg).Report
		if len(r.Pravega) == 1 && r.Pravega[0].Inventory != nil && len(r.Flink) == 2 && r.Flink[0].Cluster != nil && r.Flink[1].Cluster != nil {
			break
		}
		wait = waitReport(mon)
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"pravega/pravega  Pravega Controller · health UP · via direct http://127.0.0.1:", "sensor-readings", "1000 ev/s ×2 min 4", "◆ sensor-aggregation", "(+8 internal hidden)"} {
		if !strings.Contains(v, want) {
			t.Errorf("pravega view lacks %q:\n%s", want, v)
		}
	}
	m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
	v = ansi.Strip(m.View())
	for _, want := range []string{"Flink 1.19.1 · 3 TaskManagers · slots 6, 0 free", "Window(TumblingEventTimeWindows(60000)) -> Aggregate", "◀", "✖",
		"✖ RUNNING", "✖ checkpoints failing: ", " of the last 10 · latest: Checkpoint expired", "lagging ", "holds the minimum"} {
		if !strings.Contains(v, want) {
			t.Errorf("flink view lacks %q:\n%s", want, v)
		}
	}
	// On fraud-scoring's row: its detail gives sizes as Flink reports them,
	// and the monitor is told to read its exception history.
	for i := 0; i < 30 && !strings.HasPrefix(m.selectedKey(), "flink:fraud-detection/fraud-scoring/") || m.rows[m.cursor].kind != rowJob; i++ {
		var cmd tea.Cmd
		m, cmd = m.Update(keymap.Press(m.deps.Keys.Global.Down))
		runCmd(cmd)
	}
	v = ansi.Strip(m.View())
	if !strings.Contains(v, " MiB checkpointed of 310 MiB") || strings.Contains(v, "GiB checkpointed") {
		t.Errorf("job detail sizes:\n%s", v)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		r := mon.Latest()
		if len(r.Flink) == 2 && r.Flink[0].Cluster != nil && r.Flink[0].Cluster.Jobs[0].Exceptions != nil {
			if e := r.Flink[0].Cluster.Jobs[0].Exceptions; len(e.Entries) == 0 {
				t.Errorf("fraud-scoring without failures: %+v", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the focused job's exception history was never read")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWithoutSource: a console built without a streams backend shows the
// pane and says so, and no key breaks it.
func TestWithoutSource(t *testing.T) {
	m := New(pane.Deps{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(now)}, nil)
	m.SetSize(80, 24)
	if m.Init() != nil {
		t.Error("Init waits on no source")
	}
	m, cmd := m.Update(pane.FocusMsg{})
	if cmd != nil {
		t.Error("activation without a source")
	}
	km := m.deps.Keys
	for _, b := range []key.Binding{km.Streams.Refresh, km.Streams.Internal, km.Streams.Section, km.Global.Down, km.Global.Select} {
		m, _ = m.Update(keymap.Press(b))
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "waiting for the streams backend") {
		t.Errorf("view:\n%s", v)
	}
}

// authReport has a Pravega cluster in each state of authentication: read
// with credentials from a Secret, refused for lack of credentials (401),
// refused with credentials (403), its Secret forbidden, and credentials
// that cannot go through the service proxy.
func authReport() restapi.Report {
	rep := fixture()
	direct := func(host string) restapi.Route { return restapi.Route{Via: restapi.ViaDirect, URL: "https://" + host} }
	pt := func(ns string) restapi.Target {
		return restapi.Target{API: restapi.Pravega, Namespace: ns, Name: "pravega", Kind: "PravegaCluster"}
	}
	failed := func(ns string, r restapi.Route, kind restapi.ErrorKind, msg, auth string) restapi.PravegaSection {
		return restapi.PravegaSection{Section: restapi.Section{Target: pt(ns), Route: r, Failures: 2, NextTry: now.Add(20 * time.Second),
			AuthRequired: true, Auth: auth, Err: &restapi.Error{Kind: kind, Msg: msg}}}
	}
	ok := rep.Pravega[0]
	ok.Route, ok.AuthRequired, ok.Auth = direct("pravega-rest.example.com"), true, "basic auth from Secret pravega/streamops-rest"
	rep.Pravega = []restapi.PravegaSection{
		failed("analytics", direct("analytics-rest.example.com"), restapi.AuthRequired, "authentication required (401): no credentials given (--pravega-credentials-secret NAMESPACE/SECRET)", ""),
		failed("billing", direct("billing-rest.example.com"), restapi.CredentialsRejected, "credentials rejected (403): basic auth from Secret billing/streamops-rest may not read /v1/scopes", "basic auth from Secret billing/streamops-rest"),
		failed("ledger", direct("ledger-rest.example.com"), restapi.NoCredentials, "credentials from Secret ledger/streamops-rest: forbidden to read it (get secrets in ledger)", ""),
		failed("metrics", restapi.Route{Via: restapi.ViaServiceProxy, Namespace: "metrics", Service: "pravega-pravega-controller", Port: "rest"}, restapi.NoCredentials,
			"credentials need a direct endpoint: --rest-endpoint pravega:metrics/pravega=URL (the API server's service proxy cannot carry them)", ""),
		ok,
	}
	return rep
}

// TestGoldenAuth renders the authentication refusals at 80x24 and 160x48.
func TestGoldenAuth(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := newPane(t, size[0], size[1])
			m, _ = m.Update(ReportMsg{Report: authReport()})
			m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down)) // the refusal is selected: its detail says it in full
			view := frame(t, m, size[0], size[1])
			for _, want := range []string{"authentication required (401)", "credentials rejected (403)", "forbidden to read it", "credentials need a direct endpoint"} {
				if size[0] == 160 && !strings.Contains(view, want) {
					t.Errorf("no %q", want)
				}
			}
			golden.RequireEqual(t, view)
		})
	}
}

// TestGoldenTaskManagers: fraud-scoring's TaskManagers, one near its heap
// limit (its finding under the job, its row selected with its detail).
func TestGoldenTaskManagers(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := newPane(t, size[0], size[1])
			rep := fixture()
			rep.Flink[0].Cluster.Jobs[0].TaskManagers = []flink.TaskManager{
				{ID: "fraud-scoring-taskmanager-1-1", Path: "pekko.tcp://flink@10.42.1.17:6122/user/rpc/taskmanager_0", Slots: 4, HeapUsed: 1790 << 20, HeapMax: 2 << 30,
					DirectUsed: 70 << 20, Direct: 256 << 20, Managed: 1 << 30, Heartbeat: now.Add(-4 * time.Second),
					GC: []flink.GC{{Name: "G1_Young_Generation", Count: 812, Time: 14 * time.Second}, {Name: "G1_Old_Generation", Count: 3, Time: 900 * time.Millisecond}}},
				{ID: "fraud-scoring-taskmanager-1-2", Path: "pekko.tcp://flink@10.42.1.18:6122/user/rpc/taskmanager_0", Slots: 4, HeapUsed: 760 << 20, HeapMax: 2 << 30,
					DirectUsed: 64 << 20, Direct: 256 << 20, Managed: 1 << 30, Heartbeat: now.Add(-1 * time.Second)},
			}
			m, _ = m.Update(ReportMsg{Report: rep})
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			for i, r := range m.rows {
				if r.kind == rowTaskManager && r.tm.HeapUsed == 1790<<20 {
					m.setCursor(i)
				}
			}
			if r, _ := m.selected(); r.kind != rowTaskManager {
				t.Fatalf("selected %+v", r)
			}
			golden.RequireEqual(t, frame(t, m, size[0], size[1]))
		})
	}
}

// TestGoldenControllerHealth: the Controller's health DOWN marks its
// endpoint line and lists the contributor at fault under it, with the
// streams still shown; a Controller without the health API gets one
// muted line and nothing else changes.
func TestGoldenControllerHealth(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := newPane(t, size[0], size[1])
			rep := fixture()
			inv := *rep.Pravega[0].Inventory
			inv.Health = &pravega.Health{Name: "controller", Status: pravega.HealthDown, Children: []pravega.Health{
				{Name: "cluster-listener", Status: pravega.HealthDown, Details: map[string]string{"zookeeper": "session expired; reconnecting"}},
				{Name: "grpc-server", Status: pravega.HealthUp}}}
			rep.Pravega[0].Inventory = &inv
			m, _ = m.Update(ReportMsg{Report: rep})
			view := frame(t, m, size[0], size[1])
			for _, want := range []string{"✖ health DOWN", "✖ controller health DOWN: cluster-listener: DOWN (zookeeper session expired; reconnecting)", "sensor-readings"} {
				if size[0] == 160 && !strings.Contains(view, want) {
					t.Errorf("no %q:\n%s", want, view)
				}
			}
			golden.RequireEqual(t, view)

			absent := inv
			absent.Health, absent.HealthErr = nil, &restapi.Error{Kind: restapi.HTTPStatus, Path: "/v1/health", Status: 404, Msg: "404 Not Found"}
			rep2 := fixture()
			rep2.Pravega[0].Inventory = &absent
			m, _ = m.Update(ReportMsg{Report: rep2})
			if v := frame(t, m, size[0], size[1]); !strings.Contains(v, "controller health: not served") || strings.Contains(v, "health DOWN") {
				t.Errorf("absent health API:\n%s", v)
			}
		})
	}
}
