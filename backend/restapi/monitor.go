package restapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi/fanout"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
	"github.com/streamops/streamops/backend/restapi/wire"
)

// Defaults of the Monitor.
const (
	DefaultInterval   = 5 * time.Second
	DefaultTimeout    = 5 * time.Second
	DefaultMaxBackoff = 2 * time.Minute
)

// Config configures a Monitor.
type Config struct {
	// ServiceProxy is the client whose API server proxies requests to the
	// Services (the kubeconfig's own credentials); nil disables the service
	// proxy (the demo platform, which gives direct URLs for everything).
	ServiceProxy kubernetes.Interface
	// Overrides give targets a direct URL; a target only named here is
	// read too.
	Overrides []Override
	// Credentials say which credentials go to which Pravega Controllers
	// (the first source that matches a target wins); Secrets is the client
	// their Secrets are read with (one GET when first needed).
	Credentials []CredentialSource
	Secrets     kubernetes.Interface
	// Interval between reads of an endpoint (default 5s), Timeout of every
	// request (default 5s), MaxBackoff the longest wait after failures
	// (default 2m): after n failures in a row the wait is
	// min(Interval·2^n, MaxBackoff).
	Interval, Timeout, MaxBackoff time.Duration
	// Snapshots is where Run takes the platform's snapshots from (the
	// watcher): their clusters are the endpoints. Nil: only Observe, for
	// tests, feeds it.
	Snapshots platform.Subscriber
	Clock     clock.WithTicker // default: the real clock
	Log       *slog.Logger     // default: discard
}

// Section is the state of one endpoint.
type Section struct {
	Target   Target
	Route    Route     // how it is reached (no credentials)
	Updated  time.Time // last successful read; zero: never
	Err      error     // the last read's failure; nil when it succeeded
	Failures int       // failures in a row
	NextTry  time.Time
	Reading  bool // a read is under way
	// AuthRequired: the cluster's resource enables authentication.
	AuthRequired bool
	// Operator is what the cluster's operator says of its custom resource
	// (from the snapshot); nil for a configured endpoint no resource names.
	Operator *Operator
	// Auth describes the credentials sent ("basic auth from Secret
	// pravega/streamops-rest"), never their values; "" when none are.
	Auth string
}

// Pending reports whether the endpoint was never read yet.
func (s Section) Pending() bool { return s.Updated.IsZero() && s.Err == nil }

// PravegaSection is a Pravega cluster's endpoint and what was last read
// (kept while later reads fail: Err says it is stale).
type PravegaSection struct {
	Section
	Inventory *pravega.Inventory
}

// FlinkSection is a Flink cluster's endpoint and what was last read.
type FlinkSection struct {
	Section
	Cluster *flink.Cluster
}

// Report is everything the monitor knows, as an immutable value.
type Report struct {
	Seq      uint64
	At       time.Time
	Interval time.Duration
	Pravega  []PravegaSection
	Flink    []FlinkSection
}

type endpoint struct {
	target   Target
	override *Override
	direct   *DirectGetter
	route    Route
	getter   wire.Getter
	sec      Section
	inv      *pravega.Inventory
	cluster  *flink.Cluster
	running  bool
	next     time.Time
	resolved bool // route verified by listing Services

	authRequired bool         // the PravegaCluster enables authentication
	operator     *Operator    // from the latest snapshot
	creds        *Credentials // loaded for this endpoint (nil: not yet, or to be read again)

	done     chan struct{}              // closed when the read under way ends
	outcomes uint64                     // reads whose outcome was recorded
	restarts map[string][]restartSample // job id → numRestarts readings of the last hour
	// Trends kept from read to read: job id → its checkpoints, reader
	// group → its backlog readings, and where the groups' figures are.
	checkpoints  map[string][]flink.Attempt
	backlog      map[string][]flink.Sample
	readerGroups flink.ReaderGroupIDs
}

// restartSample is one reading of a job's numRestarts.
type restartSample struct {
	at    time.Time
	total int64
}

// focus is the job the user looks at.
type focus struct {
	target, job string
}

// Monitor reads every endpoint on an interval, with backoff on failure. It
// does nothing until Activate is called (the streams pane calls it the
// first time it is shown) or ReadNow (the triage report), so a console
// that never opens the pane nor writes a report sends no request. For the
// job the user looks at (Focus) it also reads the exception history and
// the vertices' back-pressure.
type Monitor struct {
	cfg    Config
	redact *Redactor
	log    *slog.Logger

	mu      sync.Mutex
	eps     map[string]*endpoint
	order   []string // endpoint keys, sorted
	active  bool
	seq     uint64
	snapKey string
	latest  Report // the last one published
	focus   focus

	wake chan struct{}
	out  chan Report
	wg   sync.WaitGroup
}

// NewMonitor returns a monitor; Run drives it.
func NewMonitor(cfg Config) *Monitor {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Monitor{cfg: cfg, redact: &Redactor{}, log: cfg.Log, eps: map[string]*endpoint{},
		wake: make(chan struct{}, 1), out: make(chan Report, 1)}
	for _, src := range cfg.Credentials {
		m.redact.Add(src.Static.secrets()...)
	}
	for i := range cfg.Overrides {
		o := cfg.Overrides[i]
		m.redact.Add(o.Token)
		ep := &endpoint{target: o.Target, override: &o}
		g, err := NewDirectGetter(o.URL, o.Token, cfg.Timeout, m.redact)
		if err != nil {
			ep.sec.Err = err
			ep.route = Route{Via: ViaDirect, URL: kube.RedactURL(o.URL)}
		} else {
			ep.direct, ep.getter = g, g
			ep.route = Route{Via: ViaDirect, URL: g.Shown()}
		}
		m.eps[o.Target.String()] = ep
	}
	m.reorder()
	return m
}

// Redactor is the monitor's redactor, which knows the configured secrets;
// the pane masks error text with it too.
func (m *Monitor) Redactor() *Redactor { return m.redact }

// Reports delivers the latest report after every change; a slow reader
// only misses intermediate ones.
func (m *Monitor) Reports() <-chan Report { return m.out }

// Activate starts reading (idempotent).
func (m *Monitor) Activate() {
	m.mu.Lock()
	if !m.active {
		m.active = true
		now := m.cfg.Clock.Now()
		for _, ep := range m.eps {
			ep.next = now
		}
	}
	m.mu.Unlock()
	m.poke()
}

// Deactivate stops reading until Activate: no request starts meanwhile
// (one in flight finishes). The last report stays as it is.
func (m *Monitor) Deactivate() {
	m.mu.Lock()
	m.active = false
	m.mu.Unlock()
	m.poke()
}

// Refresh reads every endpoint now, forgetting backoff waits.
func (m *Monitor) Refresh() {
	m.mu.Lock()
	now := m.cfg.Clock.Now()
	for _, ep := range m.eps {
		ep.next = now
		ep.resolved = false
	}
	m.mu.Unlock()
	m.poke()
}

// Observe takes the endpoints from a snapshot: clusters that appear are
// read, clusters that go are dropped (unless an override names them).
func (m *Monitor) Observe(snap *platform.Snapshot) {
	targets := Targets(snap)
	required := authRequired(snap)
	ops := Operators(snap)
	key := fmt.Sprint(targets, required, ops)
	m.mu.Lock()
	if key == m.snapKey {
		m.mu.Unlock()
		return
	}
	m.snapKey = key
	now := m.cfg.Clock.Now()
	keep := map[string]bool{}
	for k, ep := range m.eps {
		if op, ok := ops[k]; ok {
			ep.operator = &op
		} else {
			ep.operator = nil
		}
	}
	for _, t := range targets {
		k := t.String()
		keep[k] = true
		if ep, ok := m.eps[k]; ok {
			if ep.target.Kind == "" {
				ep.target.Kind = t.Kind
			}
			ep.authRequired = required[k]
			continue
		}
		ep := &endpoint{target: t, next: now, authRequired: required[k]}
		if op, ok := ops[k]; ok {
			ep.operator = &op
		}
		if m.cfg.ServiceProxy == nil {
			ep.route = Route{Via: ViaNone}
		}
		m.eps[k] = ep
	}
	for k, ep := range m.eps {
		if !keep[k] && ep.override == nil {
			delete(m.eps, k)
		}
	}
	m.reorder()
	m.publishLocked()
	m.mu.Unlock()
	m.poke()
}

func (m *Monitor) reorder() {
	ts := make([]Target, 0, len(m.eps))
	for _, ep := range m.eps {
		ts = append(ts, ep.target)
	}
	sortTargets(ts)
	m.order = m.order[:0]
	for _, t := range ts {
		m.order = append(m.order, t.String())
	}
}

func (m *Monitor) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run reads endpoints until ctx ends, following the snapshots of
// Config.Snapshots. Before Activate it only follows them.
func (m *Monitor) Run(ctx context.Context) error {
	defer m.wg.Wait()
	var snaps <-chan *platform.Snapshot
	if m.cfg.Snapshots != nil {
		snaps = m.cfg.Snapshots.Subscribe(ctx)
	}
	for {
		now := m.cfg.Clock.Now()
		var due []*endpoint
		var earliest time.Time
		m.mu.Lock()
		if m.active {
			for _, k := range m.order {
				ep := m.eps[k]
				switch {
				case ep.running:
				case !ep.next.After(now):
					m.startLocked(ep)
					due = append(due, ep)
				case earliest.IsZero() || ep.next.Before(earliest):
					earliest = ep.next
				}
			}
			if len(due) > 0 {
				m.publishLocked()
			}
		}
		m.mu.Unlock()
		for _, ep := range due {
			m.wg.Go(func() { m.read(ctx, ep, false) })
		}
		var timer clock.Timer
		var fire <-chan time.Time
		if !earliest.IsZero() {
			timer = m.cfg.Clock.NewTimer(earliest.Sub(now))
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case <-m.wake:
		case <-fire:
		case snap, ok := <-snaps:
			if !ok {
				snaps = nil
			} else if snap != nil {
				m.Observe(snap)
				select { // Observe's own poke: the loop runs again now
				case <-m.wake:
				default:
				}
			}
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// startLocked marks a read of ep as under way.
func (m *Monitor) startLocked(ep *endpoint) {
	ep.running, ep.sec.Reading = true, true
	ep.done = make(chan struct{})
}

// finishLocked marks the read of ep as ended.
func (m *Monitor) finishLocked(ep *endpoint) {
	ep.running, ep.sec.Reading = false, false
	if ep.done != nil {
		close(ep.done)
		ep.done = nil
	}
}

// ReadNow reads every endpoint once, now, whether or not the monitor is
// active (the triage report calls it, so that what it writes does not
// depend on which pane was opened), with the exception history and
// back-pressure of every running job (up to MaxFocusedJobs per cluster),
// and returns the report once every read ended or ctx did. A read already under way is waited for, not
// repeated. The monitor stays as active or inactive as it was.
func (m *Monitor) ReadNow(ctx context.Context) Report {
	type wait struct {
		ep       *endpoint
		done     chan struct{}
		outcomes uint64
		ours     bool
	}
	var waits []wait
	m.mu.Lock()
	for _, k := range m.order {
		ep := m.eps[k]
		w := wait{ep: ep, outcomes: ep.outcomes}
		if !ep.running {
			m.startLocked(ep)
			w.ours = true
			m.wg.Go(func() { m.read(ctx, ep, true) })
		}
		w.done = ep.done
		waits = append(waits, w)
	}
	m.publishLocked()
	m.mu.Unlock()
	for _, w := range waits {
		select {
		case <-w.done:
		case <-ctx.Done():
			return m.Latest()
		}
		m.mu.Lock()
		again := !w.ours && w.ep.outcomes == w.outcomes && !w.ep.running && m.eps[w.ep.target.String()] == w.ep
		var done chan struct{}
		if again { // the read it waited for was abandoned (its ctx ended): read it now
			m.startLocked(w.ep)
			done = w.ep.done
			m.wg.Go(func() { m.read(ctx, w.ep, true) })
		}
		m.mu.Unlock()
		if done != nil {
			select {
			case <-done:
			case <-ctx.Done():
				return m.Latest()
			}
		}
	}
	return m.Latest()
}

// MaxTaskManagers bounds the TaskManagers whose details are read (for
// the jobs looked at).
const MaxTaskManagers = 32

// Focus says which job the user looks at (its target and job id; empty
// strings: none): that job's exception history and its vertices'
// back-pressure are read with its cluster, and its cluster is read now.
func (m *Monitor) Focus(t Target, jobID string) {
	f := focus{job: jobID}
	if jobID != "" {
		f.target = t.String()
	}
	m.mu.Lock()
	changed := f != m.focus
	m.focus = f
	if ep := m.eps[f.target]; changed && ep != nil && m.active {
		ep.next = m.cfg.Clock.Now()
	}
	m.mu.Unlock()
	if changed {
		m.poke()
	}
}

// MaxFocusedJobs bounds the jobs per cluster whose exception history and
// back-pressure ReadNow reads.
const MaxFocusedJobs = 8

// read reads one endpoint once and records the outcome. Of a Flink
// cluster it reads the exception history and back-pressure of the focused
// job, or with all of every running job (up to MaxFocusedJobs). A panic while
// reading (in the clients or their goroutines, which raise it here) is
// the endpoint's error until the next read, and is logged with its stack.
func (m *Monitor) read(ctx context.Context, ep *endpoint, all bool) {
	m.mu.Lock()
	target, getter, route, resolved, setupErr := ep.target, ep.getter, ep.route, ep.resolved, ep.sec.Err
	focused := ""
	if m.focus.target == target.String() {
		focused = m.focus.job
	}
	m.mu.Unlock()

	var creds *Credentials
	var inv *pravega.Inventory
	var cl *flink.Cluster
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				m.log.Error("panic recovered", "in", "REST read "+target.String(), "panic", r, "stack", string(debug.Stack()))
				err = fmt.Errorf("internal error reading %s: %v", target, oneLine(fmt.Sprint(r)))
			}
		}()
		if target.API == Pravega {
			if creds, err = m.authorize(ctx, ep); err != nil {
				return err
			}
		}
		if ep.override == nil && route.Via != ViaNone && (!resolved || getter == nil) {
			if route, err = Resolve(ctx, m.cfg.ServiceProxy, target); err != nil {
				return err
			}
			getter = &ProxyGetter{Client: m.cfg.ServiceProxy, Namespace: route.Namespace, Service: route.Service, Port: route.Port,
				Timeout: m.cfg.Timeout, Redact: m.redact}
			resolved = true
		}
		switch {
		case route.Via == ViaNone:
			return errors.New("no direct URL given for it, and the service proxy is off")
		case getter == nil:
			return setupErr // a bad override URL
		case target.API == Pravega:
			// Internal streams are always read: the pane hides them, and
			// showing them is then instant.
			inv, err = pravega.New(getter).Inventory(ctx, true)
		default:
			fc := flink.New(getter)
			fc.ReaderGroups = &ep.readerGroups
			if cl, err = fc.Read(ctx); err == nil {
				var jobs []*flink.Job
				for i := range cl.Jobs {
					if j := &cl.Jobs[i]; !j.Terminal() && j.DetailErr == nil && (j.ID == focused || all && len(jobs) < MaxFocusedJobs) {
						jobs = append(jobs, j)
					}
				}
				fanout.Run(len(jobs), 2, func(i int) { fc.ReadFocus(ctx, jobs[i], flink.Focus{}) })
				if len(jobs) > 0 { // the cluster's TaskManagers, once for the jobs looked at
					tms, more, err := fc.TaskManagers(ctx, MaxTaskManagers)
					for _, j := range jobs {
						j.SetTaskManagers(tms, more, err)
					}
				}
			}
		}
		return err
	}()
	if ctx.Err() != nil {
		m.mu.Lock()
		m.finishLocked(ep) // a later read starts afresh
		if m.eps[target.String()] == ep {
			m.publishLocked()
		}
		m.mu.Unlock()
		return
	}
	if target.API == Pravega {
		err = refusal(err, route, creds)
		refusals(inv, route, creds)
	}
	now := m.cfg.Clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.finishLocked(ep)
	if m.eps[target.String()] != ep {
		return // dropped meanwhile
	}
	ep.outcomes++
	ep.route, ep.getter, ep.resolved = route, getter, resolved
	ep.sec.Auth = ""
	if creds != nil {
		ep.sec.Auth = creds.String()
	}
	var e *Error
	if creds != nil && errors.As(err, &e) && e.Kind == AuthRequired {
		ep.creds = nil // read the Secret again next time: it may have been rotated
	}
	if err != nil {
		err = m.redactErr(err)
		if ep.sec.Err == nil || ep.sec.Err.Error() != err.Error() {
			m.log.Warn("REST endpoint failed", "target", target.String(), "via", route.Where(), "err", err.Error())
		}
		ep.sec.Failures++
		ep.sec.Err = err
		ep.resolved = false // look for the Service again next time
		ep.next = now.Add(Backoff(m.cfg.Interval, ep.sec.Failures, m.cfg.MaxBackoff))
		if cl != nil && cl.Overview != nil { // jobs failed, the overview did not
			ep.cluster = &flink.Cluster{Overview: cl.Overview, Jobs: clusterJobs(ep.cluster)}
		}
	} else {
		if ep.sec.Err != nil {
			m.log.Info("REST endpoint recovered", "target", target.String(), "via", route.Where())
		}
		ep.sec.Failures, ep.sec.Err, ep.sec.Updated = 0, nil, now
		ep.next = now.Add(m.cfg.Interval)
		if cl != nil {
			ep.restarts = trackRestarts(ep.restarts, cl, now)
			ep.checkpoints = trackCheckpoints(ep.checkpoints, cl)
			ep.backlog = trackBacklog(ep.backlog, cl, now)
		}
		ep.inv, ep.cluster = inv, cl
	}
	ep.sec.NextTry = ep.next
	m.publishLocked()
	m.poke()
}

// trackRestarts records the jobs' numRestarts readings of now and fills
// in how many restarts happened in the last RestartWindow, as far back as
// readings go: a job that started within the window restarted Total times
// in it. A count that went down (a new job with the same id) starts
// again. It returns the readings to keep (the newest one older than the
// window stays as the baseline).
func trackRestarts(hist map[string][]restartSample, cl *flink.Cluster, now time.Time) map[string][]restartSample {
	next := map[string][]restartSample{}
	from := now.Add(-RestartWindow)
	for i := range cl.Jobs {
		j := &cl.Jobs[i]
		if !j.Restarts.Known {
			continue
		}
		s := append(hist[j.ID], restartSample{at: now, total: j.Restarts.Total})
		cut := 0
		for cut+1 < len(s) && !s[cut+1].at.After(from) {
			cut++
		}
		s = s[cut:]
		if s[0].total > j.Restarts.Total {
			s = s[len(s)-1:]
		}
		base := s[0]
		j.Restarts.Recent, j.Restarts.Since = j.Restarts.Total-base.total, base.at
		if base.at.Before(from) {
			j.Restarts.Since = from
		}
		if !j.Start.IsZero() && !j.Start.Before(from) {
			j.Restarts.Recent, j.Restarts.Since = j.Restarts.Total, j.Start
		}
		next[j.ID] = slices.Clip(s)
	}
	return next
}

func clusterJobs(c *flink.Cluster) []flink.Job {
	if c == nil {
		return nil
	}
	return c.Jobs
}

// redactErr masks secrets in an error's text (keeping *Error's fields).
func (m *Monitor) redactErr(err error) error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Msg = m.redact.String(c.Msg)
		return &c
	}
	if s := m.redact.String(err.Error()); s != err.Error() {
		return errors.New(s)
	}
	return err
}

// Backoff is how long to wait after failures failures in a row:
// min(interval·2^failures, max).
func Backoff(interval time.Duration, failures int, max time.Duration) time.Duration {
	d := interval
	for i := 0; i < failures && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Latest returns the newest report, whether or not anyone read it from
// Reports (the triage report reads it; zero before the first).
func (m *Monitor) Latest() Report {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latest
}

// publishLocked sends the current report, replacing an unread one.
func (m *Monitor) publishLocked() {
	m.seq++
	r := Report{Seq: m.seq, At: m.cfg.Clock.Now(), Interval: m.cfg.Interval}
	for _, k := range m.order {
		ep := m.eps[k]
		sec := ep.sec
		sec.Target, sec.Route, sec.AuthRequired, sec.Operator = ep.target, ep.route, ep.authRequired, ep.operator
		if ep.target.API == Pravega {
			r.Pravega = append(r.Pravega, PravegaSection{Section: sec, Inventory: ep.inv})
		} else {
			r.Flink = append(r.Flink, FlinkSection{Section: sec, Cluster: ep.cluster})
		}
	}
	m.latest = r
	select {
	case <-m.out:
	default:
	}
	m.out <- r
}

// Scaling reads a stream's scale events (all of them, up to now) from a
// Pravega endpoint, for the stream the user looks at.
func (m *Monitor) Scaling(ctx context.Context, t Target, scope, stream string) (pravega.ScalingHistory, error) {
	m.mu.Lock()
	ep := m.eps[t.String()]
	var g wire.Getter
	if ep != nil {
		g = ep.getter
	}
	m.mu.Unlock()
	if g == nil {
		return pravega.ScalingHistory{}, fmt.Errorf("%s is not connected", t)
	}
	h, err := pravega.New(g).Scaling(ctx, scope, stream, time.UnixMilli(0), m.cfg.Clock.Now())
	if err != nil {
		return h, m.redactErr(err)
	}
	return h, nil
}

// Targets lists the endpoints the monitor reads, for tests and help.
func (m *Monitor) Targets() []Target {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Target, 0, len(m.order))
	for _, k := range m.order {
		out = append(out, m.eps[k].target)
	}
	return slices.Clip(out)
}
