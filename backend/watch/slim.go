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
	"k8s.io/apimachinery/pkg/types"

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

// podEntry is what the pod informers keep of a pod: the member the console
// shows, converted once as the pod arrives. Keeping a slimmed *corev1.Pod
// as well would hold every pod twice, and even a metav1.ObjectMeta of the
// pod's identity is 256 bytes a pod (BenchmarkPodFootprint): the entry
// answers client-go's questions (the key and namespace index functions,
// the reflector's resourceVersion compare) from the member instead, through
// the read-only metav1.Object below.
type podEntry struct {
	member *platform.Member
}

// GetObjectKind and DeepCopyObject make podEntry a runtime.Object, which
// parts of client-go expect of what an informer stores.
func (e *podEntry) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

func (e *podEntry) DeepCopyObject() runtime.Object {
	return &podEntry{member: e.member} // members are immutable
}

// entryOfPod converts a pod as it enters the informer cache.
func entryOfPod(p *corev1.Pod) *podEntry { return &podEntry{member: member(p)} }

// The metav1.Object of a pod entry: what a member knows of its pod's
// metadata, and nothing for the rest. An informer never sets the metadata
// of what it stores (the transform made the entry; a change arrives as a
// new pod and a new entry), so the setters leave the entry as it is:
// changing a shared, immutable member from client-go would be a bug.
var _ metav1.Object = (*podEntry)(nil)

func (e *podEntry) GetNamespace() string                          { return e.member.Namespace }
func (e *podEntry) GetName() string                               { return e.member.Name }
func (e *podEntry) GetUID() types.UID                             { return types.UID(e.member.UID) }
func (e *podEntry) GetResourceVersion() string                    { return e.member.ResourceVersion }
func (e *podEntry) GetLabels() map[string]string                  { return e.member.Labels }
func (e *podEntry) GetCreationTimestamp() metav1.Time             { return metav1.NewTime(e.member.Created) }
func (e *podEntry) GetGenerateName() string                       { return "" }
func (e *podEntry) GetGeneration() int64                          { return 0 }
func (e *podEntry) GetSelfLink() string                           { return "" }
func (e *podEntry) GetDeletionTimestamp() *metav1.Time            { return nil }
func (e *podEntry) GetDeletionGracePeriodSeconds() *int64         { return nil }
func (e *podEntry) GetAnnotations() map[string]string             { return nil }
func (e *podEntry) GetFinalizers() []string                       { return nil }
func (e *podEntry) GetOwnerReferences() []metav1.OwnerReference   { return nil }
func (e *podEntry) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }
func (e *podEntry) SetNamespace(string)                           {}
func (e *podEntry) SetName(string)                                {}
func (e *podEntry) SetGenerateName(string)                        {}
func (e *podEntry) SetUID(types.UID)                              {}
func (e *podEntry) SetResourceVersion(string)                     {}
func (e *podEntry) SetGeneration(int64)                           {}
func (e *podEntry) SetSelfLink(string)                            {}
func (e *podEntry) SetCreationTimestamp(metav1.Time)              {}
func (e *podEntry) SetDeletionTimestamp(*metav1.Time)             {}
func (e *podEntry) SetDeletionGracePeriodSeconds(*int64)          {}
func (e *podEntry) SetLabels(map[string]string)                   {}
func (e *podEntry) SetAnnotations(map[string]string)              {}
func (e *podEntry) SetFinalizers([]string)                        {}
func (e *podEntry) SetOwnerReferences([]metav1.OwnerReference)    {}
func (e *podEntry) SetManagedFields([]metav1.ManagedFieldsEntry)  {}

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
