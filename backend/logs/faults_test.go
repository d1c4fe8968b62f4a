package logs

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPanicsBecomeErrorEvents makes each goroutine the engine starts panic
// once: the panic comes out of Errors() as one line naming where, and the
// engine goes on (the change notifier even restarts).
func TestPanicsBecomeErrorEvents(t *testing.T) {
	for _, tc := range []struct{ site, want string }{
		{"reconcile", "internal error in log streams: injected at reconcile"},
		{"stream", "internal error in log stream "},
		{"coalesce", "internal error in log change notifier: injected at coalesce"},
		{"merge", "internal error in log history merge: injected at merge"},
		{"notice", "internal error in log notice: injected at notice"},
	} {
		t.Run(tc.site, func(t *testing.T) {
			src := newFakeSource()
			var once sync.Once
			panicAt := func(e *Engine) {
				e.SetFaultHook(func(s string) {
					if s == tc.site {
						once.Do(func() { panic("injected at " + tc.site) })
					}
				})
			}
			src.add(ss0, at(0), "zero")
			src.add(ss1, at(time.Second), "one")
			e, _ := startEngine(t, Config{Source: src}, panicAt)
			e.Observe(snapshot(1, "pravega/pravega", running(ss0.Pod, "u0", "segmentstore"), running(ss1.Pod, "u1", "segmentstore")))
			if err := e.Follow(Selection{Components: []string{ssKey}}, DefaultOptions()); err != nil {
				t.Fatal(err)
			}
			if tc.site == "notice" {
				waitFor(t, e, "both streaming", func() bool {
					ss := e.Sources()
					return len(ss) == 2 && ss[0].State == Streaming && ss[1].State == Streaming
				})
			}
			// One member goes: its stream stops with a notice.
			e.Observe(snapshot(2, "pravega/pravega", running(ss1.Pod, "u1", "segmentstore")))
			var got []string
			deadline := time.After(10 * time.Second)
			for !containsAny(got, tc.want) {
				select {
				case err := <-e.Errors():
					got = append(got, err.Error())
				case <-time.After(20 * time.Millisecond):
					if tc.site == "reconcile" { // reconciling again reaches the site again
						e.Observe(snapshot(3, "pravega/pravega", running(ss1.Pod, "u1", "segmentstore")))
					}
				case <-deadline:
					t.Fatalf("no error event %q; got %q", tc.want, got)
				}
			}
			for _, g := range got {
				if strings.Contains(g, "\n") {
					t.Errorf("error event on several lines: %q", g)
				}
			}
			if tc.site == "stream" {
				// The stream that panicked says so instead of "connecting".
				waitFor(t, e, "the stream marked stopped", func() bool {
					for _, src := range e.Sources() {
						if src.State == Stopped && src.Detail == "internal error: injected at stream" {
							return true
						}
					}
					return false
				})
				return
			}
			// The engine goes on: a new line of the remaining member shows.
			src.add(ss1, at(5*time.Second), "after the panic")
			waitFor(t, e, "a line after the panic", func() bool {
				for _, l := range lineTexts(e) {
					if l == "after the panic" {
						return true
					}
				}
				return false
			})
		})
	}
}

func containsAny(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}
