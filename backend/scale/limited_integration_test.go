package scale_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
)

// TestIntegrationOneNamespaceUser runs the console's backend as the
// harness's "limited" user, who may only get/list/watch pods in its
// namespace, against a running stream store there: every watch it may not
// list says so in one line naming the resource, the members still show,
// and the wizard names the permission it lacks instead of planning. (With
// read access but no patch, the preflight names what is missing:
// TestIntegrationForbiddenForLimitedUser.)
func TestIntegrationOneNamespaceUser(t *testing.T) {
	e := integration(t, "team-a")
	if ns := e.c.Env["TESTCLUSTER_LIMITED_NS"]; ns != "" && ns != e.ns {
		t.Skipf("the limited user's namespace is %s", ns)
	}
	cfg, err := e.c.Config("limited")
	if err != nil {
		t.Fatal(err)
	}
	limited := clientsFor(t, cfg, "limited")
	w := e.watcher(t, limited)
	ssKey := e.key(platform.SegmentStore, "pravega")
	var snap *platform.Snapshot
	sub := w.Subscribe(e.ctx)
	for snap == nil {
		select {
		case <-e.ctx.Done():
			t.Fatal("no synced snapshot with the segment stores as limited")
		case s := <-sub:
			if c := s.Component(ssKey); s.Synced() && c != nil && len(c.Members) == 3 {
				snap = s
			}
		}
	}
	inNS := `in the namespace "` + e.ns + `"`
	want := map[string]string{ // resource → what its one line must say
		"pods":                                   "",
		"events":                                 `cannot list resource "events" in API group "" ` + inNS,
		"nodes":                                  `cannot list resource "nodes" in API group "" at the cluster scope`,
		"statefulsets":                           `cannot list resource "statefulsets" in API group "apps" ` + inNS,
		"deployments":                            `cannot list resource "deployments" in API group "apps" ` + inNS,
		"services":                               `cannot list resource "services" in API group "" ` + inNS,
		"endpointslices":                         `cannot list resource "endpointslices" in API group "discovery.k8s.io" ` + inNS,
		"ingresses":                              `cannot list resource "ingresses" in API group "networking.k8s.io" ` + inNS,
		"persistentvolumeclaims":                 `cannot list resource "persistentvolumeclaims" in API group "" ` + inNS,
		"storageclasses":                         `cannot list resource "storageclasses" in API group "storage.k8s.io" at the cluster scope`,
		"zookeeperclusters.zookeeper.pravega.io": `cannot list resource "zookeeperclusters" in API group "zookeeper.pravega.io" ` + inNS,
		"bookkeeperclusters.bookkeeper.pravega.io": `cannot list resource "bookkeeperclusters" in API group "bookkeeper.pravega.io" ` + inNS,
		"pravegaclusters.pravega.pravega.io":       `cannot list resource "pravegaclusters" in API group "pravega.pravega.io" ` + inNS,
	}
	seen := map[string]int{}
	for _, st := range snap.Syncs {
		seen[st.Resource]++
		t.Logf("limited: %-42s %-8s %s", st.Resource, st.Phase, st.Reason)
		sub, ok := want[st.Resource]
		switch {
		case !ok:
			if st.Phase != platform.Absent {
				t.Errorf("%s: %s (%s), want absent (no CRD installed)", st.Resource, st.Phase, st.Reason)
			}
		case sub == "":
			if st.Phase != platform.Synced {
				t.Errorf("%s: %s (%s), want synced", st.Resource, st.Phase, st.Reason)
			}
		case st.Phase != platform.Failing || !strings.HasPrefix(st.Reason, `forbidden: User "limited" `+sub) || strings.Contains(st.Reason, "\n"):
			t.Errorf("%s: %s %q, want failing with one line: forbidden: User \"limited\" %s", st.Resource, st.Phase, st.Reason, sub)
		}
	}
	for r := range want {
		if seen[r] != 1 {
			t.Errorf("%s has %d sync lines, want 1", r, seen[r])
		}
	}
	// The members show, from the pods alone (no desired count without the resource).
	for _, key := range []string{e.key(platform.ZooKeeper, "zookeeper"), e.key(platform.BookKeeper, "bookkeeper"), ssKey, e.key(platform.Controller, "pravega")} {
		if c := snap.Component(key); c == nil || len(c.Members) == 0 || c.HasSpec {
			t.Errorf("%s: %+v, want its members without a spec", key, c)
		}
	}

	log, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	eng, err := scale.New(scale.Config{Clients: limited, Scope: kube.Scope{Namespaces: []string{e.ns}}, Source: w, Audit: log})
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Plan(e.ctx, []scale.Change{{Key: ssKey, Field: scale.Replicas, To: "4"}})
	wantErr := fmt.Sprintf(`plan: PravegaCluster %s/pravega cannot be read: forbidden: User "limited" cannot list resource "pravegaclusters" in API group "pravega.pravega.io" %s`, e.ns, inNS)
	if err == nil || err.Error() != wantErr {
		t.Errorf("plan as limited: %v\nwant %s", err, wantErr)
	}
}
