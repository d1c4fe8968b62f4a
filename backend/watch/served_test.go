package watch

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
)

// TestServedUnchangedWithFallbackServed: the demo serves PravegaCluster in
// v1beta1 and its fallback v1alpha1, as a real cluster with the operator's
// CRD does. Rediscovery must not see a change in that (it once did, by
// comparing plural.group names, and rebuilt every watch each minute, which
// redrew the console and relisted everything).
func TestServedUnchangedWithFallbackServed(t *testing.T) {
	p := demo.New(demo.Options{Seed: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := New(Config{Clients: p.Clients(), Scope: p.Scope()})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !everyWatchSynced(w.Snapshot()) {
		if time.Now().After(deadline) {
			t.Fatalf("not synced: %+v", w.Snapshot().Syncs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if w.servedChanged() {
		t.Fatal("rediscovery sees a change where nothing changed")
	}
}

func everyWatchSynced(s *platform.Snapshot) bool {
	if s == nil || len(s.Syncs) == 0 {
		return false
	}
	for _, st := range s.Syncs {
		if st.Phase != platform.Synced {
			return false
		}
	}
	return true
}

// TestCRDIdentity: the CRD watch keeps names, not schemas.
func TestCRDIdentity(t *testing.T) {
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "pravegaclusters.pravega.pravega.io", "uid": "u1", "resourceVersion": "7",
			"managedFields": []any{map[string]any{"manager": "kubectl"}}, "annotations": map[string]any{"a": "b"}},
		"spec":   map[string]any{"versions": []any{map[string]any{"name": "v1beta1", "schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object"}}}}},
		"status": map[string]any{"conditions": []any{}},
	}}
	obj, err := crdIdentity(crd)
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*unstructured.Unstructured)
	if got.GetName() != "pravegaclusters.pravega.pravega.io" || got.GetResourceVersion() != "7" || got.GetUID() != "u1" {
		t.Errorf("identity lost: %v", got.Object)
	}
	if _, ok := got.Object["spec"]; ok || len(got.GetAnnotations()) > 0 || len(got.GetManagedFields()) > 0 {
		t.Errorf("kept more than the identity: %v", got.Object)
	}
}
