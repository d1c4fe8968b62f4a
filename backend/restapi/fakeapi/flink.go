package fakeapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NoWatermark is Flink's Long.MIN_VALUE: the subtask has not received a
// watermark yet.
const NoWatermark = math.MinInt64

// Overview is what /overview reports about the cluster.
type Overview struct {
	TaskManagers, SlotsTotal, SlotsAvailable int32
	Version, Commit                          string
}

// Vertex is one job vertex (a chain of operators).
type Vertex struct {
	ID          string // 32 hex digits
	Name        string
	Parallelism int32
	Status      string // ExecutionState, default RUNNING
}

// Job is a job the cluster runs.
type Job struct {
	ID             string // 32 hex digits
	Name           string
	State          string // JobStatus, default RUNNING
	Start, End     time.Time
	MaxParallelism int64
	Vertices       []Vertex
}

// Checkpoint is one checkpoint of a job's history.
type Checkpoint struct {
	ID       int64
	Trigger  time.Time
	Ack      time.Time     // latest acknowledgement (completed)
	Duration time.Duration // end to end
	Size     int64         // checkpointed size in bytes
	State    int64         // full state size in bytes
	Failure  string        // failure message; set for a failed checkpoint
	FailedAt time.Time
}

type fJob struct {
	Job
	watermarks map[string][]int64 // vertex id → per subtask (ms or NoWatermark)
	completed  int64
	failed     int64
	inProgress int32
	restored   int64
	lastOK     *Checkpoint
	lastFailed *Checkpoint
	history    []Checkpoint
	restarts   int64
	exceptions []Exception // newest first
	pressure   map[string]Pressure
	readers    map[string]Readers // source vertex id → its reader group
	noHistory  bool               // answer /exceptions as Flink before 1.13 does (404)
}

// Readers is the Pravega reader group a source vertex reads through, as
// the connector reports it in the vertex's metrics.
type Readers struct {
	Scope, Group string
	Unread       int64 // bytes
	Online       int
}

// Exception is one entry of a job's exception history.
type Exception struct {
	Name, Task, Location, TaskManager string
	Stack                             string
	At                                time.Time
}

// Pressure is a vertex's back-pressure sample: per subtask the share of
// time back-pressured, busy and idle.
type Pressure struct {
	At                time.Time
	Ratio, Busy, Idle []float64
}

// level is Flink's grading of a back-pressure ratio
// (JobVertexBackPressureHandler: ≤0.10 ok, ≤0.5 low, above high).
func level(r float64) string {
	switch {
	case r <= 0.10:
		return "ok"
	case r <= 0.5:
		return "low"
	}
	return "high"
}

// TaskManager is one TaskManager of the cluster.
type TaskManager struct {
	ID                 string // ResourceID, 32 hex digits
	Host               string // ip:port of its RPC endpoint
	Slots              int32
	Jobs               []string // the job of each allocated slot
	HeapUsed, HeapMax  int64
	DirectUsed, Direct int64
	Managed            int64
	YoungGCs, OldGCs   int64
	YoungGCMs, OldGCMs int64
	Heartbeat          time.Time
}

// Flink serves the Flink JobManager REST API (base path /) from memory.
type Flink struct {
	faults
	clock Clock

	mu       sync.Mutex
	overview Overview
	jobs     []*fJob
	tms      []TaskManager
}

// SetTaskManager adds or replaces (by ID) a TaskManager.
func (f *Flink) SetTaskManager(tm TaskManager) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.tms {
		if f.tms[i].ID == tm.ID {
			f.tms[i] = tm
			return
		}
	}
	f.tms = append(f.tms, tm)
}

// RemoveTaskManagers keeps the first n TaskManagers.
func (f *Flink) RemoveTaskManagers(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tms = f.tms[:min(n, len(f.tms))]
}

// NewFlink returns a cluster with no jobs, reading the time from clock.
func NewFlink(clock Clock, ov Overview) *Flink { return &Flink{clock: clock, overview: ov} }

// SetOverview replaces the cluster overview.
func (f *Flink) SetOverview(ov Overview) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.overview = ov
}

// AddJob adds (or replaces) a job. Every vertex starts without watermarks.
func (f *Flink) AddJob(j Job) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j.State == "" {
		j.State = "RUNNING"
	}
	for i := range j.Vertices {
		if j.Vertices[i].Status == "" {
			j.Vertices[i].Status = "RUNNING"
		}
	}
	fj := &fJob{Job: j, watermarks: map[string][]int64{}}
	for _, v := range j.Vertices {
		wm := make([]int64, v.Parallelism)
		for i := range wm {
			wm[i] = NoWatermark
		}
		fj.watermarks[v.ID] = wm
	}
	for i, old := range f.jobs {
		if old.ID == j.ID {
			f.jobs[i] = fj
			return
		}
	}
	f.jobs = append(f.jobs, fj)
}

func (f *Flink) job(id string) *fJob {
	for _, j := range f.jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// SetJobState changes a job's state; a globally terminal state ends it.
func (f *Flink) SetJobState(id, state string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(id)
	if j == nil {
		return fmt.Errorf("job %s not found", id)
	}
	j.State = state
	switch state {
	case "FINISHED", "CANCELED", "FAILED":
		j.End = at
	}
	return nil
}

// SetWatermarks sets the current input watermark (ms since the epoch, or
// NoWatermark) of every subtask of a vertex.
func (f *Flink) SetWatermarks(jobID, vertexID string, ms []int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(jobID)
	if j == nil {
		return fmt.Errorf("job %s not found", jobID)
	}
	if _, ok := j.watermarks[vertexID]; !ok {
		return fmt.Errorf("vertex %s of job %s not found", vertexID, jobID)
	}
	j.watermarks[vertexID] = append([]int64(nil), ms...)
	return nil
}

// SetReaders makes a source vertex report a Pravega reader group.
func (f *Flink) SetReaders(jobID, vertexID string, r Readers) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(jobID)
	if j == nil {
		return fmt.Errorf("job %s not found", jobID)
	}
	if _, ok := j.watermarks[vertexID]; !ok {
		return fmt.Errorf("vertex %s of job %s not found", vertexID, jobID)
	}
	if j.readers == nil {
		j.readers = map[string]Readers{}
	}
	j.readers[vertexID] = r
	return nil
}

// Restart counts one more restart of a job (its numRestarts metric) and
// records the exception that caused it in the job's history (Flink keeps
// web.exception-history-size = 16).
func (f *Flink) Restart(jobID string, x Exception) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(jobID)
	if j == nil {
		return fmt.Errorf("job %s not found", jobID)
	}
	j.restarts++
	j.exceptions = append([]Exception{x}, j.exceptions...)
	if len(j.exceptions) > 16 {
		j.exceptions = j.exceptions[:16]
	}
	return nil
}

// SetRestarts sets a job's numRestarts (restarts before the fake started).
func (f *Flink) SetRestarts(jobID string, n int64) error {
	return f.checkpoint(jobID, func(j *fJob) { j.restarts = n })
}

// WithoutExceptionHistory makes /jobs/{id}/exceptions answer 404, as a
// Flink older than 1.13 does.
func (f *Flink) WithoutExceptionHistory(jobID string) error {
	return f.checkpoint(jobID, func(j *fJob) { j.noHistory = true })
}

// SetBackPressure sets a vertex's back-pressure sample.
func (f *Flink) SetBackPressure(jobID, vertexID string, p Pressure) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(jobID)
	if j == nil {
		return fmt.Errorf("job %s not found", jobID)
	}
	if _, ok := j.watermarks[vertexID]; !ok {
		return fmt.Errorf("vertex %s of job %s not found", vertexID, jobID)
	}
	if j.pressure == nil {
		j.pressure = map[string]Pressure{}
	}
	j.pressure[vertexID] = p
	return nil
}

// CompleteCheckpoint records a completed checkpoint.
func (f *Flink) CompleteCheckpoint(jobID string, c Checkpoint) error {
	return f.checkpoint(jobID, func(j *fJob) {
		j.completed++
		j.lastOK = &c
		j.history = append(j.history, c)
	})
}

// FailCheckpoint records a failed checkpoint.
func (f *Flink) FailCheckpoint(jobID string, c Checkpoint) error {
	return f.checkpoint(jobID, func(j *fJob) {
		j.failed++
		j.lastFailed = &c
		j.history = append(j.history, c)
	})
}

// SetCheckpointCounts sets the counts of a job that ran before the fake
// started (later completions and failures add to them).
func (f *Flink) SetCheckpointCounts(jobID string, completed, failed int64) error {
	return f.checkpoint(jobID, func(j *fJob) { j.completed, j.failed = completed, failed })
}

// SetInProgress sets the number of checkpoints in progress.
func (f *Flink) SetInProgress(jobID string, n int32) error {
	return f.checkpoint(jobID, func(j *fJob) { j.inProgress = n })
}

func (f *Flink) checkpoint(jobID string, apply func(*fJob)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(jobID)
	if j == nil {
		return fmt.Errorf("job %s not found", jobID)
	}
	apply(j)
	if len(j.history) > 10 { // Flink keeps web.checkpoints.history = 10
		j.history = j.history[len(j.history)-10:]
	}
	return nil
}

// Handler returns the HTTP handler of the API.
func (f *Flink) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /overview", f.getOverview)
	mux.HandleFunc("GET /jobs", f.listJobIDs)
	mux.HandleFunc("GET /jobs/overview", f.jobsOverview)
	mux.HandleFunc("GET /jobs/{jobid}", f.jobDetails)
	mux.HandleFunc("GET /jobs/{jobid}/checkpoints", f.checkpoints)
	mux.HandleFunc("GET /jobs/{jobid}/vertices/{vertexid}/watermarks", f.watermarksOf)
	mux.HandleFunc("GET /jobs/{jobid}/metrics", f.jobMetrics)
	mux.HandleFunc("GET /jobs/{jobid}/vertices/{vertexid}/metrics", f.vertexMetrics)
	mux.HandleFunc("GET /jobs/{jobid}/exceptions", f.exceptionsOf)
	mux.HandleFunc("GET /jobs/{jobid}/vertices/{vertexid}/backpressure", f.backPressure)
	mux.HandleFunc("GET /taskmanagers", f.taskManagers)
	mux.HandleFunc("GET /taskmanagers/{taskmanagerid}", f.taskManager)
	return mux
}

func (f *Flink) getOverview(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ov := f.overview
	counts := map[string]int32{}
	for _, j := range f.jobs {
		counts[j.State]++
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, map[string]any{
		"taskmanagers":           ov.TaskManagers,
		"taskmanagers-blocked":   0,
		"slots-total":            ov.SlotsTotal,
		"slots-available":        ov.SlotsAvailable,
		"slots-free-and-blocked": 0,
		"jobs-running":           counts["RUNNING"],
		"jobs-finished":          counts["FINISHED"],
		"jobs-cancelled":         counts["CANCELED"],
		"jobs-failed":            counts["FAILED"],
		"flink-version":          ov.Version,
		"flink-commit":           ov.Commit,
	})
}

func (f *Flink) listJobIDs(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	jobs := []map[string]any{}
	for _, j := range f.jobs {
		jobs = append(jobs, map[string]any{"id": j.ID, "status": j.State})
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, map[string]any{"jobs": jobs})
}

func (j *fJob) duration(now time.Time) int64 {
	end := now
	if !j.End.IsZero() {
		end = j.End
	}
	return end.Sub(j.Start).Milliseconds()
}

// tasks counts the job's subtasks per execution state, with the lower-case
// keys Flink uses in /jobs/overview.
func (j *fJob) tasks() map[string]int32 {
	out := map[string]int32{}
	for _, s := range []string{"created", "scheduled", "deploying", "running", "finished", "canceling", "canceled", "failed", "reconciling", "initializing"} {
		out[s] = 0
	}
	total := int32(0)
	for _, v := range j.Vertices {
		out[lower(v.Status)] += v.Parallelism
		total += v.Parallelism
	}
	out["total"] = total
	return out
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (f *Flink) jobsOverview(w http.ResponseWriter, r *http.Request) {
	now := f.clock.now()
	f.mu.Lock()
	jobs := []map[string]any{}
	for _, j := range f.jobs {
		jobs = append(jobs, map[string]any{
			"jid": j.ID, "name": j.Name, "state": j.State,
			"start-time": millis(j.Start), "end-time": millis(j.End), "duration": j.duration(now),
			"last-modification": millis(j.Start), "tasks": j.tasks(),
		})
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, map[string]any{"jobs": jobs})
}

// notFound answers as Flink does; the document lists only 200, so the
// response is marked as outside the contract.
func (f *Flink) notFound(w http.ResponseWriter, what string) {
	w.Header().Set(FaultHeader, "undocumented-status")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = fmt.Fprintf(w, `{"errors":[%q]}`, what+" not found")
}

func (f *Flink) jobDetails(w http.ResponseWriter, r *http.Request) {
	now := f.clock.now()
	f.mu.Lock()
	j := f.job(r.PathValue("jobid"))
	if j == nil {
		f.mu.Unlock()
		f.notFound(w, "job "+r.PathValue("jobid"))
		return
	}
	vertices := []map[string]any{}
	statusCounts := map[string]int32{}
	for _, v := range j.Vertices {
		statusCounts[v.Status]++
		vertices = append(vertices, map[string]any{
			"id": v.ID, "name": v.Name, "parallelism": v.Parallelism, "maxParallelism": j.MaxParallelism,
			"status": v.Status, "start-time": millis(j.Start), "end-time": millis(j.End), "duration": j.duration(now),
			"tasks": map[string]int32{v.Status: v.Parallelism},
			"metrics": map[string]any{
				"read-bytes": 0, "read-bytes-complete": true, "write-bytes": 0, "write-bytes-complete": true,
				"read-records": 0, "read-records-complete": true, "write-records": 0, "write-records-complete": true,
				"accumulated-backpressured-time": 0, "accumulated-idle-time": 0, "accumulated-busy-time": 0.0,
			},
		})
	}
	body := map[string]any{
		"jid": j.ID, "name": j.Name, "isStoppable": false, "state": j.State,
		"start-time": millis(j.Start), "end-time": millis(j.End), "duration": j.duration(now), "now": now.UnixMilli(),
		"maxParallelism": j.MaxParallelism,
		"timestamps":     map[string]int64{j.State: millis(j.Start)},
		"vertices":       vertices,
		"status-counts":  statusCounts,
		"plan":           map[string]any{"jid": j.ID, "name": j.Name, "type": "STREAMING", "nodes": []any{}},
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, body)
}

func checkpointJSON(c *Checkpoint, className string) map[string]any {
	status := "COMPLETED"
	if className == "failed" {
		status = "FAILED"
	}
	out := map[string]any{
		"className": className, "id": c.ID, "status": status, "is_savepoint": false,
		"trigger_timestamp": millis(c.Trigger), "latest_ack_timestamp": millis(c.Ack),
		"checkpointed_size": c.Size, "state_size": c.State, "end_to_end_duration": c.Duration.Milliseconds(),
		"alignment_buffered": 0, "processed_data": 0, "persisted_data": 0,
		"num_subtasks": 1, "num_acknowledged_subtasks": 1, "checkpoint_type": "CHECKPOINT", "tasks": map[string]any{},
	}
	switch className {
	case "completed":
		out["external_path"] = "<checkpoint-not-externally-addressable>"
		out["discarded"] = false
	case "failed":
		out["failure_timestamp"] = millis(c.FailedAt)
		out["failure_message"] = c.Failure
	}
	return out
}

func (f *Flink) checkpoints(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	j := f.job(r.PathValue("jobid"))
	if j == nil {
		f.mu.Unlock()
		f.notFound(w, "job "+r.PathValue("jobid"))
		return
	}
	latest := map[string]any{}
	if j.lastOK != nil {
		latest["completed"] = checkpointJSON(j.lastOK, "completed")
	}
	if j.lastFailed != nil {
		latest["failed"] = checkpointJSON(j.lastFailed, "failed")
	}
	history := []any{}
	for i := len(j.history) - 1; i >= 0; i-- {
		c := j.history[i]
		cls := "completed"
		if c.Failure != "" {
			cls = "failed"
		}
		history = append(history, checkpointJSON(&c, cls))
	}
	body := map[string]any{
		"counts": map[string]any{
			"restored": j.restored, "total": j.completed + j.failed + int64(j.inProgress),
			"in_progress": j.inProgress, "completed": j.completed, "failed": j.failed,
		},
		"latest":  latest,
		"history": history,
		"summary": map[string]any{},
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, body)
}

func (f *Flink) watermarksOf(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	j := f.job(r.PathValue("jobid"))
	var wm []int64
	ok := false
	if j != nil {
		wm, ok = j.watermarks[r.PathValue("vertexid")]
	}
	metrics := make([]map[string]string, 0, len(wm))
	for i, v := range wm {
		metrics = append(metrics, map[string]string{"id": strconv.Itoa(i) + ".currentInputWatermark", "value": strconv.FormatInt(v, 10)})
	}
	f.mu.Unlock()
	if !ok {
		f.notFound(w, "vertex "+r.PathValue("vertexid"))
		return
	}
	f.respond(w, r, http.StatusOK, map[string]any{"metrics": metrics})
}

// jobMetrics serves the job metrics the fake knows (numRestarts), in the
// documented form; ?get= selects, no parameter lists the names.
func (f *Flink) jobMetrics(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	j := f.job(r.PathValue("jobid"))
	var restarts int64
	if j != nil {
		restarts = j.restarts
	}
	f.mu.Unlock()
	if j == nil {
		f.notFound(w, "job "+r.PathValue("jobid"))
		return
	}
	metrics := []map[string]string{}
	get := r.URL.Query().Get("get")
	if get == "" { // the names only, as Flink lists them
		metrics = append(metrics, map[string]string{"id": "numRestarts"})
	}
	for _, name := range strings.Split(get, ",") {
		if name == "numRestarts" {
			metrics = append(metrics, map[string]string{"id": "numRestarts", "value": strconv.FormatInt(restarts, 10)})
		}
	}
	f.respond(w, r, http.StatusOK, map[string]any{"metrics": metrics})
}

// vertexMetrics serves a vertex's task metrics: per subtask its record
// counts and, on a source that reads Pravega, the connector's reader group
// gauges, named as Flink names an operator's metrics
// ("0.Source__sensor-readings.PravegaReader.readerGroup.unreadBytes").
// ?get= selects, no parameter lists the names; an unknown job or vertex
// has none (Flink's metric store answers so, not 404).
func (f *Flink) vertexMetrics(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	values := map[string]string{}
	var names []string
	if j := f.job(r.PathValue("jobid")); j != nil {
		for _, v := range j.Vertices {
			if v.ID != r.PathValue("vertexid") {
				continue
			}
			rg, reads := j.readers[v.ID]
			for i := range int(v.Parallelism) {
				at := func(name, value string) {
					id := strconv.Itoa(i) + "." + name
					names = append(names, id)
					values[id] = value
				}
				at("numRecordsIn", "0")
				at("numRecordsOut", "0")
				if !reads {
					continue
				}
				group := operatorMetricName(v.Name) + ".PravegaReader.readerGroup."
				at(group+"readerGroupName", rg.Group)
				at(group+"scope", rg.Scope)
				at(group+"unreadBytes", strconv.FormatInt(rg.Unread, 10))
				at(group+"onlineReaders", strconv.Itoa(rg.Online))
			}
		}
	}
	f.mu.Unlock()
	metrics := []map[string]string{}
	get := r.URL.Query().Get("get")
	if get == "" {
		for _, id := range names {
			metrics = append(metrics, map[string]string{"id": id})
		}
	}
	for _, id := range strings.Split(get, ",") {
		if v, ok := values[id]; ok {
			metrics = append(metrics, map[string]string{"id": id, "value": v})
		}
	}
	f.respond(w, r, http.StatusOK, map[string]any{"metrics": metrics})
}

// operatorMetricName is how Flink names the first operator of a chain in
// metric ids: "Source: sensor-readings -> Map" → "Source__sensor-readings".
func operatorMetricName(vertex string) string {
	first, _, _ := strings.Cut(vertex, " -> ")
	return strings.Map(func(r rune) rune {
		if r == ':' || r == ' ' || r == '.' {
			return '_'
		}
		return r
	}, first)
}

func exceptionJSON(x Exception) map[string]any {
	out := map[string]any{
		"exceptionName": x.Name, "stacktrace": x.Stack, "timestamp": x.At.UnixMilli(),
		"failureLabels": map[string]string{}, "concurrentExceptions": []any{},
	}
	if x.Task != "" {
		out["taskName"], out["location"], out["taskManagerId"] = x.Task, x.Location, x.TaskManager
	}
	return out
}

func (f *Flink) exceptionsOf(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	j := f.job(r.PathValue("jobid"))
	if j == nil || j.noHistory {
		f.mu.Unlock()
		f.notFound(w, "job "+r.PathValue("jobid"))
		return
	}
	limit := len(j.exceptions)
	if n, err := strconv.Atoi(r.URL.Query().Get("maxExceptions")); err == nil && n >= 0 {
		limit = min(limit, n)
	}
	entries := []any{}
	for _, x := range j.exceptions[:limit] {
		entries = append(entries, exceptionJSON(x))
	}
	body := map[string]any{
		"exceptionHistory": map[string]any{"entries": entries, "truncated": limit < len(j.exceptions)},
		"truncated":        false,
		"all-exceptions":   []any{},
	}
	if len(j.exceptions) > 0 {
		body["root-exception"] = j.exceptions[0].Stack
		body["timestamp"] = j.exceptions[0].At.UnixMilli()
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, body)
}

func (f *Flink) backPressure(w http.ResponseWriter, r *http.Request) {
	now := f.clock.now()
	f.mu.Lock()
	j := f.job(r.PathValue("jobid"))
	var p Pressure
	var par int32
	ok := false
	if j != nil {
		for _, v := range j.Vertices {
			if v.ID == r.PathValue("vertexid") {
				ok, par = true, v.Parallelism
			}
		}
		p = j.pressure[r.PathValue("vertexid")]
	}
	f.mu.Unlock()
	if !ok {
		f.notFound(w, "vertex "+r.PathValue("vertexid"))
		return
	}
	at := p.At
	if at.IsZero() {
		at = now
	}
	worst := 0.0
	subtasks := []any{}
	for i := range int(par) {
		ratio, busy, idle := 0.0, 0.0, 1.0
		if i < len(p.Ratio) {
			ratio = p.Ratio[i]
			busy, idle = at01(p.Busy, i), at01(p.Idle, i)
		}
		worst = max(worst, ratio)
		subtasks = append(subtasks, map[string]any{
			"subtask": i, "attempt-number": 0, "backpressureLevel": level(ratio),
			"ratio": ratio, "busyRatio": busy, "idleRatio": idle,
		})
	}
	f.respond(w, r, http.StatusOK, map[string]any{
		"status": "ok", "backpressureLevel": level(worst), "end-timestamp": at.UnixMilli(), "subtasks": subtasks,
	})
}

func at01(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return 0
}

func (tm *TaskManager) info(details bool) map[string]any {
	free := max(tm.Slots-int32(len(tm.Jobs)), 0)
	res := map[string]any{"cpuCores": 1.0, "taskHeapMemory": tm.HeapMax >> 20, "taskOffHeapMemory": 0, "managedMemory": tm.Managed >> 20, "networkMemory": 64, "extendedResources": map[string]any{}}
	out := map[string]any{
		"id": tm.ID, "path": "pekko.tcp://flink@" + tm.Host + "/user/rpc/taskmanager_0", "dataPort": 6121, "jmxPort": -1,
		"timeSinceLastHeartbeat": tm.Heartbeat.UnixMilli(), "slotsNumber": tm.Slots, "freeSlots": free, "blocked": false,
		"totalResource": res, "freeResource": res,
		"hardware": map[string]any{"cpuCores": 2, "physicalMemory": 8 << 30, "freeMemory": tm.HeapMax, "managedMemory": tm.Managed},
		"memoryConfiguration": map[string]any{"frameworkHeap": 128 << 20, "taskHeap": tm.HeapMax - 128<<20, "frameworkOffHeap": 128 << 20, "taskOffHeap": 0,
			"networkMemory": 64 << 20, "managedMemory": tm.Managed, "jvmMetaspace": 256 << 20, "jvmOverhead": 192 << 20,
			"totalFlinkMemory": tm.HeapMax + tm.Managed + 320<<20, "totalProcessMemory": tm.HeapMax + tm.Managed + 768<<20},
	}
	if !details {
		return out
	}
	slots := []any{}
	for _, j := range tm.Jobs {
		slots = append(slots, map[string]any{"jobId": j, "resource": res})
	}
	out["allocatedSlots"] = slots
	out["metrics"] = map[string]any{
		"heapUsed": tm.HeapUsed, "heapCommitted": tm.HeapMax, "heapMax": tm.HeapMax,
		"nonHeapUsed": 90 << 20, "nonHeapCommitted": 96 << 20, "nonHeapMax": -1,
		"directCount": 40, "directUsed": tm.DirectUsed, "directMax": tm.Direct,
		"mappedCount": 0, "mappedUsed": 0, "mappedMax": 0,
		"memorySegmentsAvailable": 1800, "memorySegmentsTotal": 2048,
		"nettyShuffleMemorySegmentsAvailable": 1800, "nettyShuffleMemorySegmentsUsed": 248, "nettyShuffleMemorySegmentsTotal": 2048,
		"nettyShuffleMemoryAvailable": 1800 << 15, "nettyShuffleMemoryUsed": 248 << 15, "nettyShuffleMemoryTotal": 2048 << 15,
		"garbageCollectors": []any{
			map[string]any{"name": "G1_Young_Generation", "count": tm.YoungGCs, "time": tm.YoungGCMs},
			map[string]any{"name": "G1_Old_Generation", "count": tm.OldGCs, "time": tm.OldGCMs},
		},
	}
	return out
}

func (f *Flink) taskManagers(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	list := []any{}
	for i := range f.tms {
		list = append(list, f.tms[i].info(false))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, map[string]any{"taskmanagers": list})
}

func (f *Flink) taskManager(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var body map[string]any
	for i := range f.tms {
		if f.tms[i].ID == r.PathValue("taskmanagerid") {
			body = f.tms[i].info(true)
		}
	}
	f.mu.Unlock()
	if body == nil {
		f.notFound(w, "TaskManager "+r.PathValue("taskmanagerid"))
		return
	}
	f.respond(w, r, http.StatusOK, body)
}
