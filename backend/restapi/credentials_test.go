package restapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/restapitest"
)

const (
	password = "pw-9f3c1e77d2"
	token    = "tok-5be0a1c4d9e8"
)

// TestCredentialsNeverPrint: every way Go prints or encodes a value shows
// the scheme and the source, never the password or the token.
func TestCredentialsNeverPrint(t *testing.T) {
	for _, c := range []restapi.Credentials{restapi.BasicAuth("ops", password, "Secret pravega/rest"), restapi.BearerToken(token, "the config file")} {
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("creds", "c", c, "ptr", &c)
		slog.New(slog.NewTextHandler(&logged, nil)).Info("creds", "c", c)
		js, _ := json.Marshal(map[string]any{"c": c})
		outs := []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q %x %d", c, c, c, c, c, c, c), fmt.Sprintf("%+v", &c),
			fmt.Sprintf("%+v", struct{ C restapi.Credentials }{c}), logged.String(), string(js)}
		for _, out := range outs {
			if strings.Contains(out, password) || strings.Contains(out, token) || strings.Contains(out, "cHctOWYz") /* base64 of the pair */ {
				t.Errorf("a secret printed: %s", out)
			}
		}
		if !strings.Contains(outs[0], c.From()) {
			t.Errorf("%q does not say where the credentials come from", outs[0])
		}
	}
}

func TestParseCredentialSecret(t *testing.T) {
	tests := []struct {
		in   string
		want string // CredentialSource.String, or "error"
	}{
		{"pravega/streamops-rest", "pravega:pravega/* ← Secret pravega/streamops-rest"},
		{"pravega/pravega=streamops-rest", "pravega:pravega/pravega ← Secret pravega/streamops-rest"},
		{"pravega", "error"},
		{"pravega/", "error"},
		{"/x", "error"},
		{"Pravega/x", "error"},
		{"pravega/pravega=", "error"},
		{"pravega/pravega=a/b", "error"},
		{"a/b/c", "error"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			src, err := restapi.ParseCredentialSecret(tt.in)
			got := "error"
			if err == nil {
				got = src.String()
			}
			if got != tt.want {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func secret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func forbidSecrets(cs *fake.Clientset) {
	cs.PrependReactor("get", "secrets", func(a clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, a.(clienttesting.GetAction).GetName(), errors.New("RBAC: no"))
	})
}

func TestReadSecretCredentials(t *testing.T) {
	cs := fake.NewClientset(
		secret("pravega", "basic", map[string]string{"username": "ops", "password": password + "\n"}),
		secret("pravega", "token", map[string]string{"token": token}),
		secret("pravega", "both", map[string]string{"username": "ops", "password": password, "token": token}),
		secret("pravega", "user-only", map[string]string{"username": "ops"}),
		secret("pravega", "empty", map[string]string{"other": "x"}),
	)
	tests := []struct{ name, want string }{
		{"basic", "basic auth from Secret pravega/basic"},
		{"token", "bearer token from Secret pravega/token"},
		{"both", "error: credentials from Secret pravega/both: it has both token and username/password; keep one"},
		{"user-only", "error: credentials from Secret pravega/user-only: it has username without password"},
		{"empty", "error: credentials from Secret pravega/empty: it has neither username/password nor token"},
		{"missing", "error: credentials from Secret pravega/missing: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := restapi.ReadSecretCredentials(context.Background(), cs, "pravega", tt.name)
			got := c.String()
			if err != nil {
				got = "error: " + err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	forbidSecrets(cs)
	_, err := restapi.ReadSecretCredentials(context.Background(), cs, "pravega", "basic")
	if err == nil || err.Error() != "credentials from Secret pravega/basic: forbidden to read it (get secrets in pravega)" {
		t.Errorf("forbidden: %v", err)
	}
	if _, err := restapi.ReadSecretCredentials(context.Background(), nil, "pravega", "basic"); err == nil {
		t.Error("no client, no error")
	}
}

// TestCredentialsStayWithTheirEndpoint: a redirect to another server is
// not followed, and the other server never sees the Authorization header.
func TestCredentialsStayWithTheirEndpoint(t *testing.T) {
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
	}))
	defer other.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v1/scopes", http.StatusFound)
	}))
	defer redirecting.Close()
	g, err := restapi.NewDirectGetter(redirecting.URL, "", time.Second, &restapi.Redactor{})
	if err != nil {
		t.Fatal(err)
	}
	g.SetCredentials(restapi.BasicAuth("ops", password, "test"))
	_, err = g.Get(context.Background(), "/v1/scopes", nil)
	var e *restapi.Error
	if !errors.As(err, &e) || e.Status != http.StatusFound {
		t.Errorf("redirect: %v, want the 302 as an error", err)
	}
	if len(seen) != 0 {
		t.Errorf("the other server was asked, with %q", seen)
	}
}

// authWorld is a Pravega controller requiring credentials, a clientset
// holding Secrets, and a monitor over both.
type authWorld struct {
	srv  *checked
	ctrl *fakeapi.Pravega
	cs   *fake.Clientset
	mon  *restapi.Monitor
}

var pravegaTarget = restapi.Target{API: restapi.Pravega, Namespace: "pravega", Name: "pravega"}

// newAuthWorld starts a monitor on a controller that requires credentials;
// forbidden refuses the Secrets' reads (set before the monitor starts: the
// fake's reactors may not change while it reads).
func newAuthWorld(t *testing.T, srcs []restapi.CredentialSource, overrides, snapAuth, forbidden bool) *authWorld {
	t.Helper()
	w := &authWorld{ctrl: seedPravega()}
	w.ctrl.RequireAuth(&fakeapi.Auth{Users: map[string]string{"ops": password, "guest": "guest-pw-1"}, Tokens: []string{token}, Denied: []string{"guest"}})
	w.srv = serveChecked(t, restapitest.Pravega, w.ctrl.Handler())
	w.cs = fake.NewClientset(
		secret("pravega", "good", map[string]string{"username": "ops", "password": password}),
		secret("pravega", "wrong", map[string]string{"username": "ops", "password": "not-the-password"}),
		secret("pravega", "denied", map[string]string{"username": "guest", "password": "guest-pw-1"}),
		secret("pravega", "token", map[string]string{"token": token}),
		secret("other", "good", map[string]string{"username": "ops", "password": password}),
	)
	if forbidden {
		forbidSecrets(w.cs)
	}
	cfg := restapi.Config{Credentials: srcs, Secrets: w.cs, Clock: clocktesting.NewFakeClock(t0), Interval: time.Hour}
	if overrides {
		cfg.Overrides = []restapi.Override{{Target: pravegaTarget, URL: w.srv.URL}}
	} else {
		cfg.ServiceProxy = fake.NewClientset()
	}
	snap := &platform.Snapshot{Components: []*platform.Component{{Kind: platform.Controller, Namespace: "pravega", Cluster: "pravega",
		Source: platform.Ref{Kind: "PravegaCluster"}, Auth: &platform.Auth{Enabled: snapAuth}}}}
	w.mon = runMonitor(t, cfg, snap)
	return w
}

func (w *authWorld) section(t *testing.T) restapi.PravegaSection {
	t.Helper()
	r := next(t, w.mon, func(r restapi.Report) bool {
		return len(r.Pravega) == 1 && !r.Pravega[0].Reading && !r.Pravega[0].Pending()
	})
	return r.Pravega[0]
}

func src(secretName string) restapi.CredentialSource {
	return restapi.CredentialSource{Namespace: "pravega", SecretNamespace: "pravega", SecretName: secretName}
}

// TestMonitorAuth walks every refusal: what the section says, and what
// reached the controller.
func TestMonitorAuth(t *testing.T) {
	basic := "Basic b3BzOnB3LTlmM2MxZTc3ZDI=" // ops:pw-9f3c1e77d2
	tests := []struct {
		name      string
		srcs      []restapi.CredentialSource
		direct    bool
		snapAuth  bool
		err       string // "" for success
		auth      string // Section.Auth
		requests  int    // requests the controller got (-1: any)
		sentAuth  string // the Authorization header of the first request
		forbidden bool   // Secrets may not be read
	}{
		{name: "good basic credentials from a Secret", srcs: []restapi.CredentialSource{src("good")}, direct: true, snapAuth: true,
			auth: "basic auth from Secret pravega/good", requests: -1, sentAuth: basic},
		{name: "a token from a Secret", srcs: []restapi.CredentialSource{src("token")}, direct: true,
			auth: "bearer token from Secret pravega/token", requests: -1, sentAuth: "Bearer " + token},
		{name: "credentials from the config file", srcs: []restapi.CredentialSource{{Namespace: "pravega", Cluster: "pravega", Static: restapi.BasicAuth("ops", password, "the config file")}},
			direct: true, auth: "basic auth from the config file", requests: -1, sentAuth: basic},
		{name: "the resource enables authentication, no credentials given", direct: true, snapAuth: true,
			err: "authentication required: the PravegaCluster enables authentication and no credentials are given (--pravega-credentials-secret NAMESPACE/SECRET)"},
		{name: "401 without credentials", direct: true, requests: 1,
			err: "authentication required (401): no credentials given (--pravega-credentials-secret NAMESPACE/SECRET)"},
		{name: "401 with wrong credentials", srcs: []restapi.CredentialSource{src("wrong")}, direct: true, requests: 1, auth: "basic auth from Secret pravega/wrong",
			err: "authentication required (401): basic auth from Secret pravega/wrong not accepted"},
		{name: "403 for a user without rights", srcs: []restapi.CredentialSource{src("denied")}, direct: true, requests: 1, auth: "basic auth from Secret pravega/denied",
			err: "credentials rejected (403): basic auth from Secret pravega/denied may not read /v1/scopes"},
		{name: "the Secret is missing", srcs: []restapi.CredentialSource{src("missing")}, direct: true, snapAuth: true,
			err: "credentials from Secret pravega/missing: not found"},
		{name: "the Secret may not be read", srcs: []restapi.CredentialSource{src("good")}, direct: true, snapAuth: true, forbidden: true,
			err: "credentials from Secret pravega/good: forbidden to read it (get secrets in pravega)"},
		{name: "credentials cannot go through the service proxy", srcs: []restapi.CredentialSource{src("good")}, snapAuth: true,
			err: "credentials need a direct endpoint: --rest-endpoint pravega:pravega/pravega=URL (the API server's service proxy cannot carry them)"},
		{name: "another namespace's credentials are not sent", srcs: []restapi.CredentialSource{{Namespace: "other", SecretNamespace: "other", SecretName: "good"}},
			direct: true, requests: 1, err: "authentication required (401): no credentials given (--pravega-credentials-secret NAMESPACE/SECRET)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAuthWorld(t, tt.srcs, tt.direct, tt.snapAuth, tt.forbidden)
			sec := w.section(t)
			got := ""
			if sec.Err != nil {
				got = sec.Err.Error()
			}
			if got != tt.err {
				t.Errorf("error %q\n want %q", got, tt.err)
			}
			if tt.err == "" && sec.Inventory == nil {
				t.Error("no inventory")
			}
			if sec.Auth != tt.auth || sec.AuthRequired != tt.snapAuth {
				t.Errorf("auth %q required %v, want %q %v", sec.Auth, sec.AuthRequired, tt.auth, tt.snapAuth)
			}
			w.srv.mu.Lock()
			defer w.srv.mu.Unlock()
			if tt.requests >= 0 && len(w.srv.auth) != tt.requests {
				t.Errorf("%d requests reached the controller, want %d", len(w.srv.auth), tt.requests)
			}
			if tt.sentAuth != "" && (len(w.srv.auth) == 0 || w.srv.auth[0] != tt.sentAuth) {
				t.Errorf("sent %q, want %q", w.srv.auth, tt.sentAuth)
			}
			for _, a := range w.srv.auth {
				if tt.sentAuth == "" && a != "" && tt.name != "401 with wrong credentials" && tt.name != "403 for a user without rights" {
					t.Errorf("credentials sent: %q", a)
				}
			}
			if strings.Contains(fmt.Sprintf("%+v", sec), password) || strings.Contains(fmt.Sprintf("%+v", sec), token) {
				t.Error("a secret in the section")
			}
		})
	}
}

// A rotated Secret is read again after the endpoint refused the old one.
func TestMonitorRereadsSecretAfter401(t *testing.T) {
	w := newAuthWorld(t, []restapi.CredentialSource{src("wrong")}, true, true, false)
	if sec := w.section(t); sec.Err == nil || !strings.Contains(sec.Err.Error(), "not accepted") {
		t.Fatalf("first read: %v", sec.Err)
	}
	_, err := w.cs.CoreV1().Secrets("pravega").Update(context.Background(),
		secret("pravega", "wrong", map[string]string{"username": "ops", "password": password}), metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.mon.Refresh()
	r := next(t, w.mon, func(r restapi.Report) bool { return !r.Pravega[0].Reading && r.Pravega[0].Err == nil })
	if r.Pravega[0].Inventory == nil {
		t.Error("no inventory after the Secret was fixed")
	}
	gets := 0
	for _, a := range w.cs.Actions() {
		if a.GetVerb() == "get" && a.GetResource().Resource == "secrets" {
			gets++
		}
	}
	if gets != 2 {
		t.Errorf("%d Secret reads, want 2 (one, then one after the 401)", gets)
	}
}
