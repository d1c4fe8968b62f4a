package restapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

// Problem is what a finding is about. The order is the order findings of
// the same health are listed in.
type Problem int

const (
	Restarting         Problem = iota // the job restarts, or restarted lately
	CheckpointsFailing                // recent checkpoints failed
	Lagging                           // the watermark is far behind
	BackPressured                     // a vertex is back-pressured
	HeapNearLimit                     // a TaskManager of the job is near its heap limit
	BacklogGrowing                    // a reader group the job reads through falls behind
	Unhealthy                         // a Pravega Controller's health is not UP
	Unreadable                        // part of a Pravega cluster could not be read
	NoReaders                         // a reader group has no reader online
	OperatorSays                      // the cluster's operator reports it failing or changing
)

func (p Problem) String() string {
	return [...]string{"restarting", "checkpoints failing", "lagging", "back-pressured", "heap near its limit", "backlog growing", "unhealthy", "unreadable", "no readers", "operator"}[p]
}

// Finding is one thing wrong with a job or a cluster: how bad (Degraded
// or Failed) and a sentence that says what and why, for the pane and the
// triage report alike.
type Finding struct {
	Health  platform.Health
	Problem Problem
	Text    string
}

// Thresholds decide when something is a finding and how bad it is.
type Thresholds struct {
	// LagWarn and LagBad: a watermark this far behind is Degraded, Failed.
	LagWarn, LagBad time.Duration
	// CheckpointBadShare: from this share of failed recent checkpoints
	// on it is Failed (any failure is Degraded).
	CheckpointBadShare float64
	// RestartsBad: this many restarts in the last hour are Failed (one is
	// Degraded).
	RestartsBad int64
	// BackPressureBad: a vertex whose worst subtask is back-pressured this
	// share of the time is Failed; at level "low" it is Degraded.
	BackPressureBad float64
	// HeapWarn and HeapBad: a TaskManager using this share of its maximum
	// heap is Degraded, Failed.
	HeapWarn, HeapBad float64
	// BacklogGrowWarn and BacklogGrowBad: a reader group's unread bytes
	// that grew by this share of their first reading of the last
	// BacklogRecent, by BacklogGrowMin bytes at least, over BacklogSpan at
	// least, are Degraded, Failed.
	BacklogGrowWarn, BacklogGrowBad float64
	BacklogGrowMin                  int64
	BacklogSpan, BacklogRecent      time.Duration
}

// DefaultThresholds are the console's.
var DefaultThresholds = Thresholds{LagWarn: 30 * time.Second, LagBad: 5 * time.Minute, CheckpointBadShare: 0.5, RestartsBad: 3, BackPressureBad: 0.5, HeapWarn: 0.85, HeapBad: 0.95,
	BacklogGrowWarn: 0.1, BacklogGrowBad: 1, BacklogGrowMin: 1 << 20, BacklogSpan: 2 * time.Minute, BacklogRecent: 10 * time.Minute}

// RestartWindow is how far back restarts count.
const RestartWindow = time.Hour

// LagHealth grades a watermark lag.
func (th Thresholds) LagHealth(d time.Duration) platform.Health {
	switch {
	case d >= th.LagBad:
		return platform.Failed
	case d >= th.LagWarn:
		return platform.Degraded
	}
	return platform.Ready
}

// JobFindings says what is wrong with a job at now, worst first. A job
// that is not running has none (its state says it).
func (th Thresholds) JobFindings(j *flink.Job, now time.Time) []Finding {
	var out []Finding
	add := func(h platform.Health, p Problem, format string, args ...any) {
		out = append(out, Finding{Health: h, Problem: p, Text: fmt.Sprintf(format, args...)})
	}
	recent, since := RecentRestarts(j, now)
	switch j.State {
	case "RESTARTING", "FAILING":
		text := strings.ToLower(j.State) + " now"
		if recent > 0 {
			text += fmt.Sprintf(" · %d× %s", recent, window(now, since))
		}
		add(platform.Failed, Restarting, "%s%s", text, latestException(j))
	case "RUNNING":
		if recent > 0 {
			h := platform.Degraded
			if recent >= th.RestartsBad {
				h = platform.Failed
			}
			add(h, Restarting, "restarted %d× %s%s", recent, window(now, since), latestException(j))
		}
	default:
		return nil
	}
	if c := j.Checkpoints; c != nil {
		failed, ended := c.RecentFailures()
		cause := ""
		if f := c.LatestFailure; f != nil && f.Message != "" {
			cause = " · latest: " + f.Message
		}
		switch {
		case failed > 0:
			h := platform.Degraded
			if float64(failed) >= th.CheckpointBadShare*float64(ended) || c.FailingNow() && failed == ended {
				h = platform.Failed
			}
			add(h, CheckpointsFailing, "checkpoints failing: %d of the last %d%s", failed, ended, cause)
		case ended == 0 && c.FailingNow(): // no history (older Flink): the latest says it
			add(platform.Failed, CheckpointsFailing, "checkpoints failing: the latest failed%s", cause)
		}
	}
	if s := j.Slowest(); s >= 0 {
		v := &j.Vertices[s]
		lag := v.Watermark.Lag(now)
		if h := th.LagHealth(lag); h != platform.Ready {
			where := v.Name
			if i := v.Watermark.MinSubtask; i >= 0 {
				// Flink's own notation: "(index+1/parallelism)".
				where += fmt.Sprintf(", subtask %d/%d holds the minimum", i+1, v.Watermark.Subtasks)
			}
			add(h, Lagging, "lagging %s behind: %s", Duration(lag), where)
		}
	}
	for i := range j.Vertices {
		v := &j.Vertices[i]
		bp := v.BackPressure
		if bp == nil || bp.Err != nil {
			continue
		}
		worst, ratio := bp.Worst()
		var h platform.Health
		switch {
		case bp.Level == "high" || ratio >= th.BackPressureBad:
			h = platform.Failed
		case bp.Level == "low":
			h = platform.Degraded
		default:
			continue
		}
		add(h, BackPressured, "back-pressured (%s): %s, subtask %d/%d %.0f%% of the time", bp.Level, v.Name, worst+1, len(bp.Subtasks), ratio*100)
	}
	if f, ok := th.heapFinding(j.TaskManagers); ok {
		out = append(out, f)
	}
	out = append(out, th.backlogFindings(j)...)
	sortFindings(out)
	return out
}

// HeapHealth grades a TaskManager's heap use (Ready when not known).
func (th Thresholds) HeapHealth(t *flink.TaskManager) platform.Health {
	switch s, ok := t.HeapShare(); {
	case !ok || s < th.HeapWarn:
		return platform.Ready
	case s >= th.HeapBad:
		return platform.Failed
	}
	return platform.Degraded
}

// heapFinding names the TaskManager (of a job) using the largest share of
// its heap, when that is over HeapWarn, and how many more are.
func (th Thresholds) heapFinding(tms []flink.TaskManager) (Finding, bool) {
	worst, share, over := -1, 0.0, 0
	for i := range tms {
		if s, _ := tms[i].HeapShare(); th.HeapHealth(&tms[i]) != platform.Ready {
			if over++; s > share {
				worst, share = i, s
			}
		}
	}
	if worst < 0 {
		return Finding{}, false
	}
	t := &tms[worst]
	h := th.HeapHealth(t)
	text := fmt.Sprintf("heap near its limit: TaskManager %s uses %s of %s (%.0f%%)", t.Name(), Size(t.HeapUsed), Size(t.HeapMax), share*100)
	if over > 1 {
		text += fmt.Sprintf(" · %d more over %.0f%%", over-1, th.HeapWarn*100)
	}
	return Finding{Health: h, Problem: HeapNearLimit, Text: text}, true
}

// Verdict is what is wrong with a job at a moment: its findings, worst
// first, and the worst of their healths (Ready: nothing wrong).
type Verdict struct {
	Health   platform.Health
	Findings []Finding
}

// JobVerdict is a job's verdict at now.
func (th Thresholds) JobVerdict(j *flink.Job, now time.Time) Verdict {
	fs := th.JobFindings(j, now)
	return Verdict{Health: Worst(fs), Findings: fs}
}

// Verdicts are the verdicts of every job of some Flink sections at a
// moment, computed once from the decoded REST data for whoever shows
// them (the streams pane per report, the triage report).
type Verdicts struct {
	// Jobs[i][k] is the verdict of the k-th job of the i-th section (nil
	// for a section without data).
	Jobs [][]Verdict
	// Problems counts the jobs with something wrong; Worst is the worst
	// of their verdicts.
	Problems int
	Worst    platform.Health
}

// FlinkVerdicts computes the verdict of every job of secs at now.
func (th Thresholds) FlinkVerdicts(secs []FlinkSection, now time.Time) Verdicts {
	out := Verdicts{Jobs: make([][]Verdict, len(secs)), Worst: platform.Ready}
	for i := range secs {
		c := secs[i].Cluster
		if c == nil {
			continue
		}
		vs := make([]Verdict, len(c.Jobs))
		for k := range c.Jobs {
			vs[k] = th.JobVerdict(&c.Jobs[k], now)
			if len(vs[k].Findings) > 0 {
				out.Problems++
				if rank(vs[k].Health) > rank(out.Worst) {
					out.Worst = vs[k].Health
				}
			}
		}
		out.Jobs[i] = vs
	}
	return out
}

// Of is the verdict of the k-th job of the i-th section (nothing wrong
// when out of range).
func (v *Verdicts) Of(i, k int) Verdict {
	if i < len(v.Jobs) && k < len(v.Jobs[i]) {
		return v.Jobs[i][k]
	}
	return Verdict{Health: platform.Ready}
}

// RecentRestarts is how often a job restarted in the last RestartWindow
// and since when that is counted: from its numRestarts readings, or from
// its exception history when that was read and says more (each entry is a
// failure Flink restarted for).
func RecentRestarts(j *flink.Job, now time.Time) (int64, time.Time) {
	n, since := int64(0), time.Time{}
	if j.Restarts.Known {
		n, since = j.Restarts.Recent, j.Restarts.Since
	}
	if e := j.Exceptions; e != nil {
		from := now.Add(-RestartWindow)
		if k := int64(e.Since(from)); k > n || (k == n && k > 0) {
			n, since = k, from
			if !j.Start.IsZero() && j.Start.After(from) {
				since = j.Start
			}
		}
	}
	return n, since
}

// latestException names the latest failure, when the history was read.
func latestException(j *flink.Job) string {
	if j.Exceptions == nil || len(j.Exceptions.Entries) == 0 {
		return ""
	}
	x := j.Exceptions.Entries[0]
	s := " · latest: " + ShortClass(x.Name)
	if x.Task != "" {
		s += " in " + x.Task
	}
	return s
}

// ShortClass drops a Java class name's package:
// org.apache.flink.util.FlinkRuntimeException → FlinkRuntimeException.
// Anything else (a message) stays as it is.
func ShortClass(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && i+1 < len(name) && !strings.ContainsAny(name, " :") {
		return name[i+1:]
	}
	return name
}

// PravegaFindings says what is wrong in a Pravega cluster's inventory,
// worst first.
func PravegaFindings(inv *pravega.Inventory) []Finding {
	if inv == nil {
		return nil
	}
	var out []Finding
	if f, ok := HealthFinding(inv); ok {
		out = append(out, f)
	}
	for _, sc := range inv.Scopes {
		if sc.StreamErr != nil {
			out = append(out, Finding{Health: platform.Failed, Problem: Unreadable, Text: "scope " + sc.Name + ": streams unreadable: " + sc.StreamErr.Error()})
		}
		if sc.GroupErr != nil {
			out = append(out, Finding{Health: platform.Failed, Problem: Unreadable, Text: "scope " + sc.Name + ": reader groups unreadable: " + sc.GroupErr.Error()})
		}
		for _, g := range sc.Groups {
			switch {
			case g.Err != nil:
				out = append(out, Finding{Health: platform.Degraded, Problem: Unreadable, Text: "reader group " + sc.Name + "/" + g.Name + " unreadable: " + g.Err.Error()})
			case len(g.OnlineReaders) == 0:
				out = append(out, Finding{Health: platform.Degraded, Problem: NoReaders, Text: "reader group " + sc.Name + "/" + g.Name + ": no reader online (reads " + strings.Join(g.Streams, ", ") + ")"})
			}
		}
	}
	sortFindings(out)
	return out
}

// HealthFinding is what the Controller's own health says: DOWN or FAILED
// is Failed, STARTING, NEW or UNKNOWN Degraded, each naming the failing
// contributors; a health API that cannot be read is Degraded, except a
// 404, which is a Controller older than the API (nothing wrong).
func HealthFinding(inv *pravega.Inventory) (Finding, bool) {
	if inv.HealthErr != nil {
		if HealthAbsent(inv) {
			return Finding{}, false
		}
		return Finding{Health: platform.Degraded, Problem: Unreadable, Text: "controller health unreadable: " + oneLine(inv.HealthErr.Error())}, true
	}
	h := inv.Health
	if h == nil || h.Up() {
		return Finding{}, false
	}
	health := platform.Degraded
	if h.Bad() {
		health = platform.Failed
	}
	text := "controller health " + oneLine(h.Status)
	if failing := h.Failing(); len(failing) > 0 {
		text += ": " + oneLine(strings.Join(failing, "; "))
	}
	return Finding{Health: health, Problem: Unhealthy, Text: text}, true
}

// HealthAbsent reports whether the Controller does not serve the health
// API (404: a Controller older than it).
func HealthAbsent(inv *pravega.Inventory) bool {
	var e *Error
	return inv != nil && errors.As(inv.HealthErr, &e) && e.Status == http.StatusNotFound
}

// Worst is the worst health of the findings, Ready when there are none.
func Worst(fs []Finding) platform.Health {
	w := platform.Ready
	for _, f := range fs {
		if rank(f.Health) > rank(w) {
			w = f.Health
		}
	}
	return w
}

func rank(h platform.Health) int {
	switch h {
	case platform.Failed:
		return 3
	case platform.Degraded:
		return 2
	case platform.Progressing:
		return 1
	}
	return 0
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if ra, rb := rank(a.Health), rank(b.Health); ra != rb {
			return rb - ra
		}
		return int(a.Problem) - int(b.Problem)
	})
}

// window says over what time restarts were counted: "in the last hour",
// "in the last 12m" (when fewer readings go back).
func window(now, since time.Time) string {
	if since.IsZero() || now.Sub(since) >= RestartWindow-time.Minute {
		return "in the last hour"
	}
	return "in the last " + Duration(now.Sub(since))
}

// PravegaCounts summarises Pravega sections: user streams, internal
// streams, sections that failed to read or whose Controller reports its
// health DOWN or FAILED.
func PravegaCounts(secs []PravegaSection) (streams, internal, failing int) {
	for _, s := range secs {
		if s.Err != nil || s.Inventory != nil && s.Inventory.Health != nil && s.Inventory.Health.Bad() {
			failing++
		}
		if s.Inventory != nil {
			u, i := s.Inventory.Streams()
			streams += u
			internal += i
		}
	}
	return streams, internal, failing
}

// FlinkCounts summarises Flink sections: jobs, running jobs, sections
// that failed to read.
func FlinkCounts(secs []FlinkSection) (jobs, running, failing int) {
	for _, s := range secs {
		if s.Err != nil {
			failing++
		}
		if s.Cluster != nil {
			for _, j := range s.Cluster.Jobs {
				jobs++
				if j.State == "RUNNING" {
					running++
				}
			}
		}
	}
	return jobs, running, failing
}
