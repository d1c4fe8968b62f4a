package logs

import (
	"testing"

	logengine "github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
)

// TestShortLabels: sources are named by component and ordinal, with the
// cluster when two clusters of a kind are followed, the container when a
// pod has several, and pod names for pods of no named component; one
// source has no label (no prefix at all).
func TestShortLabels(t *testing.T) {
	comp := func(k platform.Kind, ns, cluster string, pods ...string) *platform.Component {
		c := &platform.Component{Kind: k, Namespace: ns, Cluster: cluster}
		for _, p := range pods {
			c.Members = append(c.Members, &platform.Member{Name: p, Namespace: ns})
		}
		return c
	}
	snap := &platform.Snapshot{Components: []*platform.Component{
		comp(platform.BookKeeper, "pravega", "bookkeeper", "bookkeeper-bookie-0", "bookkeeper-bookie-1", "bookkeeper-bookie-2"),
		comp(platform.Controller, "pravega", "pravega", "pravega-pravega-controller-6b9f-abcde", "pravega-pravega-controller-6b9f-fghij"),
		comp(platform.FlinkTaskManager, "fraud", "fraud-scoring", "fraud-scoring-taskmanager-1-1"),
		comp(platform.FlinkTaskManager, "iot", "sensor-aggregation", "sensor-aggregation-taskmanager-1-1"),
		comp(platform.Other, "pravega", "pravega-tier2-sync", "pravega-tier2-sync-6d5f8b7c9-q8v2m"),
	}}
	src := func(id uint32, ns, pod, ctr string) logengine.SourceInfo {
		return logengine.SourceInfo{ID: id, Target: logengine.Target{Namespace: ns, Pod: pod, Container: ctr}}
	}
	srcs := []logengine.SourceInfo{
		src(1, "pravega", "bookkeeper-bookie-2", "bookie"),
		src(2, "pravega", "pravega-pravega-controller-6b9f-fghij", "controller"),
		src(3, "fraud", "fraud-scoring-taskmanager-1-1", "flink-main-container"),
		src(4, "iot", "sensor-aggregation-taskmanager-1-1", "flink-main-container"),
		src(5, "iot", "sensor-aggregation-taskmanager-1-1", "sidecar"),
		src(6, "pravega", "pravega-tier2-sync-6d5f8b7c9-q8v2m", "sync"),
	}
	lb := shortLabels(srcs, snap)
	want := map[uint32]string{
		1: "bk-2", 2: "ctl-1", 3: "fraud-scoring/tm-1",
		4: "sensor-aggregation/tm-1/flink-main-container", 5: "sensor-aggregation/tm-1/sidecar",
		6: "pravega-tier2-sync-6d5f8b7c9-q8v2m",
	}
	for id, w := range want {
		if got := lb.byID[id]; got != w {
			t.Errorf("source %d: %q, want %q", id, got, w)
		}
	}
	if w := "bk: BookKeeper pravega/bookkeeper · ctl: Controller pravega/pravega · fraud-scoring/tm: TaskManager fraud/fraud-scoring · sensor-aggregation/tm: TaskManager iot/sensor-aggregation"; lb.legend != w {
		t.Errorf("legend\n %q\nwant %q", lb.legend, w)
	}
	if one := shortLabels(srcs[:1], snap); len(one.byID) != 0 || one.legend != "" || one.width != 0 {
		t.Errorf("one source is labelled: %+v", one)
	}
}
