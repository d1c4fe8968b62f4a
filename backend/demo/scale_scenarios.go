package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/streamops/streamops/backend/operator"
)

// Scale scenarios the demo can play (`Scenario`).
const (
	// ScenarioStuckMember: the first member any scale-out adds never gets
	// ready (its readiness probe keeps failing): the wizard's step times
	// out and the plan stops.
	ScenarioStuckMember = "stuck-member"
	// ScenarioShortResources: another tenant's batch jobs take most of each
	// node, leaving 8 CPU and 20Gi per node to the platform: two more
	// segment stores fit, three more sensor-aggregation TaskManagers do not,
	// and the preflight blocks that plan.
	ScenarioShortResources = "short-resources"
	// ScenarioChangeFreeze: an admission webhook denies every change to the
	// platform's resources, so the dry run is rejected.
	ScenarioChangeFreeze = "change-freeze"
	// ScenarioNoPatch: the on-call user may read the stream store but not
	// patch it, so the credentials check fails.
	ScenarioNoPatch = "no-patch"
)

// Scenarios lists the scale scenarios.
func Scenarios() []string {
	return []string{ScenarioStuckMember, ScenarioShortResources, ScenarioChangeFreeze, ScenarioNoPatch}
}

// Scenario sets the demo up to play one of the scale scenarios. Call it
// before Run (or Settle).
func (p *Platform) Scenario(ctx context.Context, name string) error {
	switch name {
	case ScenarioStuckMember:
		return p.annotateAll(func(u *unstructured.Unstructured) string {
			return strings.Join(nextMembers(u), ",")
		}, AnnotationNeverReady)
	case ScenarioChangeFreeze:
		return p.annotateAll(func(*unstructured.Unstructured) string {
			return "change freeze in effect for the platform until 2026-11-30 (CHG-4711); ask the release manager"
		}, AnnotationReject)
	case ScenarioNoPatch:
		for _, r := range operator.All {
			if r.Fallback {
				continue
			}
			p.Refuse(Rule{Verb: "patch", Group: r.GVR.Group, Resource: r.GVR.Resource, Namespace: StoreNamespace,
				Reason: `RBAC: role "pravega-viewer" allows get, list, watch only`})
		}
		return nil
	case ScenarioShortResources:
		return p.crowdNodes(ctx)
	}
	return fmt.Errorf("unknown demo scenario %q (known: %s)", name, strings.Join(Scenarios(), ", "))
}

// annotateAll sets an annotation on every custom resource, through the
// tracker (metadata only: no generation change).
func (p *Platform) annotateAll(value func(*unstructured.Unstructured) string, key string) error {
	tracker := p.dynamic.Tracker()
	for _, r := range operator.All {
		if r.Fallback {
			continue
		}
		list, err := tracker.List(r.GVR, r.GVR.GroupVersion().WithKind(r.Kind), "")
		if err != nil {
			return fmt.Errorf("list %s: %w", r.Name(), err)
		}
		ul, ok := list.(*unstructured.UnstructuredList)
		if !ok {
			continue
		}
		for i := range ul.Items {
			u := ul.Items[i].DeepCopy()
			ann := u.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[key] = value(u)
			u.SetAnnotations(ann)
			p.stamp(u)
			if err := tracker.Update(r.GVR, u, u.GetNamespace()); err != nil {
				return fmt.Errorf("annotate %s %s: %w", r.Kind, u.GetName(), err)
			}
		}
	}
	return nil
}

// nextMembers names the member pods a scale-out of a resource would add
// first, as the simulator names them.
func nextMembers(u *unstructured.Unstructured) []string {
	name := u.GetName()
	n := func(def int, path ...string) int { return nestedInt(u, def, path...) }
	switch u.GetKind() {
	case "ZookeeperCluster":
		return []string{fmt.Sprintf("%s-%d", name, n(3, "spec", "replicas"))}
	case "BookkeeperCluster":
		return []string{fmt.Sprintf("%s-bookie-%d", name, n(3, "spec", "replicas"))}
	case "PravegaCluster":
		ss := fmt.Sprintf("%s-pravega-segment-store-%d", name, n(1, "spec", "pravega", "segmentStoreReplicas"))
		ctl := hashed(name+"-pravega-controller", n(1, "spec", "pravega", "controllerReplicas")+1)
		return []string{ss, ctl[len(ctl)-1]}
	case "FlinkDeployment":
		return []string{fmt.Sprintf("%s-taskmanager-1-%d", name, n(1, "spec", "taskManager", "replicas")+1)}
	}
	return nil
}

// batchNamespace holds the other tenant's pods of the short-resources
// scenario.
const batchNamespace = "batch"

// crowdNodes puts a batch executor on every node that requests all but
// 8 CPU and 20Gi of it. (The simulator places members by CPU; the 24.5 CPU
// the seeded platform asks for always find room in 4×8.)
func (p *Platform) crowdNodes(ctx context.Context) error {
	nodes, err := p.typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	slices.SortFunc(nodes.Items, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	if _, err := p.typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: batchNamespace}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", batchNamespace, err)
	}
	leave := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("20Gi")}
	for i, n := range nodes.Items {
		cpu := n.Status.Allocatable.Cpu().DeepCopy()
		cpu.Sub(leave[corev1.ResourceCPU])
		mem := n.Status.Allocatable.Memory().DeepCopy()
		mem.Sub(leave[corev1.ResourceMemory])
		name := fmt.Sprintf("spark-etl-exec-%d", i+1)
		now := metav1.NewTime(p.clock.Now())
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: batchNamespace, UID: types.UID("uid-batch-" + name),
				Labels: map[string]string{"app": "spark-etl", "spark-role": "executor"}},
			Spec: corev1.PodSpec{NodeName: n.Name, Containers: []corev1.Container{{Name: "executor", Image: "spark:3.5",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: ptr.To(now),
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "executor", Ready: true, Image: "spark:3.5",
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}}},
		}
		if _, err := p.typed.CoreV1().Pods(batchNamespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	return nil
}
