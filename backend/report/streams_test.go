package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

// TestStreamsVerdicts: the Flink and Pravega sections say what is wrong,
// and "ok" where nothing is.
func TestStreamsVerdicts(t *testing.T) {
	healthy := flink.Job{Name: "reading", State: "RUNNING", Vertices: []flink.Vertex{
		{Name: "Window", Watermark: flink.Watermark{Read: true, Subtasks: 2, Millis: now.Add(-time.Second).UnixMilli(), MinSubtask: 1}}},
		Checkpoints: &flink.Checkpoints{Completed: 10, Recent: []flink.Attempt{{ID: 10, Status: "COMPLETED"}}}}
	failing := flink.Job{Name: "failing", State: "RUNNING", Checkpoints: &flink.Checkpoints{Completed: 1, Failed: 2,
		Recent:        []flink.Attempt{{ID: 3, Status: "FAILED"}, {ID: 2, Status: "FAILED"}, {ID: 1, Status: "COMPLETED"}},
		LatestFailure: &flink.Failure{ID: 3, Trigger: now, Failed: now, Message: "declined"}}}
	finished := flink.Job{Name: "backfill", State: "FINISHED"}
	var grew []flink.Sample
	for i := range 5 {
		grew = append(grew, flink.Sample{At: now.Add(time.Duration(i-4) * time.Minute), Value: int64(100+50*i) << 20})
	}
	healthy.Vertices = append(healthy.Vertices, flink.Vertex{Name: "Source: iot/readings", Readers: &flink.ReaderGroup{Scope: "iot", Name: "g", Unread: 300 << 20, Trend: grew}})
	in := Input{Now: now, Snapshot: &platform.Snapshot{},
		Flink: []FlinkState{
			{Namespace: "iot", Cluster: "agg", State: &flink.Cluster{Jobs: []flink.Job{healthy, failing, finished}}},
			{Namespace: "iot", Cluster: "pending"},
			{Namespace: "iot", Cluster: "empty", State: &flink.Cluster{}},
		},
		Pravega: []PravegaState{
			{Namespace: "pravega", Cluster: "ok", Streams: 1, Inventory: &pravega.Inventory{Scopes: []pravega.Scope{{Name: "iot",
				Groups: []pravega.ReaderGroup{{Scope: "iot", Name: "g", OnlineReaders: []string{"r"}}}}}}},
			{Namespace: "pravega", Cluster: "idle", Streams: 1, Inventory: &pravega.Inventory{Scopes: []pravega.Scope{{Name: "iot",
				Groups: []pravega.ReaderGroup{{Scope: "iot", Name: "dashboard", Streams: []string{"iot/aggregates"}}}}}}},
			{Namespace: "pravega", Cluster: "down", Streams: -1, Err: errors.New("no answer within 5s")},
		},
	}
	md := Markdown(in)
	for _, want := range []string{
		"| iot/agg | reading | RUNNING | ✖ backlog growing: +200 MiB in 4m00s to 300 MiB unread · reader group iot/g |",
		"| pravega/ok | iot/g | - | 1 | ✖ growing: 300 MiB unread, +200 MiB in 4m00s | iot/agg reading |",
		"| pravega/idle | iot/dashboard | iot/aggregates | 0 | unknown (no Flink source reports it) | - |",
		"| iot/agg | failing | RUNNING | ✖ checkpoints failing: 2 of the last 3 · latest: declined |",
		"| iot/agg | backfill | FINISHED | - |",
		"| iot/pending | - | not read | - |",
		"| iot/empty | - | no jobs | - |",
		"| pravega/ok | - | - | 1 | - | ● ok |",
		"| pravega/idle | - | - | 1 | - | ▲ reader group iot/dashboard: no reader online (reads iot/aggregates) |",
		"| pravega/down | - | - | - | no answer within 5s | - |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
}
