package cpustat

import (
	"testing"
	"time"
)

// TestProcessAndMachine: spinning shows up in this process's CPU time and
// in the machine's busy share.
func TestProcessAndMachine(t *testing.T) {
	p0, m0 := Process(), Machine()
	if m0.total == 0 {
		t.Skip("/proc/stat cannot be read here")
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	if d := Process() - p0; d < 20*time.Millisecond {
		t.Errorf("process CPU grew %v while spinning 50ms", d)
	}
	if b := m0.BusySince(); b <= 0 || b > 100 {
		t.Errorf("machine busy %.1f %% while spinning", b)
	}
}
