package object

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
)

// typedGet reads one built-in object through the typed client (protobuf on
// a real cluster; the demo keeps its core objects in the typed fake only).
type typedGet func(ctx context.Context, t kubernetes.Interface, ns, name string) (runtime.Object, error)

// kindInfo is how to read one kind.
type kindInfo struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
	get        typedGet // nil: through the dynamic client
}

func obj[T runtime.Object](o T, err error) (runtime.Object, error) {
	if err != nil {
		return nil, err
	}
	return o, nil
}

var opts = metav1.GetOptions{}

// builtins are the kinds read through the typed client: what the console's
// lists show and what owns it.
var builtins = []kindInfo{
	{schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "Pod", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.CoreV1().Pods(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Version: "v1", Resource: "services"}, "Service", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.CoreV1().Services(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}, "PersistentVolumeClaim", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.CoreV1().PersistentVolumeClaims(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, "Secret", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.CoreV1().Secrets(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "ConfigMap", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.CoreV1().ConfigMaps(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, "Node", false, func(ctx context.Context, t kubernetes.Interface, _, n string) (runtime.Object, error) {
		return obj(t.CoreV1().Nodes().Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, "StatefulSet", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.AppsV1().StatefulSets(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "Deployment", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.AppsV1().Deployments(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, "ReplicaSet", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.AppsV1().ReplicaSets(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, "DaemonSet", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.AppsV1().DaemonSets(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, "Job", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.BatchV1().Jobs(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, "RoleBinding", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.RbacV1().RoleBindings(ns).Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, "ClusterRoleBinding", false, func(ctx context.Context, t kubernetes.Interface, _, n string) (runtime.Object, error) {
		return obj(t.RbacV1().ClusterRoleBindings().Get(ctx, n, opts))
	}},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}, "Ingress", true, func(ctx context.Context, t kubernetes.Interface, ns, n string) (runtime.Object, error) {
		return obj(t.NetworkingV1().Ingresses(ns).Get(ctx, n, opts))
	}},
}

// resolver finds how to read a kind: the built-ins, the operators'
// resources, then the server's discovery (built once, when first needed).
type resolver struct {
	clients *kube.Clients
	mapper  meta.RESTMapper
}

// resolve fills in a Ref's group, version, resource and kind, from
// whichever of resource or kind it names.
func (r *resolver) resolve(ref Ref) (kindInfo, error) {
	// A ref with neither group nor version (a kind as the snapshot names
	// it, "StatefulSet") matches that kind in any group it knows.
	anyGroup := ref.Group == "" && ref.Version == ""
	match := func(group, kind, resource string) bool {
		if ref.Group != group && !anyGroup {
			return false
		}
		return ref.Kind != "" && strings.EqualFold(ref.Kind, kind) || ref.Kind == "" && ref.Resource == resource
	}
	for _, b := range builtins {
		if match(b.gvr.Group, b.kind, b.gvr.Resource) {
			return b, nil
		}
	}
	for _, o := range operator.All {
		if match(o.GVR.Group, o.Kind, o.GVR.Resource) && (ref.Version == "" || ref.Version == o.GVR.Version) {
			return kindInfo{gvr: o.GVR, kind: o.Kind, namespaced: true}, nil
		}
	}
	if r.clients.Discovery == nil {
		return kindInfo{}, fmt.Errorf("unknown kind %s", ref.kindName())
	}
	if r.mapper == nil {
		groups, err := restmapper.GetAPIGroupResources(r.clients.Discovery)
		if err != nil && len(groups) == 0 {
			return kindInfo{}, fmt.Errorf("discover %s: %w", ref.kindName(), kube.Explain(err))
		}
		r.mapper = restmapper.NewDiscoveryRESTMapper(groups)
	}
	if ref.Kind != "" {
		m, err := r.mapper.RESTMapping(schema.GroupKind{Group: ref.Group, Kind: ref.Kind}, versions(ref.Version)...)
		if err != nil {
			return kindInfo{}, fmt.Errorf("kind %s: %w", ref.kindName(), kube.Explain(err))
		}
		return kindInfo{gvr: m.Resource, kind: m.GroupVersionKind.Kind, namespaced: m.Scope.Name() == "namespace"}, nil
	}
	gvk, err := r.mapper.KindFor(schema.GroupVersionResource{Group: ref.Group, Version: ref.Version, Resource: ref.Resource})
	if err != nil {
		return kindInfo{}, fmt.Errorf("resource %s: %w", ref.kindName(), kube.Explain(err))
	}
	m, err := r.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return kindInfo{}, fmt.Errorf("kind %s: %w", ref.kindName(), kube.Explain(err))
	}
	return kindInfo{gvr: m.Resource, kind: gvk.Kind, namespaced: m.Scope.Name() == "namespace"}, nil
}

func versions(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// fetch reads one object as a map (apiVersion and kind set).
func (r *resolver) fetch(ctx context.Context, k kindInfo, ns, name string) (map[string]any, error) {
	if !k.namespaced {
		ns = ""
	}
	if k.get != nil {
		o, err := k.get(ctx, r.clients.Typed, ns, name)
		if err != nil {
			return nil, err
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, fmt.Errorf("convert %s: %w", k.kind, err)
		}
		m["apiVersion"], m["kind"] = k.gvr.GroupVersion().String(), k.kind
		return m, nil
	}
	var res dynamic.ResourceInterface = r.clients.Dynamic.Resource(k.gvr)
	if ns != "" {
		res = r.clients.Dynamic.Resource(k.gvr).Namespace(ns)
	}
	u, err := res.Get(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	return u.UnstructuredContent(), nil
}

// unserved says, after a Get answered NotFound, whether it was the kind
// the cluster does not serve (a CustomResourceDefinition missing or
// removed) rather than the object: the two read alike in a 404. It is ""
// when the kind is served, built in, or when discovery cannot tell.
func (r *resolver) unserved(k kindInfo) string {
	if r.clients.Discovery == nil || k.gvr.Group == "" {
		return ""
	}
	for _, b := range builtins {
		if b.gvr == k.gvr {
			return ""
		}
	}
	gv := k.gvr.GroupVersion().String()
	list, err := r.clients.Discovery.ServerResourcesForGroupVersion(gv)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil || list == nil:
		return ""
	default:
		for _, res := range list.APIResources {
			if res.Name == k.gvr.Resource {
				return ""
			}
		}
	}
	return fmt.Sprintf("%s is not served by this cluster (no %s.%s in %s): is its CustomResourceDefinition installed?", k.kind, k.gvr.Resource, k.gvr.Group, gv)
}
