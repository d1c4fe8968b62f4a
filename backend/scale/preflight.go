package scale

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/platform"
)

// Status is the outcome of one check.
type Status int

const (
	Pass Status = iota
	Warn
	Fail
	Skipped
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Warn:
		return "warn"
	case Fail:
		return "fail"
	default:
		return "skipped"
	}
}

// Glyph carries the status without colour.
func (s Status) Glyph() string {
	switch s {
	case Pass:
		return "✓"
	case Warn:
		return "▲"
	case Fail:
		return "✖"
	default:
		return "-"
	}
}

// Check is one preflight check with its evidence.
type Check struct {
	Name     string
	Status   Status
	Summary  string
	Evidence []string
	Fix      string // what would make a failing check pass
}

// The preflight checks, in the order they are shown.
const (
	CheckPlan        = "Plan"
	CheckCredentials = "Credentials"
	CheckHealth      = "Health"
	CheckRestarts    = "Errors and restarts"
	CheckResources   = "Resources"
	CheckUpgrade     = "Upgrade guard"
)

// Preflight is the result of every check for one plan.
type Preflight struct {
	Plan   string
	At     time.Time
	Checks []Check
	// Nodes is the Kubernetes level with the plan's members placed.
	Nodes []NodeUsage
}

// Passed reports whether no check failed.
func (p Preflight) Passed() bool {
	for _, c := range p.Checks {
		if c.Status == Fail {
			return false
		}
	}
	return len(p.Checks) > 0
}

// Failed lists the names of the failing checks.
func (p Preflight) Failed() []string {
	var out []string
	for _, c := range p.Checks {
		if c.Status == Fail {
			out = append(out, c.Name)
		}
	}
	return out
}

func worst(a, b Status) Status {
	if a == Skipped {
		return b
	}
	if b == Skipped {
		return a
	}
	return max(a, b)
}

// involved are the components of the custom resources a plan patches: a
// segment-store step also looks at the controllers of the same cluster.
func involved(snap *platform.Snapshot, plan Plan) []*platform.Component {
	refs := map[string]bool{}
	for _, s := range plan.Steps {
		refs[s.Ref.Kind+"/"+s.Ref.Namespace+"/"+s.Ref.Name] = true
	}
	var out []*platform.Component
	for _, c := range snap.Components {
		if refs[c.Source.Kind+"/"+c.Source.Namespace+"/"+c.Source.Name] {
			out = append(out, c)
		}
	}
	return out
}

func touched(plan Plan, c *platform.Component) bool {
	for _, s := range plan.Steps {
		if s.Key == c.Key() {
			return true
		}
	}
	return false
}

func compName(c *platform.Component) string {
	return c.Kind.String() + " " + c.Namespace + "/" + c.Cluster
}

// checkPlan reports the plan's own problems (blocking) and the cautions
// of scale-downs (warnings).
func checkPlan(plan Plan) Check {
	c := Check{Name: CheckPlan, Status: Pass}
	var order []string
	for _, s := range plan.Steps {
		order = append(order, s.Kind.String())
	}
	c.Summary = fmt.Sprintf("%d step(s) in the required order: %s", len(plan.Steps), strings.Join(order, " → "))
	if w := plan.Warnings(); len(w) > 0 {
		c.Status = Warn
		c.Evidence = append(c.Evidence, w...)
		c.Summary += fmt.Sprintf("; %d caution(s)", len(w))
	}
	if p := plan.Problems(); len(p) > 0 {
		c.Status = Fail
		c.Evidence = append(p, c.Evidence...)
		c.Summary = p[0]
		c.Fix = "change the plan: the values asked for leave the platform unable to run"
		return c
	}
	return refusalCheck(c, plan)
}

// refusalCheck fails the plan check while a refusal holds, and keeps the
// overridden ones in view as warnings.
func refusalCheck(c Check, plan Plan) Check {
	for _, r := range plan.Refusals {
		if r.Overridden {
			c.Status = worst(c.Status, Warn)
			c.Evidence = append(c.Evidence, fmt.Sprintf("step %d overridden (audited): %s", r.Step, r.Reason))
		}
	}
	rs := plan.Pending()
	if len(rs) == 0 {
		return c
	}
	c.Status = Fail
	c.Summary = "refused: " + rs[0].Reason
	c.Evidence = append(refusalLines(rs[1:]), c.Evidence...) // the first is the summary
	c.Fix = rs[0].Safe
	if rs[0].Phrase != "" {
		c.Fix += fmt.Sprintf("; or override by typing %q (audited as an override)", rs[0].Phrase)
	}
	return c
}

// Permission is one verb on one resource a plan needs.
type Permission struct {
	Verb, Group, Resource, Subresource string
	Namespace                          string // "" for cluster-wide
	Why                                string
	// Required permissions block the plan when refused; the others only
	// weaken a check (a warning).
	Required bool
}

// Label is kubectl-style: "patch bookkeeperclusters.bookkeeper.pravega.io in pravega".
func (p Permission) Label() string {
	r := p.Resource
	if p.Subresource != "" {
		r += "/" + p.Subresource
	}
	if p.Group != "" {
		r += "." + p.Group
	}
	where := "cluster-wide"
	if p.Namespace != "" {
		where = "in " + p.Namespace
	}
	return p.Verb + " " + r + " " + where
}

// Answer is what the API server said about one permission.
type Answer struct {
	Allowed bool
	Reason  string
	Err     string // the review itself failed
}

// permissionsFor lists what a plan touches and what the checks read.
func permissionsFor(plan Plan) []Permission {
	var out []Permission
	seen := map[string]bool{}
	addPerm := func(p Permission) {
		if !seen[p.Label()] {
			seen[p.Label()] = true
			out = append(out, p)
		}
	}
	for _, s := range plan.Steps {
		addPerm(Permission{Verb: "get", Group: s.Ref.Group, Resource: s.Ref.Resource, Namespace: s.Ref.Namespace, Why: "read " + s.Ref.Kind + " before patching", Required: true})
		addPerm(Permission{Verb: "patch", Group: s.Ref.Group, Resource: s.Ref.Resource, Namespace: s.Ref.Namespace, Why: "scale " + s.Ref.Kind, Required: true})
	}
	for _, ns := range plan.Namespaces {
		addPerm(Permission{Verb: "list", Resource: "pods", Namespace: ns, Why: "members' requests and restarts"})
		addPerm(Permission{Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns, Why: "post-scale log check"})
	}
	addPerm(Permission{Verb: "list", Resource: "nodes", Why: "node capacity"})
	addPerm(Permission{Verb: "list", Resource: "pods", Why: "requests of every pod on the nodes"})
	return out
}

// checkCredentials names exactly what is missing.
func checkCredentials(perms []Permission, answers []Answer, user string) Check {
	c := Check{Name: CheckCredentials, Status: Pass}
	var missing, weak []string
	for i, p := range perms {
		a := Answer{Err: "not asked"}
		if i < len(answers) {
			a = answers[i]
		}
		switch {
		case a.Allowed:
			c.Evidence = append(c.Evidence, "✓ "+p.Label())
		case a.Err != "":
			line := fmt.Sprintf("? %s: review failed: %s", p.Label(), a.Err)
			c.Evidence = append(c.Evidence, line)
			if p.Required {
				missing = append(missing, p.Label())
			} else {
				weak = append(weak, p.Label())
			}
		default:
			line := "✖ " + p.Label() + " (" + p.Why + ")"
			if a.Reason != "" {
				line += ": " + a.Reason
			}
			c.Evidence = append(c.Evidence, line)
			if p.Required {
				missing = append(missing, p.Label())
			} else {
				weak = append(weak, p.Label())
			}
		}
	}
	who := user
	if who == "" {
		who = "the current user"
	}
	switch {
	case len(missing) > 0:
		c.Status = Fail
		c.Summary = who + " may not " + strings.Join(missing, "; ")
		c.Fix = "ask a cluster admin for a Role (or ClusterRole) binding granting: " + strings.Join(missing, "; ")
	case len(weak) > 0:
		c.Status = Warn
		c.Summary = fmt.Sprintf("%s may do what the plan writes; %d read(s) refused, checks are weaker: %s", who, len(weak), strings.Join(weak, "; "))
	default:
		c.Summary = fmt.Sprintf("%s may do all %d things the plan needs", who, len(perms))
	}
	return c
}

// checkHealth compares desired and ready members of every cluster involved.
func checkHealth(snap *platform.Snapshot, plan Plan) Check {
	c := Check{Name: CheckHealth, Status: Pass}
	for _, st := range snap.Syncs {
		if st.Phase == platform.Failing && (st.Resource == "pods" || isCRWatch(st.Resource, plan)) {
			c.Status = Fail
			c.Evidence = append(c.Evidence, fmt.Sprintf("✖ watch of %s is failing (%s): what the console shows may be stale", st.Resource, st.Reason))
		}
	}
	var bad []string
	comps := involved(snap, plan)
	for _, comp := range comps {
		line := fmt.Sprintf("%s %d/%d ready", compName(comp), comp.Ready, comp.Desired)
		notReady := notReadyMembers(comp)
		if gone, keep := removedNotReady(plan, comp); len(gone) > 0 && len(gone) == len(notReady) && comp.Ready >= keep && comp.Health != platform.Failed {
			// A scale-down removing exactly the members that are not
			// ready (the revert of a stuck step) does not add load.
			if c.Status == Pass {
				c.Status = Warn
			}
			c.Evidence = append(c.Evidence, "▲ "+line+": "+strings.Join(gone, ", ")+", which the plan removes")
			continue
		}
		if comp.Ready < comp.Desired || len(notReady) > 0 || comp.Health == platform.Failed {
			c.Status = Fail
			bad = append(bad, fmt.Sprintf("%s %d/%d", comp.Kind, comp.Ready, comp.Desired))
			if len(notReady) > 0 {
				line += ": " + strings.Join(notReady, ", ")
			} else if comp.Reason != "" {
				line += ": " + comp.Reason
			}
			c.Evidence = append(c.Evidence, "✖ "+line)
			continue
		}
		c.Evidence = append(c.Evidence, "✓ "+line)
	}
	switch {
	case len(comps) == 0:
		c.Status = Fail
		c.Summary = "none of the plan's components is in the snapshot"
	case len(bad) > 0:
		c.Summary = "not ready: " + strings.Join(bad, ", ")
		c.Fix = "wait until every member is ready, or repair the ones that are not (members and restarts panes): scaling a degraded cluster adds load to it"
	case c.Status == Fail:
		c.Summary = "a watch is failing"
		c.Fix = "restore the watch (permissions, connectivity) and run the preflight again"
	default:
		c.Summary = fmt.Sprintf("every member of the %d component(s) involved is ready", len(comps))
	}
	return c
}

func isCRWatch(resource string, plan Plan) bool {
	for _, s := range plan.Steps {
		if resource == s.Ref.Resource+"."+s.Ref.Group {
			return true
		}
	}
	return false
}

// removedNotReady lists the members of a StatefulSet-ordered component
// (ZooKeeper, bookies, segment stores) that are not ready and that a
// scale-down step of plan removes (ordinal at or above its new count), and
// the count it keeps.
func removedNotReady(plan Plan, c *platform.Component) ([]string, int) {
	keep := -1
	for _, s := range plan.Steps {
		if s.Key == c.Key() && s.Claim == nil && s.Expect < s.Before {
			keep = s.Expect
		}
	}
	if keep < 0 || (c.Kind != platform.ZooKeeper && c.Kind != platform.BookKeeper && c.Kind != platform.SegmentStore) {
		return nil, keep
	}
	var out []string
	for _, m := range c.Members {
		if m.Ready {
			continue
		}
		idx := m.Labels["apps.kubernetes.io/pod-index"]
		if idx == "" {
			idx = m.Name[strings.LastIndex(m.Name, "-")+1:]
		}
		if n, err := strconv.Atoi(idx); err != nil || n < keep {
			return nil, keep // a member that stays is not ready
		}
		why := m.Phase
		if m.Reason != "" {
			why = m.Reason
		} else if m.Phase == "Running" {
			why = "not ready"
		}
		out = append(out, m.Name+" "+why)
	}
	return out, keep
}

func notReadyMembers(c *platform.Component) []string {
	var out []string
	for _, m := range c.Members {
		if m.Ready {
			continue
		}
		why := m.Phase
		if m.Reason != "" {
			why = m.Reason
		} else if m.Phase == "Running" {
			why = "not ready"
		}
		out = append(out, m.Name+" "+why)
	}
	return out
}

// checkRestarts looks for containers that restarted within window or are in
// CrashLoopBackOff, in the namespaces the plan touches. It warns, and fails
// on CrashLoopBackOff in a component the plan changes.
func checkRestarts(snap *platform.Snapshot, plan Plan, now time.Time, window time.Duration) Check {
	c := Check{Name: CheckRestarts, Status: Pass}
	var crash []string
	recent, older := 0, 0
	for _, comp := range snap.Components {
		if !slices.Contains(plan.Namespaces, comp.Namespace) {
			continue
		}
		for _, m := range comp.Members {
			for _, ct := range m.Containers {
				if ct.Reason == "CrashLoopBackOff" {
					line := fmt.Sprintf("%s/%s %s: CrashLoopBackOff, %d restart(s)%s", m.Name, ct.Name, compName(comp), ct.RestartCount, lastText(ct.Last, now))
					if touched(plan, comp) {
						c.Status = Fail
						crash = append(crash, m.Name)
						c.Evidence = append(c.Evidence, "✖ "+line)
					} else {
						c.Status = worst(c.Status, Warn)
						c.Evidence = append(c.Evidence, "▲ "+line)
					}
					recent++
					continue
				}
				if ct.RestartCount == 0 {
					continue
				}
				if ct.Last != nil && !ct.Last.FinishedAt.IsZero() && now.Sub(ct.Last.FinishedAt) > window {
					older++
					continue
				}
				recent++
				c.Status = worst(c.Status, Warn)
				c.Evidence = append(c.Evidence, fmt.Sprintf("▲ %s/%s: %d restart(s)%s", m.Name, ct.Name, ct.RestartCount, lastText(ct.Last, now)))
			}
		}
	}
	switch {
	case len(crash) > 0:
		c.Summary = "CrashLoopBackOff in a component the plan changes: " + strings.Join(crash, ", ")
		c.Fix = "find why it crashes (restarts and logs panes) and fix it before scaling"
	case recent > 0:
		c.Summary = fmt.Sprintf("%d container(s) restarted in the last %s", recent, window)
	default:
		c.Summary = fmt.Sprintf("no container restarted in the last %s", window)
	}
	if older > 0 {
		c.Evidence = append(c.Evidence, fmt.Sprintf("%d container(s) restarted earlier than %s ago", older, window))
	}
	return c
}

func lastText(t *platform.Termination, now time.Time) string {
	if t == nil {
		return ""
	}
	s := ", last " + t.Reason
	if t.ExitCode != 0 {
		s += fmt.Sprintf(" (exit %d)", t.ExitCode)
	}
	if !t.FinishedAt.IsZero() {
		s += " " + now.Sub(t.FinishedAt).Truncate(time.Second).String() + " ago"
	}
	return s
}

// checkUpgrade blocks a plan while an operator reports an upgrade, a
// rollback or an error, or the spec asks for a version that is not running.
func checkUpgrade(snap *platform.Snapshot, plan Plan, objs Objects) Check {
	c := Check{Name: CheckUpgrade, Status: Pass}
	var why []string
	seen := map[string]bool{}
	for _, comp := range involved(snap, plan) {
		name := compName(comp)
		if comp.TargetVersion != "" && comp.TargetVersion != comp.Version {
			why = append(why, fmt.Sprintf("%s is upgrading %s → %s", name, orUnset(comp.Version), comp.TargetVersion))
		}
		for _, cond := range comp.Conditions {
			if cond.Status == "True" && (cond.Type == "Upgrading" || cond.Type == "RollbackInProgress" || cond.Type == "Error") {
				why = append(why, fmt.Sprintf("%s: condition %s=True %s %s", name, cond.Type, cond.Reason, cond.Message))
			}
		}
		for _, state := range []string{"UPGRADING", "ROLLING_BACK", "Updating"} {
			if strings.HasPrefix(comp.State, state) {
				why = append(why, fmt.Sprintf("%s: operator state %s", name, comp.State))
			}
		}
		ref := comp.Source
		if seen[ref.Kind+ref.Namespace+ref.Name] || objs == nil {
			continue
		}
		seen[ref.Kind+ref.Namespace+ref.Name] = true
		if u, ok := objs.Object(gvrOf(ref), ref.Namespace, ref.Name); ok {
			why = append(why, versionDrift(ref, u)...)
		}
	}
	why = dedupe(why)
	if len(why) > 0 {
		c.Status = Fail
		c.Summary = "do not scale during an upgrade: " + why[0]
		for _, w := range why {
			c.Evidence = append(c.Evidence, "✖ "+w)
		}
		c.Fix = "let the upgrade (or rollback) finish and the operator clear its conditions, then plan again"
		return c
	}
	c.Summary = "no upgrade, rollback or operator error in progress"
	return c
}

// versionDrift reads what the object itself says about a version change.
func versionDrift(ref platform.Ref, u *unstructured.Unstructured) []string {
	var out []string
	str := func(path ...string) string { s, _, _ := unstructured.NestedString(u.Object, path...); return s }
	name := ref.Kind + " " + ref.Namespace + "/" + ref.Name
	var want string
	switch ref.Kind {
	case "ZookeeperCluster":
		want = str("spec", "image", "tag")
	case "BookkeeperCluster", "PravegaCluster":
		want = str("spec", "version")
	case "FlinkDeployment":
		if st := str("status", "reconciliationStatus", "state"); st == "UPGRADING" || st == "ROLLING_BACK" {
			out = append(out, fmt.Sprintf("%s: reconciliation %s", name, st))
		}
		gen := u.GetGeneration()
		if og, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration"); found && og < gen {
			out = append(out, fmt.Sprintf("%s: generation %d not yet reconciled (observed %d): a change is in progress", name, gen, og))
		}
	}
	if cur := str("status", "currentVersion"); want != "" && cur != "" && want != cur {
		out = append(out, fmt.Sprintf("%s: spec asks for version %s while %s runs", name, want, cur))
	}
	return out
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// listedMembers is how many names MemberList shows before it counts.
const listedMembers = 4

// MemberList names members for evidence: all of a few; of many, the
// first ones, the last and how many in all, so that a plan for 99,999
// bookies stays a few lines long.
func MemberList(names []string) string {
	if len(names) <= listedMembers {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s … %s (%d in all)", strings.Join(names[:listedMembers-1], ", "), names[len(names)-1], len(names))
}

// checkResources turns a fit into a check: which members do not fit,
// which resource runs short on which nodes and by how much.
func checkResources(fit FitResult, adding int, notes []string) Check {
	c := Check{Name: CheckResources, Status: Pass}
	for _, n := range fit.Nodes {
		free := n.FreeAfter()
		line := fmt.Sprintf("%s: free %s CPU, %s after the plan (allocatable %s CPU, %s)", n.Name,
			FormatCPU(free.MilliCPU), FormatBytes(free.Memory), FormatCPU(n.Allocatable.MilliCPU), FormatBytes(n.Allocatable.Memory))
		if len(n.AddedMembers) > 0 {
			line += "; gets " + MemberList(n.AddedMembers)
		}
		if u := usageText(n); u != "" {
			line += "; " + u
		}
		c.Evidence = append(c.Evidence, line)
	}
	c.Evidence = append(c.Evidence, notes...)
	if len(notes) > 0 {
		c.Status = Warn
	}
	// usage is a reason to look, never a refusal: requests are what the
	// scheduler places by
	pressed := usageWarnings(fit.Nodes)
	c.Evidence = append(pressed, c.Evidence...)
	switch {
	case adding == 0:
		c.Summary = "the plan adds no members"
	case len(fit.Unplaced) == 0:
		c.Summary = fmt.Sprintf("all %d new member(s) fit on the nodes", adding)
	default:
		c.Status = Fail
		byRes := map[string][]string{}
		var resOrder []string
		var lines []string
		// Members alike (same requests, same placement rules) fail alike: one
		// group, one list of reasons.
		type group struct {
			first Unplaced
			names []string
		}
		var groups []*group
		byKey := map[string]*group{}
		for _, u := range fit.Unplaced {
			k := fmt.Sprintf("%v|%v|%v|%v", u.Member.Requests, u.Member.NodeSelector, u.Member.Tolerations, strings.Join(u.Excluded, ";"))
			if g := byKey[k]; g != nil {
				g.names = append(g.names, u.Member.Name)
				continue
			}
			g := &group{first: u, names: []string{u.Member.Name}}
			byKey[k] = g
			groups = append(groups, g)
		}
		for _, g := range groups {
			u := g.first
			line := fmt.Sprintf("✖ %s (needs %s) fits on no node", u.Member.Name, FormatResources(u.Member.Requests))
			if len(g.names) > 1 {
				line = fmt.Sprintf("✖ %s (each needs %s) fit on no node", MemberList(g.names), FormatResources(u.Member.Requests))
			}
			lines = append(lines, line)
			for _, s := range u.Short {
				lines = append(lines, "   "+s.String())
				if !slices.Contains(byRes[s.Resource], s.Node) {
					if len(byRes[s.Resource]) == 0 {
						resOrder = append(resOrder, s.Resource)
					}
					byRes[s.Resource] = append(byRes[s.Resource], s.Node)
				}
			}
			for _, e := range u.Excluded {
				lines = append(lines, "   "+e)
			}
		}
		var parts []string
		for _, r := range resOrder {
			parts = append(parts, fmt.Sprintf("%s short on %s", r, strings.Join(byRes[r], ", ")))
		}
		c.Summary = fmt.Sprintf("%d of %d new member(s) do not fit", len(fit.Unplaced), adding)
		if len(parts) > 0 {
			c.Summary += ": " + strings.Join(parts, "; ")
		}
		c.Evidence = append(lines, c.Evidence...)
		c.Fix = "add nodes or free capacity (the console does not add nodes), or ask for fewer members"
	}
	if len(pressed) > 0 && c.Status == Pass {
		c.Status = Warn
		c.Summary += fmt.Sprintf(" by their requests, but %d node(s) receiving them are pressed now", len(pressed))
	}
	return c
}
