package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/streamops/streamops/tui"
)

// figure is one row of the comparison: how to read it from a result and
// how to print it.
type figure struct {
	name   string
	value  func(toolResult) float64
	format string // for one value, e.g. "%.3f s"
}

// idleCPU is the figure the floor is compared on.
var idleCPU = figure{"idle CPU", func(r toolResult) float64 { return r.IdleCPU }, "%.2f %%"}

var figures = []figure{
	{"first complete frame", func(r toolResult) float64 { return r.FirstFrame.Seconds() }, "%.3f s"},
	{"RSS +10 s", func(r toolResult) float64 { return mib(r.RSS) }, "%.0f MiB"},
	idleCPU,
	{"idle bytes to the terminal", func(r toolResult) float64 { return float64(r.IdleBytes) }, "%.0f B"},
	{"idle API requests", func(r toolResult) float64 { return float64(r.IdleRequests) }, "%.0f"},
	{"machine busy, start → frame", func(r toolResult) float64 { return r.BusyStart }, "%.0f %%"},
}

// median is the middle value (the mean of the two middle ones for an
// even count) with the smallest and largest.
func median(v []float64) spread {
	if len(v) == 0 {
		return spread{}
	}
	v = slices.Clone(v)
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return spread{m, v[0], v[len(v)-1]}
}

// ratio is a/b for the table: "–" when b is 0 (unless a is too, when the
// two are equal).
func ratio(a, b float64) string {
	switch {
	case b == 0 && a == 0:
		return "1.00"
	case b == 0:
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func (f figure) cell(runs []toolResult) string {
	if len(runs) == 0 {
		return "–"
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f.value(r)
	}
	s := median(v)
	out := fmt.Sprintf(f.format, s.median)
	if len(runs) > 1 {
		unit := strings.TrimSpace(strings.TrimLeft(fmt.Sprintf(f.format, 0.0), "0123456789."))
		lo, hi := fmt.Sprintf(f.format, s.min), fmt.Sprintf(f.format, s.max)
		lo, hi = strings.TrimSpace(strings.TrimSuffix(lo, unit)), strings.TrimSpace(strings.TrimSuffix(hi, unit))
		out += fmt.Sprintf(" (%s–%s)", lo, hi)
	}
	return out
}

func (f figure) median(runs []toolResult) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f.value(r)
	}
	return median(v).median
}

// printComparison prints one Markdown table per pod count: each figure's
// median (min–max) for streamops and the peer, and the ratio of the
// medians streamops/peer. Without a peer, only streamops' column.
func printComparison(w io.Writer, results []toolResult, peer string) {
	var sizes []scale
	for _, r := range results {
		if !slices.Contains(sizes, r.scale()) {
			sizes = append(sizes, r.scale())
		}
	}
	for i, n := range sizes {
		if i > 0 {
			fmt.Fprintln(w)
		}
		var ours, theirs, floor []toolResult
		for _, r := range results {
			switch {
			case r.scale() != n:
			case r.Tool == "streamops":
				ours = append(ours, r)
			case r.Tool == peer:
				theirs = append(theirs, r)
			case r.Tool == floorName:
				floor = append(floor, r)
			}
		}
		fmt.Fprintf(w, "**%s** (median (min–max) of %d runs)\n\n", n, len(ours))
		printTable(w, ours, theirs, peer)
		printFloor(w, ours, floor)
	}
}

// printTable prints one size's figures for streamops and the peer (none:
// streamops' column only).
func printTable(w io.Writer, ours, theirs []toolResult, peer string) {
	if peer == "" {
		fmt.Fprintln(w, "| figure | streamops |")
		fmt.Fprintln(w, "|---|---:|")
		for _, f := range figures {
			fmt.Fprintf(w, "| %s | %s |\n", f.name, f.cell(ours))
		}
		return
	}
	fmt.Fprintf(w, "| figure | streamops | %s | streamops / %s |\n", peer, peer)
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, f := range figures {
		r := "–"
		if len(ours) > 0 && len(theirs) > 0 {
			r = ratio(f.median(ours), f.median(theirs))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", f.name, f.cell(ours), f.cell(theirs), r)
	}
}

// printFloor prints, under a table, the idle CPU of the floor program
// measured in the same rounds and streamops' ratio to it.
func printFloor(w io.Writer, ours, floor []toolResult) {
	if len(floor) == 0 {
		return
	}
	r := "–"
	if len(ours) > 0 {
		r = ratio(idleCPU.median(ours), idleCPU.median(floor))
	}
	fmt.Fprintf(w, "\nbubbletea's floor (a bare program at %d fps, same rounds, %d runs): idle CPU %s; streamops / floor %s\n",
		tui.FPS, len(floor), idleCPU.cell(floor), r)
}

// scale is the table a run belongs to: its pods, and the namespaces they
// were spread over.
type scale struct{ pods, namespaces int }

func (r toolResult) scale() scale { return scale{r.Pods, max(1, r.Namespaces)} }

func (s scale) String() string {
	if s.namespaces > 1 {
		return fmt.Sprintf("%d pods in %d namespaces (-A)", s.pods, s.namespaces)
	}
	return fmt.Sprintf("%d pods", s.pods)
}
