package watch

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestPanicInBuildBecomesAnError: a panic while building a snapshot (here a
// nil pod in the cache) is reported on Errors() and the previous snapshot
// stays published; the goroutine does not die with the process.
func TestPanicInBuildBecomesAnError(t *testing.T) {
	w, _ := benchPlatform(&testing.B{}, 60, 6)
	good := w.buildSafe()
	w.snap.Store(good)
	// Corrupt the conversion cache: a pod whose cached member is nil makes
	// the build dereference nil while assembling its component.
	p := &corev1.Pod{}
	p.Name, p.Namespace, p.UID, p.ResourceVersion = "zk-x", "project-00", "uid-x", "7"
	p.Labels = map[string]string{"app": "zk", "kind": "ZookeeperMember"}
	if err := w.informers[resPods][0].GetStore().Add(entryOfPod(p)); err != nil {
		t.Fatal(err)
	}
	w.builder.members["uid-x"] = &cachedMember{rv: "7", managed: true, key: groupKey{"project-00", "zk", 0}}
	got := w.buildSafe()
	if got != good {
		t.Error("a failed build must leave the last good snapshot published")
	}
	select {
	case err := <-w.Errors():
		if !strings.Contains(err.Error(), "internal error building snapshot") {
			t.Errorf("error %q", err)
		}
	default:
		t.Fatal("the panic was not reported")
	}
	// The cache was dropped with the panic: the next build succeeds and
	// includes the pod.
	next := w.buildSafe()
	if next == good {
		t.Fatal("no new snapshot after recovering")
	}
	found := false
	for _, c := range next.Components {
		for _, m := range c.Members {
			found = found || m.Name == "zk-x"
		}
	}
	if !found {
		t.Error("the pod is missing from the snapshot after recovery")
	}
}
