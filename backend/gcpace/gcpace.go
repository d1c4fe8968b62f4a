// Package gcpace holds the console's memory governor: it paces the Go
// collector from the live heap, so that a console watching 15,000 pods
// holds about a quarter more than what it uses instead of the twice that
// the default pacing (GOGC=100) allows, and it returns the start's
// transient memory (the initial lists' decoding) to the system once every
// watch has synced.
//
// It sets the GC percentage, not a memory limit: a percentage is relative
// to the heap the last collection left, so no setting can make the
// collector run back to back, while a limit below what the runtime holds
// does (measured: a limit from the live heap plus the runtime's other
// memory ran 7 collections in 5 s of an idle console, 5.7 % of a core).
// An idle console allocates nothing, so the tighter pacing costs no CPU
// while idle; under a storm of changes the collector runs more often.
package gcpace

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Policy decides the collector's pacing from the live heap.
type Policy struct {
	// Headroom is the share of the live heap allowed on top of it before
	// the collector runs (default 0.25).
	Headroom float64
	// MinHeadroom is the least headroom in bytes (default 8 MiB): a small
	// heap is not collected on every allocation burst.
	MinHeadroom uint64
}

func (p Policy) withDefaults() Policy {
	if p.Headroom <= 0 {
		p.Headroom = 0.25
	}
	if p.MinHeadroom == 0 {
		p.MinHeadroom = 8 << 20
	}
	return p
}

// Percent is the GC percentage (GOGC) for a live heap: Headroom of it, or
// MinHeadroom if that is more, and never above the default 100.
func (p Policy) Percent(live uint64) int {
	if live == 0 {
		return 100
	}
	p = p.withDefaults()
	room := max(float64(live)*p.Headroom, float64(p.MinHeadroom))
	return int(min(math.Ceil(room/float64(live)*100), 100))
}

// LiveHeap reads the heap marked live by the last collection (no stop of
// the world).
func LiveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// Governor keeps the collector's percentage at Policy.Percent of the live
// heap after every collection.
type Governor struct {
	Policy Policy
	Log    *slog.Logger
	// Set sets the GC percentage and returns the previous one
	// (debug.SetGCPercent).
	Set func(int) int
	// Live reads the live heap (LiveHeap).
	Live func() uint64
}

// Enabled tells whether the governor should run: not when the user chose
// a pacing or a limit of their own (GOGC, GOMEMLIMIT).
func Enabled() bool {
	return os.Getenv("GOMEMLIMIT") == "" && os.Getenv("GOGC") == ""
}

// Run waits for ready (the watcher's WaitForSync: every initial list is
// in; nil: at once), returns the start's transient memory to the system,
// and then follows every collection until ctx ends, when it restores the
// pacing.
func (g *Governor) Run(ctx context.Context, ready func(context.Context) error) {
	if g.Set == nil {
		g.Set = debug.SetGCPercent
	}
	if g.Live == nil {
		g.Live = LiveHeap
	}
	if g.Log == nil {
		g.Log = slog.New(slog.DiscardHandler)
	}
	if ready != nil && ready(ctx) != nil {
		return // ended before the lists were in
	}
	debug.FreeOSMemory() // a collection, then every free page back to the system
	gcs := make(chan struct{}, 1)
	arm(ctx, gcs)
	prev := g.adjust()
	for {
		select {
		case <-ctx.Done():
			g.Set(prev)
			return
		case <-gcs:
			g.adjust()
		}
	}
}

// adjust sets the percentage for the live heap and returns the one before.
func (g *Governor) adjust() int {
	live := g.Live()
	pct := g.Policy.Percent(live)
	old := g.Set(pct)
	if old != pct {
		g.Log.Debug("GC percent", "percent", pct, "live", live)
	}
	return old
}

// sentinel holds a pointer so that it is an object of its own (the tiny
// allocator packs small pointer-free ones together, and a finalizer needs
// its own object).
type sentinel struct{ _ *byte }

// arm sends on gcs after every garbage collection until ctx ends: a
// finalizer runs once its object was found unreachable by a collection,
// and re-arms itself with a new one.
func arm(ctx context.Context, gcs chan<- struct{}) {
	s := new(sentinel)
	runtime.SetFinalizer(s, func(*sentinel) {
		if ctx.Err() != nil {
			return
		}
		select {
		case gcs <- struct{}{}:
		default:
		}
		arm(ctx, gcs)
	})
}
