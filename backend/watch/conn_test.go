package watch

import (
	"strings"
	"testing"
)

func TestWatchNames(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/pods", "pods"},
		{"/api/v1/namespaces/team-a/pods", "pods"},
		{"/api/v1/namespaces/team-a/events", "events"},
		{"/api/v1/nodes", "nodes"},
		{"/apis/apps/v1/namespaces/team-a/statefulsets", "statefulsets.apps statefulsets"},
		{"/apis/apps/v1/deployments", "deployments.apps deployments"},
		{"/apis/discovery.k8s.io/v1/namespaces/x/endpointslices", "endpointslices.discovery.k8s.io endpointslices"},
		{"/apis/networking.k8s.io/v1/ingresses", "ingresses.networking.k8s.io ingresses"},
		{"/api/v1/namespaces/x/persistentvolumeclaims", "persistentvolumeclaims"},
		{"/apis/storage.k8s.io/v1/storageclasses", "storageclasses.storage.k8s.io storageclasses"},
		{"/apis/zookeeper.pravega.io/v1beta1/namespaces/p/zookeeperclusters", "zookeeperclusters.zookeeper.pravega.io zookeeperclusters"},
		{"/apis/flinkoperator.k8s.io/v1beta1/flinkclusters", "flinkclusters.flinkoperator.k8s.io flinkclusters"},
		{"/api/v1/namespaces/team-a/pods/zk-0", ""}, // one object, not a watch of the kind
		{"/api/v1/namespaces", "namespaces"},
		{"/api", ""},
		{"/apis/apps/v1", ""},
		{"/healthz", ""},
	} {
		if got := strings.Join(watchNames(tc.path), " "); got != tc.want {
			t.Errorf("watchNames(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
