package scale

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
)

// fieldManager names the console in managedFields.
const fieldManager = "streamops"

// patchTimeout bounds one PATCH. A patch is sent with a context that the
// user's cancel does not reach, so it is never abandoned half way: its
// outcome is always known and recorded.
const patchTimeout = 30 * time.Second

// DryRunResult is the API server's answer to one step's dry run.
type DryRunResult struct {
	Step    int
	OK      bool
	Reason  string // Conflict, Invalid, Forbidden, ... when rejected
	Message string // the server's message
	Patch   string
	Before  map[string]string
	After   map[string]string // as the server would store them
}

// current reads the object a step patches and checks that its spec is the
// one the plan was made on: the generation moves only when the spec
// changes, so a status update by the operator is not a conflict but
// someone else's edit is. The patch then carries the resourceVersion just
// read, and the API server rejects it with 409 if anything changes before it
// lands.
func (e *Engine) current(ctx context.Context, s Step, wantGen int64) (*unstructured.Unstructured, error) {
	u, err := e.cfg.Clients.Dynamic.Resource(gvrOf(s.Ref)).Namespace(s.Ref.Namespace).Get(ctx, s.Ref.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", s.Target(), serverError(err))
	}
	if g := u.GetGeneration(); g != wantGen {
		return u, fmt.Errorf("%w: the spec of %s changed since the plan (generation %d → %d, resourceVersion %s → %s): plan again",
			ErrConflict, s.Target(), wantGen, g, s.Ref.ResourceVersion, u.GetResourceVersion())
	}
	for path, v := range s.values(u) {
		for _, d := range s.Diffs {
			if d.PathString() == path && v != "" && d.From != "" && v != d.From && !sameNumber(d.Field, v, d.From) {
				return u, fmt.Errorf("%w: %s %s is %s, the plan expected %s: plan again", ErrConflict, s.Target(), path, v, d.From)
			}
		}
	}
	return u, nil
}

// patchAttempts bounds how often a step's patch is sent when the server
// answers 409 to it.
const patchAttempts = 4

// readAndPatch reads the object a step patches, checks it (current) and
// patches it with the resourceVersion it read. A 409 to the patch means the
// object was written between the read and the patch; the real operators
// write status on every reconcile (30 s), so that is usually the operator,
// not a conflicting edit. The object is then read and checked again, and
// the patch sent again only if its spec is still the one planned: an edit
// of the spec is refused by current as before. After patchAttempts 409s
// the step is refused with the last one. u is the object as last read,
// nil when it failed the check. retried counts the 409s that were
// followed by a fresh read. follows tolerates values that an earlier step
// of the same plan on the same object (ZooKeeper 3→5→7) will have changed
// (the dry run's case: the object is still as the plan found it).
func (e *Engine) readAndPatch(ctx context.Context, s Step, wantGen int64, follows, dryRun bool) (u *unstructured.Unstructured, body []byte, res *unstructured.Unstructured, retried int, err error) {
	u, retried, err = resendOn409(ctx, func() (*unstructured.Unstructured, error) {
		u, err := e.current(ctx, s, wantGen)
		if follows && errors.Is(err, ErrConflict) && u != nil && u.GetGeneration() == wantGen {
			return u, nil
		}
		return u, err
	}, func(u *unstructured.Unstructured) (err error) {
		body, res, err = e.patch(ctx, s, u.GetResourceVersion(), dryRun)
		return err
	})
	return u, body, res, retried, err
}

// resendOn409 reads an object (read checks it against the plan) and patches
// it with what it read; while the patch is answered 409 it does both again,
// at most patchAttempts times. It returns what was last read (the zero
// value when the read failed) and how many 409s were followed by a read.
func resendOn409[T any](ctx context.Context, read func() (T, error), patch func(T) error) (T, int, error) {
	var zero T
	retried := 0
	for attempt := 1; ; attempt++ {
		v, err := read()
		if err != nil {
			return zero, retried, err
		}
		err = patch(v)
		if err == nil || !errors.Is(err, ErrConflict) || attempt == patchAttempts || ctx.Err() != nil {
			if err != nil && retried > 0 {
				err = fmt.Errorf("%w (after %d fresh reads)", err, retried)
			}
			return v, retried, err
		}
		retried++
	}
}

// retriedNote says in the step's line that its patch was sent again.
func retriedNote(retried int) string {
	switch retried {
	case 0:
		return ""
	case 1:
		return "; sent again after a 409: the object had changed, but not its spec"
	default:
		return fmt.Sprintf("; sent again after %d 409s: the object had changed, but not its spec", retried)
	}
}

func (e *Engine) patch(ctx context.Context, s Step, rv string, dryRun bool) ([]byte, *unstructured.Unstructured, error) {
	if err := e.cfg.ReadOnly.Check("patch of " + s.Target()); err != nil {
		return nil, nil, err
	}
	body, err := s.patch(rv)
	if err != nil {
		return nil, nil, err
	}
	opts := metav1.PatchOptions{FieldManager: fieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), patchTimeout)
	defer cancel()
	out, err := e.cfg.Clients.Dynamic.Resource(gvrOf(s.Ref)).Namespace(s.Ref.Namespace).Patch(pctx, s.Ref.Name, types.MergePatchType, body, opts)
	if err != nil {
		return body, nil, serverError(err)
	}
	return body, out, nil
}

// serverError keeps the API server's message and marks conflicts.
func serverError(err error) error {
	if apierrors.IsConflict(err) {
		return fmt.Errorf("%w (409): %s", ErrConflict, kube.FirstLine(err.Error()))
	}
	return apiError{msg: kube.FirstLine(err.Error()), err: err}
}

// apiError is the server's message on one line, keeping the status for
// reasonOf.
type apiError struct {
	msg string
	err error
}

func (e apiError) Error() string { return e.msg }
func (e apiError) Unwrap() error { return e.err }

func reasonOf(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return string(st.Status().Reason)
	}
	if errors.Is(err, ErrConflict) {
		return string(metav1.StatusReasonConflict)
	}
	return ""
}

// DryRun sends every step's patch with dryRun=All: the API server runs
// validation and admission and answers with the object it would store, and
// stores nothing. Each result is recorded.
func (e *Engine) DryRun(ctx context.Context, planID string) ([]DryRunResult, error) {
	ps, err := e.state(planID)
	if err != nil {
		return nil, err
	}
	plan := e.planOf(ps)
	if err := e.refuseReadOnly(ctx, plan, "dry run"); err != nil {
		return nil, err
	}
	if err := e.refusePending(ctx, plan, "dry run", plan.Pending()); err != nil {
		return nil, err
	}
	if plan.Storage() {
		return e.storageDryRun(ctx, ps)
	}
	var out []DryRunResult
	seen := map[string]bool{}
	for _, s := range plan.Steps {
		r := DryRunResult{Step: s.N}
		// A later step on the same object (ZooKeeper 3→5→7) is dry-run on
		// the object as it is: the server checks the value it will hold.
		obj := s.Ref.Namespace + "/" + s.Ref.Name + "/" + s.Ref.Kind
		follows := seen[obj]
		seen[obj] = true
		u, body, res, _, err := e.readAndPatch(ctx, s, s.Generation, follows, true)
		r.Patch = string(body)
		if u != nil {
			r.Before = s.values(u)
			if follows {
				for _, d := range s.Diffs {
					r.Before[d.PathString()] = d.From
				}
			}
			if err == nil {
				r.OK, r.After = true, s.values(res)
				for _, d := range s.Diffs {
					if got := r.After[d.PathString()]; got != d.To && !sameNumber(d.Field, got, d.To) {
						r.OK, r.Reason = false, "Mutated"
						r.Message = fmt.Sprintf("the server would store %s=%s, not %s (a mutating webhook?)", d.PathString(), got, d.To)
					}
				}
			}
		}
		if err != nil {
			r.Reason, r.Message = reasonOf(err), err.Error()
		}
		result := "accepted"
		if !r.OK {
			result = "rejected"
		}
		if err := e.record(ctx, plan, audit.Record{Action: audit.ActionDryRun, Step: s.N, Target: s.Target(), Result: result,
			Message: r.Message, Patch: jsonOrNil(r.Patch), Before: r.Before, After: r.After}); err != nil {
			return out, err
		}
		out = append(out, r)
	}
	e.mu.Lock()
	ps.dryRun, ps.dryRunAt = out, e.clock.Now()
	e.mu.Unlock()
	return out, nil
}

func jsonOrNil(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// EventKind says what an apply event reports.
type EventKind int

const (
	StepStarted EventKind = iota
	StepPatched
	StepProgress
	StepConverged
	StepFailed
	PostChecking
	Finished
)

// Progress is where a step's component stands.
type Progress struct {
	Expect, Desired, Members, Ready int
	Waiting                         []string // members not ready yet, with why
	Note                            string   // e.g. "operator has not reconciled generation 4"
	// On says what the step waits for: the pods, or the custom
	// resource's status once the pods are as the step wants them.
	On WaitingOn
	// Stuck are the members waited for, each with the cluster's reasons;
	// Operator is what the custom resource's conditions say.
	Stuck    []MemberWait
	Operator string
	Elapsed  time.Duration
	// Storage is where a storage step stands ("capacity 50Gi of 80Gi;
	// Resizing"); it replaces the member counts.
	Storage string
}

func (p Progress) String() string {
	if p.Storage != "" {
		return p.Storage
	}
	s := fmt.Sprintf("%d/%d ready, %d member(s), spec %d", p.Ready, p.Expect, p.Members, p.Desired)
	if len(p.Waiting) > 0 {
		s += "; waiting for " + strings.Join(p.Waiting, ", ")
	}
	if p.Note != "" {
		s += "; " + p.Note
	}
	return s
}

// Event is one thing that happened while a plan runs.
type Event struct {
	Kind     EventKind
	Plan     string
	Step     int
	At       time.Time
	Progress Progress
	Message  string
	Outcome  *Outcome // on Finished
}

// OutcomeState is how a plan ended.
type OutcomeState int

const (
	Completed OutcomeState = iota
	TimedOut
	Stopped
	Failed
	Interrupted
)

func (s OutcomeState) String() string {
	return [...]string{"completed", "timed out", "stopped", "failed", "interrupted"}[s]
}

// Outcome is what the plan did and did not do, and the post-scale check.
type Outcome struct {
	State      OutcomeState
	Done       []int // steps that converged
	FailedStep int   // 0 when none
	NotStarted []int
	// Message says what state the platform is in and what was not done.
	Message string
	Post    *PostCheck
}

// Apply starts the plan: it needs a passing preflight and dry run no older
// than CheckMaxAge, and confirm equal to the plan's Confirm text. Events
// arrive on the returned channel, which is closed after Finished.
func (e *Engine) Apply(ctx context.Context, planID, confirm string) (<-chan Event, error) {
	ps, err := e.state(planID)
	if err != nil {
		return nil, err
	}
	plan := e.planOf(ps)
	if err := e.refuseReadOnly(ctx, plan, "apply"); err != nil {
		return nil, err
	}
	// The rules again, on the platform as it is now: a refusal the plan
	// did not have, or one not overridden, holds.
	fresh, err := e.refusalsNow(ctx, plan)
	if err != nil {
		return nil, err
	}
	if err := e.refusePending(ctx, plan, "apply", pending(plan, fresh)); err != nil {
		return nil, err
	}
	refuse := func(why error) (<-chan Event, error) {
		if aerr := e.record(ctx, plan, audit.Record{Action: audit.ActionRefused, Result: "refused", Message: "apply refused: " + why.Error()}); aerr != nil {
			return nil, fmt.Errorf("%w; and the audit log failed: %v", why, aerr)
		}
		return nil, why
	}
	now := e.clock.Now()
	e.mu.Lock()
	pf, dry, dryAt, started := ps.preflight, ps.dryRun, ps.dryRunAt, ps.started
	e.mu.Unlock()
	switch {
	case started:
		return refuse(ErrAlreadyRun)
	case pf == nil:
		return refuse(fmt.Errorf("%w: no preflight", ErrNotChecked))
	case !pf.Passed():
		return refuse(fmt.Errorf("%w: preflight failed (%s)", ErrNotChecked, strings.Join(pf.Failed(), ", ")))
	case now.Sub(pf.At) > e.cfg.CheckMaxAge:
		return refuse(fmt.Errorf("%w: the preflight is older than %s, run it again", ErrNotChecked, e.cfg.CheckMaxAge))
	case len(dry) != len(plan.Steps):
		return refuse(fmt.Errorf("%w: no dry run", ErrNotChecked))
	case now.Sub(dryAt) > e.cfg.CheckMaxAge:
		return refuse(fmt.Errorf("%w: the dry run is older than %s, run it again", ErrNotChecked, e.cfg.CheckMaxAge))
	}
	for _, r := range dry {
		if !r.OK {
			return refuse(fmt.Errorf("%w: the dry run of step %d was rejected: %s", ErrNotChecked, r.Step, r.Message))
		}
	}
	if confirm != plan.Confirm {
		return refuse(fmt.Errorf("%w: type %q to apply", ErrConfirmation, plan.Confirm))
	}
	e.mu.Lock()
	if ps.started {
		e.mu.Unlock()
		return refuse(ErrAlreadyRun)
	}
	ps.started = true
	e.mu.Unlock()
	conf := audit.Record{Action: audit.ActionConfirm, Result: "ok", Message: "confirmed by typing " + confirm}
	for _, r := range plan.Refusals {
		if r.Overridden {
			conf.Override = true
			conf.Evidence = append(conf.Evidence, fmt.Sprintf("step %d overridden: %s", r.Step, r.Reason))
		}
	}
	if conf.Override {
		conf.Message += fmt.Sprintf(" with %d override(s)", len(conf.Evidence))
	}
	if err := e.record(ctx, plan, conf); err != nil {
		e.mu.Lock()
		ps.started = false
		e.mu.Unlock()
		return nil, err
	}
	ch := make(chan Event, 64)
	if err := e.startRun(ctx, ps, func(ctx context.Context) {
		if plan.Storage() {
			e.runStorage(ctx, ps, ch)
		} else {
			e.run(ctx, ps, ch)
		}
	}); err != nil {
		return refuse(err)
	}
	return ch, nil
}

// run applies the steps one at a time.
func (e *Engine) run(ctx context.Context, ps *planState, ch chan<- Event) {
	plan := ps.plan
	out := &Outcome{}
	emit := func(ev Event, important bool) {
		ev.Plan, ev.At = plan.ID, e.clock.Now()
		send(ctx, ch, ev, important)
	}
	defer close(ch)
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("scale engine panic", "panic", r, "stack", string(debug.Stack()))
			out.State, out.Message = Failed, fmt.Sprintf("internal error: %v", r)
			emit(Event{Kind: Finished, Outcome: out, Message: out.Message}, true)
		}
	}()
	sub := e.cfg.Source.Subscribe(ctx)
	baseline := e.cfg.Source.Snapshot()
	gens := map[string]int64{} // generation each object is expected at
	var applied []appliedStep
	// note records what follows a stop; a record that cannot be written
	// is said in the outcome, never dropped.
	var auditErr error
	note := func(r audit.Record) {
		if err := e.record(ctx, plan, r); err != nil && auditErr == nil {
			auditErr = err
		}
	}
	finish := func(state OutcomeState, failed int, msg string) {
		out.State, out.FailedStep = state, failed
		for _, s := range plan.Steps {
			if s.N > failed && !slices.Contains(out.Done, s.N) {
				out.NotStarted = append(out.NotStarted, s.N)
			}
		}
		out.Message = msg + notDone(plan, out.NotStarted)
		if len(applied) > 0 && ctx.Err() == nil {
			emit(Event{Kind: PostChecking, Message: "checking logs and restarts of the changed components"}, true)
			pc := e.postCheck(ctx, baseline.Components, applied)
			out.Post = &pc
			note(audit.Record{Action: audit.ActionPostCheck, Result: pc.Verdict.String(), Message: pc.Summary, Evidence: pc.Evidence})
		}
		out.Message = finishAudit(e, ctx, plan, state, out.Message, auditErr)
		emit(Event{Kind: Finished, Outcome: out, Message: out.Message}, true)
	}
	for i, s := range plan.Steps {
		if i > 0 && ps.stop.Load() {
			finish(Stopped, 0, fmt.Sprintf("stopped by the user after step %d; the platform runs as that step left it.", plan.Steps[i-1].N))
			return
		}
		if e.cfg.ReadOnly.On() {
			note(audit.Record{Action: audit.ActionStop, Step: s.N, Result: "read-only", Message: "read-only was turned on: step not started"})
			finish(Stopped, 0, fmt.Sprintf("read-only was turned on before step %d: nothing more is sent; the platform runs as the earlier steps left it.", s.N))
			return
		}
		if ctx.Err() != nil {
			note(audit.Record{Action: audit.ActionStop, Step: s.N, Result: "interrupted", Message: "console quit before the step started"})
			finish(Interrupted, 0, fmt.Sprintf("interrupted before step %d started.", s.N))
			return
		}
		emit(Event{Kind: StepStarted, Step: s.N, Message: s.Title()}, true)
		started := e.clock.Now()
		wantGen, ok := gens[s.Ref.Namespace+"/"+s.Ref.Name+"/"+s.Ref.Kind]
		if !ok {
			wantGen = s.Generation
		}
		rec := audit.Record{Action: audit.ActionPatch, Step: s.N, Target: s.Target()}
		u, body, res, retried, err := e.readAndPatch(ctx, s, wantGen, false, false)
		rec.Patch = body
		if u != nil {
			rec.Before = s.values(u)
		}
		if err != nil {
			rec.Result, rec.Message = "failed", err.Error()
			if aerr := e.record(ctx, plan, rec); aerr != nil {
				err = fmt.Errorf("%v; and the audit log failed: %w", err, aerr)
			}
			emit(Event{Kind: StepFailed, Step: s.N, Message: err.Error()}, true)
			finish(Failed, s.N, fmt.Sprintf("step %d (%s) was not applied: %v.", s.N, s.Title(), err))
			return
		}
		rec.Result, rec.After = "applied", s.values(res)
		gens[s.Ref.Namespace+"/"+s.Ref.Name+"/"+s.Ref.Kind] = res.GetGeneration()
		applied = append(applied, appliedStep{step: s, started: started})
		e.mu.Lock()
		ps.patched = append(ps.patched, s.N)
		e.mu.Unlock()
		if err := e.record(ctx, plan, rec); err != nil {
			emit(Event{Kind: StepFailed, Step: s.N, Message: err.Error()}, true)
			finish(Failed, s.N, fmt.Sprintf("step %d was applied but the audit log failed (%v): stopping.", s.N, err))
			return
		}
		emit(Event{Kind: StepPatched, Step: s.N, Message: fmt.Sprintf("patched %s (resourceVersion %s → %s%s)", s.Target(), u.GetResourceVersion(), res.GetResourceVersion(), retriedNote(retried))}, true)

		prog, err := e.wait(ctx, sub, s, res.GetGeneration(), started, func(p Progress) {
			emit(Event{Kind: StepProgress, Step: s.N, Progress: p}, false)
		})
		switch {
		case err == nil:
			out.Done = append(out.Done, s.N)
			if aerr := e.record(ctx, plan, audit.Record{Action: audit.ActionWait, Step: s.N, Target: s.Target(), Result: "converged",
				Message: fmt.Sprintf("%s in %s", prog, prog.Elapsed.Truncate(time.Second))}); aerr != nil {
				finish(Failed, 0, fmt.Sprintf("step %d converged but the audit log failed (%v): stopping.", s.N, aerr))
				return
			}
			emit(Event{Kind: StepConverged, Step: s.N, Progress: prog, Message: fmt.Sprintf("%d/%d ready in %s", prog.Ready, prog.Expect, prog.Elapsed.Truncate(time.Second))}, true)
		case errors.Is(err, context.DeadlineExceeded):
			msg := fmt.Sprintf("step %d (%s) did not converge within %s: %s.%s The patch stays applied and the operator keeps working on it; no later step was started.",
				s.N, s.Title(), e.cfg.StepTimeout, prog, whyLine(prog))
			note(audit.Record{Action: audit.ActionWait, Step: s.N, Target: s.Target(), Result: "timeout", Message: msg})
			emit(Event{Kind: StepFailed, Step: s.N, Progress: prog, Message: "timed out: " + prog.String()}, true)
			finish(TimedOut, s.N, msg)
			return
		default:
			msg := fmt.Sprintf("interrupted while waiting for step %d (%s): the patch was applied, %s.", s.N, s.Title(), prog)
			note(audit.Record{Action: audit.ActionWait, Step: s.N, Target: s.Target(), Result: "interrupted", Message: msg})
			finish(Interrupted, s.N, msg)
			return
		}
	}
	finish(Completed, 0, fmt.Sprintf("all %d step(s) converged.", len(plan.Steps)))
}

// whyLine is " Why: …" with the reasons a step waited for, "" when none.
func whyLine(p Progress) string {
	r := p.Reasons()
	if r == "" {
		return ""
	}
	return " Why: " + r + "."
}

// send delivers ev to the run's reader: an important event waits for the
// reader unless ctx ends; any other is dropped when the channel is full, so
// progress never holds up a run.
func send(ctx context.Context, ch chan<- Event, ev Event, important bool) {
	if important && ctx.Err() == nil {
		select {
		case ch <- ev:
		case <-ctx.Done():
		}
		return
	}
	select {
	case ch <- ev:
	default:
	}
}

type appliedStep struct {
	step    Step
	started time.Time
}

func notDone(plan Plan, steps []int) string {
	if len(steps) == 0 {
		return ""
	}
	var parts []string
	for _, n := range steps {
		parts = append(parts, fmt.Sprintf("%d (%s)", n, plan.Steps[n-1].Title()))
	}
	return " Not done: step " + strings.Join(parts, ", step ") + "."
}

// wait follows snapshots until the step converges, its timeout passes or
// ctx ends. It never sleeps: it blocks on the watcher's snapshots.
func (e *Engine) wait(ctx context.Context, sub <-chan *platform.Snapshot, s Step, gen int64, started time.Time, report func(Progress)) (Progress, error) {
	return e.waitUntil(ctx, sub, started, report, func(snap *platform.Snapshot) (Progress, bool) {
		return Converged(snap, s, gen, e.cfg.Source)
	})
}

// waitUntil blocks on snapshots until reached says so, the step timeout
// passes or ctx ends, reporting the progress of every snapshot.
func (e *Engine) waitUntil(ctx context.Context, sub <-chan *platform.Snapshot, started time.Time, report func(Progress), reached func(*platform.Snapshot) (Progress, bool)) (Progress, error) {
	wctx, cancel := context.WithTimeout(ctx, e.cfg.StepTimeout)
	defer cancel()
	snap := e.cfg.Source.Snapshot()
	for {
		prog, done := reached(snap)
		prog.Elapsed = e.clock.Since(started)
		if done {
			return prog, nil
		}
		report(prog)
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return prog, ctx.Err()
			}
			return prog, context.DeadlineExceeded
		case next, ok := <-sub:
			if !ok {
				if ctx.Err() != nil {
					return prog, ctx.Err()
				}
				return prog, errors.New("watch closed")
			}
			snap = next
		}
	}
}

// Converged reports whether a step's component has reached the new desired
// count with every member ready, and (where the operator reports it) has
// reconciled the patched generation.
func Converged(snap *platform.Snapshot, s Step, gen int64, objs Objects) (Progress, bool) {
	p := Progress{Expect: s.Expect}
	c := snap.Component(s.Key)
	if c == nil {
		p.Note = s.Key + " is not in the snapshot"
		return p, false
	}
	p.Desired = c.Desired
	for _, m := range c.Members {
		if m.Terminating {
			p.Waiting = append(p.Waiting, m.Name+" terminating")
			continue
		}
		p.Members++
		if m.Ready {
			p.Ready++
			continue
		}
		why := m.Phase
		if m.Reason != "" {
			why = m.Reason
		} else if m.Phase == "Running" {
			why = "not ready"
		}
		p.Waiting = append(p.Waiting, m.Name+" "+why)
		p.Stuck = append(p.Stuck, memberWait(snap, m, why))
	}
	done := p.Desired == s.Expect && p.Members == s.Expect && p.Ready == s.Expect && len(p.Waiting) == 0
	if !done {
		p.On = WaitingPods
	}
	if s.Ref.Kind != "FlinkDeployment" {
		// The pods are not all: the operator's status must say so too
		// (it requeues every 30 s, OBSERVED.md).
		msg, waiting := resourceWait(c)
		p.Operator = msg
		if done && waiting {
			done, p.On = false, WaitingResource
			p.Note = "pods ready; waiting for " + s.Ref.Kind + " " + s.Ref.Name + " to report PodsReady (the operator requeues every 30 s)"
		}
	}
	if objs != nil && s.Ref.Kind == "FlinkDeployment" {
		if u, ok := objs.Object(gvrOf(s.Ref), s.Ref.Namespace, s.Ref.Name); ok {
			if og, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration"); found && og < gen {
				p.Note = fmt.Sprintf("operator has not reconciled generation %d (observed %d)", gen, og)
				done = false
			}
		}
		for _, bad := range []string{"UPGRADING", "DEPLOYED", "ROLLING", "SUSPENDED", "FAILED", "RECONCILING", "RESTARTING"} {
			if strings.Contains(c.State, bad) {
				p.Note = strings.TrimSpace(p.Note + " " + c.State)
				done = false
				break
			}
		}
		if !done && p.On == WaitingNothing {
			p.On = WaitingResource
		}
	}
	if done {
		p.On = WaitingNothing
	}
	return p, done
}

// finishAudit records how a plan ended and returns the outcome's message,
// saying when the audit log failed on the way (a record that could not be
// written is never dropped silently).
func finishAudit(e *Engine, ctx context.Context, plan Plan, state OutcomeState, msg string, earlier error) string {
	if earlier != nil {
		msg += fmt.Sprintf(" The audit log failed (%v): it misses records of this plan.", earlier)
	}
	if err := e.record(ctx, plan, audit.Record{Action: audit.ActionFinished, Result: state.String(), Message: msg}); err != nil && earlier == nil {
		msg += fmt.Sprintf(" The audit log failed (%v): it misses the end of this plan.", err)
	}
	return msg
}
