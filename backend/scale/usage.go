package scale

import (
	"fmt"
	"math"
	"strings"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
)

// What the engine takes from the usage monitor: the nodes' real usage
// beside their requests in the preflight (the scheduler places by
// requests, so usage warns and never refuses), and a claim's fill as the
// reason to grow it, with a size that brings it under TargetFill.

// TargetFill is the fill a suggested claim size brings a volume under.
const TargetFill = 0.70

// withUsage adds the nodes' measured usage to the nodes (a report of
// nil, or a node it does not hold, leaves usage unknown).
func withUsage(nodes []NodeUsage, r *usage.Report) []NodeUsage {
	if r == nil {
		return nodes
	}
	for i := range nodes {
		if u, ok := r.Node(nodes[i].Name); ok && !u.Seen.IsZero() {
			nodes[i].Used = platform.Resources{MilliCPU: u.Usage.MilliCPU, Memory: u.Usage.Memory}
			nodes[i].UsedSeen = u.Seen
		}
	}
	return nodes
}

// usageText is a node's real usage for the preflight's evidence: "uses
// 3.5 CPU, 58Gi now (90% of its memory); MemoryPressure".
func usageText(n NodeUsage) string {
	var parts []string
	if !n.UsedSeen.IsZero() {
		s := fmt.Sprintf("uses %s CPU, %s now", FormatCPU(n.Used.MilliCPU), FormatBytes(n.Used.Memory))
		if n.Allocatable.Memory > 0 {
			s += fmt.Sprintf(" (%d%% of its memory)", percent(n.Used.Memory, n.Allocatable.Memory))
		}
		parts = append(parts, s)
	}
	if len(n.Pressure) > 0 {
		parts = append(parts, strings.Join(n.Pressure, ", "))
	}
	return strings.Join(parts, "; ")
}

// usageWarnings are the nodes that get new members although they are
// pressed: a pressure condition, or memory in use plus the new members'
// requests beyond allocatable (the requests fit; the kubelet may evict).
func usageWarnings(nodes []NodeUsage) []string {
	var out []string
	for _, n := range nodes {
		if len(n.AddedMembers) == 0 {
			continue
		}
		switch {
		case len(n.Pressure) > 0:
			out = append(out, fmt.Sprintf("▲ %s gets %s but reports %s: the kubelet evicts pods there", n.Name, MemberList(n.AddedMembers), strings.Join(n.Pressure, ", ")))
		case !n.UsedSeen.IsZero() && n.Allocatable.Memory > 0 && n.Used.Memory+n.Added.Memory > n.Allocatable.Memory:
			out = append(out, fmt.Sprintf("▲ %s gets %s: it uses %s of %s memory now, and the new requests (%s) would go beyond it", n.Name,
				MemberList(n.AddedMembers), FormatBytes(n.Used.Memory), FormatBytes(n.Allocatable.Memory), FormatBytes(n.Added.Memory)))
		}
	}
	return out
}

func percent(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	return int64(math.Round(float64(a) * 100 / float64(b)))
}

// SuggestSize is a claim size that brings the volume's fill under
// TargetFill, rounded up to a whole GiB, for a volume using used bytes of
// a claim asking for requested; false when the claim is already large
// enough (or nothing is known).
func SuggestSize(used, requested int64) (int64, bool) {
	if used <= 0 {
		return 0, false
	}
	const gi = 1 << 30
	size := int64(math.Ceil(float64(used)/TargetFill/gi)) * gi
	if float64(used)/float64(size) >= TargetFill {
		size += gi
	}
	if size <= requested {
		return 0, false
	}
	return size, true
}

// fillReason is what a storage step says of the claim's fill: the reason
// to grow, and whether the new size brings it under TargetFill.
func fillReason(f usage.ClaimFill, requested, to int64) []string {
	if f.Level == usage.FillUnknown {
		return nil
	}
	total := f.Size()
	out := []string{fmt.Sprintf("the volume is %d%% full (%s used of %s): the reason to grow it", percent(f.Used, total), FormatBytes(f.Used), FormatBytes(total))}
	if s, ok := SuggestSize(f.Used, requested); ok {
		line := fmt.Sprintf("%s brings it under %d%%", FormatBytes(s), int(TargetFill*100))
		if to > 0 && to < s {
			line += fmt.Sprintf("; at %s it would be %d%% full", FormatBytes(to), percent(f.Used, to))
		}
		out = append(out, line)
	}
	return out
}
