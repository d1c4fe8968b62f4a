package scale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/platform"
)

// The storage step grows one PersistentVolumeClaim: the notes' "if the
// compute is not the bottleneck but the storage is". It goes through the
// same stages as a compute plan (plan, preflight, server-side dry run,
// confirmation, apply, watched progress, audit) with checks of its own.

// StorageChange asks for a claim to grow to a new size.
type StorageChange struct {
	Namespace, Claim string
	To               string // a quantity, e.g. 80Gi
}

// ClaimStep is what a storage step changes.
type ClaimStep struct {
	Namespace, Name string
	Class           string
	Role            string // data, ledger, journal, index, long-term storage
	From, To        string // requested size before and after, as written
	ToBytes         int64  // 0 when To is not a quantity
}

func (c ClaimStep) title() string {
	return fmt.Sprintf("grow %s %s→%s", c.Name, orUnset(c.From), c.To)
}

// Storage reports whether the plan is a storage plan.
func (p Plan) Storage() bool { return len(p.Steps) == 1 && p.Steps[0].Claim != nil }

// storagePath is where a claim's size is asked for.
var storagePath = []string{"spec", "resources", "requests", "storage"}

// The checks of a storage plan.
const (
	CheckClaim        = "Claim"
	CheckStorageClass = "Storage class"
)

// claimKey is the key of a storage step: it names no component.
func claimKey(ns, name string) string { return "claim:" + ns + "/" + name }

// PlanStorage makes the one-step plan growing a claim. What the API server
// would refuse (a shrink, the same size, a malformed quantity) becomes a
// problem of the plan, so the preflight shows it as the reason it refuses.
func (e *Engine) PlanStorage(ctx context.Context, ch StorageChange) (Plan, error) {
	now := e.clock.Now()
	id := e.nextID(now)
	plan, err := BuildStoragePlan(e.cfg.Source.Snapshot(), ch, id, now)
	if err != nil {
		return plan, fmt.Errorf("plan: %w", err)
	}
	s := plan.Steps[0]
	if f, ok := e.usage().Claim(ch.Namespace + "/" + ch.Claim); ok {
		if c := e.cfg.Source.Snapshot().Claim(ch.Namespace + "/" + ch.Claim); c != nil {
			plan.Steps[0].Warnings = append(fillReason(f, c.Requested, s.Claim.ToBytes), s.Warnings...)
			s = plan.Steps[0]
		}
	}
	_, quota := e.quotaCheck(ctx, e.cfg.Source.Snapshot(), s)
	plan.Refusals = append(plan.Refusals, quota...)
	lines := []string{fmt.Sprintf("step 1 %s %s: %s → %s", s.Target(), strings.Join(storagePath, "."), orUnset(s.Claim.From), s.Claim.To)}
	return plan, e.keep(ctx, plan, fmt.Sprintf("grow %s; confirm with %q", s.Target(), plan.Confirm), lines)
}

// BuildStoragePlan makes the plan for one claim from the snapshot.
func BuildStoragePlan(snap *platform.Snapshot, ch StorageChange, id string, now time.Time) (Plan, error) {
	plan := Plan{ID: id, Created: now}
	if snap == nil {
		return plan, errors.New("no snapshot of the platform yet")
	}
	c := snap.Claim(ch.Namespace + "/" + ch.Claim)
	if c == nil {
		return plan, fmt.Errorf("claim %s/%s is not in the snapshot", ch.Namespace, ch.Claim)
	}
	to := strings.TrimSpace(ch.To)
	cs := &ClaimStep{Namespace: c.Namespace, Name: c.Name, Class: c.Class, Role: c.Role, From: c.RequestedText, To: to}
	s := Step{N: 1, Kind: c.Kind, Key: claimKey(c.Namespace, c.Name), Namespace: c.Namespace, Cluster: c.Cluster,
		Ref: platform.Ref{Version: "v1", Resource: "persistentvolumeclaims", Kind: "PersistentVolumeClaim",
			Namespace: c.Namespace, Name: c.Name, UID: c.UID, ResourceVersion: c.ResourceVersion},
		Diffs: []Diff{{Field: StorageSize, Path: storagePath, From: c.RequestedText, To: to}},
		Claim: cs}
	q, err := ParseSize(to)
	if err != nil {
		return plan, fmt.Errorf("%s: %w", c.Name, err)
	}
	cs.ToBytes = q.Value()
	switch {
	case c.RequestedText == "":
		s.Problems = append(s.Problems, "the claim asks for no size (spec.resources.requests.storage unset)")
	case cs.ToBytes < c.Requested:
		s.Problems = append(s.Problems, fmt.Sprintf("claim can only grow: %s → %s is a shrink", c.RequestedText, to))
	case cs.ToBytes == c.Requested:
		s.Problems = append(s.Problems, fmt.Sprintf("same size: the claim already asks for %s", c.RequestedText))
	}
	plan.Refusals = growthRefusal(1, s.Target(), "grow "+c.Name, c.Name, c.Requested, cs.ToBytes, c.RequestedText, to)
	if c.Invalid != "" {
		s.Problems = append(s.Problems, c.Invalid)
	}
	if tmpl := templateOf(c); tmpl != "" {
		s.Warnings = append(s.Warnings, fmt.Sprintf("only this claim grows (claim by claim); new members get the size in %s", tmpl))
	}
	if c.Role == "long-term storage" {
		s.Warnings = append(s.Warnings, "the long-term storage fileshare is shared by every segment store; they keep running while it grows")
	}
	plan.Steps = []Step{s}
	plan.Namespaces = []string{c.Namespace}
	plan.Confirm = c.Name
	return plan, nil
}

// templatePath is where the operator reads the size of new members'
// claims like c (contracts/LABELS.md; the CRDs in contracts/crds/pravega).
func templatePath(c *platform.Claim) []string {
	switch {
	case c.Kind == platform.ZooKeeper:
		return []string{"spec", "persistence", "spec", "resources", "requests", "storage"}
	case c.Kind == platform.BookKeeper && c.Role != "":
		return []string{"spec", "storage", c.Role + "VolumeClaimTemplate", "resources", "requests", "storage"}
	}
	return nil
}

// PlanStorageTemplate makes the one-step plan growing the operator's
// volume claim template that the claim was made from, so that new members
// get the larger size. StatefulSet volumeClaimTemplates are immutable: the
// custom resource's template is what the operator reads. Existing claims
// keep their size; they are grown claim by claim (PlanStorage). The plan
// runs like a compute plan (the operator's resource is patched, the
// component must stay ready).
func (e *Engine) PlanStorageTemplate(ctx context.Context, ch StorageChange) (Plan, error) {
	now := e.clock.Now()
	id := e.nextID(now)
	plan, err := BuildStorageTemplatePlan(e.cfg.Source.Snapshot(), e.cfg.Source, ch, id, now)
	if err != nil {
		return plan, fmt.Errorf("plan: %w", err)
	}
	s := plan.Steps[0]
	lines := []string{fmt.Sprintf("step 1 %s %s: %s → %s", s.Target(), s.Diffs[0].PathString(), orUnset(s.Diffs[0].From), s.Diffs[0].To)}
	return plan, e.keep(ctx, plan, fmt.Sprintf("grow the claim template of %s; confirm with %q", s.Target(), plan.Confirm), lines)
}

// BuildStorageTemplatePlan makes the plan growing the template of a claim.
func BuildStorageTemplatePlan(snap *platform.Snapshot, objs Objects, ch StorageChange, id string, now time.Time) (Plan, error) {
	plan := Plan{ID: id, Created: now}
	if snap == nil {
		return plan, errors.New("no snapshot of the platform yet")
	}
	c := snap.Claim(ch.Namespace + "/" + ch.Claim)
	if c == nil {
		return plan, fmt.Errorf("claim %s/%s is not in the snapshot", ch.Namespace, ch.Claim)
	}
	path := templatePath(c)
	if path == nil {
		return plan, fmt.Errorf("claim %s comes from no operator template (only ZooKeeper data and bookie ledger/journal/index claims do)", c.Name)
	}
	comp := snap.Component(c.Namespace + "/" + c.Cluster + "/" + c.Kind.String())
	if comp == nil {
		return plan, fmt.Errorf("%s %s is not in the snapshot", c.Kind, c.Cluster)
	}
	u, ok := objs.Object(gvrOf(comp.Source), comp.Source.Namespace, comp.Source.Name)
	if !ok {
		return plan, fmt.Errorf("%s %s/%s is not in the watch cache", comp.Source.Kind, comp.Source.Namespace, comp.Source.Name)
	}
	ref := comp.Source
	ref.ResourceVersion = u.GetResourceVersion()
	to := strings.TrimSpace(ch.To)
	from := binding{path: path}.read(u)
	s := Step{N: 1, Kind: comp.Kind, Key: comp.Key(), Namespace: comp.Namespace, Cluster: comp.Cluster, Ref: ref, Generation: u.GetGeneration(),
		Before: comp.Desired, Expect: comp.Desired, Diffs: []Diff{{Field: StorageSize, Path: path, From: from, To: to}}}
	q, err := ParseSize(to)
	if err != nil {
		return plan, fmt.Errorf("template of %s: %w", c.Name, err)
	}
	cur, curErr := resource.ParseQuantity(from)
	switch {
	case from == "":
		s.Warnings = append(s.Warnings, "the template sets no size: the operator's default applies today")
	case curErr != nil:
		s.Problems = append(s.Problems, fmt.Sprintf("the template's size %q is not a quantity", from))
	case q.Cmp(cur) < 0:
		s.Problems = append(s.Problems, fmt.Sprintf("claim template can only grow: %s → %s is a shrink (existing claims could never follow)", from, to))
	case q.Cmp(cur) == 0:
		s.Problems = append(s.Problems, fmt.Sprintf("same size: the template already asks for %s", from))
	}
	if curErr == nil && from != "" {
		plan.Refusals = growthRefusal(1, s.Target(), "grow the claim template of "+c.Name, templateName(comp.Source.Name, c), cur.Value(), q.Value(), from, to)
	}
	s.Warnings = append(s.Warnings, "new members get this size; existing claims keep theirs: grow them claim by claim")
	if c.Expansion == platform.ExpansionRefused {
		s.Warnings = append(s.Warnings, fmt.Sprintf("storage class %s does not allow volume expansion: existing claims cannot follow", c.Class))
	}
	plan.Steps = []Step{s}
	plan.Namespaces = []string{comp.Namespace}
	plan.Confirm = ref.Name
	return plan, nil
}

// templateName names a claim template in an override phrase:
// "bookkeeper-ledger-template".
func templateName(owner string, c *platform.Claim) string {
	role := c.Role
	if role == "" {
		role = "data"
	}
	return owner + "-" + role + "-template"
}

// templateOf names the operator's volume claim template a claim was made
// from (contracts/LABELS.md).
func templateOf(c *platform.Claim) string {
	switch {
	case c.Kind == platform.ZooKeeper:
		return "ZookeeperCluster " + c.Cluster + " spec.persistence.spec"
	case c.Kind == platform.BookKeeper && c.Role != "":
		return "BookkeeperCluster " + c.Cluster + " spec.storage." + c.Role + "VolumeClaimTemplate"
	}
	return ""
}

// storagePreflight checks what growing a claim needs: the plan's own
// problems, permission to patch claims, a bound claim, and a storage class
// that allows volume expansion.
func (e *Engine) storagePreflight(ctx context.Context, ps *planState, plan Plan, snap *platform.Snapshot, pf Preflight) (Preflight, error) {
	s := plan.Steps[0]
	perms := []Permission{
		{Verb: "get", Resource: "persistentvolumeclaims", Namespace: s.Namespace, Why: "read the claim before patching", Required: true},
		{Verb: "patch", Resource: "persistentvolumeclaims", Namespace: s.Namespace, Why: "grow the claim", Required: true},
	}
	answers := e.review(ctx, perms)
	var c *platform.Claim
	if snap != nil {
		c = snap.Claim(s.Claim.Namespace + "/" + s.Claim.Name)
	}
	quota, _ := e.quotaCheck(ctx, snap, s)
	pf.Checks = append(pf.Checks, checkStoragePlan(plan), checkCredentials(perms, answers, e.who(ctx)), checkClaim(snap, c), checkClass(c), quota)
	return e.finishPreflight(ctx, ps, pf)
}

// checkStoragePlan refuses what the plan itself cannot do (shrink, same
// size, malformed quantity); its cautions stay with the step.
func checkStoragePlan(plan Plan) Check {
	s := plan.Steps[0]
	c := Check{Name: CheckPlan, Status: Pass, Summary: fmt.Sprintf("%s: %s → %s", s.Claim.Name, orUnset(s.Claim.From), s.Claim.To)}
	if len(s.Problems) > 0 {
		c.Status, c.Summary, c.Evidence = Fail, s.Problems[0], s.Problems[1:]
		c.Fix = "ask for a larger size than the claim has (e.g. 80Gi): a claim can only grow"
		return c
	}
	return refusalCheck(c, plan)
}

func checkClaim(snap *platform.Snapshot, c *platform.Claim) Check {
	ck := Check{Name: CheckClaim, Status: Pass}
	if c == nil {
		ck.Status, ck.Summary = Fail, "the claim is no longer in the snapshot"
		ck.Fix = "refresh and plan again"
		return ck
	}
	if snap != nil {
		for _, st := range snap.Syncs {
			if st.Resource == "persistentvolumeclaims" && st.Phase == platform.Failing {
				ck.Status = Fail
				ck.Evidence = append(ck.Evidence, fmt.Sprintf("✖ watch of persistentvolumeclaims is failing (%s): what the console shows may be stale", st.Reason))
			}
		}
	}
	ck.Evidence = append(ck.Evidence, fmt.Sprintf("requested %s, capacity %s, phase %s", orUnset(c.RequestedText), orUnset(c.CapacityText), orUnset(c.Phase)))
	if c.Phase != string(corev1.ClaimBound) {
		ck.Status = Fail
		ck.Summary = fmt.Sprintf("claim %s is %s, not Bound: only a bound claim can be resized", c.Name, orUnset(c.Phase))
		ck.Fix = "wait until the claim is bound to a volume (or find why it is not: events of the claim)"
		return ck
	}
	var resizing []string
	for _, t := range []string{string(corev1.PersistentVolumeClaimResizing), string(corev1.PersistentVolumeClaimFileSystemResizePending)} {
		if cond, ok := c.Condition(t); ok {
			resizing = append(resizing, strings.TrimSpace(t+" "+cond.Message))
		}
	}
	switch {
	case len(resizing) > 0:
		ck.Status = worst(ck.Status, Warn)
		ck.Summary = "a resize is already in progress: " + strings.Join(resizing, "; ")
	case c.Capacity < c.Requested:
		ck.Status = worst(ck.Status, Warn)
		ck.Summary = fmt.Sprintf("capacity %s is below the %s asked for: an earlier resize has not finished", c.CapacityText, c.RequestedText)
	case ck.Status == Fail:
		ck.Summary = "the watch of claims is failing"
		ck.Fix = "restore the watch (permissions, connectivity) and run the preflight again"
	default:
		ck.Summary = fmt.Sprintf("bound, %s of capacity", orUnset(c.CapacityText))
	}
	return ck
}

func checkClass(c *platform.Claim) Check {
	ck := Check{Name: CheckStorageClass, Status: Pass}
	if c == nil {
		ck.Status, ck.Summary = Skipped, "no claim"
		return ck
	}
	switch c.Expansion {
	case platform.ExpansionAllowed:
		ck.Summary = fmt.Sprintf("storage class %s allows volume expansion", c.Class)
	case platform.ExpansionRefused:
		ck.Status = Fail
		ck.Summary = fmt.Sprintf("storage class %s does not allow volume expansion", c.Class)
		ck.Fix = "a cluster admin may set allowVolumeExpansion: true on the class if its provisioner can resize; otherwise move the data to a larger claim"
	default:
		ck.Status = Warn
		ck.Summary = "cannot tell whether the class allows volume expansion: " + c.ExpansionWhy
		ck.Evidence = []string{"the dry run asks the API server, whose admission refuses growing a claim whose class does not allow it"}
	}
	return ck
}

// claimPatch is the merge patch growing a claim, carrying the
// resourceVersion it was read at (409 if the claim moved in between).
func claimPatch(rv, to string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": rv},
		"spec":     map[string]any{"resources": map[string]any{"requests": map[string]any{"storage": to}}},
	})
}

func requested(c *corev1.PersistentVolumeClaim) string {
	if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		return q.String()
	}
	return ""
}

// currentClaim reads the claim and checks that its size is still the one
// the plan was made on.
func (e *Engine) currentClaim(ctx context.Context, cs *ClaimStep) (*corev1.PersistentVolumeClaim, error) {
	c, err := e.cfg.Clients.Typed.CoreV1().PersistentVolumeClaims(cs.Namespace).Get(ctx, cs.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get PersistentVolumeClaim %s/%s: %w", cs.Namespace, cs.Name, serverError(err))
	}
	if cur := requested(c); cur != cs.From && !sameQuantity(cur, cs.From) {
		return c, fmt.Errorf("%w: claim %s asks for %s, the plan expected %s: plan again", ErrConflict, cs.Name, orUnset(cur), orUnset(cs.From))
	}
	return c, nil
}

func sameQuantity(a, b string) bool {
	x, err1 := resource.ParseQuantity(a)
	y, err2 := resource.ParseQuantity(b)
	return err1 == nil && err2 == nil && x.Cmp(y) == 0
}

// readAndPatchClaim is readAndPatch for a claim: a 409 (the resizer or the
// PersistentVolume controller writing the claim's status in between) reads
// the claim again and resends while it still asks for the planned size.
func (e *Engine) readAndPatchClaim(ctx context.Context, cs *ClaimStep, dryRun bool) (c *corev1.PersistentVolumeClaim, body []byte, res *corev1.PersistentVolumeClaim, retried int, err error) {
	c, retried, err = resendOn409(ctx, func() (*corev1.PersistentVolumeClaim, error) {
		return e.currentClaim(ctx, cs)
	}, func(c *corev1.PersistentVolumeClaim) (err error) {
		body, res, err = e.patchClaim(ctx, cs, c.ResourceVersion, dryRun)
		return err
	})
	return c, body, res, retried, err
}

func (e *Engine) patchClaim(ctx context.Context, cs *ClaimStep, rv string, dryRun bool) ([]byte, *corev1.PersistentVolumeClaim, error) {
	if err := e.cfg.ReadOnly.Check("patch of claim " + cs.Namespace + "/" + cs.Name); err != nil {
		return nil, nil, err
	}
	body, err := claimPatch(rv, cs.To)
	if err != nil {
		return nil, nil, err
	}
	opts := metav1.PatchOptions{FieldManager: fieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), patchTimeout)
	defer cancel()
	out, err := e.cfg.Clients.Typed.CoreV1().PersistentVolumeClaims(cs.Namespace).Patch(pctx, cs.Name, types.MergePatchType, body, opts)
	if err != nil {
		return body, nil, serverError(err)
	}
	return body, out, nil
}

func (e *Engine) storageDryRun(ctx context.Context, ps *planState) ([]DryRunResult, error) {
	plan := ps.plan
	s := plan.Steps[0]
	cs := s.Claim
	path := strings.Join(storagePath, ".")
	r := DryRunResult{Step: s.N}
	c, body, res, _, err := e.readAndPatchClaim(ctx, cs, true)
	r.Patch = string(body)
	if c != nil {
		r.Before = map[string]string{path: requested(c)}
		if err == nil {
			got := requested(res)
			r.OK, r.After = true, map[string]string{path: got}
			if !sameQuantity(got, cs.To) {
				r.OK, r.Reason = false, "Mutated"
				r.Message = fmt.Sprintf("the server would store %s=%s, not %s (a mutating webhook?)", path, got, cs.To)
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
		return nil, err
	}
	out := []DryRunResult{r}
	e.mu.Lock()
	ps.dryRun, ps.dryRunAt = out, e.clock.Now()
	e.mu.Unlock()
	return out, nil
}

// runStorage patches the claim and follows the snapshots until its
// status.capacity reaches the new size, showing the Resizing and
// FileSystemResizePending conditions while it waits.
func (e *Engine) runStorage(ctx context.Context, ps *planState, ch chan<- Event) {
	plan := ps.plan
	s := plan.Steps[0]
	cs := s.Claim
	path := strings.Join(storagePath, ".")
	out := &Outcome{}
	emit := func(ev Event, important bool) {
		ev.Plan, ev.At, ev.Step = plan.ID, e.clock.Now(), s.N
		send(ctx, ch, ev, important)
	}
	defer close(ch)
	var auditErr error
	note := func(r audit.Record) {
		if err := e.record(ctx, plan, r); err != nil && auditErr == nil {
			auditErr = err
		}
	}
	finish := func(state OutcomeState, msg string) {
		out.State, out.Message = state, finishAudit(e, ctx, plan, state, msg, auditErr)
		msg = out.Message
		emit(Event{Kind: Finished, Outcome: out, Message: msg}, true)
	}
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("scale engine panic", "panic", r, "stack", string(debug.Stack()))
			out.FailedStep = s.N
			finish(Failed, fmt.Sprintf("internal error: %v", r))
		}
	}()
	sub := e.cfg.Source.Subscribe(ctx)
	emit(Event{Kind: StepStarted, Message: s.Title()}, true)
	started := e.clock.Now()
	rec := audit.Record{Action: audit.ActionPatch, Step: s.N, Target: s.Target()}
	c, body, res, retried, err := e.readAndPatchClaim(ctx, cs, false)
	rec.Patch = body
	if c != nil {
		rec.Before = map[string]string{path: requested(c)}
	}
	if err != nil {
		rec.Result, rec.Message = "failed", err.Error()
		if aerr := e.record(ctx, plan, rec); aerr != nil {
			err = fmt.Errorf("%v; and the audit log failed: %w", err, aerr)
		}
		emit(Event{Kind: StepFailed, Message: err.Error()}, true)
		out.FailedStep = s.N
		finish(Failed, fmt.Sprintf("%s was not applied: %v.", s.Title(), err))
		return
	}
	rec.Result, rec.After = "applied", map[string]string{path: requested(res)}
	if err := e.record(ctx, plan, rec); err != nil {
		emit(Event{Kind: StepFailed, Message: err.Error()}, true)
		out.FailedStep = s.N
		finish(Failed, fmt.Sprintf("the claim was patched but the audit log failed (%v): stopping.", err))
		return
	}
	emit(Event{Kind: StepPatched, Message: fmt.Sprintf("patched %s (resourceVersion %s → %s%s)", s.Target(), c.ResourceVersion, res.ResourceVersion, retriedNote(retried))}, true)

	prog, err := e.waitClaim(ctx, sub, cs, started, func(p Progress) { emit(Event{Kind: StepProgress, Progress: p}, false) })
	switch {
	case err == nil:
		out.Done = []int{s.N}
		if aerr := e.record(ctx, plan, audit.Record{Action: audit.ActionWait, Step: s.N, Target: s.Target(), Result: "converged",
			Message: fmt.Sprintf("%s in %s", prog, prog.Elapsed.Truncate(time.Second))}); aerr != nil {
			out.FailedStep = s.N
			finish(Failed, fmt.Sprintf("the claim grew but the audit log failed (%v).", aerr))
			return
		}
		emit(Event{Kind: StepConverged, Progress: prog, Message: fmt.Sprintf("%s in %s", prog, prog.Elapsed.Truncate(time.Second))}, true)
		finish(Completed, fmt.Sprintf("claim %s has %s of capacity.", cs.Name, cs.To))
	case errors.Is(err, context.DeadlineExceeded):
		msg := fmt.Sprintf("claim %s did not reach %s within %s: %s. The patch stays applied; the resizer (and for FileSystemResizePending, a restart of the pod using the claim) finishes it.",
			cs.Name, cs.To, e.cfg.StepTimeout, prog)
		note(audit.Record{Action: audit.ActionWait, Step: s.N, Target: s.Target(), Result: "timeout", Message: msg})
		emit(Event{Kind: StepFailed, Progress: prog, Message: "timed out: " + prog.String()}, true)
		out.FailedStep = s.N
		finish(TimedOut, msg)
	default:
		msg := fmt.Sprintf("interrupted while waiting for claim %s to grow: the patch was applied, %s.", cs.Name, prog)
		note(audit.Record{Action: audit.ActionWait, Step: s.N, Target: s.Target(), Result: "interrupted", Message: msg})
		out.FailedStep = s.N
		finish(Interrupted, msg)
	}
}

// waitClaim blocks on snapshots until the claim's capacity reaches the new
// size, the step timeout passes or ctx ends.
func (e *Engine) waitClaim(ctx context.Context, sub <-chan *platform.Snapshot, cs *ClaimStep, started time.Time, report func(Progress)) (Progress, error) {
	return e.waitUntil(ctx, sub, started, report, func(snap *platform.Snapshot) (Progress, bool) {
		return ClaimGrown(snap, cs)
	})
}

// ClaimGrown reports whether the claim's status.capacity has reached the
// size asked for, and where it stands.
func ClaimGrown(snap *platform.Snapshot, cs *ClaimStep) (Progress, bool) {
	var p Progress
	var c *platform.Claim
	if snap != nil {
		c = snap.Claim(cs.Namespace + "/" + cs.Name)
	}
	if c == nil {
		p.Storage = "claim " + cs.Name + " is not in the snapshot"
		return p, false
	}
	p.Storage = fmt.Sprintf("capacity %s of %s", orUnset(c.CapacityText), cs.To)
	var conds []string
	for _, t := range []string{string(corev1.PersistentVolumeClaimResizing), string(corev1.PersistentVolumeClaimFileSystemResizePending)} {
		if _, ok := c.Condition(t); ok {
			conds = append(conds, t)
		}
	}
	if len(conds) > 0 {
		p.Storage += "; " + strings.Join(conds, ", ")
		if slices.Contains(conds, string(corev1.PersistentVolumeClaimFileSystemResizePending)) {
			p.Note = "the file system grows when the pod using the claim (re)starts"
		}
	} else if c.Capacity < cs.ToBytes {
		p.Storage += "; waiting for the resizer"
	}
	if c.ResizeStatus != "" {
		p.Storage += " (" + c.ResizeStatus + ")"
	}
	return p, cs.ToBytes > 0 && c.Capacity >= cs.ToBytes
}
