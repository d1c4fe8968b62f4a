package scale

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/platform"
)

func TestConverged(t *testing.T) {
	bk := Step{Key: key(platform.BookKeeper, bkRef), Ref: bkRef, Expect: 5, Before: 3}
	tm := Step{Key: key(platform.FlinkTaskManager, flinkRef), Ref: flinkRef, Expect: 3, Before: 3, Redeploy: true}
	tests := []struct {
		name   string
		step   Step
		gen    int64
		mutate func(*platform.Snapshot, objects)
		done   bool
		prog   string
	}{
		{"spec not seen yet", bk, 2, func(*platform.Snapshot, objects) {}, false, "3/5 ready, 3 member(s), spec 3"},
		{"members coming", bk, 2, func(s *platform.Snapshot, _ objects) {
			c := s.Components[1]
			c.Desired = 5
			c.Members = append(c.Members, &platform.Member{Name: "bookkeeper-bookie-3", Phase: "Running"}, &platform.Member{Name: "bookkeeper-bookie-4", Phase: "Pending", Reason: "Unschedulable"})
		}, false, "3/5 ready, 5 member(s), spec 5; waiting for bookkeeper-bookie-3 not ready, bookkeeper-bookie-4 Unschedulable"},
		{"all ready", bk, 2, func(s *platform.Snapshot, _ objects) {
			c := s.Components[1]
			c.Desired, c.Members = 5, members("bk", 5, 5)
		}, true, "5/5 ready, 5 member(s), spec 5"},
		{"scale-down waits for the removed member to go", Step{Key: bk.Key, Ref: bkRef, Expect: 2, Before: 3}, 2, func(s *platform.Snapshot, _ objects) {
			c := s.Components[1]
			c.Desired = 2
			c.Members[2].Terminating = true
		}, false, "2/2 ready, 2 member(s), spec 2; waiting for bookkeeper-BookKeeper-2 terminating"},
		{"missing component", Step{Key: "x/y/ZooKeeper", Expect: 1}, 1, func(*platform.Snapshot, objects) {}, false, "x/y/ZooKeeper is not in the snapshot"},
		{"Flink redeploy not reconciled yet", tm, 2, func(*platform.Snapshot, objects) {}, false, "operator has not reconciled generation 2 (observed 1)"},
		{"Flink redeploy in progress", tm, 2, func(s *platform.Snapshot, o objects) {
			o["flinkdeployments/iot/sensors"].Object["status"] = map[string]any{"observedGeneration": int64(2)}
			s.Components[5].State = "DEPLOYED / job RECONCILING"
		}, false, "DEPLOYED / job RECONCILING"},
		{"Flink redeploy done", tm, 2, func(_ *platform.Snapshot, o objects) {
			o["flinkdeployments/iot/sensors"].Object["status"] = map[string]any{"observedGeneration": int64(2)}
		}, true, "3/3 ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, objs := platformFixture()
			tt.mutate(snap, objs)
			p, done := Converged(snap, tt.step, tt.gen, objs)
			if done != tt.done || !strings.Contains(p.String(), tt.prog) {
				t.Errorf("done %v %q, want %v %q", done, p, tt.done, tt.prog)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	bkKey := key(platform.BookKeeper, bkRef)
	tests := []struct {
		name     string
		mutate   func(after []*platform.Component)
		findings []LogFinding
		want     Status
		summary  string
		evidence string
	}{
		{"healthy", func([]*platform.Component) {}, []LogFinding{{Target: LogTarget{Pod: "b-0", Container: "bookie"}}}, Pass,
			"healthy: 3 member(s) ready, no restarts, no error lines in 1 container log(s)", ""},
		{"error lines warn with samples", func([]*platform.Component) {}, []LogFinding{{Target: LogTarget{Pod: "b-3", Container: "bookie"}, Errors: 2,
			Samples: []string{"ERROR Bookie - journal full"}}}, Warn, "2 error line(s)", "    ERROR Bookie - journal full"},
		{"unreadable logs warn", func([]*platform.Component) {}, []LogFinding{{Target: LogTarget{Pod: "b-3", Container: "bookie"}, Err: "forbidden"}}, Warn,
			"could not be read", "b-3/bookie: logs not read: forbidden"},
		{"a restart since the plan began fails", func(after []*platform.Component) {
			ct := &after[1].Members[0].Containers[0]
			ct.RestartCount, ct.Last = 1, &platform.Termination{Reason: "OOMKilled", ExitCode: 137}
		}, nil, Fail, "unhealthy: 1 container(s) restarted", "restarted 1 time(s) since the plan began, last OOMKilled (exit 137)"},
		{"a new member not ready fails", func(after []*platform.Component) {
			after[1].Members = append(after[1].Members, &platform.Member{Name: "b-3", Phase: "Running"})
		}, nil, Fail, "1 member(s) not ready", "✖ b-3 is not ready"},
		{"unchanged components are not judged", func(after []*platform.Component) {
			after[0].Members[0].Containers[0].RestartCount = 3
		}, nil, Pass, "healthy", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := platformFixture()
			after, _ := platformFixture()
			tt.mutate(after.Components)
			pc := Verdict(before.Components, after.Components, []string{bkKey}, tt.findings)
			ev := strings.Join(pc.Evidence, "\n")
			if pc.Verdict != tt.want || !strings.Contains(pc.Summary, tt.summary) || !strings.Contains(ev, tt.evidence) {
				t.Errorf("%s %q\n%s", pc.Verdict, pc.Summary, ev)
			}
		})
	}
}

// TestErrorLine: what the post-scale check counts as an error, one line
// per container so that each is judged on its own.
func TestErrorLine(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"2026-11-24 09:00:01,123 ERROR [main] BookieServer - Journal failed", true},
		{"java.lang.IllegalStateException: segment sealed", true},
		{`{"level":"error","msg":"boom"}`, true},
		{"time=2026-11-24T09:00:01Z level=error msg=boom", true},
		{"panic: runtime error: index out of range", true},
		{"INFO controller started, errors=0", false},
		{"WARN retrying connection", false},
	}
	src := cannedSource{}
	var targets []LogTarget
	for i, tt := range tests {
		pod := fmt.Sprintf("p%d", i)
		src[pod] = "2026-11-24T09:00:01Z " + tt.line + "\n"
		targets = append(targets, LogTarget{"ns", pod, "c"})
	}
	got, err := SourceScanner{Source: src}.Scan(context.Background(), targets, time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		if (got[i].Errors > 0) != tt.want {
			t.Errorf("%q: %d errors, want error %v", tt.line, got[i].Errors, tt.want)
		}
	}
}
