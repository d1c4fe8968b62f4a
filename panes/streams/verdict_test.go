package streams

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// TestFocusFollowsSelection: the pane tells the Source which job the
// selection is on (the job, or its finding, exception or vertex), once
// per change, and no job when it leaves the jobs.
func TestFocusFollowsSelection(t *testing.T) {
	m, src := newPane(t, 160, 48)
	m, _ = m.Update(ReportMsg{Report: fixture()})
	step := func(m Model, msg tea.Msg) Model {
		m, cmd := m.Update(msg)
		runCmd(cmd)
		return m
	}
	m = step(m, keymap.Press(m.deps.Keys.Streams.Section)) // the Flink view; the cursor on the first endpoint
	for range 3 {                                          // the job, a finding, another finding: one job
		m = step(m, keymap.Press(m.deps.Keys.Global.Down))
	}
	for range 11 { // past sensor-aggregation's endpoint (no job) to its finding
		m = step(m, keymap.Press(m.deps.Keys.Global.Down))
	}
	for range 2 { // its job row, then its endpoint
		m = step(m, keymap.Press(m.deps.Keys.Global.Up))
	}
	src.mu.Lock()
	got := strings.Join(src.focus, "\n")
	src.mu.Unlock()
	want := strings.Join([]string{
		"flink:fraud-detection/fraud-scoring 6f1d0c2e8a5b4f3e9d7c1b0a2e4f6a8c",
		"none",
		"flink:iot-analytics/sensor-aggregation a1b2c3d4e5f60718293a4b5c6d7e8f90",
		"none",
	}, "\n")
	if got != want {
		t.Errorf("focus calls:\n%s\nwant:\n%s", got, want)
	}
}

// TestVerdictWithoutColour: under the Mono theme (NO_COLOR) the lag, the
// job's verdict and failed checkpoints still read from their glyphs.
func TestVerdictWithoutColour(t *testing.T) {
	m := New(pane.Deps{Styles: themes.New(themes.Mono), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(now)}, newFakeSource())
	m.loc = time.UTC
	m.SetSize(160, 48)
	m, _ = m.Update(ReportMsg{Report: fixture()})
	m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
	v := ansi.Strip(m.View())
	for _, want := range []string{"✖ RUNNING", "✖ 6m12s", "✖ lagging 6m12s behind", "▲ restarted 2×", "✖2187"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q in\n%s", want, v)
		}
	}
	if got := ansi.Strip(m.lagCell(40*time.Second, false)); got != "▲ 40s" {
		t.Errorf("lag over the warning threshold: %q", got)
	}
	if got := ansi.Strip(m.lagCell(2*time.Second, true)); got != "2s ◀" {
		t.Errorf("lag under it: %q", got)
	}
}

// TestCheckpointCellColours: failed checkpoints are not drawn in the
// colour of completed ones.
func TestCheckpointCellColours(t *testing.T) {
	m, _ := newPane(t, 160, 48)
	st := m.deps.Styles
	failing := m.checkpointCell(&flink.Checkpoints{Completed: 6724, Failed: 13445})
	if !strings.Contains(failing, st.Err.Render("✖13445")) || strings.Contains(failing, st.OK.Render("✖13445")) || !strings.Contains(failing, st.OK.Render("✓6724")) {
		t.Errorf("failing cell %q", failing)
	}
	healthy := m.checkpointCell(&flink.Checkpoints{Completed: 10})
	if strings.Contains(healthy, st.Err.Render("✖0")) || !strings.Contains(healthy, st.Muted.Render("✖0")) {
		t.Errorf("healthy cell %q", healthy)
	}
}

// runCmd runs a command and the commands of a batch it returns.
func runCmd(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	if batch, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range batch {
			runCmd(c)
		}
	}
}

// TestStackTraceInert: a stack trace carrying a screen clear and a window
// title reaches the terminal without either (the goldens are stripped of
// escape sequences, so they cannot show it).
func TestStackTraceInert(t *testing.T) {
	m, _ := newPane(t, 160, 48)
	m, _ = m.Update(ReportMsg{Report: fixture()})
	m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
	for range 7 { // the IllegalStateException, whose stack has them
		m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
	}
	if r, _ := m.selected(); r.kind != rowException || !strings.Contains(r.exc.Stack, "\x1b]0;pwned") {
		t.Fatalf("selected %+v", r)
	}
	v := m.View()
	if !strings.Contains(ansi.Strip(v), "bad record from account 4711") {
		t.Fatalf("stack trace not shown:\n%s", ansi.Strip(v))
	}
	for _, bad := range []string{"\x1b[2J", "\x1b]0;", "pwned", "\x07"} {
		if strings.Contains(v, bad) {
			t.Errorf("%q reached the terminal", bad)
		}
	}
}

// TestBackPressureUnreadable: a vertex whose sample could not be read says
// so in its cell and detail; the other vertices and the job's verdict
// stand.
func TestBackPressureUnreadable(t *testing.T) {
	m, _ := newPane(t, 160, 48)
	rep := fixture()
	rep.Flink[0].Cluster.Jobs[0].Vertices[0].BackPressure = &flink.BackPressure{Err: errors.New("GET /jobs/x/vertices/y/backpressure: malformed JSON at byte 12")}
	m, _ = m.Update(ReportMsg{Report: rep})
	m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
	for range 8 { // fraud-scoring's source (one finding fewer above it)
		m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down))
	}
	if r, _ := m.selected(); r.kind != rowVertex || r.vertex.Name != "Source: Pravega fraud/payments" {
		t.Fatalf("selected %+v", r)
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"bp ✖", "back-pressure: ✖ GET /jobs/x/vertices/y/backpressure: malformed JSON at byte 12", "✖ checkpoints failing", "bp ok"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q in\n%s", want, v)
		}
	}
	if strings.Contains(v, "back-pressured (high)") {
		t.Errorf("an unreadable sample made a verdict:\n%s", v)
	}
}

// TestTaskManagers: the TaskManagers of the job looked at are listed
// under it with their heap, direct and managed memory, GC and heartbeat;
// one near its heap limit says so in text and glyph (NO_COLOR too), in
// its row and in the job's verdict; its detail names its slots and
// collectors; TaskManagers that could not be read are one line.
func TestTaskManagers(t *testing.T) {
	m := New(pane.Deps{Styles: themes.New(themes.Mono), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(now)}, newFakeSource())
	m.loc = time.UTC
	m.SetSize(160, 48)
	rep := fixture()
	j := &rep.Flink[1].Cluster.Jobs[0] // sensor-aggregation
	j.TaskManagers = []flink.TaskManager{
		{ID: "tm-0", Path: "pekko.tcp://flink@10.42.0.7:6122/user/rpc/taskmanager_0", Slots: 2, HeapUsed: 1946 << 20, HeapMax: 2 << 30, DirectUsed: 60 << 20, Direct: 128 << 20,
			Managed: 512 << 20, Heartbeat: now.Add(-3 * time.Second), GC: []flink.GC{{Name: "G1_Young_Generation", Count: 40, Time: 800 * time.Millisecond}}},
		{ID: "tm-1", Path: "pekko.tcp://flink@10.42.0.8:6122/user/rpc/taskmanager_0", Slots: 2, FreeSlots: 1, HeapUsed: 700 << 20, HeapMax: 2 << 30, Heartbeat: now},
	}
	rep.Flink[1].Cluster.Jobs[1].TaskManagersErr = errors.New("GET /taskmanagers: 503 Service Unavailable")
	m, _ = m.Update(ReportMsg{Report: rep})
	m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
	v := ansi.Strip(m.View())
	for _, want := range []string{
		"✖ heap near its limit: TaskManager 10.42.0.7:6122 uses 1.9 GiB of 2 GiB (95%)",
		"✖ TaskManager 10.42.0.7:6122 · heap 1.9 GiB of 2 GiB (95%) · direct 60 MiB of 128 MiB · managed 512 MiB · GC 40× 0.8s · heartbeat 3s ago",
		"● TaskManager 10.42.0.8:6122 · heap 700 MiB of 2 GiB (34%) · heartbeat 0.0s ago",
		"✖ TaskManagers: GET /taskmanagers: 503 Service Unavailable",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q in\n%s", want, v)
		}
	}
	for i, r := range m.rows {
		if r.kind == rowTaskManager && r.tm.ID == "tm-0" {
			m.setCursor(i)
		}
	}
	title, lines := m.detail(m.rows[m.cursor], now)
	if title != "TaskManager 10.42.0.7:6122 of sensor-aggregation" || len(lines) != 2 || lines[1] != "2 slots, 0 free · id tm-0 · GC: G1_Young_Generation 40× 0.8s" {
		t.Errorf("detail %q %q", title, lines)
	}
}

// TestOperatorFinding: a Flink cluster whose operator reports an error
// (a rolled-back upgrade, a failed deployment) says so under its endpoint
// line, whatever the REST API answers; the finding's detail and a
// Controller's health finding render when selected.
func TestOperatorFinding(t *testing.T) {
	m, _ := newPane(t, 160, 48)
	rep := fixture()
	rep.Flink[1].Operator = &restapi.Operator{State: "ROLLED_BACK / job RUNNING", Health: platform.Degraded, Reason: "upgrade failed, rolled back to the last stable spec"}
	rep.Flink[0].Operator = &restapi.Operator{State: "STABLE / job RUNNING", Health: platform.Ready}
	rep.Pravega[0].Inventory.Health = &pravega.Health{Status: "DOWN"}
	m, _ = m.Update(ReportMsg{Report: rep})
	if m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Down)); m.selectedKey() != "pravega:pravega/pravega/!health" {
		t.Fatalf("selected %q, want the Controller's health finding", m.selectedKey())
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "── unhealthy · pravega:pravega/pravega") {
		t.Errorf("no health finding detail in\n%s", v)
	}
	m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
	m = selectKey(m, "sensor-aggregation/!op")
	v := ansi.Strip(m.View())
	for _, want := range []string{"▲ operator: upgrade failed, rolled back to the last stable spec", "── operator · flink:iot-analytics/sensor-aggregation"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q in\n%s", want, v)
		}
	}
	if strings.Contains(v, "fraud-scoring/!op") || strings.Count(v, "operator:") != 2 { // the row and its detail; nothing for the healthy one
		t.Errorf("operator findings:\n%s", v)
	}
	m = selectKey(m, "/!none") // not there: the cursor ends on the last row
	m, _ = m.Update(keymap.Press(m.deps.Keys.Global.Top))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "operator reports STABLE / job RUNNING") {
		t.Errorf("the endpoint detail does not say what the operator reports:\n%s", v)
	}
}
