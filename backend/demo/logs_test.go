package demo_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/watch"
)

// troubled returns a settled demo platform an hour later, in trouble.
func troubled(t *testing.T) (*demo.Platform, *clocktesting.FakeClock) {
	t.Helper()
	ctx := t.Context()
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 200); err != nil {
		t.Fatal(err)
	}
	fc.Step(time.Hour)
	if err := p.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Troubles(ctx); err != nil {
		t.Fatal(err)
	}
	return p, fc
}

func readAll(t *testing.T, rc io.ReadCloser) []string {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

var ss0 = logs.Target{Namespace: demo.StoreNamespace, Pod: "pravega-pravega-segment-store-0", Container: "pravega-segmentstore"}

func TestLogSourceHistory(t *testing.T) {
	p, fc := troubled(t)
	src := p.LogSource()
	open := func(tg logs.Target, o logs.StreamOptions) []string {
		rc, err := src.Open(t.Context(), tg, o)
		if err != nil {
			t.Fatal(err)
		}
		return readAll(t, rc)
	}
	first := open(ss0, logs.StreamOptions{TailLines: 5})
	if len(first) != 5 {
		t.Fatalf("tail 5: %d lines:\n%s", len(first), strings.Join(first, "\n"))
	}
	for _, l := range first {
		ts, err := time.Parse(time.RFC3339Nano, l[:strings.IndexByte(l, ' ')])
		if err != nil {
			t.Fatalf("no timestamp: %q", l)
		}
		if ts.After(fc.Now()) {
			t.Fatalf("line from the future: %q", l)
		}
		if !strings.Contains(l, "i.p.s.") {
			t.Errorf("not a segment store line: %q", l)
		}
	}
	if again := open(ss0, logs.StreamOptions{TailLines: 5}); strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Fatal("the same request gave different lines")
	}
	since := fc.Now().Add(-30 * time.Second)
	for _, o := range []logs.StreamOptions{{SinceTime: since, TailLines: -1}, {SinceSeconds: 30, TailLines: -1}} {
		lines := open(ss0, o)
		if len(lines) < 20 || len(lines) > 80 {
			t.Fatalf("%+v: %d lines in 30s", o, len(lines))
		}
		for _, l := range lines {
			ts, _ := time.Parse(time.RFC3339Nano, l[:strings.IndexByte(l, ' ')])
			if ts.Before(since.Truncate(time.Second)) {
				t.Fatalf("line before since: %q", l)
			}
		}
	}
	all := open(ss0, logs.StreamOptions{TailLines: -1})
	if len(all) < 1000 || !strings.Contains(all[0], "Initializing metrics provider") {
		t.Fatalf("whole log: %d lines, first %q", len(all), all[0])
	}
	// an error with its stack trace turns up in an hour of segment store log
	if !strings.Contains(strings.Join(all, "\n"), " ERROR ") || !strings.Contains(strings.Join(all, "\n"), "\tat io.pravega") {
		t.Error("no error with a stack trace in an hour")
	}
}

func TestLogSourcePreviousAndWaiting(t *testing.T) {
	p, _ := troubled(t)
	src := p.LogSource()
	tests := []struct {
		name   string
		target logs.Target
		prev   bool
		last   string // in the last line
		err    string
	}{
		{"OOMKilled bookie ends with GC trouble", logs.Target{Namespace: "pravega", Pod: "bookkeeper-bookie-1", Container: "bookie"}, true, "G1 Humongous Allocation", ""},
		{"crashed segment store ends with its exit", logs.Target{Namespace: "pravega", Pod: "pravega-pravega-segment-store-2", Container: "pravega-segmentstore"}, true, "exit code 1", ""},
		{"SIGTERM taskmanager", logs.Target{Namespace: "fraud-detection", Pod: "fraud-scoring-taskmanager-1-2", Container: "flink-main-container"}, true, "exit code 143", ""},
		{"Go panic", logs.Target{Namespace: "pravega", Pod: "pravega-tier2-sync-6d5f8b7c9-q8v2m", Container: "sync"}, true, "main.go:61", ""},
		{"no previous instance", ss0, true, "", "previous terminated container"},
		{"image pull", logs.Target{Namespace: "iot-analytics", Pod: "sensor-replay-5c8d7b9f4-x2x7q", Container: "replay"}, false, "", "is waiting to start: ImagePullBackOff"},
		{"crash loop now", logs.Target{Namespace: "pravega", Pod: "pravega-tier2-sync-6d5f8b7c9-q8v2m", Container: "sync"}, false, "", "is waiting to start: CrashLoopBackOff"},
		{"no such container", logs.Target{Namespace: "pravega", Pod: "bookkeeper-bookie-1", Container: "nope"}, false, "", "not valid"},
		{"no such pod", logs.Target{Namespace: "pravega", Pod: "nope", Container: "x"}, false, "", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := src.Open(t.Context(), tt.target, logs.StreamOptions{Previous: tt.prev, TailLines: 20})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				if !apierrors.IsBadRequest(err) && !apierrors.IsNotFound(err) {
					t.Fatalf("err %v is not an API error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := readAll(t, rc)
			if last := lines[len(lines)-1]; !strings.Contains(last, tt.last) {
				t.Fatalf("last line %q, want %q in it", last, tt.last)
			}
		})
	}
}

// TestLogSourceFollow follows a container as the clock moves, until it
// restarts: the stream ends as the kubelet's does.
func TestLogSourceFollow(t *testing.T) {
	p, fc := troubled(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	tg := logs.Target{Namespace: "pravega", Pod: "pravega-tier2-sync-6d5f8b7c9-q8v2m", Container: "sync"}
	// the crash loop starts the container 40s after the troubles began
	var rc io.ReadCloser
	for i := 0; i < 60; i++ {
		fc.Step(time.Second)
		if err := p.Step(ctx); err != nil {
			t.Fatal(err)
		}
		var err error
		if rc, err = p.LogSource().Open(ctx, tg, logs.StreamOptions{Follow: true, TailLines: -1}); err == nil {
			break
		}
		if !strings.Contains(err.Error(), "CrashLoopBackOff") {
			t.Fatal(err)
		}
	}
	if rc == nil {
		t.Fatal("the crash loop never started the container")
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(rc)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	got := 0
	ended := false
	for i := 0; i < 40 && !ended; i++ {
		fc.Step(500 * time.Millisecond)
		if err := p.Step(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(200 * time.Millisecond)
	drain:
		for {
			select {
			case _, ok := <-lines:
				if !ok {
					ended = true
					break drain
				}
				got++
			case <-deadline:
				break drain
			}
		}
	}
	if got < 3 || !ended {
		t.Fatalf("%d lines, ended %v", got, ended)
	}
}

// TestTroubles checks what the watcher sees of the troubles: restart
// counts, states, last terminations and the Warning events of each
// container.
func TestTroubles(t *testing.T) {
	p, fc := troubled(t)
	ctx := t.Context()
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	var snap *platform.Snapshot
	sub := w.Subscribe(ctx)
	find := func(pod, container string) (*platform.Member, *platform.Container) {
		for _, c := range snap.Components {
			for _, m := range c.Members {
				if m.Name != pod {
					continue
				}
				for i := range m.Containers {
					if m.Containers[i].Name == container {
						return m, &m.Containers[i]
					}
				}
			}
		}
		return nil, nil
	}
	tests := []struct {
		pod, container string
		restarts       int32
		state, last    string
		event          string
	}{
		{"bookkeeper-bookie-1", "bookie", 3, "Running", "OOMKilled", "BackOff"},
		{"pravega-pravega-segment-store-2", "pravega-segmentstore", 1, "Running", "Error", "BackOff"},
		{"fraud-scoring-taskmanager-1-2", "flink-main-container", 1, "Running", "Error", "Unhealthy"},
		{"pravega-tier2-sync-6d5f8b7c9-q8v2m", "sync", 7, "CrashLoopBackOff", "Error", "BackOff"},
		{"sensor-replay-5c8d7b9f4-x2x7q", "replay", 0, "ImagePullBackOff", "", "Failed"},
		{"fraud-rules-loader-7f6c9d8b5-m4k9t", "fetch-rules", 0, "CreateContainerConfigError", "", "Failed"},
		{"fraud-scoring-backfill-29110560-d7w5n", "backfill", 0, "Unknown", "", "FailedScheduling"},
	}
	deadline := time.After(10 * time.Second)
	for {
		snap = w.Snapshot()
		if m, _ := find("fraud-scoring-backfill-29110560-d7w5n", "backfill"); m != nil && len(snap.EventsFor(demo.ProjectFraud, "Pod/"+m.Name)) > 0 {
			break
		}
		select {
		case <-sub:
		case <-deadline:
			t.Fatal("troubles never showed")
		}
	}
	for _, tt := range tests {
		t.Run(tt.pod, func(t *testing.T) {
			m, c := find(tt.pod, tt.container)
			if c == nil {
				t.Fatal("not found")
			}
			state := c.State.String()
			if c.Reason != "" && c.State == platform.StateWaiting {
				state = c.Reason
			}
			last := ""
			if c.Last != nil {
				last = c.Last.Reason
			}
			if c.RestartCount != tt.restarts || state != tt.state || last != tt.last {
				t.Errorf("restarts %d state %s last %q, want %d %s %q", c.RestartCount, state, last, tt.restarts, tt.state, tt.last)
			}
			found := false
			for _, e := range snap.EventsFor(m.Namespace, "Pod/"+m.Name) {
				found = found || e.Reason == tt.event
			}
			if !found {
				t.Errorf("no %s event", tt.event)
			}
		})
	}
}
