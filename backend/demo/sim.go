package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
)

// The simulator plays the operators (custom resource → workload → pods,
// status written back) and the kubelets (pods scheduled, started, ready,
// containers restarting). It reads the resources' specs on every step, so a
// patch to a custom resource is reconciled like a real operator would.
type simulator struct {
	p    *Platform
	log  *slog.Logger
	pods map[string]*podSim // by namespace/name
	// startAfter and readyAfter are how long a new member takes to run and to
	// pass its readiness probe (divided by Speed).
	startAfter, readyAfter time.Duration
	restartEvery           time.Duration
	nextFault              time.Time
	lastStep               time.Time
	converged              bool
	networkSeeded          bool
	trouble                troubleState // faults.go
	jobIDs                 map[string]string
}

type podSim struct {
	created    time.Time
	readyAt    time.Time
	recoverAt  time.Time // a restarted container becomes ready again
	restarting string    // container that is restarting
}

// member is one pod a component should have.
type memberSpec struct {
	name, container, owner, ownerKind string
	labels, annotations               map[string]string
	requests                          corev1.ResourceList
	limits                            corev1.ResourceList // what the custom resource limits the container to
	image                             string
}

type componentSpec struct {
	res       operator.Resource
	cr        *unstructured.Unstructured
	kind      platform.Kind
	workload  string // StatefulSet or Deployment name ("" for bare pods)
	stateful  bool
	members   []memberSpec
	version   string
	statusFor string // which status block this component feeds
}

func newSimulator(p *Platform) *simulator {
	return &simulator{
		p: p, log: slog.New(slog.DiscardHandler), pods: map[string]*podSim{},
		startAfter: scaled(p.opts.Speed, 800*time.Millisecond), readyAfter: scaled(p.opts.Speed, 2*time.Second),
		restartEvery: scaled(p.opts.Speed, 25*time.Second),
		jobIDs:       map[string]string{},
	}
}

func scaled(speed float64, d time.Duration) time.Duration { return time.Duration(float64(d) / speed) }

func (s *simulator) run(ctx context.Context) error {
	t := s.p.clock.NewTicker(s.p.opts.Interval)
	defer t.Stop()
	for {
		if err := s.safeStep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("demo simulator step", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// safeStep runs a step; a panic is logged with its stack and sent to
// Errors as one line, and the next step runs as usual.
func (s *simulator) safeStep(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic recovered", "in", "demo simulator", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error in the demo simulator: %v", r)
			select {
			case s.p.errs <- err:
			default:
			}
		}
	}()
	return s.step(ctx)
}

func (s *simulator) settled() bool { return s.converged }

// step is one reconcile round over every custom resource.
func (s *simulator) step(ctx context.Context) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	// client-go's fake clientsets record every call they serve; nothing
	// reads the record, and unread it grows for as long as the demo runs.
	s.p.typed.ClearActions()
	s.p.dynamic.ClearActions()
	now := s.p.clock.Now()
	s.lastStep = now
	comps, err := s.desired(ctx)
	if err != nil {
		return err
	}
	converged := true
	for _, c := range comps {
		done, err := s.reconcile(ctx, c, now)
		if err != nil {
			return fmt.Errorf("reconcile %s %s: %w", c.kind, c.cr.GetName(), err)
		}
		converged = converged && done
	}
	if err := s.kubelet(ctx, now); err != nil {
		return err
	}
	if err := s.resize(ctx); err != nil {
		return err
	}
	if s.p.opts.Faults {
		if err := s.maybeFault(ctx, now); err != nil {
			return err
		}
	}
	if err := s.troubles(ctx, now); err != nil {
		return err
	}
	if err := s.writeStatuses(ctx, comps, now); err != nil {
		return err
	}
	if err := s.network(ctx); err != nil {
		return err
	}
	s.converged = converged
	if converged && (!s.p.opts.Faults || s.trouble.setUp) {
		s.p.settledOnce.Do(func() { close(s.p.settled) })
	}
	return nil
}

// desired reads every custom resource and derives the members it asks for.
func (s *simulator) desired(ctx context.Context) ([]componentSpec, error) {
	var out []componentSpec
	for _, res := range operator.All {
		if res.Fallback {
			continue
		}
		list, err := s.p.dynamic.Resource(res.GVR).Namespace("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", res.Name(), err)
		}
		items := list.Items
		slices.SortFunc(items, func(a, b unstructured.Unstructured) int {
			return strings.Compare(a.GetNamespace()+a.GetName(), b.GetNamespace()+b.GetName())
		})
		for i := range items {
			out = append(out, specsFor(res, &items[i])...)
		}
	}
	return out, nil
}

func nestedInt(u *unstructured.Unstructured, def int, path ...string) int {
	v, found, err := unstructured.NestedFieldNoCopy(u.Object, path...)
	if err != nil || !found {
		return def
	}
	switch n := v.(type) {
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return def
}

func nestedString(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

func requestsAt(u *unstructured.Unstructured, path ...string) corev1.ResourceList {
	return resourceListAt(u, append(path, "requests")...)
}

// limitsAt reads the limits of a resources block (which the OOMKilled
// members are shown against).
func limitsAt(u *unstructured.Unstructured, path ...string) corev1.ResourceList {
	return resourceListAt(u, append(path, "limits")...)
}

// withLimits gives every member of a component the limits.
func withLimits(c componentSpec, l corev1.ResourceList) componentSpec {
	for i := range c.members {
		c.members[i].limits = l
	}
	return c
}

func resourceListAt(u *unstructured.Unstructured, path ...string) corev1.ResourceList {
	m, _, _ := unstructured.NestedStringMap(u.Object, path...)
	out := corev1.ResourceList{}
	for k, v := range m {
		if q, err := resource.ParseQuantity(v); err == nil {
			out[corev1.ResourceName(k)] = q
		}
	}
	return out
}

func flinkRequests(u *unstructured.Unstructured, role string) corev1.ResourceList {
	out := corev1.ResourceList{}
	if cpu, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", role, "resource", "cpu"); ok {
		switch c := cpu.(type) {
		case float64:
			out[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(c*1000), resource.DecimalSI)
		case int64:
			out[corev1.ResourceCPU] = *resource.NewQuantity(c, resource.DecimalSI)
		}
	}
	if mem := nestedString(u, "spec", role, "resource", "memory"); mem != "" {
		mem = strings.TrimSuffix(mem, "m") // Flink writes "2048m" for MiB
		if q, err := resource.ParseQuantity(mem + "Mi"); err == nil {
			out[corev1.ResourceMemory] = q
		}
	}
	return out
}

func ordinal(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// specsFor maps one custom resource to its components, with the workload
// names, pod names and labels the real operators use (contracts/LABELS.md).
func specsFor(res operator.Resource, u *unstructured.Unstructured) []componentSpec {
	name := u.GetName()
	mk := func(kind platform.Kind, workload string, stateful bool, names []string, container, image string, labels, ann map[string]string, req corev1.ResourceList) componentSpec {
		c := componentSpec{res: res, cr: u, kind: kind, workload: workload, stateful: stateful}
		ownerKind := "StatefulSet"
		if !stateful {
			ownerKind = "ReplicaSet"
		}
		for _, n := range names {
			c.members = append(c.members, memberSpec{name: n, container: container, owner: workload, ownerKind: ownerKind, labels: labels, annotations: ann, requests: req, image: image})
		}
		return c
	}
	switch res.Kind {
	case "ZookeeperCluster":
		n := nestedInt(u, 3, "spec", "replicas")
		tag := nestedString(u, "spec", "image", "tag")
		c := mk(platform.ZooKeeper, name, true, ordinal(name, n), "zookeeper", "pravega/zookeeper:"+tag,
			map[string]string{"app": name, "release": name, "kind": "ZookeeperMember"}, nil, requestsAt(u, "spec", "pod", "resources"))
		c = withLimits(c, limitsAt(u, "spec", "pod", "resources"))
		c.version = tag
		return []componentSpec{c}
	case "BookkeeperCluster":
		n := nestedInt(u, 3, "spec", "replicas")
		v := nestedString(u, "spec", "version")
		c := mk(platform.BookKeeper, name+"-bookie", true, ordinal(name+"-bookie", n), "bookie", "pravega/bookkeeper:"+v,
			map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": name, "component": "bookie"},
			map[string]string{"bookkeeper.version": v}, requestsAt(u, "spec", "resources"))
		c = withLimits(c, limitsAt(u, "spec", "resources"))
		c.version = v
		return []componentSpec{c}
	case "PravegaCluster":
		v := nestedString(u, "spec", "version")
		common := func(component string) map[string]string {
			return map[string]string{"app": "pravega-cluster", "pravega_cluster": name, "component": component}
		}
		ss := mk(platform.SegmentStore, name+"-pravega-segment-store", true,
			ordinal(name+"-pravega-segment-store", nestedInt(u, 1, "spec", "pravega", "segmentStoreReplicas")),
			"pravega-segmentstore", "pravega/pravega:"+v, common("pravega-segmentstore"), map[string]string{"pravega.version": v},
			requestsAt(u, "spec", "pravega", "segmentStoreResources"))
		ct := mk(platform.Controller, name+"-pravega-controller", false,
			hashed(name+"-pravega-controller", nestedInt(u, 1, "spec", "pravega", "controllerReplicas")),
			"pravega-controller", "pravega/pravega:"+v, common("pravega-controller"), map[string]string{"pravega.version": v},
			requestsAt(u, "spec", "pravega", "controllerResources"))
		ss = withLimits(ss, limitsAt(u, "spec", "pravega", "segmentStoreResources"))
		ct = withLimits(ct, limitsAt(u, "spec", "pravega", "controllerResources"))
		ss.version, ct.version = v, v
		ss.statusFor, ct.statusFor = "pravega", "pravega"
		return []componentSpec{ss, ct}
	case "FlinkDeployment":
		image := nestedString(u, "spec", "image")
		labels := func(role string) map[string]string {
			return map[string]string{"type": "flink-native-kubernetes", "app": name, "component": role}
		}
		jm := mk(platform.FlinkJobManager, name, false, hashed(name, nestedInt(u, 1, "spec", "jobManager", "replicas")),
			"flink-main-container", image, labels("jobmanager"), nil, flinkRequests(u, "jobManager"))
		tmNames := make([]string, nestedInt(u, 1, "spec", "taskManager", "replicas"))
		for i := range tmNames {
			tmNames[i] = fmt.Sprintf("%s-taskmanager-1-%d", name, i+1)
		}
		tm := mk(platform.FlinkTaskManager, "", false, tmNames, "flink-main-container", image, labels("taskmanager"), nil, flinkRequests(u, "taskManager"))
		for i := range tm.members {
			tm.members[i].owner, tm.members[i].ownerKind = name, "Deployment"
		}
		v := nestedString(u, "spec", "flinkVersion")
		jm.version, tm.version = v, v
		return []componentSpec{jm, tm}
	}
	return nil
}

// hashed names Deployment pods as the ReplicaSet controller does:
// <deployment>-<template hash>-<5 chars>, stable for a given deployment.
func hashed(deployment string, n int) []string {
	h := fnv(deployment)
	hash := fmt.Sprintf("%x", h)[:8]
	out := make([]string, n)
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	for i := range out {
		x := fnv(fmt.Sprintf("%s/%d", deployment, i))
		suffix := make([]byte, 5)
		for j := range suffix {
			suffix[j] = alphabet[x%uint32(len(alphabet))]
			x /= uint32(len(alphabet))
		}
		out[i] = deployment + "-" + hash + "-" + string(suffix)
	}
	return out
}

func fnv(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// reconcile makes the workload and pods of one component match its spec,
// adding or removing at most one member per step, as operators roll.
func (s *simulator) reconcile(ctx context.Context, c componentSpec, now time.Time) (bool, error) {
	ns := c.cr.GetNamespace()
	if c.workload != "" {
		if err := s.ensureWorkload(ctx, c); err != nil {
			return false, err
		}
	}
	existing, err := s.p.typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labelSelector(c.members, c)})
	if err != nil {
		return false, fmt.Errorf("list pods: %w", err)
	}
	have := map[string]*corev1.Pod{}
	for i := range existing.Items {
		have[existing.Items[i].Name] = &existing.Items[i]
	}
	want := map[string]bool{}
	for _, m := range c.members {
		want[m.name] = true
	}
	// Remove surplus members, highest ordinal first.
	var surplus []string
	for n := range have {
		if !want[n] {
			surplus = append(surplus, n)
		}
	}
	if len(surplus) > 0 {
		slices.Sort(surplus)
		victim := surplus[len(surplus)-1]
		delete(s.pods, ns+"/"+victim)
		if err := s.p.typed.CoreV1().Pods(ns).Delete(ctx, victim, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("delete pod %s: %w", victim, err)
		}
		return false, nil
	}
	// Add the first missing member once the previous ones are ready
	// (StatefulSets roll in order).
	for _, m := range c.members {
		p, ok := have[m.name]
		if !ok {
			return false, s.createPod(ctx, ns, m, c.stateful)
		}
		if c.stateful && !podReady(p) {
			return false, nil
		}
	}
	for _, p := range have {
		if !podReady(p) {
			return false, nil
		}
	}
	return true, nil
}

func labelSelector(members []memberSpec, c componentSpec) string {
	if len(members) == 0 {
		// no members wanted: find what is left by the component's labels
		switch c.kind {
		case platform.ZooKeeper:
			return "kind=ZookeeperMember,app=" + c.cr.GetName()
		case platform.BookKeeper:
			return "app=bookkeeper-cluster,bookkeeper_cluster=" + c.cr.GetName()
		case platform.SegmentStore:
			return "component=pravega-segmentstore,pravega_cluster=" + c.cr.GetName()
		case platform.Controller:
			return "component=pravega-controller,pravega_cluster=" + c.cr.GetName()
		case platform.FlinkJobManager:
			return "component=jobmanager,app=" + c.cr.GetName()
		default:
			return "component=taskmanager,app=" + c.cr.GetName()
		}
	}
	var parts []string
	for k, v := range members[0].labels {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (s *simulator) ensureWorkload(ctx context.Context, c componentSpec) error {
	ns := c.cr.GetNamespace()
	replicas := int32(len(c.members))
	ready := int32(0)
	if list, err := s.p.typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labelSelector(c.members, c)}); err == nil {
		for i := range list.Items {
			if podReady(&list.Items[i]) {
				ready++
			}
		}
	}
	owner := []metav1.OwnerReference{{APIVersion: c.cr.GetAPIVersion(), Kind: c.cr.GetKind(), Name: c.cr.GetName(), UID: c.cr.GetUID(), Controller: ptr.To(true)}}
	if c.stateful {
		cur, err := s.p.typed.AppsV1().StatefulSets(ns).Get(ctx, c.workload, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = s.p.typed.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{
				ObjectMeta: metav1.ObjectMeta{Name: c.workload, Namespace: ns, OwnerReferences: owner},
				Spec:       appsv1.StatefulSetSpec{Replicas: &replicas, ServiceName: c.workload + "-headless"},
				Status:     appsv1.StatefulSetStatus{Replicas: replicas, ReadyReplicas: ready},
			}, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		if *cur.Spec.Replicas == replicas && cur.Status.ReadyReplicas == ready {
			return nil
		}
		cur.Spec.Replicas, cur.Status.Replicas, cur.Status.ReadyReplicas = &replicas, replicas, ready
		_, err = s.p.typed.AppsV1().StatefulSets(ns).Update(ctx, cur, metav1.UpdateOptions{})
		return err
	}
	cur, err := s.p.typed.AppsV1().Deployments(ns).Get(ctx, c.workload, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = s.p.typed.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: c.workload, Namespace: ns, OwnerReferences: owner},
			Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
			Status:     appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: ready},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if *cur.Spec.Replicas == replicas && cur.Status.ReadyReplicas == ready {
		return nil
	}
	cur.Spec.Replicas, cur.Status.Replicas, cur.Status.ReadyReplicas = &replicas, replicas, ready
	_, err = s.p.typed.AppsV1().Deployments(ns).Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

// createPod schedules a new member on the node with the most free CPU, as a
// scheduler would, and leaves it Pending until the kubelet starts it.
func (s *simulator) createPod(ctx context.Context, ns string, m memberSpec, stateful bool) error {
	nodeName, err := s.schedule(ctx, m.requests)
	if err != nil {
		return err
	}
	now := s.p.clock.Now()
	ownerName := m.owner
	labels := map[string]string{}
	for k, v := range m.labels {
		labels[k] = v
	}
	if m.ownerKind == "ReplicaSet" {
		parts := strings.Split(m.name, "-")
		hash := parts[len(parts)-2]
		ownerName = m.owner + "-" + hash
		labels["pod-template-hash"] = hash
	}
	if stateful {
		labels["statefulset.kubernetes.io/pod-name"] = m.name
	}
	if m.ownerKind == "ReplicaSet" {
		s.ensureReplicaSet(ctx, ns, m.owner, ownerName)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: m.name, Namespace: ns, Labels: labels, Annotations: m.annotations,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: m.ownerKind, Name: ownerName, UID: types.UID("uid-" + ns + "-" + ownerName), Controller: ptr.To(true)}},
		},
		Spec: corev1.PodSpec{
			NodeName:   nodeName,
			Containers: []corev1.Container{{Name: m.container, Image: m.image, Resources: corev1.ResourceRequirements{Requests: m.requests, Limits: m.limits}}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodPending,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now)},
				{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", LastTransitionTime: metav1.NewTime(now)},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: m.container, Image: m.image, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}},
		},
	}
	if _, err := s.p.typed.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create pod %s: %w", m.name, err)
	}
	s.pods[ns+"/"+m.name] = &podSim{created: now, readyAt: now.Add(s.startAfter + s.readyAfter)}
	return nil
}

// ensureReplicaSet records the ReplicaSet between a Deployment and its
// pods, as the Deployment controller makes it, so that a pod's owner
// chain reads as on a real cluster. Nothing watches ReplicaSets: it goes
// into the tracker directly, with a fixed version and the UID the pods'
// owner references name, so the stamps' counter (and the goldens' UIDs)
// stay as they were.
func (s *simulator) ensureReplicaSet(ctx context.Context, ns, deployment, name string) {
	tracker := s.p.typed.Tracker()
	gvr := appsv1.SchemeGroupVersion.WithResource("replicasets")
	if _, err := tracker.Get(gvr, ns, name); err == nil {
		return
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "1", UID: types.UID("uid-" + ns + "-" + name),
		Labels: map[string]string{"pod-template-hash": strings.TrimPrefix(name, deployment+"-")}}}
	if d, err := s.p.typed.AppsV1().Deployments(ns).Get(ctx, deployment, metav1.GetOptions{}); err == nil {
		rs.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: deployment, UID: d.UID, Controller: ptr.To(true)}}
		rs.Spec.Replicas = d.Spec.Replicas
	}
	_ = tracker.Add(rs) // exists already: another pod of it came first
}

// schedule picks the node with the most unrequested CPU that fits.
func (s *simulator) schedule(ctx context.Context, req corev1.ResourceList) (string, error) {
	nodes, err := s.p.typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list nodes: %w", err)
	}
	pods, err := s.p.typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list pods: %w", err)
	}
	used := map[string]int64{}
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			used[p.Spec.NodeName] += c.Resources.Requests.Cpu().MilliValue()
		}
	}
	best, bestFree := "", int64(-1)
	slices.SortFunc(nodes.Items, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	for _, n := range nodes.Items {
		free := n.Status.Allocatable.Cpu().MilliValue() - used[n.Name]
		if free >= req.Cpu().MilliValue() && free > bestFree {
			best, bestFree = n.Name, free
		}
	}
	return best, nil // "" leaves the pod unschedulable
}

// kubelet moves pods through their life: running after startAfter, ready
// after readyAfter, and back to ready after a restart.
func (s *simulator) kubelet(ctx context.Context, now time.Time) error {
	pods, err := s.p.typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	slices.SortFunc(pods.Items, func(a, b corev1.Pod) int { return strings.Compare(a.Namespace+a.Name, b.Namespace+b.Name) })
	for i := range pods.Items {
		p := &pods.Items[i]
		st := s.pods[p.Namespace+"/"+p.Name]
		if st == nil {
			// seeded or adopted pod: treat as created long ago
			st = &podSim{created: p.CreationTimestamp.Time, readyAt: p.CreationTimestamp.Add(s.startAfter + s.readyAfter)}
			s.pods[p.Namespace+"/"+p.Name] = st
		}
		if p.Spec.NodeName == "" {
			if p.Status.Phase != corev1.PodPending || len(p.Status.Conditions) == 0 || p.Status.Conditions[0].Reason != "Unschedulable" {
				p.Status.Phase = corev1.PodPending
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/4 nodes are available: 4 Insufficient cpu.", LastTransitionTime: metav1.NewTime(now)}}
				if _, err := s.p.typed.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
					return err
				}
			}
			continue
		}
		changed := false
		started := st.created.Add(s.startAfter)
		if p.Status.Phase == corev1.PodPending && !now.Before(started) {
			p.Status.Phase = corev1.PodRunning
			p.Status.StartTime = ptr.To(metav1.NewTime(started))
			p.Status.PodIP = fmt.Sprintf("10.244.%d.%d", fnv(p.Name)%200, fnv(p.Namespace+p.Name)%250+2)
			p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
			for j := range p.Status.ContainerStatuses {
				cs := &p.Status.ContainerStatuses[j]
				cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(started)}}
				cs.Started = ptr.To(true)
				cs.ContainerID = fmt.Sprintf("containerd://%016x", uint64(fnv(string(p.UID)+cs.Name))<<32|uint64(fnv(p.Name)))
			}
			changed = true
		}
		if p.Status.Phase == corev1.PodRunning {
			wantReady := !now.Before(st.readyAt) && (st.recoverAt.IsZero() || !now.Before(st.recoverAt))
			if !st.recoverAt.IsZero() && !now.Before(st.recoverAt) {
				for j := range p.Status.ContainerStatuses {
					cs := &p.Status.ContainerStatuses[j]
					if cs.State.Waiting != nil {
						cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(st.recoverAt)}}
						changed = true
					}
				}
				st.recoverAt, st.restarting = time.Time{}, ""
			}
			if podReady(p) != wantReady {
				setReady(p, wantReady, now)
				changed = true
			}
		}
		if changed {
			if _, err := s.p.typed.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("update pod %s: %w", p.Name, err)
			}
		}
	}
	return nil
}

func setReady(p *corev1.Pod, ready bool, now time.Time) {
	status, reason := corev1.ConditionFalse, "ContainersNotReady"
	if ready {
		status, reason = corev1.ConditionTrue, ""
	}
	found := false
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i] = corev1.PodCondition{Type: corev1.PodReady, Status: status, Reason: reason, LastTransitionTime: metav1.NewTime(now)}
			found = true
		}
	}
	if !found {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: status, Reason: reason, LastTransitionTime: metav1.NewTime(now)})
	}
	for j := range p.Status.ContainerStatuses {
		p.Status.ContainerStatuses[j].Ready = ready
	}
}

// faults the simulator plays: reason, exit code, signal, event reason and message.
var faults = []struct {
	reason       string
	exit, signal int32
	event, msg   string
}{
	{"OOMKilled", 137, 0, "BackOff", "Back-off restarting failed container %s in pod %s"},
	{"Error", 1, 0, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 503"},
	{"Error", 143, 15, "Unhealthy", "Readiness probe failed: Get \"http://%s:%d/health\": context deadline exceeded"},
}

// maybeFault restarts one running container now and then, with a realistic
// termination reason and the Warning event a kubelet would emit.
func (s *simulator) maybeFault(ctx context.Context, now time.Time) error {
	if s.nextFault.IsZero() {
		s.nextFault = now.Add(s.restartEvery/2 + time.Duration(s.p.rnd.Int64N(int64(s.restartEvery))))
		return nil
	}
	if now.Before(s.nextFault) {
		return nil
	}
	s.nextFault = now.Add(s.restartEvery/2 + time.Duration(s.p.rnd.Int64N(int64(s.restartEvery))))
	pods, err := s.p.typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	var running []*corev1.Pod
	for i := range pods.Items {
		if podReady(&pods.Items[i]) {
			running = append(running, &pods.Items[i])
		}
	}
	if len(running) == 0 {
		return nil
	}
	slices.SortFunc(running, func(a, b *corev1.Pod) int { return strings.Compare(a.Namespace+a.Name, b.Namespace+b.Name) })
	p := running[s.p.rnd.IntN(len(running))]
	f := faults[s.p.rnd.IntN(len(faults))]
	return s.restart(ctx, p, f.reason, f.exit, f.signal, f.event, f.msg, now)
}

// restart records a container restart on a pod and emits its Warning event.
func (s *simulator) restart(ctx context.Context, p *corev1.Pod, reason string, exit, signal int32, eventReason, msgFormat string, now time.Time) error {
	cs := &p.Status.ContainerStatuses[0]
	startedAt := p.CreationTimestamp.Time
	if cs.State.Running != nil {
		startedAt = cs.State.Running.StartedAt.Time
	}
	cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: reason, ExitCode: exit, Signal: signal, StartedAt: metav1.NewTime(startedAt), FinishedAt: metav1.NewTime(now),
	}}
	cs.RestartCount++
	cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: fmt.Sprintf("back-off 10s restarting failed container=%s pod=%s", cs.Name, p.Name)}}
	setReady(p, false, now)
	st := s.pods[p.Namespace+"/"+p.Name]
	if st == nil {
		st = &podSim{created: p.CreationTimestamp.Time}
		s.pods[p.Namespace+"/"+p.Name] = st
	}
	st.recoverAt, st.restarting = now.Add(scaled(s.p.opts.Speed, 6*time.Second)), cs.Name
	if _, err := s.p.typed.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("restart %s: %w", p.Name, err)
	}
	msg := msgFormat
	switch strings.Count(msgFormat, "%") {
	case 2:
		if strings.Contains(msgFormat, "%d") {
			msg = fmt.Sprintf(msgFormat, p.Status.PodIP, 8080)
		} else {
			msg = fmt.Sprintf(msgFormat, cs.Name, p.Name)
		}
	}
	return s.event(ctx, p, cs.Name, eventReason, msg, now)
}

// event records a Warning event about a pod's container, folding repeats
// into a count as the event recorder does.
func (s *simulator) event(ctx context.Context, p *corev1.Pod, container, reason, msg string, now time.Time) error {
	name := fmt.Sprintf("%s.%x", p.Name, fnv(reason+msg))
	events := s.p.typed.CoreV1().Events(p.Namespace)
	if cur, err := events.Get(ctx, name, metav1.GetOptions{}); err == nil {
		cur.Count++
		cur.LastTimestamp = metav1.NewTime(now)
		_, err = events.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	}
	_, err := events.Create(ctx, &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID,
			FieldPath: "spec.containers{" + container + "}", APIVersion: "v1"},
		Reason: reason, Message: msg, Type: corev1.EventTypeWarning, Count: 1,
		FirstTimestamp: metav1.NewTime(now), LastTimestamp: metav1.NewTime(now),
		Source: corev1.EventSource{Component: "kubelet", Host: p.Spec.NodeName},
	}, metav1.CreateOptions{})
	return err
}

// writeStatuses writes each resource's status as its operator would
// (contracts/STATUS.md), only when it changed.
func (s *simulator) writeStatuses(ctx context.Context, comps []componentSpec, now time.Time) error {
	type agg struct {
		cr                      *unstructured.Unstructured
		res                     operator.Resource
		replicas, ready         int
		readyNames, unreadyName []string
		version                 string
		tmReplicas              int
	}
	byCR := map[string]*agg{}
	var order []string
	for _, c := range comps {
		key := c.res.Name() + "/" + c.cr.GetNamespace() + "/" + c.cr.GetName()
		a := byCR[key]
		if a == nil {
			a = &agg{cr: c.cr, res: c.res, version: c.version}
			byCR[key] = a
			order = append(order, key)
		}
		list, err := s.p.typed.CoreV1().Pods(c.cr.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: labelSelector(c.members, c)})
		if err != nil {
			return err
		}
		a.replicas += len(c.members)
		for i := range list.Items {
			if podReady(&list.Items[i]) {
				a.ready++
				a.readyNames = append(a.readyNames, list.Items[i].Name)
			} else {
				a.unreadyName = append(a.unreadyName, list.Items[i].Name)
			}
		}
		if c.kind == platform.FlinkTaskManager {
			a.tmReplicas = len(list.Items)
		}
	}
	for _, key := range order {
		a := byCR[key]
		var status map[string]any
		podsReady := a.ready >= a.replicas
		cond := func(t string, ok bool) map[string]any {
			st := "False"
			if ok {
				st = "True"
			}
			return map[string]any{"type": t, "status": st, "lastTransitionTime": now.UTC().Format(time.RFC3339), "lastUpdateTime": now.UTC().Format(time.RFC3339)}
		}
		slices.Sort(a.readyNames)
		slices.Sort(a.unreadyName)
		switch a.res.Kind {
		case "ZookeeperCluster", "BookkeeperCluster", "PravegaCluster":
			status = map[string]any{
				"replicas": int64(a.replicas), "readyReplicas": int64(a.ready), "currentReplicas": int64(a.ready + len(a.unreadyName)),
				"members":        map[string]any{"ready": toAny(a.readyNames), "unready": toAny(a.unreadyName)},
				"currentVersion": a.version,
				"conditions":     []any{cond("PodsReady", podsReady), cond("Upgrading", false), cond("Error", false)},
			}
			if a.res.Kind == "ZookeeperCluster" {
				delete(status, "currentReplicas")
				status["internalClientEndpoint"] = "10.96.0.21:2181"
				status["externalClientEndpoint"] = "N/A"
				status["metaRootCreated"] = true
			}
		case "FlinkDeployment":
			jobID := s.jobIDs[key]
			if jobID == "" {
				jobID = fmt.Sprintf("%08x%08x%08x%08x", fnv(key), fnv(key+"1"), fnv(key+"2"), fnv(key+"3"))
				s.jobIDs[key] = jobID
			}
			jm := "READY"
			jobState, lifecycle := "RUNNING", "STABLE"
			if !podsReady {
				jm, jobState, lifecycle = "DEPLOYED_NOT_READY", "RECONCILING", "DEPLOYED"
			}
			status = map[string]any{
				"jobStatus": map[string]any{"jobName": a.cr.GetName(), "jobId": jobID, "state": jobState,
					"startTime": fmt.Sprint(a.cr.GetCreationTimestamp().UnixMilli()), "updateTime": fmt.Sprint(now.UnixMilli())},
				"lifecycleState":             lifecycle,
				"jobManagerDeploymentStatus": jm,
				"taskManager":                map[string]any{"labelSelector": "component=taskmanager,app=" + a.cr.GetName(), "replicas": int64(a.tmReplicas)},
				"conditions":                 []any{map[string]any{"type": "Running", "status": map[bool]string{true: "True", false: "False"}[jobState == "RUNNING"], "reason": strings.Title(strings.ToLower(jobState)), "message": "Job status " + jobState, "lastTransitionTime": now.UTC().Format(time.RFC3339)}},
				"reconciliationStatus":       map[string]any{"state": "DEPLOYED", "reconciliationTimestamp": a.cr.GetCreationTimestamp().UnixMilli()},
				"observedGeneration":         a.cr.GetGeneration(),
			}
		default:
			continue
		}
		if sameStatus(a.cr.Object["status"], status) {
			continue
		}
		patch, err := json.Marshal(map[string]any{"status": status})
		if err != nil {
			return err
		}
		if _, err := s.p.dynamic.Resource(a.res.GVR).Namespace(a.cr.GetNamespace()).Patch(ctx, a.cr.GetName(), types.MergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
			return fmt.Errorf("write status of %s %s: %w", a.res.Kind, a.cr.GetName(), err)
		}
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// sameStatus compares statuses ignoring timestamps, so that an unchanged
// platform writes nothing.
func sameStatus(old any, next map[string]any) bool {
	strip := func(v any) string {
		b, _ := json.Marshal(v)
		s := string(b)
		for _, key := range []string{"lastTransitionTime", "lastUpdateTime", "updateTime"} {
			for {
				i := strings.Index(s, `"`+key+`":"`)
				if i < 0 {
					break
				}
				j := strings.Index(s[i+len(key)+4:], `"`)
				s = s[:i] + s[i+len(key)+4+j+1:]
			}
		}
		return s
	}
	return old != nil && strip(old) == strip(next)
}
