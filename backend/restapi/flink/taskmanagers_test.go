package flink_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/flink"
)

// TestReadTaskManagers: the list and each one's details (through the
// spec-validated fake): memory, GC, heartbeat and the jobs of its slots;
// a job gets those with a slot of it; the fan-out cap is said.
func TestReadTaskManagers(t *testing.T) {
	f := seed()
	f.SetTaskManager(fakeapi.TaskManager{ID: hex32(0xf1), Host: "10.42.0.7:6122", Slots: 2, Jobs: []string{running, running}, HeapUsed: 1900 << 20, HeapMax: 2 << 30,
		DirectUsed: 60 << 20, Direct: 128 << 20, Managed: 512 << 20, YoungGCs: 40, YoungGCMs: 800, OldGCs: 2, OldGCMs: 300, Heartbeat: t0.Add(-3 * time.Second)})
	f.SetTaskManager(fakeapi.TaskManager{ID: hex32(0xf2), Host: "10.42.0.8:6122", Slots: 2, Jobs: []string{failing}, HeapUsed: 100 << 20, HeapMax: 2 << 30, Heartbeat: t0})
	c := serve(t, f)
	tms, more, err := c.TaskManagers(context.Background(), 8)
	if err != nil || more != 0 || len(tms) != 2 {
		t.Fatalf("%d TaskManagers, %d more, %v", len(tms), more, err)
	}
	tm := tms[0]
	if tm.Name() != "10.42.0.7:6122" || tm.Slots != 2 || tm.FreeSlots != 0 || tm.HeapUsed != 1900<<20 || tm.HeapMax != 2<<30 || tm.DirectUsed != 60<<20 ||
		tm.Direct != 128<<20 || tm.Managed != 512<<20 || !tm.Heartbeat.Equal(t0.Add(-3*time.Second)) || len(tm.Jobs) != 1 || tm.Jobs[0] != running {
		t.Errorf("TaskManager %+v", tm)
	}
	if len(tm.GC) != 2 || tm.GC[0] != (flink.GC{Name: "G1_Young_Generation", Count: 40, Time: 800 * time.Millisecond}) {
		t.Errorf("GC %+v", tm.GC)
	}
	var j flink.Job
	j.ID = running
	j.SetTaskManagers(tms, more, err)
	if len(j.TaskManagers) != 1 || j.TaskManagers[0].ID != hex32(0xf1) || j.TaskManagersErr != nil {
		t.Errorf("the job's: %+v %v", j.TaskManagers, j.TaskManagersErr)
	}
	tms, more, err = c.TaskManagers(context.Background(), 1)
	j.SetTaskManagers(tms, more, err)
	if more != 1 || j.TaskManagersErr == nil || !strings.Contains(j.TaskManagersErr.Error(), "1 of 2 TaskManagers not read (at most 1 are)") {
		t.Errorf("capped: %d more, %v", more, j.TaskManagersErr)
	}
	tms[0].Err = errors.New("500")
	j.SetTaskManagers(tms, 0, nil)
	if len(j.TaskManagers) != 0 || j.TaskManagersErr == nil || j.TaskManagersErr.Error() != "details of 1 of 2 TaskManagers unreadable: 500" {
		t.Errorf("unreadable details: %v", j.TaskManagersErr)
	}
}

func TestDecodeTaskManagersBadInput(t *testing.T) {
	if _, err := flink.DecodeTaskManagers("/taskmanagers", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "without taskmanagers") {
		t.Errorf("no list: %v", err)
	}
	var tm flink.TaskManager
	if err := flink.DecodeTaskManager("/taskmanagers/x", []byte(`{"id":"x"}`), &tm); err == nil || !strings.Contains(err.Error(), "without metrics") {
		t.Errorf("no metrics: %v", err)
	}
	if err := flink.DecodeTaskManager("/taskmanagers/x", []byte(`{"metrics":{"heapUsed":"a lot"}}`), &tm); err == nil {
		t.Error("a string heap")
	}
	if tm := (flink.TaskManager{ID: "tm-1", Path: "garbage"}); tm.Name() != "tm-1" {
		t.Errorf("name without a path: %q", tm.Name())
	}
	if _, ok := (&flink.TaskManager{HeapUsed: 5}).HeapShare(); ok {
		t.Error("a share without a maximum")
	}
}
