package access

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
)

// Check is one permission the console relies on.
type Check struct {
	Verb, Group, Resource, Subresource string
	Cluster                            bool   // cluster-scoped (asked once, not per namespace)
	Why                                string // what the console needs it for
}

// Label is how the matrix names the check, kubectl-style: "list pods",
// "get pods/log", "patch pravegaclusters.pravega.io".
func (c Check) Label() string {
	r := c.Resource
	if c.Subresource != "" {
		r += "/" + c.Subresource
	}
	if c.Group != "" {
		r += "." + c.Group
	}
	return c.Verb + " " + r
}

// Short names the check without its API group ("patch pravegaclusters").
func (c Check) Short() string {
	r := c.Resource
	if c.Subresource != "" {
		r += "/" + c.Subresource
	}
	return c.Verb + " " + r
}

// ConsoleChecks lists what the console uses: reading what it watches,
// logs, the REST service proxy, storage and project members, growing a
// claim, and patching each operator's resource that the platform has (what
// the scale wizard writes).
func ConsoleChecks(s *platform.Snapshot) []Check {
	checks := []Check{
		{Verb: "watch", Resource: "pods", Why: "members and restarts"},
		{Verb: "get", Resource: "pods", Subresource: "log", Why: "logs"},
		{Verb: "watch", Resource: "events", Why: "Warning events"},
		{Verb: "watch", Group: "apps", Resource: "statefulsets", Why: "workloads"},
		{Verb: "watch", Resource: "services", Why: "access"},
		{Verb: "get", Resource: "services", Subresource: "proxy", Why: "Pravega and Flink REST through the API server"},
		{Verb: "list", Resource: "nodes", Cluster: true, Why: "scale preflight: node capacity"},
		{Verb: "watch", Resource: "persistentvolumeclaims", Why: "storage"},
		{Verb: "patch", Resource: "persistentvolumeclaims", Why: "grow a claim"},
		{Verb: "list", Group: "storage.k8s.io", Resource: "storageclasses", Cluster: true, Why: "storage: may a claim grow"},
		{Verb: "list", Group: "rbac.authorization.k8s.io", Resource: "rolebindings", Why: "project members"},
	}
	kinds := map[string]bool{}
	for _, c := range s.Components {
		kinds[c.Source.Kind] = true
	}
	for _, r := range operator.All {
		if r.Fallback || !kinds[r.Kind] {
			continue
		}
		checks = append(checks,
			Check{Verb: "watch", Group: r.GVR.Group, Resource: r.GVR.Resource, Why: r.Kind + " status"},
			Check{Verb: "patch", Group: r.GVR.Group, Resource: r.GVR.Resource, Why: "scale " + r.Kind})
	}
	return checks
}

// Answer is the outcome of one check in one namespace.
type Answer struct {
	Allowed bool
	Denied  bool   // explicitly denied by an authorizer
	Reason  string // the authorizer's reason, if any
	Err     string // the review itself failed
}

// Matrix is the can-i matrix: Answers[check][namespace index]; cluster
// checks have one answer at index 0.
type Matrix struct {
	Namespaces []string
	Checks     []Check
	Answers    [][]Answer
}

// Review asks the API server, through SelfSubjectAccessReviews, whether
// the current user may do each check in each namespace. Reviews run a few
// at a time; a failing review is recorded in its cell.
func Review(ctx context.Context, typed kubernetes.Interface, checks []Check, namespaces []string) Matrix {
	m := Matrix{Namespaces: namespaces, Checks: checks, Answers: make([][]Answer, len(checks))}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, c := range checks {
		n := len(namespaces)
		if c.Cluster || n == 0 {
			n = 1
		}
		m.Answers[i] = make([]Answer, n)
		for j := 0; j < n; j++ {
			ns := ""
			if !c.Cluster && len(namespaces) > 0 {
				ns = namespaces[j]
			}
			wg.Add(1)
			go func(i, j int, c Check, ns string) {
				defer wg.Done()
				defer func() { // a panic is this cell's error, not the program's end
					if r := recover(); r != nil {
						m.Answers[i][j] = Answer{Err: fmt.Sprintf("internal error: %v", r)}
					}
				}()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					m.Answers[i][j] = Answer{Err: ctx.Err().Error()}
					return
				}
				defer func() { <-sem }()
				m.Answers[i][j] = ask(ctx, typed, c, ns)
			}(i, j, c, ns)
		}
	}
	wg.Wait()
	return m
}

func ask(ctx context.Context, typed kubernetes.Interface, c Check, ns string) Answer {
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: c.Verb, Group: c.Group, Resource: c.Resource, Subresource: c.Subresource},
	}}
	res, err := typed.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return Answer{Err: kube.Explain(err).Error()}
	}
	return Answer{Allowed: res.Status.Allowed, Denied: res.Status.Denied, Reason: res.Status.Reason}
}

// Missing lists the checks refused, as "verb resource in ns" lines.
func (m Matrix) Missing() []string {
	var out []string
	for i, c := range m.Checks {
		for j, a := range m.Answers[i] {
			if a.Allowed {
				continue
			}
			where := "cluster-wide"
			if !c.Cluster && j < len(m.Namespaces) {
				where = "in " + m.Namespaces[j]
			}
			out = append(out, c.Label()+" "+where)
		}
	}
	return out
}

// User is who the API server says the current user is.
type User struct {
	Name   string
	Groups []string
}

func (u User) String() string {
	if u.Name == "" {
		return "(unknown user)"
	}
	groups := slices.DeleteFunc(slices.Clone(u.Groups), func(g string) bool { return g == "system:authenticated" })
	if len(groups) == 0 {
		return u.Name
	}
	return u.Name + " (" + strings.Join(groups, ", ") + ")"
}

// WhoAmI asks the API server who the credentials belong to
// (SelfSubjectReview, authentication.k8s.io/v1).
func WhoAmI(ctx context.Context, typed kubernetes.Interface) (User, error) {
	res, err := typed.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return User{}, fmt.Errorf("who am I: %w", kube.Explain(err))
	}
	return User{Name: res.Status.UserInfo.Username, Groups: res.Status.UserInfo.Groups}, nil
}

// Namespaces are the platform's namespaces in a snapshot, sorted.
func Namespaces(s *platform.Snapshot) []string {
	seen := map[string]bool{}
	for _, c := range s.Components {
		seen[c.Namespace] = true
	}
	for _, ns := range s.Namespaces {
		seen[ns] = true
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	slices.Sort(out)
	return out
}

// Reviewer asks the API server about the current user. The access pane and
// the scale wizard's preflight hold one; they never touch client-go.
type Reviewer struct{ typed kubernetes.Interface }

// NewReviewer returns a Reviewer over a typed client.
func NewReviewer(typed kubernetes.Interface) *Reviewer { return &Reviewer{typed: typed} }

// Review runs the can-i matrix (see Review).
func (r *Reviewer) Review(ctx context.Context, checks []Check, namespaces []string) Matrix {
	return Review(ctx, r.typed, checks, namespaces)
}

// WhoAmI returns the current user (see WhoAmI).
func (r *Reviewer) WhoAmI(ctx context.Context) (User, error) { return WhoAmI(ctx, r.typed) }
