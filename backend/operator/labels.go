package operator

import "github.com/streamops/streamops/backend/platform"

// Membership says which component a pod belongs to.
type Membership struct {
	Kind    platform.Kind
	Cluster string // the owning custom resource's name
	// Resource is the custom resource kind whose operator labels matched.
	Resource string
}

// Classify maps a pod's labels to the component it is a member of, using the
// labels the real operators set (contracts/LABELS.md). ok is false for pods
// no known operator manages.
func Classify(labels map[string]string) (m Membership, ok bool) {
	if labels == nil {
		return m, false
	}
	app := labels["app"]
	component := labels["component"]
	switch {
	// zookeeper-operator: app=<name>, kind=ZookeeperMember.
	case labels["kind"] == "ZookeeperMember" && app != "":
		return Membership{platform.ZooKeeper, app, "ZookeeperCluster"}, true
	// bookkeeper-operator: app=bookkeeper-cluster, bookkeeper_cluster=<name>, component=bookie.
	case app == "bookkeeper-cluster" && labels["bookkeeper_cluster"] != "":
		return Membership{platform.BookKeeper, labels["bookkeeper_cluster"], "BookkeeperCluster"}, true
	// pravega-operator: app=pravega-cluster, pravega_cluster=<name>, component=pravega-controller|pravega-segmentstore.
	case app == "pravega-cluster" && labels["pravega_cluster"] != "":
		name := labels["pravega_cluster"]
		switch component {
		case "pravega-controller":
			return Membership{platform.Controller, name, "PravegaCluster"}, true
		case "pravega-segmentstore":
			return Membership{platform.SegmentStore, name, "PravegaCluster"}, true
		case "bookie": // v1alpha1 clusters ran their own bookies
			return Membership{platform.BookKeeper, name, "PravegaCluster"}, true
		}
	// flink-kubernetes-operator, native or standalone: type=flink-*-kubernetes, app=<name>, component=jobmanager|taskmanager.
	case (labels["type"] == "flink-native-kubernetes" || labels["type"] == "flink-standalone-kubernetes") && app != "":
		if k, ok := flinkRole(component); ok {
			return Membership{k, app, "FlinkDeployment"}, true
		}
	// flink-on-k8s-operator (spotify/GCP): app=flink, cluster=<name>, component=jobmanager|taskmanager.
	case app == "flink" && labels["cluster"] != "":
		if k, ok := flinkRole(component); ok {
			return Membership{k, labels["cluster"], "FlinkCluster"}, true
		}
	}
	return m, false
}

func flinkRole(component string) (platform.Kind, bool) {
	switch component {
	case "jobmanager":
		return platform.FlinkJobManager, true
	case "taskmanager":
		return platform.FlinkTaskManager, true
	}
	return platform.Other, false
}
