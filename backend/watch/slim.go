package watch

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"
)

// The transforms below run before objects enter the informer caches: they
// keep only what the console reads, so that 10,000 pods fit in a few tens of
// MiB instead of hundreds (managedFields alone are often half of a pod).

func slimMeta(m metav1.ObjectMeta, keepAnnotations bool) metav1.ObjectMeta {
	out := metav1.ObjectMeta{
		Name:              m.Name,
		Namespace:         m.Namespace,
		UID:               m.UID,
		ResourceVersion:   m.ResourceVersion,
		Generation:        m.Generation,
		CreationTimestamp: m.CreationTimestamp,
		DeletionTimestamp: m.DeletionTimestamp,
		Labels:            m.Labels,
		OwnerReferences:   m.OwnerReferences,
	}
	if keepAnnotations {
		for k, v := range m.Annotations {
			if strings.HasSuffix(k, ".version") || strings.HasSuffix(k, "/version") {
				if out.Annotations == nil {
					out.Annotations = map[string]string{}
				}
				out.Annotations[k] = v
			}
		}
	}
	return out
}

func slimContainers(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Image: c.Image, Resources: c.Resources, Ports: c.Ports}
	}
	return out
}

func slimStatuses(ss []corev1.ContainerStatus) []corev1.ContainerStatus {
	if len(ss) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(ss))
	for i, s := range ss {
		out[i] = corev1.ContainerStatus{
			Name: s.Name, Ready: s.Ready, RestartCount: s.RestartCount, Image: s.Image,
			ContainerID: s.ContainerID, State: s.State, LastTerminationState: s.LastTerminationState, Started: s.Started,
		}
	}
	return out
}

// slimPod keeps what members, restarts, logs and the scale preflight read.
func slimPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{
		ObjectMeta: slimMeta(p.ObjectMeta, true),
		Spec: corev1.PodSpec{
			NodeName:       p.Spec.NodeName,
			Containers:     slimContainers(p.Spec.Containers),
			InitContainers: slimContainers(p.Spec.InitContainers),
			NodeSelector:   p.Spec.NodeSelector,
			Tolerations:    p.Spec.Tolerations,
			Overhead:       p.Spec.Overhead,
		},
		Status: corev1.PodStatus{
			Phase: p.Status.Phase, Reason: p.Status.Reason, Message: p.Status.Message,
			PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs, HostIP: p.Status.HostIP, StartTime: p.Status.StartTime,
			ContainerStatuses:     slimStatuses(p.Status.ContainerStatuses),
			InitContainerStatuses: slimStatuses(p.Status.InitContainerStatuses),
		},
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady || c.Type == corev1.PodScheduled {
			out.Status.Conditions = append(out.Status.Conditions, corev1.PodCondition{
				Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message, LastTransitionTime: c.LastTransitionTime,
			})
		}
	}
	return out
}

func slimNode(n *corev1.Node) *corev1.Node {
	out := &corev1.Node{
		ObjectMeta: slimMeta(n.ObjectMeta, false),
		Spec:       corev1.NodeSpec{Unschedulable: n.Spec.Unschedulable, Taints: n.Spec.Taints},
		Status: corev1.NodeStatus{
			Capacity: n.Status.Capacity, Allocatable: n.Status.Allocatable, Addresses: n.Status.Addresses,
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: n.Status.NodeInfo.KubeletVersion},
		},
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Status.Conditions = append(out.Status.Conditions, corev1.NodeCondition{Type: c.Type, Status: c.Status, Reason: c.Reason})
		}
	}
	return out
}

func slimEvent(e *corev1.Event) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:          slimMeta(e.ObjectMeta, false),
		InvolvedObject:      e.InvolvedObject,
		Reason:              e.Reason,
		Message:             e.Message,
		Type:                e.Type,
		Count:               e.Count,
		FirstTimestamp:      e.FirstTimestamp,
		LastTimestamp:       e.LastTimestamp,
		EventTime:           e.EventTime,
		Series:              e.Series,
		Source:              e.Source,
		ReportingController: e.ReportingController,
	}
}

func slimStatefulSet(s *appsv1.StatefulSet) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: slimMeta(s.ObjectMeta, false),
		Spec:       appsv1.StatefulSetSpec{Replicas: s.Spec.Replicas, Selector: s.Spec.Selector, ServiceName: s.Spec.ServiceName},
		Status:     s.Status,
	}
}

func slimDeployment(d *appsv1.Deployment) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: slimMeta(d.ObjectMeta, false),
		Spec:       appsv1.DeploymentSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector},
		Status:     appsv1.DeploymentStatus{Replicas: d.Status.Replicas, ReadyReplicas: d.Status.ReadyReplicas, UpdatedReplicas: d.Status.UpdatedReplicas, AvailableReplicas: d.Status.AvailableReplicas},
	}
}

func slimService(s *corev1.Service) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: slimMeta(s.ObjectMeta, false),
		Spec: corev1.ServiceSpec{Type: s.Spec.Type, ClusterIP: s.Spec.ClusterIP, ExternalIPs: s.Spec.ExternalIPs,
			ExternalName: s.Spec.ExternalName, Ports: s.Spec.Ports, Selector: s.Spec.Selector},
		Status: corev1.ServiceStatus{LoadBalancer: s.Status.LoadBalancer},
	}
}

func slimEndpointSlice(e *discoveryv1.EndpointSlice) *discoveryv1.EndpointSlice {
	out := &discoveryv1.EndpointSlice{ObjectMeta: slimMeta(e.ObjectMeta, false), AddressType: e.AddressType}
	out.Endpoints = make([]discoveryv1.Endpoint, len(e.Endpoints))
	for i, ep := range e.Endpoints {
		out.Endpoints[i] = discoveryv1.Endpoint{Addresses: ep.Addresses, Conditions: ep.Conditions}
	}
	return out
}

func slimIngress(i *networkingv1.Ingress) *networkingv1.Ingress {
	return &networkingv1.Ingress{ObjectMeta: slimMeta(i.ObjectMeta, false), Spec: i.Spec, Status: i.Status}
}

// slimUnstructured drops managedFields and the last-applied annotation, which
// for an operator's resource is a second copy of its whole spec.
func slimUnstructured(u *unstructured.Unstructured) *unstructured.Unstructured {
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
		}
	}
	return u
}

// transform is the informer transform for every kind the console watches.
// Tombstones pass through unchanged.
func transform(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return slimPod(o), nil
	case *corev1.Node:
		return slimNode(o), nil
	case *corev1.Event:
		return slimEvent(o), nil
	case *appsv1.StatefulSet:
		return slimStatefulSet(o), nil
	case *appsv1.Deployment:
		return slimDeployment(o), nil
	case *corev1.Service:
		return slimService(o), nil
	case *discoveryv1.EndpointSlice:
		return slimEndpointSlice(o), nil
	case *networkingv1.Ingress:
		return slimIngress(o), nil
	case *unstructured.Unstructured:
		return slimUnstructured(o), nil
	}
	return obj, nil
}

var _ cache.TransformFunc = transform
