package session_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/session"
	"github.com/streamops/streamops/backend/usage"
)

// TestSessionWiresUsage: the session runs the usage monitor on the
// clients it is given and over the watcher's snapshots; without metrics
// clients or a connection to make them from (the demo's clients have no
// rest.Config), usage is Off, said in one line.
func TestSessionWiresUsage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given bool
		want  usage.State
	}{{"the demo's metrics", true, usage.OK}, {"no metrics client", false, usage.Off}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			p := demo.New(demo.Options{Seed: 1})
			cfg := session.Config{Clients: p.Clients(), Scope: p.Scope(), Logs: p.LogSource(), AuditPath: filepath.Join(t.TempDir(), "audit.jsonl")}
			if tc.given {
				cfg.Usage = usage.Config{Metrics: p.Metrics(), Summaries: p.Summaries()}
			}
			s, err := session.Start(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Watcher.WaitForSync(ctx); err != nil {
				t.Fatal(err)
			}
			s.Usage.Activate("test")
			for s.Usage.Latest().Metrics.State != tc.want {
				select {
				case <-ctx.Done():
					t.Fatalf("metrics state %v, want %v", s.Usage.Latest().Metrics, tc.want)
				case <-time.After(10 * time.Millisecond):
				}
			}
		})
	}
}
