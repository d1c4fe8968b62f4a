package watch

import (
	"context"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/streamops/streamops/backend/platform"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// rediscoverEvery is how often the served resources are checked again when
// CRDs cannot be watched.
const rediscoverEvery = time.Minute

// watchCRDs notices the operators' CRDs being installed or removed while
// the console runs, and rebuilds the informers so the component kind
// appears or disappears without a restart. It watches the CRDs themselves;
// when the user may not (listing CRDs is cluster-wide), it falls back to
// asking discovery again every minute, which reads no objects.
func (w *Watcher) watchCRDs(ctx context.Context) {
	defer w.recoverGoroutine("CRD watch")
	w.hook("CRD watch")
	if _, err := w.cfg.Clients.Discovery.ServerResourcesForGroupVersion(crdGVR.GroupVersion().String()); err != nil {
		w.rediscoverLoop(ctx)
		return
	}
	ours := map[string]bool{}
	for _, r := range w.cfg.Resources {
		ours[r.Name()] = true
	}
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(w.cfg.Clients.Dynamic, 0, "", nil)
	inf := f.ForResource(crdGVR).Informer()
	if err := inf.SetTransform(crdIdentity); err != nil {
		w.log.Warn("set transform", "resource", "crds", "err", err)
	}
	forbidden := make(chan struct{})
	var once bool
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		if (apierrors.IsForbidden(err) || apierrors.IsNotFound(err)) && !once {
			once = true
			close(forbidden)
		}
	})
	var synced atomic.Bool
	kick := make(chan struct{}, 1)
	changed := func(obj any) {
		defer w.recoverGoroutine("event handler for CRDs")
		// CRDs are cluster-scoped: the key is the name (a tombstone's too).
		if name, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil && ours[name] && synced.Load() {
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: changed, DeleteFunc: changed, UpdateFunc: func(_, obj any) { changed(obj) },
	})
	go w.settleOnKick(ctx, kick)
	crdCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	f.Start(crdCtx.Done())
	go func() {
		if cache.WaitForCacheSync(crdCtx.Done(), inf.HasSynced) {
			synced.Store(true)
		}
	}()
	select {
	case <-ctx.Done():
	case <-forbidden:
		cancel()
		w.log.Info("cannot watch CRDs; checking discovery every minute instead")
		w.rediscoverLoop(ctx)
	}
}

// crdIdentity keeps only a CRD's identity: the watch needs its name to
// notice the operators' CRDs coming and going, while a whole CRD carries
// its OpenAPI schema (the PravegaCluster CRD alone is about 1 MB) and a
// cluster may have hundreds of CRDs.
func crdIdentity(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	out := &unstructured.Unstructured{Object: map[string]any{"apiVersion": u.GetAPIVersion(), "kind": u.GetKind()}}
	out.SetName(u.GetName())
	out.SetUID(u.GetUID())
	out.SetResourceVersion(u.GetResourceVersion())
	return out, nil
}

// settleOnKick follows a change to one of the operators' CRDs: discovery
// serves a new resource only once its CRD is established, and stops
// serving a deleted one a moment after, so what is served is checked a few
// times over ~15 s and the informers are rebuilt when it changed.
func (w *Watcher) settleOnKick(ctx context.Context, kick <-chan struct{}) {
	defer w.recoverGoroutine("CRD settle")
	w.hook("CRD settle")
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		for _, d := range []time.Duration{200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
			if w.servedChanged() {
				w.log.Info("operator CRDs changed, rebuilding watches")
				w.SetScope(w.Scope())
				break
			}
		}
	}
}

// rediscoverLoop asks discovery again now and then and rebuilds the
// informers when what is served changed.
func (w *Watcher) rediscoverLoop(ctx context.Context) {
	t := time.NewTicker(rediscoverEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if w.servedChanged() {
			w.SetScope(w.Scope())
		}
	}
}

// servedChanged compares discovery now with the watches in place: whether
// the set of custom resource versions to watch differs from the set being
// watched. (Comparing by plural.group name, as it once did, mistook a
// fallback version that is served alongside its preferred one for a change,
// and rebuilt every watch each minute.)
func (w *Watcher) servedChanged() bool {
	now := w.discover()
	w.infMu.RLock()
	watched := map[schema.GroupVersionResource]bool{}
	for _, cr := range w.crs {
		if len(cr.informers) > 0 {
			watched[cr.res.GVR] = true
		}
	}
	w.infMu.RUnlock()
	for i, r := range w.cfg.Resources {
		if (now[i].phase == platform.Synced) != watched[r.GVR] {
			return true
		}
	}
	return false
}
