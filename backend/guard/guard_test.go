package guard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/streamops/streamops/backend/kube"
)

func TestSwitchIsOneWay(t *testing.T) {
	s := New(false)
	if s.On() || s.Check("apply") != nil {
		t.Fatal("a new switch is off")
	}
	if !s.Set() {
		t.Fatal("the first Set turns it on")
	}
	if s.Set() {
		t.Fatal("a second Set changes nothing")
	}
	err := s.Check("apply of plan p1")
	if !errors.Is(err, ErrReadOnly) || !strings.HasPrefix(err.Error(), "apply of plan p1 refused") {
		t.Fatalf("Check = %v", err)
	}
	var none *Switch
	if none.On() || none.Set() || none.Check("x") != nil {
		t.Fatal("a nil switch is off and stays off")
	}
}

func TestWrites(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "/api/v1/pods", false},
		{"HEAD", "/api/v1/pods", false},
		{"PATCH", "/apis/zookeeper.pravega.io/v1beta1/namespaces/p/zookeeperclusters/zk", true},
		{"POST", "/api/v1/namespaces/p/pods", true},
		{"PUT", "/api/v1/namespaces/p/persistentvolumeclaims/c", true},
		{"DELETE", "/api/v1/namespaces/p/pods/x", true},
		{"POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", false},
		{"POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", false},
		{"POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", true},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if got := Writes(req); got != c.want {
			t.Errorf("Writes(%s %s) = %v, want %v", c.method, c.path, got, c.want)
		}
	}
}

// TestClientsSendNoWriteOnceOn counts what reaches a server through
// guarded clients: reads always, writes only before the switch.
func TestClientsSendNoWriteOnceOn(t *testing.T) {
	var writes, reads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			reads.Add(1)
		} else {
			writes.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "selfsubjectaccessreviews"):
			_, _ = w.Write([]byte(`{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","status":{"allowed":true}}`))
		case strings.Contains(r.URL.Path, "persistentvolumeclaims"):
			_, _ = w.Write([]byte(`{"kind":"PersistentVolumeClaim","apiVersion":"v1","metadata":{"name":"c","namespace":"p"}}`))
		default:
			_, _ = w.Write([]byte(`{"kind":"PodList","apiVersion":"v1","items":[]}`))
		}
	}))
	defer srv.Close()
	raw, err := kube.NewClients(&rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{ContentType: "application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	raw.Context = "test"
	s := New(false)
	c, err := Clients(s, raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.Context != "test" || c.Server != raw.Server {
		t.Fatalf("guarded clients lost their names: %q %q", c.Context, c.Server)
	}
	ctx := context.Background()
	patch := func() error {
		_, err := c.Typed.CoreV1().PersistentVolumeClaims("p").Patch(ctx, "c", types.MergePatchType, []byte(`{}`), metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
	if err := patch(); err != nil {
		t.Fatalf("patch before read-only: %v", err)
	}
	s.Set()
	if err := patch(); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("dry-run patch after read-only = %v, want ErrReadOnly", err)
	}
	if _, err := c.Typed.CoreV1().Pods("p").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("create after read-only = %v", err)
	}
	if _, err := c.Typed.CoreV1().Pods("p").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("a read after read-only: %v", err)
	}
	if _, err := c.Typed.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("a self-review after read-only: %v", err)
	}
	if w := writes.Load(); w != 2 { // the patch before, and the self-review
		t.Fatalf("server saw %d writes, want 2 (the patch before read-only and the self-review)", w)
	}
	if r := reads.Load(); r != 1 {
		t.Fatalf("server saw %d reads, want 1", r)
	}
}

func TestClientsOfTheDemoComeBackAsTheyAre(t *testing.T) {
	c := &kube.Clients{Context: "demo"}
	got, err := Clients(New(true), c)
	if err != nil || got != c {
		t.Fatalf("Clients(fake) = %v, %v", got, err)
	}
}
