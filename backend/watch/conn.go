package watch

import (
	"net/http"
	"strings"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

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
// ones, or, for a real cluster (Clients.Config set), clients of the same
// config whose transport reports each watch request's outcome to the
// watcher.
func (w *Watcher) informerClients() (kubernetes.Interface, dynamic.Interface) {
	c := w.cfg.Clients
	if c.Config == nil {
		return c.Typed, c.Dynamic
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &observer{next: rt, w: w} })
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		w.log.Warn("informer client", "err", err)
		return c.Typed, c.Dynamic
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		w.log.Warn("informer client", "err", err)
		return c.Typed, c.Dynamic
	}
	return typed, dyn
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
	hook("transport observer")
	if req.URL.Query().Get("watch") != "true" {
		return res, err
	}
	name := watchName(req.URL.Path)
	if name == "" {
		return res, err
	}
	switch {
	case err != nil && req.Context().Err() == nil:
		o.w.connFailed(name, err)
	case err == nil && res.StatusCode/100 == 2:
		o.w.connLive(name)
	}
	return res, err
}

// typedWatchNames are the typed watches by group and resource.
var typedWatchNames = map[string]string{
	"/pods": "pods", "/events": "events", "/nodes": "nodes", "/services": "services",
	"apps/statefulsets": "statefulsets", "apps/deployments": "deployments",
	"discovery.k8s.io/endpointslices": "endpointslices", "networking.k8s.io/ingresses": "ingresses",
}

// watchName maps a request path to the watch it serves: /api/v1/[namespaces/NS/]RESOURCE
// and /apis/GROUP/VERSION/[namespaces/NS/]RESOURCE; custom resources are
// named RESOURCE.GROUP. "" when the path is neither.
func watchName(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var group string
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		group, parts = parts[1], parts[3:]
	default:
		return ""
	}
	if len(parts) == 3 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	if len(parts) != 1 {
		return ""
	}
	if name, ok := typedWatchNames[group+"/"+parts[0]]; ok {
		return name
	}
	if group == "" {
		return parts[0]
	}
	return parts[0] + "." + group
}

func (w *Watcher) watchNamed(name string) *watchState {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ws := range w.watches {
		if ws.name == name && len(ws.informers) > 0 {
			return ws
		}
	}
	return nil
}

// connFailed marks a watch failing because its request got no answer.
func (w *Watcher) connFailed(name string, err error) {
	ws := w.watchNamed(name)
	if ws == nil {
		return
	}
	w.mu.Lock()
	ws.connLost = true
	w.mu.Unlock()
	w.watchFailed(ws, err) // the reason is kube.Explain's: "dial 127.0.0.1:6443: connect: connection refused"
}

// connLive clears a failing state that a lost connection caused, once a
// watch request of the resource is answered again.
func (w *Watcher) connLive(name string) {
	ws := w.watchNamed(name)
	if ws == nil {
		return
	}
	w.mu.Lock()
	recovered := ws.connLost && ws.phase == platform.Failing && allSynced(ws.informers)
	if recovered {
		ws.phase, ws.reason, ws.since, ws.connLost = platform.Synced, "", w.clock.Now(), false
	}
	w.mu.Unlock()
	if recovered {
		w.changed()
	}
}
