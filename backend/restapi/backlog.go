package restapi

import (
	"fmt"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi/flink"
)

// Backlog is a Pravega reader group's unread bytes as the Flink job that
// reads through it reports them (the connector's gauge on its source
// vertex), with the readings the monitor kept.
type Backlog struct {
	Flink  Target
	Job    *flink.Job
	Vertex *flink.Vertex
	Group  *flink.ReaderGroup
}

// BacklogIndex holds reader groups' backlogs by "scope/name" (how the
// Controller lists them too). Pravega clusters are not told apart: a
// Flink job's source names its scope and group, not its Controller.
type BacklogIndex map[string]Backlog

// Add indexes the reader groups the source vertices of a Flink cluster
// report; a group already indexed keeps the job that named it first.
func (ix *BacklogIndex) Add(t Target, c *flink.Cluster) {
	if c == nil {
		return
	}
	for j := range c.Jobs {
		for k := range c.Jobs[j].Vertices {
			v := &c.Jobs[j].Vertices[k]
			if v.Readers == nil {
				continue
			}
			if *ix == nil {
				*ix = BacklogIndex{}
			}
			if _, ok := (*ix)[v.Readers.Key()]; !ok {
				(*ix)[v.Readers.Key()] = Backlog{Flink: t, Job: &c.Jobs[j], Vertex: v, Group: v.Readers}
			}
		}
	}
}

// Backlogs indexes the reader groups the source vertices of secs report
// (nil when none does).
func Backlogs(secs []FlinkSection) BacklogIndex {
	var ix BacklogIndex
	for i := range secs {
		ix.Add(secs[i].Target, secs[i].Cluster)
	}
	return ix
}

// Growth is how much a trend rose (negative: fell) from its first reading
// to its last, and over how long.
func Growth(trend []flink.Sample) (delta int64, over time.Duration) {
	if len(trend) < 2 {
		return 0, 0
	}
	first, last := trend[0], trend[len(trend)-1]
	return last.Value - first.Value, last.At.Sub(first.At)
}

// Recent is the readings of a trend (oldest first) no older than d before
// its last.
func Recent(trend []flink.Sample, d time.Duration) []flink.Sample {
	if len(trend) == 0 {
		return nil
	}
	from := trend[len(trend)-1].At.Add(-d)
	i := len(trend) - 1
	for i > 0 && !trend[i-1].At.Before(from) {
		i--
	}
	return trend[i:]
}

// BacklogHealth grades a reader group's backlog from its readings of the
// last BacklogRecent: Degraded
// when it grew by BacklogGrowWarn of its first reading (and by at least
// BacklogGrowMin bytes) over at least BacklogSpan, Failed when it grew by
// BacklogGrowBad; Ready when it holds or falls, or too little was seen.
// It grows only when every reading of the newer half of the trend is over
// every reading of the older half: a backlog that swings as readers
// catch up and fall back is no finding.
func (th Thresholds) BacklogHealth(g *flink.ReaderGroup) platform.Health {
	trend := Recent(g.Trend, th.BacklogRecent)
	delta, over := Growth(trend)
	if over < th.BacklogSpan || delta < th.BacklogGrowMin || len(trend) < 3 || !rising(trend) {
		return platform.Ready
	}
	first := float64(trend[0].Value)
	switch {
	case float64(delta) >= th.BacklogGrowBad*first:
		return platform.Failed
	case float64(delta) >= th.BacklogGrowWarn*first:
		return platform.Degraded
	}
	return platform.Ready
}

// rising reports whether the newer half of a trend is all above its older
// half.
func rising(trend []flink.Sample) bool {
	half := len(trend) / 2
	older := trend[0].Value
	for _, s := range trend[:half] {
		older = max(older, s.Value)
	}
	for _, s := range trend[half:] {
		if s.Value <= older {
			return false
		}
	}
	return true
}

// BacklogText is "1.2 GiB unread, +300 MiB in 10m00s" (or "−40 MiB"),
// the growth over the last BacklogRecent, left out while fewer than two
// readings were kept.
func (th Thresholds) BacklogText(g *flink.ReaderGroup) string {
	text := Size(g.Unread) + " unread"
	delta, over := Growth(Recent(g.Trend, th.BacklogRecent))
	switch {
	case over <= 0:
	case delta > 0:
		text += fmt.Sprintf(", +%s in %s", Size(delta), Duration(over))
	case delta < 0:
		text += fmt.Sprintf(", −%s in %s", Size(-delta), Duration(over))
	default:
		text += ", unchanged for " + Duration(over)
	}
	return text
}

// backlogFindings: the reader groups a job's sources read whose backlog
// grows.
func (th Thresholds) backlogFindings(j *flink.Job) []Finding {
	var out []Finding
	for i := range j.Vertices {
		g := j.Vertices[i].Readers
		if g == nil {
			continue
		}
		if h := th.BacklogHealth(g); h != platform.Ready {
			delta, over := Growth(Recent(g.Trend, th.BacklogRecent))
			out = append(out, Finding{Health: h, Problem: BacklogGrowing,
				Text: fmt.Sprintf("backlog growing: +%s in %s to %s unread · reader group %s", Size(delta), Duration(over), Size(g.Unread), g.Key())})
		}
	}
	return out
}
