package watch

import (
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
)

// maxEvents bounds the Warning events a snapshot carries.
const maxEvents = 1000

// builder turns informer caches into snapshots. It keeps the converted form
// of every object keyed by UID and resourceVersion, so a snapshot after a
// small change converts only what changed, and it reuses whole components of
// the previous snapshot when none of their members or resources changed
// (snapshots are immutable, so sharing is safe).
type builder struct {
	gen     uint64 // build number; cache entries not touched in a build are dropped
	members map[string]*cachedMember
	crs     map[string]*cachedCR
	events  map[string]*cachedEvent
	prev    map[groupKey]*platform.Component
	pairs   []memberOf // scratch, reused between builds
}

type cachedMember struct {
	gen     uint64
	rv      string
	member  *platform.Member
	key     groupKey
	managed bool
	source  string // the custom resource kind whose labels matched
}

type cachedCR struct {
	gen   uint64
	rv    string
	comps []*platform.Component
}

type cachedEvent struct {
	gen   uint64
	rv    string
	event platform.Event
}

type memberOf struct {
	key    groupKey
	member *platform.Member
}

func (b *builder) init() {
	b.members = map[string]*cachedMember{}
	b.crs = map[string]*cachedCR{}
	b.events = map[string]*cachedEvent{}
	b.prev = map[groupKey]*platform.Component{}
}

type generational interface{ generation() uint64 }

func (c *cachedMember) generation() uint64 { return c.gen }
func (c *cachedCR) generation() uint64     { return c.gen }
func (c *cachedEvent) generation() uint64  { return c.gen }

// prune drops cache entries not touched in build gen.
func prune[V generational](m map[string]V, gen uint64) {
	for k, v := range m {
		if v.generation() != gen {
			delete(m, k)
		}
	}
}

func list(infs []cache.SharedIndexInformer) []any {
	if len(infs) == 1 {
		return infs[0].GetStore().List()
	}
	var out []any
	for _, inf := range infs {
		out = append(out, inf.GetStore().List()...)
	}
	return out
}

type groupKey struct {
	ns, cluster string
	kind        platform.Kind
}

// group is a component being assembled in one build.
type group struct {
	comp    *platform.Component // from the resource, or made up from labels
	crGen   bool                // the resource was decoded anew in this build
	count   int
	dirty   bool // a member was added or changed since the previous build
	members []*platform.Member
}

func (w *Watcher) build() *platform.Snapshot {
	b := &w.builder
	b.gen++
	now := w.clock.Now()
	w.seq++
	snap := &platform.Snapshot{
		Seq: w.seq, Taken: now,
		Context: w.cfg.Clients.Context, Namespaces: w.cfg.Scope.Namespaces,
		Syncs: w.syncStates(),
	}
	if ns := w.lastChange.Load(); ns != 0 {
		snap.LastChange = time.Unix(0, ns)
	}

	// Components declared by the operators' resources.
	groups := map[groupKey]*group{}
	platformNS := map[string]bool{}
	for _, cr := range w.crs {
		for _, obj := range list(cr.informers) {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			uid := string(u.GetUID())
			c := b.crs[uid]
			fresh := c == nil || c.rv != u.GetResourceVersion()
			if fresh {
				c = &cachedCR{rv: u.GetResourceVersion(), comps: operator.Decode(cr.res, u)}
				b.crs[uid] = c
			}
			c.gen = b.gen
			for _, comp := range c.comps {
				groups[groupKey{comp.Namespace, comp.Cluster, comp.Kind}] = &group{comp: comp, crGen: fresh}
				platformNS[comp.Namespace] = true
			}
		}
	}

	// Member pods, keyed by the component the operators' labels say they
	// belong to; unmanaged pods by their owning workload.
	workloads := w.workloadReplicas()
	pairs := b.pairs[:0]
	type unmanagedPod struct {
		cm   *cachedMember
		miss bool
	}
	var unmanaged []unmanagedPod
	for _, obj := range list(w.informers[resPods]) {
		p, ok := obj.(*podEntry)
		if !ok {
			continue
		}
		m := p.member
		cm := b.members[m.UID]
		miss := cm == nil || cm.rv != m.ResourceVersion
		if miss {
			cm = &cachedMember{rv: m.ResourceVersion, member: m}
			ms, managed := operator.Classify(m.Labels)
			cm.managed, cm.source = managed, ms.Resource
			if managed {
				cm.key = groupKey{m.Namespace, ms.Cluster, ms.Kind}
			} else {
				name, _ := ownerName(cm.member)
				cm.key = groupKey{m.Namespace, name, platform.Other}
			}
			b.members[m.UID] = cm
		}
		cm.gen = b.gen
		if !cm.managed {
			unmanaged = append(unmanaged, unmanagedPod{cm, miss})
			continue
		}
		g := groups[cm.key]
		if g == nil {
			// Pods of an operator whose resource we cannot see (forbidden,
			// deleted, CRD absent): show them with what the workload says.
			g = &group{comp: &platform.Component{Kind: cm.key.kind, Cluster: cm.key.cluster, Namespace: cm.key.ns,
				Source: platform.Ref{Kind: cm.source, Namespace: cm.key.ns, Name: cm.key.cluster}}, crGen: true}
			if n, ok := workloads[workloadFor(cm.key)]; ok {
				g.comp.Desired, g.comp.HasSpec = n, true
			}
			groups[cm.key] = g
		}
		platformNS[m.Namespace] = true
		g.count++
		g.dirty = g.dirty || miss
		pairs = append(pairs, memberOf{cm.key, cm.member})
	}

	// Other workloads, only in the platform's namespaces.
	for _, u := range unmanaged {
		cm, m := u.cm, u.cm.member
		if !platformNS[m.Namespace] || (m.Phase == string(corev1.PodSucceeded) && strings.HasPrefix(m.Owner, "Job/")) {
			continue
		}
		g := groups[cm.key]
		if g == nil {
			_, owner := ownerName(m)
			g = &group{comp: &platform.Component{Kind: platform.Other, Cluster: cm.key.cluster, Namespace: m.Namespace,
				Source: platform.Ref{Kind: owner, Namespace: m.Namespace, Name: cm.key.cluster}}}
			if n, ok := workloads[owner+"/"+m.Namespace+"/"+cm.key.cluster]; ok {
				g.comp.Desired, g.comp.HasSpec = n, true
			}
			groups[cm.key] = g
		}
		g.count++
		g.dirty = g.dirty || u.miss
		pairs = append(pairs, memberOf{cm.key, m})
	}
	b.pairs = pairs
	prune(b.members, b.gen)
	prune(b.crs, b.gen)

	// Reuse components that did not change; assemble the others.
	next := make(map[groupKey]*platform.Component, len(groups))
	snap.Components = make([]*platform.Component, 0, len(groups))
	for k, g := range groups {
		if prev := b.prev[k]; prev != nil && !g.dirty && !g.crGen && len(prev.Members) == g.count && k.kind != platform.Other {
			next[k] = prev
			continue
		}
		if prev := b.prev[k]; prev != nil && k.kind == platform.Other && !g.dirty && len(prev.Members) == g.count && prev.Desired == g.comp.Desired {
			next[k] = prev
			continue
		}
		cp := *g.comp // decoded components are shared; members are per snapshot
		cp.Members = make([]*platform.Member, 0, g.count)
		next[k] = &cp
	}
	for _, p := range pairs {
		if c := next[p.key]; c != b.prev[p.key] {
			c.Members = append(c.Members, p.member)
		}
	}
	for k, c := range next {
		if c != b.prev[k] {
			if !c.HasSpec && c.Kind != platform.Other {
				if n, ok := workloads[workloadFor(k)]; ok {
					c.Desired, c.HasSpec = n, true
				}
			}
			slices.SortFunc(c.Members, func(a, b *platform.Member) int { return strings.Compare(a.Name, b.Name) })
			c.Ready = 0
			for _, m := range c.Members {
				if m.Ready && !m.Terminating {
					c.Ready++
				}
			}
			operator.Assess(c)
		}
		snap.Components = append(snap.Components, c)
	}
	b.prev = next
	slices.SortFunc(snap.Components, compareComponents)

	// Watching every namespace, only the platform's count; watching chosen
	// ones, everything in them does.
	inScope := func(ns string) bool { return !w.cfg.Scope.All() || platformNS[ns] }
	snap.Events = w.buildEvents(inScope)
	for _, obj := range list(w.informers[resNodes]) {
		if n, ok := obj.(*corev1.Node); ok {
			snap.Nodes = append(snap.Nodes, node(n))
		}
	}
	slices.SortFunc(snap.Nodes, func(a, b platform.Node) int { return strings.Compare(a.Name, b.Name) })
	snap.Services, snap.Ingresses = w.buildNetwork(inScope)
	snap.Claims = w.buildClaims(inScope, snap)
	return snap
}

// buildNetwork converts the Services (with their ready endpoints) and
// Ingresses of the platform's namespaces.
func (w *Watcher) buildNetwork(inScope func(ns string) bool) ([]platform.Service, []platform.Ingress) {
	type counts struct{ ready, notReady int }
	endpoints := map[string]*counts{}
	for _, obj := range list(w.informers[resEndpointSlices]) {
		es, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok || !inScope(es.Namespace) {
			continue
		}
		svc := es.Labels[discoveryv1.LabelServiceName]
		if svc == "" {
			continue
		}
		c := endpoints[es.Namespace+"/"+svc]
		if c == nil {
			c = &counts{}
			endpoints[es.Namespace+"/"+svc] = c
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				c.ready += len(ep.Addresses)
			} else {
				c.notReady += len(ep.Addresses)
			}
		}
	}
	var services []platform.Service
	for _, obj := range list(w.informers[resServices]) {
		s, ok := obj.(*corev1.Service)
		if !ok || !inScope(s.Namespace) {
			continue
		}
		out := service(s)
		if c := endpoints[s.Namespace+"/"+s.Name]; c != nil {
			out.Ready, out.NotReady, out.HasEndpoints = c.ready, c.notReady, true
		}
		services = append(services, out)
	}
	slices.SortFunc(services, func(a, b platform.Service) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	var ingresses []platform.Ingress
	for _, obj := range list(w.informers[resIngresses]) {
		if in, ok := obj.(*networkingv1.Ingress); ok && inScope(in.Namespace) {
			ingresses = append(ingresses, ingress(in))
		}
	}
	slices.SortFunc(ingresses, func(a, b platform.Ingress) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return services, ingresses
}

func (w *Watcher) buildEvents(inScope func(ns string) bool) []platform.Event {
	b := &w.builder
	var out []platform.Event
	for _, obj := range list(w.informers[resEvents]) {
		e, ok := obj.(*corev1.Event)
		if !ok || e.Type != corev1.EventTypeWarning {
			continue
		}
		if inScope(e.Namespace) {
			uid := string(e.UID)
			ce := b.events[uid]
			if ce == nil || ce.rv != e.ResourceVersion {
				ce = &cachedEvent{rv: e.ResourceVersion, event: event(e)}
				b.events[uid] = ce
			}
			ce.gen = b.gen
			out = append(out, ce.event)
		}
	}
	prune(b.events, b.gen)
	slices.SortFunc(out, func(a, b platform.Event) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		return strings.Compare(a.UID, b.UID)
	})
	if len(out) > maxEvents {
		out = out[:maxEvents]
	}
	return out
}

// ownerName names the workload a pod belongs to: a Deployment (through its
// ReplicaSet), a StatefulSet, a DaemonSet or Job, or the pod itself.
func ownerName(m *platform.Member) (name, kind string) {
	kind, name, found := strings.Cut(m.Owner, "/")
	if !found {
		return m.Name, "Pod"
	}
	if kind == "ReplicaSet" {
		if hash := m.Labels["pod-template-hash"]; hash != "" {
			if d, ok := strings.CutSuffix(name, "-"+hash); ok {
				return d, "Deployment"
			}
		}
	}
	return name, kind
}

// workloadFor names the StatefulSet or Deployment an operator creates for a
// component (contracts/LABELS.md), as a key into workloadReplicas.
func workloadFor(k groupKey) string {
	switch k.kind {
	case platform.ZooKeeper:
		return "StatefulSet/" + k.ns + "/" + k.cluster
	case platform.BookKeeper:
		return "StatefulSet/" + k.ns + "/" + k.cluster + "-bookie"
	case platform.SegmentStore:
		return "StatefulSet/" + k.ns + "/" + k.cluster + "-pravega-segment-store"
	case platform.Controller:
		return "Deployment/" + k.ns + "/" + k.cluster + "-pravega-controller"
	case platform.FlinkJobManager:
		return "Deployment/" + k.ns + "/" + k.cluster
	case platform.FlinkTaskManager:
		return "Deployment/" + k.ns + "/" + k.cluster + "-taskmanager"
	}
	return ""
}

// workloadReplicas maps Kind/namespace/name of StatefulSets and Deployments
// to their desired replicas.
func (w *Watcher) workloadReplicas() map[string]int {
	out := map[string]int{}
	for _, obj := range list(w.informers[resStatefulSets]) {
		if s, ok := obj.(*appsv1.StatefulSet); ok {
			out["StatefulSet/"+s.Namespace+"/"+s.Name] = replicasOf(s.Spec.Replicas)
		}
	}
	for _, obj := range list(w.informers[resDeployments]) {
		if d, ok := obj.(*appsv1.Deployment); ok {
			out["Deployment/"+d.Namespace+"/"+d.Name] = replicasOf(d.Spec.Replicas)
		}
	}
	return out
}

func replicasOf(p *int32) int {
	if p == nil {
		return 1
	}
	return int(*p)
}

// compareComponents orders the stream store first (by namespace and cluster,
// its kinds in scaling order), then Flink per project, then other workloads.
func compareComponents(a, b *platform.Component) int {
	if ga, gb := kindGroup(a.Kind), kindGroup(b.Kind); ga != gb {
		return ga - gb
	}
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	if kindGroup(a.Kind) == 0 && a.Kind != b.Kind {
		return int(a.Kind) - int(b.Kind) // the stream store in scaling order
	}
	if c := strings.Compare(a.Cluster, b.Cluster); c != 0 {
		return c
	}
	return int(a.Kind) - int(b.Kind)
}

func kindGroup(k platform.Kind) int {
	switch k {
	case platform.ZooKeeper, platform.BookKeeper, platform.SegmentStore, platform.Controller:
		return 0
	case platform.FlinkJobManager, platform.FlinkTaskManager:
		return 1
	}
	return 2
}
