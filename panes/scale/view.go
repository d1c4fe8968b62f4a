package scale

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/scale/claims"
	"github.com/streamops/streamops/panes/scale/nodes"
	"github.com/streamops/streamops/panes/scale/planview"
)

func (m Model) bodyHeight() int { return max(m.height-3, 1) } // header, two footer lines

// claims is the storage view of the pane's snapshot.
func (m Model) claims() claims.Table {
	return claims.Table{Styles: m.deps.Styles, Snap: m.snap, Report: m.report, Cursor: m.claimCursor, Width: m.width, Height: m.bodyHeight()}
}

// View renders the pane.
func (m Model) View() string {
	st := m.deps.Styles
	if m.eng == nil {
		return st.Muted.Render("scale wizard unavailable: no scale engine (see the log file)")
	}
	if m.snap == nil || m.snap.Seq == 0 {
		return st.Muted.Render("waiting for the first snapshot…")
	}
	var body []string
	switch {
	case m.showAudit || m.mode != modeSelect:
		body = m.scrolled(m.lines())
	case m.storage:
		body = m.claims().View()
	case m.level == scale.KubernetesLevel:
		var after []scale.NodeUsage
		if m.preflight != nil {
			after = m.preflight.Nodes
		}
		body = nodes.View(m.deps.Styles, m.nodes, m.nodesErr, after, m.width)
	default:
		body = m.targetsView()
	}
	for len(body) < m.bodyHeight() {
		body = append(body, "")
	}
	out := append([]string{m.header()}, body[:m.bodyHeight()]...)
	out = append(out, m.statusLine(), m.promptLine())
	for i, l := range out {
		out[i] = pane.Truncate(l, m.width)
	}
	return strings.Join(out, "\n")
}

func (m Model) header() string {
	st := m.deps.Styles
	var left string
	switch {
	case m.showAudit:
		left = st.Title.Render("Audit log")
	case m.mode == modeSelect:
		var tabs []string
		for _, l := range []scale.Level{scale.KubernetesLevel, scale.ComponentLevel, scale.ApplicationLevel} {
			if l == m.level && !m.storage {
				tabs = append(tabs, st.Tabs.Active.Render("["+l.String()+"]"))
			} else {
				tabs = append(tabs, st.Tabs.Inactive.Render(" "+l.String()+" "))
			}
		}
		if m.storage {
			tabs = append(tabs, st.Tabs.Active.Render("[Storage]"))
		} else {
			tabs = append(tabs, st.Tabs.Inactive.Render(" Storage "))
		}
		left = st.Title.Render("Scale") + " " + strings.Join(tabs, " ")
	case m.mode == modeRun:
		left = st.Title.Render("Applying") + " " + st.Text.Render(m.progressText())
	case m.mode == modeDone:
		left = st.Title.Render("Done")
	case m.mode == modeOverride:
		left = st.Title.Render("Override") + " " + st.Warn.Render(fmt.Sprintf("step %d · %s", m.overriding.Step, m.overriding.Target))
	default:
		left = st.Title.Render("Plan") + " " + st.Muted.Render(fmt.Sprintf("%d step(s), confirm by typing %q", len(m.plan.Steps), m.plan.Confirm))
	}
	if m.deps.ReadOnly() {
		left += "  " + st.Warn.Render("· read-only")
	}
	return left
}

func (m Model) progressText() string {
	return fmt.Sprintf("%d of %d step(s) converged", m.steps.Converged(), len(m.plan.Steps))
}

// statusLine is the first footer line: an error, what the engine is doing,
// or the pending changes.
func (m Model) statusLine() string {
	st := m.deps.Styles
	switch {
	case m.err != "":
		return st.Err.Render("✖ " + m.err)
	case m.busy != "":
		return st.Info.Render(m.busy)
	case m.showAudit && m.auditErr != "":
		return st.Err.Render("✖ audit log: " + m.auditErr)
	case m.showAudit:
		return st.Muted.Render(m.keys.Audit.Help().Key + " or esc: back")
	case m.editing:
		return st.Muted.Render("type a size such as 80Gi · enter: plan · esc: cancel")
	case m.typing:
		return st.Muted.Render("type a whole number · enter: keep it · esc: cancel")
	case m.mode == modeOverride:
		return st.Warn.Render("▲ type the phrase shown above · enter: override (audited) · esc: cancel")
	case m.mode == modeConfirm && m.plan.Storage():
		return st.Warn.Render("▲ " + m.plan.Steps[0].Title() + ": a claim can never shrink back")
	case m.mode == modeSelect && m.storage:
		return st.Text.Render(m.claims().Detail())
	case m.mode == modeSelect && m.level == scale.KubernetesLevel && m.nodes != nil:
		return st.Text.Render(nodes.Headroom(m.nodes.Nodes))
	case m.mode == modeSelect:
		if s := changeSummary(m.targets, m.edits); s != "" {
			return st.Accent.Render("changes: ") + s
		}
		return st.Muted.Render(levelHint(m.level))
	case m.mode == modePlan && m.preflight != nil:
		if why := m.applyBlocked(); why != "" {
			return st.Warn.Render("▲ cannot apply: " + why)
		}
		return st.OK.Render(fmt.Sprintf("✓ ready to apply: %s, then type %q", m.keys.Apply.Help().Key, m.plan.Confirm))
	case m.mode == modeRun && m.stopAsked:
		return st.Warn.Render("▲ stopping after the current step")
	}
	return ""
}

// promptLine is the second footer line: the confirmation input, the stop
// question, or how to scroll.
func (m Model) promptLine() string {
	st := m.deps.Styles
	switch {
	case m.mode == modeConfirm && m.plan.Storage():
		return st.Warn.Render(fmt.Sprintf("Type %q + enter: ", m.plan.Confirm)) + m.confirm.View()
	case m.mode == modeOverride:
		return st.Warn.Render("Override phrase: ") + m.phrase.View()
	case m.typing && m.cursor < len(targetRows(m.targets, m.level, m.edits)):
		t := targetRows(m.targets, m.level, m.edits)[m.cursor].target
		floor := ""
		if t.Field == scale.Replicas {
			floor = fmt.Sprintf(", at least %d", t.Min)
		}
		return st.Accent.Render(fmt.Sprintf("New %s for %s %s (now %s%s): ", t.Field, t.Kind, t.Cluster, pane.OrDash(t.Current), floor)) + m.value.View()
	case m.mode == modeConfirm:
		return st.Warn.Render(fmt.Sprintf("Type %q + enter to apply %d step(s), esc cancels: ", m.plan.Confirm, len(m.plan.Steps))) + m.confirm.View()
	case m.editing && m.snap != nil && m.claimCursor < len(m.snap.Claims):
		c := m.snap.Claims[m.claimCursor]
		if m.template {
			return st.Accent.Render(fmt.Sprintf("Grow the template of %s (new members) to: ", c.Name)) + m.size.View()
		}
		return st.Accent.Render(fmt.Sprintf("Grow %s (now %s) to: ", c.Name, pane.OrDash(c.RequestedText))) + m.size.View()
	case m.mode == modeSelect && m.storage:
		return st.Muted.Render(m.deps.Keys.Global.Select.Help().Key + ": grow the claim · " + m.keys.Template.Help().Key + ": grow its template (new members) · " + m.keys.Storage.Help().Key + ": compute")
	case m.quitAsked && m.askStop:
		return st.Warn.Render(fmt.Sprintf("%s again: quit (audit log records it) · y: stop after this step · other: go on", m.deps.Keys.Global.Quit.Help().Key))
	case m.quitAsked:
		return st.Warn.Render(fmt.Sprintf("%s again: quit (audit log records it) · other: go on", m.deps.Keys.Global.Quit.Help().Key))
	case m.askStop:
		return st.Warn.Render("Stop after this step? No later step starts; the patch sent stays. [y/N]")
	case m.mode == modeRun:
		return st.Muted.Render(m.keys.Stop.Help().Key + " or esc: stop after the current step" + m.stuckKeys())
	case m.mode == modeDone:
		return st.Muted.Render("esc: back to the targets" + m.stuckKeys())
	case m.mode == modePlan && m.plan != nil && len(m.plan.Suggestions) > 0 && m.keys.Suggest.Enabled():
		sg := m.plan.Suggestions[0]
		return st.Accent.Render(m.keys.Suggest.Help().Key+": ") + st.Text.Render(fmt.Sprintf("%s (step %d; plans again)", sg.Reason, sg.Step))
	case m.mode == modeSelect && m.level == scale.KubernetesLevel && m.nodes != nil && len(m.nodes.Notes) > 0:
		return st.Warn.Render("▲ " + strings.Join(m.nodes.Notes, "; "))
	}
	return ""
}

// stuckKeys names the logs and revert keys when they work.
func (m Model) stuckKeys() string {
	var s string
	if m.keys.Logs.Enabled() {
		s += " · " + m.keys.Logs.Help().Key + ": pod logs"
	}
	if m.keys.Revert.Enabled() {
		s += " · " + m.keys.Revert.Help().Key + ": revert"
	}
	return s
}

// lines are the scrollable view's lines: the audit log, the plan, or the
// run.
func (m Model) lines() []planview.Line {
	switch {
	case m.showAudit:
		return planview.Audit(m.audit, m.eng.AuditPath())
	case m.plan == nil:
		return nil
	case m.mode == modeOverride:
		return append(planview.Override(m.overriding), planview.Plan(*m.plan, m.preflight, m.dry, m.deps.ReadOnly())...)
	case m.mode == modePlan || m.mode == modeConfirm:
		return planview.Plan(*m.plan, m.preflight, m.dry, m.deps.ReadOnly())
	}
	return planview.Run(*m.plan, m.steps, m.outcome, m.eng.StepTimeout(), m.deps.Clock.Now())
}

func (m Model) rendered(lines []planview.Line) []string {
	return planview.Render(m.deps.Styles, lines, m.width)
}

// maxOffset is the furthest the scrollable view scrolls.
func (m Model) maxOffset() int {
	if m.eng == nil || !m.showAudit && m.mode == modeSelect {
		return 0
	}
	return max(len(m.rendered(m.lines()))-m.bodyHeight(), 0)
}

// scrolled wraps lines to the width and shows the window at offset.
func (m Model) scrolled(lines []planview.Line) []string {
	all := m.rendered(lines)
	h := m.bodyHeight()
	off := min(m.offset, max(len(all)-h, 0))
	end := min(off+h, len(all))
	out := all[off:end]
	if len(all) > h {
		more := m.deps.Styles.Muted.Render(fmt.Sprintf("  lines %d–%d of %d, ↑/↓ to scroll", off+1, end, len(all)))
		out = append(out[:len(out)-1:len(out)-1], more)
	}
	return out
}

// targetsView is the table of a level's targets.
func (m Model) targetsView() []string {
	st := m.deps.Styles
	rows := targetRows(m.targets, m.level, m.edits)
	app := m.level == scale.ApplicationLevel
	clusterW, nsW := len("CLUSTER"), len("NAMESPACE")
	for _, r := range rows {
		clusterW, nsW = max(clusterW, len(r.target.Cluster)), max(nsW, len(r.target.Namespace))
	}
	// names as wide as they are (capped), the new value takes the rest
	clusterW, nsW = min(clusterW, 32), min(nsW, 24)
	cols := []pane.Column{{Title: "", Width: 1}, {Title: "KIND", Width: 13}, {Title: "CLUSTER", Width: clusterW}, {Title: "NAMESPACE", Width: nsW},
		{Title: "READY", Width: 6, Right: true}, {Title: "NOW", Width: 8, Right: true}, {Title: "NEW"}}
	if app {
		cols = []pane.Column{{Title: "", Width: 1}, {Title: "CLUSTER", Width: clusterW}, {Title: "NAMESPACE", Width: nsW},
			{Title: "FIELD", Width: 18}, {Title: "NOW", Width: 8, Right: true}, {Title: "NEW"}}
	}
	name := 2
	if app {
		name = 1
	}
	widths := pane.Narrow(pane.Layout(cols, m.width), m.width, name)
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.Title
	}
	out := []string{st.Table.Header.Render(pane.Row(titles, widths, cols))}
	if len(rows) == 0 {
		return append(out, st.Muted.Render("  nothing to change at this level: "+levelHint(m.level)))
	}
	off := pane.Scroll(0, m.cursor, m.bodyHeight()-1, len(rows))
	for i := off; i < len(rows) && len(out) < m.bodyHeight(); i++ {
		r := rows[i]
		t := r.target
		next := ""
		switch {
		case t.Disabled != "":
			next = st.Muted.Render(t.Disabled)
		case r.next != "":
			next = st.Accent.Render("→ " + r.next + delta(t, r.next))
		}
		sel := " "
		if i == m.cursor {
			sel = "▸"
		}
		cells := []string{sel, t.Kind.String(), t.Cluster, st.Muted.Render(t.Namespace), r.ready, r.now, next}
		if app {
			cells = []string{sel, t.Cluster, st.Muted.Render(t.Namespace), t.Field.String(), r.now, next}
		}
		l := pane.Row(cells, widths, cols)
		if i == m.cursor {
			l = st.Selected.Render(pane.Fit(ansi.Strip(l), m.width))
		}
		out = append(out, l)
	}
	return out
}

func delta(t scale.Target, next string) string {
	if t.Field != scale.Replicas {
		return ""
	}
	var a, b int
	if _, err := fmt.Sscan(t.Current, &a); err != nil {
		return ""
	}
	if _, err := fmt.Sscan(next, &b); err != nil {
		return ""
	}
	return fmt.Sprintf(" (%+d)", b-a)
}
