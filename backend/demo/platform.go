package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stypes "k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
)

// Options configure the demo platform.
type Options struct {
	Seed  uint64           // randomness of the simulator (restarts, names)
	Clock clock.WithTicker // defaults to the real clock
	// Interval between simulator steps (default 400ms). Speed divides every
	// delay the simulator waits (default 1, at most MaxSpeed).
	Interval time.Duration
	Speed    float64
	// Faults enables the simulator's occasional container restarts.
	Faults bool
}

// MaxSpeed is the fastest simulation: members start in 8 ms, a faulty
// container restarts every quarter second, and the platform's containers
// log over 1,000 lines a second together, which is as busy as a console is
// ever asked to follow.
const MaxSpeed = 100

// Platform is the embedded demo platform.
type Platform struct {
	opts    Options
	clock   clock.WithTicker
	typed   *fake.Clientset
	dynamic *dynamicfake.FakeDynamicClient
	clients *kube.Clients
	rv      atomic.Int64

	mu     sync.Mutex
	rnd    *rand.Rand
	sim    *simulator
	policy *policy

	writesMu sync.Mutex
	writes   []string // spec writes that reached the store, newest last (bounded)

	errs chan error // internal failures (a recovered panic) for the status bar

	settled     chan struct{} // closed once the platform first settled
	settledOnce sync.Once

	usageState // metrics.k8s.io and kubelet summaries (usage.go)
}

// Errors delivers the simulator's internal failures (a recovered panic),
// one line each, for the console's status bar.
func (p *Platform) Errors() <-chan error { return p.errs }

// maxWrites bounds the record of spec writes.
const maxWrites = 1000

// SpecWrites lists the writes to objects' specs (not their status) that
// reached the demo's store, as "verb resource namespace/name". client-go's
// own record of calls is cleared every simulator step.
func (p *Platform) SpecWrites() []string {
	p.writesMu.Lock()
	defer p.writesMu.Unlock()
	return slices.Clone(p.writes)
}

func (p *Platform) recordWrite(a clienttesting.Action) {
	if a.GetSubresource() != "" {
		return
	}
	name := ""
	if n, ok := a.(interface{ GetName() string }); ok {
		name = n.GetName()
	}
	p.writesMu.Lock()
	defer p.writesMu.Unlock()
	if len(p.writes) == maxWrites {
		p.writes = p.writes[1:]
	}
	p.writes = append(p.writes, a.GetVerb()+" "+a.GetResource().Resource+" "+a.GetNamespace()+"/"+name)
}

// New builds the demo platform with its seeded objects. Run starts the
// simulator; without it the platform stays as seeded.
func New(opts Options) *Platform {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Interval == 0 {
		opts.Interval = 400 * time.Millisecond
	}
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	opts.Speed = min(opts.Speed, MaxSpeed)
	p := &Platform{opts: opts, clock: opts.Clock, rnd: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed))}
	p.rv.Store(1000)

	var typedObjs []runtime.Object
	for _, n := range seedNodes() {
		p.stamp(n)
		typedObjs = append(typedObjs, n)
	}
	for _, ns := range seedNamespaces() {
		p.stamp(ns)
		ns.CreationTimestamp = metav1.NewTime(p.clock.Now().Add(-30 * 24 * time.Hour))
		typedObjs = append(typedObjs, ns)
	}
	// Bindings and Secrets get a fixed version, not a stamped one: the
	// stamps' counter makes the pods' UIDs, which the goldens show.
	for _, o := range append(seedBindings(), seedSecrets()...) {
		if m, err := meta.Accessor(o); err == nil {
			m.SetResourceVersion("1")
			m.SetUID(k8stypes.UID("uid-" + m.GetNamespace() + "-" + m.GetName()))
		}
		typedObjs = append(typedObjs, o)
	}
	// Storage classes and claims too (fixed versions, fixed UIDs).
	for _, sc := range seedStorageClasses() {
		sc.ResourceVersion, sc.UID = "1", k8stypes.UID("uid-storageclass-"+sc.Name)
		typedObjs = append(typedObjs, sc)
	}
	for _, c := range seedClaims() {
		c.ResourceVersion = "1"
		c.CreationTimestamp = metav1.NewTime(p.clock.Now().Add(-7 * 24 * time.Hour))
		typedObjs = append(typedObjs, c)
	}
	for _, q := range seedQuotas() {
		q.ResourceVersion = "1"
		typedObjs = append(typedObjs, q)
	}
	for _, e := range seedOperatorEvents(p.clock.Now()) {
		typedObjs = append(typedObjs, e)
	}
	p.typed = fake.NewClientset(typedObjs...)

	listKinds := map[schema.GroupVersionResource]string{}
	for _, r := range operator.All {
		listKinds[r.GVR] = r.Kind + "List"
	}
	var crs []runtime.Object
	for _, u := range seedResources() {
		p.stamp(u)
		u.SetCreationTimestamp(metav1.NewTime(p.clock.Now().Add(-7 * 24 * time.Hour)))
		crs = append(crs, u)
	}
	p.dynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, crs...)

	p.stampWrites(&p.typed.Fake, p.typed.Tracker())
	p.stampWrites(&p.dynamic.Fake, p.dynamic.Tracker())
	p.policy = defaultPolicy()
	p.answerReviews()
	p.serveScale()
	p.serveClaims()

	disc := p.typed.Discovery().(*fakediscovery.FakeDiscovery)
	disc.FakedServerVersion = nil
	disc.Resources = discoveryResources()

	p.clients = &kube.Clients{Typed: p.typed, Dynamic: p.dynamic, Discovery: disc, Context: "demo", User: "demo-admin"}
	p.errs = make(chan error, 16)
	p.settled = make(chan struct{})
	p.sim = newSimulator(p)
	return p
}

// Clients returns the client-go interfaces of the demo platform.
func (p *Platform) Clients() *kube.Clients { return p.clients }

// Scope is the namespaces the demo spans: all of them.
func (p *Platform) Scope() kube.Scope { return kube.Scope{} }

// Run plays the operators and kubelets until ctx ends.
func (p *Platform) Run(ctx context.Context) error {
	return p.sim.run(ctx)
}

// Settled is closed once the running platform first settled: every
// member the resources ask for ready and, with Faults, its troubles set
// up. `streamops demo status` answers about that platform, not about
// the empty one of its first second.
func (p *Platform) Settled() <-chan struct{} { return p.settled }

// Step runs one simulator step (tests drive the simulator with a fake clock).
func (p *Platform) Step(ctx context.Context) error { return p.sim.step(ctx) }

// Settle steps the simulator, advancing the fake clock, until every member
// the resources ask for is ready, or max steps have run. It needs a fake
// clock that can be stepped.
func (p *Platform) Settle(ctx context.Context, fc interface{ Step(time.Duration) }, max int) error {
	for i := 0; i < max; i++ {
		if err := p.sim.step(ctx); err != nil {
			return err
		}
		if p.sim.settled() {
			return nil
		}
		fc.Step(p.opts.Interval)
	}
	return fmt.Errorf("demo platform not settled after %d steps", max)
}

// stamp gives an object a new resourceVersion and a UID if it has none, as
// the API server does; client-go's fake tracker does neither.
func (p *Platform) stamp(obj runtime.Object) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	m.SetResourceVersion(strconv.FormatInt(p.rv.Add(1), 10))
	if m.GetUID() == "" {
		m.SetUID(k8stypes.UID(fmt.Sprintf("uid-%s-%s-%d", m.GetNamespace(), m.GetName(), p.rv.Load())))
	}
}

// stampWrites makes every create, update and patch through a fake clientset
// carry a fresh resourceVersion. A patch is applied by the stock reaction and
// stored again with the stamped version.
func (p *Platform) stampWrites(f *clienttesting.Fake, tracker clienttesting.ObjectTracker) {
	f.PrependReactor("create", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if c, ok := a.(clienttesting.CreateAction); ok {
			p.stamp(c.GetObject())
			if m, err := meta.Accessor(c.GetObject()); err == nil && m.GetCreationTimestamp().Time.IsZero() {
				m.SetCreationTimestamp(metav1.NewTime(p.clock.Now()))
			}
		}
		return false, nil, nil
	})
	f.PrependReactor("update", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if u, ok := a.(clienttesting.UpdateAction); ok {
			p.stamp(u.GetObject())
		}
		return false, nil, nil
	})
	f.PrependReactor("patch", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		handled, obj, err := clienttesting.ObjectReaction(tracker)(a)
		if err != nil || !handled || obj == nil {
			return handled, obj, err
		}
		p.recordWrite(a)
		p.stamp(obj)
		if err := tracker.Update(a.GetResource(), obj, a.GetNamespace()); err != nil {
			return true, nil, err
		}
		return true, obj, nil
	})
}

func discoveryResources() []*metav1.APIResourceList {
	out := []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "pods", Namespaced: true, Kind: "Pod"}, {Name: "events", Namespaced: true, Kind: "Event"},
			{Name: "nodes", Kind: "Node"}, {Name: "services", Namespaced: true, Kind: "Service"},
			{Name: "namespaces", Kind: "Namespace"}, {Name: "persistentvolumeclaims", Namespaced: true, Kind: "PersistentVolumeClaim"},
		}},
		{GroupVersion: "storage.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "storageclasses", Kind: "StorageClass"}}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
			{Name: "statefulsets", Namespaced: true, Kind: "StatefulSet"}, {Name: "deployments", Namespaced: true, Kind: "Deployment"},
		}},
	}
	for _, r := range operator.All {
		if r.Fallback {
			continue // the demo serves the preferred versions only
		}
		out = append(out, &metav1.APIResourceList{GroupVersion: r.GVR.GroupVersion().String(), APIResources: []metav1.APIResource{
			{Name: r.GVR.Resource, Namespaced: true, Kind: r.Kind, Verbs: metav1.Verbs{"get", "list", "watch", "patch", "update"}},
		}})
	}
	return out
}
