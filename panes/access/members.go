package access

import (
	"fmt"
	"slices"
	"strings"

	accessapi "github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/panes/pane"
)

// visibleMembers leaves out Kubernetes' own subjects (system:masters,
// system:kube-scheduler...) unless the filter query names them.
func visibleMembers(ms []accessapi.Member, query string) []accessapi.Member {
	var out []accessapi.Member
	for _, mb := range ms {
		if mb.System() && (query == "" || len(pane.Match(query, []string{memberText(mb)})) == 0) {
			continue
		}
		out = append(out, mb)
	}
	return out
}

// subjectLabel is how a row names a subject: "user alice", "group devs",
// "sa pravega/pravega-operator".
func subjectLabel(s accessapi.Subject) string {
	switch s.Kind {
	case accessapi.UserSubject:
		return "user " + s.Name
	case accessapi.GroupSubject:
		return "group " + s.Name
	case accessapi.ServiceAccountSubject:
		return "sa " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// memberText is what the filter matches a member against.
func memberText(mb accessapi.Member) string {
	parts := []string{subjectLabel(mb.Subject), mb.Kind}
	if mb.System() {
		parts = append(parts, "system")
	}
	for _, g := range mb.Grants {
		parts = append(parts, g.Role, g.Namespace, g.Binding)
	}
	return strings.Join(parts, " ")
}

// isYou reports whether the subject is the current user or one of their
// groups.
func isYou(s accessapi.Subject, u accessapi.User) bool {
	switch {
	case u.Name == "":
		return false
	case s.Kind == accessapi.UserSubject:
		return s.Name == u.Name
	case s.Kind == accessapi.GroupSubject:
		return slices.Contains(u.Groups, s.Name) && !strings.HasPrefix(s.Name, "system:")
	case s.Kind == accessapi.ServiceAccountSubject:
		return u.Name == "system:serviceaccount:"+s.Namespace+":"+s.Name
	}
	return false
}

// memberLines draws the projects' members as a matrix (a subject per row,
// a project per column, the roles held there in the cells; "*" marks a
// role from a ClusterRoleBinding), then the bindings that make them.
func (m Model) memberLines(keep func(string) bool) []string {
	st := m.deps.Styles
	switch {
	case m.memberSrc == nil:
		return []string{st.Muted.Render("members need an API server")}
	case m.roster == nil:
		return []string{st.Muted.Render("reading RoleBindings and ClusterRoleBindings…")}
	}
	r := m.roster
	var out []string
	for _, p := range r.Problems {
		out = append(out, st.Warn.Render("▲ "+p))
	}
	all := visibleMembers(r.Members, "")
	hidden := len(r.Members) - len(all)
	shown := visibleMembers(r.Members, m.filter.Query())
	title := fmt.Sprintf("MEMBERS OF %s", strings.Join(r.Namespaces, ", "))
	out = append(out, st.Header.Render(title)+st.Muted.Render(fmt.Sprintf(" · %d subject%s", len(all), plural(len(all)))))
	if hidden > 0 && len(shown) == len(all) {
		out = append(out, st.Muted.Render(fmt.Sprintf("  %d Kubernetes system subject%s hidden (filter \"system\" shows them)", hidden, plural(hidden))))
	}
	// The subject takes 30 cells (40 from 120 on), the projects share the
	// rest, at least their names' width, at most 28 cells each.
	labelW := 30
	if m.width >= 120 {
		labelW = 40
	}
	nsW := len("-")
	for _, ns := range r.Namespaces {
		nsW = max(nsW, min(len(ns), 20))
	}
	if len(r.Namespaces) > 0 {
		nsW = max(nsW, min((m.width-2-labelW)/len(r.Namespaces)-1, 28))
	}
	head := "  " + pane.Fit("SUBJECT", labelW)
	for _, ns := range r.Namespaces {
		head += " " + pane.Fit(ns, nsW)
	}
	out = append(out, st.Table.Header.Render(head))
	n := 0
	for _, mb := range shown {
		if !keep(memberText(mb)) {
			continue
		}
		n++
		label := subjectLabel(mb.Subject)
		if isYou(mb.Subject, m.who) {
			label += " ◀ you"
		}
		line := "  " + pane.Fit(label, labelW)
		if mb.System() {
			line = "  " + st.Muted.Render(pane.Fit(label, labelW))
		}
		for _, ns := range r.Namespaces {
			line += " " + pane.Fit(roleCell(mb, ns), nsW)
		}
		out = append(out, line)
	}
	if n == 0 {
		text := "  no subject is bound in these projects"
		if m.filter.Query() != "" {
			text = "  nothing matches"
		}
		out = append(out, st.Muted.Render(text))
	}
	out = append(out, st.Muted.Render("  * cluster-wide: from a ClusterRoleBinding, it holds in every project"))
	out = append(out, "", st.Header.Render("HOW THEY ARE BOUND"))
	for _, b := range bindings(shown) {
		if !keep(b.via + " " + b.role + " " + strings.Join(b.subjects, " ")) {
			continue
		}
		if m.width < 120 { // two lines: the binding and its role, then who
			out = append(out, "  "+b.via+st.Muted.Render(" → ")+b.role, "      "+st.Muted.Render(strings.Join(b.subjects, ", ")))
			continue
		}
		out = append(out, "  "+pane.Fit(b.via, 52)+" "+pane.Fit(b.role, 32)+" "+st.Muted.Render(strings.Join(b.subjects, ", ")))
	}
	return out
}

// roleCell lists the roles a member holds in a project, cluster-wide ones
// first and marked "*": "view*, edit".
func roleCell(mb accessapi.Member, ns string) string {
	var roles []string
	for _, g := range mb.Grants {
		var name string
		switch {
		case g.ClusterWide():
			name = g.Role + "*"
		case g.Namespace == ns:
			name = g.Role
		default:
			continue
		}
		if !slices.Contains(roles, name) {
			roles = append(roles, name)
		}
	}
	if len(roles) == 0 {
		return "-"
	}
	return strings.Join(roles, ", ")
}

type binding struct {
	via, role string
	subjects  []string
}

// bindings regroups the members' grants by binding: ClusterRoleBindings
// first, then RoleBindings by namespace and name.
func bindings(ms []accessapi.Member) []binding {
	byVia := map[string]*binding{}
	var order []accessapi.Grant
	for _, mb := range ms {
		for _, g := range mb.Grants {
			b := byVia[g.Via()]
			if b == nil {
				b = &binding{via: g.Via(), role: g.RoleName()}
				byVia[g.Via()] = b
				order = append(order, g)
			}
			b.subjects = append(b.subjects, subjectLabel(mb.Subject))
		}
	}
	slices.SortFunc(order, func(a, b accessapi.Grant) int {
		if a.ClusterWide() != b.ClusterWide() {
			if a.ClusterWide() {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Via(), b.Via())
	})
	out := make([]binding, len(order))
	for i, g := range order {
		out[i] = *byVia[g.Via()]
	}
	return out
}
