package watch

import (
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
)

// maxEvents bounds the Warning events a snapshot carries.
const maxEvents = 1000

// builder turns informer caches into snapshots. It keeps the converted form
// of every object keyed by UID and resourceVersion, so a snapshot after a
// small change converts only what changed and shares the rest.
type builder struct {
	members map[string]cachedMember
	crs     map[string]cachedCR
	events  map[string]cachedEvent
	seen    map[string]bool // scratch: UIDs visited in this build
}

type cachedMember struct {
	rv         string
	member     *platform.Member
	membership operator.Membership
	managed    bool
}

type cachedCR struct {
	rv    string
	comps []*platform.Component
}

type cachedEvent struct {
	rv    string
	event platform.Event
}

func (b *builder) init() {
	b.members = map[string]cachedMember{}
	b.crs = map[string]cachedCR{}
	b.events = map[string]cachedEvent{}
	b.seen = map[string]bool{}
}

// prune drops cache entries not seen in this build.
func prune[V any](m map[string]V, seen map[string]bool) {
	for k := range m {
		if !seen[k] {
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

func (w *Watcher) build() *platform.Snapshot {
	b := &w.builder
	now := w.clock.Now()
	w.seq++
	snap := &platform.Snapshot{
		Seq: w.seq, Taken: now, LastChange: time.Unix(0, w.lastChange.Load()),
		Context: w.cfg.Clients.Context, Namespaces: w.cfg.Scope.Namespaces,
		Syncs: w.syncStates(),
	}
	clear(b.seen)

	// Components declared by the operators' resources.
	groups := map[groupKey]*platform.Component{}
	platformNS := map[string]bool{}
	for _, cr := range w.crs {
		for _, obj := range list(cr.informers) {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			uid := string(u.GetUID())
			b.seen[uid] = true
			c, hit := b.crs[uid]
			if !hit || c.rv != u.GetResourceVersion() {
				c = cachedCR{rv: u.GetResourceVersion(), comps: operator.Decode(cr.res, u)}
				b.crs[uid] = c
			}
			for _, comp := range c.comps {
				cp := *comp // decoded components are shared; members are per snapshot
				cp.Members = nil
				groups[groupKey{cp.Namespace, cp.Cluster, cp.Kind}] = &cp
				platformNS[cp.Namespace] = true
			}
		}
	}

	// Member pods, grouped by the operators' labels.
	pods := list(w.pods)
	var unmanaged []*cachedMember
	for _, obj := range pods {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			continue
		}
		uid := string(p.UID)
		b.seen[uid] = true
		cm, hit := b.members[uid]
		if !hit || cm.rv != p.ResourceVersion {
			cm = cachedMember{rv: p.ResourceVersion, member: member(p)}
			cm.membership, cm.managed = operator.Classify(p.Labels)
			b.members[uid] = cm
		}
		if !cm.managed {
			c := cm
			unmanaged = append(unmanaged, &c)
			continue
		}
		k := groupKey{p.Namespace, cm.membership.Cluster, cm.membership.Kind}
		comp := groups[k]
		if comp == nil {
			// Pods of an operator whose resource we cannot see (forbidden,
			// deleted, CRD absent): show them with what the workload says.
			comp = &platform.Component{Kind: k.kind, Cluster: k.cluster, Namespace: k.ns,
				Source: platform.Ref{Kind: cm.membership.Resource, Namespace: k.ns, Name: k.cluster}}
			groups[k] = comp
		}
		platformNS[p.Namespace] = true
		comp.Members = append(comp.Members, cm.member)
	}

	// Other workloads in the platform's namespaces, grouped by owner.
	workloads := w.workloadReplicas()
	for _, cm := range unmanaged {
		m := cm.member
		if !platformNS[m.Namespace] || (m.Phase == string(corev1.PodSucceeded) && strings.HasPrefix(m.Owner, "Job/")) {
			continue
		}
		name, owner := ownerName(m)
		k := groupKey{m.Namespace, name, platform.Other}
		comp := groups[k]
		if comp == nil {
			comp = &platform.Component{Kind: platform.Other, Cluster: name, Namespace: m.Namespace,
				Source: platform.Ref{Kind: owner, Namespace: m.Namespace, Name: name}}
			if n, ok := workloads[owner+"/"+m.Namespace+"/"+name]; ok {
				comp.Desired, comp.HasSpec = n, true
			}
			groups[k] = comp
		}
		comp.Members = append(comp.Members, m)
	}
	prune(b.members, b.seen)
	prune(b.crs, b.seen)

	snap.Components = make([]*platform.Component, 0, len(groups))
	for k, comp := range groups {
		if !comp.HasSpec && comp.Kind != platform.Other {
			if n, ok := workloads[workloadFor(k)]; ok {
				comp.Desired, comp.HasSpec = n, true
			}
		}
		slices.SortFunc(comp.Members, func(a, b *platform.Member) int { return strings.Compare(a.Name, b.Name) })
		comp.Ready = 0
		for _, m := range comp.Members {
			if m.Ready && !m.Terminating {
				comp.Ready++
			}
		}
		operator.Assess(comp)
		snap.Components = append(snap.Components, comp)
	}
	slices.SortFunc(snap.Components, compareComponents)

	snap.Events = w.buildEvents(platformNS)
	for _, obj := range list(w.nodes) {
		if n, ok := obj.(*corev1.Node); ok {
			snap.Nodes = append(snap.Nodes, node(n))
		}
	}
	slices.SortFunc(snap.Nodes, func(a, b platform.Node) int { return strings.Compare(a.Name, b.Name) })
	return snap
}

func (w *Watcher) buildEvents(platformNS map[string]bool) []platform.Event {
	b := &w.builder
	clear(b.seen)
	var out []platform.Event
	for _, obj := range list(w.events) {
		e, ok := obj.(*corev1.Event)
		if !ok || e.Type != corev1.EventTypeWarning {
			continue
		}
		if !w.cfg.Scope.All() || platformNS[e.Namespace] {
			uid := string(e.UID)
			b.seen[uid] = true
			ce, hit := b.events[uid]
			if !hit || ce.rv != e.ResourceVersion {
				ce = cachedEvent{rv: e.ResourceVersion, event: event(e)}
				b.events[uid] = ce
			}
			out = append(out, ce.event)
		}
	}
	prune(b.events, b.seen)
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
	for _, obj := range list(w.statefulsets) {
		if s, ok := obj.(*appsv1.StatefulSet); ok {
			out["StatefulSet/"+s.Namespace+"/"+s.Name] = replicasOf(s.Spec.Replicas)
		}
	}
	for _, obj := range list(w.deployments) {
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
