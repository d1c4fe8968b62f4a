package scale

import (
	"fmt"
	"strings"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
)

// targetRow is one value the user can change at the current level.
type targetRow struct {
	target    scale.Target
	now, next string // next is "" when unchanged
	ready     string // "3/3" at the component level
}

// targetRows lists a level's targets with the user's edits.
func targetRows(targets []scale.Target, level scale.Level, edits map[string]string) []targetRow {
	var out []targetRow
	for _, t := range targets {
		if t.Level != level {
			continue
		}
		r := targetRow{target: t, now: t.Current}
		if r.now == "" {
			r.now = "-"
		}
		if v, ok := edits[t.ID()]; ok && v != t.Current {
			r.next = v
		}
		if t.Level == scale.ComponentLevel {
			r.ready = fmt.Sprintf("%d/%d", t.Ready, t.Desired)
		}
		out = append(out, r)
	}
	return out
}

// changes turns the edits into the engine's changes, in target order.
func changes(targets []scale.Target, edits map[string]string) []scale.Change {
	var out []scale.Change
	for _, t := range targets {
		if v, ok := edits[t.ID()]; ok && v != t.Current {
			out = append(out, scale.Change{Key: t.Key, Field: t.Field, To: v})
		}
	}
	return out
}

// changeSummary is one line naming every pending change.
func changeSummary(targets []scale.Target, edits map[string]string) string {
	var parts []string
	for _, t := range targets {
		if v, ok := edits[t.ID()]; ok && v != t.Current {
			what := t.Kind.String() + " " + t.Cluster
			if t.Field != scale.Replicas {
				what += " " + t.Field.String()
			}
			parts = append(parts, what+" "+t.Current+"→"+v)
		}
	}
	return strings.Join(parts, ", ")
}

// levelHint says what a level holds.
func levelHint(l scale.Level) string {
	switch l {
	case scale.KubernetesLevel:
		return "nodes: advisory, the console does not add nodes"
	case scale.ComponentLevel:
		return "replicas of " + strings.Join([]string{platform.ZooKeeper.String(), platform.BookKeeper.String(), platform.SegmentStore.String(), platform.Controller.String(), platform.FlinkTaskManager.String()}, ", ")
	default:
		return "Flink TaskManager CPU and memory, task slots, job parallelism"
	}
}
