package demo

import (
	"fmt"
	"sync"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
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
