package watch

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic/dynamicinformer"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
)

// benchPlatform fills informer stores (without running them) with nPods
// pods spread over nComps components: namespaces each holding a ZooKeeper,
// a BookKeeper and a PravegaCluster (segment stores and controllers), and a
// FlinkDeployment (JobManager and TaskManagers).
func benchPlatform(b *testing.B, nPods, nComps int) (*Watcher, []*corev1.Pod) {
	b.Helper()
	typed := fake.NewClientset()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{})
	f := informers.NewSharedInformerFactory(typed, 0)
	df := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	w := New(Config{Clients: &kube.Clients{Typed: typed, Dynamic: dyn, Context: "bench"}, Clock: clocktesting.NewFakeClock(time.Unix(1_800_000_000, 0))})
	w.pods = []cache.SharedIndexInformer{f.Core().V1().Pods().Informer()}
	w.events = []cache.SharedIndexInformer{f.Core().V1().Events().Informer()}
	w.nodes = []cache.SharedIndexInformer{f.Core().V1().Nodes().Informer()}
	w.statefulsets = []cache.SharedIndexInformer{f.Apps().V1().StatefulSets().Informer()}
	w.deployments = []cache.SharedIndexInformer{f.Apps().V1().Deployments().Informer()}
	for _, r := range []operator.Resource{operator.ZookeeperClusters, operator.BookkeeperClusters, operator.PravegaClusters, operator.FlinkDeployments} {
		w.crs = append(w.crs, crWatch{res: r, informers: []cache.SharedIndexInformer{df.ForResource(r.GVR).Informer()}})
	}
	// 5 components per namespace: ZK, BK, SegmentStore+Controller (one CR), JM+TM (one CR) → 6; use ZK, BK, SS, CT, TM-heavy.
	namespaces := (nComps + 5) / 6
	perComp := nPods / (namespaces * 6)
	var pods []*corev1.Pod
	add := func(store cache.Store, obj any) {
		if err := store.Add(obj); err != nil {
			b.Fatal(err)
		}
	}
	cr := func(r operator.Resource, ns, name string, spec map[string]any) {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": r.GVR.GroupVersion().String(), "kind": r.Kind,
			"metadata": map[string]any{"name": name, "namespace": ns, "uid": ns + name + r.Kind, "resourceVersion": "1"},
			"spec":     spec,
			"status":   map[string]any{"currentVersion": "0.13.0", "conditions": []any{map[string]any{"type": "PodsReady", "status": "True"}}},
		}}
		for _, c := range w.crs {
			if c.res == r {
				add(c.informers[0].GetStore(), u)
			}
		}
	}
	pod := func(ns, name string, labels map[string]string) {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(ns + "/" + name), ResourceVersion: "1", Labels: labels,
				CreationTimestamp: metav1.NewTime(time.Unix(1_799_000_000, 0))},
			Spec: corev1.PodSpec{NodeName: "node-" + strconv.Itoa(len(pods)%40), Containers: []corev1.Container{{Name: "main", Image: "img:1"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1",
				Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "main", Ready: true, RestartCount: 1, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
		}
		pods = append(pods, p)
		add(w.pods[0].GetStore(), p)
	}
	n := 0
	for i := 0; i < namespaces; i++ {
		ns := fmt.Sprintf("project-%02d", i)
		cr(operator.ZookeeperClusters, ns, "zk", map[string]any{"replicas": int64(perComp)})
		cr(operator.BookkeeperClusters, ns, "bk", map[string]any{"replicas": int64(perComp)})
		cr(operator.PravegaClusters, ns, "pravega", map[string]any{"pravega": map[string]any{"segmentStoreReplicas": int64(perComp), "controllerReplicas": int64(perComp)}})
		cr(operator.FlinkDeployments, ns, "job", map[string]any{"taskManager": map[string]any{"replicas": int64(perComp)}, "jobManager": map[string]any{"replicas": int64(perComp)}})
		for j := 0; j < perComp; j++ {
			pod(ns, fmt.Sprintf("zk-%d", j), map[string]string{"app": "zk", "kind": "ZookeeperMember"})
			pod(ns, fmt.Sprintf("bk-bookie-%d", j), map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": "bk", "component": "bookie"})
			pod(ns, fmt.Sprintf("ss-%d", j), map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore"})
			pod(ns, fmt.Sprintf("ct-%d", j), map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-controller"})
			pod(ns, fmt.Sprintf("jm-%d", j), map[string]string{"type": "flink-native-kubernetes", "app": "job", "component": "jobmanager"})
			pod(ns, fmt.Sprintf("tm-%d", j), map[string]string{"type": "flink-native-kubernetes", "app": "job", "component": "taskmanager"})
			n += 6
		}
	}
	for n < nPods { // the remainder as unmanaged pods in the last namespace
		pod(fmt.Sprintf("project-%02d", namespaces-1), fmt.Sprintf("other-%d", n), map[string]string{"app": "sidecar"})
		n++
	}
	return w, pods
}

// BenchmarkSnapshot builds the platform snapshot from informer stores
// holding 10,000 pods across 50 components. "changed-1" is the steady
// state: one pod changed since the last snapshot. "cold" drops the
// conversion cache first, as after a relist.
func BenchmarkSnapshot(b *testing.B) {
	b.Run("changed-1", func(b *testing.B) {
		w, pods := benchPlatform(b, 10000, 50)
		s := w.build()
		if len(s.Components) < 50 {
			b.Fatalf("%d components", len(s.Components))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			p := pods[i%len(pods)].DeepCopy()
			p.ResourceVersion = strconv.Itoa(i + 2)
			if err := w.pods[0].GetStore().Update(p); err != nil {
				b.Fatal(err)
			}
			w.build()
		}
	})
	b.Run("cold", func(b *testing.B) {
		w, _ := benchPlatform(b, 10000, 50)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			w.builder.init()
			w.build()
		}
	})
}
