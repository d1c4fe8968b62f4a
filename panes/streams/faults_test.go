package streams

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// TestEndpointFaultsShowOneLine runs the real monitor against REST
// endpoints that hang, reset, fail or answer garbage, and shows its report
// in the pane: each view says what went wrong on one line, after at most
// the request timeout.
func TestEndpointFaultsShowOneLine(t *testing.T) {
	const timeout = 300 * time.Millisecond
	pv := fakeapi.NewPravega(func() time.Time { return now })
	pv.CreateStream("iot", "sensors", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.FixedSegments, MinSegments: 1}}, now.Add(-time.Hour))
	fl := fakeapi.NewFlink(func() time.Time { return now }, fakeapi.Overview{TaskManagers: 1, SlotsTotal: 2, SlotsAvailable: 1, Version: "1.19.1"})
	pvSrv, flSrv := httptest.NewServer(pv.Handler()), httptest.NewServer(fl.Handler())
	t.Cleanup(pvSrv.Close)
	t.Cleanup(flSrv.Close)
	pvTarget := restapi.Target{API: restapi.Pravega, Namespace: "pravega", Name: "pravega"}
	flTarget := restapi.Target{API: restapi.Flink, Namespace: "analytics", Name: "agg"}
	snap := &platform.Snapshot{Seq: 1, Components: []*platform.Component{
		{Kind: platform.Controller, Namespace: "pravega", Cluster: "pravega", Source: platform.Ref{Kind: "PravegaCluster"}},
		{Kind: platform.FlinkJobManager, Namespace: "analytics", Cluster: "agg", Source: platform.Ref{Kind: "FlinkDeployment"}},
	}}
	for _, tc := range []struct {
		name  string
		fault fakeapi.Fault
		msg   string
	}{
		{"hang", fakeapi.Fault{Kind: fakeapi.Hang}, "no answer within 300ms"},
		{"no answer", fakeapi.Fault{Kind: fakeapi.Slow, Delay: time.Minute}, "no answer within 300ms"},
		{"reset", fakeapi.Fault{Kind: fakeapi.Reset}, "connection reset by peer"},
		{"500", fakeapi.Fault{Kind: fakeapi.ServerError}, "500 Internal Server Error: injected failure"},
		{"malformed JSON", fakeapi.Fault{Kind: fakeapi.Malformed}, "malformed JSON at byte"},
		{"not JSON", fakeapi.Fault{Kind: fakeapi.Garbage}, "malformed JSON at byte 1: invalid character '<'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pv.ClearFaults()
			fl.ClearFaults()
			pv.Inject("/v1/scopes", tc.fault)
			fl.Inject("/jobs/overview", tc.fault)
			mon := restapi.NewMonitor(restapi.Config{Timeout: timeout, Interval: time.Minute, Overrides: []restapi.Override{
				{Target: pvTarget, URL: pvSrv.URL}, {Target: flTarget, URL: flSrv.URL}}})
			mon.Observe(snap)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- mon.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			m := New(pane.Deps{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(time.Now())}, mon)
			m.SetSize(160, 48)
			begin := time.Now()
			mon.Activate()
			var r restapi.Report
			for r.Pravega == nil || r.Pravega[0].Err == nil || r.Flink == nil || r.Flink[0].Err == nil {
				select {
				case r = <-mon.Reports():
				case <-time.After(timeout + 5*time.Second):
					t.Fatalf("no failure reported within %s: %+v %+v", timeout+5*time.Second, r.Pravega, r.Flink)
				}
			}
			t.Logf("%s: both sections failed after %s", tc.name, time.Since(begin).Round(time.Millisecond))
			m, _ = m.Update(ReportMsg{Report: r})
			oneLine(t, ansi.Strip(m.View()), "GET /v1/scopes: ", tc.msg)
			m, _ = m.Update(keymap.Press(m.deps.Keys.Streams.Section))
			oneLine(t, ansi.Strip(m.View()), "GET /jobs/overview: ", tc.msg)
		})
	}
}

// oneLine checks that the view names the failed request with what went
// wrong, on one line: the section's problem row (and the detail panel
// repeating it for the selected row), never wrapped over several lines.
func oneLine(t *testing.T, view, request, msg string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, request) {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 || len(lines) > 2 {
		t.Fatalf("want the request %q on a row (and in the detail), got %q in:\n%s", request, lines, view)
	}
	for _, l := range lines {
		if !strings.Contains(l, "✖ "+request) || !strings.Contains(l, msg) {
			t.Errorf("line %q does not say %q on one line:\n%s", l, msg, view)
		}
	}
}
