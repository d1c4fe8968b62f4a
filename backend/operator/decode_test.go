package operator

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/streamops/streamops/backend/platform"
)

func load(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetNamespace("ns")
	return u
}

// withStatus sets a status on a sample, as the operator would write it.
func withStatus(u *unstructured.Unstructured, status map[string]any) *unstructured.Unstructured {
	u.Object["status"] = status
	return u
}

type want struct {
	kind            platform.Kind
	desired         int
	version, target string
	state           string
	conditions      int
	invalid         string // substring
}

func TestDecodeUpstreamSamples(t *testing.T) {
	tests := []struct {
		name string
		res  Resource
		obj  func(t *testing.T) *unstructured.Unstructured
		want []want
	}{
		{
			name: "ZookeeperCluster sample, no status yet: version from spec.image.tag",
			res:  ZookeeperClusters,
			obj: func(t *testing.T) *unstructured.Unstructured {
				return load(t, "zookeeper_v1beta1_zookeepercluster_cr.yaml")
			},
			want: []want{{kind: platform.ZooKeeper, desired: 3, version: "0.2.14"}},
		},
		{
			name: "ZookeeperCluster upgrading, per STATUS.md",
			res:  ZookeeperClusters,
			obj: func(t *testing.T) *unstructured.Unstructured {
				return withStatus(load(t, "zookeeper_v1beta1_zookeepercluster_cr.yaml"), map[string]any{
					"replicas": int64(3), "readyReplicas": int64(3), "currentVersion": "0.2.13", "targetVersion": "0.2.14",
					"members": map[string]any{"ready": []any{"zookeeper-0", "zookeeper-1", "zookeeper-2"}, "unready": nil},
					"conditions": []any{
						map[string]any{"type": "PodsReady", "status": "True", "lastTransitionTime": "2026-11-24T08:00:00Z"},
						map[string]any{"type": "Upgrading", "status": "True", "reason": "Updating Zookeeper", "message": "1"},
						map[string]any{"type": "Error", "status": "False"},
					},
				})
			},
			want: []want{{kind: platform.ZooKeeper, desired: 3, version: "0.2.13", target: "0.2.14", conditions: 3}},
		},
		{
			name: "BookkeeperCluster sample: replicas 3, version from spec",
			res:  BookkeeperClusters,
			obj:  func(t *testing.T) *unstructured.Unstructured { return load(t, "bookkeeper_v1alpha1_cr.yaml") },
			want: []want{{kind: platform.BookKeeper, desired: 3, version: "0.9.0"}},
		},
		{
			name: "PravegaCluster v1beta1 sample: segment stores and controllers, bookies not counted",
			res:  PravegaClusters,
			obj:  func(t *testing.T) *unstructured.Unstructured { return load(t, "pravega_v1beta1_pravega-cr.yaml") },
			want: []want{
				{kind: platform.SegmentStore, desired: 3, version: "0.10.0"},
				{kind: platform.Controller, desired: 1, version: "0.10.0"},
			},
		},
		{
			name: "PravegaCluster v1alpha1 shape: bookies from spec.bookkeeper, version from spec.pravega.image.tag",
			res:  PravegaClustersV1alpha1,
			obj: func(*testing.T) *unstructured.Unstructured {
				return &unstructured.Unstructured{Object: map[string]any{
					"metadata": map[string]any{"name": "old", "namespace": "ns"},
					"spec": map[string]any{
						"bookkeeper": map[string]any{"replicas": int64(4)},
						"pravega":    map[string]any{"controllerReplicas": int64(2), "segmentStoreReplicas": int64(5), "image": map[string]any{"tag": "0.6.1"}},
					},
				}}
			},
			want: []want{
				{kind: platform.BookKeeper, desired: 4, version: "0.6.1"},
				{kind: platform.SegmentStore, desired: 5, version: "0.6.1"},
				{kind: platform.Controller, desired: 2, version: "0.6.1"},
			},
		},
		{
			name: "FlinkDeployment basic: TaskManagers = ceil(parallelism 2 / 2 slots), slots written as a number",
			res:  FlinkDeployments,
			obj:  func(t *testing.T) *unstructured.Unstructured { return load(t, "basic.yaml") },
			want: []want{
				{kind: platform.FlinkJobManager, desired: 1, version: "v2_2"},
				{kind: platform.FlinkTaskManager, desired: 1, version: "v2_2"},
			},
		},
		{
			name: "FlinkDeployment session without job: TaskManager count unknown until the operator reports it",
			res:  FlinkDeployments,
			obj: func(t *testing.T) *unstructured.Unstructured {
				return withStatus(load(t, "basic-session-deployment-only.yaml"), map[string]any{
					"jobManagerDeploymentStatus": "READY", "lifecycleState": "STABLE",
					"taskManager": map[string]any{"labelSelector": "component=taskmanager,app=x", "replicas": int64(2)},
				})
			},
			want: []want{
				{kind: platform.FlinkJobManager, desired: 1, version: "v2_2", state: "STABLE"},
				{kind: platform.FlinkTaskManager, desired: 2, version: "v2_2", state: "STABLE"},
			},
		},
		{
			name: "FlinkDeployment failed: error becomes an Error condition, job state shown",
			res:  FlinkDeployments,
			obj: func(t *testing.T) *unstructured.Unstructured {
				return withStatus(load(t, "basic.yaml"), map[string]any{
					"lifecycleState": "FAILED", "error": "Job failed\nat line 2", "jobManagerDeploymentStatus": "ERROR",
					"jobStatus": map[string]any{"state": "FAILED"},
				})
			},
			want: []want{
				{kind: platform.FlinkJobManager, desired: 1, version: "v2_2", state: "FAILED / job FAILED", conditions: 2},
				{kind: platform.FlinkTaskManager, desired: 1, version: "v2_2", state: "FAILED / job FAILED", conditions: 2},
			},
		},
		{
			name: "FlinkDeployment rolled back: the operator's JSON error decoded, the reconciliation state a condition",
			res:  FlinkDeployments,
			obj: func(t *testing.T) *unstructured.Unstructured {
				return withStatus(load(t, "basic.yaml"), map[string]any{
					"lifecycleState": "ROLLED_BACK", "jobManagerDeploymentStatus": "READY",
					"error":                `{"type":"org.apache.flink.kubernetes.operator.exception.ReconciliationException","message":"org.apache.flink.client.deployment.ClusterDeploymentException: Could not deploy","additionalMetadata":{},"throwableList":[{"type":"org.apache.flink.runtime.rest.util.RestClientException","message":"[Internal server error.]","additionalMetadata":{"httpResponseCode":500}}]}`,
					"reconciliationStatus": map[string]any{"state": "ROLLED_BACK"},
					"jobStatus":            map[string]any{"state": "RUNNING"},
				})
			},
			want: []want{
				{kind: platform.FlinkJobManager, desired: 1, version: "v2_2", state: "ROLLED_BACK / job RUNNING", conditions: 2},
				{kind: platform.FlinkTaskManager, desired: 1, version: "v2_2", state: "ROLLED_BACK / job RUNNING", conditions: 2},
			},
		},
		{
			name: "FlinkCluster (spotify) job cluster: TM replicas 2, state from status",
			res:  FlinkClusters,
			obj: func(t *testing.T) *unstructured.Unstructured {
				return withStatus(load(t, "spotify_flinkoperator_v1beta1_flinkjobcluster.yaml"), map[string]any{
					"state": "Running",
					"components": map[string]any{
						"jobManager":  map[string]any{"name": "x-jobmanager", "state": "Ready", "replicas": int64(1), "readyReplicas": int64(1), "ready": "1/1"},
						"taskManager": map[string]any{"name": "x-taskmanager", "state": "NotReady", "replicas": int64(2), "readyReplicas": int64(1), "ready": "1/2"},
						"job":         map[string]any{"state": "Running"},
					},
				})
			},
			want: []want{
				{kind: platform.FlinkJobManager, desired: 1, version: "1.14", state: "Running / job Running", conditions: 1},
				{kind: platform.FlinkTaskManager, desired: 2, version: "1.14", state: "Running / job Running", conditions: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decode(tt.res, tt.obj(t))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d components, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				c := got[i]
				if c.Kind != w.kind || c.Desired != w.desired || c.Version != w.version || c.TargetVersion != w.target || c.State != w.state {
					t.Errorf("component %d = {%s desired %d version %q target %q state %q}, want {%s %d %q %q %q}",
						i, c.Kind, c.Desired, c.Version, c.TargetVersion, c.State, w.kind, w.desired, w.version, w.target, w.state)
				}
				if len(c.Conditions) != w.conditions {
					t.Errorf("component %d: %d conditions %+v, want %d", i, len(c.Conditions), c.Conditions, w.conditions)
				}
				if c.Invalid != "" {
					t.Errorf("component %d: unexpected invalid %q", i, c.Invalid)
				}
				if c.Source.Name != tt.obj(t).GetName() || c.Source.Kind != tt.res.Kind {
					t.Errorf("component %d: source %+v", i, c.Source)
				}
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	zk := func(spec, status map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "zk", "namespace": "ns"}}}
		if spec != nil {
			u.Object["spec"] = spec
		}
		if status != nil {
			u.Object["status"] = status
		}
		return u
	}
	tests := []struct {
		name    string
		obj     *unstructured.Unstructured
		invalid string // substring of Component.Invalid; "" means valid
		desired int
	}{
		{"missing spec uses the operator's default", zk(nil, nil), "", 3},
		{"replicas as a string", zk(map[string]any{"replicas": "three"}, nil), "invalid spec: spec.replicas: is a string, want an integer", 3},
		{"negative replicas", zk(map[string]any{"replicas": int64(-2)}, nil), "spec.replicas: is negative", 3},
		{"replicas as a fraction", zk(map[string]any{"replicas": 2.5}, nil), "want an integer", 3},
		{"replicas beyond int32 (the API server stores it; the operator cannot read it)", zk(map[string]any{"replicas": int64(8589934588)}, nil), "spec.replicas: is 8589934588, out of the int32 range", 3},
		{"status is a string", zk(map[string]any{"replicas": int64(3)}, map[string]any{"currentVersion": map[string]any{"x": 1}}), "invalid status: status.currentVersion: is an object, want a string", 3},
		{"conditions not a list", zk(map[string]any{"replicas": int64(1)}, map[string]any{"conditions": "broken"}), "status.conditions: is a string, want an array", 1},
		{"condition not an object", zk(map[string]any{"replicas": int64(1)}, map[string]any{"conditions": []any{"x", map[string]any{"type": "PodsReady", "status": "True"}}}), "status.conditions.0: is a string", 1},
		{"spec is a list", func() *unstructured.Unstructured { u := zk(nil, nil); u.Object["spec"] = []any{1}; return u }(), "invalid spec: spec: is an array, want object", 3},
		{"huge condition array still decodes", zk(map[string]any{"replicas": int64(1)}, map[string]any{"conditions": hugeConditions(10000)}), "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comps := Decode(ZookeeperClusters, tt.obj)
			if len(comps) != 1 {
				t.Fatalf("got %d components", len(comps))
			}
			c := comps[0]
			if tt.invalid == "" && c.Invalid != "" || !strings.Contains(c.Invalid, tt.invalid) {
				t.Errorf("Invalid = %q, want it to contain %q", c.Invalid, tt.invalid)
			}
			if c.Desired != tt.desired {
				t.Errorf("Desired = %d, want %d", c.Desired, tt.desired)
			}
			Assess(c)
			if tt.invalid != "" && c.Health != platform.Unknown {
				t.Errorf("Health = %s, want Unknown for an invalid resource", c.Health)
			}
		})
	}
}

func hugeConditions(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"type": "Noise", "status": "False"}
	}
	return out
}

func TestClassifyOperatorLabels(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		want   Membership
		ok     bool
	}{
		{"zookeeper member", map[string]string{"app": "zk", "kind": "ZookeeperMember", "release": "zk"}, Membership{platform.ZooKeeper, "zk", "ZookeeperCluster"}, true},
		{"bookie", map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": "bk", "component": "bookie"}, Membership{platform.BookKeeper, "bk", "BookkeeperCluster"}, true},
		{"segment store", map[string]string{"app": "pravega-cluster", "pravega_cluster": "p", "component": "pravega-segmentstore"}, Membership{platform.SegmentStore, "p", "PravegaCluster"}, true},
		{"controller", map[string]string{"app": "pravega-cluster", "pravega_cluster": "p", "component": "pravega-controller"}, Membership{platform.Controller, "p", "PravegaCluster"}, true},
		{"native flink taskmanager", map[string]string{"type": "flink-native-kubernetes", "app": "job", "component": "taskmanager"}, Membership{platform.FlinkTaskManager, "job", "FlinkDeployment"}, true},
		{"standalone flink jobmanager", map[string]string{"type": "flink-standalone-kubernetes", "app": "job", "component": "jobmanager"}, Membership{platform.FlinkJobManager, "job", "FlinkDeployment"}, true},
		{"flinkcluster taskmanager", map[string]string{"app": "flink", "cluster": "c", "component": "taskmanager"}, Membership{platform.FlinkTaskManager, "c", "FlinkCluster"}, true},
		{"flink operator's ingress is not a member", map[string]string{"type": "flink-native-kubernetes", "app": "job", "component": "ingress"}, Membership{}, false},
		{"pravega pod with unknown component", map[string]string{"app": "pravega-cluster", "pravega_cluster": "p", "component": "x"}, Membership{}, false},
		{"unrelated", map[string]string{"app": "nginx"}, Membership{}, false},
		{"no labels", nil, Membership{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Classify(tt.labels)
			if ok != tt.ok || got != tt.want {
				t.Errorf("Classify = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAssess(t *testing.T) {
	member := func(name string, ready bool, reason string) *platform.Member {
		m := &platform.Member{Name: name, Ready: ready, Phase: "Running"}
		if reason != "" {
			m.Containers = []platform.Container{{Name: "c", State: platform.StateWaiting, Reason: reason}}
		}
		return m
	}
	pending := func(name, reason string) *platform.Member {
		return &platform.Member{Name: name, Phase: "Pending", Reason: reason}
	}
	tests := []struct {
		name   string
		comp   platform.Component
		health platform.Health
		reason string
	}{
		{"all ready", platform.Component{HasSpec: true, Desired: 2, Ready: 2, Members: []*platform.Member{member("a", true, ""), member("b", true, "")}}, platform.Ready, ""},
		{"one short", platform.Component{HasSpec: true, Desired: 3, Ready: 2, Members: []*platform.Member{member("a", true, ""), member("b", true, ""), member("c", false, "")}}, platform.Degraded, "2/3 ready; not ready: c"},
		{"none ready", platform.Component{HasSpec: true, Desired: 3, Ready: 0}, platform.Failed, "0/3 ready"},
		{"crash loop while counts look fine", platform.Component{HasSpec: true, Desired: 1, Ready: 1, Members: []*platform.Member{member("a", true, "CrashLoopBackOff")}}, platform.Degraded, "c CrashLoopBackOff in a"},
		{"upgrading", platform.Component{HasSpec: true, Desired: 1, Ready: 1, Version: "0.9", TargetVersion: "0.10"}, platform.Progressing, "upgrading 0.9 → 0.10"},
		{"upgrade rolled back", platform.Component{HasSpec: true, Desired: 1, Ready: 1, Conditions: []platform.Condition{{Type: "Reconciliation", Status: "False", Reason: "ROLLED_BACK"}}}, platform.Degraded, "upgrade failed, rolled back to the last stable spec"},
		{"operator upgrading", platform.Component{HasSpec: true, Desired: 1, Ready: 1, Conditions: []platform.Condition{{Type: "Reconciliation", Status: "False", Reason: "UPGRADING"}}}, platform.Progressing, "operator upgrading to the new spec"},
		{"operator error", platform.Component{HasSpec: true, Desired: 1, Ready: 1, Conditions: []platform.Condition{{Type: "Error", Status: "True", Reason: "UpgradeFailed"}}}, platform.Failed, "error: UpgradeFailed"},
		{"scaling down", platform.Component{HasSpec: true, Desired: 1, Ready: 2, Members: []*platform.Member{member("a", true, ""), member("b", true, "")}}, platform.Progressing, "2 members, scaling to 1"},
		{"scaled to zero", platform.Component{HasSpec: true, Desired: 0, Ready: 0}, platform.Ready, ""},
		// a Job's pod the scheduler cannot place: no desired count, no
		// ready member, and it is not ok
		{"no spec, pending unschedulable", platform.Component{Kind: platform.Other, Members: []*platform.Member{pending("backfill-d7w5n", "Unschedulable")}}, platform.Failed, "0/1 ready; Unschedulable: backfill-d7w5n"},
		{"no spec, none ready", platform.Component{Kind: platform.Other, Members: []*platform.Member{member("job-a", false, "")}}, platform.Failed, "0/1 ready; not ready: job-a"},
		{"no spec, one of two ready", platform.Component{Kind: platform.Other, Ready: 1, Members: []*platform.Member{member("a", true, ""), pending("b", "")}}, platform.Degraded, "1/2 ready; Pending: b"},
		{"no spec, all ready", platform.Component{Kind: platform.Other, Ready: 1, Members: []*platform.Member{member("a", true, "")}}, platform.Ready, ""},
		{"no spec, finished pods only", platform.Component{Kind: platform.Other, Members: []*platform.Member{{Name: "done", Phase: "Succeeded"}}}, platform.Ready, ""},
		{"no spec, no members", platform.Component{Kind: platform.Other}, platform.Ready, ""},
		{"surge pod unschedulable", platform.Component{HasSpec: true, Desired: 1, Ready: 1, Members: []*platform.Member{member("a", true, ""), pending("b", "Unschedulable")}}, platform.Degraded, "Unschedulable: b"},
		{"none ready, unschedulable", platform.Component{HasSpec: true, Desired: 1, Members: []*platform.Member{pending("a", "Unschedulable")}}, platform.Failed, "0/1 ready; Unschedulable: a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.comp
			Assess(&c)
			if c.Health != tt.health || c.Reason != tt.reason {
				t.Errorf("Assess = %s %q, want %s %q", c.Health, c.Reason, tt.health, tt.reason)
			}
		})
	}
}

// FuzzDecode feeds arbitrary JSON as a custom resource of every kind the
// console reads: decoding must never panic, and whatever it reports as
// invalid must be one line.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"pravega_v1beta1_pravega-cr.yaml", "zookeeper_v1beta1_zookeepercluster_cr.yaml", "bookkeeper_v1alpha1_cr.yaml", "basic.yaml", "spotify_flinkoperator_v1beta1_flinkjobcluster.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(j)
	}
	f.Add([]byte(`{"spec":{"replicas":"x"},"status":{"conditions":[1,"a",{"type":{}}]}}`))
	f.Add([]byte(`{"spec":[],"status":7}`))
	f.Add([]byte(`{"status":{"conditions":[{"type":"Error","status":"True","reason":"Upgrade\nFailed","message":"line one\nline two"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var obj map[string]any
		if json.Unmarshal(b, &obj) != nil {
			return
		}
		u := &unstructured.Unstructured{Object: obj}
		for _, r := range All {
			for _, c := range Decode(r, u) {
				Assess(c)
				if strings.ContainsAny(c.Invalid, "\n\r") || strings.ContainsAny(c.Reason, "\n\r") {
					t.Fatalf("multi-line text: %q %q", c.Invalid, c.Reason)
				}
				if c.Desired < 0 {
					t.Fatalf("negative desired %d", c.Desired)
				}
			}
		}
	})
}

// TestDecodePravegaAuthentication reads spec.authentication of the
// upstream sample (enabled: false), the sample with authentication turned
// on and a password secret named, a cluster that says nothing, and a
// malformed value.
func TestDecodePravegaAuthentication(t *testing.T) {
	controller := func(u *unstructured.Unstructured) *platform.Component {
		for _, c := range Decode(PravegaClusters, u) {
			if c.Kind == platform.Controller {
				return c
			}
		}
		t.Fatal("no controller")
		return nil
	}
	sample := controller(load(t, "pravega_v1beta1_pravega-cr.yaml"))
	if sample.Auth == nil || sample.Auth.Enabled {
		t.Errorf("sample: %+v, want authentication present and disabled", sample.Auth)
	}
	on := load(t, "pravega_v1beta1_pravega-cr.yaml")
	if err := unstructured.SetNestedField(on.Object, true, "spec", "authentication", "enabled"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(on.Object, "password-auth", "spec", "authentication", "passwordAuthSecret"); err != nil {
		t.Fatal(err)
	}
	if got := controller(on).Auth; got == nil || !got.Enabled || got.PasswordSecret != "password-auth" {
		t.Errorf("enabled: %+v", got)
	}
	none := load(t, "pravega_v1beta1_pravega-cr.yaml")
	unstructured.RemoveNestedField(none.Object, "spec", "authentication")
	if got := controller(none).Auth; got != nil {
		t.Errorf("no authentication section: %+v, want nil", got)
	}
	bad := load(t, "pravega_v1beta1_pravega-cr.yaml")
	if err := unstructured.SetNestedField(bad.Object, "yes", "spec", "authentication", "enabled"); err != nil {
		t.Fatal(err)
	}
	if c := controller(bad); !strings.Contains(c.Invalid, "spec.authentication.enabled: is a string, want true or false") {
		t.Errorf("malformed: Invalid %q", c.Invalid)
	}
}

// TestFlinkError: the Flink operator's status.error is the JSON of its
// exception (or plain text when it could not serialise it); the class is
// the reason, the message ends with the root cause.
func TestFlinkError(t *testing.T) {
	for _, tc := range []struct{ in, reason, message string }{
		{`{"type":"org.apache.flink.kubernetes.operator.exception.ReconciliationException","message":"deploy failed","additionalMetadata":{},"throwableList":[{"type":"java.lang.Exception","message":"x"},{"type":"org.apache.flink.runtime.rest.util.RestClientException","message":"[400 bad request]"}]}`,
			"ReconciliationException", "deploy failed; cause: RestClientException: [400 bad request]"},
		{`{"type":"org.apache.flink.kubernetes.operator.exception.DeploymentFailedException","message":"back-off pulling image","filteredExceptions":[{"type":"x.ErrImagePull","message":"not found"}]}`,
			"DeploymentFailedException", "back-off pulling image; cause: ErrImagePull: not found"},
		{`{"type":"a.B","message":"only"}`, "B", "only"},
		{"Job failed\nat line 2", "Error", "Job failed\nat line 2"},
		{`{"type": broken`, "Error", `{"type": broken`},
		{`{"other":1}`, "Error", `{"other":1}`},
	} {
		if r, m := flinkError(tc.in); r != tc.reason || m != tc.message {
			t.Errorf("flinkError(%.40q) = %q, %q; want %q, %q", tc.in, r, m, tc.reason, tc.message)
		}
	}
}
