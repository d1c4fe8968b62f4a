package restapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/streamops/streamops/backend/platform"
)

func svc(ns, name string, selector map[string]string, ports ...corev1.ServicePort) corev1.Service {
	return corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Selector: selector, Ports: ports}}
}

func port(name string, n int32) corev1.ServicePort { return corev1.ServicePort{Name: name, Port: n} }

func TestTargets(t *testing.T) {
	comp := func(kind platform.Kind, srcKind, ns, name string) *platform.Component {
		return &platform.Component{Kind: kind, Namespace: ns, Cluster: name, Source: platform.Ref{Kind: srcKind, Namespace: ns, Name: name}}
	}
	snap := &platform.Snapshot{Components: []*platform.Component{
		comp(platform.FlinkTaskManager, "FlinkDeployment", "iot", "agg"),
		comp(platform.FlinkJobManager, "FlinkDeployment", "iot", "agg"),
		comp(platform.SegmentStore, "PravegaCluster", "pravega", "pravega"),
		comp(platform.Controller, "PravegaCluster", "pravega", "pravega"),
		comp(platform.FlinkJobManager, "FlinkCluster", "batch", "nightly"),
		comp(platform.Other, "StatefulSet", "pravega", "misc"),
	}}
	var got []string
	for _, tg := range Targets(snap) {
		got = append(got, tg.String()+" "+tg.Kind)
	}
	want := "pravega:pravega/pravega PravegaCluster|flink:batch/nightly FlinkCluster|flink:iot/agg FlinkDeployment"
	if strings.Join(got, "|") != want {
		t.Errorf("targets %v", got)
	}
	if Targets(nil) != nil {
		t.Error("targets of no snapshot")
	}
}

func TestPickService(t *testing.T) {
	controllerSel := map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-controller"}
	flinkSel := map[string]string{"app": "agg", "component": "jobmanager", "type": "flink-native-kubernetes"}
	cases := []struct {
		name   string
		target Target
		svcs   []corev1.Service
		want   string // Where(), or the error's start
	}{
		{"pravega default name", Target{API: Pravega, Namespace: "pravega", Name: "pravega"},
			[]corev1.Service{svc("pravega", "pravega-pravega-controller", controllerSel, port("rest", 10080), port("grpc", 9090))},
			"service proxy pravega/pravega-pravega-controller:rest"},
		{"pravega custom suffix found by selector", Target{API: Pravega, Namespace: "pravega", Name: "pravega"},
			[]corev1.Service{svc("pravega", "pravega-pravega-segmentstore-headless", map[string]string{"app": "pravega-cluster", "component": "pravega-segmentstore"}, port("server", 12345)),
				svc("pravega", "pravega-ctl", controllerSel, port("rest", 10080))},
			"service proxy pravega/pravega-ctl:rest"},
		{"pravega unnamed port", Target{API: Pravega, Namespace: "pravega", Name: "pravega"},
			[]corev1.Service{svc("pravega", "pravega-pravega-controller", controllerSel, port("", 10080))},
			"service proxy pravega/pravega-pravega-controller:10080"},
		{"flink deployment: the internal Service has no REST port", Target{API: Flink, Namespace: "iot", Name: "agg", Kind: "FlinkDeployment"},
			[]corev1.Service{svc("iot", "agg", flinkSel, port("jobmanager-rpc", 6123), port("blobserver", 6124)), svc("iot", "agg-rest", flinkSel, port("rest", 8081))},
			"service proxy iot/agg-rest:rest"},
		{"flink cluster ui port", Target{API: Flink, Namespace: "batch", Name: "nightly", Kind: "FlinkCluster"},
			[]corev1.Service{svc("batch", "nightly-jobmanager", map[string]string{"app": "flink", "cluster": "nightly", "component": "jobmanager"}, port("rpc", 6123), port("ui", 8081))},
			"service proxy batch/nightly-jobmanager:ui"},
		{"another cluster's Service is not taken", Target{API: Flink, Namespace: "iot", Name: "agg", Kind: "FlinkDeployment"},
			[]corev1.Service{svc("iot", "other-rest", map[string]string{"app": "other", "component": "jobmanager"}, port("rest", 8081))},
			"no Service in iot serves the flink REST API of agg"},
		{"ExternalName skipped", Target{API: Flink, Namespace: "iot", Name: "agg", Kind: "FlinkDeployment"},
			[]corev1.Service{{ObjectMeta: metav1.ObjectMeta{Namespace: "iot", Name: "agg-rest"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, Ports: []corev1.ServicePort{port("rest", 8081)}}}},
			"no Service in iot"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := pickService(tc.target, ruleFor(tc.target), tc.svcs)
			got := r.Where()
			if err != nil {
				got = err.Error()
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	target := Target{API: Flink, Namespace: "iot", Name: "agg", Kind: "FlinkDeployment"}
	s := svc("iot", "agg-rest", map[string]string{"app": "agg", "component": "jobmanager"}, port("rest", 8081))
	client := fake.NewClientset(&s)
	r, err := Resolve(ctx, client, target)
	if err != nil || r.Where() != "service proxy iot/agg-rest:rest" {
		t.Errorf("resolve: %v %v", r, err)
	}

	// Without the right to list Services, the operator's default name is
	// used (a wrong guess shows as the proxy's own error).
	forbidden := fake.NewClientset()
	forbidden.PrependReactor("list", "services", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "services"}, "", errors.New("no"))
	})
	r, err = Resolve(ctx, forbidden, target)
	if err != nil || r.Where() != "service proxy iot/agg-rest:rest" {
		t.Errorf("resolve without list rights: %v %v", r, err)
	}

	broken := fake.NewClientset()
	broken.PrependReactor("list", "services", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("etcd is down")
	})
	if _, err := Resolve(ctx, broken, target); err == nil || !strings.Contains(err.Error(), "list Services in iot: etcd is down") {
		t.Errorf("resolve error %v", err)
	}
}
