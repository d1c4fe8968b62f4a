package logs

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/streamops/streamops/backend/platform"
)

// SelectionFor turns what a user types after `streamops logs` into a
// selection, checked against a snapshot:
//
//   - "" selects every component;
//   - a label selector ("app=bookie", "component!=bookie", "tier in (a,b)")
//     selects the member pods whose labels match;
//   - a component: its kind ("bookkeeper", "taskmanager"), its cluster's
//     name, "cluster/kind" or its key "namespace/cluster/Kind", any case;
//     every component that matches;
//   - a pod's name, or "namespace/pod".
//
// Components and selected pods that appear later join. An error says
// that nothing matches, and what would.
func SelectionFor(query string, s *platform.Snapshot) (Selection, error) {
	query = strings.TrimSpace(query)
	var comps []*platform.Component
	if s != nil {
		comps = s.Components
	}
	if query == "" {
		var sel Selection
		for _, c := range comps {
			sel.Components = append(sel.Components, c.Key())
		}
		if len(sel.Components) == 0 {
			return Selection{}, fmt.Errorf("no platform component to read logs from")
		}
		return sel, nil
	}
	if strings.ContainsAny(query, "=!") || strings.Contains(query, " in ") || strings.Contains(query, " notin ") {
		sel, err := labels.Parse(query)
		if err != nil {
			return Selection{}, fmt.Errorf("label selector %q: %w", query, err)
		}
		if sel.Empty() {
			return Selection{}, fmt.Errorf("label selector %q selects nothing", query)
		}
		n := 0
		for _, c := range comps {
			for _, m := range c.Members {
				if sel.Matches(labels.Set(m.Labels)) {
					n++
				}
			}
		}
		if n == 0 {
			return Selection{}, fmt.Errorf("no pod matches the label selector %q", query)
		}
		return Selection{Pods: sel}, nil
	}
	var out Selection
	q := strings.ToLower(query)
	for _, c := range comps {
		kind := strings.ToLower(c.Kind.String())
		cluster := strings.ToLower(c.Cluster)
		if q == kind || q == cluster || q == cluster+"/"+kind || q == strings.ToLower(c.Key()) {
			out.Components = append(out.Components, c.Key())
		}
	}
	if len(out.Components) > 0 {
		return out, nil
	}
	for _, c := range comps {
		for _, m := range c.Members {
			if query == m.Name || query == m.Namespace+"/"+m.Name {
				out.Targets = append(out.Targets, Target{Namespace: m.Namespace, Pod: m.Name})
			}
		}
	}
	if len(out.Targets) > 0 {
		return out, nil
	}
	return Selection{}, fmt.Errorf("no component, pod or label selector matches %q (components: %s)", query, strings.Join(limit(QueryNames(s), 12), ", "))
}

// QueryNames lists what SelectionFor takes by name, for shell completion
// and error messages: the kinds present, then "cluster/kind" of every
// component, sorted.
func QueryNames(s *platform.Snapshot) []string {
	if s == nil {
		return nil
	}
	var kinds, names []string
	for _, c := range s.Components {
		kind := strings.ToLower(c.Kind.String())
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
		if n := strings.ToLower(c.Cluster) + "/" + kind; !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return append(kinds, names...)
}

func limit(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}

// SelectionOf selects targets, but when they are every container of one
// component's members it selects the component instead, so that members
// that appear later join.
func SelectionOf(snap *platform.Snapshot, targets []Target) Selection {
	sel := Selection{Targets: slices.Clone(targets)}
	if snap == nil || len(targets) < 2 {
		return sel
	}
	want := map[Target]bool{}
	for _, t := range targets {
		want[t] = true
	}
	for _, c := range snap.Components {
		all := map[Target]bool{}
		for _, mem := range c.Members {
			for _, ct := range mem.Containers {
				if !ct.Init {
					all[Target{Namespace: mem.Namespace, Pod: mem.Name, Container: ct.Name}] = true
				}
			}
		}
		if len(all) != len(want) || len(all) == 0 {
			continue
		}
		same := true
		for t := range want {
			same = same && all[t]
		}
		if same {
			return Selection{Components: []string{c.Key()}}
		}
	}
	return sel
}
