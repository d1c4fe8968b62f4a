package restapi_test

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

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/restapitest"
	"github.com/streamops/streamops/backend/testcluster"
)

// recorder keeps the Authorization header of every request.
type recorder struct {
	mu   sync.Mutex
	auth []string
	next http.Handler
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.mu.Unlock()
	if r.next == nil {
		http.NotFound(w, req)
		return
	}
	r.next.ServeHTTP(w, req)
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}

// TestIntegrationPravegaCredentials reads the Controller's credentials
// from a Secret on the real API server: as admin they reach the loopback
// controller that requires them, and not the other Pravega endpoint; as
// the limited user (no get on secrets) the section names the Secret it may
// not read, and the controller is not asked. Through the service proxy the
// controller's own 401 comes back as "authentication required".
func TestIntegrationPravegaCredentials(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := clientFor(t, c, "admin")
	ns := c.Env["TESTCLUSTER_LIMITED_NS"]
	if ns == "" {
		ns = "team-a"
	}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	_ = admin.CoreV1().Secrets(ns).Delete(ctx, "pravega-rest", metav1.DeleteOptions{})
	if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pravega-rest", Namespace: ns},
		Type: corev1.SecretTypeBasicAuth, StringData: map[string]string{"username": "ops", "password": password}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pdoc, _, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctrl := seedPravega()
	ctrl.RequireAuth(&fakeapi.Auth{Users: map[string]string{"ops": password}})
	want := &recorder{next: restapitest.Check(t, pdoc, ctrl.Handler())}
	wantSrv := httptest.NewServer(want) // loopback
	defer wantSrv.Close()
	other := &recorder{next: restapitest.Check(t, pdoc, seedPravega().Handler())}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()

	mine := restapi.Target{API: restapi.Pravega, Namespace: ns, Name: "pravega"}
	theirs := restapi.Target{API: restapi.Pravega, Namespace: "elsewhere", Name: "pravega"}
	snap := &platform.Snapshot{Seq: 1, Components: []*platform.Component{
		{Kind: platform.Controller, Namespace: ns, Cluster: "pravega", Source: platform.Ref{Kind: "PravegaCluster"}, Auth: &platform.Auth{Enabled: true}},
		{Kind: platform.Controller, Namespace: "elsewhere", Cluster: "pravega", Source: platform.Ref{Kind: "PravegaCluster"}},
	}}
	src, err := restapi.ParseCredentialSecret(ns + "/pravega-rest")
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(secrets string) restapi.Config {
		return restapi.Config{Secrets: clientFor(t, c, secrets), Credentials: []restapi.CredentialSource{src},
			Overrides: []restapi.Override{{Target: mine, URL: wantSrv.URL}, {Target: theirs, URL: otherSrv.URL}}}
	}
	settled := func(r restapi.Report) bool {
		return len(r.Pravega) == 2 && !r.Pravega[0].Reading && !r.Pravega[0].Pending() && !r.Pravega[1].Reading && !r.Pravega[1].Pending()
	}

	t.Run("admin", func(t *testing.T) {
		r := awaitReport(t, runMonitor(t, cfg("admin"), snap), "both endpoints read", settled)
		sec := r.Pravega[1] // sorted: team-a after elsewhere
		if sec.Target.String() != mine.String() || sec.Err != nil || sec.Inventory == nil || sec.Auth != "basic auth from Secret "+ns+"/pravega-rest" {
			t.Fatalf("%s: err %v, auth %q, inventory %v, section %+v", sec.Target, sec.Err, sec.Auth, sec.Inventory, sec.Section)
		}
		if len(want.seen()) == 0 {
			t.Error("the controller was never asked")
		}
		for _, a := range want.seen() {
			if a != "Basic b3BzOnB3LTlmM2MxZTc3ZDI=" {
				t.Errorf("the controller got %q", a)
			}
		}
		if r.Pravega[0].Err != nil {
			t.Errorf("the other endpoint: %v", r.Pravega[0].Err)
		}
		if seen := other.seen(); len(seen) == 0 || strings.Join(seen, "") != "" {
			t.Errorf("the other endpoint got credentials (or no request): %q", seen)
		}
	})
	t.Run("limited", func(t *testing.T) {
		before := len(want.seen())
		r := awaitReport(t, runMonitor(t, cfg("limited"), snap), "both endpoints read", settled)
		sec := r.Pravega[1]
		if sec.Err == nil || sec.Err.Error() != "credentials from Secret "+ns+"/pravega-rest: forbidden to read it (get secrets in "+ns+")" {
			t.Errorf("limited: %v", sec.Err)
		}
		if n := len(want.seen()) - before; n != 0 {
			t.Errorf("the controller was asked %d times without credentials", n)
		}
	})
	t.Run("service proxy", func(t *testing.T) {
		// The controller behind a Service, read through the API server: no
		// credentials may go that way, and its own 401 says what it is.
		b := serveForCluster(t, c, restapitest.Check(t, pdoc, ctrl.Handler()))
		expose(t, ctx, c, admin, "pravega-auth-it", "pravega-pravega-controller",
			map[string]string{"app": "pravega-cluster", "pravega_cluster": "pravega", "component": "pravega-controller"}, "rest", 10080, b)
		proxied := &platform.Snapshot{Seq: 1, Components: []*platform.Component{
			{Kind: platform.Controller, Namespace: "pravega-auth-it", Cluster: "pravega", Source: platform.Ref{Kind: "PravegaCluster"}}}}
		r := awaitReport(t, runMonitor(t, restapi.Config{ServiceProxy: admin}, proxied), "a refusal", func(r restapi.Report) bool {
			return len(r.Pravega) == 1 && r.Pravega[0].Err != nil
		})
		if got := r.Pravega[0].Err.Error(); got != "authentication required (401): no credentials given (--pravega-credentials-secret NAMESPACE/SECRET)" {
			t.Errorf("through the proxy: %s", got)
		}
		withCreds := restapi.Config{ServiceProxy: admin, Secrets: admin, Credentials: []restapi.CredentialSource{{Namespace: "pravega-auth-it", Static: restapi.BasicAuth("ops", password, "test")}}}
		r = awaitReport(t, runMonitor(t, withCreds, proxied), "a refusal", func(r restapi.Report) bool {
			return len(r.Pravega) == 1 && r.Pravega[0].Err != nil
		})
		if got := r.Pravega[0].Err.Error(); !strings.HasPrefix(got, "credentials need a direct endpoint: --rest-endpoint pravega:pravega-auth-it/pravega=URL") {
			t.Errorf("credentials through the proxy: %s", got)
		}
	})
}
