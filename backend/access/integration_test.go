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

// TestIntegrationMembers creates Roles, RoleBindings and a
// ClusterRoleBinding on the real API server and follows them as admin,
// then as the limited user, who may not list bindings: one line per
// refusal, no members, no crash.
func TestIntegrationMembers(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := c.Apply(ctx, `
apiVersion: v1
kind: Namespace
metadata: {name: members-it}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: members-it}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [get, list, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: developers, namespace: members-it}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: it-developers}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: it-alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: members-it}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: ServiceAccount, name: ci, namespace: members-it}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: elsewhere, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: it-mallory}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: it-oncall-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: it-alice}
`)
	if err != nil {
		t.Fatal(err)
	}
	watch := func(t *testing.T, user string, nss ...string) access.Roster {
		cfg, err := c.Config(user)
		if err != nil {
			t.Fatal(err)
		}
		clients, err := kube.NewClients(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wctx, stop := context.WithCancel(ctx)
		t.Cleanup(stop)
		w := access.NewMemberWatcher(clients.Typed, nil)
		go w.Run(wctx)
		w.Watch(nss)
		select {
		case r := <-w.Rosters():
			return r
		case <-ctx.Done():
			t.Fatal("no roster")
		}
		return access.Roster{}
	}
	t.Run("admin", func(t *testing.T) {
		r := watch(t, "admin", "members-it")
		if len(r.Problems) != 0 {
			t.Errorf("problems: %q", r.Problems)
		}
		got := map[string]string{}
		for i, line := range describe(r.Members) {
			got[r.Members[i].String()] = line
		}
		for subject, want := range map[string]string{
			"User it-alice":                "User it-alice: * ClusterRole/view (ClusterRoleBinding it-oncall-view); members-it ClusterRole/edit (RoleBinding members-it/developers)",
			"Group it-developers":          "Group it-developers: members-it ClusterRole/edit (RoleBinding members-it/developers)",
			"ServiceAccount members-it/ci": "ServiceAccount members-it/ci: members-it Role/deployer (RoleBinding members-it/ci-deployer)",
			"Group system:masters":         "Group system:masters: * ClusterRole/cluster-admin (ClusterRoleBinding cluster-admin)",
		} {
			if got[subject] != want {
				t.Errorf("%s:\n got %q\nwant %q", subject, got[subject], want)
			}
		}
		if line, ok := got["User it-mallory"]; ok {
			t.Errorf("a binding of another namespace counted: %s", line)
		}
	})
	t.Run("limited", func(t *testing.T) {
		ns := c.Env["TESTCLUSTER_LIMITED_NS"]
		if ns == "" {
			ns = "team-a"
		}
		r := watch(t, "limited", ns)
		want := []string{"members: forbidden to list clusterrolebindings", "members: forbidden to list rolebindings in " + ns}
		if !slices.Equal(r.Problems, want) || len(r.Members) != 0 {
			t.Errorf("limited: problems %q, %d members; want %q and none", r.Problems, len(r.Members), want)
		}
	})
}
