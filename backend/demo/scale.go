package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clienttesting "k8s.io/client-go/testing"

	"github.com/streamops/streamops/backend/operator"
)

// Annotations on a custom resource that the demo honours, so that each
// failure the scale wizard handles can be played.
const (
	// AnnotationNeverReady lists member pods (comma-separated) whose
	// readiness probe never passes: a scale step adding them never
	// converges.
	AnnotationNeverReady = "demo.streamops.io/never-ready"
	// AnnotationReject makes the demo's admission webhook deny every
	// change to the resource with the annotation's text.
	AnnotationReject = "demo.streamops.io/reject"
)

// serveScale makes patches to the operators' custom resources behave as
// the API server handles them, which client-go's fake does not:
//   - a patch carrying metadata.resourceVersion fails with 409 Conflict
//     when the stored object has moved on;
//   - the demo's RBAC policy (the one SelfSubjectAccessReviews answer from)
//     is enforced: a refused patch fails with 403;
//   - validation (the CRDs' minimums) and the operators' admission
//     webhooks reject what they would;
//   - metadata.generation moves when the spec changes;
//   - dryRun=All validates and returns the result without storing it.
//
// It also plays the kubelet for members marked never-ready.
func (p *Platform) serveScale() {
	tracker := p.dynamic.Tracker()
	p.dynamic.PrependReactor("patch", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		pa, ok := a.(clienttesting.PatchActionImpl)
		if !ok || pa.GetSubresource() != "" || pa.GetPatchType() != types.MergePatchType {
			return false, nil, nil
		}
		gvr, ns, name := pa.GetResource(), pa.GetNamespace(), pa.GetName()
		res, known := resourceOf(gvr)
		if !known {
			return false, nil, nil
		}
		gr := gvr.GroupResource()
		if err := p.mayPatch(gr, ns, name); err != nil {
			return true, nil, err
		}
		stored, err := tracker.Get(gvr, ns, name)
		if err != nil {
			return true, nil, err
		}
		old, ok := stored.(*unstructured.Unstructured)
		if !ok {
			return false, nil, nil
		}
		patch, err := decodeMergePatch(pa, gr, old.GetResourceVersion())
		if err != nil {
			return true, nil, err
		}
		next, err := mergeObject(old, patch)
		if err != nil {
			return true, nil, apierrors.NewBadRequest(err.Error())
		}
		next.SetResourceVersion(old.GetResourceVersion())
		if err := admit(res, old, next); err != nil {
			return true, nil, err
		}
		if !sameJSON(old.Object["spec"], next.Object["spec"]) {
			next.SetGeneration(old.GetGeneration() + 1)
		}
		if len(pa.GetPatchOptions().DryRun) > 0 {
			return true, next, nil // validated and admitted, not stored
		}
		p.stamp(next)
		if err := tracker.Update(gvr, next, ns); err != nil {
			return true, nil, err
		}
		p.recordWrite(a)
		return true, next, nil
	})
	p.typed.PrependReactor("update", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		ua, ok := a.(clienttesting.UpdateAction)
		if !ok || ua.GetSubresource() != "status" {
			return false, nil, nil
		}
		pod, ok := ua.GetObject().(*corev1.Pod)
		if !ok || !p.neverReady(pod) || pod.Status.Phase != corev1.PodRunning {
			return false, nil, nil
		}
		stored, err := p.typed.Tracker().Get(corev1.SchemeGroupVersion.WithResource("pods"), pod.Namespace, pod.Name)
		if sp, isPod := stored.(*corev1.Pod); err == nil && isPod && sp.Status.Phase == corev1.PodRunning && !podReady(sp) {
			return true, sp, nil // the probe still fails: nothing changes
		}
		setReady(pod, false, p.clock.Now())
		p.probeFailed(pod)
		return false, nil, nil // stored (stamped) by the reactors behind
	})
}

func resourceOf(gvr schema.GroupVersionResource) (operator.Resource, bool) {
	for _, r := range operator.All {
		if r.GVR == gvr {
			return r, true
		}
	}
	return operator.Resource{}, false
}

// neverReady reports whether a pod is listed in its custom resource's
// never-ready annotation.
func (p *Platform) neverReady(pod *corev1.Pod) bool {
	m, ok := operator.Classify(pod.Labels)
	if !ok {
		return false
	}
	for _, r := range operator.All {
		if r.Kind != m.Resource || r.Fallback {
			continue
		}
		obj, err := p.dynamic.Tracker().Get(r.GVR, pod.Namespace, m.Cluster)
		if err != nil {
			continue
		}
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		for _, name := range strings.Split(u.GetAnnotations()[AnnotationNeverReady], ",") {
			if strings.TrimSpace(name) == pod.Name {
				return true
			}
		}
	}
	return false
}

// probeFailed records the Warning event a kubelet emits for a failing
// readiness probe, once per pod.
func (p *Platform) probeFailed(pod *corev1.Pod) {
	container := "main"
	if len(pod.Spec.Containers) > 0 {
		container = pod.Spec.Containers[0].Name
	}
	now := metav1.NewTime(p.clock.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name + ".readiness", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			FieldPath: "spec.containers{" + container + "}", APIVersion: "v1"},
		Reason: "Unhealthy", Type: corev1.EventTypeWarning, Count: 1, FirstTimestamp: now, LastTimestamp: now,
		Message: fmt.Sprintf("Readiness probe failed: Get \"http://%s:8080/ready\": dial tcp %s:8080: connect: connection refused", pod.Status.PodIP, pod.Status.PodIP),
		Source:  corev1.EventSource{Component: "kubelet", Host: pod.Spec.NodeName},
	}
	p.stamp(ev)
	_ = p.typed.Tracker().Create(corev1.SchemeGroupVersion.WithResource("events"), ev, pod.Namespace)
}

// mergeObject applies a JSON merge patch (RFC 7386) to a copy of u.
func mergeObject(u *unstructured.Unstructured, patch map[string]any) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(mergePatch(u.DeepCopy().Object, patch))
	if err != nil {
		return nil, err
	}
	out := &unstructured.Unstructured{}
	if err := out.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return out, nil
}

func mergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergePatch(tm[k], v)
	}
	return tm
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// admit plays the CRDs' validation and the operators' admission webhooks
// for the fields the scale wizard writes.
func admit(res operator.Resource, old, next *unstructured.Unstructured) error {
	gk := schema.GroupKind{Group: res.GVR.Group, Kind: res.Kind}
	if msg := old.GetAnnotations()[AnnotationReject]; msg != "" {
		return apierrors.NewForbidden(res.GVR.GroupResource(), next.GetName(),
			fmt.Errorf("admission webhook %q denied the request: %s", "change-freeze.policy.example.com", msg))
	}
	var errs field.ErrorList
	minimum := func(min int64, path ...string) {
		v, found, _ := unstructured.NestedFieldNoCopy(next.Object, path...)
		if !found {
			return
		}
		n, isInt := v.(int64)
		if !isInt {
			errs = append(errs, field.Invalid(field.NewPath(path[0], path[1:]...), v, "must be of type integer"))
			return
		}
		if n < min {
			errs = append(errs, field.Invalid(field.NewPath(path[0], path[1:]...), n, fmt.Sprintf("%s in body should be greater than or equal to %d", strings.Join(path, "."), min)))
		}
	}
	switch res.Kind {
	case "ZookeeperCluster", "BookkeeperCluster":
		minimum(1, "spec", "replicas")
	case "PravegaCluster":
		for _, c := range conditionsOf(old) {
			if c["status"] == "True" && (c["type"] == "Upgrading" || c["type"] == "RollbackInProgress" || c["type"] == "Error") {
				return apierrors.NewForbidden(res.GVR.GroupResource(), next.GetName(),
					fmt.Errorf("admission webhook %q denied the request: failed to process the request, cluster is in %s", "pravegawebhookv1beta1.pravega.io", c["type"]))
			}
		}
		minimum(0, "spec", "pravega", "segmentStoreReplicas")
		minimum(0, "spec", "pravega", "controllerReplicas")
	case "FlinkDeployment":
		if v, found, _ := unstructured.NestedInt64(next.Object, "spec", "taskManager", "replicas"); found && v < 1 {
			return apierrors.NewForbidden(res.GVR.GroupResource(), next.GetName(),
				fmt.Errorf("admission webhook %q denied the request: TaskManager replicas should not be configured less than one.", "flinkoperator.flink.apache.org"))
		}
		if v, found, _ := unstructured.NestedInt64(next.Object, "spec", "job", "parallelism"); found && v < 1 {
			return apierrors.NewForbidden(res.GVR.GroupResource(), next.GetName(),
				fmt.Errorf("admission webhook %q denied the request: Job parallelism must be larger than 0", "flinkoperator.flink.apache.org"))
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(gk, next.GetName(), errs)
	}
	return nil
}

func conditionsOf(u *unstructured.Unstructured) []map[string]any {
	list, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var out []map[string]any
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// mayPatch answers as the API server's authorizer would for a patch by the
// demo user.
func (p *Platform) mayPatch(gr schema.GroupResource, ns, name string) error {
	if allowed, reason := p.policy.decide(&authorizationv1.ResourceAttributes{Verb: "patch", Group: gr.Group, Resource: gr.Resource, Namespace: ns, Name: name}); !allowed {
		return apierrors.NewForbidden(gr, name, fmt.Errorf("User %q cannot patch resource %q in API group %q in the namespace %q: %s", DemoUser, gr.Resource, gr.Group, ns, reason))
	}
	return nil
}

// decodeMergePatch decodes a merge patch and refuses it, as the API server does,
// when it names a resourceVersion other than the stored one.
func decodeMergePatch(pa clienttesting.PatchActionImpl, gr schema.GroupResource, storedRV string) (map[string]any, error) {
	var patch map[string]any
	if err := json.Unmarshal(pa.GetPatch(), &patch); err != nil {
		return nil, apierrors.NewBadRequest("invalid merge patch: " + err.Error())
	}
	if md, ok := patch["metadata"].(map[string]any); ok {
		if rv, ok := md["resourceVersion"].(string); ok && rv != "" && rv != storedRV {
			return nil, apierrors.NewConflict(gr, pa.GetName(), errors.New("the object has been modified; please apply your changes to the latest version and try again"))
		}
	}
	return patch, nil
}
