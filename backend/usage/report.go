package usage

import (
	"hash/maphash"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/streamops/streamops/backend/platform"
)

// Report is what the monitor knows, joined onto one snapshot. It is
// immutable; consecutive reports share what did not change.
type Report struct {
	Seq         uint64
	At          time.Time
	Snapshot    *platform.Snapshot // the snapshot joined onto; nil before the first
	Metrics     Source             // the metrics API's pods (namespaced: may be allowed where nodes are not)
	NodeMetrics Source             // the metrics API's nodes
	Volumes     Source             // the kubelet summaries (claims)
	Nodes       []NodeUsage        // the nodes that hold members, by name
	Claims      []ClaimFill        // every claim of the snapshot, in its order

	// The members' usage: an open-addressing table of pod indexes (plus
	// one) by namespace/name, the pods, and their containers' last samples
	// (one slot per container of the member, init containers included).
	// ended holds the samples before an observed restart, sorted by pod.
	table []int32
	pods  []podSlot
	ctrs  []ctrSlot
	ended []endedSlot
	read  int64 // unix nanoseconds of the metrics read the samples are from; 0: none
}

type podSlot struct {
	member *platform.Member
	first  int32 // its first container in ctrs
}

type ctrSlot struct {
	use  Sample
	seen int64 // unix nanoseconds of the metrics timestamp; 0: never seen
	read int64 // the read it came from
}

type endedSlot struct {
	pod, ctr int32
	use      Sample
	seen     int64
}

var seed = maphash.MakeSeed()

// hashPod hashes a pod's name only: the same name in several namespaces
// (zookeeper-0 of two clusters) only probes one slot further, and hashing
// the name alone is half the work.
func hashPod(name string) uint64 { return maphash.String(seed, name) }

// find returns the pod index of namespace/name, or -1.
func (r *Report) find(namespace, name string) int {
	if r == nil || len(r.table) == 0 {
		return -1
	}
	mask := uint64(len(r.table) - 1)
	for i := hashPod(name) & mask; ; i = (i + 1) & mask {
		v := r.table[i]
		if v == 0 {
			return -1
		}
		if m := r.pods[v-1].member; m.Name == name && m.Namespace == namespace {
			return int(v - 1)
		}
	}
}

func (r *Report) insert(idx int) {
	m := r.pods[idx].member
	mask := uint64(len(r.table) - 1)
	for i := hashPod(m.Name) & mask; ; i = (i + 1) & mask {
		if r.table[i] == 0 {
			r.table[i] = int32(idx + 1)
			return
		}
		if o := r.pods[r.table[i]-1].member; o.Name == m.Name && o.Namespace == m.Namespace {
			return // a duplicate in the snapshot: the first one wins
		}
	}
}

// sampleOf reads CPU and memory from a resource list.
func sampleOf(l corev1.ResourceList) Sample {
	var s Sample
	if q, ok := l[corev1.ResourceCPU]; ok {
		s.MilliCPU = q.MilliValue()
	}
	if q, ok := l[corev1.ResourceMemory]; ok {
		s.Memory = q.Value()
	}
	return s
}

func containerIndex(m *platform.Member, name string, hint int) int {
	if hint >= 0 && hint < len(m.Containers) && m.Containers[hint].Name == name {
		return hint
	}
	for i := range m.Containers {
		if m.Containers[i].Name == name {
			return i
		}
	}
	return -1
}

// joinPods joins pod metrics (nil: no new read, carry the last samples)
// onto the snapshot's members, carrying from prev what was seen before:
// the last sample of containers the read does not report, and the sample
// before a restart observed between prev and now.
func joinPods(prev *Report, snap *platform.Snapshot, items []metricsv1beta1.PodMetrics, readAt time.Time) *Report {
	r := &Report{Snapshot: snap}
	if snap == nil {
		return r
	}
	pods, ctrs := 0, 0
	for _, c := range snap.Components {
		pods += len(c.Members)
		for _, m := range c.Members {
			ctrs += len(m.Containers)
		}
	}
	size := 8
	for size < pods+pods/2 {
		size *= 2
	}
	r.table = make([]int32, size)
	r.pods = make([]podSlot, 0, pods)
	r.ctrs = make([]ctrSlot, ctrs)
	for _, c := range snap.Components {
		for _, m := range c.Members {
			r.pods = append(r.pods, podSlot{member: m})
		}
	}
	n := int32(0)
	for i := range r.pods {
		r.pods[i].first = n
		n += int32(len(r.pods[i].member.Containers))
		r.insert(i)
	}

	if items != nil {
		r.read = readAt.UnixNano()
		for i := range items {
			pm := &items[i]
			p := r.find(pm.Namespace, pm.Name)
			if p < 0 {
				continue
			}
			slot := r.pods[p]
			seen := pm.Timestamp.UnixNano()
			if pm.Timestamp.IsZero() {
				seen = r.read
			}
			for j := range pm.Containers {
				ci := containerIndex(slot.member, pm.Containers[j].Name, j)
				if ci < 0 {
					continue
				}
				r.ctrs[int(slot.first)+ci] = ctrSlot{use: sampleOf(pm.Containers[j].Usage), seen: seen, read: r.read}
			}
		}
	} else if prev != nil {
		r.read = prev.read
	}

	if prev == nil || len(prev.pods) == 0 {
		return r
	}
	for p := range r.pods {
		m := r.pods[p].member
		// Unchanged members keep their place (and pointer) from one
		// snapshot to the next: look there before hashing.
		pp := p
		if pp >= len(prev.pods) || (prev.pods[pp].member != m && (prev.pods[pp].member.Name != m.Name || prev.pods[pp].member.Namespace != m.Namespace)) {
			if pp = prev.find(m.Namespace, m.Name); pp < 0 {
				continue
			}
		}
		old := prev.pods[pp].member
		if old == m { // unchanged since: no restart, same containers
			was := prev.ctrs[prev.pods[pp].first : int(prev.pods[pp].first)+len(m.Containers)]
			cur := r.ctrs[r.pods[p].first : int(r.pods[p].first)+len(m.Containers)]
			for ci := range cur {
				if cur[ci].seen == 0 {
					cur[ci] = was[ci]
				}
			}
			for _, e := range prev.endedOf(pp) {
				r.ended = append(r.ended, endedSlot{pod: int32(p), ctr: e.ctr, use: e.use, seen: e.seen})
			}
			continue
		}
		if old.UID != m.UID {
			continue // another pod of the same name: nothing carries over
		}
		oldEnded := prev.endedOf(pp)
		for ci := range m.Containers {
			oi := containerIndex(old, m.Containers[ci].Name, ci)
			if oi < 0 {
				continue
			}
			was := prev.ctrs[int(prev.pods[pp].first)+oi]
			cur := &r.ctrs[int(r.pods[p].first)+ci]
			if cur.seen == 0 {
				*cur = was
			}
			if m.Containers[ci].RestartCount > old.Containers[oi].RestartCount && was.seen != 0 {
				r.ended = append(r.ended, endedSlot{pod: int32(p), ctr: int32(ci), use: was.use, seen: was.seen})
				continue
			}
			for _, e := range oldEnded {
				if e.ctr == int32(oi) {
					r.ended = append(r.ended, endedSlot{pod: int32(p), ctr: int32(ci), use: e.use, seen: e.seen})
				}
			}
		}
	}
	return r
}

// endedOf is the ended samples of pod p (ended is sorted by pod).
func (r *Report) endedOf(p int) []endedSlot {
	if len(r.ended) == 0 {
		return nil
	}
	lo, _ := slices.BinarySearchFunc(r.ended, int32(p), func(e endedSlot, t int32) int { return int(e.pod - t) })
	hi := lo
	for hi < len(r.ended) && r.ended[hi].pod == int32(p) {
		hi++
	}
	return r.ended[lo:hi]
}

// joinNodes lists the nodes that hold members with their usage (items
// nil: carry prev's).
func joinNodes(prev *Report, snap *platform.Snapshot, items []metricsv1beta1.NodeMetrics) []NodeUsage {
	if snap == nil {
		return nil
	}
	held := map[string]int{}
	for _, c := range snap.Components {
		for _, m := range c.Members {
			if m.Node != "" {
				held[m.Node]++
			}
		}
	}
	var fresh map[string]*metricsv1beta1.NodeMetrics
	if items != nil {
		fresh = make(map[string]*metricsv1beta1.NodeMetrics, len(items))
		for i := range items {
			fresh[items[i].Name] = &items[i]
		}
	}
	out := make([]NodeUsage, 0, len(held))
	known := map[string]bool{}
	for _, n := range snap.Nodes {
		if held[n.Name] == 0 {
			continue
		}
		known[n.Name] = true
		u := NodeUsage{Name: n.Name, Allocatable: n.Allocatable, Ready: n.Ready, Pressure: n.Pressure, Members: held[n.Name]}
		if nm := fresh[n.Name]; nm != nil {
			u.Usage, u.Seen = sampleOf(nm.Usage), nm.Timestamp.Time
		} else if old, ok := prev.Node(n.Name); ok {
			u.Usage, u.Seen = old.Usage, old.Seen
		}
		out = append(out, u)
	}
	for name, k := range held { // members on nodes the watcher does not see (forbidden, gone)
		if !known[name] {
			out = append(out, NodeUsage{Name: name, Members: k})
		}
	}
	slices.SortFunc(out, func(a, b NodeUsage) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Member returns the usage of a member of any snapshot (matched by
// namespace, name and UID; containers by name), with its node.
func (r *Report) Member(m *platform.Member) (MemberUsage, bool) {
	if r == nil || m == nil {
		return MemberUsage{}, false
	}
	out := MemberUsage{Namespace: m.Namespace, Name: m.Name, LimitsComplete: true}
	out.Node, _ = r.Node(m.Node)
	if m.Node == "" {
		out.Node = NodeUsage{}
	}
	p := r.find(m.Namespace, m.Name)
	var slot podSlot
	if p >= 0 && r.pods[p].member.UID == m.UID {
		slot = r.pods[p]
	} else {
		p = -1
	}
	out.Containers = make([]ContainerUsage, len(m.Containers))
	for i := range m.Containers {
		c := &m.Containers[i]
		cu := ContainerUsage{Name: c.Name, Init: c.Init, Requests: c.Requests, Limits: c.Limits,
			State: c.State, Reason: c.Reason, Last: c.Last, RestartCount: c.RestartCount}
		if !c.Init {
			out.Requests = add(out.Requests, c.Requests)
			out.Limits = add(out.Limits, c.Limits)
			if c.Limits.Memory == 0 {
				out.LimitsComplete = false
			}
		}
		if p >= 0 {
			if ci := containerIndex(slot.member, c.Name, i); ci >= 0 {
				s := r.ctrs[int(slot.first)+ci]
				if s.seen != 0 {
					cu.Usage, cu.Seen = s.use, time.Unix(0, s.seen)
					cu.Current = s.read == r.read && r.read != 0
				}
				for _, e := range r.ended {
					if e.pod == int32(p) && e.ctr == int32(ci) {
						use := e.use
						cu.BeforeEnd, cu.EndedSeen = &use, time.Unix(0, e.seen)
					}
				}
			}
		}
		if cu.Current {
			out.Current = true
			out.Usage.MilliCPU += cu.Usage.MilliCPU
			out.Usage.Memory += cu.Usage.Memory
		}
		out.Containers[i] = cu
	}
	return out, p >= 0
}

// Node returns a node that holds members, by name.
func (r *Report) Node(name string) (NodeUsage, bool) {
	if r == nil {
		return NodeUsage{}, false
	}
	i, ok := slices.BinarySearchFunc(r.Nodes, name, func(n NodeUsage, t string) int { return strings.Compare(n.Name, t) })
	if !ok {
		return NodeUsage{Name: name}, false
	}
	return r.Nodes[i], true
}

// Claim returns a claim's fill by namespace/name.
func (r *Report) Claim(key string) (ClaimFill, bool) {
	if r == nil {
		return ClaimFill{}, false
	}
	for _, c := range r.Claims {
		if c.Key() == key {
			return c, true
		}
	}
	return ClaimFill{}, false
}

// Over lists the claims over a fill level (FillHigh: over 80 %,
// FillCritical: over 90 %), fullest first.
func (r *Report) Over(level Fill) []ClaimFill {
	if r == nil {
		return nil
	}
	var out []ClaimFill
	for _, c := range r.Claims {
		if c.Level >= level && c.Level != FillUnknown {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b ClaimFill) int {
		switch {
		case a.Fraction > b.Fraction:
			return -1
		case a.Fraction < b.Fraction:
			return 1
		}
		return 0
	})
	return out
}

func add(a, b platform.Resources) platform.Resources {
	return platform.Resources{MilliCPU: a.MilliCPU + b.MilliCPU, Memory: a.Memory + b.Memory,
		EphemeralStorage: a.EphemeralStorage + b.EphemeralStorage, Pods: a.Pods + b.Pods}
}
