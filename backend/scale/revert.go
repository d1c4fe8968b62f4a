package scale

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/streamops/streamops/backend/audit"
)

// ErrNothingToRevert is returned for a plan none of whose patches landed.
var ErrNothingToRevert = errors.New("no step of the plan was applied: nothing to revert")

// RevertPlan builds the plan that sets back the values the applied steps
// of planID changed (each step's before values, as the plan and the audit
// log recorded them). It is a new plan like any other: it is planned on
// the platform as it is now, the refusal rules apply to it, and it needs
// its own preflight, dry run and confirmation. If planID is still waiting
// on a step, that wait is interrupted first (recorded as such): its patch
// stays applied, and no later step of it starts.
func (e *Engine) RevertPlan(ctx context.Context, planID string) (Plan, error) {
	ps, err := e.state(planID)
	if err != nil {
		return Plan{}, err
	}
	plan := e.planOf(ps)
	if plan.Storage() {
		return Plan{}, fmt.Errorf("revert %s: a claim cannot shrink, so a storage plan has no revert", planID)
	}
	e.mu.Lock()
	patched := slices.Clone(ps.patched)
	cancel, running := e.cancels[planID]
	e.mu.Unlock()
	if len(patched) == 0 {
		return Plan{}, fmt.Errorf("revert %s: %w", planID, ErrNothingToRevert)
	}
	var changes []Change
	var lines []string
	seen := map[string]bool{}
	for _, n := range patched {
		s := plan.Steps[n-1]
		for _, d := range s.Diffs {
			id := s.Key + "#" + d.PathString()
			if seen[id] { // a split step (ZooKeeper 3→5→7): the first From is the before value
				continue
			}
			seen[id] = true
			if d.From == "" {
				return Plan{}, fmt.Errorf("revert %s: step %d set %s %s, which was unset before; unset it by hand", planID, n, s.Target(), d.PathString())
			}
			changes = append(changes, Change{Key: s.Key, Field: d.Field, To: d.From})
			lines = append(lines, fmt.Sprintf("reverts step %d %s %s: %s → %s", n, s.Target(), d.PathString(), d.To, d.From))
		}
	}
	now := e.clock.Now()
	id := e.nextID(now)
	rev, err := BuildPlan(e.cfg.Source.Snapshot(), e.cfg.Source, changes, id, now)
	if errors.Is(err, ErrNothingToDo) {
		return rev, fmt.Errorf("revert %s: every value is at its before value already (or the watch has not seen the patch yet: try again): %w", planID, err)
	}
	if err != nil {
		return rev, fmt.Errorf("revert %s: %w", planID, err)
	}
	for _, s := range rev.Steps {
		for _, d := range s.Diffs {
			lines = append(lines, fmt.Sprintf("step %d %s %s: %s → %s", s.N, s.Target(), d.PathString(), orUnset(d.From), d.To))
		}
	}
	msg := fmt.Sprintf("revert of plan %s (steps %s): %d step(s); confirm with %q", planID, joinInts(patched), len(rev.Steps), rev.Confirm)
	if err := e.keep(ctx, rev, msg, lines); err != nil {
		return rev, err
	}
	if running {
		// Only once the revert is planned: a revert that cannot be
		// planned leaves the wait alone.
		if err := e.record(ctx, plan, audit.Record{Action: audit.ActionStop, Result: "interrupted", Message: "the wait is interrupted to revert the plan: " + rev.ID}); err != nil {
			return rev, err
		}
		cancel()
	}
	return rev, nil
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}
