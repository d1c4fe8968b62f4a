package restapi

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi/flink"
)

func attempts(ids ...int64) []flink.Attempt { // newest first, as Flink lists them
	out := make([]flink.Attempt, len(ids))
	for i, id := range ids {
		out[i] = flink.Attempt{ID: id, Status: "COMPLETED"}
	}
	return out
}

func trendIDs(s []flink.Attempt) []int64 {
	var out []int64
	for _, a := range s {
		out = append(out, a.ID)
	}
	return out
}

// TestTrackCheckpoints: the trend keeps every ended checkpoint seen, past
// Flink's short history, adds one in progress when it ends, begins again
// when the ids do, and forgets jobs no longer read.
func TestTrackCheckpoints(t *testing.T) {
	read := func(hist map[string][]flink.Attempt, recent []flink.Attempt) (map[string][]flink.Attempt, []int64) {
		cl := &flink.Cluster{Jobs: []flink.Job{{ID: "j", Checkpoints: &flink.Checkpoints{Recent: recent}}}}
		hist = trackCheckpoints(hist, cl)
		return hist, trendIDs(cl.Jobs[0].CheckpointTrend)
	}
	inProgress := attempts(4, 3, 2)
	inProgress[0].Status = "IN_PROGRESS"
	hist, got := read(nil, inProgress)
	if want := []int64{2, 3}; !slices.Equal(got, want) {
		t.Fatalf("first read %v, want %v", got, want)
	}
	hist, got = read(hist, attempts(6, 5, 4, 3)) // Flink forgot 2
	if want := []int64{2, 3, 4, 5, 6}; !slices.Equal(got, want) {
		t.Errorf("second read %v, want %v", got, want)
	}
	hist, got = read(hist, attempts(2, 1)) // a new run under the same id
	if want := []int64{1, 2}; !slices.Equal(got, want) {
		t.Errorf("after the ids began again %v, want %v", got, want)
	}
	many := make([]int64, 0, flink.MaxTrend+30)
	for id := int64(flink.MaxTrend + 32); id > 2; id-- {
		many = append(many, id)
	}
	hist, got = read(hist, attempts(many...))
	if len(got) != flink.MaxTrend || got[len(got)-1] != flink.MaxTrend+32 {
		t.Errorf("capped trend: %d readings ending at %d", len(got), got[len(got)-1])
	}
	if hist = trackCheckpoints(hist, &flink.Cluster{}); len(hist) != 0 {
		t.Errorf("a job no longer read is kept: %v", hist)
	}
}

// TestTrackBacklog: one reading per read per group (also when two sources
// read it), readings of the last BacklogWindow only.
func TestTrackBacklog(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	read := func(hist map[string][]flink.Sample, now time.Time, unread int64) (map[string][]flink.Sample, []flink.Sample) {
		g1 := &flink.ReaderGroup{Scope: "iot", Name: "g", Unread: unread}
		g2 := &flink.ReaderGroup{Scope: "iot", Name: "g", Unread: unread}
		cl := &flink.Cluster{Jobs: []flink.Job{{ID: "j", Vertices: []flink.Vertex{{Readers: g1}, {}, {Readers: g2}}}}}
		hist = trackBacklog(hist, cl, now)
		if len(g1.Trend) != len(g2.Trend) {
			t.Fatalf("two sources of one group see different trends: %v %v", g1.Trend, g2.Trend)
		}
		return hist, g1.Trend
	}
	var hist map[string][]flink.Sample
	var trend []flink.Sample
	for i := range 5 {
		hist, trend = read(hist, t0.Add(time.Duration(i)*20*time.Minute), int64(i)<<20)
	}
	if len(trend) != 4 || trend[0].Value != 1<<20 || trend[3].Value != 4<<20 {
		t.Errorf("trend %v, want the 4 readings of the last hour", trend)
	}
	// Reads every 5s: one reading per BacklogStep is kept, the newest
	// always current.
	hist = nil
	for i := range 25 {
		hist, trend = read(hist, t0.Add(time.Duration(i)*5*time.Second), int64(i))
	}
	var at []string
	for _, s := range trend {
		at = append(at, fmt.Sprintf("%s=%d", s.At.Sub(t0), s.Value))
	}
	if got := strings.Join(at, " "); got != "0s=0 30s=6 1m0s=12 1m30s=18 2m0s=24" {
		t.Errorf("readings kept %s", got)
	}
	if hist = trackBacklog(hist, &flink.Cluster{}, t0.Add(2*time.Hour)); len(hist) != 0 {
		t.Errorf("a group no longer read is kept: %v", hist)
	}
}
