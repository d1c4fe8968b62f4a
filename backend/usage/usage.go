// Package usage holds what the platform's members and nodes use against
// what they request and are limited to, and how full its claims are: CPU
// and memory from the metrics API (metrics.k8s.io, served by
// metrics-server), volume fill from the kubelets' summaries read through
// the API server's node proxy.
//
// A Monitor reads both on an interval, and only while something that shows
// them is active (Activate/Deactivate); it follows the watcher's snapshots
// by itself for which pods, nodes and claims exist. An absent or forbidden
// API is one line of state, read again under backoff, never an error loop.
// Each read is joined onto the snapshot into an immutable Report.
package usage

import (
	"slices"
	"time"

	"github.com/streamops/streamops/backend/platform"
)

// Fill thresholds: a claim over HighFill is marked High, over CriticalFill
// Critical.
const (
	HighFill     = 0.80
	CriticalFill = 0.90
)

// Sample is a usage: CPU in millicores, memory (the working set) in bytes.
type Sample struct {
	MilliCPU int64
	Memory   int64
}

// State is where a source of data stands.
type State int

const (
	Idle      State = iota // not read yet: nothing that shows it was active
	OK                     // the last read succeeded
	Absent                 // the API is not served (no metrics-server)
	Forbidden              // the credentials may not read it
	Failing                // the last read failed otherwise
	Off                    // no client configured (this source is never read)
)

func (s State) String() string {
	switch s {
	case OK:
		return "ok"
	case Absent:
		return "absent"
	case Forbidden:
		return "forbidden"
	case Failing:
		return "failing"
	case Off:
		return "off"
	default:
		return "idle"
	}
}

// Source is the state of one source (the metrics API, the kubelet
// summaries).
type Source struct {
	State    State
	Reason   string    // one line when State is Absent, Forbidden, Failing or Off
	Updated  time.Time // last successful read; zero: never
	Failures int       // failed reads in a row
	NextTry  time.Time // when it is read next (while active)
}

// Fill is how full a claim is.
type Fill int

const (
	FillUnknown  Fill = iota // no kubelet summary reported the claim
	FillOK                   // at most HighFill
	FillHigh                 // over HighFill
	FillCritical             // over CriticalFill
)

func (f Fill) String() string {
	switch f {
	case FillOK:
		return "ok"
	case FillHigh:
		return "high"
	case FillCritical:
		return "critical"
	default:
		return "unknown"
	}
}

// FillOf grades a fraction of a volume used.
func FillOf(fraction float64) Fill {
	switch {
	case fraction > CriticalFill:
		return FillCritical
	case fraction > HighFill:
		return FillHigh
	default:
		return FillOK
	}
}

// ClaimFill is the fill level of one claim of the snapshot.
type ClaimFill struct {
	Namespace, Name string
	Kind            platform.Kind
	Role            string // ledger, journal, index, data, long-term storage
	Cluster         string
	Pod, Node       string // where the kubelet reported it mounted
	// Used, Available and Capacity are the volume's bytes as the kubelet
	// measures its filesystem (statfs): Used+Available can be less than
	// Capacity by the blocks reserved for root.
	Used, Available, Capacity int64
	// Fraction is Used/(Used+Available), as df computes Use%; 0 when unknown.
	Fraction float64
	Level    Fill
	Seen     time.Time // when the kubelet measured it; zero: never
}

// Size is what the fill is measured against (Fraction = Used/Size).
func (f ClaimFill) Size() int64 { return fillTotal(f.Used, f.Available, f.Capacity) }

// Key is namespace/name, as platform.Claim.Key.
func (c ClaimFill) Key() string { return c.Namespace + "/" + c.Name }

// NodeUsage is one node that holds members of the platform.
type NodeUsage struct {
	Name        string
	Usage       Sample
	Seen        time.Time // when the metrics API measured it; zero: never
	Allocatable platform.Resources
	Ready       bool
	Pressure    []string // True pressure conditions (MemoryPressure, DiskPressure, PIDPressure)
	Members     int      // members of the snapshot on it
}

// UnderPressure reports whether the node has the given pressure condition
// (e.g. "MemoryPressure") True.
func (n NodeUsage) UnderPressure(condition string) bool {
	return slices.Contains(n.Pressure, condition)
}

// MemoryOfAllocatable is the memory used as a fraction of allocatable.
func (n NodeUsage) MemoryOfAllocatable() (float64, bool) {
	return fraction(n.Usage.Memory, n.Allocatable.Memory, !n.Seen.IsZero())
}

// CPUOfAllocatable is the CPU used as a fraction of allocatable.
func (n NodeUsage) CPUOfAllocatable() (float64, bool) {
	return fraction(n.Usage.MilliCPU, n.Allocatable.MilliCPU, !n.Seen.IsZero())
}

// ContainerUsage is one container of a member with its usage.
type ContainerUsage struct {
	Name string
	Init bool
	// Usage is the last usage seen of the container, Seen when the metrics
	// API measured it (zero: never seen). Current says it is from the
	// latest read; otherwise the container was not reported by it (not
	// running, or the read failed) and Usage is what it used last.
	Usage   Sample
	Seen    time.Time
	Current bool
	// BeforeEnd is the last usage seen before the container last ended
	// (a restart observed while the monitor read it), with EndedSeen its
	// time; nil when none was observed. For an OOMKilled container that
	// restarted, this is what it used before it died.
	BeforeEnd *Sample
	EndedSeen time.Time

	Requests, Limits platform.Resources
	State            platform.ContainerState
	Reason           string                // current waiting/terminated reason
	Last             *platform.Termination // how it last ended
	RestartCount     int32
}

// OOMKilled reports whether the container is, or last ended, OOMKilled.
func (c ContainerUsage) OOMKilled() bool {
	return c.Reason == "OOMKilled" || (c.Last != nil && c.Last.Reason == "OOMKilled")
}

// BeforeDeath is the usage to show next to how the container last ended:
// the sample observed before its last restart if any, otherwise — when it
// is not running now — the last usage seen.
func (c ContainerUsage) BeforeDeath() (Sample, time.Time, bool) {
	if c.BeforeEnd != nil {
		return *c.BeforeEnd, c.EndedSeen, true
	}
	if c.State != platform.StateRunning && !c.Seen.IsZero() {
		return c.Usage, c.Seen, true
	}
	return Sample{}, time.Time{}, false
}

// MemoryOfLimit is the memory used as a fraction of the limit; false
// without a limit or a sample.
func (c ContainerUsage) MemoryOfLimit() (float64, bool) {
	return fraction(c.Usage.Memory, c.Limits.Memory, !c.Seen.IsZero())
}

// MemoryOfRequest is the memory used as a fraction of the request.
func (c ContainerUsage) MemoryOfRequest() (float64, bool) {
	return fraction(c.Usage.Memory, c.Requests.Memory, !c.Seen.IsZero())
}

// CPUOfLimit is the CPU used as a fraction of the limit.
func (c ContainerUsage) CPUOfLimit() (float64, bool) {
	return fraction(c.Usage.MilliCPU, c.Limits.MilliCPU, !c.Seen.IsZero())
}

// CPUOfRequest is the CPU used as a fraction of the request.
func (c ContainerUsage) CPUOfRequest() (float64, bool) {
	return fraction(c.Usage.MilliCPU, c.Requests.MilliCPU, !c.Seen.IsZero())
}

// MemberUsage is one member (pod) with its containers' usage and the node
// it runs on.
type MemberUsage struct {
	Namespace, Name string
	Containers      []ContainerUsage
	// Usage sums the containers' current usage; Requests and Limits sum
	// the (non-init) containers' spec. LimitsComplete is false when a
	// container has no memory limit (the sum is then no pod limit).
	Usage            Sample
	Current          bool // at least one container is from the latest read
	Requests, Limits platform.Resources
	LimitsComplete   bool
	Node             NodeUsage // zero Name when unscheduled
}

// UnderPressure is the node's True pressure conditions.
func (m MemberUsage) UnderPressure() []string { return m.Node.Pressure }

func fraction(used, of int64, seen bool) (float64, bool) {
	if !seen || of <= 0 {
		return 0, false
	}
	return float64(used) / float64(of), true
}
