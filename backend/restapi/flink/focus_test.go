package flink_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/flink"
)

// TestReadRestartsAndHistory: numRestarts, the recent checkpoint history
// (newest first) and the subtask holding a vertex's minimum are read.
func TestReadRestartsAndHistory(t *testing.T) {
	f := seed()
	must(f.SetRestarts(running, 4))
	must(f.FailCheckpoint(running, fakeapi.Checkpoint{ID: 42, Trigger: t0.Add(-30 * time.Second), FailedAt: t0.Add(-20 * time.Second), Failure: "expired"}))
	cl, err := serve(t, f).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	j := cl.Jobs[1]
	if j.RestartsErr != nil || j.Restarts != (flink.Restarts{Known: true, Total: 4}) {
		t.Errorf("restarts %+v %v", j.Restarts, j.RestartsErr)
	}
	if r := cl.Jobs[0].Restarts; !r.Known || r.Total != 0 {
		t.Errorf("a job that never restarted: %+v", r)
	}
	c := j.Checkpoints
	if len(c.Recent) != 2 || c.Recent[0].ID != 42 || c.Recent[0].Status != "FAILED" || c.Recent[0].Failure != "expired" || c.Recent[1].Status != "COMPLETED" {
		t.Errorf("history %+v", c.Recent)
	}
	if failed, ended := c.RecentFailures(); failed != 1 || ended != 2 || !c.FailingNow() {
		t.Errorf("recent failures %d of %d, failing now %v", failed, ended, c.FailingNow())
	}
	if w := j.Vertices[1].Watermark; w.MinSubtask != 1 {
		t.Errorf("subtask behind %d, want 1 (90s behind)", w.MinSubtask)
	}
}

func TestDecodeRestarts(t *testing.T) {
	const path = "/jobs/x/metrics"
	cases := []struct {
		name, body string
		want       flink.Restarts
		err        string
	}{
		{"documented form", `{"metrics":[{"id":"numRestarts","value":"3"}]}`, flink.Restarts{Known: true, Total: 3}, ""},
		{"bare array as Flink sends it", `[{"id":"numRestarts","value":"0"}]`, flink.Restarts{Known: true}, ""},
		{"not reported", `{"metrics":[]}`, flink.Restarts{}, ""},
		{"negative", `[{"id":"numRestarts","value":"-1"}]`, flink.Restarts{}, "not a count"},
		{"without id", `[{"value":"1"}]`, flink.Restarts{}, "a metric without id"},
		{"malformed", `[{"id":`, flink.Restarts{}, "malformed JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := flink.DecodeRestarts(path, []byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}

// TestReadFocus: the exception history and the vertices' back-pressure of
// one job, with the fan-out capped; an absent /exceptions (older Flink)
// and a malformed sample stay next to what they concern.
func TestReadFocus(t *testing.T) {
	f := seed()
	must(f.Restart(running, fakeapi.Exception{Name: "java.lang.RuntimeException", At: t0.Add(-50 * time.Minute), Stack: "old"}))
	must(f.Restart(running, fakeapi.Exception{Name: "java.io.IOException", Task: "window-aggregate (2/3)", Location: "10.0.0.7:6122", TaskManager: "tm-1",
		At: t0.Add(-10 * time.Minute), Stack: "java.io.IOException: disk full\n\tat a.b(C.java:1)"}))
	must(f.SetBackPressure(running, hex32(2), fakeapi.Pressure{Ratio: []float64{0.1, 0.8, 0.3}, Busy: []float64{0.9, 1, 0.5}, Idle: []float64{0, 0, 0.2}}))
	c := serve(t, f)
	cl, err := c.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	j := &cl.Jobs[1]
	c.ReadFocus(context.Background(), j, flink.Focus{MaxVertices: 2})
	if j.ExceptionsErr != nil || len(j.Exceptions.Entries) != 2 {
		t.Fatalf("exceptions %+v %v", j.Exceptions, j.ExceptionsErr)
	}
	x := j.Exceptions.Entries[0]
	if x.Name != "java.io.IOException" || x.Task != "window-aggregate (2/3)" || x.Location != "10.0.0.7:6122" || x.TaskManager != "tm-1" || !x.Time.Equal(t0.Add(-10*time.Minute)) || !strings.HasPrefix(x.Stack, "java.io.IOException: disk full") {
		t.Errorf("latest exception %+v", x)
	}
	if n := j.Exceptions.Since(t0.Add(-time.Hour)); n != 2 {
		t.Errorf("%d in the hour", n)
	}
	bp := j.Vertices[1].BackPressure
	if bp == nil || bp.Err != nil || bp.Level != "high" || len(bp.Subtasks) != 3 || bp.Subtasks[1].Busy != 1 {
		t.Fatalf("back-pressure %+v", bp)
	}
	if i, r := bp.Worst(); i != 1 || r != 0.8 {
		t.Errorf("worst subtask %d at %g", i, r)
	}
	if j.Vertices[0].BackPressure == nil || j.Vertices[0].BackPressure.Level != "ok" {
		t.Errorf("first vertex %+v", j.Vertices[0].BackPressure)
	}
	if j.Vertices[2].BackPressure != nil {
		t.Error("the third vertex was sampled past the cap of 2")
	}

	t.Run("older Flink without exception history", func(t *testing.T) {
		f := seed()
		must(f.WithoutExceptionHistory(running))
		f.Inject("/jobs/"+running+"/vertices/"+hex32(3)+"/backpressure", fakeapi.Fault{Kind: fakeapi.Malformed})
		c := serve(t, f)
		cl, err := c.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		j := &cl.Jobs[1]
		c.ReadFocus(context.Background(), j, flink.Focus{})
		if j.ExceptionsErr == nil || !strings.Contains(j.ExceptionsErr.Error(), "404") || j.Exceptions != nil {
			t.Errorf("exceptions %+v %v", j.Exceptions, j.ExceptionsErr)
		}
		if bp := j.Vertices[2].BackPressure; bp == nil || bp.Err == nil || !strings.Contains(bp.Err.Error(), "malformed JSON") {
			t.Errorf("malformed sample %+v", bp)
		}
		if bp := j.Vertices[1].BackPressure; bp == nil || bp.Err != nil {
			t.Errorf("other vertex affected: %+v", bp)
		}
	})
}

func TestDecodeFocusBadInput(t *testing.T) {
	if _, err := flink.DecodeExceptions("/jobs/x/exceptions", []byte(`{"root-exception":"x"}`)); err == nil || !strings.Contains(err.Error(), "without exceptionHistory") {
		t.Errorf("no history: %v", err)
	}
	if _, err := flink.DecodeBackPressure("/b", []byte(`{"subtasks":[{"subtask":0,"ratio":1.5}]}`)); err == nil || !strings.Contains(err.Error(), "outside 0..1") {
		t.Errorf("ratio out of range: %v", err)
	}
	if _, err := flink.DecodeBackPressure("/b", []byte(`{"subtasks":[{"subtask":-1,"ratio":0.5}]}`)); err == nil || !strings.Contains(err.Error(), "index -1") {
		t.Errorf("negative index: %v", err)
	}
	if _, err := flink.DecodeBackPressure("/b", []byte(`{"subtasks":[{"subtask":"zero"}]}`)); err == nil || !strings.Contains(err.Error(), "field") {
		t.Errorf("wrong type: %v", err)
	}
}
