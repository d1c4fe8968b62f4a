package demo

import (
	"fmt"
	"sync"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"

	"github.com/streamops/streamops/backend/restapi"
)

// DemoUser is who the demo's credentials belong to.
const DemoUser = "oncall@example.com"

// Rule is a refusal of the demo's authorizer: verb on group/resource in a
// namespace ("" matches every namespace, "*" every verb).
type Rule struct {
	Verb, Group, Resource, Subresource, Namespace string
	Reason                                        string
}

// policy answers SelfSubjectAccessReviews for the demo user: everything is
// allowed except the refusals, which by default say that the on-call user
// is not a member of the fraud-detection project (no RoleBinding there).
type policy struct {
	mu      sync.Mutex
	refuse  []Rule
	readAll bool // deny every write (a read-only user)
}

func defaultPolicy() *policy {
	return &policy{refuse: []Rule{
		{Verb: "patch", Group: "flink.apache.org", Resource: "flinkdeployments", Namespace: ProjectFraud,
			Reason: `RBAC: no RoleBinding for "oncall@example.com" allows patch on flinkdeployments in fraud-detection`},
	}}
}

// Refuse adds a refusal to the demo's authorizer.
func (p *Platform) Refuse(r Rule) {
	p.policy.mu.Lock()
	defer p.policy.mu.Unlock()
	p.policy.refuse = append(p.policy.refuse, r)
}

// ReadOnlyUser makes the demo user unable to write anything.
func (p *Platform) ReadOnlyUser() {
	p.policy.mu.Lock()
	defer p.policy.mu.Unlock()
	p.policy.readAll = true
}

func (pol *policy) decide(a *authorizationv1.ResourceAttributes) (bool, string) {
	pol.mu.Lock()
	defer pol.mu.Unlock()
	if pol.readAll {
		switch a.Verb {
		case "get", "list", "watch":
		default:
			return false, fmt.Sprintf("RBAC: %s may only read", DemoUser)
		}
	}
	for _, r := range pol.refuse {
		if (r.Verb == "*" || r.Verb == a.Verb) && r.Group == a.Group && r.Resource == a.Resource &&
			r.Subresource == a.Subresource && (r.Namespace == "" || r.Namespace == a.Namespace) {
			return false, r.Reason
		}
	}
	return true, "RBAC: allowed by ClusterRoleBinding \"platform-oncall\""
}

// answerReviews makes the fake clientset answer SelfSubjectAccessReview and
// SelfSubjectReview as an API server would (the stock fake stores and
// echoes the request, which always reads as "not allowed").
func (p *Platform) answerReviews() {
	p.typed.PrependReactor("create", "selfsubjectaccessreviews", func(a clienttesting.Action) (bool, runtime.Object, error) {
		review, ok := a.(clienttesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		if !ok {
			return false, nil, nil
		}
		out := review.DeepCopy()
		if attrs := out.Spec.ResourceAttributes; attrs != nil {
			out.Status.Allowed, out.Status.Reason = p.policy.decide(attrs)
			out.Status.Denied = !out.Status.Allowed
		} else {
			out.Status.Allowed = true // non-resource URLs: /healthz and the like
		}
		return true, out, nil
	})
	p.typed.PrependReactor("create", "selfsubjectreviews", func(a clienttesting.Action) (bool, runtime.Object, error) {
		out := &authenticationv1.SelfSubjectReview{}
		out.Status.UserInfo = authenticationv1.UserInfo{Username: DemoUser, Groups: []string{"platform-oncall", "system:authenticated"}}
		return true, out, nil
	})
}

// seedBindings are the demo projects' RoleBindings and the cluster's
// ClusterRoleBindings, as a platform team would have them: developers
// edit their project, the on-call user may only view fraud-detection (the
// refusal above), the on-call group views everything and operates the
// stream store, the operators run under their service accounts, cluster
// admins and Kubernetes' own subjects hold cluster-wide roles.
func seedBindings() []runtime.Object {
	rb := func(ns, name, roleKind, role string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
		return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: role}, Subjects: subjects}
	}
	crb := func(name, role string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
		return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subjects}
	}
	user := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: n}
	}
	group := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: n}
	}
	sa := func(ns, n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: n}
	}
	return []runtime.Object{
		rb(ProjectIoT, "developers-edit", "ClusterRole", "edit", group("iot-developers")),
		rb(ProjectFraud, "developers-edit", "ClusterRole", "edit", group("fraud-developers")),
		rb(ProjectFraud, "oncall-view", "ClusterRole", "view", user(DemoUser)),
		rb(ProjectIoT, "oncall-edit", "ClusterRole", "edit", group("platform-oncall")),
		rb(StoreNamespace, "oncall-operate", "Role", "pravega-operate", group("platform-oncall")),
		rb(ProjectIoT, "flink-role-binding", "Role", "flink", sa(ProjectIoT, "flink")),
		rb(ProjectFraud, "flink-role-binding", "Role", "flink", sa(ProjectFraud, "flink")),
		rb(ProjectFraud, "analysts-view", "ClusterRole", "view", user("dana@example.com"), user("lee@example.com")),
		crb("platform-oncall", "view", group("platform-oncall")),
		crb("cluster-admins", "cluster-admin", group("platform-admins"), user("admin@example.com")),
		crb("pravega-operator", "pravega-operator", sa(StoreNamespace, "pravega-operator")),
		crb("zookeeper-operator", "zookeeper-operator", sa(StoreNamespace, "zookeeper-operator")),
		crb("bookkeeper-operator", "bookkeeper-operator", sa(StoreNamespace, "bookkeeper-operator")),
		crb("flink-operator-role-binding", "flink-operator", sa("flink-operator", "flink-operator")),
		crb("cluster-admin", "cluster-admin", group("system:masters")),
		crb("system:kube-scheduler", "system:kube-scheduler", user("system:kube-scheduler")),
		crb("system:kube-controller-manager", "system:kube-controller-manager", user("system:kube-controller-manager")),
		crb("system:basic-user", "system:basic-user", group("system:authenticated")),
		crb("system:public-info-viewer", "system:public-info-viewer", group("system:authenticated"), group("system:unauthenticated")),
	}
}

// The demo Controller's REST credentials: a Secret the console reads, as
// it would on a real cluster (--pravega-credentials-secret
// pravega/streamops-rest), and the user the Controller knows.
const (
	RESTSecret   = "streamops-rest"
	RESTUser     = "streamops"
	restPassword = "demo-rest-8d1f4c"
)

func seedSecrets() []runtime.Object {
	return []runtime.Object{&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: StoreNamespace, Name: RESTSecret},
		Type:       corev1.SecretTypeBasicAuth,
		Data:       map[string][]byte{"username": []byte(RESTUser), "password": []byte(restPassword)},
	}}
}

// CredentialSources are what `streamops demo` gives the streams backend:
// the Secret above for the Pravega Controller.
func (p *Platform) CredentialSources() []restapi.CredentialSource {
	return []restapi.CredentialSource{{Namespace: StoreNamespace, SecretNamespace: StoreNamespace, SecretName: RESTSecret}}
}
