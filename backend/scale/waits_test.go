package scale

import (
	"slices"
	"strings"
	"testing"

	"github.com/streamops/streamops/backend/platform"
)

// TestStuckStepSaysWhy: a step waiting on members lists each with what
// the cluster says about it, one line per reason.
func TestStuckStepSaysWhy(t *testing.T) {
	bk := Step{Key: key(platform.BookKeeper, bkRef), Ref: bkRef, Expect: 5, Before: 3}
	snap, objs := platformFixture()
	c := snap.Components[1]
	c.Desired = 5
	c.Conditions = []platform.Condition{{Type: "PodsReady", Status: "False"}, {Type: "Error", Status: "True", Reason: "UpgradeFailed", Message: "bookie 3 failed to start\nstack"}}
	probe := &platform.Member{Name: "bookkeeper-bookie-3", Namespace: "pravega", UID: "u3", Phase: "Running",
		Containers: []platform.Container{{Name: "bookie", State: platform.StateRunning, RestartCount: 2,
			Last: &platform.Termination{Reason: "OOMKilled", ExitCode: 137}}}}
	pending := &platform.Member{Name: "bookkeeper-bookie-4", Namespace: "pravega", UID: "u4", Phase: "Pending", Reason: "Unschedulable",
		Unschedulable: "Unschedulable: 0/4 nodes are available: 4 Insufficient cpu."}
	crash := &platform.Member{Name: "bookkeeper-bookie-5", Namespace: "pravega", UID: "u5", Phase: "Running", Reason: "CrashLoopBackOff",
		Containers: []platform.Container{{Name: "init", Init: true, State: platform.StateTerminated, Reason: "Completed"},
			{Name: "bookie", State: platform.StateWaiting, Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container"}}}
	c.Members = append(c.Members[:3], probe, pending, crash)
	snap.Events = []platform.Event{
		{Namespace: "pravega", Object: "Pod/bookkeeper-bookie-3", ObjectUID: "u3", FieldPath: "spec.containers{bookie}", Reason: "Unhealthy",
			Message: "Readiness probe failed: dial tcp 10.0.0.3:8080: connect: connection refused", Count: 7},
		{Namespace: "pravega", Object: "Pod/bookkeeper-bookie-3", ObjectUID: "u3", Reason: "Unhealthy", Message: "an older line of the same reason"},
		{Namespace: "pravega", Object: "Pod/bookkeeper-bookie-3", ObjectUID: "old", Reason: "BackOff", Message: "about the pod before it"},
		{Namespace: "pravega", Object: "Pod/bookkeeper-bookie-4", ObjectUID: "u4", Reason: "FailedScheduling", Message: "0/4 nodes are available"},
		{Namespace: "other", Object: "Pod/bookkeeper-bookie-3", Reason: "Unhealthy", Message: "another namespace"},
	}
	p, done := Converged(snap, bk, 2, objs)
	if done || p.On != WaitingPods {
		t.Fatalf("done %v, waiting on %v", done, p.On)
	}
	if len(p.Stuck) != 3 {
		t.Fatalf("stuck %+v", p.Stuck)
	}
	want := map[string][]string{
		"bookkeeper-bookie-3": {"container bookie last terminated: OOMKilled (exit 137), 2 restart(s)",
			"Unhealthy: Readiness probe failed: dial tcp 10.0.0.3:8080: connect: connection refused (×7)"},
		"bookkeeper-bookie-4": {"not scheduled: Unschedulable: 0/4 nodes are available: 4 Insufficient cpu.", "FailedScheduling: 0/4 nodes are available"},
		"bookkeeper-bookie-5": {"container bookie waiting: CrashLoopBackOff: back-off 40s restarting failed container"},
	}
	for _, w := range p.Stuck {
		if !slices.Equal(w.Reasons, want[w.Pod]) {
			t.Errorf("%s reasons\n got %q\nwant %q", w.Pod, w.Reasons, want[w.Pod])
		}
		if w.Namespace != "pravega" {
			t.Errorf("%s namespace %q", w.Pod, w.Namespace)
		}
	}
	if w := p.Stuck[0]; w.Container != "bookie" || w.State != "not ready" {
		t.Errorf("bookie-3: container %q state %q", w.Container, w.State)
	}
	if w := p.Stuck[2]; w.Container != "bookie" {
		t.Errorf("bookie-5 logs of %q, want the crashing container", w.Container)
	}
	if p.Operator != "operator: PodsReady=False; operator Error UpgradeFailed: bookie 3 failed to start" {
		t.Errorf("operator %q", p.Operator)
	}
	r := p.Reasons()
	for _, s := range []string{"bookkeeper-bookie-3 not ready (container bookie last terminated", "connection refused (×7)",
		"bookkeeper-bookie-4 Unschedulable (not scheduled", "operator Error UpgradeFailed"} {
		if !strings.Contains(r, s) {
			t.Errorf("reasons lack %q: %s", s, r)
		}
	}
}

// TestConvergingStepShowsNoReason: members coming up as expected are
// waited for without a reason, and a converged step lists nothing.
func TestConvergingStepShowsNoReason(t *testing.T) {
	bk := Step{Key: key(platform.BookKeeper, bkRef), Ref: bkRef, Expect: 5, Before: 3}
	snap, objs := platformFixture()
	c := snap.Components[1]
	c.Desired = 5
	c.Conditions = []platform.Condition{{Type: "PodsReady", Status: "True"}, {Type: "Error", Status: "False", Message: "old"}}
	c.Members = append(c.Members, &platform.Member{Name: "bookkeeper-bookie-3", Namespace: "pravega", Phase: "Pending"},
		&platform.Member{Name: "bookkeeper-bookie-4", Namespace: "pravega", Phase: "Pending",
			Containers: []platform.Container{{Name: "bookie", State: platform.StateWaiting, Reason: "ContainerCreating"}}})
	p, done := Converged(snap, bk, 2, objs)
	if done || p.On != WaitingPods || len(p.Stuck) != 2 {
		t.Fatalf("done %v on %v stuck %+v", done, p.On, p.Stuck)
	}
	for _, w := range p.Stuck {
		if len(w.Reasons) != 0 {
			t.Errorf("%s has reasons %q while coming up", w.Pod, w.Reasons)
		}
	}
	if p.Operator != "" || whyLine(p) != " Why: bookkeeper-bookie-3 Pending; bookkeeper-bookie-4 Pending." {
		t.Errorf("operator %q why %q", p.Operator, whyLine(p))
	}
	c.Members = members("bookkeeper-bookie", 5, 5)
	p, done = Converged(snap, bk, 2, objs)
	if !done || p.On != WaitingNothing || len(p.Stuck) != 0 || p.Reasons() != "" || whyLine(p) != "" {
		t.Errorf("converged: done %v on %v stuck %+v reasons %q", done, p.On, p.Stuck, p.Reasons())
	}
}

// TestStepWaitsForTheOperatorsStatus: pods ready is not enough while the
// custom resource still says PodsReady=False (the operators requeue every
// 30 s); a resource that reports no PodsReady at all is not waited for.
func TestStepWaitsForTheOperatorsStatus(t *testing.T) {
	zk := Step{Key: key(platform.ZooKeeper, zkRef), Ref: zkRef, Expect: 5, Before: 3}
	snap, objs := platformFixture()
	c := snap.Components[0]
	c.Desired, c.Members = 5, members("zookeeper", 5, 5)
	c.Conditions = []platform.Condition{{Type: "PodsReady", Status: "False"}, {Type: "Upgrading", Status: "False"}}
	p, done := Converged(snap, zk, 2, objs)
	if done || p.On != WaitingResource || len(p.Stuck) != 0 {
		t.Fatalf("done %v on %v stuck %+v", done, p.On, p.Stuck)
	}
	if !strings.Contains(p.String(), "pods ready; waiting for ZookeeperCluster zookeeper to report PodsReady (the operator requeues every 30 s)") {
		t.Errorf("progress %q", p)
	}
	if p.Operator != "operator: PodsReady=False" {
		t.Errorf("operator %q", p.Operator)
	}
	c.Conditions[0].Status = "True"
	if p, done = Converged(snap, zk, 2, objs); !done || p.On != WaitingNothing {
		t.Errorf("PodsReady=True: done %v on %v", done, p.On)
	}
	c.Conditions = nil
	if _, done = Converged(snap, zk, 2, objs); !done {
		t.Error("a resource without conditions blocks the step")
	}
}

// TestHealthOfAScaleDownRemovingTheStuckMember: the revert of a stuck
// step removes exactly the member that is not ready, which only warns; a
// member that stays and is not ready still fails the check.
func TestHealthOfAScaleDownRemovingTheStuckMember(t *testing.T) {
	ssKey := key(platform.SegmentStore, prRef)
	setup := func(stuck int) (*platform.Snapshot, Plan) {
		snap, objs := platformFixture()
		c := snap.Components[2]
		c.Desired, c.Members = 4, members("pravega-pravega-segment-store", 4, 4)
		c.Members[stuck].Ready, c.Ready = false, 3
		plan, err := BuildPlan(snap, objs, []Change{{Key: ssKey, Field: Replicas, To: "3"}}, "rev", now)
		if err != nil {
			t.Fatal(err)
		}
		return snap, plan
	}
	snap, plan := setup(3)
	c := checkHealth(snap, plan)
	if ev := strings.Join(c.Evidence, "\n"); c.Status != Warn || !strings.Contains(ev, "▲ SegmentStore pravega/pravega 3/4 ready: pravega-pravega-segment-store-3 not ready, which the plan removes") {
		t.Errorf("removing the stuck member: %s %q\n%s", c.Status, c.Summary, ev)
	}
	snap, plan = setup(1)
	if c := checkHealth(snap, plan); c.Status != Fail || !strings.Contains(c.Summary, "not ready: SegmentStore 3/4") {
		t.Errorf("a kept member not ready: %s %q", c.Status, c.Summary)
	}
}
