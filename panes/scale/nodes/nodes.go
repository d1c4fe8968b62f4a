// Package nodes is the scale wizard's Kubernetes level: the nodes'
// capacity, what is requested on them and what is free, before the plan
// and after its new members are placed, and the headroom line.
package nodes

import (
	"fmt"
	"strings"

	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// nodeRow is one node at the Kubernetes level.
type nodeRow struct {
	name, state        string
	cpu, freeCPU       string // "requested/allocatable", free
	memory, freeMemory string
	disk, pods         string
	used               string // measured CPU and memory, "-" when unknown
	pressed            bool   // state names pressure conditions
	hot                bool   // memory in use over 90% of allocatable
	tight              bool   // less than 10% of CPU or memory free
	added              string
}

func nodeRows(nodes []scale.NodeUsage, afterPlan bool) []nodeRow {
	var out []nodeRow
	for _, n := range nodes {
		free := n.Free()
		if afterPlan {
			free = n.FreeAfter()
		}
		r := nodeRow{name: n.Name, state: "ready"}
		switch {
		case !n.Ready:
			r.state = "not ready"
		case !n.Schedulable:
			r.state = "cordoned"
		case len(n.Pressure) > 0:
			r.state, r.pressed = "▲ "+strings.Join(n.Pressure, ","), true
		case len(n.Taints) > 0:
			r.state = fmt.Sprintf("ready, %d taint(s)", len(n.Taints))
		}
		r.used = "-"
		if !n.UsedSeen.IsZero() {
			r.used = roughCPU(n.Used.MilliCPU) + " · " + scale.FormatBytes(n.Used.Memory)
			if n.Allocatable.Memory > 0 && n.Used.Memory*10 >= n.Allocatable.Memory*9 {
				r.used, r.hot = r.used+" ▲", true // the kubelet evicts before the scheduler sees it
			}
		}
		r.cpu = scale.FormatCPU(n.Requested.MilliCPU) + "/" + scale.FormatCPU(n.Allocatable.MilliCPU)
		r.freeCPU = scale.FormatCPU(free.MilliCPU)
		r.memory = scale.FormatBytes(n.Requested.Memory) + "/" + scale.FormatBytes(n.Allocatable.Memory)
		r.freeMemory = scale.FormatBytes(free.Memory)
		r.disk = "-"
		if n.Allocatable.EphemeralStorage > 0 {
			r.disk = scale.FormatBytes(free.EphemeralStorage)
		}
		r.pods = fmt.Sprintf("%d/%d", n.Requested.Pods, n.Allocatable.Pods)
		r.tight = free.MilliCPU*10 < n.Allocatable.MilliCPU || free.Memory*10 < n.Allocatable.Memory
		r.added = scale.MemberList(n.AddedMembers)
		out = append(out, r)
	}
	return out
}

// roughCPU is measured CPU to a tenth of a core ("2.8", "350m"): usage
// moves, three decimals are noise.
func roughCPU(milli int64) string {
	if milli < 1000 {
		return fmt.Sprintf("%dm", milli)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(milli)/1000), ".0")
}

// View is the Kubernetes level in width columns: the nodes' capacity,
// requests and headroom (report; nil while it is read, err when that
// failed), or, when the plan's preflight placed its new members (after),
// what is free once they run.
func View(st themes.Styles, report *scale.NodeReport, err string, after []scale.NodeUsage, width int) []string {
	if err != "" {
		return []string{st.Err.Render("✖ " + err)}
	}
	if report == nil {
		return []string{st.Muted.Render("reading nodes…")}
	}
	wide := width >= 120
	nodeW := len("NODE")
	for _, n := range report.Nodes {
		nodeW = max(nodeW, len(n.Name))
	}
	cols := []pane.Column{{Title: "NODE", Width: min(nodeW, 40)}, {Title: "STATE", Width: 16}, {Title: "CPU REQ/ALLOC", Width: 13, Right: true},
		{Title: "FREE CPU", Width: 8, Right: true}, {Title: "MEM REQ/ALLOC", Width: 15, Right: true}, {Title: "FREE MEM", Width: 9, Right: true}}
	if wide {
		cols = append(cols, pane.Column{Title: "FREE DISK", Width: 9, Right: true}, pane.Column{Title: "PODS", Width: 8, Right: true},
			pane.Column{Title: "USED CPU · MEM", Width: 16, Right: true})
	}
	measured := false
	for _, n := range report.Nodes {
		measured = measured || !n.UsedSeen.IsZero()
	}
	widths := pane.Narrow(pane.Layout(cols, width), width, 0)
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.Title
	}
	out := []string{st.Table.Header.Render(pane.Row(titles, widths, cols))}
	nodes, placed := report.Nodes, false
	if len(after) > 0 {
		nodes, placed = after, true // the plan's members placed
		cols[3].Title, cols[5].Title = "FREE AFTER", "MEM AFTER"
		cols[3].Width = 10
		widths = pane.Narrow(pane.Layout(cols, width), width, 0)
		titles[3], titles[5] = cols[3].Title, cols[5].Title
		out[0] = st.Table.Header.Render(pane.Row(titles, widths, cols))
	}
	for _, r := range nodeRows(nodes, placed) {
		free, freeMem := r.freeCPU, r.freeMemory
		if r.tight {
			free, freeMem = st.Warn.Render(free+" ▲"), st.Warn.Render(freeMem)
		}
		state := r.state
		if r.pressed {
			state = st.Warn.Render(state)
		}
		used := r.used
		if r.hot {
			used = st.Warn.Render(used)
		}
		cells := []string{r.name, state, r.cpu, free, r.memory, freeMem, r.disk, r.pods, used}
		out = append(out, pane.Row(cells, widths, cols))
		if r.added != "" {
			out = append(out, st.Accent.Render("  + "+r.added))
		}
	}
	if placed {
		out = append(out, st.Muted.Render("FREE AFTER: once the plan's new members run (from its preflight)."))
	}
	out = append(out, "", st.Muted.Render("Requests are summed from the pods on each node (one list when this level opens)."))
	switch {
	case measured && wide:
		out = append(out, st.Muted.Render("USED is measured by metrics-server; the scheduler places by requests, so usage warns in the preflight and never refuses."))
	case measured:
		out = append(out, st.Muted.Render("Measured usage is in the preflight's evidence (wider terminal: a USED column)."))
	default:
		out = append(out, st.Muted.Render("Measured usage unknown (no node metrics from metrics.k8s.io): requests only."))
	}
	out = append(out,
		st.Muted.Render("Advisory: the console does not add nodes; the preflight checks new members fit."))
	return out
}

// Headroom sums what is free on the schedulable nodes and names the most
// a single member could get.
func Headroom(nodes []scale.NodeUsage) string {
	var cpu, mem, bestCPU, bestMem int64
	n := 0
	for _, nd := range nodes {
		if !nd.Ready || !nd.Schedulable {
			continue
		}
		f := nd.Free()
		n++
		cpu += max(f.MilliCPU, 0)
		mem += max(f.Memory, 0)
		bestCPU, bestMem = max(bestCPU, f.MilliCPU), max(bestMem, f.Memory)
	}
	return fmt.Sprintf("headroom now on %d node(s): %s CPU, %s; most on one: %s CPU, %s",
		n, scale.FormatCPU(cpu), scale.FormatBytes(mem), scale.FormatCPU(bestCPU), scale.FormatBytes(bestMem))
}
