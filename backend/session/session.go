// Package session assembles the backend of one console on one cluster —
// or on the demo platform, behind the same client-go interfaces: the
// read-only guard, the watcher, and the services that subscribe to its
// snapshots (the REST monitor, the log engine, the project-members
// follower, the scale engine), with the audit log and one channel for
// every internal failure. cmd/streamops runs it under the console; the
// tests and the benchmark harness run the same assembly.
//
// Data flows one way: the watcher publishes snapshots, each service
// subscribes for itself, and the UI only tells a service what the user
// does or sees.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/backend/watch"
)

// Config is what differs between a real cluster and the demo.
type Config struct {
	Clients *kube.Clients
	Scope   kube.Scope
	// ReadOnly is the console's read-only switch; it outlives a session
	// (a context switch keeps it). Nil: a switch that starts off.
	ReadOnly *guard.Switch
	// Streams configures the REST monitor; Snapshots and Log are filled in.
	Streams restapi.Config
	// Logs is where container logs come from (default: the pods/log API
	// through Clients.Logs, or Clients.Typed).
	Logs      logs.Source
	LogLimit  int    // lines the log buffer keeps (default logs.DefaultLimit)
	AuditPath string // the audit log file (required, unless Reader)
	// Reader starts a session that only reads, for the commands
	// (status, report, logs): no audit log is opened or created, and
	// there is no scale engine or project members watch to write with.
	Reader bool
	// Usage configures the usage monitor; Scope, Snapshots and Log are
	// filled in. Without Metrics and Summaries they are made for the
	// cluster's connection (usage.ClientsFor on the guarded clients); the
	// demo hands its own.
	Usage usage.Config
	// StepTimeout bounds one scale step (default: the engine's).
	StepTimeout time.Duration
	// Errors are internal failures of something besides the session's
	// own services (the demo's simulator), for the status bar.
	Errors <-chan error
	Log    *slog.Logger
}

// Session is the running backend.
type Session struct {
	ReadOnly *guard.Switch
	Clients  *kube.Clients // guarded by ReadOnly
	Scope    kube.Scope
	Watcher  *watch.Watcher
	Streams  *restapi.Monitor
	Members  *access.Follower // nil in a Reader session
	Reviewer *access.Reviewer // nil in a Reader session
	Logs     *logs.Engine
	Scale    *scale.Engine // nil in a Reader session
	Usage    *usage.Monitor
	Audit    *audit.Log // nil in a Reader session

	log    *slog.Logger
	errs   chan error
	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
}

// Start starts the watcher and every service under ctx. Close stops them.
func Start(ctx context.Context, cfg Config) (*Session, error) {
	if cfg.Clients == nil {
		return nil, errors.New("session: no clients")
	}
	if cfg.AuditPath == "" && !cfg.Reader {
		return nil, errors.New("session: no audit log path")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ReadOnly == nil {
		cfg.ReadOnly = guard.New(false)
	}
	clients, err := guard.Clients(cfg.ReadOnly, cfg.Clients)
	if err != nil {
		return nil, err
	}
	if cfg.Logs == nil {
		lc := clients.Logs
		if lc == nil {
			lc = clients.Typed
		}
		cfg.Logs = logs.KubeSource{Client: lc}
	}
	var auditLog *audit.Log
	if !cfg.Reader {
		if auditLog, err = audit.Open(cfg.AuditPath); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Session{ReadOnly: cfg.ReadOnly, Clients: clients, Scope: cfg.Scope, Audit: auditLog,
		log: cfg.Log, errs: make(chan error, 16), ctx: ctx, cancel: cancel}
	fail := func(err error) (*Session, error) {
		_ = s.Close()
		return nil, err
	}
	s.Watcher = watch.New(watch.Config{Clients: clients, Scope: cfg.Scope, Log: cfg.Log})
	if err := s.Watcher.Start(ctx); err != nil {
		return fail(err)
	}
	s.forward(ctx, s.Watcher.Errors())
	if cfg.Errors != nil {
		s.forward(ctx, cfg.Errors)
	}

	streams := cfg.Streams
	streams.Snapshots, streams.Log = s.Watcher, cfg.Log
	s.Streams = restapi.NewMonitor(streams)
	s.Go("the REST monitor", func(ctx context.Context) { _ = s.Streams.Run(ctx) })

	if !cfg.Reader {
		s.Members = access.NewFollower(access.NewMemberWatcher(clients.Typed, cfg.Log), s.Watcher)
		s.Go("the project members watch", s.Members.Run)
		s.Reviewer = access.NewReviewer(clients.Typed)
	}

	s.Logs = logs.New(logs.Config{Source: cfg.Logs, Snapshots: s.Watcher, Limit: cfg.LogLimit, Log: cfg.Log})
	s.Go("the log engine", func(ctx context.Context) {
		if err := s.Logs.Run(ctx); err != nil && ctx.Err() == nil {
			cfg.Log.Error("log engine stopped", "err", err)
		}
	})

	s.Usage = usage.New(s.usageConfig(cfg, clients))
	s.Go("the usage monitor", func(ctx context.Context) { _ = s.Usage.Run(ctx) })

	if cfg.Reader {
		return s, nil
	}
	s.Scale, err = scale.New(scale.Config{Clients: clients, Scope: cfg.Scope, Source: s.Watcher, Audit: auditLog,
		ReadOnly: cfg.ReadOnly, StepTimeout: cfg.StepTimeout, Log: cfg.Log,
		Logs: scale.SourceScanner{Source: cfg.Logs}, Usage: s.Usage})
	if err != nil {
		return fail(err)
	}
	return s, nil
}

// usageConfig completes the usage monitor's configuration: the cluster's
// metrics client and node proxy unless the caller gave its own (a
// connection without them leaves usage Off, said in the panes).
func (s *Session) usageConfig(cfg Config, clients *kube.Clients) usage.Config {
	u := cfg.Usage
	u.Scope, u.Snapshots, u.Log = cfg.Scope, s.Watcher, cfg.Log
	if u.Metrics == nil && u.Summaries == nil {
		mc, sr, err := usage.ClientsFor(clients)
		if err != nil {
			cfg.Log.Warn("usage is not read", "err", err)
			return u
		}
		u.Metrics, u.Summaries = mc, sr
	}
	return u
}

// Errors delivers the internal failures: the watcher's, the extra
// Config.Errors, and panics recovered in the session's goroutines, one
// line each (the log engine's reach the logs pane through its own
// Errors).
func (s *Session) Errors() <-chan error { return s.errs }

// Go runs fn in a goroutine of the session, under a context that ends
// with Close (which waits for fn to return); a panic there is logged with
// its stack and sent to Errors as one line, instead of ending the program
// with the terminal taken over.
func (s *Session) Go(what string, fn func(ctx context.Context)) {
	s.wg.Go(func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic recovered", "in", what, "panic", r, "stack", string(debug.Stack()))
				select {
				case s.errs <- fmt.Errorf("internal error in %s: %v", what, r):
				default:
				}
			}
		}()
		fn(s.ctx)
	})
}

// forward copies every error of from to Errors until ctx ends.
func (s *Session) forward(ctx context.Context, from <-chan error) {
	s.wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case err, ok := <-from:
				if !ok {
					return
				}
				select {
				case s.errs <- err:
				case <-ctx.Done():
					return
				}
			}
		}
	})
}

// Close stops every service, waits for their goroutines and closes the
// audit log.
func (s *Session) Close() error {
	var err error
	s.closed.Do(func() {
		s.cancel()
		s.wg.Wait()
		if s.Scale != nil {
			s.Scale.Close() // a plan being applied records its interruption first
		}
		if s.Audit != nil {
			err = s.Audit.Close()
		}
	})
	return err
}
