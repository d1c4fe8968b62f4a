// Package logs is the console's log engine: it follows the containers a
// selection names (a component's members, chosen pods, single containers),
// one goroutine per container, through a Source (client-go's pods/log API,
// or the demo platform's generator). Streams that end reconnect behind a
// backoff and a rate limiter and resume from the last timestamp without
// repeating lines; pods that appear later and match the selection join.
//
// Every line is sanitised when it arrives (no escape or control sequence
// survives), its level detected (Java and Go formats), and it goes into a
// bounded ring (DefaultLimit lines in total): memory stays bounded however
// long the console runs. The UI is told that something changed through a
// channel that is written at most every Coalesce, and pulls the lines it
// shows from the Buffer.
//
// The package never imports charm, tui, panes or themes.
package logs

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/clock"

	"github.com/streamops/streamops/backend/platform"
)

// Config configures an Engine.
type Config struct {
	Source Source
	// Snapshots is where Run takes the platform's snapshots from (the
	// watcher): pods that appear and match the selection join, pods that
	// go stop. Nil: only Observe, for tests, feeds it.
	Snapshots platform.Subscriber
	Clock     clock.Clock  // timestamps of notices, backoff (default real)
	Log       *slog.Logger // default discards
	// Limit is how many lines the buffer keeps (DefaultLimit).
	Limit int
	// MaxLine caps one line's bytes (DefaultMaxLine).
	MaxLine int
	// MaxStreams caps the containers followed at once (default 50).
	MaxStreams int
	// Backoff is the first wait before reconnecting (default 1s); it doubles
	// up to MaxBackoff (default 30s).
	Backoff, MaxBackoff time.Duration
	// OpenRate and OpenBurst limit how fast streams are opened, across all
	// containers (default 10/s, burst MaxStreams: a whole selection opens
	// at once, reconnects after that are paced).
	OpenRate  float64
	OpenBurst int
	// Coalesce is the shortest time between two change notifications
	// (default 50ms).
	Coalesce time.Duration
	// MergeWait bounds how long the first lines of the containers selected
	// together are held to be merged in time order (default 5s).
	MergeWait time.Duration
}

// Selection is what to follow.
type Selection struct {
	// Components are component keys (platform.Component.Key): every member
	// pod, including those that appear later.
	Components []string
	// Targets are containers; an empty Container means every container of
	// the pod (init containers excepted).
	Targets []Target
	// Pods selects every member pod whose labels match, including those
	// that appear later (`streamops logs app=bookie`); nil: none.
	Pods labels.Selector
}

// Empty reports whether nothing is selected.
func (s Selection) Empty() bool {
	return len(s.Components) == 0 && len(s.Targets) == 0 && s.Pods == nil
}

// Options are what a kubectl or stern user sets.
type Options struct {
	Follow    bool
	Previous  bool          // the previous (crashed) container instance
	Since     time.Duration // only lines newer than this (0: no limit)
	Tail      int           // lines per container at the start (<0: all)
	Container string        // regular expression on container names ("": all)
}

// DefaultOptions follow with the last 200 lines of each container.
func DefaultOptions() Options { return Options{Follow: true, Tail: 200} }

// State is where a source's stream stands.
type State uint8

const (
	Waiting    State = iota // the container has not started (Detail says why)
	Connecting              // opening the stream
	Streaming               // lines flow
	Retrying                // the stream broke; reconnecting after a backoff
	Ended                   // the log was read to its end (not following)
	Stopped                 // the pod went away or left the selection
	Capped                  // not followed: too many streams
)

func (s State) String() string {
	return [...]string{"waiting", "connecting", "streaming", "retrying", "ended", "stopped", "capped"}[s]
}

// SourceInfo describes one followed container.
type SourceInfo struct {
	ID     uint32
	Target Target
	State  State
	Detail string // why it waits, the error it retries on
	Since  time.Time
	Lines  uint64 // lines received in this session
	Active bool   // part of the current selection
}

// Engine follows log streams into a Buffer.
type Engine struct {
	cfg     Config
	clock   clock.Clock
	log     *slog.Logger
	buf     *Buffer
	limiter *rate.Limiter

	changed chan struct{} // to the UI, written at most every Coalesce
	dirty   chan struct{}
	poke    chan struct{}
	errs    chan error

	mu          sync.Mutex
	snap        *platform.Snapshot
	snapChanged chan struct{} // closed and replaced on every snapshot
	sel         Selection
	opts        Options
	containerRE *regexp.Regexp
	session     uint64
	// sessionStarted is set once the session's first selection was
	// resolved: containers found later "join".
	sessionStarted bool
	sources        []*SourceInfo
	byTarget       map[Target]uint32
	streams        map[Target]*stream // running or finished, this session
	lastStream     map[Target]*stream // the latest stream of each target this session
	view           View

	// faultHook, set only by tests (export_test.go) before Run, runs first
	// in every goroutine the engine starts (the reconciler, each stream,
	// the change notifier, the history merge timer, notices), so that a
	// test can make each one panic. It belongs to this engine, so a test's
	// hook never reaches the goroutines of another test's engine.
	faultHook func(site string)
}

// New returns an engine; Run makes it work.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = 50
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff < cfg.Backoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.Backoff)
	}
	if cfg.OpenRate <= 0 {
		cfg.OpenRate = 10
	}
	if cfg.OpenBurst <= 0 {
		cfg.OpenBurst = cfg.MaxStreams
	}
	if cfg.Coalesce <= 0 {
		cfg.Coalesce = 50 * time.Millisecond
	}
	if cfg.MergeWait <= 0 {
		cfg.MergeWait = 5 * time.Second
	}
	return &Engine{
		cfg: cfg, clock: cfg.Clock, log: cfg.Log,
		buf:         NewBuffer(cfg.Limit),
		limiter:     rate.NewLimiter(rate.Limit(cfg.OpenRate), cfg.OpenBurst),
		changed:     make(chan struct{}, 1),
		dirty:       make(chan struct{}, 1),
		poke:        make(chan struct{}, 1),
		errs:        make(chan error, 8),
		snapChanged: make(chan struct{}),
		byTarget:    map[Target]uint32{},
		streams:     map[Target]*stream{},
		lastStream:  map[Target]*stream{},
		opts:        DefaultOptions(),
	}
}

// Buffer is where the lines are.
func (e *Engine) Buffer() *Buffer { return e.buf }

// Changed receives a value after lines arrive or a stream changes state,
// at most once per Coalesce. The UI blocks on one receive, redraws, and
// receives again.
func (e *Engine) Changed() <-chan struct{} { return e.changed }

// Errors delivers internal failures (a recovered panic) for the status bar.
func (e *Engine) Errors() <-chan error { return e.errs }

// Run reconciles streams with the selection until ctx ends, then stops
// every stream.
func (e *Engine) Run(ctx context.Context) error {
	go e.coalesceSafe(ctx)
	var snaps <-chan *platform.Snapshot
	if e.cfg.Snapshots != nil {
		snaps = e.cfg.Snapshots.Subscribe(ctx)
	}
	for {
		e.reconcileSafe(ctx)
		select {
		case s, ok := <-snaps:
			if !ok {
				snaps = nil
				continue
			}
			e.Observe(s)
			select { // Observe's own wake: the loop reconciles now
			case <-e.poke:
			default:
			}
		case <-ctx.Done():
			e.mu.Lock()
			for _, st := range e.streams {
				st.cancel()
			}
			e.mu.Unlock()
			return nil
		case <-e.poke:
		}
	}
}

// coalesceSafe runs coalesce, and again after a panic (reported): without
// it the pane would never hear of new lines.
func (e *Engine) coalesceSafe(ctx context.Context) {
	for ctx.Err() == nil {
		func() {
			defer e.report("log change notifier")
			e.hook("coalesce")
			e.coalesce(ctx)
		}()
	}
}

func (e *Engine) hook(site string) {
	if e.faultHook != nil {
		e.faultHook(site)
	}
}

func (e *Engine) coalesce(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.dirty:
		}
		select {
		case e.changed <- struct{}{}:
		default:
		}
		t.Reset(e.cfg.Coalesce)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// notify marks the view dirty.
func (e *Engine) notify() {
	select {
	case e.dirty <- struct{}{}:
	default:
	}
}

func (e *Engine) wake() {
	select {
	case e.poke <- struct{}{}:
	default:
	}
}

// Observe hands the engine a new platform snapshot: pods that appeared and
// match the selection join, pods that went away stop. It never blocks.
func (e *Engine) Observe(s *platform.Snapshot) {
	if s == nil {
		return
	}
	e.mu.Lock()
	if e.snap != nil && s.Seq != 0 && s.Seq <= e.snap.Seq {
		e.mu.Unlock()
		return
	}
	e.snap = s
	close(e.snapChanged)
	e.snapChanged = make(chan struct{})
	e.mu.Unlock()
	e.wake()
}

// Follow starts a new session: the buffer is cleared and every container
// the selection names is followed from the start with opts. It never blocks.
func (e *Engine) Follow(sel Selection, opts Options) error {
	var re *regexp.Regexp
	if opts.Container != "" {
		var err error
		if re, err = regexp.Compile(opts.Container); err != nil {
			return fmt.Errorf("container pattern %q: %w", opts.Container, err)
		}
	}
	e.mu.Lock()
	e.sel, e.opts, e.containerRE = sel, opts, re
	e.session++
	session := e.session
	clear(e.lastStream)
	e.sessionStarted = false
	for _, s := range e.sources {
		s.Active, s.Lines = false, 0
	}
	e.mu.Unlock()
	e.buf.reset(session)
	e.wake()
	e.notify()
	return nil
}

// SetFollow turns following on or off without starting over: streams that
// stop keep their place and resume from it without repeating lines.
func (e *Engine) SetFollow(on bool) {
	e.mu.Lock()
	e.opts.Follow = on
	e.mu.Unlock()
	e.wake()
}

// Selection returns what is followed and how.
func (e *Engine) Selection() (Selection, Options) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sel, e.opts
}

// SetView applies a search and include/exclude patterns to the buffer.
func (e *Engine) SetView(v View) error {
	f, err := NewFilter(v.Include, v.Exclude)
	if err != nil {
		return err
	}
	e.buf.SetView(f, NewSearch(v.Search))
	e.mu.Lock()
	e.view = v
	e.mu.Unlock()
	e.notify()
	return nil
}

// View returns the view last set.
func (e *Engine) View() View {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.view
}

// Clear empties the buffer; streams go on.
func (e *Engine) Clear() {
	e.buf.Clear()
	e.notify()
}

// Sources lists the containers of the current session in the order they
// were selected.
func (e *Engine) Sources() []SourceInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]SourceInfo, 0, len(e.sources))
	for _, s := range e.sources {
		if s.Active {
			out = append(out, *s)
		}
	}
	return out
}

// Source returns one source by id (line.Source).
func (e *Engine) Source(id uint32) (SourceInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if int(id) >= len(e.sources) {
		return SourceInfo{}, false
	}
	return *e.sources[id], true
}

// sourceFor returns the id of a target, adding it on first use. e.mu held.
func (e *Engine) sourceFor(t Target) *SourceInfo {
	if id, ok := e.byTarget[t]; ok {
		return e.sources[id]
	}
	s := &SourceInfo{ID: uint32(len(e.sources)), Target: t, Since: e.clock.Now()}
	e.sources = append(e.sources, s)
	e.byTarget[t] = s.ID
	return s
}

func (e *Engine) setState(id uint32, st State, detail string) {
	detail = string(Sanitize(nil, []byte(detail), 512))
	e.mu.Lock()
	s := e.sources[id]
	if s.State != st || s.Detail != detail {
		s.State, s.Detail, s.Since = st, detail, e.clock.Now()
	}
	e.mu.Unlock()
	e.notify()
}

// noticef writes a line of the engine's own about a source.
func (e *Engine) noticef(session uint64, id uint32, format string, args ...any) {
	text := Sanitize(nil, []byte(fmt.Sprintf(format, args...)), 1024)
	e.buf.appendFor(session, []Line{{Time: e.clock.Now().UnixNano(), Source: id, Notice: true, Text: text}})
	e.notify()
}

// report, deferred, recovers a panic and sends it to Errors.
func (e *Engine) report(what string) {
	if r := recover(); r != nil {
		e.reportPanic(what, r)
	}
}

// reportPanic logs a recovered panic and sends it to Errors.
func (e *Engine) reportPanic(what string, r any) {
	e.log.Error("panic recovered", "in", what, "panic", r, "stack", string(debug.Stack()))
	select {
	case e.errs <- fmt.Errorf("internal error in %s: %v", what, r):
	default:
	}
}

// want is one container the selection names right now.
type want struct {
	uid      string // pod UID, "" when unknown
	openable bool
	reason   string // why not openable
}

func (e *Engine) reconcileSafe(ctx context.Context) {
	defer e.report("log streams")
	e.hook("reconcile")
	e.reconcile(ctx)
}

// reconcile starts and stops streams to match the selection, the options
// and the latest snapshot.
func (e *Engine) reconcile(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	wants, order := e.resolve()
	follow := e.opts.Follow && !e.opts.Previous
	for t, st := range e.streams {
		w, wanted := wants[t]
		switch {
		case st.session != e.session:
		case !wanted:
			s := e.sources[st.id]
			s.State, s.Detail, s.Since = Stopped, "pod is gone or left the selection", e.clock.Now()
			session, id := e.session, st.id
			go func() {
				defer e.report("log notice")
				e.hook("notice")
				e.noticef(session, id, "pod is gone or left the selection; stream stopped")
			}()
		case w.uid != "" && st.uid != "" && w.uid != st.uid: // pod recreated
		case st.follow != follow:
		default:
			continue
		}
		st.cancel()
		delete(e.streams, t)
	}
	for _, s := range e.sources {
		if _, ok := wants[s.Target]; !ok && s.Active && s.State != Stopped {
			s.State, s.Detail, s.Since = Stopped, "left the selection", e.clock.Now()
		}
	}
	var group *loadGroup
	type start struct {
		st  *stream
		ctx context.Context
	}
	var starts []start
	for _, t := range order {
		w := wants[t]
		s := e.sourceFor(t)
		s.Active = true
		if _, running := e.streams[t]; running {
			continue
		}
		if !w.openable {
			if s.State != Waiting || s.Detail != w.reason {
				s.State, s.Detail, s.Since = Waiting, w.reason, e.clock.Now()
			}
			continue
		}
		if len(e.streams) >= e.cfg.MaxStreams {
			s.State, s.Detail = Capped, fmt.Sprintf("not followed: at most %d streams", e.cfg.MaxStreams)
			continue
		}
		if group == nil {
			group = newLoadGroup(e, e.session)
		}
		sctx, cancel := context.WithCancel(ctx)
		st := &stream{
			e: e, id: s.ID, target: t, uid: w.uid, session: e.session, opts: e.opts, follow: follow,
			cancel: cancel, finished: make(chan struct{}), group: group,
		}
		if prev := e.lastStream[t]; prev != nil {
			st.prev = prev
		} else {
			st.joined = e.sessionStarted
		}
		e.lastStream[t] = st
		e.streams[t] = st
		group.add(st)
		s.State, s.Detail, s.Since = Connecting, "", e.clock.Now()
		starts = append(starts, start{st, sctx})
	}
	// The history of the containers started together shares the buffer's
	// limit, so that "tail all" of 50 long logs stays bounded too.
	histCap := max(e.buf.limit/max(len(starts), 1), min(e.buf.limit, 1000))
	for _, s := range starts {
		s.st.histCap = histCap
		go s.st.run(s.ctx)
	}
	if group != nil {
		group.arm()
	}
	if e.snap != nil || len(order) > 0 {
		e.sessionStarted = true
	}
	e.notify()
}

// resolve lists the containers the selection names. e.mu held.
func (e *Engine) resolve() (map[Target]want, []Target) {
	wants := map[Target]want{}
	var order []Target
	add := func(t Target, w want) {
		if e.containerRE != nil && !e.containerRE.MatchString(t.Container) {
			return
		}
		if _, dup := wants[t]; !dup {
			order = append(order, t)
		}
		wants[t] = w
	}
	member := func(ns, pod string) *platform.Member {
		if e.snap == nil {
			return nil
		}
		for _, c := range e.snap.Components {
			if c.Namespace != ns {
				continue
			}
			for _, m := range c.Members {
				if m.Name == pod {
					return m
				}
			}
		}
		return nil
	}
	containers := func(m *platform.Member, only string) {
		for i := range m.Containers {
			c := &m.Containers[i]
			if only == "" && c.Init || only != "" && c.Name != only {
				continue
			}
			ok, reason := openable(c, e.opts.Previous)
			add(Target{m.Namespace, m.Name, c.Name}, want{uid: m.UID, openable: ok, reason: reason})
		}
	}
	if e.snap != nil {
		for _, key := range e.sel.Components {
			if c := e.snap.Component(key); c != nil {
				for _, m := range c.Members {
					containers(m, "")
				}
			}
		}
	}
	if e.snap != nil && e.sel.Pods != nil {
		for _, c := range e.snap.Components {
			for _, m := range c.Members {
				if e.sel.Pods.Matches(labels.Set(m.Labels)) {
					containers(m, "")
				}
			}
		}
	}
	for _, t := range e.sel.Targets {
		m := member(t.Namespace, t.Pod)
		switch {
		case m != nil:
			containers(m, t.Container)
		case e.snap == nil && t.Container != "":
			add(t, want{openable: true}) // no snapshot to check against
		case t.Container != "":
			add(t, want{reason: "pod not found"})
		}
	}
	return wants, order
}

// openable says whether a container has a log to read now.
func openable(c *platform.Container, previous bool) (bool, string) {
	if previous {
		if c.RestartCount > 0 || c.Last != nil {
			return true, ""
		}
		return false, "no previous container (never restarted)"
	}
	switch c.State {
	case platform.StateRunning, platform.StateTerminated:
		return true, ""
	case platform.StateWaiting:
		if c.Reason != "" {
			return false, "waiting: " + c.Reason
		}
		return false, "waiting to start"
	}
	return false, "not started"
}

// openableNow checks a target against the latest snapshot; wait is closed
// when the next snapshot arrives.
func (e *Engine) openableNow(t Target, previous bool) (ok bool, reason string, wait <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	wait = e.snapChanged
	if e.snap == nil {
		return true, "", wait
	}
	for _, c := range e.snap.Components {
		if c.Namespace != t.Namespace {
			continue
		}
		for _, m := range c.Members {
			if m.Name != t.Pod {
				continue
			}
			for i := range m.Containers {
				if m.Containers[i].Name == t.Container {
					ok, reason = openable(&m.Containers[i], previous)
					return ok, reason, wait
				}
			}
		}
	}
	return false, "pod not found", wait
}
