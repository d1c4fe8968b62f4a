package access

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/streamops/streamops/backend/kube"
)

// Subject kinds of a binding (rbac.authorization.k8s.io/v1 Subject.Kind).
const (
	UserSubject           = "User"
	GroupSubject          = "Group"
	ServiceAccountSubject = "ServiceAccount"
)

// Subject is who a binding names: a user, a group, or a service account
// (with its namespace).
type Subject struct {
	Kind      string
	Name      string
	Namespace string // ServiceAccount only
}

// String is kubectl's way of naming a subject: "User alice",
// "Group developers", "ServiceAccount pravega/pravega-operator".
func (s Subject) String() string {
	if s.Kind == ServiceAccountSubject {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// System reports whether the subject is one of Kubernetes' own: a
// "system:" user or group (system:masters, system:serviceaccounts,
// system:kube-scheduler...) or a service account of kube-system.
func (s Subject) System() bool {
	return strings.HasPrefix(s.Name, "system:") || s.Kind == ServiceAccountSubject && s.Namespace == "kube-system"
}

// Grant is one role a subject holds in a project, and the binding that
// gives it.
type Grant struct {
	// Namespace is the project the grant holds in; "" for a
	// ClusterRoleBinding, which reaches every namespace.
	Namespace string
	RoleKind  string // Role or ClusterRole
	Role      string
	Binding   string // the binding's name
}

// ClusterWide reports whether the grant comes from a ClusterRoleBinding.
func (g Grant) ClusterWide() bool { return g.Namespace == "" }

// RoleName is "ClusterRole/edit" or "Role/deployer".
func (g Grant) RoleName() string { return g.RoleKind + "/" + g.Role }

// Via names the binding: "RoleBinding team-a/devs" or
// "ClusterRoleBinding cluster-admins".
func (g Grant) Via() string {
	if g.ClusterWide() {
		return "ClusterRoleBinding " + g.Binding
	}
	return "RoleBinding " + g.Namespace + "/" + g.Binding
}

// Member is a subject with every grant that reaches the projects.
type Member struct {
	Subject
	Grants []Grant // cluster-wide first, then by namespace, role and binding
}

// Roles lists the role names the member holds in a namespace, cluster-wide
// ones included, without repeats, in the order of Grants.
func (m Member) Roles(namespace string) []string {
	var out []string
	for _, g := range m.Grants {
		if (g.ClusterWide() || g.Namespace == namespace) && !slices.Contains(out, g.Role) {
			out = append(out, g.Role)
		}
	}
	return out
}

// Members lists the subjects of the RoleBindings of the given namespaces
// and of every ClusterRoleBinding, one Member per subject, sorted by
// kind (users, groups, service accounts), then namespace and name. Bindings
// of other namespaces are ignored.
func Members(namespaces []string, rbs []*rbacv1.RoleBinding, crbs []*rbacv1.ClusterRoleBinding) []Member {
	bySubject := map[Subject]*Member{}
	add := func(subjects []rbacv1.Subject, bindingNS string, g Grant) {
		for _, s := range subjects {
			sub := Subject{Kind: s.Kind, Name: s.Name}
			if s.Kind == ServiceAccountSubject {
				sub.Namespace = s.Namespace
				if sub.Namespace == "" {
					sub.Namespace = bindingNS // the API server defaults it so for RoleBindings
				}
			}
			m := bySubject[sub]
			if m == nil {
				m = &Member{Subject: sub}
				bySubject[sub] = m
			}
			if !slices.Contains(m.Grants, g) {
				m.Grants = append(m.Grants, g)
			}
		}
	}
	for _, b := range crbs {
		add(b.Subjects, "", Grant{RoleKind: roleKind(b.RoleRef), Role: b.RoleRef.Name, Binding: b.Name})
	}
	for _, b := range rbs {
		if !slices.Contains(namespaces, b.Namespace) {
			continue
		}
		add(b.Subjects, b.Namespace, Grant{Namespace: b.Namespace, RoleKind: roleKind(b.RoleRef), Role: b.RoleRef.Name, Binding: b.Name})
	}
	out := make([]Member, 0, len(bySubject))
	for _, m := range bySubject {
		slices.SortFunc(m.Grants, compareGrants)
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Member) int {
		return cmp.Or(cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func roleKind(r rbacv1.RoleRef) string {
	if r.Kind == "" {
		return "Role"
	}
	return r.Kind
}

func kindOrder(k string) int {
	switch k {
	case UserSubject:
		return 0
	case GroupSubject:
		return 1
	case ServiceAccountSubject:
		return 2
	}
	return 3
}

func compareGrants(a, b Grant) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.RoleKind, b.RoleKind),
		cmp.Compare(a.Role, b.Role), cmp.Compare(a.Binding, b.Binding))
}

// Roster is the members of a set of projects as the MemberWatcher last
// saw them. It is an immutable value.
type Roster struct {
	Namespaces []string
	Members    []Member
	// Problems are one line each: "members: forbidden to list
	// rolebindings in team-a". Members lists what could be read.
	Problems []string
	At       time.Time
}

// MemberWatcher watches the RoleBindings of the project namespaces and
// every ClusterRoleBinding with informers (it never polls), and publishes
// a Roster after every change. It starts nothing until Watch names the
// namespaces (the access pane does so when first shown).
type MemberWatcher struct {
	typed kubernetes.Interface
	log   *slog.Logger
	now   func() time.Time

	scope chan []string
	out   chan Roster

	mu       sync.Mutex
	problems map[string]string // by informer ("rolebindings/team-a")
}

// NewMemberWatcher returns a watcher over a typed client; Run drives it.
// log may be nil.
func NewMemberWatcher(typed kubernetes.Interface, log *slog.Logger) *MemberWatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &MemberWatcher{typed: typed, log: log, now: time.Now,
		scope: make(chan []string, 1), out: make(chan Roster, 1), problems: map[string]string{}}
}

// Watch makes the watcher follow these namespaces' RoleBindings (and the
// ClusterRoleBindings); it returns at once. The same set again is a no-op.
func (w *MemberWatcher) Watch(namespaces []string) {
	nss := slices.Clone(namespaces)
	slices.Sort(nss)
	select {
	case w.scope <- nss:
	default:
		select { // replace a request Run has not taken yet
		case <-w.scope:
		default:
		}
		w.scope <- nss
	}
}

// Rosters delivers the latest roster after every change; a slow reader only
// misses intermediate ones. The first roster of a namespace set comes once
// every informer has synced or failed.
func (w *MemberWatcher) Rosters() <-chan Roster { return w.out }

// coalesce is the shortest time between two rosters.
const coalesce = 100 * time.Millisecond

type bindingInformers struct {
	namespaces []string
	cancel     context.CancelFunc
	rbs        map[string]cache.SharedIndexInformer // by namespace
	crbs       cache.SharedIndexInformer
}

// Run watches until ctx ends.
func (w *MemberWatcher) Run(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("panic recovered", "in", "member watcher", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	notify := make(chan struct{}, 1)
	changed := func() {
		select {
		case notify <- struct{}{}:
		default:
		}
	}
	var cur *bindingInformers
	stop := func() {
		if cur != nil {
			cur.cancel()
		}
	}
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case nss := <-w.scope:
			if cur != nil && slices.Equal(cur.namespaces, nss) {
				continue
			}
			stop()
			w.mu.Lock()
			clear(w.problems)
			w.mu.Unlock()
			cur = w.start(ctx, nss, changed)
			continue
		case <-notify:
		}
		if cur == nil || !w.settled(cur) {
			continue
		}
		w.publish(w.roster(cur))
		select {
		case <-ctx.Done():
			return
		case <-time.After(coalesce):
		}
	}
}

func (w *MemberWatcher) start(parent context.Context, nss []string, changed func()) *bindingInformers {
	ctx, cancel := context.WithCancel(parent)
	bi := &bindingInformers{namespaces: nss, cancel: cancel, rbs: map[string]cache.SharedIndexInformer{}}
	track := func(inf cache.SharedIndexInformer, what string) {
		_ = inf.SetTransform(slimBinding)
		_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			w.failed(what, err, inf.HasSynced())
			changed()
		})
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { w.recovered(what); changed() },
			UpdateFunc: func(any, any) { w.recovered(what); changed() },
			DeleteFunc: func(any) { w.recovered(what); changed() },
		})
		go func() {
			if cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
				w.recovered(what)
				changed()
			}
		}()
	}
	for _, ns := range nss {
		f := informers.NewSharedInformerFactoryWithOptions(w.typed, 0, informers.WithNamespace(ns))
		inf := f.Rbac().V1().RoleBindings().Informer()
		bi.rbs[ns] = inf
		track(inf, "rolebindings in "+ns)
		f.Start(ctx.Done())
	}
	cf := informers.NewSharedInformerFactoryWithOptions(w.typed, 0)
	bi.crbs = cf.Rbac().V1().ClusterRoleBindings().Informer()
	track(bi.crbs, "clusterrolebindings")
	cf.Start(ctx.Done())
	return bi
}

// slimBinding keeps what Members reads.
func slimBinding(obj any) (any, error) {
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: b.Name, Namespace: b.Namespace, ResourceVersion: b.ResourceVersion},
			Subjects: b.Subjects, RoleRef: b.RoleRef}, nil
	case *rbacv1.ClusterRoleBinding:
		return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: b.Name, ResourceVersion: b.ResourceVersion},
			Subjects: b.Subjects, RoleRef: b.RoleRef}, nil
	}
	return obj, nil
}

// failed records a list or watch failure. Once an informer has synced, a
// broken watch is only logged: the reflector lists again by itself, and a
// relist that changes nothing sends no event that would clear the line.
// Forbidden is always recorded (RBAC changed under the console).
func (w *MemberWatcher) failed(what string, err error, synced bool) {
	if errors.Is(err, context.Canceled) {
		return
	}
	var line string
	switch {
	case apierrors.IsForbidden(err):
		line = "members: forbidden to list " + what
	case synced:
		w.log.Warn("member watch broke, relisting", "what", what, "err", err)
		return
	default:
		line = "members: list " + what + ": " + kube.Explain(err).Error()
	}
	w.mu.Lock()
	prev := w.problems[what]
	w.problems[what] = line
	w.mu.Unlock()
	if prev != line {
		w.log.Warn("member watch failed", "what", what, "err", err)
	}
}

func (w *MemberWatcher) recovered(what string) {
	w.mu.Lock()
	delete(w.problems, what)
	w.mu.Unlock()
}

// settled reports whether every informer has synced or failed.
func (w *MemberWatcher) settled(bi *bindingInformers) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	ok := func(inf cache.SharedIndexInformer, what string) bool {
		_, failing := w.problems[what]
		return inf.HasSynced() || failing
	}
	for ns, inf := range bi.rbs {
		if !ok(inf, "rolebindings in "+ns) {
			return false
		}
	}
	return ok(bi.crbs, "clusterrolebindings")
}

func (w *MemberWatcher) roster(bi *bindingInformers) Roster {
	var rbs []*rbacv1.RoleBinding
	for _, inf := range bi.rbs {
		for _, o := range inf.GetStore().List() {
			if b, ok := o.(*rbacv1.RoleBinding); ok {
				rbs = append(rbs, b)
			}
		}
	}
	var crbs []*rbacv1.ClusterRoleBinding
	for _, o := range bi.crbs.GetStore().List() {
		if b, ok := o.(*rbacv1.ClusterRoleBinding); ok {
			crbs = append(crbs, b)
		}
	}
	r := Roster{Namespaces: bi.namespaces, Members: Members(bi.namespaces, rbs, crbs), At: w.now()}
	w.mu.Lock()
	for _, p := range w.problems {
		r.Problems = append(r.Problems, p)
	}
	w.mu.Unlock()
	slices.Sort(r.Problems)
	return r
}

func (w *MemberWatcher) publish(r Roster) {
	select {
	case <-w.out:
	default:
	}
	w.out <- r
}

// String is for logs.
func (r Roster) String() string {
	return fmt.Sprintf("%d members of %s, %d problems", len(r.Members), strings.Join(r.Namespaces, ","), len(r.Problems))
}
