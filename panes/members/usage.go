package members

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/panes/pane"
)

// holder is the name the pane activates the usage monitor under.
const holder = "members"

// memberUsage is what a member row and its detail say of its usage: the
// marks first (a container near its limit, the node's pressure, which is
// what evicts pods), then the figures against request and limit.
type memberUsage struct {
	marks   []string // "▲ mem 95% near limit", "▲ node MemoryPressure"
	figures []string // "cpu 120/500m 24%", "mem 1.4/2.0Gi 70%"
	unknown string   // one line when the metrics API gave none
}

// usageOf joins a member with the usage report and its node's pressure
// (from the snapshot: known without metrics-server too).
func (m Model) usageOf(mem *platform.Member) memberUsage {
	var out memberUsage
	if n := m.nodes[mem.Node]; n != nil && len(n.Pressure) > 0 {
		out.marks = append(out.marks, "▲ node "+strings.Join(n.Pressure, ","))
	}
	if m.report == nil {
		return out
	}
	if out.unknown = pane.UsageUnknown("usage", m.report.Metrics); out.unknown != "" {
		return out
	}
	u, ok := m.report.Member(mem)
	if !ok || !u.Current {
		out.unknown = "usage: not reported for this pod"
		return out
	}
	limits := podLimits(u)
	cpu, _ := pane.CPUText(u.Usage.MilliCPU, u.Requests.MilliCPU, limits.MilliCPU)
	mem2, _ := pane.MemoryText(u.Usage.Memory, u.Requests.Memory, limits.Memory)
	out.figures = append(out.figures, cpu, mem2)
	// a container near its own limit is what gets killed, even when the
	// pod's sum is not
	for _, c := range u.Containers {
		if c.Init || !c.Current {
			continue
		}
		if f, ok := c.MemoryOfLimit(); ok && f >= pane.NearLimit {
			out.marks = append([]string{"▲ mem " + pane.Percent(f) + " of limit" + containerOf(u, c)}, out.marks...)
		}
		if f, ok := c.CPUOfLimit(); ok && f >= pane.NearLimit {
			out.marks = append(out.marks, "▲ cpu "+pane.Percent(f)+" of limit"+containerOf(u, c))
		}
	}
	return out
}

// podLimits is the sum of the containers' limits where every container
// has one; a container without a limit leaves the pod without one.
func podLimits(u usage.MemberUsage) platform.Resources {
	l := u.Limits
	if !u.LimitsComplete {
		l.Memory = 0
	}
	for _, c := range u.Containers {
		if !c.Init && c.Limits.MilliCPU == 0 {
			l.MilliCPU = 0
		}
	}
	return l
}

// containerOf names the container in a mark when the pod has several.
func containerOf(u usage.MemberUsage, c usage.ContainerUsage) string {
	n := 0
	for _, x := range u.Containers {
		if !x.Init {
			n++
		}
	}
	if n > 1 {
		return " (" + c.Name + ")"
	}
	return ""
}

// nodeText is a node's usage for the detail line: "worker-3 uses cpu
// 2.1/8 26% · mem 20/31Gi 65% of allocatable · ▲ MemoryPressure (…)"; empty
// when there is nothing to say beyond its name.
func (m Model) nodeText(name string) string {
	if name == "" {
		return ""
	}
	parts := []string{name}
	if m.report != nil {
		switch n, ok := m.report.Node(name); {
		case !ok || n.Seen.IsZero():
			if line := pane.UsageUnknown("node usage", m.report.NodeMetrics); line != "" {
				parts = append(parts, line)
			}
		case n.Allocatable.MilliCPU == 0:
			parts[0] += " uses cpu " + pane.CPU(n.Usage.MilliCPU)
			parts = append(parts, "mem "+pane.Bytes(n.Usage.Memory))
		default:
			cpu, _ := pane.CPUText(n.Usage.MilliCPU, 0, n.Allocatable.MilliCPU)
			mem, _ := pane.MemoryText(n.Usage.Memory, 0, n.Allocatable.Memory)
			parts[0] += " uses " + cpu
			parts = append(parts, mem+" of allocatable")
		}
	}
	if n := m.nodes[name]; n != nil && len(n.Pressure) > 0 {
		parts = append(parts, "▲ "+strings.Join(n.Pressure, ",")+" (the kubelet evicts pods)")
	}
	if len(parts) == 1 {
		return ""
	}
	return strings.Join(parts, " · ")
}

// componentUsage sums the members' usage for the component's detail:
// "usage cpu 1.2/3 40% · mem 4.1/6.0Gi 68%".
func (m Model) componentUsage(c *platform.Component) string {
	if m.report == nil || len(c.Members) == 0 {
		return ""
	}
	if line := pane.UsageUnknown("usage", m.report.Metrics); line != "" {
		return line
	}
	var used usage.Sample
	var req, lim platform.Resources
	cpuComplete, memComplete, seen := true, true, false
	for _, mem := range c.Members {
		u, ok := m.report.Member(mem)
		if !ok || !u.Current {
			continue
		}
		seen = true
		used.MilliCPU += u.Usage.MilliCPU
		used.Memory += u.Usage.Memory
		req.MilliCPU += u.Requests.MilliCPU
		req.Memory += u.Requests.Memory
		l := podLimits(u)
		lim.MilliCPU += l.MilliCPU
		lim.Memory += l.Memory
		cpuComplete = cpuComplete && l.MilliCPU > 0
		memComplete = memComplete && l.Memory > 0
	}
	if !seen {
		return "usage: not reported for its pods"
	}
	if !cpuComplete {
		lim.MilliCPU = 0
	}
	if !memComplete {
		lim.Memory = 0
	}
	cpu, _ := pane.CPUText(used.MilliCPU, req.MilliCPU, lim.MilliCPU)
	mem, _ := pane.MemoryText(used.Memory, req.Memory, lim.Memory)
	return "usage " + cpu + " · " + mem
}

// componentMarks says, per component whose members are near a limit or on
// a node under pressure, what its row's condition adds: the member closest
// to its memory limit (else its CPU limit), how many more are near one, and
// how many sit on pressured nodes. A component reads "ok" from its
// operator's status while a member is about to be OOMKilled; this is what
// keeps the row from saying only that. Worked out once per snapshot and
// report, not per frame.
func componentMarks(snap *platform.Snapshot, nodes map[string]*platform.Node, report *usage.Report) map[*platform.Component]string {
	if snap == nil {
		return nil
	}
	current := report != nil && report.Metrics.State == usage.OK
	var out map[*platform.Component]string
	for _, c := range snap.Components {
		var worst, worstRes string
		var worstF float64
		near, pressed := 0, map[string]int{}
		for _, mem := range c.Members {
			if n := nodes[mem.Node]; n != nil && len(n.Pressure) > 0 {
				for _, p := range n.Pressure {
					pressed[p]++
				}
			}
			if !current {
				continue
			}
			u, ok := report.Member(mem)
			if !ok || !u.Current {
				continue
			}
			memberNear := false
			for _, ct := range u.Containers {
				if ct.Init || !ct.Current {
					continue
				}
				for _, res := range []string{"mem", "cpu"} {
					f, ok := ct.MemoryOfLimit()
					if res == "cpu" {
						f, ok = ct.CPUOfLimit()
					}
					if !ok || f < pane.NearLimit {
						continue
					}
					memberNear = true
					// memory first: it is what kills; CPU only throttles
					if worst == "" || res == "mem" && (worstRes == "cpu" || f > worstF) || res == "cpu" && worstRes == "cpu" && f > worstF {
						worst, worstRes, worstF = mem.Name, res, f
					}
				}
			}
			if memberNear {
				near++
			}
		}
		var parts []string
		if worst != "" {
			text := "▲ " + worstRes + " " + pane.Percent(worstF) + " of limit in " + worst
			if near > 1 {
				text += " and " + strconv.Itoa(near-1) + " more"
			}
			parts = append(parts, text)
		}
		for _, p := range slices.Sorted(maps.Keys(pressed)) {
			parts = append(parts, "▲ node "+p+" ×"+strconv.Itoa(pressed[p]))
		}
		if len(parts) == 0 {
			continue
		}
		if out == nil {
			out = map[*platform.Component]string{}
		}
		out[c] = strings.Join(parts, " · ")
	}
	return out
}
