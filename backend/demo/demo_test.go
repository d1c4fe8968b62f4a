package demo_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/watch"
)

var epoch = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// TestDemoSettles drives the simulator with a fake clock until every member
// is ready, and checks that the backend's watcher sees the platform the
// issue describes: ZooKeeper 3, BookKeeper 3, Segment Store 3, Controller 2
// and two Flink deployments, each fully ready.
func TestDemoSettles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 200); err != nil {
		t.Fatal(err)
	}
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{
		"pravega/zookeeper/ZooKeeper":                  {3, 3},
		"pravega/bookkeeper/BookKeeper":                {3, 3},
		"pravega/pravega/SegmentStore":                 {3, 3},
		"pravega/pravega/Controller":                   {2, 2},
		"iot-analytics/sensor-aggregation/JobManager":  {1, 1},
		"iot-analytics/sensor-aggregation/TaskManager": {3, 3},
		"fraud-detection/fraud-scoring/JobManager":     {1, 1},
		"fraud-detection/fraud-scoring/TaskManager":    {2, 2},
	}
	var snap *platform.Snapshot
	sub := w.Subscribe(ctx)
	for {
		snap = w.Snapshot()
		ok := len(snap.Components) == len(want)
		for _, c := range snap.Components {
			if dr, found := want[c.Key()]; !found || c.Desired != dr[0] || c.Ready != dr[1] {
				ok = false
			}
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			for _, c := range snap.Components {
				t.Logf("%s %d/%d %s %s", c.Key(), c.Ready, c.Desired, c.Health, c.Reason)
			}
			t.Fatal("snapshot never matched")
		case <-sub:
		}
	}
	for _, c := range snap.Components {
		if c.Health != platform.Ready {
			t.Errorf("%s: health %s (%s), want Ready", c.Key(), c.Health, c.Reason)
		}
		if c.Version == "" {
			t.Errorf("%s: no version", c.Key())
		}
	}
	for _, s := range snap.Syncs {
		if s.Phase != platform.Synced {
			t.Errorf("watch %s: %s %s", s.Resource, s.Phase, s.Reason)
		}
	}
}

// TestSpecWritesAreRecorded: the record tests use to prove "no write"
// sees a spec patch, and not the simulator's status writes.
func TestSpecWritesAreRecorded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 200); err != nil {
		t.Fatal(err)
	}
	if w := p.SpecWrites(); len(w) != 0 {
		t.Fatalf("status writes recorded as spec writes: %v", w)
	}
	res := p.Clients().Dynamic.Resource(operator.BookkeeperClusters.GVR).Namespace(demo.StoreNamespace)
	if _, err := res.Patch(ctx, demo.BookkeeperName, types.MergePatchType, []byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if w := p.SpecWrites(); len(w) != 1 || w[0] != "patch bookkeeperclusters pravega/bookkeeper" {
		t.Errorf("spec writes %v", w)
	}
}
