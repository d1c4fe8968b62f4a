package logs

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
)

// corpus is a mix of what a Pravega + Flink platform logs: mostly INFO,
// some WARN, an ERROR with a stack trace now and then, and a colour-coded
// line; about 170 bytes each, 200 with the kubelet timestamp.
var corpus = func() [][]byte {
	base := []string{
		"2026-11-24 09:00:01,123 3021 [core-12] INFO  i.p.s.server.logs.DurableLog - SegmentContainer[3]: Truncated log at sequence 1834 (frame 92).",
		"2026-11-24 09:00:01,234 INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator [] - Completed checkpoint 4711 for job 3f2a (12345 bytes).",
		"2026-11-24 09:00:01,345 [bookie-io-1-3] INFO  org.apache.bookkeeper.proto.BookieRequestProcessor - Add entry ledger=1842 entry=99811 took 3 ms",
		"2026-11-24 09:00:01,456 [myid:1] - INFO  [NIOWorkerThread-2:ZooKeeperServer@1037] - Client attempting to renew session 0x10023f at /10.244.1.7",
		"2026-11-24 09:00:01,567 WARN  org.apache.flink.runtime.taskmanager.Task [] - Source: pravega-sensors (2/6)#0 is backpressured: 87% busy.",
		"2026-11-24 09:00:01,678 3022 [core-7] ERROR i.p.s.server.writer.StorageWriter - StorageWriter[3]: Iteration failed, retrying: tier-2 write timeout.",
		"java.util.concurrent.TimeoutException: write to tier-2 timed out after 30000 ms",
		"\tat io.pravega.segmentstore.storage.impl.filesystem.FileSystemStorage.write(FileSystemStorage.java:312)",
		"\tat io.pravega.segmentstore.server.writer.SegmentAggregator.flushNormally(SegmentAggregator.java:789)",
		"\x1b[32m2026-11-24 09:00:01,789\x1b[0m \x1b[1mINFO \x1b[0m sensor-replay: replayed 5000 events to scope=iot stream=readings (checkpoint 12)",
	}
	var out [][]byte
	for i := 0; i < 50; i++ {
		out = append(out, []byte(base[i%len(base)]))
	}
	return out
}()

// lineGen is a reader producing n timestamped lines, 1µs apart, without
// allocating: the kubelet's output at full speed.
type lineGen struct {
	i, n int
	line []byte
	off  int
}

func (g *lineGen) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) {
		if g.off == len(g.line) {
			if g.i == g.n {
				if w == 0 {
					return 0, io.EOF
				}
				return w, nil
			}
			g.line = appendStamp(g.line[:0], g.i)
			g.line = append(g.line, ' ')
			g.line = append(g.line, corpus[g.i%len(corpus)]...)
			g.line = append(g.line, '\n')
			g.off = 0
			g.i++
		}
		c := copy(p[w:], g.line[g.off:])
		g.off += c
		w += c
	}
	return w, nil
}

// appendStamp writes 2026-11-24T09:MM:SS.ffffff000Z for i microseconds.
func appendStamp(dst []byte, i int) []byte {
	s := i / 1_000_000
	us := i % 1_000_000
	dst = append(dst, "2026-11-24T09:"...)
	dst = append(dst, byte('0'+s/600%6), byte('0'+s/60%10), ':', byte('0'+s%60/10), byte('0'+s%10), '.')
	for d := 100000; d > 0; d /= 10 {
		dst = append(dst, byte('0'+us/d%10))
	}
	return append(dst, "000Z"...)
}

// ingest runs the engine's live path: sources goroutines each consume
// perSource lines into the engine's buffer.
func ingest(e *Engine, sources, perSource int) {
	var wg sync.WaitGroup
	for s := 0; s < sources; s++ {
		st := &stream{e: e, id: uint32(s)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = st.consume(context.Background(), &lineGen{n: perSource}, st.live)
		}()
	}
	wg.Wait()
}

func benchEngine(sources int) *Engine {
	e := New(Config{})
	for s := 0; s < sources; s++ {
		e.sourceFor(Target{"pravega", fmt.Sprintf("pod-%d", s), "c"})
	}
	return e
}

// BenchmarkLogIngest: 50 sources into the default buffer with a search
// active. One op is one line.
func BenchmarkLogIngest(b *testing.B) {
	const sources = 50
	e := benchEngine(sources)
	if err := e.SetView(View{Search: "checkpoint"}); err != nil {
		b.Fatal(err)
	}
	per := (b.N + sources - 1) / sources
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	ingest(e, sources, per)
	b.StopTimer()
	runtime.ReadMemStats(&after)
	total := per * sources
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(total), "allocs/line")
	if st := e.Buffer().Stats(); st.Total != uint64(total) {
		b.Fatalf("ingested %d of %d", st.Total, total)
	}
}

// heapAfter pushes lines of about 200 bytes through the default buffer and
// returns the live heap after a collection.
func heapAfter(lines int) (uint64, Stats) {
	e := benchEngine(4)
	_ = e.SetView(View{Search: "checkpoint"})
	ingest(e, 4, lines/4)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := e.Buffer().Stats()
	runtime.KeepAlive(e)
	return ms.HeapAlloc, st
}

// TestMemoryBounded: 1,000,000 lines of 200 bytes through the default
// buffer keep the heap under 64 MiB.
func TestMemoryBounded(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 200_000
	}
	heap, st := heapAfter(n)
	t.Logf("%d lines: heap %.1f MiB, held %d, dropped %d", n, float64(heap)/(1<<20), st.Held, st.Dropped)
	if st.Held != DefaultLimit || st.Dropped != uint64(n-DefaultLimit) {
		t.Fatalf("stats %+v", st)
	}
	if heap > 64<<20 {
		t.Fatalf("heap %d MiB, want < 64 MiB", heap>>20)
	}
}

// BenchmarkLogMemory reports the heap after 1,000,000 lines.
func BenchmarkLogMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		heap, _ := heapAfter(1_000_000)
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	}
}
