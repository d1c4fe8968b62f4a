package restarts

import (
	"fmt"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/panes/pane"
)

// memoryLines say, for an OOMKilled container, what it was allowed and
// what it used last before it died ("memory" line), and where its memory
// is raised ("raise" line): the scale wizard's field, or the custom
// resource's limit when the wizard has none.
func (m Model) memoryLines(r Row, now time.Time) []string {
	if !r.OOMKilled() {
		return nil
	}
	var parts []string
	if r.Limits.Memory > 0 {
		parts = append(parts, "limit "+pane.Bytes(r.Limits.Memory))
	} else {
		parts = append(parts, "no memory limit (killed by the node running out)")
	}
	parts = append(parts, m.beforeDeath(r, now))
	out := []string{strings.Join(parts, " · ")}
	if t, ok := scale.MemoryTargetOf(r.comp); ok {
		if t.InWizard {
			out = append(out, fmt.Sprintf("scale wizard (%s) › %s level › %s", m.deps.Keys.Global.Scale.Help().Key, t.Level, t.Field))
		} else {
			out = append(out, t.Where()+" (the scale wizard has no memory field for "+r.Kind.String()+")")
		}
	}
	return out
}

// beforeDeath is the last usage the monitor saw of the container before
// it died, against its limit.
func (m Model) beforeDeath(r Row, now time.Time) string {
	if m.report == nil {
		return "usage before it died unknown (no usage monitor)"
	}
	if line := pane.UsageUnknown("usage before it died", m.report.Metrics); line != "" {
		return line
	}
	u, ok := m.report.Member(r.member)
	if !ok {
		return "usage before it died not seen (usage is read while this pane is shown)"
	}
	for _, c := range u.Containers {
		if c.Name != r.Container || c.Init != r.Init {
			continue
		}
		use, seen, ok := c.BeforeDeath()
		if !ok {
			break
		}
		text := "used " + pane.Bytes(use.Memory)
		if r.Limits.Memory > 0 {
			text += " (" + pane.Percent(float64(use.Memory)/float64(r.Limits.Memory)) + " of it)"
		}
		return text + " before it died, seen " + pane.Since(now, seen) + " ago"
	}
	return "usage before it died not seen (it died before the monitor read it)"
}
