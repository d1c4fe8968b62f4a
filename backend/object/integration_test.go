package object_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/backend/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

func clientsFor(t *testing.T, c *testcluster.Cluster, context string) *kube.Clients {
	t.Helper()
	cfg, err := c.Config(context)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kube.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// statefulPod creates (afresh) a StatefulSet of one member on a kwok node
// in ns and waits for the real StatefulSet controller's pod.
func statefulPod(t *testing.T, ctx context.Context, cl *kube.Clients, ns, name string) *corev1.Pod {
	t.Helper()
	cs := cl.Typed
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("no kwok node: %v", err)
	}
	// go test -count=N reuses the cluster: start from scratch.
	_ = cs.AppsV1().StatefulSets(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground)})
	for {
		_, errS := cs.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		_, errP := cs.CoreV1().Pods(ns).Get(ctx, name+"-0", metav1.GetOptions{})
		if apierrors.IsNotFound(errS) && apierrors.IsNotFound(errP) {
			break
		}
		_ = cs.CoreV1().Pods(ns).Delete(ctx, name+"-0", metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		wait(t, ctx, "old "+name+" gone")
	}
	labels := map[string]string{"app": name}
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To(int32(1)), ServiceName: name, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{NodeName: nodes.Items[0].Name, Containers: []corev1.Container{{Name: "main", Image: "fake"}}},
			},
		},
	}
	if _, err := cs.AppsV1().StatefulSets(ns).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name+"-0", metav1.GetOptions{})
		if err == nil {
			return p
		}
		wait(t, ctx, "pod "+name+"-0")
	}
}

func wait(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
		t.Fatalf("timed out waiting for %s", what)
	case <-time.After(200 * time.Millisecond):
	}
}

// event records an Event about pod, as a kubelet would.
func event(t *testing.T, ctx context.Context, cl *kube.Clients, pod *corev1.Pod, reason, message string, at time.Time) {
	t.Helper()
	_, err := cl.Typed.CoreV1().Events(pod.Namespace).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: message, Count: 1,
		FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at),
		Source: corev1.EventSource{Component: "kubelet"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationPodOfStatefulSet tells a pod the real StatefulSet
// controller made: managedFields (which the real API server fills) gone,
// the owner chain to its StatefulSet, its events newest first; then the
// StatefulSet's own story, with the controller's SuccessfulCreate event.
func TestIntegrationPodOfStatefulSet(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := clientsFor(t, c, "admin")
	pod := statefulPod(t, ctx, admin, "object-it", "store")
	now := time.Now().UTC().Truncate(time.Second)
	event(t, ctx, admin, pod, "BackOff", "Back-off restarting failed container main", now.Add(-time.Minute))
	event(t, ctx, admin, pod, "Unhealthy", "Readiness probe failed: \x1b]52;c;ZXZpbA==\x07HTTP 503", now)

	st, err := object.Load(ctx, admin, object.Ref{Version: "v1", Kind: "Pod", Namespace: "object-it", Name: "store-0"})
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Join(st.YAML, "\n")
	if st.Err != "" || !strings.Contains(yaml, "name: store-0") || strings.Contains(yaml, "managedFields") || strings.Contains(yaml, "fieldsV1") {
		t.Fatalf("pod YAML (err %q):\n%s", st.Err, yaml)
	}
	if len(st.Owners) != 1 || st.Owners[0].Kind != "StatefulSet" || st.Owners[0].Name != "store" || !st.Owners[0].Exists || !st.Owners[0].Controller {
		t.Errorf("owners %+v (%s)", st.Owners, st.OwnersErr)
	}
	var reasons []string
	for _, e := range st.Events {
		reasons = append(reasons, e.Reason)
	}
	if len(reasons) < 2 || reasons[0] != "Unhealthy" || reasons[1] != "BackOff" || st.EventsErr != "" {
		t.Errorf("events newest first: %v (%s)", reasons, st.EventsErr)
	}
	if len(st.Events) > 0 && strings.ContainsAny(st.Events[0].Message, "\x1b\x07") {
		t.Errorf("event message not sanitised: %q", st.Events[0].Message)
	}

	for {
		st, err = object.Load(ctx, admin, object.Ref{Group: "apps", Version: "v1", Resource: "statefulsets", Namespace: "object-it", Name: "store"})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Events) > 0 && st.Events[0].Reason == "SuccessfulCreate" {
			break
		}
		wait(t, ctx, fmt.Sprintf("the StatefulSet controller's event (got %+v, %s)", st.Events, st.EventsErr))
	}
	if len(st.Owners) != 0 || st.Ref.Kind != "StatefulSet" {
		t.Errorf("statefulset story %+v", st)
	}
}

// TestIntegrationSecret reads a real Secret: none of its values, nor
// kubectl's last-applied copy of them, is in the story.
func TestIntegrationSecret(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := clientsFor(t, c, "admin")
	const value = "it-secret-value-4711"
	ns := "object-it"
	if _, err := admin.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	_ = admin.Typed.CoreV1().Secrets(ns).Delete(ctx, "creds", metav1.DeleteOptions{})
	if err := c.Apply(ctx, fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: %s}\nstringData: {password: %s}\n", ns, value)); err != nil {
		t.Fatal(err)
	}
	st, err := object.Load(ctx, admin, object.Ref{Version: "v1", Kind: "Secret", Namespace: ns, Name: "creds"})
	if err != nil {
		t.Fatal(err)
	}
	all := fmt.Sprintf("%+v", st)
	if strings.Contains(all, value) || strings.Contains(all, "aXQtc2VjcmV0") {
		t.Fatalf("secret value shown:\n%s", strings.Join(st.YAML, "\n"))
	}
	if !strings.Contains(strings.Join(st.YAML, "\n"), "password: <redacted, 20 bytes>") {
		t.Errorf("no redacted key:\n%s", strings.Join(st.YAML, "\n"))
	}
}

// TestIntegrationLimitedUser reads as the limited user (get/list/watch
// pods in team-a only): a pod of team-a shows its YAML while its owner and
// its events are one line each; what it may not get at all is one line.
func TestIntegrationLimitedUser(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := c.Env["TESTCLUSTER_LIMITED_NS"]
	if ns == "" {
		ns = "team-a"
	}
	statefulPod(t, ctx, clientsFor(t, c, "admin"), ns, "limited-store")
	limited := clientsFor(t, c, "limited")

	st, err := object.Load(ctx, limited, object.Ref{Version: "v1", Kind: "Pod", Namespace: ns, Name: "limited-store-0"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Err != "" || len(st.YAML) == 0 {
		t.Fatalf("the pod itself is readable: %q", st.Err)
	}
	if len(st.Owners) != 1 || st.Owners[0].Exists || !strings.HasPrefix(st.Owners[0].Err, "forbidden") || strings.Contains(st.Owners[0].Err, "\n") {
		t.Errorf("owner: %+v", st.Owners)
	}
	if !strings.HasPrefix(st.EventsErr, "list events of Pod "+ns+"/limited-store-0: forbidden") || strings.Contains(st.EventsErr, "\n") {
		t.Errorf("events error %q", st.EventsErr)
	}

	st, err = object.Load(ctx, limited, object.Ref{Group: "apps", Kind: "StatefulSet", Namespace: ns, Name: "limited-store"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.Err, "get StatefulSet "+ns+"/limited-store: forbidden") || len(st.YAML) != 0 || st.EventsErr == "" {
		t.Errorf("forbidden get: %+v", st)
	}

	st, err = object.Load(ctx, limited, object.Ref{Version: "v1", Kind: "Pod", Namespace: ns, Name: "no-such-pod"})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Gone || !strings.Contains(st.Err, "no longer exists") {
		t.Errorf("deleted pod: %+v", st)
	}
}

// TestIntegrationUnservedKind: this package's cluster has no Pravega CRDs,
// so a ZookeeperCluster's Get is the real API server's 404 for an unknown
// path; the story names the missing CRD instead of calling it deleted.
func TestIntegrationUnservedKind(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := object.Load(ctx, clientsFor(t, c, "admin"), object.Ref{Group: "zookeeper.pravega.io", Kind: "ZookeeperCluster", Namespace: "default", Name: "zookeeper"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Gone || !strings.Contains(st.Err, "ZookeeperCluster is not served by this cluster") {
		t.Errorf("gone %v, %q", st.Gone, st.Err)
	}
}
