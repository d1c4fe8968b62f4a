package platform

import (
	corev1 "k8s.io/api/core/v1"
)

// ResourcesOf reads the quantities the console counts (CPU, memory,
// ephemeral storage, pods) from a Kubernetes resource list.
func ResourcesOf(l corev1.ResourceList) Resources {
	var r Resources
	if v, ok := l[corev1.ResourceCPU]; ok {
		r.MilliCPU = v.MilliValue()
	}
	if v, ok := l[corev1.ResourceMemory]; ok {
		r.Memory = v.Value()
	}
	if v, ok := l[corev1.ResourceEphemeralStorage]; ok {
		r.EphemeralStorage = v.Value()
	}
	if v, ok := l[corev1.ResourcePods]; ok {
		r.Pods = v.Value()
	}
	return r
}

// PodRequests is what a pod asks of its node: the sum of its containers'
// requests, or the largest init container's when that is larger, plus overhead.
func PodRequests(p *corev1.Pod) Resources {
	var sum Resources
	for _, c := range p.Spec.Containers {
		r := ResourcesOf(c.Resources.Requests)
		sum.MilliCPU += r.MilliCPU
		sum.Memory += r.Memory
		sum.EphemeralStorage += r.EphemeralStorage
	}
	for _, c := range p.Spec.InitContainers {
		r := ResourcesOf(c.Resources.Requests)
		sum.MilliCPU = max(sum.MilliCPU, r.MilliCPU)
		sum.Memory = max(sum.Memory, r.Memory)
		sum.EphemeralStorage = max(sum.EphemeralStorage, r.EphemeralStorage)
	}
	o := ResourcesOf(p.Spec.Overhead)
	sum.MilliCPU += o.MilliCPU
	sum.Memory += o.Memory
	sum.Pods = 1
	return sum
}
