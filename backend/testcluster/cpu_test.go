package testcluster

import (
	"testing"
	"time"
)

// TestProcessCPUAndMachineTicks: spinning shows up in this process's CPU time and
// in the machine's busy share.
func TestProcessCPUAndMachineTicks(t *testing.T) {
	p0, m0 := ProcessCPU(), MachineTicks()
	if m0.total == 0 {
		t.Skip("/proc/stat cannot be read here")
	}
	// Spin until the process has used 20ms of CPU: on a loaded machine a
	// fixed wall-clock spin may get only a share of a core. The deadline
	// only stops a counter that never moves.
	deadline := time.Now().Add(10 * time.Second)
	for ProcessCPU()-p0 < 20*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("process CPU grew %v in 10s of spinning", ProcessCPU()-p0)
		}
	}
	if b := m0.BusySince(); b <= 0 || b > 100 {
		t.Errorf("machine busy %.1f %% while spinning", b)
	}
}
