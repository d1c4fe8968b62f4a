// Package operator knows the custom resources of the operators that run the
// platform (pravega/zookeeper-operator, bookkeeper-operator, pravega-operator,
// apache/flink-kubernetes-operator and the spotify/GCP flink-on-k8s-operator):
// their group/version/resources, the labels they put on pods, and how to read
// desired and ready members, versions and conditions from their status.
//
// Field names follow the upstream type sources (see contracts/STATUS.md and
// contracts/LABELS.md in the mission material). Decoding never trusts the
// shape of a resource: a field of the wrong type is reported, not panicked on.
package operator

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource is a custom resource type the console understands.
type Resource struct {
	GVR  schema.GroupVersionResource
	Kind string
	// Fallback names a lower-priority version of the same resource: it is
	// watched only when the preferred one is not served.
	Fallback bool
}

// Name is the resource's plural.group name, as kubectl spells it.
func (r Resource) Name() string { return r.GVR.Resource + "." + r.GVR.Group }

// Known resources, preferred versions first.
var (
	ZookeeperClusters       = Resource{GVR: schema.GroupVersionResource{Group: "zookeeper.pravega.io", Version: "v1beta1", Resource: "zookeeperclusters"}, Kind: "ZookeeperCluster"}
	BookkeeperClusters      = Resource{GVR: schema.GroupVersionResource{Group: "bookkeeper.pravega.io", Version: "v1alpha1", Resource: "bookkeeperclusters"}, Kind: "BookkeeperCluster"}
	PravegaClusters         = Resource{GVR: schema.GroupVersionResource{Group: "pravega.pravega.io", Version: "v1beta1", Resource: "pravegaclusters"}, Kind: "PravegaCluster"}
	PravegaClustersV1alpha1 = Resource{GVR: schema.GroupVersionResource{Group: "pravega.pravega.io", Version: "v1alpha1", Resource: "pravegaclusters"}, Kind: "PravegaCluster", Fallback: true}
	FlinkDeployments        = Resource{GVR: schema.GroupVersionResource{Group: "flink.apache.org", Version: "v1beta1", Resource: "flinkdeployments"}, Kind: "FlinkDeployment"}
	FlinkClusters           = Resource{GVR: schema.GroupVersionResource{Group: "flinkoperator.k8s.io", Version: "v1beta1", Resource: "flinkclusters"}, Kind: "FlinkCluster"}
)

// All lists every custom resource the console may watch.
var All = []Resource{ZookeeperClusters, BookkeeperClusters, PravegaClusters, PravegaClustersV1alpha1, FlinkDeployments, FlinkClusters}
