package watch

import "testing"

func TestWatchName(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/pods", "pods"},
		{"/api/v1/namespaces/team-a/pods", "pods"},
		{"/api/v1/namespaces/team-a/events", "events"},
		{"/api/v1/nodes", "nodes"},
		{"/apis/apps/v1/namespaces/team-a/statefulsets", "statefulsets"},
		{"/apis/apps/v1/deployments", "deployments"},
		{"/apis/discovery.k8s.io/v1/namespaces/x/endpointslices", "endpointslices"},
		{"/apis/networking.k8s.io/v1/ingresses", "ingresses"},
		{"/apis/zookeeper.pravega.io/v1beta1/namespaces/p/zookeeperclusters", "zookeeperclusters.zookeeper.pravega.io"},
		{"/apis/flinkoperator.k8s.io/v1beta1/flinkclusters", "flinkclusters.flinkoperator.k8s.io"},
		{"/api/v1/namespaces/team-a/pods/zk-0", ""}, // one object, not a watch of the kind
		{"/api/v1/namespaces", "namespaces"},
		{"/api", ""},
		{"/apis/apps/v1", ""},
		{"/healthz", ""},
	} {
		if got := watchName(tc.path); got != tc.want {
			t.Errorf("watchName(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
