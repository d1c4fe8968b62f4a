package watch

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// typedResource is one typed resource the watcher watches: a row of typedResources.
// The operators' custom resources are the rows of operator.All, watched
// through the dynamic client once discovery says the server serves them.
//
// Adding a typed resource is a row here, its slim function (slim.go), its
// conversion (convert.go) and the part of build that reads it into the
// snapshot through w.informers[its index].
type typedResource struct {
	// name is its watch in the snapshot's sync states (and the status bar).
	name string
	// cluster: cluster-scoped, one informer whatever the scope; otherwise
	// one per watched namespace (one for all when the scope is every
	// namespace).
	cluster bool
	// informer takes its informer from a factory of the scope.
	informer func(informers.SharedInformerFactory) cache.SharedIndexInformer
	// list, when set, narrows what is listed and watched; such a resource
	// gets a factory of its own.
	list func(*metav1.ListOptions)
	// slim keeps of an object what the console reads, before it enters the
	// informer's cache; anything else (a tombstone) passes as it is.
	slim func(any) any
}

// The rows of typedResources, in the order of the sync states.
const (
	resPods = iota
	resEvents
	resNodes
	resStatefulSets
	resDeployments
	resServices
	resEndpointSlices
	resIngresses
	resClaims
	resStorageClasses
	numResources
)

var typedResources = [numResources]typedResource{
	resPods: {name: "pods", slim: slimmer(entryOfPod),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Core().V1().Pods().Informer()
		}},
	resEvents: {name: "events", slim: slimmer(slimEvent),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Core().V1().Events().Informer()
		},
		list: func(o *metav1.ListOptions) { o.FieldSelector = "type=Warning" }},
	resNodes: {name: "nodes", cluster: true, slim: slimmer(slimNode),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Core().V1().Nodes().Informer()
		}},
	resStatefulSets: {name: "statefulsets", slim: slimmer(slimStatefulSet),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Apps().V1().StatefulSets().Informer()
		}},
	resDeployments: {name: "deployments", slim: slimmer(slimDeployment),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Apps().V1().Deployments().Informer()
		}},
	resServices: {name: "services", slim: slimmer(slimService),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Core().V1().Services().Informer()
		}},
	resEndpointSlices: {name: "endpointslices", slim: slimmer(slimEndpointSlice),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Discovery().V1().EndpointSlices().Informer()
		}},
	resIngresses: {name: "ingresses", slim: slimmer(slimIngress),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Networking().V1().Ingresses().Informer()
		}},
	resClaims: {name: "persistentvolumeclaims", slim: slimmer(slimClaim),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Core().V1().PersistentVolumeClaims().Informer()
		}},
	// StorageClasses are cluster-scoped: a user who may not list them sees
	// "expansion unknown" on every claim and this watch failing.
	resStorageClasses: {name: "storageclasses", cluster: true, slim: slimmer(slimStorageClass),
		informer: func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Storage().V1().StorageClasses().Informer()
		}},
}

// slimmer makes a row's slim function from one that takes its type.
func slimmer[T any, S any](slim func(T) S) func(any) any {
	return func(obj any) any {
		if o, ok := obj.(T); ok {
			return slim(o)
		}
		return obj
	}
}
