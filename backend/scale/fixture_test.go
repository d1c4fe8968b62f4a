package scale

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/streamops/streamops/backend/platform"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// objects is an in-memory Objects.
type objects map[string]*unstructured.Unstructured

func (o objects) Object(gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, bool) {
	u, ok := o[gvr.Resource+"/"+ns+"/"+name]
	if !ok {
		return nil, false
	}
	return u.DeepCopy(), true
}

func (o objects) add(ref platform.Ref, spec, status map[string]any) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": ref.Group + "/" + ref.Version, "kind": ref.Kind,
		"metadata": map[string]any{"name": ref.Name, "namespace": ref.Namespace, "resourceVersion": "100", "generation": int64(1)},
		"spec":     spec,
	}}
	if status != nil {
		u.Object["status"] = status
	}
	o[ref.Resource+"/"+ref.Namespace+"/"+ref.Name] = u
}

var (
	zkRef    = platform.Ref{Group: "zookeeper.pravega.io", Version: "v1beta1", Resource: "zookeeperclusters", Kind: "ZookeeperCluster", Namespace: "pravega", Name: "zookeeper"}
	bkRef    = platform.Ref{Group: "bookkeeper.pravega.io", Version: "v1alpha1", Resource: "bookkeeperclusters", Kind: "BookkeeperCluster", Namespace: "pravega", Name: "bookkeeper"}
	prRef    = platform.Ref{Group: "pravega.pravega.io", Version: "v1beta1", Resource: "pravegaclusters", Kind: "PravegaCluster", Namespace: "pravega", Name: "pravega"}
	prV1a1   = platform.Ref{Group: "pravega.pravega.io", Version: "v1alpha1", Resource: "pravegaclusters", Kind: "PravegaCluster", Namespace: "old", Name: "pravega"}
	flinkRef = platform.Ref{Group: "flink.apache.org", Version: "v1beta1", Resource: "flinkdeployments", Kind: "FlinkDeployment", Namespace: "iot", Name: "sensors"}
)

func members(prefix string, n, ready int) []*platform.Member {
	var out []*platform.Member
	for i := 0; i < n; i++ {
		out = append(out, &platform.Member{Name: fmt.Sprintf("%s-%d", prefix, i), Namespace: "pravega", Phase: "Running", Ready: i < ready,
			Containers: []platform.Container{{Name: "main", Ready: i < ready, State: platform.StateRunning}}})
	}
	return out
}

func comp(kind platform.Kind, ref platform.Ref, desired, ready int) *platform.Component {
	c := &platform.Component{Kind: kind, Cluster: ref.Name, Namespace: ref.Namespace, Source: ref, Desired: desired, Ready: ready, HasSpec: true, Health: platform.Ready}
	c.Members = members(ref.Name+"-"+kind.String(), desired, ready)
	for _, m := range c.Members {
		m.Namespace = ref.Namespace
	}
	if ready < desired {
		c.Health = platform.Degraded
	}
	return c
}

// platformFixture is a settled stream store and one Flink deployment.
func platformFixture() (*platform.Snapshot, objects) {
	objs := objects{}
	objs.add(zkRef, map[string]any{"replicas": int64(3), "image": map[string]any{"tag": "0.2.15"}}, map[string]any{"currentVersion": "0.2.15"})
	objs.add(bkRef, map[string]any{"replicas": int64(3), "version": "0.13.0"}, nil)
	objs.add(prRef, map[string]any{"version": "0.13.0", "pravega": map[string]any{"segmentStoreReplicas": int64(3), "controllerReplicas": int64(2)}}, nil)
	objs.add(flinkRef, map[string]any{
		"flinkConfiguration": map[string]any{"taskmanager.numberOfTaskSlots": "2"},
		"taskManager":        map[string]any{"replicas": int64(3), "resource": map[string]any{"cpu": float64(2), "memory": "4096m"}},
		"job":                map[string]any{"parallelism": int64(6), "upgradeMode": "savepoint"},
	}, map[string]any{"observedGeneration": int64(1)})
	snap := &platform.Snapshot{Seq: 1, Taken: now, Components: []*platform.Component{
		comp(platform.ZooKeeper, zkRef, 3, 3),
		comp(platform.BookKeeper, bkRef, 3, 3),
		comp(platform.SegmentStore, prRef, 3, 3),
		comp(platform.Controller, prRef, 2, 2),
		comp(platform.FlinkJobManager, flinkRef, 1, 1),
		comp(platform.FlinkTaskManager, flinkRef, 3, 3),
	}}
	snap.Components[4].State, snap.Components[5].State = "job RUNNING", "job RUNNING"
	return snap, objs
}

func key(kind platform.Kind, ref platform.Ref) string {
	return ref.Namespace + "/" + ref.Name + "/" + kind.String()
}
