package scale

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
)

// targetRow is one value the user can change at the current level.
type targetRow struct {
	target    scale.Target
	now, next string // next is "" when unchanged
	ready     string // "3/3" at the component level
}

// targetRows lists a level's targets with the user's edits.
func targetRows(targets []scale.Target, level scale.Level, edits map[string]string) []targetRow {
	var out []targetRow
	for _, t := range targets {
		if t.Level != level {
			continue
		}
		r := targetRow{target: t, now: t.Current}
		if r.now == "" {
			r.now = "-"
		}
		if v, ok := edits[t.ID()]; ok && v != t.Current {
			r.next = v
		}
		if t.Level == scale.ComponentLevel {
			r.ready = fmt.Sprintf("%d/%d", t.Ready, t.Desired)
		}
		out = append(out, r)
	}
	return out
}

// changes turns the edits into the engine's changes, in target order.
func changes(targets []scale.Target, edits map[string]string) []scale.Change {
	var out []scale.Change
	for _, t := range targets {
		if v, ok := edits[t.ID()]; ok && v != t.Current {
			out = append(out, scale.Change{Key: t.Key, Field: t.Field, To: v})
		}
	}
	return out
}

// changeSummary is one line naming every pending change.
func changeSummary(targets []scale.Target, edits map[string]string) string {
	var parts []string
	for _, t := range targets {
		if v, ok := edits[t.ID()]; ok && v != t.Current {
			what := t.Kind.String() + " " + t.Cluster
			if t.Field != scale.Replicas {
				what += " " + t.Field.String()
			}
			parts = append(parts, what+" "+t.Current+"→"+v)
		}
	}
	return strings.Join(parts, ", ")
}

// nodeRow is one node at the Kubernetes level.
type nodeRow struct {
	name, state        string
	cpu, freeCPU       string // "requested/allocatable", free
	memory, freeMemory string
	disk, pods         string
	tight              bool // less than 10% of CPU or memory free
	added              string
}

func nodeRows(nodes []scale.NodeUsage, afterPlan bool) []nodeRow {
	var out []nodeRow
	for _, n := range nodes {
		free := n.Free()
		if afterPlan {
			free = n.FreeAfter()
		}
		r := nodeRow{name: n.Name, state: "ready"}
		switch {
		case !n.Ready:
			r.state = "not ready"
		case !n.Schedulable:
			r.state = "cordoned"
		case len(n.Taints) > 0:
			r.state = fmt.Sprintf("ready, %d taint(s)", len(n.Taints))
		}
		r.cpu = scale.FormatCPU(n.Requested.MilliCPU) + "/" + scale.FormatCPU(n.Allocatable.MilliCPU)
		r.freeCPU = scale.FormatCPU(free.MilliCPU)
		r.memory = scale.FormatBytes(n.Requested.Memory) + "/" + scale.FormatBytes(n.Allocatable.Memory)
		r.freeMemory = scale.FormatBytes(free.Memory)
		r.disk = "-"
		if n.Allocatable.EphemeralStorage > 0 {
			r.disk = scale.FormatBytes(free.EphemeralStorage)
		}
		r.pods = fmt.Sprintf("%d/%d", n.Requested.Pods, n.Allocatable.Pods)
		r.tight = free.MilliCPU*10 < n.Allocatable.MilliCPU || free.Memory*10 < n.Allocatable.Memory
		r.added = strings.Join(n.AddedMembers, ", ")
		out = append(out, r)
	}
	return out
}

// lineKind says how a line of the plan, run or audit views is drawn.
type lineKind int

const (
	kindText lineKind = iota
	kindHeading
	kindStep
	kindMuted
	kindCheck // carries a status glyph
	kindFix
	kindWarn // a reason something waits: the cluster's words
)

// line is one line of a scrollable view, before styling.
type line struct {
	kind   lineKind
	status scale.Status // for kindCheck
	indent int
	text   string
	glyph  string // leads a kindText line, wrapped lines hang after it
}

func heading(s string) line { return line{kind: kindHeading, text: s} }

func check(st scale.Status, indent int, s string) line {
	return line{kind: kindCheck, status: st, indent: indent, text: s}
}

// planLines shows the plan's steps and diffs, the preflight and the dry run.
func planLines(plan scale.Plan, pf *scale.Preflight, dry []scale.DryRunResult, readOnly bool) []line {
	var out []line
	if plan.Storage() {
		out = append(out, heading("Storage step (grow one claim; claims can only grow)"))
	} else {
		out = append(out, heading("Steps (ZooKeeper → BookKeeper → Segment Store → Controller → Flink)"))
	}
	for _, s := range plan.Steps {
		out = append(out, line{kind: kindStep, text: fmt.Sprintf("%d. %s  (%s)", s.N, s.Title(), s.Target())})
		for _, d := range s.Diffs {
			from := d.From
			if from == "" {
				from = "(unset)"
			}
			out = append(out, line{kind: kindText, indent: 3, text: fmt.Sprintf("%s: %s → %s", d.PathString(), from, d.To)})
		}
		if r := s.Restart; r.Line != "" {
			if r.LosesState() {
				out = append(out, check(scale.Warn, 3, r.Line))
			} else {
				out = append(out, line{kind: kindText, indent: 3, text: r.Line, glyph: "↻"})
			}
		}
		for _, w := range s.Warnings {
			out = append(out, check(scale.Warn, 3, w))
		}
		for _, sg := range plan.Suggestions {
			if sg.Step == s.N {
				out = append(out, line{kind: kindFix, indent: 6, text: "suggested: " + sg.Reason})
			}
		}
		for _, p := range s.Problems {
			out = append(out, check(scale.Fail, 3, p))
		}
		for _, r := range plan.Refusals {
			if r.Step != s.N {
				continue
			}
			if r.Overridden {
				out = append(out, check(scale.Warn, 3, "overridden (audited): "+r.Reason))
				continue
			}
			out = append(out, check(scale.Fail, 3, "refused: "+r.Reason), line{kind: kindFix, indent: 6, text: "safe: " + r.Safe})
			if r.Phrase != "" {
				out = append(out, line{kind: kindMuted, indent: 6, text: fmt.Sprintf("an override is possible: type %q (audited)", r.Phrase)})
			}
		}
	}
	out = append(out, line{})
	if pf == nil {
		out = append(out, heading("Preflight"), line{kind: kindMuted, indent: 1, text: "running…"})
		return out
	}
	out = append(out, heading("Preflight · checked "+pf.At.Local().Format("15:04:05")+", again when the cluster changes"))
	onSteps := map[string]bool{}
	for _, w := range plan.Warnings() {
		onSteps[w] = true
	}
	for _, c := range pf.Checks {
		out = append(out, check(c.Status, 1, fmt.Sprintf("%-19s %s", c.Name, c.Summary)))
		if c.Status == scale.Pass || c.Status == scale.Skipped {
			continue
		}
		granted := 0
		for _, e := range c.Evidence {
			if onSteps[e] {
				continue // shown on its step above
			}
			if strings.HasPrefix(e, "✓ ") {
				granted++ // what is fine is counted, not listed
				continue
			}
			out = append(out, line{kind: kindMuted, indent: 4, text: e})
		}
		if granted > 0 {
			out = append(out, line{kind: kindMuted, indent: 4, text: fmt.Sprintf("(%d more passed)", granted)})
		}
		if c.Fix != "" {
			out = append(out, line{kind: kindFix, indent: 4, text: "fix: " + c.Fix})
		}
	}
	out = append(out, line{}, heading("Dry run (server-side, dryRun=All)"))
	switch {
	case readOnly:
		out = append(out, line{kind: kindMuted, indent: 1, text: "not sent: read-only mode never writes, not even a dry run"})
	case dry == nil:
		out = append(out, line{kind: kindMuted, indent: 1, text: "not run yet"})
	}
	for _, r := range dry {
		if r.OK {
			var vals []string
			for k, v := range r.After {
				vals = append(vals, k+"="+v)
			}
			slices.Sort(vals)
			out = append(out, check(scale.Pass, 1, fmt.Sprintf("step %d accepted: the server would store %s", r.Step, strings.Join(vals, ", "))))
			continue
		}
		reason := r.Reason
		if reason == "" {
			reason = "error"
		}
		out = append(out, check(scale.Fail, 1, fmt.Sprintf("step %d rejected (%s): %s", r.Step, reason, r.Message)))
	}
	return out
}

// overrideLines restate what an override risks before its phrase is
// typed.
func overrideLines(r scale.Refusal) []line {
	return []line{
		heading(fmt.Sprintf("Override a refusal of step %d", r.Step)),
		check(scale.Fail, 1, "refused: "+r.Reason),
		line{kind: kindText, indent: 3, text: "risk: " + r.Risk},
		line{kind: kindFix, indent: 3, text: "safe instead: " + r.Safe},
		line{kind: kindMuted, indent: 3, text: fmt.Sprintf("to go on anyway, type %q below; the audit log records it as an override", r.Phrase)},
		{},
	}
}

// stepState is what the wizard knows of a running step.
type stepState struct {
	phase    scale.EventKind // last event kind for the step
	started  time.Time
	progress scale.Progress
	message  string
}

// runLines shows each step's state while the plan runs, then the outcome.
func runLines(plan scale.Plan, steps map[int]stepState, outcome *scale.Outcome, timeout time.Duration, now time.Time) []line {
	var out []line
	for _, s := range plan.Steps {
		st, seen := steps[s.N]
		title := fmt.Sprintf("%d. %s", s.N, s.Title())
		switch {
		case !seen:
			out = append(out, line{kind: kindMuted, text: "· " + title + " — not started"})
		case st.phase == scale.StepConverged:
			out = append(out, check(scale.Pass, 0, title+" — "+st.message))
		case st.phase == scale.StepFailed:
			out = append(out, check(scale.Fail, 0, title+" — "+st.message))
			out = append(out, waitLines(st.progress)...)
		default:
			elapsed := now.Sub(st.started).Truncate(time.Second)
			out = append(out, line{kind: kindStep, text: fmt.Sprintf("◐ %s — %s of %s", title, elapsed, timeout)})
			p := st.progress
			if p.Storage != "" {
				out = append(out, line{kind: kindText, indent: 4, text: p.Storage})
			} else {
				out = append(out, line{kind: kindText, indent: 4, text: fmt.Sprintf("%d/%d ready, %d member(s), spec %d", p.Ready, p.Expect, p.Members, p.Desired)})
			}
			if len(p.Stuck) == 0 {
				for _, w := range p.Waiting {
					out = append(out, line{kind: kindMuted, indent: 4, text: "waiting: " + w})
				}
			}
			if p.Note != "" {
				out = append(out, line{kind: kindMuted, indent: 4, text: p.Note})
			}
			out = append(out, waitLines(p)...)
			if st.phase == scale.StepStarted && st.message != "" {
				out = append(out, line{kind: kindMuted, indent: 4, text: st.message})
			}
		}
	}
	if outcome == nil {
		return out
	}
	st := scale.Fail
	switch outcome.State {
	case scale.Completed:
		st = scale.Pass
	case scale.Stopped:
		st = scale.Warn
	}
	out = append(out, line{}, heading("Result: "+outcome.State.String()), check(st, 1, outcome.Message))
	if pc := outcome.Post; pc != nil {
		out = append(out, line{}, heading("Post-scale check (logs and restarts since each step began)"), check(pc.Verdict, 1, pc.Summary))
		for _, e := range pc.Evidence {
			out = append(out, line{kind: kindMuted, indent: 4, text: e})
		}
	}
	return out
}

// waitLines say what a step waits for: each member with the cluster's
// reasons, one line each, and the operator's conditions.
func waitLines(p scale.Progress) []line {
	var out []line
	if p.On != scale.WaitingNothing {
		out = append(out, line{kind: kindMuted, indent: 4, text: "waits on: " + p.On.String()})
	}
	for _, w := range p.Stuck {
		out = append(out, line{kind: kindText, indent: 4, text: "waiting: " + w.Pod + " " + w.State})
		for _, r := range w.Reasons {
			out = append(out, line{kind: kindWarn, indent: 6, text: r})
		}
	}
	if p.Operator != "" {
		out = append(out, line{kind: kindWarn, indent: 4, text: p.Operator})
	}
	return out
}

// auditLines shows the audit log, newest last.
func auditLines(recs []audit.Record, path string) []line {
	out := []line{heading(fmt.Sprintf("Audit log · %s · %d record(s)", path, len(recs)))}
	if len(recs) == 0 {
		return append(out, line{kind: kindMuted, indent: 1, text: "no actions recorded yet"})
	}
	for _, r := range recs {
		step := ""
		if r.Step > 0 {
			step = fmt.Sprintf(" step %d", r.Step)
		}
		text := fmt.Sprintf("%s %-10s%s %s", r.Time.Local().Format("01-02 15:04:05"), r.Action, step, r.Result)
		if r.Override {
			text += " ▲ OVERRIDE"
		}
		if r.Target != "" {
			text += " · " + r.Target
		}
		out = append(out, line{kind: kindText, text: text})
		if len(r.Before) > 0 || len(r.After) > 0 {
			var parts []string
			for k, v := range r.Before {
				parts = append(parts, fmt.Sprintf("%s: %s → %s", k, v, r.After[k]))
			}
			slices.Sort(parts)
			out = append(out, line{kind: kindMuted, indent: 4, text: strings.Join(parts, ", ")})
		}
		if r.Message != "" {
			out = append(out, line{kind: kindMuted, indent: 4, text: r.Message})
		}
	}
	return out
}

// levelHint says what a level holds.
func levelHint(l scale.Level) string {
	switch l {
	case scale.KubernetesLevel:
		return "nodes: advisory, the console does not add nodes"
	case scale.ComponentLevel:
		return "replicas of " + strings.Join([]string{platform.ZooKeeper.String(), platform.BookKeeper.String(), platform.SegmentStore.String(), platform.Controller.String(), platform.FlinkTaskManager.String()}, ", ")
	default:
		return "Flink TaskManager CPU and memory, task slots, job parallelism"
	}
}
