package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	"k8s.io/utils/clock"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
)

// Defaults of the Monitor. metrics-server scrapes every 15 s; volume fill
// moves slower and a summary is the kubelet's heaviest answer.
const (
	DefaultInterval       = 15 * time.Second
	DefaultVolumeInterval = 60 * time.Second
	DefaultTimeout        = 10 * time.Second
	DefaultMaxBackoff     = 5 * time.Minute
	DefaultParallel       = 4
)

// Config configures a Monitor.
type Config struct {
	// Metrics is the metrics.k8s.io client (metricsclient.NewForConfig on
	// the kubeconfig's config; the demo's fake one); nil: usage is Off.
	Metrics metricsclient.Interface
	// Summaries reads the kubelets' summaries (NodeProxy on the typed
	// client; the demo's own); nil: volume fill is Off.
	Summaries SummaryReader
	// Scope is the namespaces whose pod metrics are listed.
	Scope kube.Scope
	// Snapshots is where Run takes the platform's snapshots from (the
	// watcher). Nil: only Observe, for tests, feeds it.
	Snapshots platform.Subscriber
	// Interval between metrics reads (default 15s), VolumeInterval between
	// summary reads (60s), Timeout of every request (10s), MaxBackoff the
	// longest wait after failures (5m): after n failures in a row the wait
	// is min(interval·2^n, MaxBackoff). Parallel bounds the summaries read
	// at once (4).
	Interval, VolumeInterval, Timeout, MaxBackoff time.Duration
	Parallel                                      int
	Clock                                         clock.WithTicker // default: the real clock
	Log                                           *slog.Logger     // default: discard
}

// Monitor reads usage and volume fill while something that shows them is
// active, and publishes Reports.
type Monitor struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	holders map[string]bool
	snap    *platform.Snapshot // newest, from Observe or the subscription
	latest  *Report

	wake chan struct{}
	out  chan *Report
}

// New returns a monitor; Run drives it.
func New(cfg Config) *Monitor {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.VolumeInterval <= 0 {
		cfg.VolumeInterval = DefaultVolumeInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Monitor{cfg: cfg, log: cfg.Log, holders: map[string]bool{}, wake: make(chan struct{}, 1), out: make(chan *Report, 1)}
	m.latest = &Report{Metrics: m.initial(cfg.Metrics != nil, "usage"), NodeMetrics: m.initial(cfg.Metrics != nil, "node usage"),
		Volumes: m.initial(cfg.Summaries != nil, "volume fill")}
	return m
}

func (m *Monitor) initial(configured bool, what string) Source {
	if configured {
		return Source{}
	}
	return Source{State: Off, Reason: what + " is not read: no client"}
}

// Activate says holder (a pane, by name) shows usage: while any holder
// is active the monitor reads on its intervals (at once when a read is
// due; backoff waits are kept). Idempotent.
func (m *Monitor) Activate(holder string) {
	m.mu.Lock()
	m.holders[holder] = true
	m.mu.Unlock()
	m.poke()
}

// Deactivate says holder no longer shows usage; with no holder left no
// read starts (one in flight finishes). The latest report stays.
func (m *Monitor) Deactivate(holder string) {
	m.mu.Lock()
	delete(m.holders, holder)
	m.mu.Unlock()
	m.poke()
}

// Active reports whether any holder is active.
func (m *Monitor) Active() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.holders) > 0
}

// Reports delivers the latest report after every change; a slow reader
// only misses intermediate ones.
func (m *Monitor) Reports() <-chan *Report { return m.out }

// Latest returns the newest report (never nil).
func (m *Monitor) Latest() *Report {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latest
}

// Observe hands the monitor a snapshot (Run does it for each snapshot of
// Config.Snapshots).
func (m *Monitor) Observe(snap *platform.Snapshot) {
	if snap == nil {
		return
	}
	m.mu.Lock()
	m.snap = snap
	m.mu.Unlock()
	m.poke()
}

func (m *Monitor) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// task is one kind of read: pod metrics, node metrics, kubelet summaries.
type task struct {
	what     string
	interval time.Duration
	src      Source
	next     time.Time
	running  bool
	rounds   int // successful reads
}

// quickRounds is how many first volume rounds are followed sooner, at the
// metrics interval, while a claim of the snapshot was not reported: the
// console often starts while pods still start (the demo always does), and
// a minute of "fill not reported" hides the 91 % ledger.
const quickRounds = 4

type result struct {
	task    *task
	at      time.Time
	err     error
	partial string // some nodes' summaries failed (the others were read)
	pods    []metricsv1beta1.PodMetrics
	nodes   []metricsv1beta1.NodeMetrics
	vols    map[string]volumeStat
}

// Run reads while active until ctx ends, following Config.Snapshots.
func (m *Monitor) Run(ctx context.Context) error {
	var snaps <-chan *platform.Snapshot
	if m.cfg.Snapshots != nil {
		snaps = m.cfg.Snapshots.Subscribe(ctx)
	}
	l := &loop{m: m, vols: map[string]volumeStat{}, results: make(chan result, 3)}
	l.pods = &task{what: "pod usage", interval: m.cfg.Interval, src: m.latest.Metrics}
	l.nodes = &task{what: "node usage", interval: m.cfg.Interval, src: m.latest.NodeMetrics}
	l.volumes = &task{what: "volume fill", interval: m.cfg.VolumeInterval, src: m.latest.Volumes}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		now := m.cfg.Clock.Now()
		m.mu.Lock()
		active, snap := len(m.holders) > 0, m.snap
		m.mu.Unlock()
		if snap != l.snap {
			if l.snap != nil && snap != nil && !slices.Equal(l.snap.Namespaces, snap.Namespaces) {
				l.pods.next = now // a :ns change reads the new namespaces at once
			}
			l.snap = snap
			l.publishIfChanged(now)
		}
		var earliest time.Time
		if active && snap != nil {
			for _, t := range []*task{l.pods, l.nodes, l.volumes} {
				switch {
				case t.running || t.src.State == Off:
				case !t.next.After(now):
					t.running = true
					wg.Go(func() { l.results <- m.read(ctx, t, snap) })
				case earliest.IsZero() || t.next.Before(earliest):
					earliest = t.next
				}
			}
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
		case s, ok := <-snaps:
			if !ok {
				snaps = nil
			} else {
				m.Observe(s)
			}
		case r := <-l.results:
			if ctx.Err() == nil {
				l.record(r)
			}
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// loop is Run's state, touched by its goroutine only.
type loop struct {
	m                    *Monitor
	snap                 *platform.Snapshot
	pods, nodes, volumes *task
	podReport            *Report // the last join of pod metrics
	nodeItems            []metricsv1beta1.NodeMetrics
	vols                 map[string]volumeStat
	key                  string // what the last published report showed of the snapshot
	results              chan result
}

// read runs one task's read. A panic in the clients is the read's error.
func (m *Monitor) read(ctx context.Context, t *task, snap *platform.Snapshot) (res result) {
	res.task = t
	defer func() {
		if r := recover(); r != nil {
			m.log.Error("panic recovered", "in", "usage read "+t.what, "panic", r, "stack", string(debug.Stack()))
			res.err = fmt.Errorf("internal error reading %s: %v", t.what, r)
		}
		res.at = m.cfg.Clock.Now()
	}()
	switch t.what {
	case "pod usage":
		res.pods, res.err = m.readPods(ctx, snap)
	case "node usage":
		res.nodes, res.err = m.readNodes(ctx)
	default:
		res.vols, res.partial, res.err = m.readVolumes(ctx, snap)
	}
	return res
}

// podNamespaces is where pod metrics are listed: the snapshot's namespaces
// (which follow :ns), or the configured scope before the first snapshot.
func podNamespaces(scope kube.Scope, snap *platform.Snapshot) []string {
	namespaces := scope.Namespaces
	if snap != nil {
		namespaces = snap.Namespaces
	}
	if len(namespaces) == 0 {
		return []string{metav1.NamespaceAll}
	}
	return namespaces
}

func (m *Monitor) readPods(ctx context.Context, snap *platform.Snapshot) ([]metricsv1beta1.PodMetrics, error) {
	namespaces := podNamespaces(m.cfg.Scope, snap)
	items := []metricsv1beta1.PodMetrics{}
	for _, ns := range namespaces {
		tctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
		l, err := m.cfg.Metrics.MetricsV1beta1().PodMetricses(ns).List(tctx, metav1.ListOptions{})
		cancel()
		if err != nil {
			where := "all namespaces"
			if ns != "" {
				where = ns
			}
			return nil, fmt.Errorf("list pod metrics in %s: %w", where, err)
		}
		items = append(items, l.Items...)
	}
	return items, nil
}

func (m *Monitor) readNodes(ctx context.Context) ([]metricsv1beta1.NodeMetrics, error) {
	tctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	l, err := m.cfg.Metrics.MetricsV1beta1().NodeMetricses().List(tctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list node metrics: %w", err)
	}
	if l.Items == nil {
		l.Items = []metricsv1beta1.NodeMetrics{}
	}
	return l.Items, nil
}

// readVolumes reads the summaries of the nodes that hold members with
// claims, Parallel at a time. The first forbidden read ends the round
// (the permission is cluster-wide); a node that is gone is skipped.
func (m *Monitor) readVolumes(ctx context.Context, snap *platform.Snapshot) (map[string]volumeStat, string, error) {
	nodes := summaryNodes(snap)
	out := map[string]volumeStat{}
	if len(nodes) == 0 {
		return out, "", nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		node string
		s    *Summary
		err  error
	}
	answers := make(chan answer, len(nodes))
	sem := make(chan struct{}, m.cfg.Parallel)
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				answers <- answer{node: n, err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil { // forbidden meanwhile
				answers <- answer{node: n, err: ctx.Err()}
				return
			}
			tctx, tcancel := context.WithTimeout(ctx, m.cfg.Timeout)
			defer tcancel()
			s, err := m.cfg.Summaries.Summary(tctx, n)
			if apierrors.IsForbidden(err) {
				cancel()
			}
			answers <- answer{node: n, s: s, err: err}
		})
	}
	wg.Wait()
	close(answers)
	now := m.cfg.Clock.Now()
	var failed []string
	var firstErr, forbidden error
	read := 0
	for a := range answers {
		switch {
		case a.err == nil && a.s != nil:
			volumesOf(out, a.node, a.s, now)
			read++
		case apierrors.IsForbidden(a.err):
			forbidden = a.err
		case apierrors.IsNotFound(a.err):
			// the node went since the snapshot
		case a.err != nil && !errors.Is(a.err, context.Canceled):
			failed = append(failed, a.node)
			if firstErr == nil {
				firstErr = a.err
			}
		}
	}
	switch {
	case forbidden != nil:
		return nil, "", forbidden
	case read == 0 && firstErr != nil:
		return nil, "", firstErr
	case firstErr != nil:
		slices.Sort(failed)
		return out, fmt.Sprintf("stats of %d of %d nodes failed (%s): %s", len(failed), len(nodes), strings.Join(failed, ", "), oneLine(firstErr.Error())), nil
	}
	return out, "", ctx.Err()
}

// record takes a read's outcome into the loop's state and publishes.
func (l *loop) record(r result) {
	m, t := l.m, r.task
	t.running = false
	if r.err != nil {
		state, reason := classify(t.what, r.err)
		if t.src.State != state || t.src.Reason != reason {
			m.log.Warn("usage read failed", "what", t.what, "state", state.String(), "err", r.err.Error())
		}
		t.src.State, t.src.Reason = state, reason
		t.src.Failures++
		t.next = r.at.Add(backoff(t.interval, t.src.Failures, m.cfg.MaxBackoff))
	} else {
		if t.src.State != OK && t.src.State != Idle {
			m.log.Info("usage read recovered", "what", t.what)
		}
		t.src = Source{State: OK, Updated: r.at, Reason: r.partial}
		t.next = r.at.Add(t.interval)
		switch t {
		case l.pods:
			l.podReport = joinPods(l.podReport, l.snap, r.pods, r.at)
		case l.nodes:
			l.nodeItems = r.nodes
		case l.volumes:
			l.mergeVolumes(r.vols)
			if t.rounds < quickRounds && l.unreported() {
				t.next = r.at.Add(min(t.interval, m.cfg.Interval))
			}
		}
		t.rounds++
	}
	t.src.NextTry = t.next
	l.publish(r.at)
}

// unreported: a claim of the snapshot has no fill yet.
func (l *loop) unreported() bool {
	if l.snap == nil {
		return false
	}
	for i := range l.snap.Claims {
		if _, ok := l.vols[l.snap.Claims[i].Key()]; !ok {
			return true
		}
	}
	return false
}

// mergeVolumes keeps the last fill seen of claims the round did not
// report (a node that failed), dropping claims the snapshot no longer has.
func (l *loop) mergeVolumes(fresh map[string]volumeStat) {
	next := maps.Clone(fresh)
	claims := map[string]bool{}
	if l.snap != nil {
		for i := range l.snap.Claims {
			claims[l.snap.Claims[i].Key()] = true
		}
	}
	for k, v := range l.vols {
		if _, ok := next[k]; !ok && claims[k] {
			next[k] = v
		}
	}
	l.vols = next
}

// publishIfChanged publishes after a new snapshot when what a report
// shows of it changed: the nodes holding members (their pressure), the
// claims, the members themselves.
func (l *loop) publishIfChanged(now time.Time) {
	if l.snap == nil || l.podReport == nil && len(l.vols) == 0 && l.nodeItems == nil {
		return
	}
	if snapshotKey(l.snap) != l.key {
		l.publish(now)
	}
}

func (l *loop) publish(now time.Time) {
	m := l.m
	m.mu.Lock()
	prev := m.latest
	m.mu.Unlock()
	r := &Report{Seq: prev.Seq + 1, At: now, Snapshot: l.snap,
		Metrics: l.pods.src, NodeMetrics: l.nodes.src, Volumes: l.volumes.src}
	if p := l.podReport; p != nil {
		r.table, r.pods, r.ctrs, r.ended, r.read = p.table, p.pods, p.ctrs, p.ended, p.read
	}
	r.Nodes = joinNodes(prev, l.snap, l.nodeItems)
	r.Claims = claimFills(l.snap, l.vols)
	l.key = snapshotKey(l.snap)
	m.mu.Lock()
	m.latest = r
	m.mu.Unlock()
	select {
	case <-m.out:
	default:
	}
	m.out <- r
}

// snapshotKey is what a report shows of a snapshot besides the samples:
// nodes with members and their pressure, claims.
func snapshotKey(s *platform.Snapshot) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	held := map[string]bool{}
	for _, c := range s.Components {
		for _, m := range c.Members {
			held[m.Node] = true
		}
	}
	for _, n := range s.Nodes {
		if held[n.Name] {
			fmt.Fprintf(&b, "%s%t%v;", n.Name, n.Ready, n.Pressure)
		}
	}
	b.WriteByte('|')
	for i := range s.Claims {
		b.WriteString(s.Claims[i].Key())
		b.WriteByte(';')
	}
	return b.String()
}

// classify turns a failed read into its state and one line.
func classify(what string, err error) (State, string) {
	msg := oneLine(err.Error())
	switch {
	case what == "volume fill" && apierrors.IsForbidden(err):
		return Forbidden, "volume fill unknown: forbidden to read kubelet stats (nodes/proxy): " + msg
	case apierrors.IsForbidden(err):
		return Forbidden, what + " unknown: forbidden to read metrics.k8s.io: " + msg
	case what != "volume fill" && apierrors.IsNotFound(err):
		return Absent, what + " unknown: metrics.k8s.io is not served (no metrics-server)"
	case what != "volume fill" && apierrors.IsServiceUnavailable(err):
		return Failing, what + " unknown: metrics.k8s.io is unavailable (metrics-server down?): " + msg
	}
	return Failing, what + ": " + msg
}

func backoff(interval time.Duration, failures int, limit time.Duration) time.Duration {
	d := interval
	for i := 0; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	const limit = 300
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}

// ClientsFor makes the monitor's clients for a cluster's connection: the
// metrics.k8s.io client on its rest.Config and the node proxy on its typed
// client. The demo platform has no rest.Config: it hands its own (Metrics,
// Summaries).
func ClientsFor(c *kube.Clients) (metricsclient.Interface, SummaryReader, error) {
	if c == nil || c.Config == nil || c.Typed == nil {
		return nil, nil, errors.New("usage: no cluster connection (the demo gives its own metrics and summaries)")
	}
	mc, err := metricsclient.NewForConfig(c.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics.k8s.io client: %w", err)
	}
	return mc, NodeProxy{Client: c.Typed}, nil
}
