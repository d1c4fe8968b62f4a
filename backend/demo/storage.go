package demo

import (
	"time"

	"context"
	"errors"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clienttesting "k8s.io/client-go/testing"
)

// Storage classes of the demo: the bookie journals sit on a class that
// does not allow volume expansion, so the wizard's refusal can be seen.
const (
	ClassStandard = "standard"    // expandable, the default
	ClassJournal  = "journal-ssd" // not expandable
	ClassNFS      = "nfs-share"   // expandable, the long-term storage fileshare
	LTSClaimName  = "pravega-tier2"
)

func seedStorageClasses() []*storagev1.StorageClass {
	yes, no := true, false
	return []*storagev1.StorageClass{
		{ObjectMeta: metav1.ObjectMeta{Name: ClassStandard, Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
			Provisioner: "ebs.csi.aws.com", AllowVolumeExpansion: &yes},
		{ObjectMeta: metav1.ObjectMeta{Name: ClassJournal}, Provisioner: "local.csi.example.com", AllowVolumeExpansion: &no},
		{ObjectMeta: metav1.ObjectMeta{Name: ClassNFS}, Provisioner: "nfs.csi.k8s.io", AllowVolumeExpansion: &yes},
	}
}

// seedClaims returns the bound claims the operators would have created:
// ZooKeeper's data-<name>-<n>, the bookies' ledger/journal/index-<name>-bookie-<n>
// (the StatefulSets' volumeClaimTemplates) and the long-term storage fileshare.
func seedClaims() []*corev1.PersistentVolumeClaim {
	mk := func(name, class, size string, labels map[string]string) *corev1.PersistentVolumeClaim {
		q := resource.MustParse(size)
		return &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: StoreNamespace, Labels: labels, UID: types.UID("pvc-" + name)},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: "pv-" + name,
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: q}}},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: corev1.ResourceList{corev1.ResourceStorage: q}},
		}
	}
	var out []*corev1.PersistentVolumeClaim
	for i := 0; i < 3; i++ {
		out = append(out, mk(fmt.Sprintf("data-%s-%d", ZookeeperName, i), ClassStandard, "20Gi", map[string]string{"app": ZookeeperName}))
	}
	bk := map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": BookkeeperName}
	for _, t := range []struct{ role, class, size string }{{"ledger", ClassStandard, "50Gi"}, {"journal", ClassJournal, "10Gi"}, {"index", ClassStandard, "10Gi"}} {
		for i := 0; i < 3; i++ {
			out = append(out, mk(fmt.Sprintf("%s-%s-bookie-%d", t.role, BookkeeperName, i), t.class, t.size, bk))
		}
	}
	lts := mk(LTSClaimName, ClassNFS, "100Gi", nil)
	lts.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	return append(out, lts)
}

// QuotaName is the demo's storage ResourceQuota in the stream store's
// namespace: 1Ti in all, 400Gi of the standard class (its claims ask for
// 240Gi), so growing a ledger to 400Gi is refused by the quota.
const QuotaName = "storage"

// seedQuotas returns the ResourceQuotas of the demo. Their status.used is
// left unset, as no quota controller runs here: the wizard sums the
// watched claims instead.
func seedQuotas() []*corev1.ResourceQuota {
	return []*corev1.ResourceQuota{{
		ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Namespace: StoreNamespace, UID: types.UID("quota-" + QuotaName)},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
			corev1.ResourceRequestsStorage: resource.MustParse("1Ti"),
			corev1.ResourceName(ClassStandard + ".storageclass.storage.k8s.io/requests.storage"): resource.MustParse("400Gi"),
		}},
	}}
}

var claimsGVR = corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims")

// serveClaims makes patches to PersistentVolumeClaims behave as the API
// server handles them: RBAC, 409 on a stale resourceVersion, the
// validation that refuses a shrink, the PersistentVolumeClaimResize
// admission plugin that refuses growing a claim whose class does not
// allow expansion, and dryRun=All.
func (p *Platform) serveClaims() {
	tracker := p.typed.Tracker()
	// Reading the ResourceQuotas answers to Refuse rules, as RBAC would.
	p.typed.PrependReactor("list", "resourcequotas", func(a clienttesting.Action) (bool, runtime.Object, error) {
		attrs := &authorizationv1.ResourceAttributes{Verb: "list", Resource: "resourcequotas", Namespace: a.GetNamespace()}
		if allowed, reason := p.policy.decide(attrs); !allowed {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "resourcequotas"}, "", errors.New(reason))
		}
		return false, nil, nil
	})
	p.typed.PrependReactor("patch", "persistentvolumeclaims", func(a clienttesting.Action) (bool, runtime.Object, error) {
		pa, ok := a.(clienttesting.PatchActionImpl)
		if !ok || pa.GetSubresource() != "" {
			return false, nil, nil
		}
		ns, name := pa.GetNamespace(), pa.GetName()
		gr := schema.GroupResource{Resource: "persistentvolumeclaims"}
		if err := p.mayPatch(gr, ns, name); err != nil {
			return true, nil, err
		}
		stored, err := tracker.Get(claimsGVR, ns, name)
		if err != nil {
			return true, nil, err
		}
		old, ok := stored.(*corev1.PersistentVolumeClaim)
		if !ok {
			return false, nil, nil
		}
		patch, err := decodeMergePatch(pa, gr, old.ResourceVersion)
		if err != nil {
			return true, nil, err
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(old)
		if err != nil {
			return true, nil, err
		}
		merged, _ := mergePatch(m, patch).(map[string]any)
		next := &corev1.PersistentVolumeClaim{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(merged, next); err != nil {
			return true, nil, apierrors.NewBadRequest(err.Error())
		}
		if err := p.admitClaim(old, next); err != nil {
			return true, nil, err
		}
		if len(pa.GetPatchOptions().DryRun) > 0 {
			return true, next, nil // validated and admitted, not stored
		}
		p.stamp(next)
		if err := tracker.Update(claimsGVR, next, ns); err != nil {
			return true, nil, err
		}
		p.recordWrite(a)
		return true, next, nil
	})
}

// admitClaim refuses what the API server refuses, with its messages.
func (p *Platform) admitClaim(old, next *corev1.PersistentVolumeClaim) error {
	gk := schema.GroupKind{Kind: "PersistentVolumeClaim"}
	was, now := old.Spec.Resources.Requests[corev1.ResourceStorage], next.Spec.Resources.Requests[corev1.ResourceStorage]
	path := field.NewPath("spec", "resources", "requests", "storage")
	// With RecoverVolumeExpansionFailure (on by default since 1.32) a claim
	// may go back down to what a failed expansion left, never below its
	// capacity; the test cluster's API server answers exactly this.
	if capacity, ok := old.Status.Capacity[corev1.ResourceStorage]; ok && now.Cmp(was) < 0 && now.Cmp(capacity) < 0 {
		return apierrors.NewInvalid(gk, old.Name, field.ErrorList{field.Forbidden(path, "field can not be less than status.capacity")})
	}
	if now.Cmp(was) > 0 {
		class := ""
		if old.Spec.StorageClassName != nil {
			class = *old.Spec.StorageClassName
		}
		obj, err := p.typed.Tracker().Get(storagev1.SchemeGroupVersion.WithResource("storageclasses"), "", class)
		sc, ok := obj.(*storagev1.StorageClass)
		if err != nil || !ok || sc.AllowVolumeExpansion == nil || !*sc.AllowVolumeExpansion {
			return apierrors.NewForbidden(schema.GroupResource{Resource: "persistentvolumeclaims"}, old.Name,
				errors.New("only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"))
		}
	}
	return nil
}

// resizePhase is how long the resizer and the kubelet each take (divided
// by Speed): a person, or a watcher that coalesces its snapshots, sees
// every phase.
const resizePhase = 1500 * time.Millisecond

// resize plays the external resizer and the kubelet for every claim asked
// to grow: condition Resizing, then FileSystemResizePending, then the new
// capacity, each phase lasting resizePhase.
func (s *simulator) resize(ctx context.Context) error {
	list, err := s.p.typed.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	now := metav1.NewTime(s.p.clock.Now())
	hold := scaled(s.p.opts.Speed, resizePhase)
	for i := range list.Items {
		c := &list.Items[i]
		want, cap := c.Spec.Resources.Requests[corev1.ResourceStorage], c.Status.Capacity[corev1.ResourceStorage]
		if c.Status.Phase != corev1.ClaimBound || want.Cmp(cap) <= 0 {
			continue
		}
		if len(c.Status.Conditions) > 0 && now.Sub(c.Status.Conditions[0].LastTransitionTime.Time) < hold {
			continue // the current phase is still under way
		}
		next := c.DeepCopy()
		switch {
		case hasClaimCondition(c, corev1.PersistentVolumeClaimFileSystemResizePending):
			next.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: want}
			next.Status.Conditions = nil
			next.Status.AllocatedResourceStatuses = nil
		case hasClaimCondition(c, corev1.PersistentVolumeClaimResizing):
			next.Status.Conditions = []corev1.PersistentVolumeClaimCondition{{Type: corev1.PersistentVolumeClaimFileSystemResizePending, Status: corev1.ConditionTrue,
				LastTransitionTime: now, Message: "Waiting for user to (re-)start a pod to finish file system resize of volume on node."}}
			next.Status.AllocatedResourceStatuses = map[corev1.ResourceName]corev1.ClaimResourceStatus{corev1.ResourceStorage: corev1.PersistentVolumeClaimNodeResizePending}
		default:
			next.Status.Conditions = []corev1.PersistentVolumeClaimCondition{{Type: corev1.PersistentVolumeClaimResizing, Status: corev1.ConditionTrue, LastTransitionTime: now}}
			next.Status.AllocatedResources = corev1.ResourceList{corev1.ResourceStorage: want}
			next.Status.AllocatedResourceStatuses = map[corev1.ResourceName]corev1.ClaimResourceStatus{corev1.ResourceStorage: corev1.PersistentVolumeClaimControllerResizeInProgress}
		}
		if _, err := s.p.typed.CoreV1().PersistentVolumeClaims(c.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("resize %s/%s: %w", c.Namespace, c.Name, err)
		}
	}
	return nil
}

func hasClaimCondition(c *corev1.PersistentVolumeClaim, t corev1.PersistentVolumeClaimConditionType) bool {
	for _, cond := range c.Status.Conditions {
		if cond.Type == t && cond.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
