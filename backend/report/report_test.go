package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi/flink"
)

var now = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

func sample() Input {
	bookie := &platform.Member{Name: "bookkeeper-bookie-2", Namespace: "pravega", Node: "worker-3", Phase: "Running", Reason: "CrashLoopBackOff",
		Created: now.Add(-2 * time.Hour), Restarts: 4,
		Containers: []platform.Container{{Name: "bookie", RestartCount: 4, State: platform.StateWaiting, Reason: "CrashLoopBackOff",
			Last: &platform.Termination{Reason: "OOMKilled", ExitCode: 137, StartedAt: now.Add(-5 * time.Minute), FinishedAt: now.Add(-3 * time.Minute)}}}}
	ok := &platform.Member{Name: "bookkeeper-bookie-0", Namespace: "pravega", Node: "worker-1", Phase: "Running", Ready: true, Created: now.Add(-2 * time.Hour),
		Containers: []platform.Container{{Name: "bookie", Ready: true, State: platform.StateRunning}}}
	s := &platform.Snapshot{
		Seq: 3,
		Components: []*platform.Component{
			{Kind: platform.BookKeeper, Cluster: "bookkeeper", Namespace: "pravega", Desired: 2, Ready: 1, HasSpec: true, Version: "0.13.0",
				Health: platform.Degraded, Reason: "1/2 ready; bookkeeper-bookie-2 CrashLoopBackOff", Members: []*platform.Member{ok, bookie}},
			{Kind: platform.ZooKeeper, Cluster: "zk|pipe", Namespace: "pravega", Desired: 3, Ready: 3, HasSpec: true, Health: platform.Ready},
		},
		Events: []platform.Event{{Namespace: "pravega", Object: "Pod/bookkeeper-bookie-2", Reason: "BackOff", Count: 7, Last: now.Add(-time.Minute),
			Message: "Back-off restarting failed container bookie\nsecond line | with pipe"}},
		Syncs: []platform.SyncState{{Resource: "nodes", Phase: platform.Failing, Reason: "forbidden: User \"oncall\" cannot list nodes"}},
	}
	job := flink.Job{Name: "sensor-aggregation", State: "RUNNING",
		Vertices: []flink.Vertex{
			{Name: "Source: pravega", Watermark: flink.Watermark{Subtasks: 2, Millis: now.Add(-4 * time.Second).UnixMilli(), Read: true}},
			{Name: "Window(10s)", Watermark: flink.Watermark{Subtasks: 2, Millis: now.Add(-95 * time.Second).UnixMilli(), Read: true}},
		},
		Checkpoints: &flink.Checkpoints{Completed: 120, Failed: 3,
			LatestFailure: &flink.Failure{Failed: now.Add(-2 * time.Minute), Message: "Checkpoint expired before completing."}}}
	return Input{
		Now: now, Context: "prod-east", Scope: "pravega", User: "oncall@example.com", Snapshot: s,
		ErrorLines: map[string][]string{"pravega/bookkeeper-bookie-2": {
			"2026-11-24 09:26:58 ERROR Bookie - Error while writing ``` journal",
			"java.lang.OutOfMemoryError: Direct buffer memory",
		}},
		Flink: []FlinkState{
			{Namespace: "iot-analytics", Cluster: "sensor-aggregation", State: &flink.Cluster{Jobs: []flink.Job{job}}},
			{Namespace: "fraud-detection", Cluster: "fraud-scoring", Err: errors.New("Get \"/overview\": context deadline exceeded")},
		},
	}
}

func TestMarkdownGolden(t *testing.T) {
	golden.RequireEqual(t, Markdown(sample()))
}

func TestMarkdownIsSafe(t *testing.T) {
	md := Markdown(sample())
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(line, " | ")+2 != strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") {
			t.Errorf("unescaped pipe breaks the table: %q", line)
		}
	}
	if !strings.Contains(md, "````\n2026-11-24 09:26:58 ERROR Bookie - Error while writing ``` journal") {
		t.Error("a fence in a log line must lengthen the code fence")
	}
	if strings.Contains(md, "\nsecond line") {
		t.Error("a newline in an event message broke its row")
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	in := sample()
	in.Context = "../../etc/passwd"
	path, err := Write(dir, in)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != dir || !strings.HasPrefix(filepath.Base(path), "triage-.._.._etc_passwd-20261124-093000") {
		t.Errorf("path %s escapes or is unexpected", path)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", st.Mode(), err)
	}
}

// TestPendingUnschedulableIsNotReady: a Job's pod that the scheduler
// cannot place, assessed as the watcher assesses every component, is
// listed under the members not ready and its component is never "Ready".
func TestPendingUnschedulableIsNotReady(t *testing.T) {
	pod := &platform.Member{Name: "fraud-scoring-backfill-29110560-d7w5n", Namespace: "fraud-detection", Phase: "Pending", Reason: "Unschedulable",
		Owner: "Job/fraud-scoring-backfill-29110560", Created: now.Add(-14 * time.Minute),
		Containers: []platform.Container{{Name: "backfill", State: platform.StateWaiting}}}
	c := &platform.Component{Kind: platform.Other, Cluster: "fraud-scoring-backfill-29110560", Namespace: "fraud-detection", Members: []*platform.Member{pod}}
	operator.Assess(c)
	out := Markdown(Input{Now: now, Snapshot: &platform.Snapshot{Seq: 1, Components: []*platform.Component{c}}})
	var row string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "| Other | fraud-scoring-backfill-29110560 |") {
			row = l
		}
	}
	if row == "" {
		t.Fatalf("no component row:\n%s", out)
	}
	if strings.Contains(row, "Ready") || !strings.Contains(row, "✖ Failed") || !strings.Contains(row, "Unschedulable") {
		t.Errorf("component row %q, want it Failed with the cause", row)
	}
	if !strings.Contains(out, "| Other | fraud-detection/fraud-scoring-backfill-29110560-d7w5n | Pending Unschedulable |") {
		t.Errorf("the pod is not under members not ready:\n%s", out)
	}
}
