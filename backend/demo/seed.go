// Package demo is an embedded stream-analytics platform for `streamops demo`:
// client-go's fake typed and dynamic clientsets, seeded with the operators'
// custom resources, and a simulator that plays the operators and kubelets
// (creating members one by one, making them ready, restarting containers,
// emitting Warning events). The backend watches it through the very same
// informers it uses against a real cluster.
package demo

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/streamops/streamops/backend/operator"
)

// Namespaces of the demo platform: the stream store and two projects.
const (
	StoreNamespace  = "pravega"
	ProjectIoT      = "iot-analytics"
	ProjectFraud    = "fraud-detection"
	PravegaName     = "pravega"
	ZookeeperName   = "zookeeper"
	BookkeeperName  = "bookkeeper"
	SensorJobName   = "sensor-aggregation"
	FraudJobName    = "fraud-scoring"
	pravegaVersion  = "0.13.0"
	zkVersion       = "0.2.15"
	bookieVersion   = "0.13.0"
	flinkVersionTag = "v1_19"
)

func obj(apiVersion, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": ns, "uid": ns + "-" + name + "-uid", "generation": int64(1)},
		"spec":       spec,
	}}
}

// seedResources returns the operators' custom resources of the demo, shaped
// like the upstream samples (contracts/samples).
func seedResources() []*unstructured.Unstructured {
	return []*unstructured.Unstructured{
		obj("zookeeper.pravega.io/v1beta1", "ZookeeperCluster", StoreNamespace, ZookeeperName, map[string]any{
			"replicas": int64(3),
			"image":    map[string]any{"repository": "pravega/zookeeper", "tag": zkVersion},
			"pod": map[string]any{"resources": map[string]any{
				"requests": map[string]any{"cpu": "500m", "memory": "1Gi"},
				"limits":   map[string]any{"cpu": "1", "memory": "2Gi"},
			}},
			"storageType": "persistence",
			"persistence": map[string]any{"reclaimPolicy": "Delete", "spec": map[string]any{
				"storageClassName": "standard", "resources": map[string]any{"requests": map[string]any{"storage": "20Gi"}},
			}},
		}),
		obj("bookkeeper.pravega.io/v1alpha1", "BookkeeperCluster", StoreNamespace, BookkeeperName, map[string]any{
			"version":      bookieVersion,
			"zookeeperUri": "zookeeper-client:2181",
			"replicas":     int64(3),
			"image":        map[string]any{"imageSpec": map[string]any{"repository": "pravega/bookkeeper"}},
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "1", "memory": "4Gi"},
				"limits":   map[string]any{"cpu": "2", "memory": "4Gi"},
			},
			"autoRecovery": true,
			"storage": map[string]any{
				"ledgerVolumeClaimTemplate":  claimTemplate("standard", "50Gi"),
				"journalVolumeClaimTemplate": claimTemplate("journal-ssd", "10Gi"),
				"indexVolumeClaimTemplate":   claimTemplate("standard", "10Gi"),
			},
		}),
		obj("pravega.pravega.io/v1beta1", "PravegaCluster", StoreNamespace, PravegaName, map[string]any{
			"version": pravegaVersion,
			// Clients, the Controller's REST API included, authenticate
			// (PasswordAuthHandler; its user database is that Secret).
			"authentication": map[string]any{"enabled": true, "passwordAuthSecret": "password-auth"},
			"zookeeperUri":   "zookeeper-client:2181",
			"bookkeeperUri":  "bookkeeper-bookie-headless:3181",
			"pravega": map[string]any{
				"controllerReplicas":   int64(2),
				"segmentStoreReplicas": int64(3),
				"controllerResources": map[string]any{
					"requests": map[string]any{"cpu": "500m", "memory": "1Gi"},
					"limits":   map[string]any{"cpu": "1", "memory": "2Gi"},
				},
				"segmentStoreResources": map[string]any{
					"requests": map[string]any{"cpu": "1", "memory": "4Gi"},
					"limits":   map[string]any{"cpu": "2", "memory": "4Gi"},
				},
				"longtermStorage": map[string]any{"filesystem": map[string]any{"persistentVolumeClaim": map[string]any{"claimName": "pravega-tier2"}}},
			},
		}),
		// The sensor job pins its slots: parallelism 6 on 3 TaskManagers × 2
		// slots, so a TaskManager scale-out in the wizard shows the idle
		// slots and the parallelism it suggests (seed_test.go keeps it so).
		obj("flink.apache.org/v1beta1", "FlinkDeployment", ProjectIoT, SensorJobName, map[string]any{
			"image":              "flink:1.19",
			"flinkVersion":       flinkVersionTag,
			"flinkConfiguration": map[string]any{"taskmanager.numberOfTaskSlots": "2"},
			"serviceAccount":     "flink",
			"jobManager":         map[string]any{"replicas": int64(1), "resource": map[string]any{"memory": "2048m", "cpu": float64(1)}},
			"taskManager":        map[string]any{"replicas": int64(3), "resource": map[string]any{"memory": "4096m", "cpu": float64(2)}},
			"job":                map[string]any{"jarURI": "local:///opt/flink/usrlib/sensor-aggregation.jar", "parallelism": int64(6), "upgradeMode": "savepoint", "state": "running"},
		}),
		obj("flink.apache.org/v1beta1", "FlinkDeployment", ProjectFraud, FraudJobName, map[string]any{
			"image":              "flink:1.19",
			"flinkVersion":       flinkVersionTag,
			"flinkConfiguration": map[string]any{"taskmanager.numberOfTaskSlots": "4"},
			"serviceAccount":     "flink",
			"jobManager":         map[string]any{"replicas": int64(1), "resource": map[string]any{"memory": "2048m", "cpu": float64(1)}},
			"taskManager":        map[string]any{"replicas": int64(2), "resource": map[string]any{"memory": "8192m", "cpu": float64(4)}},
			"job":                map[string]any{"jarURI": "local:///opt/flink/usrlib/fraud-scoring.jar", "parallelism": int64(8), "upgradeMode": "last-state", "state": "running"},
		}),
	}
}

func claimTemplate(class, size string) map[string]any {
	return map[string]any{"accessModes": []any{"ReadWriteOnce"}, "storageClassName": class,
		"resources": map[string]any{"requests": map[string]any{"storage": size}}}
}

// seedNodes returns the demo's worker nodes.
func seedNodes() []*corev1.Node {
	var out []*corev1.Node
	for i := 0; i < 4; i++ {
		name := fmt.Sprintf("worker-%d", i+1)
		res := corev1.ResourceList{
			corev1.ResourceCPU:              resource.MustParse("16"),
			corev1.ResourceMemory:           resource.MustParse("64Gi"),
			corev1.ResourceEphemeralStorage: resource.MustParse("200Gi"),
			corev1.ResourcePods:             resource.MustParse("110"),
		}
		conds := []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}
		if name == PressureNode {
			conds = append(conds, corev1.NodeCondition{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionTrue,
				Reason: "KubeletHasInsufficientMemory", Message: "kubelet has insufficient memory available"})
		}
		out = append(out, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("node-" + name), Labels: map[string]string{
				"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "topology.kubernetes.io/zone": fmt.Sprintf("zone-%c", 'a'+i%2),
			}},
			Status: corev1.NodeStatus{
				Capacity: res, Allocatable: res,
				Conditions: conds,
				Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.0.%d", 11+i)}},
				NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.34.10"},
			},
		})
	}
	return out
}

func seedNamespaces() []*corev1.Namespace {
	var out []*corev1.Namespace
	for _, ns := range []string{StoreNamespace, ProjectIoT, ProjectFraud} {
		out = append(out, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, UID: types.UID("ns-" + ns)}})
	}
	return out
}

// seedOperatorEvents are the Flink operator's Events on sensor-aggregation's
// FlinkDeployment (Normal ones: the snapshot keeps only Warnings, the
// object's story shows them all): its job reaching RUNNING after the
// last upgrade, and the autoscaler's ScalingReport, which recommends more
// parallelism for the window that holds the job back (scaling is not
// enabled, so it only recommends), repeated every ten minutes.
func seedOperatorEvents(now time.Time) []*corev1.Event {
	job := demoHex(operator.FlinkDeployments.Name() + "/" + ProjectIoT + "/" + SensorJobName)
	window := demoHex(job + "2") // the vertex the REST fake serves as the window
	// No UID: the resource's is stamped when it is created.
	ref := corev1.ObjectReference{Kind: "FlinkDeployment", APIVersion: "flink.apache.org/v1beta1", Namespace: ProjectIoT, Name: SensorJobName}
	ev := func(reason, msg string, count int32, first, last time.Time) *corev1.Event {
		return &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", SensorJobName, fnv(reason+msg)), Namespace: ProjectIoT, ResourceVersion: "1"},
			InvolvedObject: ref, Reason: reason, Message: msg, Type: corev1.EventTypeNormal, Count: count,
			FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last),
			Source: corev1.EventSource{Component: "Operator"},
		}
	}
	return []*corev1.Event{
		ev("JobStatusChanged", "Job status changed from RECONCILING to RUNNING", 1, now.Add(-7*24*time.Hour), now.Add(-7*24*time.Hour)),
		ev("ScalingReport", "Recommended parallelism change: { Vertex ID "+window+" | Parallelism 6 -> 8 | Processing capacity 1850.00 -> 2466.67 | Target data rate 2210.40}",
			6, now.Add(-55*time.Minute), now.Add(-5*time.Minute)),
	}
}
