package watch

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// A pod entry keeps no metadata of its own: client-go's key and index
// functions and the reflector's accessor must read the member's.
func TestPodEntryAnswersClientGoFromItsMember(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "zk-0", Namespace: "pravega", UID: "u-1", ResourceVersion: "42",
		Labels: map[string]string{"app": "zk"}}}
	e := entryOfPod(pod)
	if key, err := cache.MetaNamespaceKeyFunc(e); err != nil || key != "pravega/zk-0" {
		t.Errorf("key %q, %v", key, err)
	}
	if ns, err := cache.MetaNamespaceIndexFunc(e); err != nil || len(ns) != 1 || ns[0] != "pravega" {
		t.Errorf("namespace index %v, %v", ns, err)
	}
	acc, err := meta.Accessor(e)
	if err != nil {
		t.Fatal(err)
	}
	if acc.GetResourceVersion() != "42" || acc.GetUID() != "u-1" || acc.GetLabels()["app"] != "zk" {
		t.Errorf("accessor reads rv %q uid %q labels %v", acc.GetResourceVersion(), acc.GetUID(), acc.GetLabels())
	}
	acc.SetName("other") // a setter must not change the shared member
	if e.member.Name != "zk-0" {
		t.Errorf("a setter renamed the member to %q", e.member.Name)
	}
	if c := e.DeepCopyObject().(*podEntry); c.member != e.member {
		t.Error("a copy does not share the immutable member")
	}
}
