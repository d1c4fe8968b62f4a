package access_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/demo"
)

func rb(ns, name, kind, role string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef: rbacv1.RoleRef{Kind: kind, Name: role}, Subjects: subjects}
}

func crb(name, role string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func user(n string) rbacv1.Subject  { return rbacv1.Subject{Kind: "User", Name: n} }
func group(n string) rbacv1.Subject { return rbacv1.Subject{Kind: "Group", Name: n} }
func sa(ns, n string) rbacv1.Subject {
	return rbacv1.Subject{Kind: "ServiceAccount", Namespace: ns, Name: n}
}

// describe renders members one line each: "User alice: team-a ClusterRole/edit
// (RoleBinding team-a/devs); * ClusterRole/view (ClusterRoleBinding all)".
func describe(ms []access.Member) []string {
	var out []string
	for _, m := range ms {
		var gs []string
		for _, g := range m.Grants {
			ns := g.Namespace
			if g.ClusterWide() {
				ns = "*"
			}
			gs = append(gs, ns+" "+g.RoleName()+" ("+g.Via()+")")
		}
		out = append(out, m.String()+": "+strings.Join(gs, "; "))
	}
	return out
}

func TestMembersGroupsSubjectsAcrossBindings(t *testing.T) {
	nss := []string{"team-a", "team-b"}
	rbs := []*rbacv1.RoleBinding{
		rb("team-a", "devs", "ClusterRole", "edit", group("developers"), user("alice")),
		rb("team-a", "deployer", "Role", "deployer", sa("", "ci")), // namespace defaults to the binding's
		rb("team-b", "devs", "ClusterRole", "edit", group("developers")),
		rb("team-b", "devs-again", "ClusterRole", "edit", group("developers")),
		rb("elsewhere", "devs", "ClusterRole", "admin", group("developers"), user("mallory")),
	}
	crbs := []*rbacv1.ClusterRoleBinding{
		crb("oncall", "view", user("alice")),
		crb("admins", "cluster-admin", group("system:masters")),
		crb("operator", "pravega-operator", sa("pravega", "pravega-operator")),
	}
	got := describe(access.Members(nss, rbs, crbs))
	want := []string{
		"User alice: * ClusterRole/view (ClusterRoleBinding oncall); team-a ClusterRole/edit (RoleBinding team-a/devs)",
		"Group developers: team-a ClusterRole/edit (RoleBinding team-a/devs); team-b ClusterRole/edit (RoleBinding team-b/devs); team-b ClusterRole/edit (RoleBinding team-b/devs-again)",
		"Group system:masters: * ClusterRole/cluster-admin (ClusterRoleBinding admins)",
		"ServiceAccount pravega/pravega-operator: * ClusterRole/pravega-operator (ClusterRoleBinding operator)",
		"ServiceAccount team-a/ci: team-a Role/deployer (RoleBinding team-a/deployer)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("members:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ms := access.Members(nss, rbs, crbs)
	if r := ms[0].Roles("team-a"); !slices.Equal(r, []string{"view", "edit"}) {
		t.Errorf("alice in team-a: %v", r)
	}
	if r := ms[0].Roles("team-b"); !slices.Equal(r, []string{"view"}) {
		t.Errorf("alice in team-b: %v (the ClusterRoleBinding reaches it)", r)
	}
	if !ms[2].System() || ms[0].System() || ms[3].System() {
		t.Error("system:masters is a system subject; alice and the operator are not")
	}
	// The same input in another order gives the same members.
	slices.Reverse(rbs)
	slices.Reverse(crbs)
	if again := describe(access.Members(nss, rbs, crbs)); !slices.Equal(again, want) {
		t.Errorf("order changed the result:\n%s", strings.Join(again, "\n"))
	}
}

func waitRoster(t *testing.T, w *access.MemberWatcher, ok func(access.Roster) bool) access.Roster {
	t.Helper()
	timeout := time.After(10 * time.Second)
	var last access.Roster
	for {
		select {
		case r := <-w.Rosters():
			last = r
			if ok(r) {
				return r
			}
		case <-timeout:
			t.Fatalf("no such roster; last: %v %q", last, last.Problems)
			return last
		}
	}
}

func TestMemberWatcherFollowsBindings(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := fake.NewClientset(rb("team-a", "devs", "ClusterRole", "edit", group("developers")), crb("oncall", "view", user("alice")))
	w := access.NewMemberWatcher(cs, nil)
	go w.Run(ctx)
	select {
	case r := <-w.Rosters():
		t.Fatalf("a roster before Watch: %v", r)
	case <-time.After(200 * time.Millisecond):
	}
	w.Watch([]string{"team-a"})
	r := waitRoster(t, w, func(r access.Roster) bool { return len(r.Members) == 2 })
	if len(r.Problems) != 0 || !slices.Equal(r.Namespaces, []string{"team-a"}) {
		t.Errorf("roster %v %q", r, r.Problems)
	}
	// A new binding shows up without any list from the console: the
	// informer's watch delivers it.
	listsBefore := countLists(cs)
	_, err := cs.RbacV1().RoleBindings("team-a").Create(ctx, rb("team-a", "oncall", "ClusterRole", "view", user("bob")), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r = waitRoster(t, w, func(r access.Roster) bool { return len(r.Members) == 3 })
	if got := describe(r.Members)[1]; got != "User bob: team-a ClusterRole/view (RoleBinding team-a/oncall)" {
		t.Errorf("bob: %s", got)
	}
	if n := countLists(cs); n != listsBefore {
		t.Errorf("%d lists after the first: the watcher polled", n-listsBefore)
	}
	// Another project set: bindings of team-b only.
	w.Watch([]string{"team-b"})
	r = waitRoster(t, w, func(r access.Roster) bool { return slices.Equal(r.Namespaces, []string{"team-b"}) })
	if got := describe(r.Members); !slices.Equal(got, []string{"User alice: * ClusterRole/view (ClusterRoleBinding oncall)"}) {
		t.Errorf("team-b: %q", got)
	}
}

func countLists(cs *fake.Clientset) int {
	n := 0
	for _, a := range cs.Actions() {
		if a.GetVerb() == "list" {
			n++
		}
	}
	return n
}

// A user who may not list RoleBindings in one namespace (nor
// ClusterRoleBindings) gets one line per refusal and the members of the
// namespaces that could be read.
func TestMemberWatcherForbidden(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := fake.NewClientset(rb("team-a", "devs", "ClusterRole", "edit", group("developers")), rb("team-b", "devs", "ClusterRole", "edit", group("b-devs")))
	forbid := func(resource, ns string) clienttesting.ReactionFunc {
		return func(a clienttesting.Action) (bool, runtime.Object, error) {
			if a.GetNamespace() != ns {
				return false, nil, nil
			}
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: resource}, "",
				fmt.Errorf(`User "limited" cannot list resource %q in API group "rbac.authorization.k8s.io"`, resource))
		}
	}
	cs.PrependReactor("list", "rolebindings", forbid("rolebindings", "team-a"))
	cs.PrependReactor("list", "clusterrolebindings", forbid("clusterrolebindings", ""))
	w := access.NewMemberWatcher(cs, nil)
	go w.Run(ctx)
	w.Watch([]string{"team-b", "team-a"})
	r := waitRoster(t, w, func(r access.Roster) bool { return len(r.Problems) == 2 })
	want := []string{"members: forbidden to list clusterrolebindings", "members: forbidden to list rolebindings in team-a"}
	if !slices.Equal(r.Problems, want) {
		t.Errorf("problems %q, want %q", r.Problems, want)
	}
	if got := describe(r.Members); !slices.Equal(got, []string{"Group b-devs: team-b ClusterRole/edit (RoleBinding team-b/devs)"}) {
		t.Errorf("members %q", got)
	}
}

// The demo seeds realistic bindings: developers edit their project, the
// on-call user views fraud-detection, the operators' service accounts and
// cluster admins hold cluster-wide roles.
func TestDemoBindings(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := demo.New(demo.Options{Seed: 1})
	w := access.NewMemberWatcher(p.Clients().Typed, nil)
	go w.Run(ctx)
	w.Watch([]string{"fraud-detection", "iot-analytics", "pravega"})
	r := waitRoster(t, w, func(r access.Roster) bool { return len(r.Members) > 0 })
	got := strings.Join(describe(r.Members), "\n")
	for _, want := range []string{
		"User oncall@example.com: fraud-detection ClusterRole/view (RoleBinding fraud-detection/oncall-view)",
		"Group iot-developers: iot-analytics ClusterRole/edit (RoleBinding iot-analytics/developers-edit)",
		"ServiceAccount pravega/pravega-operator: * ClusterRole/pravega-operator (ClusterRoleBinding pravega-operator)",
		"Group platform-admins: * ClusterRole/cluster-admin (ClusterRoleBinding cluster-admins)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo members lack %q:\n%s", want, got)
		}
	}
}
