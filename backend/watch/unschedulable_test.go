package watch

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestMemberKeepsTheSchedulerMessage: a pod the scheduler cannot place
// carries PodScheduled=False's reason and message, for the scale wizard's
// "why is this step waiting"; a scheduled pod carries none.
func TestMemberKeepsTheSchedulerMessage(t *testing.T) {
	p := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
		Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/4 nodes are available: 4 Insufficient cpu."}}}}
	if m := member(p); m.Reason != "Unschedulable" || m.Unschedulable != "Unschedulable: 0/4 nodes are available: 4 Insufficient cpu." {
		t.Errorf("reason %q unschedulable %q", m.Reason, m.Unschedulable)
	}
	p.Status.Conditions[0].Status = corev1.ConditionTrue
	if m := member(p); m.Unschedulable != "" {
		t.Errorf("scheduled pod: unschedulable %q", m.Unschedulable)
	}
}
