package flink

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/restapi/fanout"
	"github.com/streamops/streamops/backend/restapi/wire"
)

// BackPressure is a vertex's back-pressure sample
// (/jobs/{id}/vertices/{vid}/backpressure). Flink samples on request: the
// first answer may say status "deprecated" with no subtasks yet.
type BackPressure struct {
	Level    string // ok, low or high (the worst subtask's)
	Status   string // ok, or deprecated while the sample is taken
	At       time.Time
	Subtasks []SubtaskPressure
	Err      error
}

// SubtaskPressure is one subtask's share of time back-pressured (Ratio),
// busy and idle, each 0..1.
type SubtaskPressure struct {
	Index             int32
	Level             string
	Ratio, Busy, Idle float64
}

// Worst is the subtask back-pressured the largest share of the time (the
// lowest index on a tie) and that share; -1, 0 without subtasks.
func (b *BackPressure) Worst() (int, float64) {
	idx, ratio := -1, 0.0
	for i, s := range b.Subtasks {
		if i == 0 || s.Ratio > ratio {
			idx, ratio = int(s.Index), s.Ratio
		}
	}
	return idx, ratio
}

// WorstSubtask is the sample of the subtask Worst names (zero without
// subtasks).
func (b *BackPressure) WorstSubtask() SubtaskPressure {
	i, _ := b.Worst()
	for _, s := range b.Subtasks {
		if int(s.Index) == i {
			return s
		}
	}
	return SubtaskPressure{}
}

// Exceptions is a job's exception history (/jobs/{id}/exceptions,
// exceptionHistory), newest first.
type Exceptions struct {
	Entries   []Exception
	Truncated bool // Flink kept fewer than happened
}

// Exception is one failure Flink handled (and restarted for, when the
// restart strategy allowed).
type Exception struct {
	Name        string // exception class
	Time        time.Time
	Task        string // task name, "" for a global failure
	Location    string // host:port of the TaskManager
	TaskManager string // its id
	Stack       string // the stack trace as sent (the pane folds it)
	Concurrent  int    // concurrent exceptions of the same failure
}

// Since counts the entries at or after t.
func (e *Exceptions) Since(t time.Time) int {
	n := 0
	for _, x := range e.Entries {
		if !x.Time.Before(t) {
			n++
		}
	}
	return n
}

type (
	subtaskBackPressureInfo struct {
		Subtask           int32   `json:"subtask"`
		BackpressureLevel string  `json:"backpressureLevel"`
		Ratio             float64 `json:"ratio"`
		BusyRatio         float64 `json:"busyRatio"`
		IdleRatio         float64 `json:"idleRatio"`
	}
	jobVertexBackPressureInfo struct {
		BackpressureLevel string                    `json:"backpressureLevel"`
		Status            string                    `json:"status"`
		EndTimestamp      int64                     `json:"end-timestamp"`
		Subtasks          []subtaskBackPressureInfo `json:"subtasks"`
	}
	exceptionInfo struct {
		ExceptionName string `json:"exceptionName"`
		Location      string `json:"location"`
		Stacktrace    string `json:"stacktrace"`
		TaskManagerID string `json:"taskManagerId"`
		TaskName      string `json:"taskName"`
		Timestamp     int64  `json:"timestamp"`
	}
	rootExceptionInfo struct {
		exceptionInfo
		ConcurrentExceptions []exceptionInfo `json:"concurrentExceptions"`
	}
	jobExceptionsInfoWithHistory struct {
		ExceptionHistory *struct {
			Entries   []rootExceptionInfo `json:"entries"`
			Truncated bool                `json:"truncated"`
		} `json:"exceptionHistory"`
	}
)

// DecodeBackPressure decodes /jobs/{id}/vertices/{vid}/backpressure.
func DecodeBackPressure(path string, body []byte) (*BackPressure, error) {
	var b jobVertexBackPressureInfo
	if err := wire.Decode(path, body, &b); err != nil {
		return nil, err
	}
	out := &BackPressure{Level: b.BackpressureLevel, Status: b.Status, At: ms(b.EndTimestamp)}
	for _, s := range b.Subtasks {
		if s.Subtask < 0 {
			return nil, &wire.DecodeError{Path: path, Err: fmt.Errorf("a subtask with index %d", s.Subtask)}
		}
		for _, r := range []float64{s.Ratio, s.BusyRatio, s.IdleRatio} {
			if r < 0 || r > 1 {
				return nil, &wire.DecodeError{Path: path, Err: fmt.Errorf("subtask %d has a ratio of %g, outside 0..1", s.Subtask, r)}
			}
		}
		out.Subtasks = append(out.Subtasks, SubtaskPressure{Index: s.Subtask, Level: s.BackpressureLevel, Ratio: s.Ratio, Busy: s.BusyRatio, Idle: s.IdleRatio})
	}
	return out, nil
}

// DecodeExceptions decodes /jobs/{id}/exceptions (its exceptionHistory;
// the deprecated first-level members are ignored).
func DecodeExceptions(path string, body []byte) (*Exceptions, error) {
	var e jobExceptionsInfoWithHistory
	if err := wire.Decode(path, body, &e); err != nil {
		return nil, err
	}
	if e.ExceptionHistory == nil {
		return nil, wire.Missing(path, "exceptionHistory", "the answer (Flink before 1.13 has none)")
	}
	out := &Exceptions{Truncated: e.ExceptionHistory.Truncated}
	for _, x := range e.ExceptionHistory.Entries {
		out.Entries = append(out.Entries, Exception{Name: strings.TrimSpace(x.ExceptionName), Time: ms(x.Timestamp), Task: x.TaskName,
			Location: x.Location, TaskManager: x.TaskManagerID, Stack: x.Stacktrace, Concurrent: len(x.ConcurrentExceptions)})
	}
	return out, nil
}

// Exceptions reads a job's exception history, at most max entries.
func (c *Client) Exceptions(ctx context.Context, jobID string, max int) (*Exceptions, error) {
	path := jobPath(jobID, "exceptions")
	body, err := c.get.Get(ctx, path, map[string][]string{"maxExceptions": {fmt.Sprint(max)}})
	if err != nil {
		return nil, err
	}
	return DecodeExceptions(path, body)
}

// BackPressure reads a vertex's back-pressure sample.
func (c *Client) BackPressure(ctx context.Context, jobID, vertexID string) (*BackPressure, error) {
	path := jobPath(jobID, "vertices", vertexID, "backpressure")
	body, err := c.get.Get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	return DecodeBackPressure(path, body)
}

// Focus bounds what is read for the job the user looks at.
type Focus struct {
	MaxExceptions int // entries asked for (default 10)
	MaxVertices   int // vertices whose back-pressure is sampled (default 16)
}

// ReadFocus reads, for one job the user looks at, its exception history
// and the back-pressure of its first MaxVertices vertices, into j. Every
// failure stays next to what it concerns.
func (c *Client) ReadFocus(ctx context.Context, j *Job, f Focus) {
	if f.MaxExceptions <= 0 {
		f.MaxExceptions = 10
	}
	if f.MaxVertices <= 0 {
		f.MaxVertices = 16
	}
	n := min(len(j.Vertices), f.MaxVertices)
	id := j.ID
	fanout.Run(1+n, c.Parallel, func(k int) {
		if k == 0 {
			j.Exceptions, j.ExceptionsErr = c.Exceptions(ctx, id, f.MaxExceptions)
			return
		}
		v := &j.Vertices[k-1]
		bp, err := c.BackPressure(ctx, id, v.ID)
		if err != nil {
			bp = &BackPressure{Err: err}
		}
		v.BackPressure = bp
	})
}
