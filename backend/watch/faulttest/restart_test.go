package faulttest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/testcluster"
)

// TestAPIServerRestart stops the kube-apiserver under a running watcher:
// every watch goes to failing with a reason (what the status bar shows per
// watch), nothing panics while it is down, and once it is back the watches
// resync and the snapshot equals the cluster: pods deleted and created
// meanwhile are gone and there, nothing is listed twice.
func TestAPIServerRestart(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := clientsFor(t, adminConfig(t, c), "admin")
	const ns = "outage"
	if err := testcluster.InstallCRDs(ctx, c, testcluster.Testdata("zookeeper.pravega.io_zookeeperclusters.yaml")); err != nil {
		t.Fatal(err)
	}
	namespace(t, ctx, admin, ns)
	if _, err := c.Kubectl(ctx, "apply", "--server-side", "--force-conflicts", "-n", ns, "-f", testcluster.Testdata("zookeeper_v1beta1_zookeepercluster_cr.yaml")); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		createPods(t, ctx, admin, zkPod(ns, fmt.Sprintf("zookeeper-%d", i), i))
	}

	// The watcher has a client of its own, as the console does.
	w := startWatcher(t, ctx, clientsFor(t, adminConfig(t, c), "admin"), kube.Scope{Namespaces: []string{ns}})
	zkWatch := operator.ZookeeperClusters.Name()
	watched := func(s *platform.Snapshot) []platform.SyncState {
		var out []platform.SyncState
		for _, st := range s.Syncs {
			if st.Phase != platform.Absent {
				out = append(out, st)
			}
		}
		return out
	}
	awaitSnapshot(t, ctx, w, "synced, pods shown", func(s *platform.Snapshot) string {
		if !s.Synced() {
			return fmt.Sprintf("syncs %+v", s.Syncs)
		}
		if st, _ := syncState(s, zkWatch); st.Phase != platform.Synced {
			return fmt.Sprintf("%s %s", zkWatch, st.Phase)
		}
		return diffPods(ctx, admin, s, ns)
	})

	begin := time.Now()
	if err := c.StopAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("apiserver stopped in %s", time.Since(begin).Round(time.Millisecond))
	begin = time.Now()
	down := awaitSnapshot(t, ctx, w, "every watch failing", func(s *platform.Snapshot) string {
		for _, st := range watched(s) {
			if st.Phase != platform.Failing || st.Reason == "" {
				return fmt.Sprintf("%s is %s (%s)", st.Resource, st.Phase, st.Reason)
			}
		}
		return ""
	})
	t.Logf("every watch failing %s after the stop", time.Since(begin).Round(time.Millisecond))
	host := strings.TrimPrefix(c.Env["TESTCLUSTER_APISERVER"], "https://")
	for _, st := range watched(down) {
		t.Logf("down: %-40s %s: %s", st.Resource, st.Phase, st.Reason)
		if !strings.Contains(st.Reason, host) || !strings.Contains(st.Reason, "connection refused") || strings.Contains(st.Reason, "\n") {
			t.Errorf("%s: reason %q, want one line naming %s and connection refused", st.Resource, st.Reason, host)
		}
	}
	// What was known stays shown while the server is away.
	if got, _ := snapshotPods(down, ns); len(got) != 5 {
		t.Errorf("%d members while the apiserver is down, want the 5 known", len(got))
	}

	begin = time.Now()
	if err := c.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("apiserver ready again in %s", time.Since(begin).Round(time.Millisecond))
	// Change the pods before the watches are back: two go, two come.
	deletePods(t, ctx, admin, ns, "zookeeper-0", "zookeeper-1")
	createPods(t, ctx, admin, zkPod(ns, "zookeeper-5", 5), zkPod(ns, "zookeeper-6", 6))

	begin = time.Now()
	up := awaitSnapshot(t, ctx, w, "resynced, snapshot equal to the cluster", func(s *platform.Snapshot) string {
		for _, st := range watched(s) {
			if st.Phase != platform.Synced {
				return fmt.Sprintf("%s is %s (%s)", st.Resource, st.Phase, st.Reason)
			}
		}
		if st, _ := syncState(s, zkWatch); st.Phase != platform.Synced {
			return fmt.Sprintf("%s %s (%s)", zkWatch, st.Phase, st.Reason)
		}
		return diffPods(ctx, admin, s, ns)
	})
	t.Logf("resynced %s after the apiserver was ready", time.Since(begin).Round(time.Millisecond))
	got, _ := snapshotPods(up, ns)
	t.Logf("members after resync: %v", got)
	if comp := up.Component(ns + "/zookeeper/ZooKeeper"); comp == nil || comp.Source.Kind != "ZookeeperCluster" || !comp.HasSpec {
		t.Errorf("the ZooKeeper component lost its resource after the restart: %+v", comp)
	}
}
