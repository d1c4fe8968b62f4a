package watch

import (
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/streamops/streamops/backend/platform"
)

// The transforms below run before objects enter the informer caches: they
// keep only what the console reads, so that 10,000 pods fit in a few tens of
// MiB instead of hundreds (managedFields alone are often half of a pod).

func slimMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
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
}

// podEntry is what the pod informers keep of a pod: its identity and the
// member the console shows, converted once as the pod arrives. Keeping a
// slimmed *corev1.Pod as well would hold every pod twice; its identity
// (an ObjectMeta with name, namespace, UID, resourceVersion and labels) is
// what the informer's key and namespace index functions need.
type podEntry struct {
	metav1.ObjectMeta
	member *platform.Member
}

// GetObjectKind and DeepCopyObject make podEntry a runtime.Object, which
// parts of client-go expect of what an informer stores.
func (e *podEntry) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

func (e *podEntry) DeepCopyObject() runtime.Object {
	out := &podEntry{ObjectMeta: *e.ObjectMeta.DeepCopy(), member: e.member} // members are immutable
	return out
}

// entryOfPod converts a pod as it enters the informer cache.
func entryOfPod(p *corev1.Pod) *podEntry {
	m := member(p)
	return &podEntry{
		ObjectMeta: metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: p.UID,
			ResourceVersion: m.ResourceVersion, Labels: m.Labels},
		member: m,
	}
}

func slimNode(n *corev1.Node) *corev1.Node {
	out := &corev1.Node{
		ObjectMeta: slimMeta(n.ObjectMeta),
		Spec:       corev1.NodeSpec{Unschedulable: n.Spec.Unschedulable, Taints: n.Spec.Taints},
		Status: corev1.NodeStatus{
			Capacity: n.Status.Capacity, Allocatable: n.Status.Allocatable, Addresses: n.Status.Addresses,
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: n.Status.NodeInfo.KubeletVersion},
		},
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady || (c.Status == corev1.ConditionTrue && slices.Contains(pressureConditions, c.Type)) {
			out.Status.Conditions = append(out.Status.Conditions, corev1.NodeCondition{Type: c.Type, Status: c.Status, Reason: c.Reason})
		}
	}
	return out
}

func slimEvent(e *corev1.Event) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:          slimMeta(e.ObjectMeta),
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
		ObjectMeta: slimMeta(s.ObjectMeta),
		Spec:       appsv1.StatefulSetSpec{Replicas: s.Spec.Replicas, Selector: s.Spec.Selector, ServiceName: s.Spec.ServiceName},
		Status:     s.Status,
	}
}

func slimDeployment(d *appsv1.Deployment) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: slimMeta(d.ObjectMeta),
		Spec:       appsv1.DeploymentSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector},
		Status:     appsv1.DeploymentStatus{Replicas: d.Status.Replicas, ReadyReplicas: d.Status.ReadyReplicas, UpdatedReplicas: d.Status.UpdatedReplicas, AvailableReplicas: d.Status.AvailableReplicas},
	}
}

func slimService(s *corev1.Service) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: slimMeta(s.ObjectMeta),
		Spec: corev1.ServiceSpec{Type: s.Spec.Type, ClusterIP: s.Spec.ClusterIP, ExternalIPs: s.Spec.ExternalIPs,
			ExternalName: s.Spec.ExternalName, Ports: s.Spec.Ports, Selector: s.Spec.Selector},
		Status: corev1.ServiceStatus{LoadBalancer: s.Status.LoadBalancer},
	}
}

func slimEndpointSlice(e *discoveryv1.EndpointSlice) *discoveryv1.EndpointSlice {
	out := &discoveryv1.EndpointSlice{ObjectMeta: slimMeta(e.ObjectMeta), AddressType: e.AddressType}
	out.Endpoints = make([]discoveryv1.Endpoint, len(e.Endpoints))
	for i, ep := range e.Endpoints {
		out.Endpoints[i] = discoveryv1.Endpoint{Addresses: ep.Addresses, Conditions: ep.Conditions}
	}
	return out
}

func slimIngress(i *networkingv1.Ingress) *networkingv1.Ingress {
	out := &networkingv1.Ingress{ObjectMeta: slimMeta(i.ObjectMeta), Spec: i.Spec, Status: i.Status}
	if c, ok := i.Annotations[legacyIngressClass]; ok { // read when spec.ingressClassName is unset
		out.Annotations = map[string]string{legacyIngressClass: c}
	}
	return out
}

func slimClaim(c *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: slimMeta(c.ObjectMeta),
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: c.Spec.StorageClassName, Resources: c.Spec.Resources,
			VolumeName: c.Spec.VolumeName},
		Status: corev1.PersistentVolumeClaimStatus{Phase: c.Status.Phase, Capacity: c.Status.Capacity, Conditions: c.Status.Conditions,
			AllocatedResources: c.Status.AllocatedResources, AllocatedResourceStatuses: c.Status.AllocatedResourceStatuses},
	}
}

// defaultClassAnnotation marks the class a claim without storageClassName gets.
const defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

func slimStorageClass(c *storagev1.StorageClass) *storagev1.StorageClass {
	out := &storagev1.StorageClass{ObjectMeta: slimMeta(c.ObjectMeta), Provisioner: c.Provisioner, AllowVolumeExpansion: c.AllowVolumeExpansion}
	if v, ok := c.Annotations[defaultClassAnnotation]; ok {
		out.Annotations = map[string]string{defaultClassAnnotation: v}
	}
	return out
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
