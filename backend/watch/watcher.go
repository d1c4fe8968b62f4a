// Package watch keeps the platform in view: it starts shared informers (typed
// for the rows of typedResources in resources.go, dynamic for the
// operators' custom resources the server actually serves), tracks the sync
// state of every watch, and publishes coalesced immutable snapshots.
//
// It never polls the API server for objects: everything it publishes is read
// from informer caches.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
)

// Config configures a Watcher.
type Config struct {
	Clients *kube.Clients
	Scope   kube.Scope
	Clock   clock.Clock  // defaults to the real clock
	Log     *slog.Logger // defaults to discarding
	// Coalesce is the shortest time between two snapshots (default 100ms):
	// a storm of updates becomes at most 1/Coalesce snapshots per second.
	Coalesce time.Duration
	// Resources overrides the custom resources to look for (default operator.All).
	Resources []operator.Resource
}

// Watcher watches the platform and publishes snapshots.
type Watcher struct {
	cfg   Config
	clock clock.PassiveClock
	log   *slog.Logger

	mu      sync.Mutex
	watches []*watchState // in display order

	// The informers of the current scope. They are replaced only by the
	// loop goroutine (which also builds), under infMu for other readers.
	infMu         sync.RWMutex
	stopInformers context.CancelFunc
	crs           []crWatch
	informers     [numResources][]cache.SharedIndexInformer // per row of typedResources
	rescope       chan kube.Scope
	infTyped      kubernetes.Interface // the informers' clients (conn.go)
	infDynamic    dynamic.Interface

	notify     chan struct{}
	lastChange atomic.Int64 // unix nanos of the last observed change
	snap       atomic.Pointer[platform.Snapshot]
	seq        uint64

	subMu sync.Mutex
	subs  map[chan *platform.Snapshot]struct{}

	errs chan error

	builder builder // touched only by the build loop

	// faultHook, set only by tests (export_test.go) before Start, runs
	// first in every goroutine and callback the watcher starts or hands to
	// client-go (the snapshot loop, the CRD watch, waiting for sync,
	// informer event handlers, the transform, the watch error handler, the
	// transport observer), so that a test can make each one panic and see
	// the panic become an error event. It belongs to this watcher, so a
	// test's hook never reaches the goroutines of another test's watcher.
	faultHook func(site string)
}

type crWatch struct {
	res       operator.Resource
	informers []cache.SharedIndexInformer
}

type watchState struct {
	name      string
	phase     platform.SyncPhase
	reason    string
	since     time.Time
	informers []cache.SharedIndexInformer
	failedRV  []string
	connLost  bool // failing because a watch request got no answer (conn.go)
}

// synced records that the watch's informers have listed and its watch
// works: whatever made it fail, a lost connection included, is over.
func (ws *watchState) synced(now time.Time) {
	ws.phase, ws.reason, ws.since, ws.connLost = platform.Synced, "", now, false
}

// New returns a Watcher; Start begins watching.
func New(cfg Config) *Watcher {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Coalesce == 0 {
		cfg.Coalesce = 100 * time.Millisecond
	}
	if cfg.Resources == nil {
		cfg.Resources = operator.All
	}
	w := &Watcher{
		cfg: cfg, clock: cfg.Clock, log: cfg.Log,
		notify:  make(chan struct{}, 1),
		rescope: make(chan kube.Scope, 1),
		subs:    map[chan *platform.Snapshot]struct{}{},
		errs:    make(chan error, 16),
	}
	w.builder.init()
	w.infTyped, w.infDynamic = w.informerClients()
	w.snap.Store(&platform.Snapshot{Context: cfg.Clients.Context, Namespaces: cfg.Scope.Namespaces})
	return w
}

// Errors delivers failures the console should show (one line each).
func (w *Watcher) Errors() <-chan error { return w.errs }

func (w *Watcher) report(err error) {
	select {
	case w.errs <- err:
	default:
		w.log.Warn("error dropped, channel full", "err", err)
	}
}

// Start discovers which custom resources are served, starts every informer
// and the snapshot loop, and returns. Watches that fail are reported in the
// snapshot's sync states; Start itself fails only if ctx is already done.
func (w *Watcher) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.startInformers(ctx)
	go w.loop(ctx)
	go w.watchCRDs(ctx)
	w.dirty()
	return nil
}

// SetScope makes the watcher watch other namespaces: its informers are
// replaced, its subscribers keep their channels and receive snapshots of
// the new scope (syncing first). It returns at once.
func (w *Watcher) SetScope(s kube.Scope) {
	select {
	case w.rescope <- s:
	default:
		select { // replace a request the loop has not taken yet
		case <-w.rescope:
		default:
		}
		w.rescope <- s
	}
}

// Scope returns the namespaces being watched.
func (w *Watcher) Scope() kube.Scope {
	w.infMu.RLock()
	defer w.infMu.RUnlock()
	return w.cfg.Scope
}

// switchScope runs in the loop goroutine: it stops the informers, forgets
// what they held, and starts new ones for the scope.
func (w *Watcher) switchScope(ctx context.Context, s kube.Scope) {
	w.infMu.Lock()
	if w.stopInformers != nil {
		w.stopInformers()
	}
	w.cfg.Scope = s
	w.crs = nil
	w.informers = [numResources][]cache.SharedIndexInformer{}
	w.infMu.Unlock()
	w.mu.Lock()
	w.watches = nil
	w.mu.Unlock()
	w.builder.init()
	w.startInformers(ctx)
}

// startInformers creates and starts the informers of the current scope
// under a context of their own, so that a scope change can stop them.
func (w *Watcher) startInformers(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	w.infMu.Lock()
	defer w.infMu.Unlock()
	w.stopInformers = cancel
	served := w.discover()
	typed := w.infTyped
	namespaces := w.cfg.Scope.Namespaces
	if w.cfg.Scope.All() {
		namespaces = []string{""}
	}
	var starters []func(<-chan struct{})
	// typedInformers makes the informers of the rows of typedResources that are
	// (or are not) cluster-scoped, in namespace ns ("" for all), from one
	// factory shared by the rows that list everything.
	typedInformers := func(ns string, cluster bool) {
		shared := informers.NewSharedInformerFactoryWithOptions(typed, 0, informers.WithNamespace(ns))
		starters = append(starters, shared.Start)
		for i, r := range typedResources {
			if r.cluster != cluster {
				continue
			}
			f := shared
			if r.list != nil {
				f = informers.NewSharedInformerFactoryWithOptions(typed, 0, informers.WithNamespace(ns), informers.WithTweakListOptions(r.list))
				starters = append(starters, f.Start)
			}
			inf := r.informer(f)
			if err := inf.SetTransform(w.transformer(r.slim)); err != nil {
				w.log.Warn("set transform", "resource", r.name, "err", err)
			}
			w.informers[i] = append(w.informers[i], inf)
		}
	}
	slimCR := w.transformer(slimmer(slimUnstructured))
	for _, ns := range namespaces {
		typedInformers(ns, false)
		df := dynamicinformer.NewFilteredDynamicSharedInformerFactory(w.infDynamic, 0, ns, nil)
		for i, res := range w.cfg.Resources {
			if served[i].phase != platform.Synced {
				continue
			}
			inf := df.ForResource(res.GVR).Informer()
			if err := inf.SetTransform(slimCR); err != nil {
				w.log.Warn("set transform", "resource", res.Name(), "err", err)
			}
			w.addCR(res, inf)
		}
		starters = append(starters, df.Start)
	}
	typedInformers("", true)

	var watches []*watchState
	track := func(name string, infs []cache.SharedIndexInformer) { watches = append(watches, w.track(name, infs)) }
	for i, r := range typedResources {
		track(r.name, w.informers[i])
	}
	for i, res := range w.cfg.Resources {
		st := served[i]
		if st.phase == platform.Synced {
			for _, cr := range w.crs {
				if cr.res == res {
					track(res.Name(), cr.informers)
				}
			}
			continue
		}
		if res.Fallback && st.phase == platform.Absent {
			continue // the preferred version is watched instead
		}
		watches = append(watches, &watchState{name: res.Name(), phase: st.phase, reason: st.reason, since: w.clock.Now()})
	}
	w.mu.Lock()
	w.watches = watches
	w.mu.Unlock()
	for _, s := range starters {
		s(ctx.Done())
	}
	for _, ws := range watches {
		if len(ws.informers) > 0 {
			go w.waitSynced(ctx, ws)
		}
	}
}

// discover decides, per custom resource, whether the server serves it.
// A fallback version is marked served only when its preferred sibling is not.
func (w *Watcher) discover() []watchState {
	out := make([]watchState, len(w.cfg.Resources))
	servedGroups := map[string]bool{}
	for i, res := range w.cfg.Resources {
		gv := res.GVR.GroupVersion().String()
		list, err := w.cfg.Clients.Discovery.ServerResourcesForGroupVersion(gv)
		switch {
		case err != nil && apierrors.IsNotFound(err):
			out[i] = watchState{phase: platform.Absent, reason: "not served (CRD not installed)"}
		case err != nil:
			out[i] = watchState{phase: platform.Failing, reason: "discovery: " + kube.Explain(err).Error()}
		default:
			out[i] = watchState{phase: platform.Absent, reason: "not served by " + gv}
			for _, r := range list.APIResources {
				if r.Name == res.GVR.Resource {
					out[i] = watchState{phase: platform.Synced}
				}
			}
		}
		if out[i].phase == platform.Synced {
			if res.Fallback && servedGroups[res.GVR.GroupResource().String()] {
				out[i] = watchState{phase: platform.Absent, reason: "preferred version served"}
			} else {
				servedGroups[res.GVR.GroupResource().String()] = true
			}
		}
	}
	return out
}

func (w *Watcher) addCR(res operator.Resource, inf cache.SharedIndexInformer) {
	for i := range w.crs {
		if w.crs[i].res == res {
			w.crs[i].informers = append(w.crs[i].informers, inf)
			return
		}
	}
	w.crs = append(w.crs, crWatch{res: res, informers: []cache.SharedIndexInformer{inf}})
}

// track makes the sync state of one resource and registers its event
// handlers.
func (w *Watcher) track(name string, infs []cache.SharedIndexInformer) *watchState {
	ws := &watchState{name: name, phase: platform.Syncing, since: w.clock.Now(), informers: infs}
	for _, inf := range infs {
		if err := inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			w.watchFailed(ws, err)
		}); err != nil {
			w.log.Warn("set watch error handler", "resource", name, "err", err)
		}
		// client-go runs handlers on its own goroutines and re-panics
		// there (utilruntime.HandleCrash): recover here.
		handler := "event handler for " + name
		_, err := inf.AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
			AddFunc: func(_ any, initial bool) {
				defer w.recoverGoroutine(handler)
				w.hook("event handler")
				w.observed(ws, !initial) // the initial list is what is, not a change
			},
			DeleteFunc: func(any) {
				defer w.recoverGoroutine(handler)
				w.hook("event handler")
				w.observed(ws, true)
			},
			UpdateFunc: func(oldObj, newObj any) {
				defer w.recoverGoroutine(handler)
				w.hook("event handler")
				if resourceVersion(oldObj) == resourceVersion(newObj) {
					return // a resync, nothing changed
				}
				w.observed(ws, true)
			},
		})
		if err != nil {
			w.log.Warn("add event handler", "resource", name, "err", err)
		}
	}
	return ws
}

func resourceVersion(obj any) string {
	type versioned interface{ GetResourceVersion() string }
	if v, ok := obj.(versioned); ok {
		return v.GetResourceVersion()
	}
	return ""
}

func (w *Watcher) waitSynced(ctx context.Context, ws *watchState) {
	defer w.recoverGoroutine("wait for " + ws.name)
	w.hook("wait for sync")
	fns := make([]cache.InformerSynced, len(ws.informers))
	for i, inf := range ws.informers {
		fns[i] = inf.HasSynced
	}
	if !cache.WaitForCacheSync(ctx.Done(), fns...) {
		return
	}
	w.mu.Lock()
	if ws.phase == platform.Syncing {
		ws.synced(w.clock.Now())
	}
	w.mu.Unlock()
	w.dirty()
}

func (w *Watcher) watchFailed(ws *watchState, err error) {
	defer w.recoverGoroutine("watch error handler")
	w.hook("watch error handler")
	reason := kube.Explain(err).Error()
	if errors.Is(err, context.Canceled) {
		return
	}
	w.log.Warn("watch failed", "resource", ws.name, "err", err)
	w.mu.Lock()
	changed := ws.phase != platform.Failing || ws.reason != reason
	if ws.phase != platform.Failing {
		ws.since = w.clock.Now()
		ws.failedRV = make([]string, len(ws.informers))
		for i, inf := range ws.informers {
			ws.failedRV[i] = inf.LastSyncResourceVersion()
		}
	}
	ws.phase, ws.reason = platform.Failing, reason
	w.mu.Unlock()
	if changed {
		w.changed()
	}
}

// observed records that a watch delivered an event: it is alive again if it
// was failing. change is false for the objects of a watch's initial list.
func (w *Watcher) observed(ws *watchState, change bool) {
	w.mu.Lock()
	if ws.phase == platform.Failing && allSynced(ws.informers) {
		ws.synced(w.clock.Now())
	}
	w.mu.Unlock()
	if change {
		w.changed()
	} else {
		w.dirty()
	}
}

func allSynced(infs []cache.SharedIndexInformer) bool {
	for _, inf := range infs {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

// recheckFailing clears a failing state once its informers have listed again
// (a relist that brings no change delivers no event). It only reads local
// informer state, never the API server.
func (w *Watcher) recheckFailing() (anyFailing bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	recovered := false
	for _, ws := range w.watches {
		if ws.phase != platform.Failing || len(ws.informers) == 0 {
			continue
		}
		moved := false
		for i, inf := range ws.informers {
			if rv := inf.LastSyncResourceVersion(); rv != "" && i < len(ws.failedRV) && rv != ws.failedRV[i] {
				moved = true
			}
		}
		if moved && allSynced(ws.informers) {
			ws.synced(w.clock.Now())
			recovered = true
			continue
		}
		anyFailing = true
	}
	if recovered {
		w.lastChange.Store(w.clock.Now().UnixNano())
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
	return anyFailing
}

// changed records that the platform changed (the snapshot's LastChange)
// and marks it dirty.
func (w *Watcher) changed() {
	w.lastChange.Store(w.clock.Now().UnixNano())
	w.dirty()
}

// dirty makes the loop build the next snapshot.
func (w *Watcher) dirty() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

func (w *Watcher) recoverGoroutine(what string) {
	if r := recover(); r != nil {
		w.recovered(what, r)
	}
}

func (w *Watcher) recovered(what string, r any) {
	w.log.Error("panic recovered", "in", what, "panic", r, "stack", string(debug.Stack()))
	w.report(fmt.Errorf("internal error in %s: %v", what, r))
}

func (w *Watcher) hook(site string) {
	if w.faultHook != nil {
		w.faultHook(site)
	}
}

// transformer is an informer's transform that slims what enters its
// cache: a panic keeps the object as it came and becomes an error event,
// instead of taking the reflector's goroutine, and the program, down.
func (w *Watcher) transformer(slim func(any) any) cache.TransformFunc {
	return func(obj any) (out any, err error) {
		defer func() {
			if r := recover(); r != nil {
				w.recovered("transform", r)
				out, err = obj, nil
			}
		}()
		w.hook("transform")
		return slim(obj), nil
	}
}

// loop runs the snapshot loop, and runs it again a second after a panic
// (reported as an error event): a console whose snapshots stopped would
// look healthy and frozen.
func (w *Watcher) loop(ctx context.Context) {
	for w.loopOnce(ctx) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		w.dirty()
	}
}

// loopOnce builds a snapshot after each change, at most one per Coalesce,
// until ctx ends (false) or it panics (true).
func (w *Watcher) loopOnce(ctx context.Context) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			w.recovered("snapshot loop", r)
			panicked = true
		}
	}()
	w.hook("snapshot loop")
	var recheck <-chan time.Time
	freed := false
	for {
		select {
		case <-ctx.Done():
			return false
		case <-w.notify:
		case <-recheck:
		case s := <-w.rescope:
			w.switchScope(ctx, s)
		}
		if w.recheckFailing() {
			recheck = time.After(time.Second)
		} else {
			recheck = nil
		}
		snap := w.buildSafe()
		w.publish(snap)
		if !freed && snap.Synced() {
			// The initial lists were decoded in full before the transform
			// slimmed them: hand that garbage back to the OS once, after
			// the first complete snapshot is out. At 10,000 pods this took
			// RSS from ~270 to ~135 MiB (cmd/streamops-bench).
			freed = true
			go debug.FreeOSMemory()
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(w.cfg.Coalesce):
		}
	}
}

func (w *Watcher) buildSafe() (s *platform.Snapshot) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("panic building snapshot", "panic", r, "stack", string(debug.Stack()))
			w.report(fmt.Errorf("internal error building snapshot: %v", r))
			w.builder.init() // drop caches that may be inconsistent
			s = w.snap.Load()
		}
	}()
	return w.build()
}

// Snapshot returns the latest published snapshot. It never blocks.
func (w *Watcher) Snapshot() *platform.Snapshot { return w.snap.Load() }

// Subscribe returns a channel that receives every new snapshot; a slow reader
// gets the newest one, never a backlog. It is closed when ctx ends.
func (w *Watcher) Subscribe(ctx context.Context) <-chan *platform.Snapshot {
	ch := make(chan *platform.Snapshot, 1)
	w.subMu.Lock()
	w.subs[ch] = struct{}{}
	w.subMu.Unlock()
	if s := w.snap.Load(); s.Seq > 0 {
		ch <- s
	}
	go func() {
		<-ctx.Done()
		w.subMu.Lock()
		delete(w.subs, ch)
		close(ch)
		w.subMu.Unlock()
	}()
	return ch
}

func (w *Watcher) publish(s *platform.Snapshot) {
	w.snap.Store(s)
	w.subMu.Lock()
	defer w.subMu.Unlock()
	for ch := range w.subs {
		select {
		case ch <- s:
		default:
			select { // replace the stale snapshot the reader has not taken yet
			case <-ch:
			default:
			}
			select {
			case ch <- s:
			default:
			}
		}
	}
}

// WaitForSync blocks until every watch has left the syncing phase or ctx ends.
func (w *Watcher) WaitForSync(ctx context.Context) error {
	ch := w.Subscribe(ctx)
	for {
		if s := w.Snapshot(); s.Seq > 0 && s.Synced() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for watches to sync: %w", ctx.Err())
		case <-ch:
		}
	}
}

// Object returns a custom resource from the informer cache.
func (w *Watcher) Object(gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, bool) {
	w.infMu.RLock()
	defer w.infMu.RUnlock()
	for _, cr := range w.crs {
		if cr.res.GVR != gvr {
			continue
		}
		for _, inf := range cr.informers {
			obj, ok, err := inf.GetIndexer().GetByKey(namespace + "/" + name)
			if err == nil && ok {
				if u, isU := obj.(*unstructured.Unstructured); isU {
					return u.DeepCopy(), true
				}
			}
		}
	}
	return nil, false
}

func (w *Watcher) syncStates() []platform.SyncState {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]platform.SyncState, len(w.watches))
	for i, ws := range w.watches {
		out[i] = platform.SyncState{Resource: ws.name, Phase: ws.phase, Reason: ws.reason, Since: ws.since}
	}
	return out
}
