package gcpace

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	p := Policy{}
	for _, c := range []struct {
		live uint64
		want int
	}{
		{live: 40 << 20, want: 25}, // a quarter of 40 MiB is 10 MiB
		{live: 16 << 20, want: 50}, // at least 8 MiB
		{live: 4 << 20, want: 100}, // never above the default
		{live: 0, want: 100},
	} {
		if got := p.Percent(c.live); got != c.want {
			t.Errorf("Percent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
	if got := (Policy{Headroom: 0.5, MinHeadroom: 1}).Percent(100 << 20); got != 50 {
		t.Errorf("Headroom 0.5 = %d, want 50", got)
	}
}

// TestReadMatchesTheRuntime: the live heap read grows with what is held.
func TestReadMatchesTheRuntime(t *testing.T) {
	runtime.GC()
	before := LiveHeap()
	hold := make([]byte, 32<<20)
	for i := range hold {
		hold[i] = 1
	}
	runtime.GC()
	after := LiveHeap()
	runtime.KeepAlive(hold)
	if d := int64(after) - int64(before); d < 30<<20 || d > 40<<20 {
		t.Errorf("live heap grew by %d bytes holding 32 MiB (before %d, after %d)", d, before, after)
	}
}

// TestGovernorFollowsCollections: nothing is set before ready; after it, the
// percentage follows the live heap at every collection, and the default is
// restored when the context ends.
func TestGovernorFollowsCollections(t *testing.T) {
	var mu sync.Mutex
	pct := 100
	live := uint64(16 << 20)
	g := &Governor{
		Set: func(p int) int {
			mu.Lock()
			defer mu.Unlock()
			old := pct
			pct = p
			return old
		},
		Live: func() uint64 {
			mu.Lock()
			defer mu.Unlock()
			return live
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan struct{})
	waitReady := func(ctx context.Context) error {
		select {
		case <-ready:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	go func() { g.Run(ctx, waitReady); close(done) }()
	current := func() int { mu.Lock(); defer mu.Unlock(); return pct }
	time.Sleep(20 * time.Millisecond)
	if current() != 100 {
		t.Fatal("pacing set before every watch synced")
	}
	close(ready)
	waitUntil(t, func() bool { return current() == 50 }, "50 % for 16 MiB live")
	mu.Lock()
	live = 80 << 20
	mu.Unlock()
	waitUntil(t, func() bool { runtime.GC(); return current() == 25 }, "25 % once the live heap grew")
	cancel()
	<-done
	if current() != 100 {
		t.Errorf("pacing not restored at the end: %d", current())
	}
}

func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
