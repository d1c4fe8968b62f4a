// Package planview is the scale wizard's scrollable views, as lines before
// styling and then styled and wrapped to a width: the plan (its steps and
// diffs, the preflight, the dry run), an override's risk, the run (each
// step's state while the plan is applied, then the outcome and the
// post-scale check) and the audit log. Steps folds the engine's events
// into what the run view shows.
package planview

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/themes"
)

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

// Line is one line of a scrollable view, before styling.
type Line struct {
	kind   lineKind
	status scale.Status // for kindCheck
	indent int
	text   string
	glyph  string // leads a kindText line, wrapped lines hang after it
}

func heading(s string) Line { return Line{kind: kindHeading, text: s} }

func check(st scale.Status, indent int, s string) Line {
	return Line{kind: kindCheck, status: st, indent: indent, text: s}
}

// Plan shows the plan's steps and diffs, the preflight and the dry run.
func Plan(plan scale.Plan, pf *scale.Preflight, dry []scale.DryRunResult, readOnly bool) []Line {
	var out []Line
	if plan.Storage() {
		out = append(out, heading("Storage step (grow one claim; claims can only grow)"))
	} else {
		out = append(out, heading("Steps (ZooKeeper → BookKeeper → Segment Store → Controller → Flink)"))
	}
	for _, s := range plan.Steps {
		out = append(out, Line{kind: kindStep, text: fmt.Sprintf("%d. %s  (%s)", s.N, s.Title(), s.Target())})
		for _, d := range s.Diffs {
			from := d.From
			if from == "" {
				from = "(unset)"
			}
			out = append(out, Line{kind: kindText, indent: 3, text: fmt.Sprintf("%s: %s → %s", d.PathString(), from, d.To)})
		}
		if r := s.Restart; r.Line != "" {
			if r.LosesState() {
				out = append(out, check(scale.Warn, 3, r.Line))
			} else {
				out = append(out, Line{kind: kindText, indent: 3, text: r.Line, glyph: "↻"})
			}
		}
		for _, w := range s.Warnings {
			out = append(out, check(scale.Warn, 3, w))
		}
		for _, sg := range plan.Suggestions {
			if sg.Step == s.N {
				out = append(out, Line{kind: kindFix, indent: 6, text: "suggested: " + sg.Reason})
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
			out = append(out, check(scale.Fail, 3, "refused: "+r.Reason), Line{kind: kindFix, indent: 6, text: "safe: " + r.Safe})
			if r.Phrase != "" {
				out = append(out, Line{kind: kindMuted, indent: 6, text: fmt.Sprintf("an override is possible: type %q (audited)", r.Phrase)})
			}
		}
	}
	out = append(out, Line{})
	if pf == nil {
		out = append(out, heading("Preflight"), Line{kind: kindMuted, indent: 1, text: "running…"})
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
			out = append(out, Line{kind: kindMuted, indent: 4, text: e})
		}
		if granted > 0 {
			out = append(out, Line{kind: kindMuted, indent: 4, text: fmt.Sprintf("(%d more passed)", granted)})
		}
		if c.Fix != "" {
			out = append(out, Line{kind: kindFix, indent: 4, text: "fix: " + c.Fix})
		}
	}
	out = append(out, Line{}, heading("Dry run (server-side, dryRun=All)"))
	switch {
	case readOnly:
		out = append(out, Line{kind: kindMuted, indent: 1, text: "not sent: read-only mode never writes, not even a dry run"})
	case dry == nil:
		out = append(out, Line{kind: kindMuted, indent: 1, text: "not run yet"})
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

// Override restates what an override risks before its phrase is
// typed.
func Override(r scale.Refusal) []Line {
	return []Line{
		heading(fmt.Sprintf("Override a refusal of step %d", r.Step)),
		check(scale.Fail, 1, "refused: "+r.Reason),
		Line{kind: kindText, indent: 3, text: "risk: " + r.Risk},
		Line{kind: kindFix, indent: 3, text: "safe instead: " + r.Safe},
		Line{kind: kindMuted, indent: 3, text: fmt.Sprintf("to go on anyway, type %q below; the audit log records it as an override", r.Phrase)},
		{},
	}
}

// StepState is what the wizard knows of a running step.
type StepState struct {
	phase    scale.EventKind // last event kind for the step
	started  time.Time
	progress scale.Progress
	message  string
}

// Steps is what the wizard knows of the running plan's steps, by number.
type Steps map[int]StepState

// Apply folds one of the engine's events into the step it is about
// (Finished is about the plan, not a step).
func (s Steps) Apply(ev scale.Event) {
	if ev.Kind == scale.Finished {
		return
	}
	st := s[ev.Step]
	switch ev.Kind {
	case scale.StepStarted:
		st = StepState{phase: ev.Kind, started: ev.At}
	case scale.StepPatched:
		st.phase, st.message = ev.Kind, ev.Message
	case scale.StepProgress:
		st.phase, st.progress = ev.Kind, ev.Progress
	case scale.StepConverged, scale.StepFailed:
		st.phase, st.progress, st.message = ev.Kind, ev.Progress, ev.Message
	}
	if ev.Step > 0 {
		s[ev.Step] = st
	}
}

// Converged counts the steps that converged.
func (s Steps) Converged() int {
	n := 0
	for _, st := range s {
		if st.phase == scale.StepConverged {
			n++
		}
	}
	return n
}

// WaitingPod is the first member the latest waiting (or failed) step of
// plan waits for.
func (s Steps) WaitingPod(plan *scale.Plan) (scale.MemberWait, bool) {
	if plan == nil {
		return scale.MemberWait{}, false
	}
	for i := len(plan.Steps) - 1; i >= 0; i-- {
		st, ok := s[plan.Steps[i].N]
		if ok && st.phase != scale.StepConverged && len(st.progress.Stuck) > 0 {
			return st.progress.Stuck[0], true
		}
	}
	return scale.MemberWait{}, false
}

// Patched reports whether a step got as far as its patch, so that a
// revert has something to set back.
func (s Steps) Patched() bool {
	for _, st := range s {
		if st.phase != scale.StepStarted {
			return true
		}
	}
	return false
}

// Run shows each step's state while the plan runs, then the outcome.
func Run(plan scale.Plan, steps Steps, outcome *scale.Outcome, timeout time.Duration, now time.Time) []Line {
	var out []Line
	for _, s := range plan.Steps {
		st, seen := steps[s.N]
		title := fmt.Sprintf("%d. %s", s.N, s.Title())
		switch {
		case !seen:
			out = append(out, Line{kind: kindMuted, text: "· " + title + " — not started"})
		case st.phase == scale.StepConverged:
			out = append(out, check(scale.Pass, 0, title+" — "+st.message))
		case st.phase == scale.StepFailed:
			out = append(out, check(scale.Fail, 0, title+" — "+st.message))
			out = append(out, waitLines(st.progress)...)
		default:
			elapsed := now.Sub(st.started).Truncate(time.Second)
			out = append(out, Line{kind: kindStep, text: fmt.Sprintf("◐ %s — %s of %s", title, elapsed, timeout)})
			p := st.progress
			if p.Storage != "" {
				out = append(out, Line{kind: kindText, indent: 4, text: p.Storage})
			} else {
				out = append(out, Line{kind: kindText, indent: 4, text: fmt.Sprintf("%d/%d ready, %d member(s), spec %d", p.Ready, p.Expect, p.Members, p.Desired)})
			}
			if len(p.Stuck) == 0 {
				for _, w := range p.Waiting {
					out = append(out, Line{kind: kindMuted, indent: 4, text: "waiting: " + w})
				}
			}
			if p.Note != "" {
				out = append(out, Line{kind: kindMuted, indent: 4, text: p.Note})
			}
			out = append(out, waitLines(p)...)
			if st.phase == scale.StepStarted && st.message != "" {
				out = append(out, Line{kind: kindMuted, indent: 4, text: st.message})
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
	out = append(out, Line{}, heading("Result: "+outcome.State.String()), check(st, 1, outcome.Message))
	if pc := outcome.Post; pc != nil {
		out = append(out, Line{}, heading("Post-scale check (logs and restarts since each step began)"), check(pc.Verdict, 1, pc.Summary))
		for _, e := range pc.Evidence {
			out = append(out, Line{kind: kindMuted, indent: 4, text: e})
		}
	}
	return out
}

// waitLines say what a step waits for: each member with the cluster's
// reasons, one line each, and the operator's conditions.
func waitLines(p scale.Progress) []Line {
	var out []Line
	if p.On != scale.WaitingNothing {
		out = append(out, Line{kind: kindMuted, indent: 4, text: "waits on: " + p.On.String()})
	}
	for _, w := range p.Stuck {
		out = append(out, Line{kind: kindText, indent: 4, text: "waiting: " + w.Pod + " " + w.State})
		for _, r := range w.Reasons {
			out = append(out, Line{kind: kindWarn, indent: 6, text: r})
		}
	}
	if p.Operator != "" {
		out = append(out, Line{kind: kindWarn, indent: 4, text: p.Operator})
	}
	return out
}

// Audit shows the audit log, newest last.
func Audit(recs []audit.Record, path string) []Line {
	out := []Line{heading(fmt.Sprintf("Audit log · %s · %d record(s)", path, len(recs)))}
	if len(recs) == 0 {
		return append(out, Line{kind: kindMuted, indent: 1, text: "no actions recorded yet"})
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
		out = append(out, Line{kind: kindText, text: text})
		if len(r.Before) > 0 || len(r.After) > 0 {
			var parts []string
			for k, v := range r.Before {
				parts = append(parts, fmt.Sprintf("%s: %s → %s", k, v, r.After[k]))
			}
			slices.Sort(parts)
			out = append(out, Line{kind: kindMuted, indent: 4, text: strings.Join(parts, ", ")})
		}
		if r.Message != "" {
			out = append(out, Line{kind: kindMuted, indent: 4, text: r.Message})
		}
	}
	return out
}

// Render styles lines and wraps them to width.
func Render(st themes.Styles, lines []Line, width int) []string {
	var all []string
	for _, l := range lines {
		all = append(all, renderLine(st, l, width)...)
	}
	return all
}

func renderLine(st themes.Styles, l Line, width int) []string {
	text := strings.TrimLeft(l.text, " ")
	lead := l.indent + len(l.text) - len(text)
	indent := strings.Repeat(" ", lead)
	width = max(width-lead-3, 20)
	var style lipgloss.Style
	prefix := ""
	switch l.kind {
	case kindHeading:
		style = st.Header
	case kindStep:
		style = st.Bold
	case kindMuted:
		style = st.Muted
	case kindFix:
		style = st.Accent
	case kindWarn:
		style = st.Warn
	case kindCheck:
		gs, glyph := statusStyle(st, l.status)
		prefix = gs.Render(glyph) + " "
		style = st.Text
		if l.status == scale.Fail {
			style = st.Err
		}
	default:
		style = st.Text
		if l.glyph != "" {
			prefix = st.Info.Render(l.glyph) + " "
		}
	}
	wrapped := wrap(text, width)
	out := make([]string, len(wrapped))
	for i, w := range wrapped {
		p := prefix
		if i > 0 {
			p = "   " // hanging indent
			if prefix != "" {
				p = "  "
			}
		}
		out[i] = indent + p + style.Render(w)
	}
	return out
}

// wrap breaks plain text at spaces (names with hyphens stay whole), and
// hard-breaks a word longer than width.
func wrap(text string, width int) []string {
	var out []string
	cur := ""
	for _, word := range strings.Split(text, " ") {
		for ansi.StringWidth(word) > width {
			if cur != "" {
				out, cur = append(out, cur), ""
			}
			cut := ansi.Truncate(word, width, "")
			out = append(out, cut)
			word = word[len(cut):]
		}
		switch {
		case cur == "":
			cur = word
		case ansi.StringWidth(cur)+1+ansi.StringWidth(word) <= width:
			cur += " " + word
		default:
			out, cur = append(out, cur), word
		}
	}
	return append(out, cur)
}

func statusStyle(st themes.Styles, s scale.Status) (lipgloss.Style, string) {
	switch s {
	case scale.Pass:
		return st.OK, s.Glyph()
	case scale.Warn:
		return st.Warn, s.Glyph()
	case scale.Fail:
		return st.Err, s.Glyph()
	}
	return st.Muted, s.Glyph()
}
