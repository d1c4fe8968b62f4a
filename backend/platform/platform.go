// Package platform holds the domain model of a stream-analytics platform as the
// console sees it: components (ZooKeeper, BookKeeper, Segment Store, Controller,
// Flink JobManager and TaskManager, other workloads), their member pods and
// containers, Warning events, nodes, and the sync state of every watch.
//
// A Snapshot is an immutable value: once published it is never modified, and
// members that did not change are shared between consecutive snapshots.
package platform

import (
	"context"
	"time"
)

// Kind is the role a component plays in the platform.
type Kind int

// The component kinds, in the order the console lists them (which is also the
// order in which the stream store is scaled).
const (
	ZooKeeper Kind = iota
	BookKeeper
	SegmentStore
	Controller
	FlinkJobManager
	FlinkTaskManager
	Other
)

// Kinds lists every kind in display order.
var Kinds = []Kind{ZooKeeper, BookKeeper, SegmentStore, Controller, FlinkJobManager, FlinkTaskManager, Other}

// Short is the kind's abbreviation for labels where space is short (log
// line prefixes: "bk-2"); "" for Other, which has no common name.
func (k Kind) Short() string {
	switch k {
	case ZooKeeper:
		return "zk"
	case BookKeeper:
		return "bk"
	case SegmentStore:
		return "ss"
	case Controller:
		return "ctl"
	case FlinkJobManager:
		return "jm"
	case FlinkTaskManager:
		return "tm"
	default:
		return ""
	}
}

func (k Kind) String() string {
	switch k {
	case ZooKeeper:
		return "ZooKeeper"
	case BookKeeper:
		return "BookKeeper"
	case SegmentStore:
		return "SegmentStore"
	case Controller:
		return "Controller"
	case FlinkJobManager:
		return "JobManager"
	case FlinkTaskManager:
		return "TaskManager"
	default:
		return "Other"
	}
}

// Health summarises a component for the eye: themes pick colours and glyphs
// from it, the backend never does.
type Health int

const (
	Unknown Health = iota
	Ready
	Progressing
	Degraded
	Failed
)

func (h Health) String() string {
	switch h {
	case Ready:
		return "Ready"
	case Progressing:
		return "Progressing"
	case Degraded:
		return "Degraded"
	case Failed:
		return "Failed"
	default:
		return "Unknown"
	}
}

// Ref names the Kubernetes object a component comes from.
type Ref struct {
	Group, Version, Resource string // e.g. pravega.pravega.io v1beta1 pravegaclusters
	Kind                     string // e.g. PravegaCluster
	Namespace, Name          string
	UID                      string
	ResourceVersion          string
}

// Condition is an operator condition, normalised across operators.
type Condition struct {
	Type, Status, Reason, Message string
	LastTransition                time.Time
}

// Component is one scalable part of the platform: the segment stores of one
// PravegaCluster, the bookies of one BookkeeperCluster, the TaskManagers of one
// FlinkDeployment, or an unmanaged workload.
type Component struct {
	Kind      Kind
	Cluster   string // the custom resource's (or workload's) name
	Namespace string
	Source    Ref

	Desired int  // what the spec asks for
	Ready   int  // member pods that are Ready
	HasSpec bool // false when the desired count is unknown (e.g. a bare pod)

	Version       string // running version as the operator reports it
	TargetVersion string // set while an upgrade is in progress
	State         string // operator's one-word state (e.g. FlinkDeployment lifecycleState)
	Conditions    []Condition
	Invalid       string // "invalid status: ..." when the resource could not be decoded

	Health  Health
	Reason  string // one line saying why Health is not Ready
	Members []*Member

	// Auth is what the custom resource says about client authentication
	// (PravegaCluster spec.authentication); nil when it says nothing.
	Auth *Auth
}

// Auth is a cluster's client authentication settings.
type Auth struct {
	Enabled bool
	// PasswordSecret names the Secret of Pravega's PasswordAuthHandler
	// (its user database, not credentials the console could send).
	PasswordSecret string
}

// Key identifies a component within a snapshot.
func (c *Component) Key() string {
	return c.Namespace + "/" + c.Cluster + "/" + c.Kind.String()
}

// Upgrading reports whether the operator says a version change is in progress.
func (c *Component) Upgrading() bool {
	if c.TargetVersion != "" && c.TargetVersion != c.Version {
		return true
	}
	for _, cond := range c.Conditions {
		if cond.Status == "True" && (cond.Type == "Upgrading" || cond.Type == "RollbackInProgress") {
			return true
		}
	}
	return false
}

// Restarts sums the restart counts of the component's containers.
func (c *Component) Restarts() int {
	n := 0
	for _, m := range c.Members {
		n += int(m.Restarts)
	}
	return n
}

// Member is one pod of a component.
type Member struct {
	Name, Namespace string
	UID             string
	ResourceVersion string
	Node            string
	IP              string
	Phase           string // Pending, Running, Succeeded, Failed, Unknown
	Reason          string // pod-level reason (Evicted, NodeLost...) or the worst container reason
	Unschedulable   string // PodScheduled=False: "reason: message", e.g. "Unschedulable: 0/4 nodes are available: ..."
	Ready           bool
	Terminating     bool
	Restarts        int32
	Created         time.Time
	Started         time.Time
	Containers      []Container
	Labels          map[string]string
	Owner           string // Kind/Name of the controlling owner
}

// ContainerState is the current state of a container.
type ContainerState int

const (
	StateUnknown ContainerState = iota
	StateWaiting
	StateRunning
	StateTerminated
)

func (s ContainerState) String() string {
	switch s {
	case StateWaiting:
		return "Waiting"
	case StateRunning:
		return "Running"
	case StateTerminated:
		return "Terminated"
	default:
		return "Unknown"
	}
}

// Termination describes how a container last ended.
type Termination struct {
	Reason     string // OOMKilled, Error, Completed...
	Message    string
	ExitCode   int32
	Signal     int32
	StartedAt  time.Time
	FinishedAt time.Time
}

// Ran is how long the terminated container ran, zero when unknown.
func (t *Termination) Ran() time.Duration {
	if t == nil || t.StartedAt.IsZero() || t.FinishedAt.Before(t.StartedAt) {
		return 0
	}
	return t.FinishedAt.Sub(t.StartedAt)
}

// Container is one container (or init container) of a member pod.
type Container struct {
	Name         string
	Init         bool
	Image        string
	ID           string // may be empty (kwok does not set it)
	Ready        bool
	RestartCount int32
	State        ContainerState
	Reason       string // waiting or terminated reason, e.g. CrashLoopBackOff
	Message      string
	Since        time.Time // when the current state began (running/terminated)
	Last         *Termination
	// Requests and Limits are the container's spec.resources (CPU in
	// millicores, memory in bytes; zero when not set).
	Requests, Limits Resources
}

// Event is a Kubernetes Warning event about an object of the platform.
type Event struct {
	UID       string
	Namespace string
	Object    string // Kind/Name of the involved object
	ObjectUID string
	FieldPath string // e.g. spec.containers{bookie}
	Reason    string
	Message   string
	Count     int32
	First     time.Time
	Last      time.Time
	Source    string
}

// Node is a cluster node with its capacity and what is already requested on it.
type Node struct {
	Name        string
	Ready       bool
	Schedulable bool
	Labels      map[string]string
	Taints      []Taint
	Allocatable Resources
	Requested   Resources
	Pods        int
	// Pressure lists the node's pressure conditions that are True
	// (MemoryPressure, DiskPressure, PIDPressure), in that order.
	Pressure []string
}

// UnderPressure reports whether the node reports the given pressure
// condition (e.g. "MemoryPressure") as True.
func (n *Node) UnderPressure(condition string) bool {
	for _, p := range n.Pressure {
		if p == condition {
			return true
		}
	}
	return false
}

// Taint is a node taint.
type Taint struct{ Key, Value, Effect string }

// Resources are quantities in base units: CPU in millicores, memory and
// storage in bytes, pods as a count.
type Resources struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	Pods             int64
}

// SyncPhase is where a watch stands.
type SyncPhase int

const (
	Syncing SyncPhase = iota
	Synced
	Failing
	Absent // the resource type is not served by this cluster (CRD not installed)
)

func (p SyncPhase) String() string {
	switch p {
	case Synced:
		return "synced"
	case Failing:
		return "failing"
	case Absent:
		return "absent"
	default:
		return "syncing"
	}
}

// SyncState is the state of one watch.
type SyncState struct {
	Resource string // e.g. pods, pravegaclusters.pravega.io
	Phase    SyncPhase
	Reason   string // why it fails, one line
	Since    time.Time
}

// Snapshot is the whole platform at one moment. It is immutable.
type Snapshot struct {
	Seq        uint64
	Taken      time.Time
	LastChange time.Time
	Context    string
	Namespaces []string // empty means all namespaces
	Components []*Component
	Events     []Event // Warning events, newest first
	Nodes      []Node
	Services   []Service
	Ingresses  []Ingress
	Claims     []Claim // PersistentVolumeClaims of the platform's namespaces
	Syncs      []SyncState
}

// Newest is the latest moment the snapshot shows as an age: a member
// created or started, a container's state begun or last ended, a Warning
// event's last occurrence, a watch failing or syncing since. The console refreshes
// ages every second while this is young (ages are shown in seconds under a
// minute) and rarely after that.
func (s *Snapshot) Newest() time.Time {
	var newest time.Time
	later := func(t time.Time) {
		if t.After(newest) {
			newest = t
		}
	}
	for _, c := range s.Components {
		for _, m := range c.Members {
			later(m.Created)
			later(m.Started)
			for i := range m.Containers {
				later(m.Containers[i].Since)
				if l := m.Containers[i].Last; l != nil {
					later(l.FinishedAt)
				}
			}
		}
	}
	for i := range s.Events {
		later(s.Events[i].Last)
	}
	for i := range s.Syncs {
		// a synced watch, or a resource not served, shows no age
		if ph := s.Syncs[i].Phase; ph == Syncing || ph == Failing {
			later(s.Syncs[i].Since)
		}
	}
	return newest
}

// Component returns the component with the given key, or nil.
func (s *Snapshot) Component(key string) *Component {
	for _, c := range s.Components {
		if c.Key() == key {
			return c
		}
	}
	return nil
}

// Synced reports whether every watch that exists has synced.
func (s *Snapshot) Synced() bool {
	for _, st := range s.Syncs {
		if st.Phase == Syncing {
			return false
		}
	}
	return true
}

// EventsFor returns the events whose involved object is the given pod, newest first.
func (s *Snapshot) EventsFor(namespace, object string) []Event {
	var out []Event
	for _, e := range s.Events {
		if e.Namespace == namespace && e.Object == object {
			out = append(out, e)
		}
	}
	return out
}

// ServiceType is a Service's type.
type ServiceType string

const (
	ClusterIP    ServiceType = "ClusterIP"
	NodePort     ServiceType = "NodePort"
	LoadBalancer ServiceType = "LoadBalancer"
	ExternalName ServiceType = "ExternalName"
)

// ServicePort is one port of a Service.
type ServicePort struct {
	Name       string
	Protocol   string
	Port       int32
	TargetPort string
	NodePort   int32
}

// Service is a Kubernetes Service of the platform's namespaces.
type Service struct {
	Name, Namespace string
	Type            ServiceType
	ClusterIP       string // "None" for a headless service
	ExternalIPs     []string
	LoadBalancer    []string // assigned ingress IPs or hostnames
	ExternalName    string
	Ports           []ServicePort
	Selector        map[string]string
	Ready, NotReady int  // endpoint addresses, from EndpointSlices
	HasEndpoints    bool // false when no EndpointSlice was seen (or they are not watched)
	Labels          map[string]string
}

// External reports whether the service is reachable from outside the
// cluster by itself (NodePort, LoadBalancer, external IPs).
func (s *Service) External() bool {
	return s.Type == NodePort || s.Type == LoadBalancer || len(s.ExternalIPs) > 0
}

// IngressPath routes a host and path to a service port.
type IngressPath struct {
	Path, PathType  string
	Service, Port   string // backend service name and port (number or name)
	ResourceBackend string // Kind/Name when the backend is not a service
}

// IngressRule is the paths of one host ("" is every host).
type IngressRule struct {
	Host  string
	Paths []IngressPath
}

// Ingress is a Kubernetes Ingress of the platform's namespaces.
type Ingress struct {
	Name, Namespace string
	Class           string
	Rules           []IngressRule
	TLSHosts        []string
	TLSSecrets      []string
	Addresses       []string // load balancer IPs or hostnames
	Default         string   // default backend service:port
}

// Expansion is whether a claim's storage class allows growing it.
type Expansion int

const (
	ExpansionUnknown Expansion = iota // class not visible (forbidden, not found, no class)
	ExpansionAllowed
	ExpansionRefused
)

func (e Expansion) String() string {
	switch e {
	case ExpansionAllowed:
		return "yes"
	case ExpansionRefused:
		return "no"
	default:
		return "unknown"
	}
}

// Claim is a PersistentVolumeClaim of the platform, with the component
// whose data it holds.
type Claim struct {
	Name, Namespace string
	UID             string
	ResourceVersion string
	Kind            Kind   // ZooKeeper, BookKeeper, SegmentStore (long-term storage) or Other
	Cluster         string // the custom resource the claim belongs to, "" for Other
	Role            string // data, ledger, journal, index, long-term storage; "" for Other
	Member          string // the pod of a StatefulSet claim (e.g. zookeeper-0)

	Requested, Capacity int64 // bytes; Capacity is status.capacity (0 while unbound)
	RequestedText       string
	CapacityText        string
	Allocated           string // status.allocatedResources storage, when reported
	ResizeStatus        string // status.allocatedResourceStatuses storage, when reported

	Class        string
	Expansion    Expansion
	ExpansionWhy string // why Expansion is unknown, one line
	Phase        string // Pending, Bound, Lost
	Conditions   []Condition
	Invalid      string // one line when something could not be decoded
}

// Key identifies a claim: namespace/name.
func (c *Claim) Key() string { return c.Namespace + "/" + c.Name }

// Condition returns the claim condition of the given type that is True, if any.
func (c *Claim) Condition(t string) (Condition, bool) {
	for _, cond := range c.Conditions {
		if cond.Type == t && cond.Status == "True" {
			return cond, true
		}
	}
	return Condition{}, false
}

// Claim returns the claim namespace/name, or nil.
func (s *Snapshot) Claim(key string) *Claim {
	for i := range s.Claims {
		if s.Claims[i].Key() == key {
			return &s.Claims[i]
		}
	}
	return nil
}

// Subscriber hands out the platform's snapshots (*watch.Watcher is one):
// the channel receives every new snapshot, the newest when the reader is
// slow, and is closed when ctx ends. A backend service that needs the
// snapshot subscribes for itself; no pane hands it one.
type Subscriber interface {
	Subscribe(ctx context.Context) <-chan *Snapshot
}

// OrDash is s, or "-" for a value that is not known (empty): how the
// report and the operators' status messages write it.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
