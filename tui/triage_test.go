package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
)

// TestTriageReportBeforeStreamsPane: ctrl+s on the members pane, the
// streams pane never opened (its monitor never activated), writes the
// Flink jobs and the Pravega streams with their verdicts: the report makes
// the monitor read what it needs.
func TestTriageReportBeforeStreamsPane(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eps, err := p.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mon := restapi.NewMonitor(restapi.Config{Overrides: eps, Credentials: p.CredentialSources(), Secrets: p.Clients().Typed, Clock: fc})
	done := make(chan error)
	go func() { done <- mon.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for _, f := range mon.Latest().Flink {
		if f.Cluster != nil {
			t.Fatalf("the monitor read before anyone asked: %+v", f)
		}
	}
	km := keymap.Default()
	m := newConsole(t, fc, themes.Dark, Backends{Streams: mon})
	m.opts.ReportDir = t.TempDir()
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24}, snapshotMsg{snap}, keymap.Press(km.Global.Snapshot), runCmd{})
	files, _ := os.ReadDir(m.opts.ReportDir)
	if len(files) != 1 {
		t.Fatalf("%d triage reports", len(files))
	}
	b, _ := os.ReadFile(filepath.Join(m.opts.ReportDir, files[0].Name()))
	md := string(b)
	for _, want := range []string{
		"| iot-analytics/sensor-aggregation | sensor-aggregation | RUNNING | ",
		"lagging ", " behind: Window(TumblingEventTimeWindows(60000)) -> Aggregate, subtask",
		"back-pressured (high): Timestamps/Watermarks -> Filter(valid)", // read for the report
		"| fraud-detection/fraud-scoring | fraud-scoring | RUNNING | ",
		"✖ checkpoints failing: ", " of the last 10 · latest: Checkpoint expired",
		"restarted 3× in the last hour", // from its exception history, read for the report
		"| pravega/pravega | direct http://127.0.0.1:",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in the report:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| no jobs |") || strings.Contains(md, "| not read |") {
		t.Errorf("the report lacks what the pane would have loaded:\n%s", md)
	}
}
