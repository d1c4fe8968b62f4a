// Package status decides what the console would flag about a platform
// snapshot, for people and for scripts: the members summary, every finding
// (components short of ready members, members not ready, containers that
// crash-loop or restarted recently, failing watches, upgrades in progress,
// unschedulable pods) and one verdict with its exit code. The members pane
// draws its summary and condition text from here, `streamops status`
// prints the same as text, JSON or YAML.
package status

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/platform"
)

// Verdict is the answer to "is the platform healthy?".
type Verdict string

const (
	Healthy  Verdict = "healthy"
	Degraded Verdict = "degraded"
	// Unknown: the answer cannot be told (the watches never synced, or
	// one that health is computed from fails, e.g. forbidden).
	Unknown Verdict = "unknown"
)

// ExitCode is the process exit code of a verdict: 0 healthy, 1 degraded,
// 2 cannot tell.
func (v Verdict) ExitCode() int {
	switch v {
	case Healthy:
		return 0
	case Degraded:
		return 1
	}
	return 2
}

// The kinds of finding.
const (
	KindComponent     = "component"     // short of ready members, failed, invalid status
	KindNotReady      = "not-ready"     // a member pod that is not ready
	KindRestarts      = "restarts"      // a container crash-looping or restarted in the last RecentRestart
	KindUnschedulable = "unschedulable" // the scheduler cannot place a member
	KindUpgrade       = "upgrade"       // the operator reports a version change in progress
	KindWatch         = "watch"         // a watch fails: the console may be missing objects
)

// RecentRestart is how recent a container's last termination must be for
// its restarts to be a finding (a crash loop always is).
const RecentRestart = time.Hour

// Version is the version of the JSON and YAML shape; it changes only when a
// field is renamed or removed.
const Version = 1

// Status is the documented shape `streamops status -o json|yaml` prints.
type Status struct {
	Version    int         `json:"version"`
	Context    string      `json:"context"`
	Scope      string      `json:"scope"` // "all namespaces" or "namespace NAME"
	Taken      time.Time   `json:"taken"`
	Verdict    Verdict     `json:"verdict"`
	Reason     string      `json:"reason,omitempty"` // why the verdict is unknown, one line
	Summary    Summary     `json:"summary"`
	Components []Component `json:"components"`
	Findings   []Finding   `json:"findings"`
	Watches    []Watch     `json:"watches"`
}

// Summary counts components and members.
type Summary struct {
	Components int `json:"components"`
	Members    int `json:"members"`
	Ready      int `json:"ready"`
	// Health counts components by health: Ready, Progressing, Degraded,
	// Failed, Unknown (absent when zero).
	Health map[string]int `json:"health"`
}

// Component is one component's row.
type Component struct {
	Kind      string `json:"kind"` // ZooKeeper, BookKeeper, SegmentStore, Controller, JobManager, TaskManager, Other
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	Health    string `json:"health"`
	Ready     int    `json:"ready"`
	Desired   *int   `json:"desired"` // null when the desired count is unknown
	Version   string `json:"version,omitempty"`
	Restarts  int    `json:"restarts"`
	Condition string `json:"condition"`
}

// Finding is one thing the console flags.
type Finding struct {
	Kind string `json:"kind"` // one of the Kind constants
	// Object names what it is about: "BookKeeper pravega/bookkeeper",
	// "pod pravega/bookkeeper-bookie-2", "container pravega/bookkeeper-bookie-2/bookie",
	// "watch nodes".
	Object  string `json:"object"`
	Message string `json:"message"`
}

// Watch is the sync state of one watch.
type Watch struct {
	Resource string `json:"resource"`
	Phase    string `json:"phase"` // syncing, synced, failing, absent
	Reason   string `json:"reason,omitempty"`
}

// Of decides the status of a snapshot (nil: none was ever published)
// at now. A snapshot whose watches still sync, or in which a watch that
// health is computed from fails (pods, statefulsets, deployments, the
// operators' resources), gets the verdict Unknown.
func Of(s *platform.Snapshot, now time.Time) Status {
	st := Status{Version: Version, Taken: now.UTC(), Summary: summarize(nil),
		Components: []Component{}, Findings: []Finding{}, Watches: []Watch{}}
	if s == nil || s.Seq == 0 {
		st.Verdict, st.Reason = Unknown, "no snapshot of the platform: the watches never synced"
		return st
	}
	st.Context, st.Scope = s.Context, ScopeText(s)
	if !s.Taken.IsZero() {
		st.Taken = s.Taken.UTC()
	}
	st.Summary = summarize(s.Components)
	for _, c := range s.Components {
		st.Components = append(st.Components, component(c))
		st.Findings = append(st.Findings, componentFindings(c, now)...)
	}
	var blind []string
	for _, w := range s.Syncs {
		st.Watches = append(st.Watches, Watch{Resource: w.Resource, Phase: w.Phase.String(), Reason: w.Reason})
		switch w.Phase {
		case platform.Failing:
			st.Findings = append(st.Findings, Finding{Kind: KindWatch, Object: "watch " + w.Resource, Message: orText(w.Reason, "failing")})
			if healthSource(w.Resource) {
				blind = append(blind, w.Resource+": "+orText(w.Reason, "failing"))
			}
		case platform.Syncing:
			blind = append(blind, w.Resource+": still syncing")
		}
	}
	switch {
	case len(blind) > 0:
		st.Verdict = Unknown
		st.Reason = fmt.Sprintf("cannot tell the platform's health: %d %s not usable: %s", len(blind), plural(len(blind), "watch is", "watches are"), strings.Join(blind, "; "))
	case len(st.Findings) > 0:
		st.Verdict = Degraded
	default:
		st.Verdict = Healthy
	}
	return st
}

// healthSource reports whether health is computed from a watch: without
// pods, workloads or the operators' resources (their names have a group,
// "pravegaclusters.pravega.io") the console cannot tell ready from not.
func healthSource(resource string) bool {
	switch resource {
	case "pods", "statefulsets", "deployments":
		return true
	}
	return strings.Contains(resource, ".")
}

func component(c *platform.Component) Component {
	out := Component{Kind: c.Kind.String(), Cluster: c.Cluster, Namespace: c.Namespace, Health: c.Health.String(),
		Ready: c.Ready, Version: c.Version, Restarts: c.Restarts(), Condition: Condition(c)}
	if c.HasSpec {
		d := c.Desired
		out.Desired = &d
	}
	return out
}

func componentFindings(c *platform.Component, now time.Time) []Finding {
	var out []Finding
	name := c.Kind.String() + " " + c.Namespace + "/" + c.Cluster
	if c.Health == platform.Degraded || c.Health == platform.Failed || c.Invalid != "" {
		out = append(out, Finding{Kind: KindComponent, Object: name, Message: strings.ToLower(c.Health.String()) + ": " + Condition(c)})
	}
	if c.Upgrading() {
		msg := "upgrade in progress"
		if c.TargetVersion != "" && c.TargetVersion != c.Version {
			msg += ": " + orText(c.Version, "?") + " → " + c.TargetVersion
		}
		out = append(out, Finding{Kind: KindUpgrade, Object: name, Message: msg})
	}
	for _, m := range c.Members {
		pod := m.Namespace + "/" + m.Name
		if !m.Ready && !m.Terminating && m.Phase != "Succeeded" {
			out = append(out, Finding{Kind: KindNotReady, Object: "pod " + pod, Message: MemberState(m)})
		}
		if m.Unschedulable != "" {
			out = append(out, Finding{Kind: KindUnschedulable, Object: "pod " + pod, Message: m.Unschedulable})
		}
		for _, ct := range m.Containers {
			if msg, ok := restartFinding(ct, now); ok {
				out = append(out, Finding{Kind: KindRestarts, Object: "container " + pod + "/" + ct.Name, Message: msg})
			}
		}
	}
	return out
}

// restartFinding says how a container that crash-loops, or restarted
// within RecentRestart, restarts: "CrashLoopBackOff · 7 restarts · last
// OOMKilled (exit 137) 2m ago".
func restartFinding(ct platform.Container, now time.Time) (string, bool) {
	looping := ct.Reason == "CrashLoopBackOff"
	recent := ct.RestartCount > 0 && (ct.Last == nil || ct.Last.FinishedAt.IsZero() || now.Sub(ct.Last.FinishedAt) < RecentRestart)
	if !looping && !recent {
		return "", false
	}
	var parts []string
	if ct.Reason != "" {
		parts = append(parts, ct.Reason)
	}
	parts = append(parts, fmt.Sprintf("%d %s", ct.RestartCount, plural(int(ct.RestartCount), "restart", "restarts")))
	if l := ct.Last; l != nil {
		last := fmt.Sprintf("last %s (exit %d", orText(l.Reason, "terminated"), l.ExitCode)
		if l.Signal != 0 {
			last += fmt.Sprintf(", signal %d", l.Signal)
		}
		last += ")"
		if !l.FinishedAt.IsZero() {
			last += " " + max(now.Sub(l.FinishedAt), 0).Round(time.Second).String() + " ago"
		}
		parts = append(parts, last)
	}
	return strings.Join(parts, " · "), true
}

// Condition summarises what the operator says about a component: an
// invalid resource, the health reason, the operator's state and any true
// condition that is not routine; "ok" only when the component is Ready.
func Condition(c *platform.Component) string {
	if c.Invalid != "" {
		return c.Invalid
	}
	var parts []string
	if c.Reason != "" {
		parts = append(parts, c.Reason)
	}
	for _, cond := range c.Conditions {
		switch {
		case cond.Type == "PodsReady" || cond.Type == "Running" || cond.Type == "Error" && cond.Status != "True":
			continue
		case cond.Status == "True" && (cond.Type == "Upgrading" || cond.Type == "RollbackInProgress"):
			if !strings.Contains(c.Reason, "upgrading") {
				parts = append(parts, cond.Type)
			}
		case cond.Status == "False" && cond.Reason != "" && cond.Type != "Upgrading" && cond.Type != "RollbackInProgress":
			parts = append(parts, cond.Type+": "+cond.Reason)
		}
	}
	if c.State != "" && !strings.Contains(strings.Join(parts, " "), c.State) {
		parts = append(parts, c.State)
	}
	if len(parts) == 0 {
		if c.Health != platform.Ready {
			// the backend said nothing more: its verdict, never "ok"
			return strings.ToLower(c.Health.String())
		}
		return "ok"
	}
	return strings.Join(parts, " · ")
}

// MemberState is a member's state, e.g. "Pending Unschedulable",
// "NotReady CrashLoopBackOff", "Terminating".
func MemberState(m *platform.Member) string {
	state, reason := MemberStateParts(m)
	if reason != "" {
		return state + " " + reason
	}
	return state
}

// MemberStateParts is MemberState's two words apart: the state, and the
// reason when it adds to the state ("" otherwise), so a caller that sizes
// columns need not build the joined string.
func MemberStateParts(m *platform.Member) (state, reason string) {
	state = m.Phase
	switch {
	case m.Terminating:
		state = "Terminating"
	case !m.Ready && m.Phase == "Running":
		state = "NotReady"
	}
	if m.Reason != "" && m.Reason != state {
		reason = m.Reason
	}
	return state, reason
}

// SummaryLine is the members summary: "8 components · 17/18 members ready
// · 1 degraded".
func SummaryLine(comps []*platform.Component) string { return summarize(comps).Line() }

func summarize(comps []*platform.Component) Summary {
	sum := Summary{Components: len(comps), Health: map[string]int{}}
	for _, c := range comps {
		sum.Members += len(c.Members)
		for _, m := range c.Members {
			if m.Ready {
				sum.Ready++
			}
		}
		sum.Health[c.Health.String()]++
	}
	return sum
}

// Line is the summary as the members pane's first line says it.
func (s Summary) Line() string {
	line := fmt.Sprintf("%d components · %d/%d members ready", s.Components, s.Ready, s.Members)
	for _, h := range []platform.Health{platform.Failed, platform.Degraded, platform.Progressing, platform.Unknown} {
		if n := s.Health[h.String()]; n > 0 {
			line += fmt.Sprintf(" · %d %s", n, strings.ToLower(h.String()))
		}
	}
	return line
}

// Flagged reports whether any component is degraded or failed (the
// members summary is then marked ▲).
func Flagged(comps []*platform.Component) bool {
	for _, c := range comps {
		if c.Health == platform.Failed || c.Health == platform.Degraded {
			return true
		}
	}
	return false
}

// ScopeText names the snapshot's namespaces: "all namespaces",
// "namespace pravega".
func ScopeText(s *platform.Snapshot) string {
	if len(s.Namespaces) == 0 {
		return "all namespaces"
	}
	return "namespace " + strings.Join(s.Namespaces, ",")
}

// WriteText prints the status for a person: the verdict and summary, the
// components, then the findings, one a line. Text from the cluster is
// made printable first.
func WriteText(w io.Writer, st Status) error {
	var b strings.Builder
	glyph := map[Verdict]string{Healthy: "●", Degraded: "▲", Unknown: "?"}[st.Verdict]
	fmt.Fprintf(&b, "%s %s · %s · %s\n", glyph, st.Verdict, printable(orText(st.Context, "-")), printable(st.Scope))
	if st.Reason != "" {
		fmt.Fprintf(&b, "%s\n", printable(st.Reason))
	}
	fmt.Fprintf(&b, "%s\n", st.Summary.Line())
	if len(st.Components) > 0 {
		b.WriteString("\n")
		rows := [][]string{{"KIND", "CLUSTER", "NAMESPACE", "READY", "RST", "HEALTH", "CONDITION"}}
		for _, c := range st.Components {
			ready := fmt.Sprintf("%d/?", c.Ready)
			if c.Desired != nil {
				ready = fmt.Sprintf("%d/%d", c.Ready, *c.Desired)
			}
			rows = append(rows, []string{c.Kind, printable(c.Cluster), printable(c.Namespace), ready, fmt.Sprint(c.Restarts), c.Health, printable(c.Condition)})
		}
		table(&b, rows)
	}
	if len(st.Findings) > 0 {
		fmt.Fprintf(&b, "\n%d %s:\n", len(st.Findings), plural(len(st.Findings), "finding", "findings"))
		for _, f := range st.Findings {
			fmt.Fprintf(&b, "  %-13s %s: %s\n", f.Kind, printable(f.Object), printable(f.Message))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// table writes rows with columns padded to their widest cell (runes; the
// last column is not padded).
func table(b *strings.Builder, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				continue
			}
			b.WriteString(c + strings.Repeat(" ", widths[i]-len([]rune(c))+2))
		}
		b.WriteString("\n")
	}
}

// printable drops control characters (escape sequences included) and
// folds line breaks, so that text from the cluster cannot move a
// terminal's cursor nor split a line.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return -1
		}
		return r
	}, s)
}

func orText(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
