package restapi_test

import (
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
)

func TestBacklogs(t *testing.T) {
	src := func(scope, group string, unread int64) flink.Vertex {
		return flink.Vertex{ID: scope + group, Name: "Source: " + group, Readers: &flink.ReaderGroup{Scope: scope, Name: group, Unread: unread}}
	}
	a := restapi.Target{API: restapi.Flink, Namespace: "iot", Name: "a"}
	b := restapi.Target{API: restapi.Flink, Namespace: "iot", Name: "b"}
	secs := []restapi.FlinkSection{
		{Section: restapi.Section{Target: a}}, // not read
		{Section: restapi.Section{Target: a}, Cluster: &flink.Cluster{Jobs: []flink.Job{
			{ID: "j1", Vertices: []flink.Vertex{src("iot", "agg", 10), {ID: "w", Name: "Window"}}},
		}}},
		{Section: restapi.Section{Target: b}, Cluster: &flink.Cluster{Jobs: []flink.Job{
			{ID: "j2", Vertices: []flink.Vertex{src("iot", "agg", 20), src("fraud", "scoring", 30)}},
		}}},
	}
	got := restapi.Backlogs(secs)
	if len(got) != 2 {
		t.Fatalf("backlogs %v, want iot/agg and fraud/scoring", got)
	}
	if g := got["iot/agg"]; g.Flink != a || g.Job.ID != "j1" || g.Group.Unread != 10 {
		t.Errorf("iot/agg from %v job %s unread %d, want the first job that reads it (a, j1, 10)", g.Flink, g.Job.ID, g.Group.Unread)
	}
	if g := got["fraud/scoring"]; g.Flink != b || g.Vertex.Name != "Source: scoring" {
		t.Errorf("fraud/scoring from %v %q", g.Flink, g.Vertex.Name)
	}
	if restapi.Backlogs(secs[:1]) != nil {
		t.Error("no source read: want no index")
	}
}

func TestBacklogText(t *testing.T) {
	trend := func(values ...int64) *flink.ReaderGroup {
		g := &flink.ReaderGroup{Unread: values[len(values)-1]}
		for i, v := range values {
			g.Trend = append(g.Trend, flink.Sample{At: t0.Add(time.Duration(i) * time.Minute), Value: v})
		}
		return g
	}
	for _, tc := range []struct {
		g    *flink.ReaderGroup
		want string
	}{
		{trend(5 << 30), "5 GiB unread"},
		{trend(100<<20, 40<<20), "40 MiB unread, −60 MiB in 1m00s"},
		{trend(1<<20, 1<<20, 1<<20), "1 MiB unread, unchanged for 2m00s"},
		{trend(1<<20, 3<<20), "3 MiB unread, +2 MiB in 1m00s"},
	} {
		if got := restapi.DefaultThresholds.BacklogText(tc.g); got != tc.want {
			t.Errorf("BacklogText = %q, want %q", got, tc.want)
		}
	}
}
