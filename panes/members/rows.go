package members

import (
	"fmt"
	"regexp"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/status"
	"github.com/streamops/streamops/panes/pane"
)

// row is one line of the members list: a component, or one of its members
// when the component is expanded.
type row struct {
	comp   *platform.Component
	member *platform.Member // nil for a component row
}

// flatten lists the rows to show: every component that matches the filter,
// followed by its members when expanded (or when a member matched).
func flatten(comps []*platform.Component, expanded map[string]bool, match func(*platform.Component, *platform.Member) bool) []row {
	out := make([]row, 0, len(comps))
	for _, c := range comps {
		compMatch := match(c, nil)
		var members []*platform.Member
		if !compMatch {
			for _, m := range c.Members {
				if match(c, m) {
					members = append(members, m)
				}
			}
			if len(members) == 0 {
				continue
			}
		} else if expanded[c.Key()] {
			members = c.Members
		}
		out = append(out, row{comp: c})
		for _, m := range members {
			out = append(out, row{comp: c, member: m})
		}
	}
	return out
}

// FilterColumns are the columns the filter's column:value form narrows
// to: a component's, then a member pod's.
var FilterColumns = []string{"kind", "cluster", "namespace", "health", "version", "condition", "pod", "node", "phase", "reason"}

// compFields is what the filter matches in a component row.
func compFields(c *platform.Component) []pane.Field {
	return []pane.Field{
		{Name: "kind", Value: c.Kind.String()}, {Name: "cluster", Value: c.Cluster}, {Name: "namespace", Value: c.Namespace},
		{Name: "health", Value: c.Health.String()}, {Name: "version", Value: c.Version}, {Name: "condition", Value: conditionText(c)},
	}
}

// memberFields is what the filter matches in a member row.
func memberFields(m *platform.Member) []pane.Field {
	return []pane.Field{
		{Name: "pod", Value: m.Name}, {Name: "node", Value: m.Node}, {Name: "namespace", Value: m.Namespace},
		{Name: "phase", Value: m.Phase}, {Name: "reason", Value: m.Reason},
	}
}

// matcher says which components and members match the query: the query
// is matched against all of them at once (pane.MatchFields ranks within
// the whole list).
func matcher(q string, comps []*platform.Component) func(*platform.Component, *platform.Member) bool {
	if q == "" {
		return func(*platform.Component, *platform.Member) bool { return true }
	}
	type item struct {
		c *platform.Component
		m *platform.Member
	}
	var items []item
	var fields [][]pane.Field
	for _, c := range comps {
		items, fields = append(items, item{c: c}), append(fields, compFields(c))
		for _, m := range c.Members {
			items, fields = append(items, item{c, m}), append(fields, memberFields(m))
		}
	}
	hit := make(map[item]bool)
	for _, i := range pane.MatchFields(q, fields) {
		hit[items[i]] = true
	}
	return func(c *platform.Component, m *platform.Member) bool { return hit[item{c, m}] }
}

// readyText is "ready/desired", with "?" when the desired count is unknown.
func readyText(c *platform.Component) string {
	if !c.HasSpec {
		return fmt.Sprintf("%d/?", c.Ready)
	}
	return fmt.Sprintf("%d/%d", c.Ready, c.Desired)
}

// conditionText is the component's condition as backend/status says it
// (what `streamops status` prints too).
func conditionText(c *platform.Component) string { return status.Condition(c) }

// readyPrefix is the count the backend starts a reason with, "0/1 ready; ".
var readyPrefix = regexp.MustCompile(`^\d+/\d+ ready; `)

// conditionCell is the condition as the table shows it: without the
// ready count the READY column already gives, so the cause comes first
// (the detail line says it whole).
func conditionCell(c *platform.Component) string {
	return readyPrefix.ReplaceAllString(conditionText(c), "")
}
