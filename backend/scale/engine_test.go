package scale_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/watch"
)

// env is the demo platform running fast on the real clock, watched, with
// an engine over it.
type env struct {
	ctx   context.Context
	p     *demo.Platform
	w     *watch.Watcher
	eng   *scale.Engine
	audit *audit.Log
}

func startDemo(t *testing.T, scenario string, configure func(*scale.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	p := demo.New(demo.Options{Seed: 1, Interval: 10 * time.Millisecond, Speed: 40})
	if scenario != "" {
		if err := p.Scenario(ctx, scenario); err != nil {
			t.Fatal(err)
		}
	}
	go func() { _ = p.Run(ctx) }()
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Coalesce: 10 * time.Millisecond})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, w, "the demo to settle", func(s *platform.Snapshot) bool {
		if len(s.Components) != 8 {
			return false
		}
		for _, c := range s.Components {
			if c.Health != platform.Ready || c.Ready != c.Desired {
				return false
			}
		}
		return true
	})
	log, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	cfg := scale.Config{Clients: p.Clients(), Scope: p.Scope(), Source: w, Audit: log, StepTimeout: 20 * time.Second}
	if configure != nil {
		configure(&cfg)
	}
	eng, err := scale.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{ctx: ctx, p: p, w: w, eng: eng, audit: log}
}

func waitFor(t *testing.T, ctx context.Context, w *watch.Watcher, what string, ok func(*platform.Snapshot) bool) *platform.Snapshot {
	t.Helper()
	sub := w.Subscribe(ctx)
	for {
		if s := w.Snapshot(); ok(s) {
			return s
		}
		select {
		case <-ctx.Done():
			for _, c := range w.Snapshot().Components {
				t.Logf("%s %d/%d %s %s", c.Key(), c.Ready, c.Desired, c.Health, c.Reason)
			}
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-sub:
		}
	}
}

const (
	zk   = "pravega/zookeeper/ZooKeeper"
	bk   = "pravega/bookkeeper/BookKeeper"
	ss   = "pravega/pravega/SegmentStore"
	ctl  = "pravega/pravega/Controller"
	tm   = "iot-analytics/sensor-aggregation/TaskManager"
	tmFr = "fraud-detection/fraud-scoring/TaskManager"
)

// check plans, runs the preflight and the dry run.
func (e *env) check(t *testing.T, changes ...scale.Change) (scale.Plan, scale.Preflight, []scale.DryRunResult) {
	t.Helper()
	return e.checked(t, func() (scale.Plan, error) { return e.eng.Plan(e.ctx, changes) })
}

// checked makes a plan, runs its preflight and (outside read-only mode) its
// dry run. The demo's simulator writes the custom resources while it runs,
// so a write can land between the plan's read and its dry run: the engine
// rightly answers 409. A test that needs a passing dry run plans again (as
// a user would), a few times.
func (e *env) checked(t *testing.T, plan func() (scale.Plan, error)) (scale.Plan, scale.Preflight, []scale.DryRunResult) {
	t.Helper()
	for try := 0; ; try++ {
		p, err := plan()
		if err != nil {
			t.Fatal(err)
		}
		pf, err := e.eng.Preflight(e.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.eng.ReadOnly() {
			return p, pf, nil
		}
		dry, err := e.eng.DryRun(e.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if try == 5 || !conflicted(dry) {
			return p, pf, dry
		}
	}
}

func conflicted(dry []scale.DryRunResult) bool {
	for _, d := range dry {
		if !d.OK && d.Reason == "Conflict" {
			return true
		}
	}
	return false
}

// refusedReadOnly fails the test unless the engine refuses both the dry
// run and the apply of plan as read-only.
func refusedReadOnly(t *testing.T, ctx context.Context, eng *scale.Engine, plan scale.Plan) {
	t.Helper()
	if _, err := eng.DryRun(ctx, plan.ID); !errors.Is(err, scale.ErrReadOnly) {
		t.Errorf("dry run: %v", err)
	}
	if _, err := eng.Apply(ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrReadOnly) {
		t.Errorf("apply: %v", err)
	}
}

func drain(t *testing.T, ch <-chan scale.Event) (*scale.Outcome, []scale.Event) {
	t.Helper()
	var evs []scale.Event
	for ev := range ch {
		evs = append(evs, ev)
		if ev.Kind == scale.Finished {
			for range ch {
			}
			return ev.Outcome, evs
		}
	}
	t.Fatal("events closed without Finished")
	return nil, nil
}

func (e *env) spec(t *testing.T, res operator.Resource, ns, name string, path ...string) int64 {
	t.Helper()
	u, err := e.p.Clients().Dynamic.Resource(res.GVR).Namespace(ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, _, _ := unstructured.NestedInt64(u.Object, path...)
	return v
}

func actions(e *env) []string {
	var out []string
	for _, r := range mustTail(e) {
		s := r.Action + ":" + r.Result
		if r.Step > 0 {
			s += "#" + string(rune('0'+r.Step))
		}
		out = append(out, s)
	}
	return out
}

// fromLastPlan is the audit from the last "plan:ok" on.
func fromLastPlan(a []string) []string {
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == "plan:ok" {
			return a[i:]
		}
	}
	return a
}

func mustTail(e *env) []audit.Record {
	recs, err := e.eng.Audit(1000)
	if err != nil {
		panic(err)
	}
	return recs
}

func failing(pf scale.Preflight) string {
	var out []string
	for _, c := range pf.Checks {
		if c.Status == scale.Fail {
			out = append(out, c.Name+": "+c.Summary+"\n  "+strings.Join(c.Evidence, "\n  "))
		}
	}
	return strings.Join(out, "\n")
}

// TestHappyScaleOut runs a whole scale-out of the demo: three components,
// in order, each converging, a healthy post-check, and every action in the
// audit log.
func TestHappyScaleOut(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t,
		scale.Change{Key: tm, Field: scale.Replicas, To: "4"},
		scale.Change{Key: ss, Field: scale.Replicas, To: "4"},
		scale.Change{Key: bk, Field: scale.Replicas, To: "4"},
	)
	if !pf.Passed() {
		t.Fatalf("preflight failed:\n%s", failing(pf))
	}
	for _, d := range dry {
		if !d.OK {
			t.Fatalf("dry run of step %d rejected: %s", d.Step, d.Message)
		}
	}
	// The dry run stored nothing.
	if got := e.spec(t, operator.BookkeeperClusters, "pravega", "bookkeeper", "spec", "replicas"); got != 3 {
		t.Fatalf("dry run changed the bookies to %d", got)
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, "not-the-name"); !errors.Is(err, scale.ErrConfirmation) {
		t.Fatalf("wrong confirmation: %v", err)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, evs := drain(t, ch)
	if out.State != scale.Completed || !slices.Equal(out.Done, []int{1, 2, 3}) {
		t.Fatalf("outcome %s %v: %s", out.State, out.Done, out.Message)
	}
	if out.Post == nil || out.Post.Verdict != scale.Pass {
		t.Fatalf("post-check %+v", out.Post)
	}
	// Steps ran in the notes' order, one after the other.
	var started []string
	progress := 0
	for _, ev := range evs {
		if ev.Kind == scale.StepStarted {
			started = append(started, ev.Message)
		}
		if ev.Kind == scale.StepProgress {
			progress++
		}
	}
	want := []string{"BookKeeper bookkeeper 3→4", "SegmentStore pravega 3→4", "TaskManager sensor-aggregation 3→4"}
	if !slices.Equal(started, want) {
		t.Errorf("started %q", started)
	}
	if progress == 0 {
		t.Error("no live progress was reported")
	}
	if got := e.spec(t, operator.PravegaClusters, "pravega", "pravega", "spec", "pravega", "segmentStoreReplicas"); got != 4 {
		t.Errorf("segment stores %d", got)
	}
	wantAudit := []string{"plan:ok", "preflight:pass", "dry-run:accepted#1", "dry-run:accepted#2", "dry-run:accepted#3", "confirm:ok",
		"patch:applied#1", "wait:converged#1", "patch:applied#2", "wait:converged#2", "patch:applied#3", "wait:converged#3",
		"post-check:pass", "finished:completed"}
	// check plans again when the demo's simulator wrote a resource
	// between the plan and its dry run (a 409): the audit is compared
	// from the plan that ran on.
	got := fromLastPlan(actions(e))
	// the refused apply with the wrong text is recorded too
	if !slices.Equal(got, slices.Insert(slices.Clone(wantAudit), 5, "refused:refused")) {
		t.Errorf("audit\n got %q\nwant %q", got, wantAudit)
	}
	for _, r := range mustTail(e) {
		if r.User != demo.DemoUser || r.Context != "demo" || r.Time.IsZero() {
			t.Fatalf("record without who/where/when: %+v", r)
		}
		if r.Action == audit.ActionPatch && (r.Before == nil || r.After == nil || len(r.Patch) == 0) {
			t.Errorf("patch record without before/after: %+v", r)
		}
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrAlreadyRun) {
		t.Errorf("second apply: %v", err)
	}
}

// TestStuckMemberTimesOut plays a segment store that never gets ready: the
// step times out, the plan stops, and the controller step never starts.
func TestStuckMemberTimesOut(t *testing.T) {
	e := startDemo(t, demo.ScenarioStuckMember, func(c *scale.Config) { c.StepTimeout = 1500 * time.Millisecond })
	plan, pf, dry := e.check(t, scale.Change{Key: ss, Field: scale.Replicas, To: "4"}, scale.Change{Key: ctl, Field: scale.Replicas, To: "3"})
	if !pf.Passed() || !dry[0].OK || !dry[1].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := drain(t, ch)
	if out.State != scale.TimedOut || out.FailedStep != 1 || !slices.Equal(out.NotStarted, []int{2}) {
		t.Fatalf("outcome %s failed %d not started %v: %s", out.State, out.FailedStep, out.NotStarted, out.Message)
	}
	for _, want := range []string{"did not converge within 1.5s", "no later step was started", "Not done: step 2 (Controller pravega 2→3)"} {
		if !strings.Contains(out.Message, want) {
			t.Errorf("message lacks %q: %s", want, out.Message)
		}
	}
	// The stuck member is named; on a loaded machine it may not even be
	// running when the step times out.
	if !strings.Contains(out.Message, "pravega-pravega-segment-store-3 not ready") && !strings.Contains(out.Message, "pravega-pravega-segment-store-3 Pending") {
		t.Errorf("message does not name the stuck member: %s", out.Message)
	}
	if got := e.spec(t, operator.PravegaClusters, "pravega", "pravega", "spec", "pravega", "controllerReplicas"); got != 2 {
		t.Errorf("controllers patched to %d after a failed step", got)
	}
	if out.Post == nil || out.Post.Verdict != scale.Fail {
		t.Errorf("post-check should fail on the member that is not ready: %+v", out.Post)
	}
	if a := actions(e); !slices.Contains(a, "wait:timeout#1") || slices.Contains(a, "patch:applied#2") {
		t.Errorf("audit %q", a)
	}
}

// TestShortResourcesBlock plays nodes crowded by another tenant: the new
// members do not fit and apply is refused.
func TestShortResourcesBlock(t *testing.T) {
	e := startDemo(t, demo.ScenarioShortResources, nil)
	plan, pf, _ := e.check(t, scale.Change{Key: tm, Field: scale.Replicas, To: "6"})
	var res scale.Check
	for _, c := range pf.Checks {
		if c.Name == scale.CheckResources {
			res = c
		}
	}
	if res.Status != scale.Fail || !strings.Contains(res.Summary, "1 of 3 new member(s) do not fit") {
		t.Fatalf("resources: %s %q\n%s", res.Status, res.Summary, strings.Join(res.Evidence, "\n"))
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrNotChecked) {
		t.Fatalf("apply after a failing preflight: %v", err)
	}
}

// TestChangeFreezeRejectsTheDryRun: the admission webhook's message stops
// the plan at the dry run.
func TestChangeFreezeRejectsTheDryRun(t *testing.T) {
	e := startDemo(t, demo.ScenarioChangeFreeze, nil)
	plan, pf, dry := e.check(t, scale.Change{Key: zk, Field: scale.Replicas, To: "5"})
	if !pf.Passed() {
		t.Fatalf("preflight: %s", failing(pf))
	}
	if dry[0].OK || !strings.Contains(dry[0].Message, "change freeze in effect") || dry[0].Reason != "Forbidden" {
		t.Fatalf("dry run %+v", dry[0])
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrNotChecked) {
		t.Fatalf("apply after a rejected dry run: %v", err)
	}
	if err := e.eng.Cancel(e.ctx, plan.ID, "confirmation abandoned"); err != nil {
		t.Fatal(err)
	}
	want := []string{"plan:ok", "preflight:pass", "dry-run:rejected#1", "refused:refused", "cancel:cancelled"}
	if got := fromLastPlan(actions(e)); !slices.Equal(got, want) {
		t.Errorf("audit %q, want %q", got, want)
	}
}

// TestNoPatchRightFailsCredentials: the user may read but not patch.
func TestNoPatchRightFailsCredentials(t *testing.T) {
	e := startDemo(t, demo.ScenarioNoPatch, nil)
	_, pf, dry := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
	c := pf.Checks[1]
	if c.Name != scale.CheckCredentials || c.Status != scale.Fail ||
		!strings.Contains(c.Summary, "may not patch bookkeeperclusters.bookkeeper.pravega.io in pravega") {
		t.Fatalf("%s %s %q", c.Name, c.Status, c.Summary)
	}
	// the server enforces it too
	if dry[0].OK || dry[0].Reason != "Forbidden" || !strings.Contains(dry[0].Message, "cannot patch resource") {
		t.Errorf("dry run %+v", dry[0])
	}
}

// TestConflictStopsTheStep: someone changes the spec between plan and
// apply; the step is refused and nothing is written.
func TestConflictStopsTheStep(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t, scale.Change{Key: zk, Field: scale.Replicas, To: "5"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks %s %+v", failing(pf), dry)
	}
	// another operator bumps the quorum to 7 meanwhile
	if _, err := e.p.Clients().Dynamic.Resource(operator.ZookeeperClusters.GVR).Namespace("pravega").Patch(e.ctx, "zookeeper",
		types.MergePatchType, []byte(`{"spec":{"replicas":7}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := drain(t, ch)
	if out.State != scale.Failed || !strings.Contains(out.Message, "conflict: the spec of ZookeeperCluster pravega/zookeeper changed since the plan (generation 1 → 2") {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	if got := e.spec(t, operator.ZookeeperClusters, "pravega", "zookeeper", "spec", "replicas"); got != 7 {
		t.Errorf("the other change was overwritten: %d", got)
	}
}

// sneakWrites makes the next n gets of one object through a client-go fake
// return the object as it was while its tracker moves on (change applied
// to a copy, the resourceVersion advanced): exactly a write landing
// between the engine's read and its patch. It returns how many gets it
// answered so.
func sneakWrites(t *testing.T, fake *clienttesting.Fake, tracker clienttesting.ObjectTracker, resource, name string, n int, change func(runtime.Object)) (sneaked func() int) {
	t.Helper()
	var count atomic.Int32
	// The demo is running: client-go's PrependReactor takes no lock, while
	// every call through the fake holds it. Hold it to add the reactor.
	fake.Lock()
	defer fake.Unlock()
	fake.PrependReactor("get", resource, func(a clienttesting.Action) (bool, runtime.Object, error) {
		ga := a.(clienttesting.GetAction)
		if int(count.Load()) == n || ga.GetName() != name {
			return false, nil, nil
		}
		count.Add(1)
		obj, err := tracker.Get(ga.GetResource(), ga.GetNamespace(), ga.GetName())
		if err != nil {
			return true, nil, err
		}
		moved := obj.DeepCopyObject()
		m, err := meta.Accessor(moved)
		if err != nil {
			return true, nil, err
		}
		rv, _ := strconv.Atoi(m.GetResourceVersion())
		m.SetResourceVersion(strconv.Itoa(rv + 1000))
		change(moved)
		if err := tracker.Update(ga.GetResource(), moved, ga.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, obj, nil
	})
	return func() int { return int(count.Load()) }
}

// sneakBookies is sneakWrites on the demo's BookkeeperCluster.
func sneakBookies(t *testing.T, e *env, n int, change func(*unstructured.Unstructured)) {
	t.Helper()
	dyn := e.p.Clients().Dynamic.(*dynamicfake.FakeDynamicClient)
	sneakWrites(t, &dyn.Fake, dyn.Tracker(), "bookkeeperclusters", "bookkeeper", n, func(o runtime.Object) { change(o.(*unstructured.Unstructured)) })
}

// applyPlan applies a checked plan and returns its outcome and events,
// whatever the outcome.
func (e *env) applyPlan(t *testing.T, plan scale.Plan) (*scale.Outcome, []scale.Event) {
	t.Helper()
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	return drain(t, ch)
}

// lastMessage is the message of the last event of a kind.
func lastMessage(evs []scale.Event, kind scale.EventKind) string {
	msg := ""
	for _, ev := range evs {
		if ev.Kind == kind {
			msg = ev.Message
		}
	}
	return msg
}

// TestStatusWriteBetweenReadAndPatchIsReadAgain: the patch carries the
// resourceVersion read, so a write landing in between (the operator's
// status update on its 30 s reconcile) gets a 409; the engine reads the
// object again, finds the spec as planned, and sends the patch again. The
// step's line says so, and the write in between is kept.
func TestStatusWriteBetweenReadAndPatchIsReadAgain(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks %s %+v", failing(pf), dry)
	}
	sneakBookies(t, e, 2, func(u *unstructured.Unstructured) {
		u.SetAnnotations(map[string]string{"touched-by": "the-operator"})
	})
	out, evs := e.applyPlan(t, plan)
	if out.State != scale.Completed {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	if patched := lastMessage(evs, scale.StepPatched); !strings.Contains(patched, "sent again after 2 409s: the object had changed, but not its spec") {
		t.Errorf("step line %q", patched)
	}
	u, err := e.p.Clients().Dynamic.Resource(operator.BookkeeperClusters.GVR).Namespace("pravega").Get(e.ctx, "bookkeeper", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); r != 4 || u.GetAnnotations()["touched-by"] != "the-operator" {
		t.Errorf("replicas %d, annotations %v", r, u.GetAnnotations())
	}
}

// TestSpecEditBetweenReadAndPatchIsRefused: when the write in between
// changed the spec (someone else scaled the bookies), the fresh read finds
// a new generation and the step is refused: nothing is patched over it.
func TestSpecEditBetweenReadAndPatchIsRefused(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks %s %+v", failing(pf), dry)
	}
	sneakBookies(t, e, 1, func(u *unstructured.Unstructured) {
		u.SetGeneration(u.GetGeneration() + 1)
		if err := unstructured.SetNestedField(u.Object, int64(5), "spec", "replicas"); err != nil {
			t.Error(err)
		}
	})
	out, _ := e.applyPlan(t, plan)
	if out.State != scale.Failed || !strings.Contains(out.Message, "changed since the plan") {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	if got := e.spec(t, operator.BookkeeperClusters, "pravega", "bookkeeper", "spec", "replicas"); got != 5 {
		t.Errorf("replicas %d, want the other edit's 5", got)
	}
}

// TestEndless409IsRefused: a server that answers every patch with 409 gets
// a bounded number of fresh reads, then the step stops with the last
// answer.
func TestEndless409IsRefused(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks %s %+v", failing(pf), dry)
	}
	sneakBookies(t, e, 1000, func(u *unstructured.Unstructured) {})
	out, _ := e.applyPlan(t, plan)
	if out.State != scale.Failed || !strings.Contains(out.Message, "conflict (409)") || !strings.Contains(out.Message, "after 3 fresh reads") {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	if got := e.spec(t, operator.BookkeeperClusters, "pravega", "bookkeeper", "spec", "replicas"); got != 3 {
		t.Errorf("replicas %d, want 3", got)
	}
}

// TestReadOnlyNeverWrites: in read-only mode the plan and the preflight
// run, dry run and apply are refused by the engine, and no write reaches
// the (fake) API server.
func TestReadOnlyNeverWrites(t *testing.T) {
	e := startDemo(t, "", func(c *scale.Config) { c.ReadOnly = guard.New(true) })
	plan, pf, _ := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
	if !pf.Passed() {
		t.Fatalf("preflight %s", failing(pf))
	}
	refusedReadOnly(t, e.ctx, e.eng, plan)
	for _, w := range e.p.SpecWrites() {
		if strings.HasPrefix(w, "patch ") {
			t.Errorf("a patch reached the server: %s", w)
		}
	}
}

// TestPanicWhileApplyingFinishesThePlan: the plan runs in a goroutine of
// the engine; a panic there (here in the clientset, on the step's patch)
// finishes the plan as failed with the panic's one line, and the event
// stream closes.
func TestPanicWhileApplyingFinishesThePlan(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, dry := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	var once sync.Once
	// The demo is running: client-go's PrependReactor takes no lock, while
	// every call through the fake holds it (the race detector saw it).
	dyn := e.p.Clients().Dynamic.(*dynamicfake.FakeDynamicClient)
	dyn.Lock()
	dyn.PrependReactor("patch", "bookkeeperclusters", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "" {
			once.Do(func() { panic("injected in the patch") })
		}
		return false, nil, nil
	})
	dyn.Unlock()
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := drain(t, ch)
	if out.State != scale.Failed || out.Message != "internal error: injected in the patch" {
		t.Errorf("outcome %s %q, want failed with the panic", out.State, out.Message)
	}
}

// TestReadOnlyTurnedOnAfterTheChecksRefusesApply: the switch is consulted
// at apply, not when the plan was made: a plan whose dry run passed before
// :readonly is refused, and the refusal is audited.
func TestReadOnlyTurnedOnAfterTheChecksRefusesApply(t *testing.T) {
	ro := guard.New(false)
	e := startDemo(t, "", func(c *scale.Config) { c.ReadOnly = ro })
	plan, pf, dry := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
	if !pf.Passed() || len(dry) != 1 || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	before := len(e.p.SpecWrites())
	ro.Set()
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrReadOnly) {
		t.Fatalf("apply after read-only: %v", err)
	}
	if w := e.p.SpecWrites()[before:]; len(w) != 0 {
		t.Fatalf("writes after read-only: %v", w)
	}
	recs := mustTail(e)
	if last := recs[len(recs)-1]; last.Action != audit.ActionRefused || last.Result != "read-only" {
		t.Fatalf("last audit record %+v", last)
	}
}

// TestReadOnlyTurnedOnMidPlanStopsBeforeTheNextStep: a plan running when
// read-only turns on finishes the step it is in and starts no other.
func TestReadOnlyTurnedOnMidPlanStopsBeforeTheNextStep(t *testing.T) {
	ro := guard.New(false)
	e := startDemo(t, "", func(c *scale.Config) { c.ReadOnly = ro })
	plan, pf, _ := e.check(t,
		scale.Change{Key: ss, Field: scale.Replicas, To: "4"},
		scale.Change{Key: bk, Field: scale.Replicas, To: "4"},
	)
	if !pf.Passed() {
		t.Fatalf("preflight failed:\n%s", failing(pf))
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	var out *scale.Outcome
	for ev := range ch {
		if ev.Kind == scale.StepPatched && ev.Step == 1 {
			ro.Set()
		}
		if ev.Kind == scale.Finished {
			out = ev.Outcome
		}
	}
	if out == nil || out.State != scale.Stopped || !slices.Equal(out.Done, []int{1}) || !strings.Contains(out.Message, "read-only") {
		t.Fatalf("outcome %+v", out)
	}
	if got := e.spec(t, operator.PravegaClusters, "pravega", "pravega", "spec", "pravega", "segmentStoreReplicas"); got != 3 {
		t.Fatalf("segment stores at %d after a stop before their step", got)
	}
}

// TestStuckStepExplainsItself plays the stuck-member scenario: while the
// step waits, its progress names the member and the kubelet's reason (the
// readiness probe refused), and the timeout message carries it.
func TestStuckStepExplainsItself(t *testing.T) {
	e := startDemo(t, demo.ScenarioStuckMember, func(c *scale.Config) { c.StepTimeout = 4 * time.Second })
	plan, pf, dry := e.check(t, scale.Change{Key: ss, Field: scale.Replicas, To: "4"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, evs := drain(t, ch)
	if out.State != scale.TimedOut {
		t.Fatalf("outcome %s: %s", out.State, out.Message)
	}
	const pod, why = "pravega-pravega-segment-store-3", "Unhealthy: Readiness probe failed: Get"
	explained := false
	for _, ev := range evs {
		if ev.Kind != scale.StepProgress && ev.Kind != scale.StepFailed {
			continue
		}
		for _, w := range ev.Progress.Stuck {
			if w.Pod == pod && w.Namespace == "pravega" && w.Container == "pravega-segmentstore" && ev.Progress.On == scale.WaitingPods &&
				len(w.Reasons) > 0 && strings.HasPrefix(w.Reasons[0], why) && strings.Contains(w.Reasons[0], "connection refused") {
				explained = true
			}
		}
	}
	if !explained {
		t.Errorf("no progress said why %s is not ready", pod)
	}
	for _, want := range []string{"Why: " + pod + " not ready (" + why, "connection refused"} {
		if !strings.Contains(out.Message, want) {
			t.Errorf("timeout message lacks %q: %s", want, out.Message)
		}
	}
	var timeout audit.Record
	for _, r := range mustTail(e) {
		if r.Action == audit.ActionWait {
			timeout = r
		}
	}
	if timeout.Result != "timeout" || !strings.Contains(timeout.Message, why) {
		t.Errorf("audit of the timeout %+v", timeout)
	}
}

// TestQuittingInterruptsTheRunAndRecordsIt: closing the engine (the
// console quitting) ends a step's wait at once, and the interruption is in
// the audit log before Close returns.
func TestQuittingInterruptsTheRunAndRecordsIt(t *testing.T) {
	e := startDemo(t, demo.ScenarioStuckMember, func(c *scale.Config) { c.StepTimeout = time.Minute })
	plan, pf, dry := e.check(t, scale.Change{Key: ss, Field: scale.Replicas, To: "4"}, scale.Change{Key: ctl, Field: scale.Replicas, To: "3"})
	if !pf.Passed() || !dry[0].OK {
		t.Fatalf("checks: %s %+v", failing(pf), dry)
	}
	ch, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	for ev := range ch {
		if ev.Kind == scale.StepProgress {
			break // waiting on the stuck member
		}
	}
	start := time.Now()
	e.eng.Close()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %s", d)
	}
	a := actions(e)
	if !slices.Contains(a, "wait:interrupted#1") || !slices.Contains(a, "finished:interrupted") || slices.Contains(a, "patch:applied#2") {
		t.Errorf("audit %q", a)
	}
	if _, err := e.eng.Apply(e.ctx, plan.ID, plan.Confirm); err == nil {
		t.Error("apply after Close")
	}
}

// TestAbsurdScaleIsSummarised: a tired finger types 99999 bookies. The
// preflight refuses it, and its evidence stays readable: members that
// fail alike are counted, not listed one by one, and no node line lists
// every member it would get.
func TestAbsurdScaleIsSummarised(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, err := e.eng.Plan(e.ctx, []scale.Change{{Key: bk, Field: scale.Replicas, To: "99999"}})
	if err != nil {
		t.Fatal(err)
	}
	pf, err := e.eng.Preflight(e.ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	var res scale.Check
	for _, c := range pf.Checks {
		if c.Name == scale.CheckResources {
			res = c
		}
	}
	if res.Status != scale.Fail || !strings.Contains(res.Summary, "of 99996 new member(s) do not fit") {
		t.Fatalf("resources: %s %q", res.Status, res.Summary)
	}
	total := len(res.Summary)
	for _, l := range res.Evidence {
		total += len(l)
		if len(l) > 400 {
			t.Errorf("evidence line of %d bytes: %.200s…", len(l), l)
		}
	}
	if len(res.Evidence) > 40 || total > 8000 {
		t.Errorf("%d evidence lines, %d bytes in all", len(res.Evidence), total)
	}
	ev := strings.Join(res.Evidence, "\n")
	if !strings.Contains(ev, "✖ BookKeeper bookkeeper #") || !strings.Contains(ev, "in all) (each needs") {
		t.Errorf("evidence names neither the first member nor how many more:\n%s", ev)
	}
}

// TestResourcesCountEachNewMemberOnce: ZooKeeper 3→7 is planned as 3→5→7;
// the capacity check places the 4 new members, not the 2 of the first step
// and then 4 more for the second, counted from the members that exist.
func TestResourcesCountEachNewMemberOnce(t *testing.T) {
	e := startDemo(t, "", nil)
	plan, pf, _ := e.check(t, scale.Change{Key: zk, Field: scale.Replicas, To: "7"})
	if len(plan.Steps) != 2 {
		t.Fatalf("%d steps", len(plan.Steps))
	}
	if c := checkNamed(pf, scale.CheckResources); c.Summary != "all 4 new member(s) fit on the nodes" {
		t.Errorf("%s: %s", c.Status, c.Summary)
	}
}
