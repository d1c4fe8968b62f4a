package restapi

import (
	"slices"
	"time"

	"github.com/streamops/streamops/backend/restapi/flink"
)

// BacklogWindow is how far back a reader group's backlog readings go;
// BacklogStep how far apart they are kept.
const (
	BacklogWindow = time.Hour
	BacklogStep   = BacklogWindow / flink.MaxTrend
)

// trackCheckpoints adds the checkpoints that ended since the last read to
// each job's trend (by id: one that was in progress is added when it
// ends) and fills Job.CheckpointTrend. It returns the trends to keep, for
// the jobs of this read only.
func trackCheckpoints(hist map[string][]flink.Attempt, cl *flink.Cluster) map[string][]flink.Attempt {
	next := map[string][]flink.Attempt{}
	for i := range cl.Jobs {
		j := &cl.Jobs[i]
		s := hist[j.ID]
		if c := j.Checkpoints; c != nil {
			var last int64 = -1
			if len(s) > 0 {
				last = s[len(s)-1].ID
			}
			if len(c.Recent) > 0 && c.Recent[0].ID < last {
				s, last = nil, -1 // the ids began again: a new run of the job under its id
			}
			for k := len(c.Recent) - 1; k >= 0; k-- { // Recent is newest first
				if a := c.Recent[k]; a.Status != "IN_PROGRESS" && a.ID > last {
					s, last = append(s, a), a.ID
				}
			}
			if len(s) > flink.MaxTrend {
				s = s[len(s)-flink.MaxTrend:]
			}
		}
		if len(s) > 0 {
			s = slices.Clip(s)
			next[j.ID], j.CheckpointTrend = s, s
		}
	}
	return next
}

// trackBacklog records each reader group's unread bytes of now and fills
// ReaderGroup.Trend with the readings of the last BacklogWindow (at most
// flink.MaxTrend). It returns the readings to keep, by group.
func trackBacklog(hist map[string][]flink.Sample, cl *flink.Cluster, now time.Time) map[string][]flink.Sample {
	next := map[string][]flink.Sample{}
	from := now.Add(-BacklogWindow)
	for i := range cl.Jobs {
		for k := range cl.Jobs[i].Vertices {
			g := cl.Jobs[i].Vertices[k].Readers
			if g == nil {
				continue
			}
			key := g.Key()
			if s, ok := next[key]; ok { // read by two sources: one reading
				g.Trend = s
				continue
			}
			s := hist[key]
			// Readings BacklogStep apart cover the window within
			// MaxTrend: the newest is replaced by the next until it is a
			// step past the one before it, so the last is always current.
			if n := len(s); n >= 2 && s[n-1].At.Sub(s[n-2].At) < BacklogStep {
				s = slices.Clone(s[:n-1]) // the previous trend stays as it was
			}
			s = append(s, flink.Sample{At: now, Value: g.Unread})
			cut := 0
			for cut < len(s)-1 && (s[cut].At.Before(from) || len(s)-cut > flink.MaxTrend) {
				cut++
			}
			s = slices.Clip(s[cut:])
			next[key], g.Trend = s, s
		}
	}
	return next
}
