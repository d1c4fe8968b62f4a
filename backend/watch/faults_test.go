package watch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
)

// panicAt makes w's first call of its fault hook at site panic. Call it
// before Start.
func panicAt(w *Watcher, site string) {
	var once sync.Once
	w.SetFaultHook(func(s string) {
		if s == site {
			once.Do(func() { panic("injected at " + site) })
		}
	})
}

// TestPanicsBecomeErrorEvents makes each goroutine and callback of the
// watcher panic once: every panic comes out of Errors() as one line naming
// where it happened, and the watcher keeps publishing snapshots.
func TestPanicsBecomeErrorEvents(t *testing.T) {
	for _, tc := range []struct{ site, want string }{
		{"snapshot loop", "internal error in snapshot loop: injected at snapshot loop"},
		{"CRD watch", "internal error in CRD watch: injected at CRD watch"},
		{"wait for sync", "internal error in wait for "},
		{"event handler", "internal error in event handler for "},
		{"transform", "internal error in transform: injected at transform"},
		{"watch error handler", "internal error in watch error handler: injected at watch error handler"},
	} {
		t.Run(tc.site, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "zk-0", Namespace: "p", UID: "u1", ResourceVersion: "1",
				Labels: map[string]string{"app": "zk", "kind": "ZookeeperMember"}}}
			typed := fake.NewClientset(pod)
			// nodes cannot be listed: the watch error handler runs.
			typed.PrependReactor("list", "nodes", func(clienttesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", nil)
			})
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{})
			w := New(Config{Clients: &kube.Clients{Typed: typed, Dynamic: dyn, Discovery: typed.Discovery(), Context: "test"}, Coalesce: 10 * time.Millisecond})
			panicAt(w, tc.site)
			if err := w.Start(ctx); err != nil {
				t.Fatal(err)
			}
			var got []string
			for !containsLine(got, tc.want) {
				select {
				case err := <-w.Errors():
					got = append(got, err.Error())
				case <-ctx.Done():
					t.Fatalf("no error event %q; got %q", tc.want, got)
				}
			}
			for _, e := range got {
				if strings.Contains(e, "\n") {
					t.Errorf("error event on several lines: %q", e)
				}
			}
			// Still publishing: a new pod shows.
			p2 := pod.DeepCopy()
			p2.Name, p2.UID = "zk-1", "u2"
			if _, err := typed.CoreV1().Pods("p").Create(ctx, p2, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			sub := w.Subscribe(ctx)
			for !hasMember(w.Snapshot().Components, "zk-1") {
				select {
				case <-sub:
				case <-ctx.Done():
					t.Fatal("no snapshot with the new pod after the panic")
				}
			}
		})
	}
}

// TestPanicInTransportObserverBecomesErrorEvent: the observer runs on the
// reflector's goroutine, inside client-go's transport.
func TestPanicInTransportObserverBecomesErrorEvent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer srv.Close()
	w := New(Config{Clients: &kube.Clients{Typed: fake.NewClientset()}})
	panicAt(w, "transport observer")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/pods?watch=true", nil)
	res, err := (&observer{next: http.DefaultTransport, w: w}).RoundTrip(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the request itself must go through: %v %v", res, err)
	}
	res.Body.Close()
	select {
	case err := <-w.Errors():
		if err.Error() != "internal error in watch transport observer: injected at transport observer" {
			t.Errorf("error event %q", err)
		}
	default:
		t.Fatal("no error event")
	}
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func hasMember(comps []*platform.Component, name string) bool {
	for _, c := range comps {
		for _, m := range c.Members {
			if m.Name == name {
				return true
			}
		}
	}
	return false
}
