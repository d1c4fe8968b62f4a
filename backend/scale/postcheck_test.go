package scale_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/scale"
)

// unreadFirst is a log scanner whose first reads of a container fail as
// the kubelet's do for a container that has not written yet; after
// failures reads it finds clean logs.
type unreadFirst struct {
	failures int
	mu       sync.Mutex
	reads    map[string]int
}

func (u *unreadFirst) Scan(_ context.Context, targets []scale.LogTarget, _ time.Time) ([]scale.LogFinding, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]scale.LogFinding, len(targets))
	for i, t := range targets {
		u.reads[t.String()]++
		out[i] = scale.LogFinding{Target: t}
		if u.reads[t.String()] <= u.failures {
			out[i].Err = "container \"bookie\" in pod \"" + t.Pod + "\" is waiting to start: ContainerCreating"
		}
	}
	return out, nil
}

// TestPostCheckReadsUnreadLogsOnceMore: a container whose logs cannot be
// read right after its step converged is read once more before the
// verdict: healthy when the second read finds clean logs, a warning naming
// it when that one fails too, and never a third read.
func TestPostCheckReadsUnreadLogsOnceMore(t *testing.T) {
	for _, tc := range []struct {
		failures int
		verdict  scale.Status
		summary  string
	}{
		{1, scale.Pass, "healthy: 4 member(s) ready, no restarts, no error lines in 4 container log(s)"},
		{5, scale.Warn, "healthy, but 0 error line(s) in the logs and 4 container(s) whose logs could not be read"},
	} {
		logs := &unreadFirst{failures: tc.failures, reads: map[string]int{}}
		e := startDemo(t, "", func(c *scale.Config) { c.Logs, c.LogRetry = logs, 10*time.Millisecond })
		plan, pf, dry := e.check(t, scale.Change{Key: bk, Field: scale.Replicas, To: "4"})
		if !pf.Passed() || !dry[0].OK {
			t.Fatalf("checks %s %+v", failing(pf), dry)
		}
		out, _ := e.applyPlan(t, plan)
		if out.State != scale.Completed || out.Post == nil {
			t.Fatalf("%s: %s", out.State, out.Message)
		}
		if out.Post.Verdict != tc.verdict || out.Post.Summary != tc.summary {
			t.Errorf("failures %d: %s %q\n%s", tc.failures, out.Post.Verdict, out.Post.Summary, strings.Join(out.Post.Evidence, "\n"))
		}
		logs.mu.Lock()
		for c, n := range logs.reads {
			if n != 2 {
				t.Errorf("failures %d: %s read %d times, want 2", tc.failures, c, n)
			}
		}
		logs.mu.Unlock()
	}
}
