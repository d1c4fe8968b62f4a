package session_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/session"
)

func startDemo(t *testing.T, ro *guard.Switch, log *slog.Logger) (context.Context, *session.Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	p := demo.New(demo.Options{Seed: 1, Interval: 10 * time.Millisecond, Speed: 40})
	endpoints, err := p.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.Start(ctx, session.Config{
		Clients: p.Clients(), Scope: p.Scope(), ReadOnly: ro,
		Streams:   restapi.Config{Overrides: endpoints, Credentials: p.CredentialSources(), Secrets: p.Clients().Typed, Interval: 50 * time.Millisecond},
		Logs:      p.LogSource(),
		AuditPath: filepath.Join(t.TempDir(), "audit.jsonl"),
		Errors:    p.Errors(),
		Log:       log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	s.Go("the demo platform", func(ctx context.Context) { _ = p.Run(ctx) })
	return ctx, s
}

// TestSessionOnTheDemo: the services follow the watcher by themselves —
// the REST monitor finds the platform's clusters from the snapshots with
// no pane handing it one — and the read-only switch given to the session
// is the one its scale engine refuses by.
func TestSessionOnTheDemo(t *testing.T) {
	ro := guard.New(false)
	ctx, s := startDemo(t, ro, nil)
	if err := s.Watcher.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	s.Streams.Activate()
	deadline := time.After(30 * time.Second)
	for {
		r := s.Streams.Latest()
		if len(r.Pravega) > 0 && len(r.Flink) > 0 && r.Pravega[0].Inventory != nil {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("the monitor never read the platform's clusters: %+v", s.Streams.Latest())
		case <-time.After(20 * time.Millisecond):
		}
	}

	var bk *platform.Component
	for bk == nil {
		for _, c := range s.Watcher.Snapshot().Components {
			if c.Kind == platform.BookKeeper && c.Health == platform.Ready {
				bk = c
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("no ready BookKeeper")
		case <-time.After(20 * time.Millisecond):
		}
	}
	plan, err := s.Scale.Plan(ctx, []scale.Change{{Key: bk.Key(), Field: scale.Replicas, To: "4"}})
	if err != nil {
		t.Fatal(err)
	}
	ro.Set()
	if _, err := s.Scale.DryRun(ctx, plan.ID); !errors.Is(err, guard.ErrReadOnly) {
		t.Fatalf("dry run after the switch: %v", err)
	}
	if !s.Scale.ReadOnly() {
		t.Fatal("the engine does not see the session's switch")
	}
}

// TestGoTurnsAPanicIntoAnErrorEvent: a panic in a session goroutine is
// one line on Errors and a logged stack, not the end of the program.
func TestGoTurnsAPanicIntoAnErrorEvent(t *testing.T) {
	var logged bytes.Buffer
	_, s := startDemo(t, nil, slog.New(slog.NewTextHandler(&syncWriter{w: &logged}, nil)))
	s.Go("the injected part", func(context.Context) { panic("injected") })
	select {
	case err := <-s.Errors():
		if err.Error() != "internal error in the injected part: injected" {
			t.Errorf("error event %q", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no error event")
	}
	if out := logged.String(); !strings.Contains(out, "panic recovered") || !strings.Contains(out, "goroutine") {
		t.Errorf("the stack was not logged: %s", out)
	}
}

func TestStartNeedsClientsAndAnAuditPath(t *testing.T) {
	if _, err := session.Start(context.Background(), session.Config{}); err == nil {
		t.Fatal("started without clients")
	}
	p := demo.New(demo.Options{Seed: 1})
	if _, err := session.Start(context.Background(), session.Config{Clients: p.Clients()}); err == nil {
		t.Fatal("started without an audit log")
	}
}

// syncWriter serialises the log handler's writes with the test's read.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
