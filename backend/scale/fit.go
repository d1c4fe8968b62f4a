package scale

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/streamops/streamops/backend/platform"
)

// NodeUsage is one node at the Kubernetes level: what it offers, what is
// already requested on it, and what a plan would add.
type NodeUsage struct {
	Name               string
	Ready, Schedulable bool
	Labels             map[string]string
	Taints             []platform.Taint
	Allocatable        platform.Resources
	Requested          platform.Resources // Pods counts the pods on it
	Added, Released    platform.Resources // by the plan
	AddedMembers       []string
	// Used is what the node's containers use now (CPU and memory, from
	// the metrics API), UsedSeen when it was measured (zero: unknown);
	// Pressure its True pressure conditions. The scheduler places by
	// requests: these only warn.
	Used     platform.Resources
	UsedSeen time.Time
	Pressure []string
}

// Free is allocatable minus requested.
func (n NodeUsage) Free() platform.Resources { return sub(n.Allocatable, n.Requested) }

// FreeAfter is what stays free once the plan's members run.
func (n NodeUsage) FreeAfter() platform.Resources {
	return sub(add(n.Allocatable, n.Released), add(n.Requested, n.Added))
}

func add(a, b platform.Resources) platform.Resources {
	return platform.Resources{MilliCPU: a.MilliCPU + b.MilliCPU, Memory: a.Memory + b.Memory,
		EphemeralStorage: a.EphemeralStorage + b.EphemeralStorage, Pods: a.Pods + b.Pods}
}

func sub(a, b platform.Resources) platform.Resources {
	return platform.Resources{MilliCPU: a.MilliCPU - b.MilliCPU, Memory: a.Memory - b.Memory,
		EphemeralStorage: a.EphemeralStorage - b.EphemeralStorage, Pods: a.Pods - b.Pods}
}

// NewMember is a member a plan adds, with what it asks of a node.
type NewMember struct {
	Name         string // e.g. "SegmentStore pravega #4"
	Requests     platform.Resources
	NodeSelector map[string]string
	Tolerations  []corev1.Toleration
}

// Release is a member a plan replaces: its requests leave its node.
type Release struct {
	Node     string
	Requests platform.Resources
}

// Shortfall is one resource a node lacks for a member.
type Shortfall struct {
	Node, Resource string
	Need, Free     int64
}

// Short is by how much the node falls short.
func (s Shortfall) Short() int64 { return s.Need - s.Free }

func (s Shortfall) String() string {
	return fmt.Sprintf("%s short by %s on %s (free %s, needs %s)", s.Resource, formatQty(s.Resource, s.Short()), s.Node,
		formatQty(s.Resource, max(s.Free, 0)), formatQty(s.Resource, s.Need))
}

// Unplaced is a member that fits on no node, and why on each.
type Unplaced struct {
	Member   NewMember
	Excluded []string // "worker-3: taint dedicated=kafka:NoSchedule"
	Short    []Shortfall
}

// FitResult is where a plan's new members would go.
type FitResult struct {
	Nodes    []NodeUsage
	Placed   []string // "member → node"
	Unplaced []Unplaced
}

// Fit places new members on nodes, one at a time, as the default scheduler
// roughly would: on an eligible node (ready, schedulable, matching the node
// selector, every NoSchedule/NoExecute taint tolerated) where every request
// fits, preferring the least allocated. It is an estimate, not a scheduler.
func Fit(nodes []NodeUsage, release []Release, members []NewMember) FitResult {
	res := FitResult{Nodes: slices.Clone(nodes)}
	for _, r := range release {
		for i := range res.Nodes {
			if res.Nodes[i].Name == r.Node {
				res.Nodes[i].Released = add(res.Nodes[i].Released, r.Requests)
			}
		}
	}
	for _, m := range members {
		req := m.Requests
		req.Pods = 1
		best, bestScore := -1, -1.0
		var un Unplaced
		for i := range res.Nodes {
			n := &res.Nodes[i]
			if why := excluded(n, m); why != "" {
				un.Excluded = append(un.Excluded, n.Name+": "+why)
				continue
			}
			free := n.FreeAfter()
			short := shortfalls(n.Name, n.Allocatable, free, req)
			if len(short) > 0 {
				un.Short = append(un.Short, short...)
				continue
			}
			score := fraction(free.MilliCPU-req.MilliCPU, n.Allocatable.MilliCPU) + fraction(free.Memory-req.Memory, n.Allocatable.Memory)
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best < 0 {
			un.Member = m
			res.Unplaced = append(res.Unplaced, un)
			continue
		}
		n := &res.Nodes[best]
		n.Added = add(n.Added, req)
		n.AddedMembers = append(n.AddedMembers, m.Name)
		res.Placed = append(res.Placed, m.Name+" → "+n.Name)
	}
	return res
}

func fraction(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func excluded(n *NodeUsage, m NewMember) string {
	if !n.Ready {
		return "not ready"
	}
	if !n.Schedulable {
		return "cordoned (unschedulable)"
	}
	for k, v := range m.NodeSelector {
		if n.Labels[k] != v {
			return fmt.Sprintf("node selector %s=%s does not match", k, v)
		}
	}
	for _, t := range n.Taints {
		if t.Effect != string(corev1.TaintEffectNoSchedule) && t.Effect != string(corev1.TaintEffectNoExecute) {
			continue
		}
		taint := corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)}
		tolerated := false
		for i := range m.Tolerations {
			if m.Tolerations[i].ToleratesTaint(klog.Background(), &taint, true) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			s := t.Key
			if t.Value != "" {
				s += "=" + t.Value
			}
			return "taint " + s + ":" + t.Effect + " not tolerated"
		}
	}
	return ""
}

// shortfalls lists the resources free lacks for req. A node that reports
// no ephemeral storage or pod capacity is not checked for it.
func shortfalls(node string, alloc, free, req platform.Resources) []Shortfall {
	var out []Shortfall
	check := func(name string, need, have, capacity int64, optional bool) {
		if need <= 0 || (optional && capacity == 0) {
			return
		}
		if need > have {
			out = append(out, Shortfall{Node: node, Resource: name, Need: need, Free: have})
		}
	}
	check("cpu", req.MilliCPU, free.MilliCPU, alloc.MilliCPU, false)
	check("memory", req.Memory, free.Memory, alloc.Memory, false)
	check("ephemeral-storage", req.EphemeralStorage, free.EphemeralStorage, alloc.EphemeralStorage, true)
	check("pods", req.Pods, free.Pods, alloc.Pods, true)
	return out
}

// FormatResources writes requests as "1 CPU, 4Gi".
func FormatResources(r platform.Resources) string {
	parts := []string{FormatCPU(r.MilliCPU) + " CPU", FormatBytes(r.Memory)}
	if r.EphemeralStorage > 0 {
		parts = append(parts, FormatBytes(r.EphemeralStorage)+" disk")
	}
	return strings.Join(parts, ", ")
}

// FormatCPU writes millicores as cores: "2", "1.5", "250m".
func FormatCPU(m int64) string {
	if m%1000 == 0 {
		return strconv.FormatInt(m/1000, 10)
	}
	if m < 1000 && m > -1000 {
		return strconv.FormatInt(m, 10) + "m"
	}
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}

// FormatBytes writes a size in binary units: "4Gi", "1.5Gi", "512Mi".
func FormatBytes(b int64) string {
	neg := ""
	if b < 0 {
		neg, b = "-", -b
	}
	switch {
	case b >= 1<<30:
		return neg + strconv.FormatFloat(float64(b*10/(1<<30))/10, 'f', -1, 64) + "Gi"
	case b >= 1<<20:
		return neg + strconv.FormatInt(b>>20, 10) + "Mi"
	case b >= 1<<10:
		return neg + strconv.FormatInt(b>>10, 10) + "Ki"
	}
	return neg + strconv.FormatInt(b, 10)
}

func formatQty(resource string, v int64) string {
	switch resource {
	case "cpu":
		return FormatCPU(v)
	case "pods":
		return strconv.FormatInt(v, 10)
	}
	return FormatBytes(v)
}
