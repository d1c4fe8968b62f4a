package watch

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kruntime "k8s.io/apimachinery/pkg/runtime"
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
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(kruntime.NewScheme(), map[schema.GroupVersionResource]string{})
	f := informers.NewSharedInformerFactory(typed, 0)
	df := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	w := New(Config{Clients: &kube.Clients{Typed: typed, Dynamic: dyn, Context: "bench"}, Clock: clocktesting.NewFakeClock(time.Unix(1_800_000_000, 0))})
	w.informers[resPods] = []cache.SharedIndexInformer{f.Core().V1().Pods().Informer()}
	w.informers[resEvents] = []cache.SharedIndexInformer{f.Core().V1().Events().Informer()}
	w.informers[resNodes] = []cache.SharedIndexInformer{f.Core().V1().Nodes().Informer()}
	w.informers[resStatefulSets] = []cache.SharedIndexInformer{f.Apps().V1().StatefulSets().Informer()}
	w.informers[resDeployments] = []cache.SharedIndexInformer{f.Apps().V1().Deployments().Informer()}
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
		add(w.informers[resPods][0].GetStore(), entryOfPod(p))
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
			if err := w.informers[resPods][0].GetStore().Update(entryOfPod(p)); err != nil { // the informer converts as it stores
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

// BenchmarkPodFootprint reports the live heap each pod costs (B/pod):
// 10,000 realistic pods (two containers with probes, env, ports and
// requests; kwok's status) put through the informer transform into a
// store, and a snapshot built from them. It reports the store's share and
// the whole.
func BenchmarkPodFootprint(b *testing.B) {
	const n = 10000
	var store, total float64
	for i := 0; i < b.N; i++ {
		w, _ := benchPlatform(b, 0, 6)
		var before, stored, built runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for j := range n {
			obj := typedResources[resPods].slim(overTheWire(b, realisticPod(j)))
			if err := w.informers[resPods][0].GetStore().Add(obj); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&stored)
		snap := w.build()
		runtime.GC()
		runtime.ReadMemStats(&built)
		if got := len(snap.Components); got < 1 {
			b.Fatalf("%d components", got)
		}
		store += (float64(stored.HeapAlloc) - float64(before.HeapAlloc)) / n
		total += (float64(built.HeapAlloc) - float64(before.HeapAlloc)) / n
		runtime.KeepAlive(snap)
		runtime.KeepAlive(w)
	}
	b.ReportMetric(store/float64(b.N), "store-B/pod")
	b.ReportMetric(total/float64(b.N), "B/pod")
}

// overTheWire returns the pod as an informer receives it: decoded from its
// protobuf encoding, every string and map a fresh allocation, as they are
// when a list arrives from the API server.
func overTheWire(tb testing.TB, p *corev1.Pod) *corev1.Pod {
	tb.Helper()
	raw, err := p.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	out := &corev1.Pod{}
	if err := out.Unmarshal(raw); err != nil {
		tb.Fatal(err)
	}
	return out
}

// realisticPod is a segment store pod as the operator creates it and kwok
// runs it: what a real API server sends for every pod of a large cluster.
func realisticPod(i int) *corev1.Pod {
	qty := resource.MustParse
	started := metav1.NewTime(time.Unix(1_799_000_000, 0))
	env := []corev1.EnvVar{
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "JAVA_OPTS", Value: "-Xms2g -Xmx2g -XX:MaxDirectMemorySize=4g -XX:+UseG1GC -XX:MaxGCPauseMillis=100"},
		{Name: "ZK_URL", Value: "zk-client:2181"},
	}
	container := func(name, image string, port int32) corev1.Container {
		return corev1.Container{Name: name, Image: image, Env: env,
			Ports: []corev1.ContainerPort{{Name: "server", ContainerPort: port}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: qty("500m"), corev1.ResourceMemory: qty("2Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: qty("2"), corev1.ResourceMemory: qty("4Gi")}},
			VolumeMounts:   []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "health.sh ready"}}}},
		}
	}
	status := func(name, image string) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: name, Image: image, ImageID: image, Ready: true, Started: new(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}}
	}
	name := fmt.Sprintf("pravega-pravega-segment-store-%d", i)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "project-00", UID: types.UID(fmt.Sprintf("6f1c0d3e-0000-4000-8000-%012d", i)),
			ResourceVersion: strconv.Itoa(100000 + i), CreationTimestamp: started,
			Labels: map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-segmentstore",
				"statefulset.kubernetes.io/pod-name": name, "controller-revision-hash": "pravega-pravega-segment-store-7d9c8b5f4"},
			Annotations: map[string]string{"pravega.version": "0.10.0", "checksum/config": "9e3779b97f4a7c15bf58476d1ce4e5b9"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "pravega-pravega-segment-store",
				UID: "00000000-0000-4000-8000-000000000001", Controller: new(true), BlockOwnerDeletion: new(true)}},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1",
				FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{}}}`)}}},
		},
		Spec: corev1.PodSpec{NodeName: "kwok-node-" + strconv.Itoa(i%40),
			Containers:  []corev1.Container{container("pravega-segmentstore", "pravega/pravega:0.10.0", 12345), container("jmx-exporter", "bitnami/jmx-exporter:1.0.1", 9404)},
			Volumes:     []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250), HostIP: "10.1.0.1", StartTime: &started,
			PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: started},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: started},
				{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: started},
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: started}},
			ContainerStatuses: []corev1.ContainerStatus{status("pravega-segmentstore", "pravega/pravega:0.10.0"), status("jmx-exporter", "bitnami/jmx-exporter:1.0.1")},
		},
	}
}
