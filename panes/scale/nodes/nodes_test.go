package nodes

import (
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
)

func TestNodeRows(t *testing.T) {
	const gi = int64(1) << 30
	nodes := []scale.NodeUsage{
		{Name: "w1", Ready: true, Schedulable: true, Allocatable: platform.Resources{MilliCPU: 16000, Memory: 64 * gi, EphemeralStorage: 200 * gi, Pods: 110},
			Requested: platform.Resources{MilliCPU: 15000, Memory: 20 * gi, Pods: 12}, Added: platform.Resources{MilliCPU: 1000}},
		{Name: "w2", Ready: true, Schedulable: false, Allocatable: platform.Resources{MilliCPU: 8000, Memory: 32 * gi}, Requested: platform.Resources{MilliCPU: 500, Memory: gi / 2}},
		{Name: "w3", Ready: false, Taints: []platform.Taint{{Key: "a"}}, Allocatable: platform.Resources{MilliCPU: 8000, Memory: 32 * gi}},
		{Name: "w4", Ready: true, Schedulable: true, Pressure: []string{"MemoryPressure"}, Allocatable: platform.Resources{MilliCPU: 8000, Memory: 32 * gi},
			Used: platform.Resources{MilliCPU: 2783, Memory: 30 * gi}, UsedSeen: time.Unix(1, 0)},
		{Name: "w5", Ready: true, Schedulable: true, Allocatable: platform.Resources{MilliCPU: 8000, Memory: 32 * gi},
			Used: platform.Resources{MilliCPU: 350, Memory: 2 * gi}, UsedSeen: time.Unix(1, 0)},
	}
	rows := nodeRows(nodes, false)
	got := []string{}
	for _, r := range rows {
		got = append(got, strings.Join([]string{r.name, r.state, r.cpu, r.freeCPU, r.memory, r.freeMemory, r.disk, r.pods, r.used}, " "))
	}
	want := []string{
		"w1 ready 15/16 1 20Gi/64Gi 44Gi 200Gi 12/110 -",
		"w2 cordoned 500m/8 7.5 512Mi/32Gi 31.5Gi - 0/0 -",
		"w3 not ready 0/8 8 0/32Gi 32Gi - 0/0 -",
		"w4 ▲ MemoryPressure 0/8 8 0/32Gi 32Gi - 0/0 2.8 · 30Gi ▲",
		"w5 ready 0/8 8 0/32Gi 32Gi - 0/0 350m · 2Gi",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n%s", strings.Join(got, "\n"))
	}
	if !rows[3].hot || !rows[3].pressed || rows[4].hot || rows[4].pressed {
		t.Error("w4 uses 30 of 32Gi under MemoryPressure; w5 neither")
	}
	if !rows[0].tight || rows[1].tight {
		t.Error("w1 has 1/16 CPU free and is tight; w2 is not")
	}
	if after := nodeRows(nodes, true); after[0].freeCPU != "0" {
		t.Errorf("after the plan w1 has %s CPU free", after[0].freeCPU)
	}
}
