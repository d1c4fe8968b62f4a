package scale

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/usage"
)

func TestSuggestSize(t *testing.T) {
	const gi = int64(1) << 30
	for _, tc := range []struct {
		name            string
		used, requested int64
		want            int64
		ok              bool
	}{
		{"90% of 50Gi grows to 65Gi", 45 * gi, 50 * gi, 65 * gi, true},
		{"exactly 70% of the rounded size goes one GiB further", 7 * gi, 5 * gi, 11 * gi, true},
		{"already large enough", 10 * gi, 50 * gi, 0, false},
		{"nothing known", 0, 50 * gi, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := SuggestSize(tc.used, tc.requested)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("SuggestSize(%d, %d) = %d, %v; want %d, %v", tc.used, tc.requested, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestUsageWarnsButNeverRefuses: a node under pressure that receives a
// member turns the Resources check to a warning, with the node named; the
// members still fit by their requests, so it is no failure.
func TestUsageWarnsButNeverRefuses(t *testing.T) {
	nodes := []NodeUsage{
		{Name: "worker-3", Allocatable: res(16000, 64<<30), Pressure: []string{"MemoryPressure"}, AddedMembers: []string{"SegmentStore pravega #4"}},
		{Name: "worker-4", Allocatable: res(16000, 64<<30), Used: res(2000, 62<<30), UsedSeen: time.Now(), Added: res(1000, 4<<30), AddedMembers: []string{"BookKeeper bookkeeper #4"}},
		{Name: "worker-1", Allocatable: res(16000, 64<<30), Used: res(2000, 10<<30), UsedSeen: time.Now()},
	}
	c := checkResources(FitResult{Nodes: nodes}, 2, nil)
	if c.Status != Warn {
		t.Fatalf("status %v, want Warn: %+v", c.Status, c)
	}
	text := strings.Join(c.Evidence, "\n")
	for _, want := range []string{"worker-3 gets SegmentStore pravega #4 but reports MemoryPressure", "worker-4 gets BookKeeper bookkeeper #4: it uses 62Gi of 64Gi", "worker-1: free", "uses 2 CPU, 10Gi now (16% of its memory)"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
}

func res(milliCPU, memory int64) platform.Resources {
	return platform.Resources{MilliCPU: milliCPU, Memory: memory}
}

// TestFillReasonAgreesWithTheMonitor: the percentage a storage step gives
// is the monitor's, also for a kubelet that reports no available bytes
// (the fill is then measured against the capacity).
func TestFillReasonAgreesWithTheMonitor(t *testing.T) {
	const mi = 1 << 20
	for _, f := range []usage.ClaimFill{
		{Used: 900 * mi, Available: 100 * mi, Capacity: 1024 * mi, Fraction: 0.9, Level: usage.FillCritical},
		{Used: 768 * mi, Capacity: 1024 * mi, Fraction: 0.75, Level: usage.FillOK},
	} {
		got := fillReason(f, 1024*mi, 0)
		want := fmt.Sprintf("the volume is %d%% full", int(f.Fraction*100))
		if len(got) == 0 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%+v: %q, want it to begin %q", f, got, want)
		}
	}
}
