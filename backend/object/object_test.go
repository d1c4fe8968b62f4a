package object

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stypes "k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
)

var t0 = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

func controller(apiVersion, kind, name string) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: "uid-" + "x", Controller: ptr.To(true)}}
}

func warning(name, pod, uid, reason string, at time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: "pravega"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "pravega", Name: pod, UID: types(uid)},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: reason + " happened", Count: 2,
		FirstTimestamp: metav1.NewTime(at.Add(-time.Minute)), LastTimestamp: metav1.NewTime(at),
		Source: corev1.EventSource{Component: "kubelet"},
	}
}

func types(s string) k8stypes.UID { return k8stypes.UID(s) }

func clients(typed []runtime.Object, crs ...runtime.Object) (*kube.Clients, *fake.Clientset) {
	t := fake.NewClientset(typed...)
	listKinds := map[schema.GroupVersionResource]string{}
	for _, r := range operator.All {
		listKinds[r.GVR] = r.Kind + "List"
	}
	d := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, crs...)
	return &kube.Clients{Typed: t, Dynamic: d, Discovery: t.Discovery()}, t
}

func pravegaCluster() *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pravega.pravega.io/v1beta1", "kind": "PravegaCluster",
		"metadata": map[string]any{"name": "pravega", "namespace": "pravega", "uid": "uid-pc"},
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "PodsReady", "status": "True", "lastTransitionTime": "2026-12-04T08:00:00Z"},
			map[string]any{"type": "Error", "status": "False", "reason": "Bad\x1b[31mred", "message": "line1\nline2"},
		}},
	}}
	return u
}

// fixture: pod → StatefulSet → PravegaCluster, the StatefulSet's
// ReplicaSet-like second owner missing; events of this pod and of an
// earlier pod of the same name.
func fixture() []runtime.Object {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "seg-0", Namespace: "pravega", UID: "uid-pod",
			OwnerReferences: controller("apps/v1", "StatefulSet", "seg"),
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubelet-manager-marker", Operation: metav1.ManagedFieldsOperationUpdate}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", LastTransitionTime: metav1.NewTime(t0)},
		}},
	}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "seg", Namespace: "pravega",
		OwnerReferences: append(controller("pravega.pravega.io/v1beta1", "PravegaCluster", "pravega"),
			metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "extra"})}}
	return []runtime.Object{pod, sts,
		warning("e-old", "seg-0", "uid-pod", "BackOff", t0.Add(-time.Hour)),
		warning("e-new", "seg-0", "uid-pod", "Unhealthy", t0),
		warning("e-mid", "seg-0", "", "FailedMount", t0.Add(-30*time.Minute)),
		warning("e-earlier-pod", "seg-0", "uid-previous-pod", "Killing", t0.Add(-2*time.Hour)),
		warning("e-other", "seg-1", "uid-other", "Other", t0),
	}
}

func load(t *testing.T, c *kube.Clients, ref Ref) Story {
	t.Helper()
	st, err := Load(context.Background(), c, ref)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// text is everything a Story would show.
func text(st Story) string { return fmt.Sprintf("%+v", st) }

func TestPodStory(t *testing.T) {
	c, _ := clients(fixture(), pravegaCluster())
	st := load(t, c, Ref{Version: "v1", Resource: "pods", Namespace: "pravega", Name: "seg-0"})
	if st.Err != "" || st.Gone {
		t.Fatalf("err %q gone %v", st.Err, st.Gone)
	}
	if st.Ref.Kind != "Pod" || st.UID != "uid-pod" {
		t.Errorf("ref %+v uid %q", st.Ref, st.UID)
	}
	yaml := strings.Join(st.YAML, "\n")
	if strings.Contains(yaml, "managedFields") || strings.Contains(yaml, "kubelet-manager-marker") {
		t.Errorf("managedFields shown:\n%s", yaml)
	}
	if !strings.Contains(yaml, "kind: Pod") || !strings.Contains(yaml, "name: seg-0") {
		t.Errorf("YAML lacks the object:\n%s", yaml)
	}
	if len(st.Conditions) != 1 || st.Conditions[0].Reason != "ContainersNotReady" || !st.Conditions[0].LastTransition.Equal(t0) {
		t.Errorf("conditions %+v", st.Conditions)
	}
	wantOwners := []Owner{
		{Depth: 1, Kind: "StatefulSet", Name: "seg", Controller: true, Exists: true},
		{Depth: 2, Kind: "PravegaCluster", Name: "pravega", Controller: true, Exists: true},
		{Depth: 2, Kind: "ConfigMap", Name: "extra"},
	}
	if fmt.Sprint(st.Owners) != fmt.Sprint(wantOwners) || st.OwnersErr != "" {
		t.Errorf("owners\n got %+v %q\nwant %+v", st.Owners, st.OwnersErr, wantOwners)
	}
	var reasons []string
	for _, e := range st.Events {
		reasons = append(reasons, e.Reason)
	}
	if got := strings.Join(reasons, ","); got != "Unhealthy,FailedMount,BackOff" || st.EventsErr != "" {
		t.Errorf("events newest first: got %s (%q)", got, st.EventsErr)
	}
}

func TestOwnerMissingAndCustomResource(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "tm-1", Namespace: "pravega", OwnerReferences: controller("apps/v1", "ReplicaSet", "tm-abc")}}
	c, _ := clients([]runtime.Object{pod}, pravegaCluster())
	st := load(t, c, Ref{Kind: "Pod", Namespace: "pravega", Name: "tm-1"})
	if len(st.Owners) != 1 || st.Owners[0].Exists || st.Owners[0].Err != "not found" {
		t.Errorf("missing owner: %+v", st.Owners)
	}
	st = load(t, c, Ref{Group: "pravega.pravega.io", Kind: "PravegaCluster", Namespace: "pravega", Name: "pravega"})
	if st.Err != "" || st.Ref.Resource != "pravegaclusters" || len(st.Conditions) != 2 {
		t.Fatalf("custom resource: %+v", st)
	}
	if c := st.Conditions[1]; c.Reason != "Badred" || c.Message != "line1␊line2" {
		t.Errorf("condition not sanitised: %q %q", c.Reason, c.Message)
	}
}

func TestSecretValuesNeverShown(t *testing.T) {
	const value = "hunter2-VERY-secret"
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: "pravega", Annotations: map[string]string{
			lastApplied: `{"data":{"password":"` + value + `"}}`, "team": "storage"}},
		Data:       map[string][]byte{"password": []byte(value), "token": []byte("another-" + value)},
		StringData: map[string]string{"username": value},
	}
	c, _ := clients([]runtime.Object{sec})
	st := load(t, c, Ref{Kind: "Secret", Namespace: "pravega", Name: "creds"})
	all := text(st)
	for _, banned := range []string{value, "aHVudGVy" /* base64 of its start */} {
		if strings.Contains(all, banned) {
			t.Fatalf("secret value %q shown:\n%s", banned, strings.Join(st.YAML, "\n"))
		}
	}
	yaml := strings.Join(st.YAML, "\n")
	for _, want := range []string{"password: <redacted, 19 bytes>", "token: <redacted, 27 bytes>", "username: <redacted, 19 bytes>", "team: storage"} {
		if !strings.Contains(yaml, want) {
			t.Errorf("YAML lacks %q:\n%s", want, yaml)
		}
	}
}

func TestHostileBytesAndCap(t *testing.T) {
	hostile := "a\x1b]52;c;ZXZpbA==\x07b\x1b[2J\x1b[31mc\x00d\x7fe\xff\xfef\rg\u009b31mh"
	data := map[string]string{"evil": hostile, "long": strings.Repeat("x", 5000)}
	for i := range 3000 {
		data[fmt.Sprintf("k%04d", i)] = "v"
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "pravega", Annotations: map[string]string{"note": hostile}}, Data: data}
	ev := warning("e1", "cm", "", "Evil", t0)
	ev.InvolvedObject.Kind, ev.Message = "ConfigMap", hostile
	c, _ := clients([]runtime.Object{cm, ev})
	st := load(t, c, Ref{Kind: "ConfigMap", Namespace: "pravega", Name: "cm"})
	if len(st.YAML) != MaxLines+1 || st.Cut <= 0 || !strings.Contains(st.YAML[MaxLines], fmt.Sprintf("%d more lines cut", st.Cut)) {
		t.Errorf("cap: %d lines, cut %d, last %q", len(st.YAML), st.Cut, st.YAML[len(st.YAML)-1])
	}
	check := func(where, s string) {
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8 %q", where, s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
				t.Errorf("%s: control %U in %q", where, r, s)
				return
			}
		}
		if len(s) > MaxLineLen+64 {
			t.Errorf("%s: line of %d bytes", where, len(s))
		}
	}
	for i, l := range st.YAML {
		check(fmt.Sprintf("YAML line %d", i), l)
	}
	if len(st.Events) != 1 {
		t.Fatalf("events %+v", st.Events)
	}
	check("event", st.Events[0].Message)
}

func TestForbiddenAndGone(t *testing.T) {
	c, typed := clients(fixture(), pravegaCluster())
	typed.PrependReactor("list", "events", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "events"}, "", fmt.Errorf("User \"dev\" cannot list resource \"events\" in namespace \"pravega\"\nsecond line"))
	})
	st := load(t, c, Ref{Kind: "Pod", Namespace: "pravega", Name: "seg-0"})
	if !strings.Contains(st.EventsErr, "forbidden") || strings.ContainsAny(st.EventsErr, "\n") || len(st.Events) != 0 {
		t.Errorf("events error %q", st.EventsErr)
	}
	if len(st.YAML) == 0 || st.Err != "" || len(st.Owners) == 0 {
		t.Errorf("the rest must show: %+v", st)
	}
	typed.PrependReactor("get", "statefulsets", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "statefulsets"}, "seg", fmt.Errorf("no"))
	})
	st = load(t, c, Ref{Kind: "Pod", Namespace: "pravega", Name: "seg-0"})
	if len(st.Owners) != 1 || st.Owners[0].Exists || !strings.HasPrefix(st.Owners[0].Err, "forbidden") {
		t.Errorf("forbidden owner: %+v", st.Owners)
	}

	st = load(t, c, Ref{Kind: "Pod", Namespace: "pravega", Name: "seg-9"})
	if !st.Gone || !strings.Contains(st.Err, "no longer exists") || len(st.YAML) != 0 {
		t.Errorf("deleted: %+v", st)
	}
	if _, err := Load(context.Background(), c, Ref{Group: "example.com", Kind: "Widget", Name: "w"}); err == nil {
		t.Error("unknown kind: want an error")
	}
}

// TestUnservedKindIsNotDeleted: a custom resource whose CRD the cluster
// does not serve reads as a 404 like a deleted object; the story says the
// kind is not served, and a deleted object of a served kind stays deleted.
func TestUnservedKindIsNotDeleted(t *testing.T) {
	c, typed := clients(fixture())
	ref := Ref{Group: "zookeeper.pravega.io", Kind: "ZookeeperCluster", Namespace: "pravega", Name: "zookeeper"}
	st := load(t, c, ref)
	if st.Gone || !strings.Contains(st.Err, "ZookeeperCluster is not served by this cluster") || !strings.Contains(st.Err, "CustomResourceDefinition") {
		t.Errorf("unserved kind: gone %v, %q", st.Gone, st.Err)
	}
	typed.Resources = []*metav1.APIResourceList{{GroupVersion: "zookeeper.pravega.io/v1beta1", APIResources: []metav1.APIResource{{Name: "zookeeperclusters", Kind: "ZookeeperCluster", Namespaced: true}}}}
	st = load(t, c, ref)
	if !st.Gone || !strings.Contains(st.Err, "no longer exists") {
		t.Errorf("served kind, object deleted: gone %v, %q", st.Gone, st.Err)
	}
}
