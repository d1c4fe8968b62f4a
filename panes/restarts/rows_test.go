package restarts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/platform"
)

var now = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func member(name, uid string, containers ...platform.Container) *platform.Member {
	return &platform.Member{Name: name, Namespace: "pravega", UID: uid, Phase: "Running", Node: "worker-1", Containers: containers}
}

func TestRows(t *testing.T) {
	oom := &platform.Termination{Reason: "OOMKilled", ExitCode: 137, StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-10 * time.Minute)}
	recent := &platform.Termination{Reason: "Error", ExitCode: 1, StartedAt: now.Add(-3 * time.Minute), FinishedAt: now.Add(-2 * time.Minute)}
	snap := &platform.Snapshot{Seq: 1,
		Components: []*platform.Component{
			{Kind: platform.BookKeeper, Cluster: "bookkeeper", Namespace: "pravega", Members: []*platform.Member{
				member("bk-0", "u0", platform.Container{Name: "bookie", State: platform.StateRunning}),
				member("bk-1", "u1",
					platform.Container{Name: "init-ledgers", Init: true, State: platform.StateTerminated, Reason: "Completed"},
					platform.Container{Name: "bookie", State: platform.StateRunning, RestartCount: 3, Last: oom}),
				member("bk-2", "u2", platform.Container{Name: "bookie", State: platform.StateWaiting, Reason: "CrashLoopBackOff", RestartCount: 3, Last: recent}),
			}},
			{Kind: platform.Other, Cluster: "backfill", Namespace: "pravega", Members: []*platform.Member{
				{Name: "backfill-x", Namespace: "pravega", UID: "u3", Phase: "Pending", Reason: "Unschedulable",
					Containers: []platform.Container{{Name: "job"}}},
			}},
		},
		Events: []platform.Event{ // newest first, as the watcher sorts them
			{Namespace: "pravega", Object: "Pod/bk-2", ObjectUID: "u2", FieldPath: "spec.containers{bookie}", Reason: "BackOff", Count: 9, Last: now.Add(-30 * time.Second)},
			{Namespace: "pravega", Object: "Pod/backfill-x", ObjectUID: "u3", Reason: "FailedScheduling", Count: 2, Last: now.Add(-time.Minute)},
			{Namespace: "pravega", Object: "Pod/bk-1", ObjectUID: "u1", FieldPath: "spec.containers{bookie}", Reason: "BackOff", Count: 3, Last: now.Add(-9 * time.Minute)},
			{Namespace: "pravega", Object: "Pod/bk-1", ObjectUID: "u1", Reason: "NodeNotReady", Count: 1, Last: now.Add(-20 * time.Minute)},
			{Namespace: "pravega", Object: "Pod/bk-0", ObjectUID: "old-uid", FieldPath: "spec.containers{bookie}", Reason: "Unhealthy", Count: 1, Last: now.Add(-2 * time.Hour)},
			{Namespace: "other", Object: "Pod/bk-0", Reason: "BackOff", Count: 1, Last: now},
		},
	}
	rows := Rows(snap)
	tests := []struct {
		key      string
		restarts int32
		state    string
		last     string
		events   string
	}{
		// three restarts each: the one that crashed last comes first
		{"pravega/bk-2/bookie", 3, "CrashLoopBackOff", "Error 1 2m ago", "BackOff×9"},
		{"pravega/bk-1/bookie", 3, "Running", "OOMKilled 137 10m ago", "BackOff×3 NodeNotReady×1"},
		// no restarts: troubled recently before quiet
		{"pravega/backfill-x/job", 0, "Pending: Unschedulable", "", "FailedScheduling×2"},
		{"pravega/bk-1/init-ledgers", 0, "Terminated: Completed", "", "NodeNotReady×1"},
		// the Unhealthy event is about an earlier pod of that name, the
		// BackOff one about another namespace
		{"pravega/bk-0/bookie", 0, "Running", "", ""},
	}
	if len(rows) != len(tests) {
		t.Fatalf("%d rows, want %d", len(rows), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			r := rows[i]
			var ev []string
			for _, e := range r.Events {
				ev = append(ev, fmt.Sprintf("%s×%d", e.Reason, e.Count))
			}
			got := []string{r.Key(), fmt.Sprint(r.Restarts), r.StateText(), r.LastText(now), strings.Join(ev, " ")}
			want := []string{tt.key, fmt.Sprint(tt.restarts), tt.state, tt.last, tt.events}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("row %d = %q, want %q", i, got, want)
			}
		})
	}
}

func TestExitText(t *testing.T) {
	tests := []struct {
		exit, signal int32
		want         string
	}{
		{1, 0, "exit 1"},
		{137, 0, "exit 137 (SIGKILL)"},
		{143, 15, "exit 143 (SIGTERM)"},
		{139, 0, "exit 139 (SIGSEGV)"},
		{0, 0, "exit 0"},
		{158, 0, "exit 158 (signal 30)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := ExitText(&platform.Termination{ExitCode: tt.exit, Signal: tt.signal}); got != tt.want {
				t.Errorf("got %q", got)
			}
		})
	}
}
