package watch

import (
	"net/http"
	"strings"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
)

// Why the informers talk through a transport the watcher observes: when
// the API server goes away, a reflector whose watch breaks retries "connection
// refused" quietly, with backoff, without ever calling its watch error
// handler (client-go tools/cache reflector.go, isWatchErrorRetriable), so
// the sync states would say "synced" for as long as the server is down.
// The transport sees every watch request: one that gets no answer marks
// its watch failing with the reason, one that is answered again marks it
// live (the reflector resumes from its last resource version, or relists
// when that has expired).

// informerClients returns the clients the informers use: the configured
// ones, or, for a real cluster (Clients.Config set), clients built the same
// way (kube.NewClients: protobuf for the typed one) of the same config,
// whose transport reports each watch request's outcome to the watcher.
func (w *Watcher) informerClients() (kubernetes.Interface, dynamic.Interface) {
	c := w.cfg.Clients
	if c.Config == nil {
		return c.Typed, c.Dynamic
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &observer{next: rt, w: w} })
	observed, err := kube.NewClients(cfg)
	if err != nil {
		w.log.Warn("informer client", "err", err)
		return c.Typed, c.Dynamic
	}
	return observed.Typed, observed.Dynamic
}

// observer is the informers' transport: it tells the watcher how each
// watch request ended.
type observer struct {
	next http.RoundTripper
	w    *Watcher
}

func (o *observer) RoundTrip(req *http.Request) (res *http.Response, err error) {
	res, err = o.next.RoundTrip(req)
	defer func() { // the reflector's goroutine: a panic here must not end it, nor lose the answer
		if r := recover(); r != nil {
			o.w.recovered("watch transport observer", r)
		}
	}()
	o.w.hook("transport observer")
	if req.URL.Query().Get("watch") != "true" {
		return res, err
	}
	ws := o.w.watchFor(req.URL.Path)
	if ws == nil {
		return res, err
	}
	switch {
	case err != nil && req.Context().Err() == nil:
		o.w.connFailed(ws, err)
	case err == nil && res.StatusCode/100 == 2:
		o.w.connLive(ws)
	}
	return res, err
}

// watchNames maps a request path to the names the watch it serves may
// have: /api/v1/[namespaces/NS/]RESOURCE and
// /apis/GROUP/VERSION/[namespaces/NS/]RESOURCE. Custom resources are
// watched as RESOURCE.GROUP, typed ones as RESOURCE: both are returned,
// the more specific first. nil when the path is neither.
func watchNames(path string) []string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var group string
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		group, parts = parts[1], parts[3:]
	default:
		return nil
	}
	if len(parts) == 3 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	if len(parts) != 1 {
		return nil
	}
	if group == "" {
		return []string{parts[0]}
	}
	return []string{parts[0] + "." + group, parts[0]}
}

// watchFor finds the watch a request path serves.
func (w *Watcher) watchFor(path string) *watchState {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, name := range watchNames(path) {
		for _, ws := range w.watches {
			if ws.name == name && len(ws.informers) > 0 {
				return ws
			}
		}
	}
	return nil
}

// connFailed marks a watch failing because its request got no answer.
func (w *Watcher) connFailed(ws *watchState, err error) {
	w.mu.Lock()
	ws.connLost = true
	w.mu.Unlock()
	w.watchFailed(ws, err) // the reason is kube.Explain's: "dial 127.0.0.1:6443: connect: connection refused"
}

// connLive clears a failing state that a lost connection caused, once a
// watch request of the resource is answered again.
func (w *Watcher) connLive(ws *watchState) {
	w.mu.Lock()
	recovered := ws.connLost && ws.phase == platform.Failing && allSynced(ws.informers)
	if recovered {
		ws.synced(w.clock.Now())
	}
	w.mu.Unlock()
	if recovered {
		w.changed()
	}
}
