package watch

import (
	"testing"
	"unsafe"
)

// Two pods decoded from the wire hold their own copies of every string;
// their members share one copy of each repeated one.
func TestMembersShareRepeatedStrings(t *testing.T) {
	a, b := member(overTheWire(t, realisticPod(1))), member(overTheWire(t, realisticPod(2)))
	same := func(what, x, y string) {
		t.Helper()
		if x != y || unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: %q and %q are two copies", what, x, y)
		}
	}
	same("namespace", a.Namespace, b.Namespace)
	same("phase", a.Phase, b.Phase)
	same("owner", a.Owner, b.Owner)
	same("container name", a.Containers[0].Name, b.Containers[0].Name)
	same("image", a.Containers[1].Image, b.Containers[1].Image)
	same("label value", a.Labels["component"], b.Labels["component"])
	if got := a.Labels["statefulset.kubernetes.io/pod-name"]; unsafe.StringData(got) != unsafe.StringData(a.Name) {
		t.Errorf("the pod-name label %q is a second copy of the name", got)
	}
}
