package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/platform"
)

// Summary is the part of a kubelet's stats summary
// (/stats/summary, k8s.io/kubelet/pkg/apis/stats/v1alpha1) the console
// reads: the pods' volumes that are claims.
type Summary struct {
	Node NodeRef    `json:"node"`
	Pods []PodStats `json:"pods"`
}

// NodeRef names the node of a summary.
type NodeRef struct {
	NodeName string `json:"nodeName"`
}

// PodStats is one pod of a summary.
type PodStats struct {
	PodRef  PodReference  `json:"podRef"`
	Volumes []VolumeStats `json:"volume,omitempty"`
}

// PodReference names a pod.
type PodReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
}

// VolumeStats is one volume of a pod.
type VolumeStats struct {
	Name           string      `json:"name"`
	PVCRef         *PVCRef     `json:"pvcRef,omitempty"`
	Time           metav1.Time `json:"time"`
	AvailableBytes *uint64     `json:"availableBytes,omitempty"`
	CapacityBytes  *uint64     `json:"capacityBytes,omitempty"`
	UsedBytes      *uint64     `json:"usedBytes,omitempty"`
}

// PVCRef names the claim a volume comes from.
type PVCRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// DecodeSummary decodes a kubelet stats summary.
func DecodeSummary(b []byte) (*Summary, error) {
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode kubelet stats summary: %w", err)
	}
	return &s, nil
}

// SummaryReader reads a node's kubelet stats summary.
type SummaryReader interface {
	Summary(ctx context.Context, node string) (*Summary, error)
}

// NodeProxy reads summaries through the API server's node proxy
// (GET /api/v1/nodes/{node}/proxy/stats/summary, which needs the
// nodes/proxy permission).
type NodeProxy struct {
	Client kubernetes.Interface
}

// Summary reads one node's summary.
func (p NodeProxy) Summary(ctx context.Context, node string) (*Summary, error) {
	b, err := p.Client.CoreV1().RESTClient().Get().Resource("nodes").Name(node).SubResource("proxy").Suffix("stats/summary").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("read kubelet stats of node %s: %w", node, err)
	}
	s, err := DecodeSummary(b)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", node, err)
	}
	return s, nil
}

// volumeStat is a claim's volume as a kubelet last reported it.
type volumeStat struct {
	pod, node                 string
	used, available, capacity int64
	seen                      time.Time
}

// volumesOf collects the claims' volumes of summaries.
func volumesOf(into map[string]volumeStat, node string, s *Summary, readAt time.Time) {
	for _, p := range s.Pods {
		for _, v := range p.Volumes {
			if v.PVCRef == nil || v.UsedBytes == nil {
				continue
			}
			st := volumeStat{pod: p.PodRef.Name, node: node, used: int64(*v.UsedBytes), seen: v.Time.Time}
			if v.AvailableBytes != nil {
				st.available = int64(*v.AvailableBytes)
			}
			if v.CapacityBytes != nil {
				st.capacity = int64(*v.CapacityBytes)
			}
			if st.seen.IsZero() {
				st.seen = readAt
			}
			ns := v.PVCRef.Namespace
			if ns == "" {
				ns = p.PodRef.Namespace
			}
			into[ns+"/"+v.PVCRef.Name] = st
		}
	}
}

// claimFills grades every claim of the snapshot from the volumes seen.
func claimFills(snap *platform.Snapshot, vols map[string]volumeStat) []ClaimFill {
	if snap == nil {
		return nil
	}
	out := make([]ClaimFill, len(snap.Claims))
	for i := range snap.Claims {
		c := &snap.Claims[i]
		f := ClaimFill{Namespace: c.Namespace, Name: c.Name, Kind: c.Kind, Role: c.Role, Cluster: c.Cluster, Pod: c.Member}
		if v, ok := vols[c.Key()]; ok {
			f.Pod, f.Node, f.Seen = v.pod, v.node, v.seen
			f.Used, f.Available, f.Capacity = v.used, v.available, v.capacity
			f.Fraction, f.Level = fillFraction(v.used, v.available, v.capacity)
		}
		out[i] = f
	}
	return out
}

// fillFraction is df's Use%: used/(used+available), or used/capacity
// when the kubelet gave no available bytes.
func fillFraction(used, available, capacity int64) (float64, Fill) {
	total := fillTotal(used, available, capacity)
	if total <= 0 {
		return 0, FillUnknown
	}
	f := float64(used) / float64(total)
	return f, FillOf(f)
}

// fillTotal is the size a fill is measured against: used+available, or
// the capacity when the kubelet gave no available bytes.
func fillTotal(used, available, capacity int64) int64 {
	if available == 0 {
		return capacity
	}
	return used + available
}

// summaryNodes are the nodes whose summaries are read: those holding a
// member in a namespace with claims.
func summaryNodes(snap *platform.Snapshot) []string {
	if snap == nil || len(snap.Claims) == 0 {
		return nil
	}
	ns := map[string]bool{}
	for i := range snap.Claims {
		ns[snap.Claims[i].Namespace] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range snap.Components {
		if !ns[c.Namespace] {
			continue
		}
		for _, m := range c.Members {
			if m.Node != "" && !seen[m.Node] {
				seen[m.Node] = true
				out = append(out, m.Node)
			}
		}
	}
	slices.Sort(out)
	return out
}
