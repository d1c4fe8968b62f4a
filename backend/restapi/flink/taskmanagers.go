package flink

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/restapi/fanout"
	"github.com/streamops/streamops/backend/restapi/wire"
)

// TaskManager is one TaskManager (/taskmanagers, /taskmanagers/{id}):
// its slots, memory and garbage collection, and the jobs it has slots of.
type TaskManager struct {
	ID, Path         string
	Slots, FreeSlots int32
	// Heartbeat is when the ResourceManager last heard from it (Flink's
	// timeSinceLastHeartbeat is that moment in epoch ms, despite the
	// name); zero when not reported.
	Heartbeat          time.Time
	HeapUsed, HeapMax  int64 // bytes; HeapMax 0: not known
	DirectUsed, Direct int64 // direct buffers used, and their maximum
	Managed            int64 // configured managed memory
	GC                 []GC
	Jobs               []string // ids of the jobs with a slot on it
	Err                error    // its details could not be read
}

// GC is one garbage collector's count and accumulated time.
type GC struct {
	Name  string
	Count int64
	Time  time.Duration
}

// Name is how the TaskManager is named to people: the host:port of its
// RPC path when there is one ("10.42.0.7:6122"), else its id.
func (t *TaskManager) Name() string {
	p := t.Path
	if i := strings.LastIndexByte(p, '@'); i >= 0 {
		p = p[i+1:]
		if j := strings.IndexByte(p, '/'); j > 0 {
			return p[:j]
		}
	}
	return t.ID
}

// HeapShare is the share of its maximum heap in use, false when the
// maximum is not known.
func (t *TaskManager) HeapShare() (float64, bool) {
	if t.HeapMax <= 0 || t.Err != nil {
		return 0, false
	}
	return float64(t.HeapUsed) / float64(t.HeapMax), true
}

type (
	taskManagerInfo struct {
		ID                     string `json:"id"`
		Path                   string `json:"path"`
		SlotsNumber            int32  `json:"slotsNumber"`
		FreeSlots              int32  `json:"freeSlots"`
		TimeSinceLastHeartbeat int64  `json:"timeSinceLastHeartbeat"`
		MemoryConfiguration    *struct {
			ManagedMemory int64 `json:"managedMemory"`
		} `json:"memoryConfiguration"`
	}
	taskManagersInfo struct {
		TaskManagers *[]taskManagerInfo `json:"taskmanagers"`
	}
	taskManagerDetailsInfo struct {
		taskManagerInfo
		AllocatedSlots []struct {
			JobID string `json:"jobId"`
		} `json:"allocatedSlots"`
		Metrics *struct {
			HeapUsed          int64 `json:"heapUsed"`
			HeapMax           int64 `json:"heapMax"`
			DirectUsed        int64 `json:"directUsed"`
			DirectMax         int64 `json:"directMax"`
			GarbageCollectors []struct {
				Name  string `json:"name"`
				Count int64  `json:"count"`
				Time  int64  `json:"time"`
			} `json:"garbageCollectors"`
		} `json:"metrics"`
	}
)

func (i *taskManagerInfo) into(t *TaskManager) {
	t.ID, t.Path, t.Slots, t.FreeSlots = i.ID, i.Path, i.SlotsNumber, i.FreeSlots
	if i.TimeSinceLastHeartbeat > 0 {
		t.Heartbeat = ms(i.TimeSinceLastHeartbeat)
	}
	if c := i.MemoryConfiguration; c != nil {
		t.Managed = c.ManagedMemory
	}
}

// DecodeTaskManagers decodes /taskmanagers.
func DecodeTaskManagers(path string, body []byte) ([]TaskManager, error) {
	var l taskManagersInfo
	if err := wire.Decode(path, body, &l); err != nil {
		return nil, err
	}
	if l.TaskManagers == nil {
		return nil, wire.Missing(path, "taskmanagers", "the answer")
	}
	out := make([]TaskManager, len(*l.TaskManagers))
	for i := range *l.TaskManagers {
		(*l.TaskManagers)[i].into(&out[i])
	}
	return out, nil
}

// DecodeTaskManager decodes /taskmanagers/{id} into t.
func DecodeTaskManager(path string, body []byte, t *TaskManager) error {
	var d taskManagerDetailsInfo
	if err := wire.Decode(path, body, &d); err != nil {
		return err
	}
	if d.Metrics == nil {
		return wire.Missing(path, "metrics", "the answer")
	}
	d.into(t)
	m := d.Metrics
	t.HeapUsed, t.HeapMax, t.DirectUsed, t.Direct = m.HeapUsed, m.HeapMax, m.DirectUsed, m.DirectMax
	t.GC = t.GC[:0]
	for _, g := range m.GarbageCollectors {
		t.GC = append(t.GC, GC{Name: g.Name, Count: g.Count, Time: time.Duration(g.Time) * time.Millisecond})
	}
	t.Jobs = t.Jobs[:0]
	for _, s := range d.AllocatedSlots {
		if s.JobID != "" && !slices.Contains(t.Jobs, s.JobID) {
			t.Jobs = append(t.Jobs, s.JobID)
		}
	}
	return nil
}

// TaskManagers reads the cluster's TaskManagers and the details of the
// first max of them (the fan-out is capped); a TaskManager whose details
// fail keeps its error. More reports how many were not detailed.
func (c *Client) TaskManagers(ctx context.Context, max int) (tms []TaskManager, more int, err error) {
	const path = "/taskmanagers"
	body, err := c.get.Get(ctx, path, nil)
	if err != nil {
		return nil, 0, err
	}
	if tms, err = DecodeTaskManagers(path, body); err != nil {
		return nil, 0, err
	}
	n := min(len(tms), max)
	fanout.Run(n, c.Parallel, func(i int) {
		t := &tms[i]
		p := "/taskmanagers/" + url.PathEscape(t.ID)
		b, err := c.get.Get(ctx, p, nil)
		if err == nil {
			err = DecodeTaskManager(p, b, t)
		}
		t.Err = err
	})
	return tms, len(tms) - n, nil
}

// SetTaskManagers gives the job the TaskManagers with a slot of it, from
// what TaskManagers read: its error, or how many TaskManagers' details
// failed (whose jobs are then unknown) or were not read (more).
func (j *Job) SetTaskManagers(tms []TaskManager, more int, err error) {
	j.TaskManagers, j.TaskManagersErr = nil, err
	failed := 0
	for _, t := range tms {
		switch {
		case t.Err != nil:
			if failed++; j.TaskManagersErr == nil {
				j.TaskManagersErr = t.Err
			}
		case slices.Contains(t.Jobs, j.ID):
			j.TaskManagers = append(j.TaskManagers, t)
		}
	}
	switch {
	case failed > 0:
		j.TaskManagersErr = fmt.Errorf("details of %d of %d TaskManagers unreadable: %w", failed, len(tms), j.TaskManagersErr)
	case more > 0 && err == nil:
		j.TaskManagersErr = fmt.Errorf("%d of %d TaskManagers not read (at most %d are)", more, len(tms), len(tms)-more)
	}
}
