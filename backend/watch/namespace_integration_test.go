package watch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/watch"
)

// TestIntegrationCheckNamespace: ":ns nosuchns" was accepted and the
// members table read "nothing matches"; the check tells a namespace that
// does not exist from one the credentials may not see, and lets a
// namespaced user (who may not get namespaces) into its own.
func TestIntegrationCheckNamespace(t *testing.T) {
	c := integration(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := c.Env["TESTCLUSTER_LIMITED_NS"]
	if ns == "" {
		ns = "team-a"
	}
	c.namespace(t, ctx, ns)
	admin := watch.New(watch.Config{Clients: c.admin, Scope: kube.Scope{}})
	limited := watch.New(watch.Config{Clients: clientsFor(t, c.Cluster, "limited"), Scope: kube.Scope{Namespaces: []string{ns}}})
	cases := []struct {
		name string
		w    *watch.Watcher
		ns   string
		want string // "" for no error
	}{
		{"admin, existing", admin, ns, ""},
		{"admin, missing", admin, "nosuchns", `namespace "nosuchns" does not exist`},
		{"limited, its own", limited, ns, ""},
		{"limited, another", limited, "kube-system", `namespace "kube-system" is not visible to you`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.w.CheckNamespace(ctx, tc.ns)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
