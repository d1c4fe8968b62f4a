package logs

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	logengine "github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
)

// labels are the short names lines are prefixed with on screen, and the
// legend that says what they stand for.
type labels struct {
	byID   map[uint32]string
	width  int    // the widest label, in cells
	legend string // "bk BookKeeper pravega/bookkeeper · ss …"; "" for one source
}

// shortLabels names each source by its component and ordinal ("bk-2",
// "ss-0", "ctl-1"; the cluster first when two clusters of a kind are
// followed: "fraud-scoring/tm-0"), its container after a slash when its pod
// has several followed. A pod that is no member of a component keeps its
// pod name, shortened as podLabels does. With one source there is no
// prefix at all: the title names it.
func shortLabels(srcs []logengine.SourceInfo, snap *platform.Snapshot) labels {
	out := labels{byID: make(map[uint32]string, len(srcs))}
	if len(srcs) <= 1 {
		return out
	}
	type place struct {
		comp *platform.Component
		ord  string
	}
	where := map[string]place{}
	if snap != nil {
		for _, c := range snap.Components {
			for i, mem := range c.Members {
				where[mem.Namespace+"/"+mem.Name] = place{c, ordinal(mem.Name, i)}
			}
		}
	}
	perPod := map[string]int{}
	clusters := map[string]map[string]bool{} // short kind → clusters followed
	var comps []*platform.Component
	for _, s := range srcs {
		pod := s.Target.Namespace + "/" + s.Target.Pod
		perPod[pod]++
		if p, ok := where[pod]; ok && p.comp.Kind.Short() != "" {
			k := p.comp.Kind.Short()
			if clusters[k] == nil {
				clusters[k] = map[string]bool{}
			}
			if !clusters[k][p.comp.Key()] {
				comps = append(comps, p.comp)
			}
			clusters[k][p.comp.Key()] = true
		}
	}
	var rest []int // sources that are no component's members
	var restNames []string
	for i, s := range srcs {
		pod := s.Target.Namespace + "/" + s.Target.Pod
		p, ok := where[pod]
		if !ok || p.comp.Kind.Short() == "" {
			name := s.Target.Pod
			if perPod[pod] > 1 {
				name += "/" + s.Target.Container
			}
			rest, restNames = append(rest, i), append(restNames, name)
			continue
		}
		k := p.comp.Kind.Short()
		l := k + "-" + p.ord
		if len(clusters[k]) > 1 {
			l = p.comp.Cluster + "/" + l
		}
		if perPod[pod] > 1 {
			l += "/" + s.Target.Container
		}
		out.byID[s.ID] = l
	}
	for j, n := range shorten(restNames) {
		out.byID[srcs[rest[j]].ID] = n
	}
	for _, l := range out.byID {
		out.width = max(out.width, len([]rune(l)))
	}
	slices.SortStableFunc(comps, func(a, b *platform.Component) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), strings.Compare(a.Key(), b.Key()))
	})
	var parts []string
	seen := map[string]bool{}
	for _, c := range comps {
		k := c.Kind.Short()
		if len(clusters[k]) > 1 {
			k = c.Cluster + "/" + k
		}
		if !seen[k] {
			seen[k] = true
			parts = append(parts, fmt.Sprintf("%s: %s %s/%s", k, c.Kind, c.Namespace, c.Cluster))
		}
	}
	out.legend = strings.Join(parts, " · ")
	return out
}

// ordinal is a member's number: a StatefulSet pod's own ("bookie-2" is 2),
// otherwise its place among the component's members (Deployments' pods
// have random suffixes).
func ordinal(pod string, index int) string {
	if i := strings.LastIndexByte(pod, '-'); i >= 0 {
		if _, err := strconv.Atoi(pod[i+1:]); err == nil {
			return pod[i+1:]
		}
	}
	return strconv.Itoa(index)
}
