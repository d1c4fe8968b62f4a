package logs

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
)

var (
	ss0 = Target{"pravega", "pravega-segment-store-0", "segmentstore"}
	ss1 = Target{"pravega", "pravega-segment-store-1", "segmentstore"}
)

const ssKey = "pravega/pravega/SegmentStore"

// TestEngineMergesHistoryInTimeOrder follows two containers: their tails
// arrive as one log ordered by time, then live lines follow.
func TestEngineMergesHistoryInTimeOrder(t *testing.T) {
	src := newFakeSource()
	for i := 0; i < 5; i++ {
		src.add(ss0, at(time.Duration(2*i)*time.Second), fmt.Sprintf("a%d", i))
		src.add(ss1, at(time.Duration(2*i+1)*time.Second), fmt.Sprintf("b%d", i))
	}
	e, _ := startEngine(t, Config{Source: src})
	if err := e.Follow(Selection{Targets: []Target{ss1, ss0}}, Options{Follow: true, Tail: 3}); err != nil {
		t.Fatal(err)
	}
	want := []string{"b1", "a2", "b2", "a3", "b3", "a4", "b4"}
	waitFor(t, e, "history", func() bool { return len(lineTexts(e)) >= 6 })
	waitFor(t, e, "streaming", func() bool {
		ss := e.Sources()
		return len(ss) == 2 && ss[0].State == Streaming && ss[1].State == Streaming
	})
	got := lineTexts(e)
	if !slices.Equal(got, want[1:]) {
		t.Fatalf("history %q, want %q", got, want[1:])
	}
	src.add(ss0, at(20*time.Second), "a-live")
	src.add(ss1, at(21*time.Second), "b-live")
	waitFor(t, e, "live lines", func() bool { return len(lineTexts(e)) == 8 })
	if n := len(notices(e)); n != 0 {
		t.Fatalf("notices %q", notices(e))
	}
	// the first fetch asked for the tail, the follow resumed from its end
	calls := src.calls()
	for _, c := range calls {
		if !c.o.Follow && c.o.TailLines != 3 {
			t.Errorf("history fetch %+v, want tail 3", c.o)
		}
		if c.o.Follow && c.o.SinceTime.IsZero() {
			t.Errorf("follow %+v without since time", c.o)
		}
	}
}

// TestEngineResumesWithoutDuplicates breaks a stream and ends another
// (container restart) in the middle of lines that share a second and even a
// timestamp: each line is in the buffer exactly once, in order, and the
// pane is told.
func TestEngineResumesWithoutDuplicates(t *testing.T) {
	src := newFakeSource()
	e, _ := startEngine(t, Config{Source: src})
	if err := e.Follow(Selection{Targets: []Target{ss0, ss1}}, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "streaming", func() bool {
		ss := e.Sources()
		return len(ss) == 2 && ss[0].State == Streaming && ss[1].State == Streaming
	})
	var want0, want1 []string
	emit := func(tg Target, want *[]string, d time.Duration, text string) {
		src.add(tg, at(d), text)
		*want = append(*want, text)
	}
	same := 5 * time.Second
	emit(ss0, &want0, same, "x1")
	emit(ss0, &want0, same, "x2") // same timestamp
	emit(ss0, &want0, same+time.Millisecond, "x3")
	emit(ss1, &want1, same, "y1")
	waitFor(t, e, "first lines", func() bool { return len(lineTexts(e)) == 4 })
	src.breakStream(ss0)
	src.end(ss1)
	emit(ss0, &want0, same+time.Millisecond, "x4") // same timestamp as x3, after the break
	emit(ss0, &want0, same+2*time.Millisecond, "x5")
	emit(ss1, &want1, same+time.Second, "y2")
	waitFor(t, e, "resumed lines", func() bool { return len(lineTexts(e)) == 7 })
	waitFor(t, e, "reconnected notices", func() bool { return len(notices(e)) == 4 })

	by := map[string][]string{}
	for _, l := range e.Buffer().Visible() {
		if !l.Notice {
			s, _ := e.Source(l.Source)
			by[s.Target.Pod] = append(by[s.Target.Pod], string(l.Text))
		}
	}
	if !slices.Equal(by[ss0.Pod], want0) || !slices.Equal(by[ss1.Pod], want1) {
		t.Fatalf("got %q and %q, want %q and %q", by[ss0.Pod], by[ss1.Pod], want0, want1)
	}
	n := strings.Join(notices(e), "\n")
	for _, w := range []string{"connection lost: http2: stream reset; reconnecting", "stream ended (container restarted or connection closed); reconnecting"} {
		if !strings.Contains(n, w) {
			t.Errorf("no notice %q in\n%s", w, n)
		}
	}
	// when the break raced with new lines the resume point is later
	if c := strings.Count(n, "reconnected; resuming after 09:00:0"); c != 2 {
		t.Errorf("%d reconnected notices in\n%s", c, n)
	}
	for _, c := range src.calls() {
		if c.o.Follow && c.o.SinceTime.IsZero() && c.o.TailLines != -1 {
			t.Errorf("reconnect without since time: %+v", c.o)
		}
	}
}

// TestDedupOnResume feeds a resumed stream lines the API repeats (it
// resumes at whole seconds): only lines after the last one seen pass.
func TestDedupOnResume(t *testing.T) {
	sec := func(s, ms int) string {
		return at(time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond).Format(time.RFC3339Nano)
	}
	tests := []struct {
		name  string
		res   resumeState
		input []string
		want  []string
	}{
		{"fresh stream takes all", resumeState{}, []string{sec(1, 0) + " a", sec(1, 0) + " b"}, []string{"a", "b"}},
		{"older lines dropped", resumeState{lastTS: at(5 * time.Second).UnixNano(), same: 1, seen: true},
			[]string{sec(5, 0) + " seen", sec(5, 1) + " new"}, []string{"new"}},
		{"lines sharing the last timestamp", resumeState{lastTS: at(5 * time.Second).UnixNano(), same: 2, seen: true},
			[]string{sec(4, 999) + " old", sec(5, 0) + " seen1", sec(5, 0) + " seen2", sec(5, 0) + " third", sec(6, 0) + " next"},
			[]string{"third", "next"}},
		{"same second but later", resumeState{lastTS: at(5*time.Second + 500*time.Millisecond).UnixNano(), same: 1, seen: true},
			[]string{sec(5, 0) + " before", sec(5, 500) + " seen", sec(5, 700) + " after"}, []string{"after"}},
		{"untimed lines pass", resumeState{lastTS: at(5 * time.Second).UnixNano(), same: 1, seen: true},
			[]string{"no timestamp here", sec(5, 0) + " seen"}, []string{"no timestamp here"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Config{Source: newFakeSource()})
			e.sources = append(e.sources, &SourceInfo{})
			st := &stream{e: e, res: tt.res}
			var got []string
			in := strings.Join(tt.input, "\n") + "\n"
			_, err := st.consume(t.Context(), strings.NewReader(in), func(lines []Line) bool {
				for _, l := range lines {
					got = append(got, string(l.Text))
				}
				return true
			})
			if err != io.EOF {
				t.Fatalf("err %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEngineFollowsSelection selects a component: a member that appears
// later joins, one that goes away stops, a member without container ID
// (kwok) is followed all the same, and a crash-looping container waits.
func TestEngineFollowsSelection(t *testing.T) {
	src := newFakeSource()
	src.add(ss0, at(0), "zero")
	src.add(ss1, at(0), "one")
	e, _ := startEngine(t, Config{Source: src})
	e.Observe(snapshot(1, "pravega/pravega", running(ss0.Pod, "u0", "segmentstore")))
	if err := e.Follow(Selection{Components: []string{ssKey}}, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "first member", func() bool { return slices.Equal(lineTexts(e), []string{"zero"}) })

	// a new member appears, still waiting
	waiting := running(ss1.Pod, "u1", "segmentstore")
	waiting.Containers[0].State, waiting.Containers[0].Reason = platform.StateWaiting, "CrashLoopBackOff"
	e.Observe(snapshot(2, "pravega/pravega", running(ss0.Pod, "u0", "segmentstore"), waiting))
	waitFor(t, e, "waiting state", func() bool {
		ss := e.Sources()
		return len(ss) == 2 && ss[1].State == Waiting && ss[1].Detail == "waiting: CrashLoopBackOff"
	})
	for _, c := range src.calls() {
		if c.t == ss1 {
			t.Fatalf("opened a waiting container: %+v", c)
		}
	}
	// it runs (no container ID, as on kwok): it joins
	e.Observe(snapshot(3, "pravega/pravega", running(ss0.Pod, "u0", "segmentstore"), running(ss1.Pod, "u1", "segmentstore")))
	waitFor(t, e, "second member", func() bool { return len(lineTexts(e)) == 2 })
	waitFor(t, e, "join notice", func() bool { return slices.Contains(notices(e), "joined: "+ss1.Pod+" matches the selection") })

	// the first member goes away
	e.Observe(snapshot(4, "pravega/pravega", running(ss1.Pod, "u1", "segmentstore")))
	waitFor(t, e, "stopped", func() bool {
		ss := e.Sources()
		return len(ss) == 2 && ss[0].State == Stopped
	})
	waitFor(t, e, "stop notice", func() bool {
		return slices.Contains(notices(e), "pod is gone or left the selection; stream stopped")
	})
}

func TestEngineCapsStreams(t *testing.T) {
	src := newFakeSource()
	var targets []Target
	for i := 0; i < 5; i++ {
		tg := Target{"ns", fmt.Sprintf("p%d", i), "c"}
		targets = append(targets, tg)
		src.add(tg, at(0), tg.Pod)
	}
	e, _ := startEngine(t, Config{Source: src, MaxStreams: 3})
	if err := e.Follow(Selection{Targets: targets}, DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "three streams", func() bool { return len(lineTexts(e)) == 3 })
	capped := 0
	for _, s := range e.Sources() {
		if s.State == Capped {
			capped++
		}
	}
	if capped != 2 {
		t.Fatalf("capped %d:\n%s", capped, dump(e))
	}
}

// TestEngineOpensAFullSelectionAtOnce: the open limiter's burst covers
// MaxStreams, so 50 containers selected together all open without waiting
// for its rate (stern takes 8 s for 50 at client-go's 5/s); only reopening
// after that is paced. The rate here is so low that a stream beyond the
// burst would never open during the test.
func TestEngineOpensAFullSelectionAtOnce(t *testing.T) {
	src := newFakeSource()
	var targets []Target
	for i := range 50 {
		tg := Target{"ns", fmt.Sprintf("p%d", i), "c"}
		targets = append(targets, tg)
		src.add(tg, at(0), tg.Pod)
	}
	e, _ := startEngine(t, Config{Source: src, OpenRate: 0.001})
	if err := e.Follow(Selection{Targets: targets}, Options{Tail: -1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "50 streams", func() bool { return len(lineTexts(e)) == 50 })
	if n := len(src.calls()); n != 50 {
		t.Fatalf("%d opens", n)
	}
}

func TestEnginePreviousAndSince(t *testing.T) {
	src := newFakeSource()
	src.prev[ss0] = []string{at(0).Format(time.RFC3339Nano) + " before the crash", at(time.Second).Format(time.RFC3339Nano) + " java.lang.OutOfMemoryError: Java heap space"}
	src.add(ss0, at(2*time.Second), "current")
	e, _ := startEngine(t, Config{Source: src, Clock: clocktesting.NewFakeClock(at(10 * time.Second))})
	if err := e.Follow(Selection{Targets: []Target{ss0}}, Options{Follow: true, Previous: true, Tail: -1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "ended", func() bool { ss := e.Sources(); return len(ss) == 1 && ss[0].State == Ended })
	if got := lineTexts(e); !slices.Equal(got, []string{"before the crash", "java.lang.OutOfMemoryError: Java heap space"}) {
		t.Fatalf("previous: %q", got)
	}
	if st := e.Buffer().Stats(); st.Errors != 1 {
		t.Fatalf("errors %d", st.Errors)
	}
	for _, c := range src.calls() {
		if !c.o.Previous || c.o.Follow || c.o.TailLines != -1 {
			t.Fatalf("call %+v", c.o)
		}
	}
	if err := e.Follow(Selection{Targets: []Target{ss0}}, Options{Follow: false, Since: time.Hour, Tail: -1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "current", func() bool { return slices.Equal(lineTexts(e), []string{"current"}) })
	if c := src.calls()[len(src.calls())-1]; c.o.SinceSeconds != 3600 || !c.o.SinceTime.IsZero() || c.o.Follow {
		t.Fatalf("since: %+v", c.o)
	}
	if err := e.Follow(Selection{}, Options{Container: "("}); err == nil {
		t.Fatal("bad container pattern accepted")
	}
}

// TestEngineSessionsDoNotMix checks that a new selection starts from an
// empty buffer even while old streams still deliver.
func TestEngineSessionsDoNotMix(t *testing.T) {
	src := newFakeSource()
	src.add(ss0, at(0), "old")
	src.add(ss1, at(0), "new")
	e, _ := startEngine(t, Config{Source: src})
	_ = e.Follow(Selection{Targets: []Target{ss0}}, DefaultOptions())
	waitFor(t, e, "old", func() bool { return len(lineTexts(e)) == 1 })
	_ = e.Follow(Selection{Targets: []Target{ss1}}, DefaultOptions())
	src.add(ss0, at(time.Second), "old live")
	waitFor(t, e, "new", func() bool { return slices.Equal(lineTexts(e), []string{"new"}) })
	time.Sleep(50 * time.Millisecond)
	if got := lineTexts(e); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("got %q", got)
	}
}

// TestEngineFollowToggle stops following and resumes without repeating.
func TestEngineFollowToggle(t *testing.T) {
	src := newFakeSource()
	src.add(ss0, at(0), "a")
	e, _ := startEngine(t, Config{Source: src})
	_ = e.Follow(Selection{Targets: []Target{ss0}}, DefaultOptions())
	waitFor(t, e, "streaming", func() bool { ss := e.Sources(); return len(ss) == 1 && ss[0].State == Streaming })
	e.SetFollow(false)
	waitFor(t, e, "ended", func() bool { ss := e.Sources(); return len(ss) == 1 && ss[0].State == Ended })
	src.add(ss0, at(time.Second), "b")
	time.Sleep(30 * time.Millisecond)
	if got := lineTexts(e); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("not following, got %q", got)
	}
	e.SetFollow(true)
	src.add(ss0, at(2*time.Second), "c")
	waitFor(t, e, "resumed", func() bool { return slices.Equal(lineTexts(e), []string{"a", "b", "c"}) })
}

// TestEngineHostileLines checks sanitising and over-long lines end to end.
func TestEngineHostileLines(t *testing.T) {
	src := newFakeSource()
	src.add(ss0, at(0), "\x1b]0;pwned\x07\x1b[31mred\x1b[0m\rcr")
	src.add(ss0, at(time.Second), strings.Repeat("z", 200<<10))
	src.add(ss0, at(2*time.Second), "after")
	e, _ := startEngine(t, Config{Source: src, MaxLine: 1024})
	_ = e.Follow(Selection{Targets: []Target{ss0}}, DefaultOptions())
	waitFor(t, e, "lines", func() bool { return len(lineTexts(e)) == 3 })
	got := lineTexts(e)
	if got[0] != "red␍cr" {
		t.Errorf("line 0 %q", got[0])
	}
	if len(got[1]) > 1100 || !strings.HasSuffix(got[1], "bytes cut]") {
		t.Errorf("line 1 len %d: %q", len(got[1]), got[1][len(got[1])-30:])
	}
	if got[2] != "after" {
		t.Errorf("line 2 %q", got[2])
	}
	for _, l := range e.Buffer().Visible() {
		if bytes.ContainsAny(l.Text, "\x1b\r\x07") {
			t.Errorf("control bytes in %q", l.Text)
		}
	}
}

// TestEngineHistoryIsBounded asks for the whole log of ten long-running
// containers: the buffer keeps the newest lines and counts every line it
// did not keep.
func TestEngineHistoryIsBounded(t *testing.T) {
	src := newFakeSource()
	var targets []Target
	for s := 0; s < 10; s++ {
		tg := Target{"ns", fmt.Sprintf("p%d", s), "c"}
		targets = append(targets, tg)
		for i := 0; i < 500; i++ {
			src.add(tg, at(time.Duration(i)*time.Second+time.Duration(s)*time.Millisecond), fmt.Sprintf("%d/%d", s, i))
		}
	}
	e, _ := startEngine(t, Config{Source: src, Limit: 100})
	if err := e.Follow(Selection{Targets: targets}, Options{Follow: false, Tail: -1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "history", func() bool {
		n := 0
		for _, s := range e.Sources() {
			if s.State == Ended {
				n++
			}
		}
		return n == 10
	})
	st := e.Buffer().Stats()
	if st.Held != 100 || st.Dropped != 4900 {
		t.Fatalf("stats %+v", st)
	}
	lines := lineTexts(e)
	if lines[0] != "0/490" || lines[99] != "9/499" {
		t.Fatalf("kept %q ... %q, want the newest", lines[0], lines[99])
	}
}
