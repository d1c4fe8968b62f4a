package testcluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// provisionedFor labels the volumes ProvisionVolumes makes with the
// namespace of their claim.
const provisionedFor = "testcluster.local/provisioned-for"

// ProvisionVolumes plays a volume provisioner for one namespace until the
// test ends: every claim without a volume gets a PersistentVolume of its
// class, size and access modes, pre-bound to it, and the claim is pointed
// at it, so kube-controller-manager's PersistentVolume controller binds
// both within a second (it only finds a pre-made volume for a claim on
// its 15 s resync otherwise, which made every StatefulSet member wait).
// A claim's volume is deleted with the claim (the operators delete the
// claims of removed members), and all of them when the test ends. There is
// no storage behind them: kwok runs no containers.
func ProvisionVolumes(t testing.TB, c *Cluster, ns string) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns))
	claims := factory.Core().V1().PersistentVolumeClaims().Informer()
	p := &provisioner{cs: cs, ns: ns, t: t}
	if _, err := claims.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { p.claim(ctx, obj) },
		UpdateFunc: func(_, obj any) { p.claim(ctx, obj) },
		DeleteFunc: func(obj any) { p.gone(ctx, obj) },
	}); err != nil {
		cancel()
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	t.Cleanup(func() {
		cancel()
		factory.Shutdown()
		dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer dcancel()
		err := cs.CoreV1().PersistentVolumes().DeleteCollection(dctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: provisionedFor + "=" + ns})
		if err != nil {
			t.Logf("delete the volumes provisioned for %s: %v", ns, err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if !cache.WaitForCacheSync(wctx.Done(), claims.HasSynced) {
		t.Fatalf("provision volumes in %s: the claim informer did not sync", ns)
	}
}

type provisioner struct {
	cs kubernetes.Interface
	ns string
	t  testing.TB
}

func volumeName(ns, claim string) string {
	name := "tc-" + ns + "-" + claim
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.TrimRight(name, "-.")
}

func (p *provisioner) claim(ctx context.Context, obj any) {
	pvc, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok || pvc.Spec.VolumeName != "" || pvc.DeletionTimestamp != nil {
		return
	}
	if err := p.provision(ctx, pvc); err != nil && ctx.Err() == nil {
		p.t.Logf("provision a volume for %s/%s: %v", pvc.Namespace, pvc.Name, err)
	}
}

func (p *provisioner) provision(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if size.IsZero() {
		size = resource.MustParse("1Gi")
	}
	modes := pvc.Spec.AccessModes
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	name := volumeName(pvc.Namespace, pvc.Name)
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{provisionedFor: pvc.Namespace}},
		Spec: corev1.PersistentVolumeSpec{
			StorageClassName:              class,
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   modes,
			VolumeMode:                    pvc.Spec.VolumeMode,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/testcluster/volumes/" + name}},
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
		},
	}
	if _, err := p.cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create volume %s: %w", name, err)
	}
	patch := fmt.Sprintf(`{"spec":{"volumeName":%q}}`, name)
	if _, err := p.cs.CoreV1().PersistentVolumeClaims(pvc.Namespace).Patch(ctx, pvc.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("point claim at volume %s: %w", name, err)
	}
	return nil
}

func (p *provisioner) gone(ctx context.Context, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	pvc, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return
	}
	err := p.cs.CoreV1().PersistentVolumes().Delete(ctx, volumeName(pvc.Namespace, pvc.Name), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		p.t.Logf("delete the volume of %s/%s: %v", pvc.Namespace, pvc.Name, err)
	}
}
