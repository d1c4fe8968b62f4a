package scale

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/streamops/streamops/backend/platform"
)

func planFor(t *testing.T, snap *platform.Snapshot, objs objects, changes ...Change) Plan {
	t.Helper()
	p, err := BuildPlan(snap, objs, changes, "p", now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var bookies5 = Change{Key: key(platform.BookKeeper, bkRef), Field: Replicas, To: "5"}

func TestCheckPlan(t *testing.T) {
	tests := []struct {
		name    string
		changes []Change
		want    Status
		summary string
	}{
		{"scale-out passes", []Change{bookies5}, Pass, "1 step(s) in the required order: BookKeeper"},
		{"segment store scale-down warns", []Change{{Key: key(platform.SegmentStore, prRef), Field: Replicas, To: "2"}}, Warn, "caution"},
		{"bookies below the ensemble are refused", []Change{{Key: key(platform.BookKeeper, bkRef), Field: Replicas, To: "2"}}, Fail, "refused: BookKeeper bookkeeper 3→2: below what every ledger needs (ensemble 3, write quorum 3, ack quorum 2"},
		{"too few slots fails", []Change{{Key: key(platform.FlinkTaskManager, flinkRef), Field: Replicas, To: "1"}}, Fail, "parallelism 6 needs 6 slots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			c := checkPlan(planFor(t, snap, objs, tt.changes...))
			if c.Status != tt.want || !strings.Contains(c.Summary, tt.summary) {
				t.Errorf("%s %q, want %s %q", c.Status, c.Summary, tt.want, tt.summary)
			}
		})
	}
}

func TestCheckCredentials(t *testing.T) {
	snap, objs := platformFixture()
	plan := planFor(t, snap, objs, bookies5)
	perms := permissionsFor(plan)
	labels := []string{}
	for _, p := range perms {
		labels = append(labels, p.Label())
	}
	wantLabels := []string{
		"get bookkeeperclusters.bookkeeper.pravega.io in pravega",
		"patch bookkeeperclusters.bookkeeper.pravega.io in pravega",
		"list pods in pravega",
		"get pods/log in pravega",
		"list nodes cluster-wide",
		"list pods cluster-wide",
	}
	if strings.Join(labels, "\n") != strings.Join(wantLabels, "\n") {
		t.Fatalf("permissions\n%s", strings.Join(labels, "\n"))
	}
	allow := func(except map[int]Answer) []Answer {
		out := make([]Answer, len(perms))
		for i := range out {
			out[i] = Answer{Allowed: true}
			if a, ok := except[i]; ok {
				out[i] = a
			}
		}
		return out
	}
	tests := []struct {
		name    string
		answers []Answer
		want    Status
		summary string
		fix     string
	}{
		{"everything allowed", allow(nil), Pass, "may do all 6 things", ""},
		{"patch refused names exactly what is missing", allow(map[int]Answer{1: {Reason: "no RoleBinding"}}), Fail,
			"oncall may not patch bookkeeperclusters.bookkeeper.pravega.io in pravega", "granting: patch bookkeeperclusters.bookkeeper.pravega.io in pravega"},
		{"review failing counts as missing", allow(map[int]Answer{0: {Err: "connection refused"}}), Fail, "may not get bookkeeperclusters", ""},
		{"a refused read only weakens a check", allow(map[int]Answer{5: {Reason: "namespaced user"}}), Warn, "list pods cluster-wide", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checkCredentials(perms, tt.answers, "oncall")
			if c.Status != tt.want || !strings.Contains(c.Summary, tt.summary) || !strings.Contains(c.Fix, tt.fix) {
				t.Errorf("%s %q fix %q", c.Status, c.Summary, c.Fix)
			}
		})
	}
}

func TestCheckHealth(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*platform.Snapshot)
		want     Status
		summary  string
		evidence string
	}{
		{"all ready", func(*platform.Snapshot) {}, Pass, "every member of the 1 component(s) involved is ready", "✓ BookKeeper pravega/bookkeeper 3/3 ready"},
		{"a bookie not ready", func(s *platform.Snapshot) {
			c := s.Components[1]
			c.Ready, c.Members[2].Ready, c.Members[2].Reason = 2, false, "CrashLoopBackOff"
		}, Fail, "not ready: BookKeeper 2/3", "bookkeeper-BookKeeper-2 CrashLoopBackOff"},
		{"a member missing", func(s *platform.Snapshot) {
			c := s.Components[1]
			c.Members, c.Ready = c.Members[:2], 2
		}, Fail, "BookKeeper 2/3", ""},
		{"pods watch failing", func(s *platform.Snapshot) {
			s.Syncs = []platform.SyncState{{Resource: "pods", Phase: platform.Failing, Reason: "forbidden"}}
		}, Fail, "a watch is failing", "watch of pods is failing (forbidden)"},
		{"other clusters do not matter", func(s *platform.Snapshot) { s.Components[0].Ready = 0 }, Pass, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			plan := planFor(t, snap, objs, bookies5)
			tt.mutate(snap)
			c := checkHealth(snap, plan)
			ev := strings.Join(c.Evidence, "\n")
			if c.Status != tt.want || !strings.Contains(c.Summary, tt.summary) || !strings.Contains(ev, tt.evidence) {
				t.Errorf("%s %q\n%s", c.Status, c.Summary, ev)
			}
		})
	}
}

func TestCheckRestarts(t *testing.T) {
	recent := &platform.Termination{Reason: "OOMKilled", ExitCode: 137, FinishedAt: now.Add(-5 * time.Minute)}
	old := &platform.Termination{Reason: "Error", ExitCode: 1, FinishedAt: now.Add(-3 * time.Hour)}
	tests := []struct {
		name     string
		mutate   func(*platform.Snapshot)
		want     Status
		summary  string
		evidence string
	}{
		{"no restarts", func(*platform.Snapshot) {}, Pass, "no container restarted in the last 1h0m0s", ""},
		{"recent restart warns with the reason", func(s *platform.Snapshot) {
			s.Components[0].Members[1].Containers[0].RestartCount, s.Components[0].Members[1].Containers[0].Last = 2, recent
		}, Warn, "1 container(s) restarted", "zookeeper-ZooKeeper-1/main: 2 restart(s), last OOMKilled (exit 137) 5m0s ago"},
		{"old restart is only mentioned", func(s *platform.Snapshot) {
			s.Components[0].Members[1].Containers[0].RestartCount, s.Components[0].Members[1].Containers[0].Last = 1, old
		}, Pass, "no container restarted", "1 container(s) restarted earlier than 1h0m0s ago"},
		{"crash loop elsewhere warns", func(s *platform.Snapshot) {
			ct := &s.Components[2].Members[0].Containers[0]
			ct.Reason, ct.State, ct.RestartCount, ct.Last = "CrashLoopBackOff", platform.StateWaiting, 7, recent
		}, Warn, "1 container(s) restarted", "▲ pravega-SegmentStore-0/main SegmentStore pravega/pravega: CrashLoopBackOff, 7 restart(s)"},
		{"crash loop in the component the plan changes blocks", func(s *platform.Snapshot) {
			ct := &s.Components[1].Members[0].Containers[0]
			ct.Reason, ct.State, ct.RestartCount = "CrashLoopBackOff", platform.StateWaiting, 4
		}, Fail, "CrashLoopBackOff in a component the plan changes: bookkeeper-BookKeeper-0", "✖ bookkeeper-BookKeeper-0/main"},
		{"other namespaces are not looked at", func(s *platform.Snapshot) {
			ct := &s.Components[5].Members[0].Containers[0]
			ct.Reason, ct.RestartCount = "CrashLoopBackOff", 4
		}, Pass, "no container restarted", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			plan := planFor(t, snap, objs, bookies5)
			tt.mutate(snap)
			c := checkRestarts(snap, plan, now, time.Hour)
			ev := strings.Join(c.Evidence, "\n")
			if c.Status != tt.want || !strings.Contains(c.Summary, tt.summary) || !strings.Contains(ev, tt.evidence) {
				t.Errorf("%s %q\n%s", c.Status, c.Summary, ev)
			}
		})
	}
}

func TestCheckUpgrade(t *testing.T) {
	ss4 := Change{Key: key(platform.SegmentStore, prRef), Field: Replicas, To: "4"}
	tm4 := Change{Key: key(platform.FlinkTaskManager, flinkRef), Field: Replicas, To: "4"}
	tests := []struct {
		name    string
		change  Change
		mutate  func(*platform.Snapshot, objects)
		want    Status
		summary string
	}{
		{"nothing in progress", ss4, func(*platform.Snapshot, objects) {}, Pass, "no upgrade"},
		{"Upgrading condition", ss4, func(s *platform.Snapshot, _ objects) {
			s.Components[3].Conditions = []platform.Condition{{Type: "Upgrading", Status: "True", Reason: "Updating Controller", Message: "1"}}
		}, Fail, "condition Upgrading=True Updating Controller"},
		{"target version set", ss4, func(s *platform.Snapshot, _ objects) {
			s.Components[2].Version, s.Components[2].TargetVersion = "0.12.0", "0.13.0"
		}, Fail, "is upgrading 0.12.0 → 0.13.0"},
		{"operator error", ss4, func(s *platform.Snapshot, _ objects) {
			s.Components[2].Conditions = []platform.Condition{{Type: "Error", Status: "True", Reason: "UpgradeFailed"}}
		}, Fail, "Error=True UpgradeFailed"},
		{"spec asks for another version", ss4, func(_ *platform.Snapshot, o objects) {
			u := o["pravegaclusters/pravega/pravega"]
			u.Object["status"] = map[string]any{"currentVersion": "0.12.0"}
		}, Fail, "spec asks for version 0.13.0 while 0.12.0 runs"},
		{"Flink upgrade", tm4, func(s *platform.Snapshot, _ objects) { s.Components[5].State = "UPGRADING / job RECONCILING" }, Fail, "operator state UPGRADING"},
		{"Flink generation not reconciled", tm4, func(_ *platform.Snapshot, o objects) {
			o["flinkdeployments/iot/sensors"].SetGeneration(3)
		}, Fail, "generation 3 not yet reconciled (observed 1)"},
		{"other clusters' upgrades do not block", ss4, func(s *platform.Snapshot, _ objects) {
			s.Components[0].TargetVersion = "0.2.16"
		}, Pass, "no upgrade"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			plan := planFor(t, snap, objs, tt.change)
			tt.mutate(snap, objs)
			c := checkUpgrade(snap, plan, objs)
			if c.Status != tt.want || !strings.Contains(c.Summary, tt.summary) {
				t.Errorf("%s %q %v", c.Status, c.Summary, c.Evidence)
			}
		})
	}
}

func node(name string, cpu, mem int64) NodeUsage {
	return NodeUsage{Name: name, Ready: true, Schedulable: true, Labels: map[string]string{"zone": "a"},
		Allocatable: platform.Resources{MilliCPU: cpu, Memory: mem, Pods: 110}}
}

func TestFit(t *testing.T) {
	const gi = int64(1) << 30
	seg := platform.Resources{MilliCPU: 1000, Memory: 4 * gi}
	tests := []struct {
		name     string
		nodes    []NodeUsage
		release  []Release
		add      []NewMember
		placed   []string
		unplaced int
		short    string
		excluded string
	}{
		{name: "fits on the least allocated node", nodes: func() []NodeUsage {
			a, b := node("a", 4000, 16*gi), node("b", 4000, 16*gi)
			a.Requested = platform.Resources{MilliCPU: 3000, Memory: 4 * gi}
			return []NodeUsage{a, b}
		}(), add: []NewMember{{Name: "ss#4", Requests: seg}}, placed: []string{"ss#4 → b"}},
		{name: "members fill nodes one after the other", nodes: []NodeUsage{node("a", 2000, 16*gi), node("b", 1000, 16*gi)},
			add:    []NewMember{{Name: "m1", Requests: seg}, {Name: "m2", Requests: seg}, {Name: "m3", Requests: seg}},
			placed: []string{"m1 → a", "m2 → b", "m3 → a"}},
		{name: "cpu short says where and by how much", nodes: func() []NodeUsage {
			a := node("a", 4000, 16*gi)
			a.Requested = platform.Resources{MilliCPU: 3500}
			return []NodeUsage{a}
		}(), add: []NewMember{{Name: "ss#4", Requests: seg}}, unplaced: 1, short: "cpu short by 500m on a (free 500m, needs 1)"},
		{name: "memory short", nodes: []NodeUsage{node("a", 8000, 2*gi)}, add: []NewMember{{Name: "ss#4", Requests: seg}},
			unplaced: 1, short: "memory short by 2Gi on a (free 2Gi, needs 4Gi)"},
		{name: "pods short", nodes: func() []NodeUsage {
			a := node("a", 8000, 16*gi)
			a.Requested.Pods = 110
			return []NodeUsage{a}
		}(), add: []NewMember{{Name: "ss#4", Requests: seg}}, unplaced: 1, short: "pods short by 1 on a"},
		{name: "node selector honoured", nodes: []NodeUsage{node("a", 8000, 16*gi)},
			add: []NewMember{{Name: "ss#4", Requests: seg, NodeSelector: map[string]string{"zone": "b"}}}, unplaced: 1, excluded: "a: node selector zone=b does not match"},
		{name: "taint not tolerated", nodes: func() []NodeUsage {
			a := node("a", 8000, 16*gi)
			a.Taints = []platform.Taint{{Key: "dedicated", Value: "kafka", Effect: "NoSchedule"}}
			return []NodeUsage{a}
		}(), add: []NewMember{{Name: "ss#4", Requests: seg}}, unplaced: 1, excluded: "taint dedicated=kafka:NoSchedule not tolerated"},
		{name: "taint tolerated", nodes: func() []NodeUsage {
			a := node("a", 8000, 16*gi)
			a.Taints = []platform.Taint{{Key: "dedicated", Value: "pravega", Effect: "NoSchedule"}}
			return []NodeUsage{a}
		}(), add: []NewMember{{Name: "ss#4", Requests: seg, Tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "pravega", Effect: corev1.TaintEffectNoSchedule}}}},
			placed: []string{"ss#4 → a"}},
		{name: "cordoned and unready nodes are skipped", nodes: func() []NodeUsage {
			a, b := node("a", 8000, 16*gi), node("b", 8000, 16*gi)
			a.Schedulable, b.Ready = false, false
			return []NodeUsage{a, b}
		}(), add: []NewMember{{Name: "ss#4", Requests: seg}}, unplaced: 1, excluded: "a: cordoned"},
		{name: "a redeploy frees the old members first", nodes: func() []NodeUsage {
			a := node("a", 4000, 16*gi)
			a.Requested = platform.Resources{MilliCPU: 4000, Memory: 8 * gi}
			return []NodeUsage{a}
		}(), release: []Release{{Node: "a", Requests: platform.Resources{MilliCPU: 2000, Memory: 4 * gi}}, {Node: "a", Requests: platform.Resources{MilliCPU: 2000, Memory: 4 * gi}}},
			add:    []NewMember{{Name: "tm1", Requests: platform.Resources{MilliCPU: 2500, Memory: 4 * gi}}, {Name: "tm2", Requests: platform.Resources{MilliCPU: 2500, Memory: 4 * gi}}},
			placed: []string{"tm1 → a"}, unplaced: 1, short: "cpu short by 1 on a (free 1.5, needs 2.5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Fit(tt.nodes, tt.release, tt.add)
			if strings.Join(res.Placed, ",") != strings.Join(tt.placed, ",") {
				t.Errorf("placed %v, want %v", res.Placed, tt.placed)
			}
			if len(res.Unplaced) != tt.unplaced {
				t.Fatalf("unplaced %d, want %d", len(res.Unplaced), tt.unplaced)
			}
			var short, excl []string
			for _, u := range res.Unplaced {
				for _, s := range u.Short {
					short = append(short, s.String())
				}
				excl = append(excl, u.Excluded...)
			}
			if !strings.Contains(strings.Join(short, "\n"), tt.short) || !strings.Contains(strings.Join(excl, "\n"), tt.excluded) {
				t.Errorf("short %q excluded %q", short, excl)
			}
		})
	}
}

func TestCheckResources(t *testing.T) {
	const gi = int64(1) << 30
	full := node("worker-1", 4000, 16*gi)
	full.Requested = platform.Resources{MilliCPU: 3500, Memory: 8 * gi}
	fit := Fit([]NodeUsage{full, node("worker-2", 1000, 16*gi)}, nil, []NewMember{
		{Name: "BookKeeper bookkeeper #4", Requests: platform.Resources{MilliCPU: 1000, Memory: 4 * gi}},
		{Name: "BookKeeper bookkeeper #5", Requests: platform.Resources{MilliCPU: 1000, Memory: 4 * gi}},
	})
	c := checkResources(fit, 2, nil)
	if c.Status != Fail || c.Summary != "1 of 2 new member(s) do not fit: cpu short on worker-1, worker-2" {
		t.Errorf("%s %q", c.Status, c.Summary)
	}
	ev := strings.Join(c.Evidence, "\n")
	for _, want := range []string{
		"✖ BookKeeper bookkeeper #5 (needs 1 CPU, 4Gi) fits on no node",
		"cpu short by 500m on worker-1 (free 500m, needs 1)",
		"cpu short by 1 on worker-2 (free 0, needs 1)",
		"worker-2: free 0 CPU, 12Gi after the plan (allocatable 1 CPU, 16Gi); gets BookKeeper bookkeeper #4",
	} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if c.Fix == "" {
		t.Error("a failing check must say what would fix it")
	}
	ok := checkResources(Fit([]NodeUsage{node("worker-1", 8000, 32*gi)}, nil, []NewMember{{Name: "x", Requests: platform.Resources{MilliCPU: 1000}}}), 1,
		[]string{"requests of pods outside the watched namespaces (pravega) are not counted"})
	if ok.Status != Warn || ok.Summary != "all 1 new member(s) fit on the nodes" {
		t.Errorf("%s %q", ok.Status, ok.Summary)
	}
}

func TestPreflightPassed(t *testing.T) {
	tests := []struct {
		statuses []Status
		want     bool
	}{
		{nil, false},
		{[]Status{Pass, Warn, Skipped}, true},
		{[]Status{Pass, Fail}, false},
	}
	for _, tt := range tests {
		var p Preflight
		for i, s := range tt.statuses {
			p.Checks = append(p.Checks, Check{Name: string(rune('a' + i)), Status: s})
		}
		if p.Passed() != tt.want {
			t.Errorf("%v: passed %v", tt.statuses, p.Passed())
		}
	}
}
