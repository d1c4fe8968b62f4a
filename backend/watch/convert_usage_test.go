package watch

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/streamops/streamops/backend/platform"
)

// TestContainersCarryRequestsAndLimits: a member's containers keep their
// spec.resources, so usage can be shown against them; a container
// without resources has zeros.
func TestContainersCarryRequestsAndLimits(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pravega-segment-store-0", Namespace: "pravega"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "segment-store", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("2Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")},
			}},
			{Name: "sidecar"},
		}}}
	m := transformedMember(t, p)
	ss, side := m.Containers[0], m.Containers[1]
	if ss.Requests.MilliCPU != 500 || ss.Requests.Memory != 2<<30 || ss.Limits.MilliCPU != 2000 || ss.Limits.Memory != 4<<30 {
		t.Errorf("segment-store requests %+v limits %+v", ss.Requests, ss.Limits)
	}
	if side.Requests != (platform.Resources{}) || side.Limits != (platform.Resources{}) {
		t.Errorf("sidecar without resources: requests %+v limits %+v", side.Requests, side.Limits)
	}
}

func transformedMember(t *testing.T, p *corev1.Pod) *platform.Member {
	t.Helper()
	obj := typedResources[resPods].slim(p)
	return obj.(*podEntry).member
}

// TestNodePressureSurvivesTheCache: the pressure conditions that are True
// pass the informer transform and reach the snapshot's node; False ones
// and other condition types do not.
func TestNodePressureSurvivesTheCache(t *testing.T) {
	cases := []struct {
		name  string
		conds []corev1.NodeCondition
		want  []string
	}{
		{"memory and pid", []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionTrue},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionTrue, Reason: "KubeletHasInsufficientMemory"},
		}, []string{"MemoryPressure", "PIDPressure"}},
		{"none true", []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
			{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue},
		}, nil},
		{"disk, unknown memory", []corev1.NodeCondition{
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionTrue},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionUnknown},
		}, []string{"DiskPressure"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := typedResources[resNodes].slim(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1"}, Status: corev1.NodeStatus{Conditions: c.conds}})
			n := node(obj.(*corev1.Node))
			if !slices.Equal(n.Pressure, c.want) {
				t.Errorf("pressure %v, want %v", n.Pressure, c.want)
			}
			if got := n.UnderPressure("MemoryPressure"); got != slices.Contains(c.want, "MemoryPressure") {
				t.Errorf("UnderPressure(MemoryPressure) = %v", got)
			}
		})
	}
}
