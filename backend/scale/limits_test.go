package scale

import (
	"strings"
	"testing"

	"github.com/streamops/streamops/backend/platform"
)

// TestAdjustTargetStopsAtTheMinimum: + and - never go below a target's
// minimum, and ZooKeeper moves between odd sizes.
func TestAdjustTargetStopsAtTheMinimum(t *testing.T) {
	zk := Target{Kind: platform.ZooKeeper, Cluster: "zookeeper", Field: Replicas, Min: 3, MinWhy: "an odd ensemble"}
	bk := Target{Kind: platform.BookKeeper, Cluster: "bookkeeper", Field: Replicas, Min: 3, MinWhy: "the bookies a ledger needs"}
	ss := Target{Kind: platform.SegmentStore, Cluster: "pravega", Field: Replicas, Min: 1, MinWhy: "at least one member"}
	tests := []struct {
		name    string
		t       Target
		from    string
		delta   int
		want    string
		atFloor bool
	}{
		{"zookeeper grows odd to odd", zk, "3", 1, "5", false},
		{"zookeeper shrinks odd to odd", zk, "7", -1, "5", false},
		{"zookeeper stops at 3", zk, "3", -1, "3", true},
		{"zookeeper from even grows to odd", zk, "4", 1, "5", false},
		{"bookies stop at the ensemble", bk, "3", -1, "3", true},
		{"bookies shrink above it", bk, "5", -1, "4", false},
		{"segment stores stop at 1", ss, "1", -1, "1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AdjustTarget(tt.t, tt.from, tt.delta)
			if got != tt.want || (err != nil) != tt.atFloor {
				t.Errorf("AdjustTarget(%s, %d) = %q, %v; want %q (at floor %v)", tt.from, tt.delta, got, err, tt.want, tt.atFloor)
			}
		})
	}
}

// TestCheckValueRefusesJunk: a typed value is a whole number not below
// the minimum (odd for ZooKeeper), else one line naming the target.
func TestCheckValueRefusesJunk(t *testing.T) {
	zk := Target{Kind: platform.ZooKeeper, Cluster: "zookeeper", Field: Replicas, Desired: 3, Min: 3, MinWhy: "an odd ensemble"}
	cpu := Target{Kind: platform.FlinkTaskManager, Cluster: "sensors", Field: TaskManagerCPU}
	tests := []struct {
		t          Target
		typed, out string
		err        string
	}{
		{zk, " 5 ", "5", ""},
		{zk, "1", "", "ZooKeeper zookeeper: at least 3 replicas (an odd ensemble), not 1"},
		{zk, "4", "", "ZooKeeper zookeeper: the ensemble stays odd: 3 or 5, not 4"},
		{zk, "lots", "", `ZooKeeper zookeeper: replicas "lots" is not a whole number`},
		{zk, "-1", "", "ZooKeeper zookeeper: at least 3 replicas (an odd ensemble), not -1"},
		{cpu, "2.5", "2.5", ""},
		{cpu, "fast", "", `TaskManager sensors: CPU "fast": not a number of cores`},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			got, err := CheckValue(tt.t, tt.typed)
			if got != tt.out || tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
				t.Errorf("CheckValue(%q) = %q, %v; want %q, %q", tt.typed, got, err, tt.out, tt.err)
			}
		})
	}
}

// TestBookieSizes: the PravegaCluster's options, legacy names included,
// else Pravega's defaults; a malformed option is said.
func TestBookieSizes(t *testing.T) {
	snap, objs := platformFixture()
	if l := bookieSizes(snap, objs, "pravega"); l.Min() != 3 || l.AckQuorum != 2 || l.From != "Pravega's defaults" {
		t.Errorf("defaults: %+v", l)
	}
	pr := objs["pravegaclusters/pravega/pravega"]
	pr.Object["spec"].(map[string]any)["pravega"].(map[string]any)["options"] = map[string]any{"bookkeeper.bkEnsembleSize": "5", "bookkeeper.write.quorum.size": "4"}
	if l := bookieSizes(snap, objs, "pravega"); l.Ensemble != 5 || l.WriteQuorum != 4 || l.AckQuorum != 2 || l.Min() != 5 {
		t.Errorf("options: %+v", l)
	}
	pr.Object["spec"].(map[string]any)["pravega"].(map[string]any)["options"] = map[string]any{"bookkeeper.ensemble.size": "three"}
	if l := bookieSizes(snap, objs, "pravega"); l.Err == "" {
		t.Errorf("a malformed option is not said: %+v", l)
	}
	plan, err := BuildPlan(snap, objs, []Change{{Key: key(platform.BookKeeper, bkRef), Field: Replicas, To: "4"}}, "p", now)
	if err != nil || len(plan.Refusals) != 0 {
		t.Errorf("scale-out with a malformed option: %v %v", err, plan.Refusals)
	}
}

// TestRefusalsOnTheFixture: the rules on members that are not all ready,
// and a ZooKeeper below 3 that may grow but never shrink.
func TestRefusalsOnTheFixture(t *testing.T) {
	tests := []struct {
		name    string
		kind    platform.Kind
		desired int
		ready   int
		to      string
		ids     []string
		steps   []string
	}{
		{"ZooKeeper scale-down with a member not ready", platform.ZooKeeper, 5, 4, "3", []string{"zookeeper-ready#1"}, []string{"5→4", "4→3"}},
		{"ZooKeeper scale-out with a member not ready is not refused here (the preflight's health check is)", platform.ZooKeeper, 5, 4, "7", nil, []string{"5→7"}},
		{"ZooKeeper of 1 grows to 3", platform.ZooKeeper, 1, 1, "3", nil, []string{"1→3"}},
		{"bookie scale-down with a bookie not ready", platform.BookKeeper, 4, 3, "3", []string{"bookkeeper-ready#1", "bookie-data#1"}, []string{"4→3"}},
		{"bookies 5→3 ready: one override per step", platform.BookKeeper, 5, 5, "3", []string{"bookie-data#1", "bookie-data#2"}, []string{"5→4", "4→3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			ref := zkRef
			if tt.kind == platform.BookKeeper {
				ref = bkRef
			}
			for i, c := range snap.Components {
				if c.Kind == tt.kind {
					snap.Components[i] = comp(tt.kind, ref, tt.desired, tt.ready)
				}
			}
			plan, err := BuildPlan(snap, objs, []Change{{Key: key(tt.kind, ref), Field: Replicas, To: tt.to}}, "p", now)
			if err != nil {
				t.Fatal(err)
			}
			var ids, steps []string
			for _, r := range plan.Refusals {
				ids = append(ids, r.ID)
			}
			for _, s := range plan.Steps {
				steps = append(steps, s.Diffs[0].From+"→"+s.Diffs[0].To)
			}
			if strings.Join(ids, " ") != strings.Join(tt.ids, " ") || strings.Join(steps, " ") != strings.Join(tt.steps, " ") {
				t.Errorf("refusals %v steps %v, want %v %v", ids, steps, tt.ids, tt.steps)
			}
		})
	}
}
