package scale

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
)

// NodeReport is the Kubernetes level: every node with what is requested on
// it. Notes say what the numbers leave out.
type NodeReport struct {
	Nodes []NodeUsage
	Notes []string
}

// Nodes reads the nodes from the snapshot and what is requested on them
// from a one-off list of pods (an explicit user action; everything else
// comes from the informers).
func (e *Engine) Nodes(ctx context.Context) (NodeReport, error) {
	snap := e.cfg.Source.Snapshot()
	pods, notes, err := e.listPods(ctx)
	if err != nil {
		return NodeReport{}, err
	}
	return NodeReport{Nodes: withUsage(nodeUsage(snap.Nodes, pods), e.usage()), Notes: notes}, nil
}

// listPods lists the running pods of the cluster; when a cluster-wide list
// is refused it falls back to the watched namespaces and says so.
func (e *Engine) listPods(ctx context.Context) ([]corev1.Pod, []string, error) {
	opts := metav1.ListOptions{FieldSelector: "status.phase!=Succeeded,status.phase!=Failed"}
	list, err := e.cfg.Clients.Typed.CoreV1().Pods("").List(ctx, opts)
	if err == nil {
		return list.Items, nil, nil
	}
	if e.cfg.Scope.All() {
		return nil, nil, fmt.Errorf("list pods: %w", kube.Explain(err))
	}
	var pods []corev1.Pod
	for _, ns := range e.cfg.Scope.Namespaces {
		l, err := e.cfg.Clients.Typed.CoreV1().Pods(ns).List(ctx, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("list pods in %s: %w", ns, kube.Explain(err))
		}
		pods = append(pods, l.Items...)
	}
	note := "requests of pods outside the watched namespaces (" + e.cfg.Scope.String() + ") are not counted: " + kube.Explain(err).Error()
	return pods, []string{note}, nil
}

func nodeUsage(nodes []platform.Node, pods []corev1.Pod) []NodeUsage {
	out := make([]NodeUsage, 0, len(nodes))
	idx := map[string]int{}
	for _, n := range nodes {
		idx[n.Name] = len(out)
		out = append(out, NodeUsage{Name: n.Name, Ready: n.Ready, Schedulable: n.Schedulable, Labels: n.Labels, Taints: n.Taints, Allocatable: n.Allocatable,
			Pressure: n.Pressure})
	}
	for i := range pods {
		p := &pods[i]
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if j, ok := idx[p.Spec.NodeName]; ok {
			out[j].Requested = add(out[j].Requested, platform.PodRequests(p))
		}
	}
	slices.SortFunc(out, func(a, b NodeUsage) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Preflight runs every check for a plan and records the result.
func (e *Engine) Preflight(ctx context.Context, planID string) (Preflight, error) {
	ps, err := e.state(planID)
	if err != nil {
		return Preflight{}, err
	}
	plan := e.planOf(ps)
	// The rules on the platform as it is now, with the overrides accepted.
	fresh, err := e.refusalsNow(ctx, plan)
	if err != nil {
		return Preflight{}, err
	}
	plan.Refusals = withOverrides(plan, fresh)
	snap := e.cfg.Source.Snapshot()
	now := e.clock.Now()
	pf := Preflight{Plan: plan.ID, At: now}
	if plan.Storage() {
		return e.storagePreflight(ctx, ps, plan, snap, pf)
	}

	perms := permissionsFor(plan)
	answers := e.review(ctx, perms)
	pf.Checks = append(pf.Checks, checkPlan(plan), checkCredentials(perms, answers, e.who(ctx)), checkHealth(snap, plan),
		checkRestarts(snap, plan, now, e.cfg.RestartWindow))

	res := Check{Name: CheckResources, Status: Skipped}
	if pods, notes, err := e.listPods(ctx); err != nil {
		res.Status, res.Summary = Warn, "cannot tell whether new members fit: "+err.Error()
		res.Fix = "grant list on pods (and nodes) to check capacity"
	} else {
		release, members := e.demand(snap, plan, pods)
		fit := Fit(withUsage(nodeUsage(snap.Nodes, pods), e.usage()), release, members)
		if len(snap.Nodes) == 0 && len(members) > 0 {
			notes = append(notes, "no nodes are visible (list nodes refused?): capacity unknown")
		}
		res = checkResources(fit, len(members), notes)
		pf.Nodes = fit.Nodes
	}
	pf.Checks = append(pf.Checks, res, checkUpgrade(snap, plan, e.cfg.Source))
	return e.finishPreflight(ctx, ps, pf)
}

// finishPreflight audits a preflight's outcome with each check as evidence,
// and keeps it with its plan.
func (e *Engine) finishPreflight(ctx context.Context, ps *planState, pf Preflight) (Preflight, error) {
	result, failed := "pass", pf.Failed()
	if len(failed) > 0 {
		result = "fail"
	}
	var ev []string
	for _, c := range pf.Checks {
		ev = append(ev, c.Status.Glyph()+" "+c.Name+": "+c.Summary)
	}
	if err := e.record(ctx, ps.plan, audit.Record{Action: audit.ActionPreflight, Result: result,
		Message: strings.Join(failed, ", "), Evidence: ev}); err != nil {
		return pf, err
	}
	e.mu.Lock()
	ps.preflight = &pf
	e.mu.Unlock()
	return pf, nil
}

// review asks SelfSubjectAccessReviews for every permission.
func (e *Engine) review(ctx context.Context, perms []Permission) []Answer {
	byNS := map[string][]int{}
	var order []string
	for i, p := range perms {
		if _, ok := byNS[p.Namespace]; !ok {
			order = append(order, p.Namespace)
		}
		byNS[p.Namespace] = append(byNS[p.Namespace], i)
	}
	out := make([]Answer, len(perms))
	for _, ns := range order {
		var checks []access.Check
		for _, i := range byNS[ns] {
			p := perms[i]
			checks = append(checks, access.Check{Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource, Cluster: ns == ""})
		}
		var nss []string
		if ns != "" {
			nss = []string{ns}
		}
		m := access.Review(ctx, e.cfg.Clients.Typed, checks, nss)
		for j, i := range byNS[ns] {
			a := m.Answers[j][0]
			out[i] = Answer{Allowed: a.Allowed, Reason: a.Reason, Err: a.Err}
		}
	}
	return out
}

// demand works out what the plan adds to the nodes: new members with the
// requests, node selector and tolerations of an existing member (or of the
// custom resource's spec when there is none), and for a redeploy the old
// members' requests released.
func (e *Engine) demand(snap *platform.Snapshot, plan Plan, pods []corev1.Pod) ([]Release, []NewMember) {
	var release []Release
	var members []NewMember
	// A plan may take a component in several steps (ZooKeeper 3→5→7):
	// each later step adds only what the one before it did not.
	planned := map[string]int{}
	for _, s := range plan.Steps {
		comp := snap.Component(s.Key)
		var mine []*corev1.Pod
		for i := range pods {
			p := &pods[i]
			if p.Namespace != s.Namespace || p.DeletionTimestamp != nil {
				continue
			}
			if m, ok := operator.Classify(p.Labels); ok && m.Cluster == s.Cluster && m.Kind == s.Kind {
				mine = append(mine, p)
			}
		}
		slices.SortFunc(mine, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
		tmpl := NewMember{}
		if len(mine) > 0 {
			tmpl.Requests = platform.PodRequests(mine[0])
			tmpl.NodeSelector = mine[0].Spec.NodeSelector
			tmpl.Tolerations = mine[0].Spec.Tolerations
		} else if comp != nil {
			if u, ok := e.cfg.Source.Object(gvrOf(comp.Source), comp.Source.Namespace, comp.Source.Name); ok {
				tmpl.Requests = specRequests(comp, u)
			}
		}
		from := len(mine)
		if n, ok := planned[s.Key]; ok {
			from = n
		}
		planned[s.Key] = s.Expect
		add := s.Expect - from
		if s.Redeploy {
			for _, p := range mine {
				release = append(release, Release{Node: p.Spec.NodeName, Requests: platform.PodRequests(p)})
			}
			tmpl.Requests = flinkRequests(s, tmpl.Requests)
			add, from = s.Expect, 0
		}
		for i := 0; i < add; i++ {
			m := tmpl
			m.Name = fmt.Sprintf("%s %s #%d", s.Kind, s.Cluster, from+i+1)
			members = append(members, m)
		}
	}
	return release, members
}

// specRequests reads the members' requests from the custom resource.
func specRequests(c *platform.Component, u *unstructured.Unstructured) platform.Resources {
	b, ok := bindingFor(c, Replicas)
	if !ok || b.requests == nil {
		if c.Source.Kind == "FlinkDeployment" {
			return flinkResource(u)
		}
		return platform.Resources{}
	}
	m, _, _ := unstructured.NestedStringMap(u.Object, b.requests...)
	var r platform.Resources
	if q, err := resource.ParseQuantity(m["cpu"]); err == nil {
		r.MilliCPU = q.MilliValue()
	}
	if q, err := resource.ParseQuantity(m["memory"]); err == nil {
		r.Memory = q.Value()
	}
	if q, err := resource.ParseQuantity(m["ephemeral-storage"]); err == nil {
		r.EphemeralStorage = q.Value()
	}
	return r
}

// flinkRequests is what a TaskManager asks for after a step that changes
// its CPU or memory.
func flinkRequests(s Step, cur platform.Resources) platform.Resources {
	for _, d := range s.Diffs {
		switch d.Field {
		case TaskManagerCPU:
			if c, err := strconv.ParseFloat(d.To, 64); err == nil {
				cur.MilliCPU = int64(math.Round(c * 1000))
			}
		case TaskManagerMemory:
			if n, err := ParseFlinkMemory(d.To); err == nil {
				cur.Memory = n
			}
		}
	}
	return cur
}

func flinkResource(u *unstructured.Unstructured) platform.Resources {
	var r platform.Resources
	if v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "taskManager", "resource", "cpu"); ok {
		switch c := v.(type) {
		case float64:
			r.MilliCPU = int64(math.Round(c * 1000))
		case int64:
			r.MilliCPU = c * 1000
		}
	}
	if m, ok, _ := unstructured.NestedString(u.Object, "spec", "taskManager", "resource", "memory"); ok {
		r.Memory, _ = ParseFlinkMemory(m)
	}
	return r
}

// refuseReadOnly is shared by the write paths: read-only refuses and
// records the refusal.
func (e *Engine) refuseReadOnly(ctx context.Context, plan Plan, what string) error {
	if !e.cfg.ReadOnly.On() {
		return nil
	}
	if err := e.record(ctx, plan, audit.Record{Action: audit.ActionRefused, Result: "read-only", Message: what + " refused: " + ErrReadOnly.Error()}); err != nil {
		return fmt.Errorf("%w; and the audit log failed: %v", ErrReadOnly, err)
	}
	return ErrReadOnly
}
