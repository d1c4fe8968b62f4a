package demo_test

import (
	"context"
	"strings"
	"testing"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/object"
)

// TestDemoOperatorEvents: sensor-aggregation's FlinkDeployment tells, in
// its story, the operator's Normal events, the autoscaler's ScalingReport
// first (the newest), recommending parallelism for the window vertex.
func TestDemoOperatorEvents(t *testing.T) {
	p := demo.New(demo.Options{Seed: 1, Clock: clocktesting.NewFakeClock(epoch)})
	st, err := object.Load(context.Background(), p.Clients(), object.Ref{Kind: "FlinkDeployment", Namespace: demo.ProjectIoT, Name: demo.SensorJobName})
	if err != nil || st.EventsErr != "" {
		t.Fatal(err, st.EventsErr)
	}
	if len(st.Events) != 2 {
		t.Fatalf("events %+v", st.Events)
	}
	if e := st.Events[0]; e.Reason != "ScalingReport" || e.Type != "Normal" || e.Count != 6 || !strings.Contains(e.Message, "| Parallelism 6 -> 8 |") {
		t.Errorf("newest event %+v, want the autoscaler's ScalingReport", e)
	}
	if e := st.Events[1]; e.Reason != "JobStatusChanged" {
		t.Errorf("older event %+v", e)
	}
}
