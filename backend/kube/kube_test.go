package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

const twoContexts = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users:
- {name: admin, user: {token: admin-token}}
- {name: viewer, user: {token: viewer-token}}
contexts:
- {name: admin, context: {cluster: c, user: admin, namespace: ops}}
- {name: viewer, context: {cluster: c, user: viewer, namespace: team-a}}
current-context: admin
`

// TestWithContextUsesTheNewCredentials: the console once showed another
// context's name while still using the first one's credentials, because
// a kubeconfig loader caches its client config.
func TestWithContextUsesTheNewCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	o := NewOptions()
	o.Kubeconfig = path
	first, scope, err := o.Connect()
	if err != nil {
		t.Fatal(err)
	}
	if first.Config.BearerToken != "admin-token" || first.Context != "admin" || scope.String() != "ops" {
		t.Fatalf("first: %s %s %s", first.Config.BearerToken, first.Context, scope)
	}
	next, scope, err := o.WithContext("viewer").Connect()
	if err != nil {
		t.Fatal(err)
	}
	if next.Config.BearerToken != "viewer-token" || next.Context != "viewer" {
		t.Errorf("switched to %s with token %q", next.Context, next.Config.BearerToken)
	}
	if scope.String() != "team-a" {
		t.Errorf("the new context's namespace should apply: %s", scope)
	}
}

func TestRedactURL(t *testing.T) {
	if got := RedactURL("https://admin:hunter2@api.example.com:6443/path?token=x"); got != "https://api.example.com:6443/path" {
		t.Errorf("RedactURL = %s", got)
	}
}

// TestLogsConfig: log streams get their own HTTP/1.1 connections and no
// client-side rate limit; the console's config is left as it was.
func TestLogsConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	o := NewOptions()
	o.Kubeconfig = path
	c, _, err := o.Connect()
	if err != nil {
		t.Fatal(err)
	}
	if c.Logs == nil {
		t.Fatal("no log client")
	}
	lc := LogsConfig(c.Config)
	if lc.QPS >= 0 || lc.RateLimiter != nil || !slices.Equal(lc.TLSClientConfig.NextProtos, []string{"http/1.1"}) {
		t.Errorf("log config: QPS %v, limiter %v, protocols %q", lc.QPS, lc.RateLimiter, lc.TLSClientConfig.NextProtos)
	}
	if lc.BearerToken != "admin-token" || lc.Host != c.Config.Host || lc.UserAgent != "streamops" {
		t.Errorf("log config lost the credentials or server: %+v", lc)
	}
	if c.Config.QPS != 50 || c.Config.Burst != 100 || len(c.Config.TLSClientConfig.NextProtos) != 0 {
		t.Errorf("the console's config changed: QPS %v burst %d protocols %q", c.Config.QPS, c.Config.Burst, c.Config.TLSClientConfig.NextProtos)
	}
}

// TestPanicInCheckIsItsError: Check asks in a goroutine of its own, so it
// can give up after its timeout; a panic there is the check's error.
func TestPanicInCheckIsItsError(t *testing.T) {
	cs := fake.NewClientset()
	cs.Discovery().(*fakediscovery.FakeDiscovery).PrependReactor("get", "version", func(clienttesting.Action) (bool, runtime.Object, error) {
		panic("injected in discovery")
	})
	c := &Clients{Typed: cs, Discovery: cs.Discovery(), Server: "https://127.0.0.1:6443"}
	err := c.Check(context.Background(), 5*time.Second)
	if err == nil || err.Error() != "cannot reach https://127.0.0.1:6443: internal error: injected in discovery" {
		t.Errorf("check: %v", err)
	}
}

// TestFirstLine: a message is cut at its first line break, \r or \n; an
// error with one line is kept as it is (its wrapped chain too).
func TestFirstLine(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"one line", "forbidden: pods", "forbidden: pods"},
		{"newline", "conflict\nthe object has been modified", "conflict"},
		{"carriage return", "timeout\r\nretry", "timeout"},
		{"empty", "", ""},
		{"leading break", "\nrest", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FirstLine(tc.in); got != tc.want {
				t.Errorf("FirstLine(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	base := context.DeadlineExceeded
	if err := firstLine(base); err != base {
		t.Errorf("one-line error replaced: %v", err)
	}
	if err := firstLine(errors.New("a\nb")); err.Error() != "a" {
		t.Errorf("two-line error: %q", err)
	}
}
