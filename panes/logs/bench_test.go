package logs

import (
	"context"
	"fmt"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	logengine "github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

var benchLines = []string{
	"2026-11-24 09:00:01,123 3021 [core-12] INFO  i.p.s.server.logs.DurableLog - DurableLog[3]: Truncated log at sequence 183412 (frame 92).",
	"2026-11-24 09:00:01,234 3022 [core-7] WARN  i.p.s.server.logs.DurableLog - DurableLog[6]: Throttling: delay 121ms, reason: DurableDataLog",
	"2026-11-24 09:00:01,345 3023 [core-3] INFO  i.p.s.server.writer.StorageWriter - StorageWriter[0]: Iteration[4711].Finish (Elapsed = 12ms).",
	"2026-11-24 09:00:01,456 3024 [core-9] ERROR i.p.s.server.writer.StorageWriter - StorageWriter[3]: Iteration[4712].Error; throttling tier-2 writes.",
	"java.util.concurrent.TimeoutException: write to tier-2 timed out after 30000 ms",
	"\tat io.pravega.segmentstore.storage.impl.filesystem.FileSystemStorage.write(FileSystemStorage.java:312)",
	"2026-11-24 09:00:01,567 3025 [core-1] INFO  i.p.s.s.c.StreamSegmentContainer - SegmentContainer[3]: Created segment 'iot/readings/12.#epoch.3'.",
	"\x1b[32m2026-11-24 09:00:01,678\x1b[0m INFO sensor-replay: 日本語 replayed 5000 events, throttling at 80% of the quota for the stream",
}

// BenchmarkLogView renders a full 160x48 log view with a search
// highlighted over a 50,000-line buffer (50 sources).
func BenchmarkLogView(b *testing.B) {
	src := newStaticSource()
	var targets []pane.LogTarget
	for s := 0; s < 50; s++ {
		t := logengine.Target{Namespace: "pravega", Pod: fmt.Sprintf("pravega-pravega-segment-store-%d", s), Container: "pravega-segmentstore"}
		lines := make([]string, 1000)
		for i := range lines {
			lines[i] = benchLines[(i+s)%len(benchLines)]
		}
		src.set(t, lines)
		targets = append(targets, pane.LogTarget{Namespace: t.Namespace, Pod: t.Pod, Container: t.Container})
	}
	eng := logengine.New(logengine.Config{Source: src, OpenRate: 1000, OpenBurst: 1000, MaxStreams: 50})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = eng.Run(ctx) }()
	km := keymap.Default()
	m := New(pane.Deps{Styles: themes.New(themes.Dark), Keys: km, Clock: clocktesting.NewFakeClock(epoch)}, eng, Options{})
	m.SetSize(160, 48)
	m.set.Stream.Tail = -1
	m, _ = m.Update(pane.OpenLogsMsg{Targets: targets, Title: "50 segment stores"})
	deadline := time.Now().Add(60 * time.Second)
	for eng.Buffer().Stats().Held < 50_000 {
		if time.Now().After(deadline) {
			b.Fatalf("buffer: %+v", eng.Buffer().Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	m, _ = m.applySearch("throttling")
	m, _ = m.Update(press(km.Global.Bottom))
	if st := eng.Buffer().Stats(); st.Held != 50_000 || st.Matches == 0 {
		b.Fatalf("stats %+v", st)
	}
	for _, wrap := range []bool{false, true} {
		name := "nowrap"
		if wrap {
			name = "wrap"
			m, _ = m.Update(press(km.Logs.Wrap))
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = m.View()
			}
		})
	}
}
