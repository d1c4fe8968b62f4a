// Package scale is the engine of the guided scale wizard: it turns the
// changes a user asks for into an ordered plan (ZooKeeper → BookKeeper →
// Segment Store → Controller, then Flink), runs the preflight the notes
// require (credentials, health, errors and restarts, resources, upgrade
// guard), a server-side dry run of every patch, and applies the plan one
// step at a time, waiting on the watcher's snapshots until each step's
// members are ready or its timeout passes. After the last step it checks
// the changed components' logs and restarts. Every action is written to the
// audit log before the next one starts.
//
// The engine refuses to apply in read-only mode, without a passing
// preflight, without a passing dry run, or without the confirmation text:
// the UI hiding a key is not what keeps a plan from running.
//
// It never imports the UI packages and never sleeps to wait.
package scale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"

	"github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
)

// Source is the watcher the engine reads the platform from
// (*watch.Watcher implements it).
type Source interface {
	Objects
	Snapshot() *platform.Snapshot
	Subscribe(ctx context.Context) <-chan *platform.Snapshot
}

// Config configures an Engine.
type Config struct {
	Clients *kube.Clients
	Scope   kube.Scope
	Source  Source
	Audit   *audit.Log
	// Logs scans the changed members' logs after the plan (default: the
	// pods/log API through Clients.Typed).
	Logs LogScanner
	// LogRetry is how long the post-scale check waits before reading
	// once more the containers whose logs it could not read (a member
	// that has just turned Ready may have written none yet; default 3s,
	// negative: no second read).
	LogRetry time.Duration
	// ReadOnly is the console's read-only switch (nil: never read-only).
	// The engine asks it before every dry run, apply and patch, so turning
	// it on while a plan runs stops the plan before its next write.
	ReadOnly *guard.Switch
	// StepTimeout bounds the wait for one step to converge (default 10m).
	StepTimeout time.Duration
	// RestartWindow is how far back a restart counts as recent (default 1h).
	RestartWindow time.Duration
	// CheckMaxAge is how long a preflight and a dry run stay valid for
	// apply (default 15m).
	CheckMaxAge time.Duration
	// Usage is what the members and nodes use and how full the claims
	// are (the usage monitor): the storage step names a claim's fill and
	// the preflight counts nodes' real usage beside their requests. Nil:
	// requests only.
	Usage UsageReader
	Clock clock.PassiveClock
	Log   *slog.Logger
}

// UsageReader gives the newest usage report; *usage.Monitor meets it.
type UsageReader interface {
	Latest() *usage.Report
}

// usage is the newest usage report, nil without a reader.
func (e *Engine) usage() *usage.Report {
	if e.cfg.Usage == nil {
		return nil
	}
	return e.cfg.Usage.Latest()
}

// Errors the engine returns when it refuses to act.
var (
	ErrReadOnly      = guard.ErrReadOnly
	ErrUnknownPlan   = errors.New("unknown plan (plan again)")
	ErrNotChecked    = errors.New("the plan has not passed its checks")
	ErrConfirmation  = errors.New("confirmation does not match")
	ErrConflict      = errors.New("conflict")
	ErrAlreadyRun    = errors.New("the plan has already been applied (plan again)")
	ErrNotRunning    = errors.New("the plan is not running")
	ErrClosed        = errors.New("the scale engine is closed (the console is quitting)")
	errAuditRequired = errors.New("scale engine needs an audit log")
)

// Engine plans, checks and applies scaling changes.
type Engine struct {
	cfg   Config
	clock clock.PassiveClock
	log   *slog.Logger

	mu    sync.Mutex
	seq   int
	plans map[string]*planState
	user  string

	// runs are the plans being applied: Close interrupts them and waits
	// until each has written how it ended to the audit log.
	runs    sync.WaitGroup
	cancels map[string]context.CancelFunc
	closed  bool
}

type planState struct {
	plan      Plan
	preflight *Preflight
	dryRun    []DryRunResult
	dryRunAt  time.Time
	started   bool
	stop      atomic.Bool
	patched   []int // steps whose patch was applied, for RevertPlan
}

// New returns an engine for a real cluster or the demo platform: both give
// their clients, the watcher and an audit log.
func New(cfg Config) (*Engine, error) {
	if cfg.Clients == nil || cfg.Source == nil {
		return nil, errors.New("scale engine needs clients and a watcher")
	}
	if cfg.Audit == nil {
		return nil, errAuditRequired
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 10 * time.Minute
	}
	if cfg.RestartWindow <= 0 {
		cfg.RestartWindow = time.Hour
	}
	if cfg.CheckMaxAge <= 0 {
		cfg.CheckMaxAge = 15 * time.Minute
	}
	if cfg.LogRetry == 0 {
		cfg.LogRetry = 3 * time.Second
	}
	if cfg.Logs == nil {
		client := cfg.Clients.Logs
		if client == nil {
			client = cfg.Clients.Typed
		}
		cfg.Logs = SourceScanner{Source: logs.KubeSource{Client: client}}
	}
	return &Engine{cfg: cfg, clock: cfg.Clock, log: cfg.Log, plans: map[string]*planState{}, cancels: map[string]context.CancelFunc{}}, nil
}

// ReadOnly reports whether the engine refuses every write.
func (e *Engine) ReadOnly() bool { return e.cfg.ReadOnly.On() }

// StepTimeout is how long a step may take to converge.
func (e *Engine) StepTimeout() time.Duration { return e.cfg.StepTimeout }

// AuditPath is where the audit log is written.
func (e *Engine) AuditPath() string { return e.cfg.Audit.Path() }

// Audit returns the last n records of the audit log, oldest first.
func (e *Engine) Audit(n int) ([]audit.Record, error) { return e.cfg.Audit.Tail(n) }

// Targets lists what the wizard can change in a snapshot.
func (e *Engine) Targets(snap *platform.Snapshot) []Target { return Targets(snap, e.cfg.Source) }

// who is the user the audit log names: the API server's answer to a
// SelfSubjectReview when it gives one, else the kubeconfig's user.
func (e *Engine) who(ctx context.Context) string {
	e.mu.Lock()
	u := e.user
	e.mu.Unlock()
	if u != "" {
		return u
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if me, err := access.WhoAmI(ctx, e.cfg.Clients.Typed); err == nil && me.Name != "" {
		u = me.Name
	} else {
		u = e.cfg.Clients.User
		if u == "" {
			u = "(unknown)"
		}
		u += " (kubeconfig)"
	}
	e.mu.Lock()
	e.user = u
	e.mu.Unlock()
	return u
}

// record appends an audit record; an action whose record cannot be written
// must not be followed by another.
func (e *Engine) record(ctx context.Context, plan Plan, r audit.Record) error {
	r.Time = e.clock.Now().UTC()
	r.User = e.who(context.WithoutCancel(ctx))
	r.Context = e.cfg.Clients.Context
	if r.Namespace == "" {
		r.Namespace = strings.Join(plan.Namespaces, ",")
	}
	r.Plan = plan.ID
	if err := e.cfg.Audit.Append(r); err != nil {
		e.log.Error("audit", "err", err)
		return err
	}
	return nil
}

// planOf is the plan as it stands (an override changes its refusals).
func (e *Engine) planOf(ps *planState) Plan {
	e.mu.Lock()
	defer e.mu.Unlock()
	return ps.plan
}

func (e *Engine) state(id string) (*planState, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ps := e.plans[id]
	if ps == nil {
		return nil, fmt.Errorf("plan %s: %w", id, ErrUnknownPlan)
	}
	return ps, nil
}

// Plan orders the changes into a plan and records it.
func (e *Engine) Plan(ctx context.Context, changes []Change) (Plan, error) {
	now := e.clock.Now()
	id := e.nextID(now)
	plan, err := BuildPlan(e.cfg.Source.Snapshot(), e.cfg.Source, changes, id, now)
	if err != nil {
		return plan, fmt.Errorf("plan: %w", err)
	}
	var lines []string
	for _, s := range plan.Steps {
		for _, d := range s.Diffs {
			lines = append(lines, fmt.Sprintf("step %d %s %s: %s → %s", s.N, s.Target(), d.PathString(), orUnset(d.From), d.To))
		}
	}
	return plan, e.keep(ctx, plan, fmt.Sprintf("%d step(s); confirm with %q", len(plan.Steps), plan.Confirm), lines)
}

// nextID allocates the id of a new plan.
func (e *Engine) nextID(now time.Time) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	return fmt.Sprintf("%s-%d", now.UTC().Format("20060102T150405"), e.seq)
}

// keep records a new plan in the audit log, with msg and the evidence
// lines followed by the plan's warnings and problems, and keeps it for the
// preflight, dry run and apply.
func (e *Engine) keep(ctx context.Context, plan Plan, msg string, lines []string) error {
	lines = append(lines, plan.Warnings()...)
	lines = append(lines, plan.Problems()...)
	lines = append(lines, refusalLines(plan.Refusals)...)
	result := "ok"
	if rs := plan.Pending(); len(rs) > 0 {
		result = "refused"
		msg = fmt.Sprintf("%s; %d refusal(s): %s", msg, len(rs), rs[0].Line())
	}
	if err := e.record(ctx, plan, audit.Record{Action: audit.ActionPlan, Result: result, Message: msg, Evidence: lines}); err != nil {
		return err
	}
	e.mu.Lock()
	e.plans[plan.ID] = &planState{plan: plan}
	e.mu.Unlock()
	return nil
}

// StopAfterStep asks a running plan to stop once the current step has
// converged (or timed out): no later step starts.
func (e *Engine) StopAfterStep(ctx context.Context, planID string) error {
	ps, err := e.state(planID)
	if err != nil {
		return err
	}
	e.mu.Lock()
	started := ps.started
	e.mu.Unlock()
	if !started {
		return ErrNotRunning
	}
	if ps.stop.Swap(true) {
		return nil
	}
	return e.record(ctx, ps.plan, audit.Record{Action: audit.ActionStop, Result: "requested", Message: "stop after the current step"})
}

// Close interrupts the plans being applied, as quitting the console does,
// and waits until each has recorded the interruption in the audit log (a
// patch already sent is waited for: it is never abandoned half way). Call
// it before closing the audit log. Apply refuses once Close was called.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	for _, cancel := range e.cancels {
		cancel()
	}
	e.mu.Unlock()
	e.runs.Wait()
}

// startRun runs a plan under a context Close can end, counting it in runs.
func (e *Engine) startRun(ctx context.Context, ps *planState, run func(context.Context)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	rctx, cancel := context.WithCancel(ctx)
	id := ps.plan.ID
	e.cancels[id] = cancel
	e.runs.Add(1)
	go func() {
		defer e.runs.Done()
		defer func() {
			e.mu.Lock()
			delete(e.cancels, id)
			e.mu.Unlock()
			cancel()
		}()
		run(rctx)
	}()
	return nil
}

// Cancel records that the user abandoned a plan before applying it (for
// example by leaving the confirmation); what says how.
func (e *Engine) Cancel(ctx context.Context, planID, what string) error {
	ps, err := e.state(planID)
	if err != nil {
		return err
	}
	return e.record(ctx, ps.plan, audit.Record{Action: audit.ActionCancel, Result: "cancelled", Message: what})
}
