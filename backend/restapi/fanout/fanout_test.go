package fanout

import (
	"sync/atomic"
	"testing"
)

// TestRunBoundsAndCarriesPanics: every item runs, never more than limit at
// once, and a panic in one item reaches the caller after all have run.
func TestRunBoundsAndCarriesPanics(t *testing.T) {
	var running, most, done atomic.Int32
	Run(50, 3, func(int) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		running.Add(-1)
		done.Add(1)
	})
	if done.Load() != 50 || most.Load() > 3 {
		t.Fatalf("%d done, %d at once", done.Load(), most.Load())
	}
	done.Store(0)
	defer func() {
		if r := recover(); r != "item 7" || done.Load() != 19 {
			t.Fatalf("recovered %v after %d items, want item 7's panic after the other 19", r, done.Load())
		}
	}()
	Run(20, 0, func(i int) {
		if i == 7 {
			panic("item 7")
		}
		done.Add(1)
	})
	t.Fatal("the panic did not reach the caller")
}
