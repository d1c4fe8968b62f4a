// Package flink reads a Flink cluster through the JobManager REST API
// (rest_v1_dispatcher.yml, OpenAPI 3.0.1): the cluster overview, the jobs,
// each job's vertices with their watermarks, and its checkpoints. It
// decodes with the document's field names (slots-total, start-time, ...).
//
// Watermarks: a vertex's current input watermark is the minimum over its
// subtasks of their currentInputWatermark, which each subtask computes as
// the minimum of what its upstream operators sent. Long.MIN_VALUE means a
// subtask has no watermark yet, and then neither has the vertex. The job's
// slowest vertex is the one with the lowest known watermark.
package flink

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/restapi/fanout"
	"github.com/streamops/streamops/backend/restapi/wire"
)

// Overview is the cluster overview (/overview).
type Overview struct {
	TaskManagers, SlotsTotal, SlotsAvailable int32
	JobsRunning, JobsFinished                int32
	JobsCancelled, JobsFailed                int32
	Version, Commit                          string
}

// Job is one job. Details (vertices, watermarks, checkpoints) are read for
// jobs that are not globally terminal.
type Job struct {
	ID, Name, State string
	Start, End      time.Time // End is zero while the job runs
	Duration        time.Duration
	MaxParallelism  int64
	Vertices        []Vertex
	Checkpoints     *Checkpoints
	// CheckpointTrend is every checkpoint that ended while the console
	// watched, oldest first, up to MaxTrend: Flink keeps only its last
	// few and forgets them when the JobManager fails over, so the REST
	// monitor keeps them (nil without it).
	CheckpointTrend []Attempt
	Restarts        Restarts
	// Exceptions and the vertices' BackPressure are read only for the job
	// the user looks at (ReadFocus); nil otherwise.
	Exceptions    *Exceptions
	ExceptionsErr error
	// TaskManagers are those with a slot of the job, read (like the
	// exceptions) for the job the user looks at; TaskManagersErr says what
	// of them could not be read.
	TaskManagers    []TaskManager
	TaskManagersErr error
	DetailErr       error // /jobs/{id} failed
	CheckpointErr   error // /jobs/{id}/checkpoints failed
	RestartsErr     error // /jobs/{id}/metrics?get=numRestarts failed
}

// Restarts is how often a job restarted: Total is Flink's numRestarts
// metric (since the job was submitted); Recent of them happened since
// Since, as far as whoever kept earlier readings knows (the REST monitor
// fills it; zero Since: not known).
type Restarts struct {
	Known  bool
	Total  int64
	Recent int64
	Since  time.Time
}

// Terminal reports whether the job is globally terminal (Flink's
// JobStatus.isGloballyTerminalState).
func (j *Job) Terminal() bool {
	return j.State == "FINISHED" || j.State == "CANCELED" || j.State == "FAILED"
}

// StateLevel grades a job (or vertex) state: 0 running, 1 transitional, 2 failing,
// 3 ended.
func StateLevel(state string) int {
	switch state {
	case "RUNNING":
		return 0
	case "FAILING", "FAILED", "RESTARTING":
		return 2
	case "FINISHED", "CANCELED", "SUSPENDED":
		return 3
	}
	return 1
}

// Parallelism is the job's parallelism: the highest of its vertices' (the
// REST API reports parallelism per vertex only). Zero when unknown.
func (j *Job) Parallelism() int32 {
	p := int32(0)
	for _, v := range j.Vertices {
		p = max(p, v.Parallelism)
	}
	return p
}

// Slowest is the index of the vertex with the lowest known watermark, -1
// when no vertex has one.
func (j *Job) Slowest() int {
	best := -1
	for i, v := range j.Vertices {
		if v.Watermark.Known() && (best < 0 || v.Watermark.Millis < j.Vertices[best].Watermark.Millis) {
			best = i
		}
	}
	return best
}

// Lag is how far the job's slowest vertex's watermark is behind now,
// false when no vertex has a watermark.
func (j *Job) Lag(now time.Time) (time.Duration, bool) {
	s := j.Slowest()
	if s < 0 {
		return 0, false
	}
	return j.Vertices[s].Watermark.Lag(now), true
}

// Uptime is how long the job has run at now (its duration once it ended).
func (j *Job) Uptime(now time.Time) time.Duration {
	if j.End.IsZero() && !j.Start.IsZero() {
		return now.Sub(j.Start)
	}
	return j.Duration
}

// Vertex is one job vertex (a chain of operators).
type Vertex struct {
	ID, Name, Status            string
	Parallelism, MaxParallelism int32
	Watermark                   Watermark
	WatermarkErr                error
	BackPressure                *BackPressure // nil: not read
	// Readers is the Pravega reader group a source vertex reads through
	// (nil: not a source, or it reports none); ReadersErr says why it
	// could not be read.
	Readers    *ReaderGroup
	ReadersErr error
}

// NoWatermark is Long.MIN_VALUE, Flink's "no watermark received yet".
const NoWatermark = math.MinInt64

// Watermark is a vertex's current input watermark: the minimum over its
// subtasks.
type Watermark struct {
	Subtasks int   // subtasks that reported one
	Missing  int   // of them, how many have none yet (Long.MIN_VALUE)
	Millis   int64 // minimum over the subtasks that have one
	// MinSubtask is the index of the subtask holding the minimum (the
	// lowest index on a tie); -1 when no subtask has a watermark.
	MinSubtask int
	Read       bool // the watermarks were read
}

// Known reports whether the vertex has a watermark: every subtask has one.
func (w Watermark) Known() bool { return w.Read && w.Subtasks > 0 && w.Missing == 0 }

// Time is the watermark as a time (zero when unknown).
func (w Watermark) Time() time.Time {
	if !w.Known() {
		return time.Time{}
	}
	return time.UnixMilli(w.Millis).UTC()
}

// Lag is how far the watermark is behind now (0 when unknown or ahead).
func (w Watermark) Lag(now time.Time) time.Duration {
	if !w.Known() {
		return 0
	}
	return max(now.Sub(w.Time()), 0)
}

// MaxTrend bounds the readings a trend keeps (a job's checkpoints, a
// reader group's backlog).
const MaxTrend = 120

// Checkpoints is a job's checkpointing statistics.
type Checkpoints struct {
	Completed, Failed, Restored, Total int64
	InProgress                         int32
	Latest                             *Completed // latest completed checkpoint
	LatestFailure                      *Failure
	// Recent is the checkpoint history Flink keeps
	// (web.checkpoints.history, default 10), newest first.
	Recent []Attempt
}

// Attempt is one checkpoint of the recent history.
type Attempt struct {
	ID       int64
	Status   string // IN_PROGRESS, COMPLETED or FAILED
	Trigger  time.Time
	Duration time.Duration // end to end (so far, for one in progress)
	Size     int64         // checkpointed size
	Failure  string        // the failure message of a failed one
}

// RecentFailures counts the failed checkpoints among the recent ones that
// ended (in progress ones are left out): failed of ended.
func (c *Checkpoints) RecentFailures() (failed, ended int) {
	for _, a := range c.Recent {
		switch a.Status {
		case "FAILED":
			failed++
			ended++
		case "COMPLETED":
			ended++
		}
	}
	return failed, ended
}

// FailingNow reports whether the latest checkpoint attempt failed: the
// latest failure is newer than the latest completed checkpoint.
func (c *Checkpoints) FailingNow() bool {
	if c == nil || c.LatestFailure == nil {
		return false
	}
	return c.Latest == nil || c.LatestFailure.Trigger.After(c.Latest.Trigger)
}

// Completed is a completed checkpoint.
type Completed struct {
	ID             int64
	Trigger, Acked time.Time
	Duration       time.Duration // end to end
	Size           int64         // checkpointed size (the incremental part)
	StateSize      int64         // full state size
	Savepoint      bool
}

// Failure is a failed checkpoint.
type Failure struct {
	ID               int64
	Trigger, Failed  time.Time
	Message          string
	AcknowledgedPart string // "3/8 subtasks acknowledged"
}

// Cluster is everything the console shows of one Flink cluster.
type Cluster struct {
	Overview    *Overview
	OverviewErr error
	Jobs        []Job // running first, then by start time, newest first
}

// Client reads the Flink REST API.
type Client struct {
	get wire.Getter
	// Parallel bounds the requests in flight at once (default 4).
	Parallel int
	// MaxDetailed bounds the jobs whose details are read (default 50).
	MaxDetailed int
	// ReaderGroups keeps the source vertices' reader group metric names
	// from one read to the next (nil: listed on every read).
	ReaderGroups *ReaderGroupIDs
}

// New returns a client reading through g.
func New(g wire.Getter) *Client { return &Client{get: g, Parallel: 4, MaxDetailed: 50} }

// Wire types, named after rest_v1_dispatcher.yml's schemas.
type (
	clusterOverviewWithVersion struct {
		TaskManagers   int32  `json:"taskmanagers"`
		SlotsTotal     int32  `json:"slots-total"`
		SlotsAvailable int32  `json:"slots-available"`
		JobsRunning    int32  `json:"jobs-running"`
		JobsFinished   int32  `json:"jobs-finished"`
		JobsCancelled  int32  `json:"jobs-cancelled"`
		JobsFailed     int32  `json:"jobs-failed"`
		FlinkVersion   string `json:"flink-version"`
		FlinkCommit    string `json:"flink-commit"`
	}
	jobDetails struct {
		JID       *string `json:"jid"`
		Name      string  `json:"name"`
		State     string  `json:"state"`
		StartTime int64   `json:"start-time"`
		EndTime   int64   `json:"end-time"`
		Duration  int64   `json:"duration"`
	}
	multipleJobsDetails struct {
		Jobs []jobDetails `json:"jobs"`
	}
	jobDetailsVertexInfo struct {
		ID             *string `json:"id"`
		Name           string  `json:"name"`
		Parallelism    int32   `json:"parallelism"`
		MaxParallelism int32   `json:"maxParallelism"`
		Status         string  `json:"status"`
	}
	jobDetailsInfo struct {
		JID            *string                `json:"jid"`
		Name           string                 `json:"name"`
		State          string                 `json:"state"`
		StartTime      int64                  `json:"start-time"`
		EndTime        int64                  `json:"end-time"`
		Duration       int64                  `json:"duration"`
		MaxParallelism int64                  `json:"maxParallelism"`
		Vertices       []jobDetailsVertexInfo `json:"vertices"`
	}
	counts struct {
		Completed  int64 `json:"completed"`
		Failed     int64 `json:"failed"`
		InProgress int32 `json:"in_progress"`
		Restored   int64 `json:"restored"`
		Total      int64 `json:"total"`
	}
	checkpointStatistics struct {
		ClassName               string `json:"className"`
		ID                      int64  `json:"id"`
		IsSavepoint             bool   `json:"is_savepoint"`
		TriggerTimestamp        int64  `json:"trigger_timestamp"`
		LatestAckTimestamp      int64  `json:"latest_ack_timestamp"`
		CheckpointedSize        int64  `json:"checkpointed_size"`
		StateSize               int64  `json:"state_size"`
		EndToEndDuration        int64  `json:"end_to_end_duration"`
		NumSubtasks             int32  `json:"num_subtasks"`
		NumAcknowledgedSubtasks int32  `json:"num_acknowledged_subtasks"`
		// FailedCheckpointStatistics
		FailureTimestamp int64  `json:"failure_timestamp"`
		FailureMessage   string `json:"failure_message"`
		Status           string `json:"status"`
	}
	latestCheckpoints struct {
		Completed *checkpointStatistics `json:"completed"`
		Failed    *checkpointStatistics `json:"failed"`
	}
	checkpointingStatistics struct {
		Counts  *counts                `json:"counts"`
		Latest  *latestCheckpoints     `json:"latest"`
		History []checkpointStatistics `json:"history"`
	}
)

// ms turns epoch milliseconds into a time; Flink sends -1 (or 0) for
// "not set".
func ms(v int64) time.Time {
	if v <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// DecodeOverview decodes /overview.
func DecodeOverview(path string, body []byte) (*Overview, error) {
	var o clusterOverviewWithVersion
	if err := wire.Decode(path, body, &o); err != nil {
		return nil, err
	}
	return &Overview{TaskManagers: o.TaskManagers, SlotsTotal: o.SlotsTotal, SlotsAvailable: o.SlotsAvailable,
		JobsRunning: o.JobsRunning, JobsFinished: o.JobsFinished, JobsCancelled: o.JobsCancelled, JobsFailed: o.JobsFailed,
		Version: o.FlinkVersion, Commit: o.FlinkCommit}, nil
}

// DecodeJobs decodes /jobs/overview.
func DecodeJobs(path string, body []byte) ([]Job, error) {
	var l multipleJobsDetails
	if err := wire.Decode(path, body, &l); err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(l.Jobs))
	for _, j := range l.Jobs {
		if j.JID == nil {
			return nil, wire.Missing(path, "jid", "a job")
		}
		out = append(out, Job{ID: *j.JID, Name: j.Name, State: j.State, Start: ms(j.StartTime), End: ms(j.EndTime),
			Duration: time.Duration(j.Duration) * time.Millisecond})
	}
	return out, nil
}

// DecodeJob decodes /jobs/{id} into j (vertices without watermarks).
func DecodeJob(path string, body []byte, j *Job) error {
	var d jobDetailsInfo
	if err := wire.Decode(path, body, &d); err != nil {
		return err
	}
	if d.JID == nil {
		return wire.Missing(path, "jid", "the job")
	}
	j.ID, j.Name, j.State = *d.JID, d.Name, d.State
	j.Start, j.End, j.Duration = ms(d.StartTime), ms(d.EndTime), time.Duration(d.Duration)*time.Millisecond
	j.MaxParallelism = d.MaxParallelism
	j.Vertices = make([]Vertex, 0, len(d.Vertices))
	for _, v := range d.Vertices {
		if v.ID == nil {
			return wire.Missing(path, "id", "a vertex")
		}
		j.Vertices = append(j.Vertices, Vertex{ID: *v.ID, Name: v.Name, Status: v.Status, Parallelism: v.Parallelism, MaxParallelism: v.MaxParallelism})
	}
	return nil
}

// DecodeCheckpoints decodes /jobs/{id}/checkpoints.
func DecodeCheckpoints(path string, body []byte) (*Checkpoints, error) {
	var s checkpointingStatistics
	if err := wire.Decode(path, body, &s); err != nil {
		return nil, err
	}
	if s.Counts == nil {
		return nil, wire.Missing(path, "counts", "the statistics")
	}
	c := &Checkpoints{Completed: s.Counts.Completed, Failed: s.Counts.Failed, Restored: s.Counts.Restored,
		Total: s.Counts.Total, InProgress: s.Counts.InProgress}
	if s.Latest != nil && s.Latest.Completed != nil {
		l := s.Latest.Completed
		c.Latest = &Completed{ID: l.ID, Trigger: ms(l.TriggerTimestamp), Acked: ms(l.LatestAckTimestamp),
			Duration: time.Duration(l.EndToEndDuration) * time.Millisecond, Size: l.CheckpointedSize,
			StateSize: l.StateSize, Savepoint: l.IsSavepoint}
	}
	if s.Latest != nil && s.Latest.Failed != nil {
		l := s.Latest.Failed
		c.LatestFailure = &Failure{ID: l.ID, Trigger: ms(l.TriggerTimestamp), Failed: ms(l.FailureTimestamp),
			Message: strings.TrimSpace(l.FailureMessage)}
		if l.NumSubtasks > 0 {
			c.LatestFailure.AcknowledgedPart = fmt.Sprintf("%d/%d subtasks acknowledged", l.NumAcknowledgedSubtasks, l.NumSubtasks)
		}
	}
	for _, h := range s.History {
		status := h.Status
		if status == "" { // older Flink: the class name says it
			status = map[string]string{"completed": "COMPLETED", "failed": "FAILED", "in_progress": "IN_PROGRESS"}[h.ClassName]
		}
		c.Recent = append(c.Recent, Attempt{ID: h.ID, Status: status, Trigger: ms(h.TriggerTimestamp), Failure: strings.TrimSpace(h.FailureMessage),
			Duration: time.Duration(max(h.EndToEndDuration, 0)) * time.Millisecond, Size: max(h.CheckpointedSize, 0)})
	}
	slices.SortStableFunc(c.Recent, func(a, b Attempt) int { return cmpInt(b.ID, a.ID) })
	return c, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DecodeRestarts decodes /jobs/{id}/metrics?get=numRestarts, in the
// documented form {"metrics":[…]} or the bare array Flink sends.
func DecodeRestarts(path string, body []byte) (Restarts, error) {
	list, err := decodeMetrics(path, body)
	if err != nil {
		return Restarts{}, err
	}
	for _, m := range list {
		if *m.ID != "numRestarts" {
			continue
		}
		n, ok := parseInt([]byte(m.Value))
		if !ok || n < 0 {
			return Restarts{}, &wire.DecodeError{Path: path, Err: fmt.Errorf("metric numRestarts has value %q, not a count", m.Value)}
		}
		return Restarts{Known: true, Total: n}, nil
	}
	return Restarts{}, nil // the job does not report it (yet)
}

func jobPath(id string, rest ...string) string {
	p := "/jobs/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// Read fetches the whole cluster: overview, jobs, and for each job that is
// not globally terminal its details, checkpoints and per-vertex
// watermarks. It fails only when the job list cannot be read; every other
// failure is kept next to what it concerns.
func (c *Client) Read(ctx context.Context) (*Cluster, error) {
	cl := &Cluster{}
	var jobs []Job
	var jobsErr error
	fanout.Run(2, 2, func(i int) {
		if i == 0 {
			body, err := c.get.Get(ctx, "/overview", nil)
			if err == nil {
				cl.Overview, err = DecodeOverview("/overview", body)
			}
			cl.OverviewErr = err
			return
		}
		body, err := c.get.Get(ctx, "/jobs/overview", nil)
		if err == nil {
			jobs, err = DecodeJobs("/jobs/overview", body)
		}
		jobsErr = err
	})
	if jobsErr != nil {
		return cl, jobsErr
	}
	slices.SortStableFunc(jobs, func(a, b Job) int {
		if at, bt := a.Terminal(), b.Terminal(); at != bt {
			if at {
				return 1
			}
			return -1
		}
		return b.Start.Compare(a.Start)
	})
	var detailed []int
	for i := range jobs {
		if !jobs[i].Terminal() && len(detailed) < max(c.MaxDetailed, 0) {
			detailed = append(detailed, i)
		}
	}
	ids := make([]string, len(detailed)) // read apart: DecodeJob rewrites jobs[i].ID
	for k, i := range detailed {
		ids[k] = jobs[i].ID
	}
	fanout.Run(3*len(detailed), c.Parallel, func(k int) {
		j := &jobs[detailed[k/3]]
		switch k % 3 {
		case 1:
			j.Checkpoints, j.CheckpointErr = c.Checkpoints(ctx, ids[k/3])
			return
		case 2:
			j.Restarts, j.RestartsErr = c.Restarts(ctx, ids[k/3])
			return
		}
		path := jobPath(ids[k/3])
		body, err := c.get.Get(ctx, path, nil)
		if err == nil {
			err = DecodeJob(path, body, j)
		}
		j.DetailErr = err
	})
	type vref struct{ job, vertex int }
	var vs []vref
	for _, i := range detailed {
		for v := range jobs[i].Vertices {
			vs = append(vs, vref{i, v})
		}
	}
	var sources []vref
	for _, r := range vs {
		if jobs[r.job].Vertices[r.vertex].IsSource() {
			sources = append(sources, r)
		}
	}
	fanout.Run(len(vs)+len(sources), c.Parallel, func(k int) {
		if k >= len(vs) {
			j := &jobs[sources[k-len(vs)].job]
			v := &j.Vertices[sources[k-len(vs)].vertex]
			v.Readers, v.ReadersErr = c.ReaderGroup(ctx, j.ID, v.ID)
			return
		}
		j := &jobs[vs[k].job]
		v := &j.Vertices[vs[k].vertex]
		v.Watermark, v.WatermarkErr = c.Watermark(ctx, j.ID, v.ID)
	})
	c.ReaderGroups.prune()
	cl.Jobs = jobs
	return cl, nil
}

// Checkpoints reads a job's checkpointing statistics.
func (c *Client) Checkpoints(ctx context.Context, jobID string) (*Checkpoints, error) {
	path := jobPath(jobID, "checkpoints")
	body, err := c.get.Get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	return DecodeCheckpoints(path, body)
}

// Restarts reads a job's numRestarts metric.
func (c *Client) Restarts(ctx context.Context, jobID string) (Restarts, error) {
	path := jobPath(jobID, "metrics")
	body, err := c.get.Get(ctx, path, url.Values{"get": {"numRestarts"}})
	if err != nil {
		return Restarts{}, err
	}
	return DecodeRestarts(path, body)
}

// Watermark reads a vertex's subtask watermarks and takes their minimum.
func (c *Client) Watermark(ctx context.Context, jobID, vertexID string) (Watermark, error) {
	path := jobPath(jobID, "vertices", vertexID, "watermarks")
	body, err := c.get.Get(ctx, path, nil)
	if err != nil {
		return Watermark{}, err
	}
	return DecodeWatermarks(path, body)
}
