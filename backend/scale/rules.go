package scale

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/platform"
)

// Refuse, do not caution: a step that can lose data or quorum is refused
// by the engine, at Plan and again at Apply. Where an expert may need it
// anyway, the refusal carries an override phrase naming the object; typing
// it (Engine.Override) is recorded in the audit log as an override, and
// only then may the dry run and the apply go on.

// Refusal is one reason a plan may not go on.
type Refusal struct {
	// ID names the refusal within its plan ("bookie-data#2"); the same
	// rule on the same step always has the same ID.
	ID     string
	Step   int    // the step refused
	Target string // the object, "Kind namespace/name"
	Reason string // one line: why
	Safe   string // what would be safe instead
	// Phrase is what must be typed to override; "" when nothing may
	// override the refusal.
	Phrase string
	Risk   string // the risk, restated when the override is asked for
	// Overridden is true once the phrase was typed and audited.
	Overridden bool
}

// Line is the refusal in one line: why, and what would be safe.
func (r Refusal) Line() string { return r.Reason + "; safe: " + r.Safe }

// Errors of refusals and overrides.
var (
	ErrRefused        = errors.New("refused")
	ErrOverridePhrase = errors.New("override phrase does not match")
	ErrNoOverride     = errors.New("nothing may override this refusal")
)

// Pending lists the refusals that still hold: not overridden.
func (p Plan) Pending() []Refusal {
	var out []Refusal
	for _, r := range p.Refusals {
		if !r.Overridden {
			out = append(out, r)
		}
	}
	return out
}

// NextOverride is the first refusal still holding that an override may
// lift, if any.
func (p Plan) NextOverride() (Refusal, bool) {
	for _, r := range p.Pending() {
		if r.Phrase != "" {
			return r, true
		}
	}
	return Refusal{}, false
}

// Pravega's BookKeeper client defaults (segmentstore BookKeeperConfig:
// ensemble 3, write quorum 3, ack quorum 2), used when the PravegaCluster's
// spec.pravega.options does not set them.
const (
	defaultEnsemble    = 3
	defaultWriteQuorum = 3
	defaultAckQuorum   = 2
)

// ledgerSizes is what the segment stores ask of BookKeeper for each ledger.
type ledgerSizes struct {
	Ensemble, WriteQuorum, AckQuorum int
	From                             string // where the numbers come from
	Err                              string // an option that is not a number
}

// Min is the fewest bookies that can hold a new ledger.
func (l ledgerSizes) Min() int { return max(l.Ensemble, l.WriteQuorum, l.AckQuorum) }

func (l ledgerSizes) String() string {
	return fmt.Sprintf("ensemble %d, write quorum %d, ack quorum %d per %s", l.Ensemble, l.WriteQuorum, l.AckQuorum, l.From)
}

// bookieOptions are the option names, current and legacy, of each size.
var bookieOptions = []struct {
	names []string
	set   func(*ledgerSizes, int)
}{
	{[]string{"bookkeeper.ensemble.size", "bookkeeper.bkEnsembleSize"}, func(l *ledgerSizes, n int) { l.Ensemble = n }},
	{[]string{"bookkeeper.write.quorum.size", "bookkeeper.bkWriteQuorumSize"}, func(l *ledgerSizes, n int) { l.WriteQuorum = n }},
	{[]string{"bookkeeper.ack.quorum.size", "bookkeeper.bkAckQuorumSize"}, func(l *ledgerSizes, n int) { l.AckQuorum = n }},
}

// bookieSizes reads the ledger sizes the PravegaClusters of a namespace
// configure (the largest when there are several), Pravega's defaults for
// what they leave unset.
func bookieSizes(snap *platform.Snapshot, objs Objects, ns string) ledgerSizes {
	defaults := ledgerSizes{Ensemble: defaultEnsemble, WriteQuorum: defaultWriteQuorum, AckQuorum: defaultAckQuorum}
	out := defaults
	out.From = "Pravega's defaults"
	if snap == nil || objs == nil {
		return out
	}
	seen := map[string]bool{}
	var from []string
	found := false
	for _, c := range snap.Components {
		ref := c.Source
		if ref.Kind != "PravegaCluster" || ref.Namespace != ns || seen[ref.Name] {
			continue
		}
		seen[ref.Name] = true
		u, ok := objs.Object(gvrOf(ref), ref.Namespace, ref.Name)
		if !ok {
			continue
		}
		opts, _, _ := unstructured.NestedMap(u.Object, "spec", "pravega", "options")
		cur, set := defaults, false
		for _, o := range bookieOptions {
			for _, name := range o.names {
				v, ok := opts[name]
				if !ok {
					continue
				}
				n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
				if err != nil || n < 1 {
					out.Err = fmt.Sprintf("PravegaCluster %s/%s option %s is %q, not a number", ns, ref.Name, name, fmt.Sprint(v))
					break
				}
				o.set(&cur, n)
				set = true
				break
			}
		}
		if set {
			from = append(from, "PravegaCluster "+ns+"/"+ref.Name+" spec.pravega.options")
		}
		if !found {
			out.Ensemble, out.WriteQuorum, out.AckQuorum = cur.Ensemble, cur.WriteQuorum, cur.AckQuorum
			found = true
			continue
		}
		out.Ensemble, out.WriteQuorum, out.AckQuorum = max(out.Ensemble, cur.Ensemble), max(out.WriteQuorum, cur.WriteQuorum), max(out.AckQuorum, cur.AckQuorum)
	}
	if len(from) > 0 {
		out.From = strings.Join(from, ", ")
	}
	return out
}

// allReady reports whether every member of a component is ready, and
// names the ones that are not.
func allReady(c *platform.Component) (bool, string) {
	bad := notReadyMembers(c)
	if len(bad) > 0 {
		return false, fmt.Sprintf("%d/%d ready: %s", c.Ready, c.Desired, strings.Join(bad, ", "))
	}
	if c.Ready < c.Desired {
		return false, fmt.Sprintf("%d/%d ready", c.Ready, c.Desired)
	}
	return true, ""
}

// minimum is the fewest members the wizard offers for a target, and why.
func minimum(snap *platform.Snapshot, objs Objects, c *platform.Component, field Field) (int, string) {
	if field != Replicas {
		return 0, ""
	}
	switch c.Kind {
	case platform.ZooKeeper:
		if c.Desired < 3 {
			return max(c.Desired, 1), "an ensemble below 3 never shrinks"
		}
		return 3, "an odd ensemble"
	case platform.BookKeeper:
		l := bookieSizes(snap, objs, c.Namespace)
		if c.Desired < l.Min() {
			return max(c.Desired, 1), fmt.Sprintf("below ensemble %d, write quorum %d", l.Ensemble, l.WriteQuorum)
		}
		return l.Min(), fmt.Sprintf("ensemble %d, write quorum %d", l.Ensemble, l.WriteQuorum)
	}
	return 1, "at least one member"
}

// AdjustTarget moves a target's value by delta steps, never below the
// target's minimum; ZooKeeper moves from odd size to odd size. At the
// minimum it says so.
func AdjustTarget(t Target, value string, delta int) (string, error) {
	if t.Field != Replicas {
		return Adjust(t.Field, value, delta)
	}
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil {
		return value, fmt.Errorf("%s %s: replicas %q: not a whole number", t.Kind, t.Cluster, value)
	}
	next := n + delta
	if t.Kind == platform.ZooKeeper {
		switch {
		case n%2 == 0 && delta > 0:
			next = n + 1 + 2*(delta-1)
		case n%2 == 0:
			next = n - 1 + 2*(delta+1)
		default:
			next = n + 2*delta
		}
	}
	if next < t.Min {
		if n <= t.Min {
			return strconv.Itoa(t.Min), fmt.Errorf("%s %s: %d is the fewest replicas (%s)", t.Kind, t.Cluster, t.Min, t.MinWhy)
		}
		next = t.Min
	}
	return strconv.Itoa(next), nil
}

// CheckValue reads a value typed for a target: a number of the right
// kind, not below the target's minimum. The error is one line naming the
// target.
func CheckValue(t Target, typed string) (string, error) {
	v := strings.TrimSpace(typed)
	name := t.Kind.String() + " " + t.Cluster
	if t.Field != Replicas {
		b := binding{field: t.Field, min: 1}
		if t.Field == TaskManagerCPU || t.Field == TaskManagerMemory {
			b.min = 0
		}
		if err := b.validate(v); err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return v, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return "", fmt.Errorf("%s: replicas %q is not a whole number", name, v)
	}
	if n < t.Min {
		return "", fmt.Errorf("%s: at least %d replicas (%s), not %d", name, t.Min, t.MinWhy, n)
	}
	if t.Kind == platform.ZooKeeper && n%2 == 0 && n != t.Desired {
		return "", fmt.Errorf("%s: the ensemble stays odd: %d or %d, not %d", name, n-1, n+1, n)
	}
	return strconv.Itoa(n), nil
}

// splitStep plans a stream-store replica change as steps that each keep a
// quorum: ZooKeeper grows two members at a time (odd to odd), and every
// stream-store scale-down removes one member per step. Each step is waited
// on before the next starts.
func splitStep(s Step) []Step {
	if len(s.Diffs) != 1 || s.Diffs[0].Field != Replicas || order(s.Kind) > order(platform.Controller) {
		return []Step{s}
	}
	from, to := s.Before, s.Expect
	if s.Kind == platform.ZooKeeper && (to%2 == 0 || to < min(3, from)) {
		return []Step{s} // refused whole (rules.go, refusals)
	}
	var sizes []int
	switch {
	case to < from:
		for n := from - 1; n >= to; n-- {
			sizes = append(sizes, n)
		}
	case s.Kind == platform.ZooKeeper && to%2 == 1:
		n := from
		for n < to {
			if n%2 == 0 {
				n++
			} else {
				n += 2
			}
			sizes = append(sizes, min(n, to))
		}
	default:
		return []Step{s}
	}
	var out []Step
	prev := from
	for _, n := range sizes {
		st := s
		st.Warnings = nil
		st.Diffs = []Diff{{Field: Replicas, Path: s.Diffs[0].Path, From: strconv.Itoa(prev), To: strconv.Itoa(n)}}
		st.Before, st.Expect = prev, n
		streamStoreWarnings(&st)
		out = append(out, st)
		prev = n
	}
	return out
}

// bookieClaims names the claims of a bookie that the operator deletes once
// it is removed (OBSERVED.md: syncStatefulSetPvc deletes the removed
// bookies' ledger, journal and index claims).
func bookieClaims(snap *platform.Snapshot, c *platform.Component, bookie string) []string {
	var out []string
	for _, cl := range snap.Claims {
		if cl.Kind == platform.BookKeeper && cl.Namespace == c.Namespace && cl.Cluster == c.Cluster && cl.Member == bookie {
			out = append(out, cl.Name)
		}
	}
	if len(out) == 0 {
		for _, role := range []string{"ledger", "journal", "index"} {
			out = append(out, role+"-"+bookie)
		}
	}
	return out
}

// refusals applies the rules to every step of a compute plan, on the
// platform as snap shows it.
func refusals(snap *platform.Snapshot, objs Objects, plan Plan) []Refusal {
	var out []Refusal
	first := map[string]bool{} // the component's first step carries the whole change
	final := map[string]int{}
	for _, s := range plan.Steps {
		if s.Claim == nil {
			final[s.Key] = s.Expect
		}
	}
	for _, s := range plan.Steps {
		if s.Claim != nil || len(s.Diffs) == 0 || s.Diffs[0].Field != Replicas {
			continue
		}
		c := snap.Component(s.Key)
		if c == nil {
			continue
		}
		isFirst := !first[s.Key]
		first[s.Key] = true
		from, to := c.Desired, final[s.Key]
		name := fmt.Sprintf("%s %s %d→%d", s.Kind, s.Cluster, from, to)
		add := func(rule, reason, safe string) {
			out = append(out, Refusal{ID: fmt.Sprintf("%s#%d", rule, s.N), Step: s.N, Target: s.Target(), Reason: reason, Safe: safe})
		}
		switch s.Kind {
		case platform.ZooKeeper:
			if !isFirst {
				continue
			}
			floor := min(3, max(from, 1))
			switch {
			case to%2 == 0:
				add("zookeeper-odd", fmt.Sprintf("%s: an even ensemble of %d tolerates no more failures than %d and a network split can leave neither side a quorum", name, to, to-1),
					fmt.Sprintf("%d or %d members", to-1, to+1))
			case to < floor:
				add("zookeeper-floor", fmt.Sprintf("%s: an ensemble of %d survives no member failure", name, to),
					fmt.Sprintf("keep at least %d members", floor))
			}
			if to < from {
				if ok, why := allReady(c); !ok {
					add("zookeeper-ready", fmt.Sprintf("%s: scale-down only when every member is Ready (%s)", name, why),
						"wait until every member is ready, then plan again")
				}
			}
		case platform.BookKeeper:
			if to >= from {
				continue
			}
			l := bookieSizes(snap, objs, s.Namespace)
			if isFirst {
				switch {
				case l.Err != "":
					add("bookkeeper-options", fmt.Sprintf("%s: cannot tell how many bookies a ledger needs: %s", name, l.Err), "fix the option, then plan again")
				case to < l.Min():
					add("bookkeeper-ensemble", fmt.Sprintf("%s: below what every ledger needs (%s): segment stores cannot create ledgers", name, l),
						fmt.Sprintf("keep at least %d bookies", l.Min()))
				}
				if ok, why := allReady(c); !ok {
					add("bookkeeper-ready", fmt.Sprintf("%s: scale-down only when every bookie is Ready (%s)", name, why),
						"wait until every bookie is ready, then plan again")
				}
			}
			bookie := fmt.Sprintf("%s-bookie-%d", s.Cluster, s.Expect)
			claims := bookieClaims(snap, c, bookie)
			out = append(out, Refusal{ID: fmt.Sprintf("bookie-data#%d", s.N), Step: s.N, Target: s.Target(),
				Reason: fmt.Sprintf("step %d removes bookie %s and the operator then deletes its claims %s, without decommissioning it", s.N, bookie, strings.Join(claims, ", ")),
				Safe:   fmt.Sprintf("decommission %s first (bookkeeper shell decommissionbookie) so its ledgers are re-replicated, then override", bookie),
				Risk: fmt.Sprintf("ledger copies held only on %s are lost for good when the operator deletes %s; writes need %d bookies (%s)",
					bookie, strings.Join(claims, ", "), l.Min(), l),
				Phrase: "delete-bookie-data " + bookie})
		}
	}
	return append(out, flinkRefusals(snap, objs, plan)...)
}

// pending keeps the refusals of fresh whose override was not accepted in
// plan (by ID); a refusal the engine did not make at Plan is new and holds.
func pending(plan Plan, fresh []Refusal) []Refusal {
	done := map[string]bool{}
	for _, r := range plan.Refusals {
		if r.Overridden {
			done[r.ID] = true
		}
	}
	var out []Refusal
	for _, r := range fresh {
		if !done[r.ID] || r.Phrase == "" {
			out = append(out, r)
		}
	}
	return out
}

// withOverrides marks the refusals of fresh that plan has overridden.
func withOverrides(plan Plan, fresh []Refusal) []Refusal {
	done := map[string]bool{}
	for _, r := range plan.Refusals {
		if r.Overridden {
			done[r.ID] = true
		}
	}
	out := make([]Refusal, len(fresh))
	for i, r := range fresh {
		r.Overridden = done[r.ID] && r.Phrase != ""
		out[i] = r
	}
	return out
}

// refusalLines are the audit evidence of refusals.
func refusalLines(rs []Refusal) []string {
	var out []string
	for _, r := range rs {
		l := fmt.Sprintf("step %d refused: %s", r.Step, r.Line())
		if r.Phrase != "" {
			l += fmt.Sprintf(" (override: type %q)", r.Phrase)
		}
		if r.Overridden {
			l = fmt.Sprintf("step %d overridden: %s", r.Step, r.Reason)
		}
		out = append(out, l)
	}
	return out
}

// Override lifts one refusal of a plan: phrase must be the refusal's
// phrase exactly. The attempt is recorded in the audit log marked as an
// override, accepted or refused; a failed audit write leaves the refusal in
// place. The preflight and dry run have to be run again afterwards.
func (e *Engine) Override(ctx context.Context, planID, refusalID, phrase string) (Plan, error) {
	ps, err := e.state(planID)
	if err != nil {
		return Plan{}, err
	}
	e.mu.Lock()
	plan, started := ps.plan, ps.started
	e.mu.Unlock()
	if err := e.refuseReadOnly(ctx, plan, "override"); err != nil {
		return plan, err
	}
	if started {
		return plan, ErrAlreadyRun
	}
	i := -1
	for j, r := range plan.Refusals {
		if r.ID == refusalID {
			i = j
		}
	}
	if i < 0 {
		return plan, fmt.Errorf("plan %s has no refusal %s", planID, refusalID)
	}
	r := plan.Refusals[i]
	if r.Phrase == "" {
		return plan, fmt.Errorf("%w: %s", ErrNoOverride, r.Line())
	}
	if r.Overridden {
		return plan, nil
	}
	rec := audit.Record{Action: audit.ActionOverride, Override: true, Step: r.Step, Target: r.Target, Evidence: []string{r.Reason, "safe: " + r.Safe}}
	if typed := strings.TrimSpace(phrase); typed != r.Phrase {
		rec.Result, rec.Message = "refused", "wrong override phrase: "+strings.TrimSpace(typed)
		why := fmt.Errorf("%w: type %q", ErrOverridePhrase, r.Phrase)
		if aerr := e.record(ctx, plan, rec); aerr != nil {
			return plan, fmt.Errorf("%w; and the audit log failed: %v", why, aerr)
		}
		return plan, why
	}
	rec.Result, rec.Message = "accepted", fmt.Sprintf("override typed %q; risk: %s", r.Phrase, r.Risk)
	if err := e.record(ctx, plan, rec); err != nil {
		return plan, fmt.Errorf("override not accepted: the audit log failed: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps.started { // applied while the override was being recorded
		return ps.plan, ErrAlreadyRun
	}
	rs := append([]Refusal(nil), ps.plan.Refusals...)
	rs[i].Overridden = true
	ps.plan.Refusals = rs
	ps.preflight, ps.dryRun = nil, nil // checked again with the override
	return ps.plan, nil
}

// refusePending refuses what still holds in a plan before a dry run or an
// apply, and records the refusal.
func (e *Engine) refusePending(ctx context.Context, plan Plan, what string, rs []Refusal) error {
	if len(rs) == 0 {
		return nil
	}
	r := rs[0]
	why := fmt.Errorf("%w: %s", ErrRefused, r.Line())
	if r.Phrase != "" {
		why = fmt.Errorf("%w (override: type %q)", why, r.Phrase)
	}
	if aerr := e.record(ctx, plan, audit.Record{Action: audit.ActionRefused, Step: r.Step, Target: r.Target, Result: "refused",
		Message: what + " refused: " + why.Error(), Evidence: refusalLines(rs)}); aerr != nil {
		return fmt.Errorf("%w; and the audit log failed: %v", why, aerr)
	}
	return why
}
