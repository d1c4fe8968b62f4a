package access_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/testcluster"
)

func TestMain(m *testing.M) { testcluster.Main(m, nil) }

// TestIntegrationCanIAsLimitedUser asks the real API server what the
// limited user (get/list/watch pods in team-a only) may do: the matrix must
// say exactly that, and who-am-I must name the user.
func TestIntegrationCanIAsLimitedUser(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := c.Config("limited")
	if err != nil {
		t.Fatal(err)
	}
	clients, err := kube.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rev := access.NewReviewer(clients.Typed)
	ns := c.Env["TESTCLUSTER_LIMITED_NS"]
	if ns == "" {
		ns = "team-a"
	}
	checks := []access.Check{
		{Verb: "watch", Resource: "pods"},
		{Verb: "get", Resource: "pods", Subresource: "log"},
		{Verb: "list", Resource: "nodes", Cluster: true},
		{Verb: "patch", Group: "pravega.pravega.io", Resource: "pravegaclusters"},
	}
	m := rev.Review(ctx, checks, []string{ns, "default"})
	want := []string{
		"watch pods in default",
		"get pods/log in " + ns,
		"get pods/log in default",
		"list nodes cluster-wide",
		"patch pravegaclusters.pravega.pravega.io in " + ns,
		"patch pravegaclusters.pravega.pravega.io in default",
	}
	if got := m.Missing(); !slices.Equal(got, want) {
		t.Errorf("refused:\n got %q\nwant %q", got, want)
	}
	for i, row := range m.Answers {
		for j, a := range row {
			if a.Err != "" {
				t.Errorf("%s [%d]: review failed: %s", checks[i].Label(), j, a.Err)
			}
		}
	}
	u, err := rev.WhoAmI(ctx)
	if err != nil || u.Name != "limited" {
		t.Errorf("who am I: %+v %v", u, err)
	}
}
