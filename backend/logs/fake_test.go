package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/platform"
)

// fakeSource serves logs the way the kubelet does: timestamped lines,
// since-time at whole seconds, tail, follow until the stream is ended
// (container restarted) or broken (connection lost).
type fakeSource struct {
	mu    sync.Mutex
	cond  *sync.Cond
	logs  map[Target][]string // "RFC3339Nano text"
	prev  map[Target][]string
	gen   map[Target]int // bumps to end open follow streams
	broke map[Target]int // bumps to break open follow streams with an error
	opens []openCall
	fail  map[Target]error // Open fails with this error
}

type openCall struct {
	t Target
	o StreamOptions
}

func newFakeSource() *fakeSource {
	f := &fakeSource{logs: map[Target][]string{}, prev: map[Target][]string{}, gen: map[Target]int{}, broke: map[Target]int{}, fail: map[Target]error{}}
	f.cond = sync.NewCond(&f.mu)
	return f
}

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// add appends a line at a time.
func (f *fakeSource) add(t Target, ts time.Time, text string) {
	f.mu.Lock()
	f.logs[t] = append(f.logs[t], ts.UTC().Format(time.RFC3339Nano)+" "+text)
	f.cond.Broadcast()
	f.mu.Unlock()
}

// end closes the open follow streams of t with EOF.
func (f *fakeSource) end(t Target) {
	f.mu.Lock()
	f.gen[t]++
	f.cond.Broadcast()
	f.mu.Unlock()
}

// breakStream closes the open follow streams of t with an error.
func (f *fakeSource) breakStream(t Target) {
	f.mu.Lock()
	f.broke[t]++
	f.cond.Broadcast()
	f.mu.Unlock()
}

func (f *fakeSource) calls() []openCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]openCall(nil), f.opens...)
}

func (f *fakeSource) Open(ctx context.Context, t Target, o StreamOptions) (io.ReadCloser, error) {
	f.mu.Lock()
	f.opens = append(f.opens, openCall{t, o})
	if err := f.fail[t]; err != nil {
		f.mu.Unlock()
		return nil, err
	}
	src := f.logs
	if o.Previous {
		src = f.prev
	}
	all := src[t]
	since := o.SinceTime.Truncate(time.Second) // the API's resolution
	var lines []string
	for _, l := range all {
		ts, _ := time.Parse(time.RFC3339Nano, l[:strings.IndexByte(l, ' ')])
		if o.SinceTime.IsZero() || !ts.Before(since) {
			lines = append(lines, l)
		}
	}
	if o.TailLines >= 0 && int64(len(lines)) > o.TailLines {
		lines = lines[len(lines)-int(o.TailLines):]
	}
	next := len(all)
	gen, broke := f.gen[t], f.broke[t]
	f.mu.Unlock()

	pr, pw := io.Pipe()
	go func() {
		for _, l := range lines {
			if _, err := io.WriteString(pw, l+"\n"); err != nil {
				return
			}
		}
		if !o.Follow || o.Previous {
			pw.Close()
			return
		}
		stop := context.AfterFunc(ctx, func() { f.mu.Lock(); f.cond.Broadcast(); f.mu.Unlock() })
		defer stop()
		for {
			f.mu.Lock()
			for ctx.Err() == nil && len(f.logs[t]) == next && f.gen[t] == gen && f.broke[t] == broke {
				f.cond.Wait()
			}
			var out []string
			if ctx.Err() == nil {
				out = f.logs[t][next:]
				next = len(f.logs[t])
			}
			ended, broken := f.gen[t] != gen, f.broke[t] != broke
			f.mu.Unlock()
			for _, l := range out {
				if _, err := io.WriteString(pw, l+"\n"); err != nil {
					return
				}
			}
			switch {
			case ctx.Err() != nil:
				pw.CloseWithError(ctx.Err())
				return
			case broken:
				pw.CloseWithError(errors.New("http2: stream reset"))
				return
			case ended:
				pw.Close()
				return
			}
		}
	}()
	return pr, nil
}

// waitFor waits on the engine's notifications until cond holds.
func waitFor(t *testing.T, e *Engine, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-e.Changed():
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; buffer:\n%s", what, dump(e))
		}
	}
}

func dump(e *Engine) string {
	var b strings.Builder
	for _, l := range e.Buffer().Visible() {
		src, _ := e.Source(l.Source)
		fmt.Fprintf(&b, "%s %s notice=%v %s\n", l.Timestamp().Format("15:04:05.000"), src.Target.Pod, l.Notice, l.Text)
	}
	for _, s := range e.Sources() {
		fmt.Fprintf(&b, "source %s: %s %s\n", s.Target, s.State, s.Detail)
	}
	return b.String()
}

// lineTexts lists the container lines (not notices) of the buffer.
func lineTexts(e *Engine) []string {
	var out []string
	for _, l := range e.Buffer().Visible() {
		if !l.Notice {
			out = append(out, string(l.Text))
		}
	}
	return out
}

func notices(e *Engine) []string {
	var out []string
	for _, l := range e.Buffer().Visible() {
		if l.Notice {
			out = append(out, string(l.Text))
		}
	}
	return out
}

// startEngine runs an engine of cfg until the test ends; before runs on
// it first (a fault hook must be in place before Run).
func startEngine(t *testing.T, cfg Config, before ...func(*Engine)) (*Engine, context.CancelFunc) {
	t.Helper()
	if cfg.Backoff == 0 {
		cfg.Backoff = 5 * time.Millisecond
		cfg.MaxBackoff = 20 * time.Millisecond
	}
	if cfg.OpenRate == 0 {
		cfg.OpenRate, cfg.OpenBurst = 1000, 1000
	}
	cfg.Coalesce = time.Millisecond
	e := New(cfg)
	for _, f := range before {
		f(e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return e, cancel
}

// snapshot builds a platform snapshot with one component whose members
// have the given containers.
func snapshot(seq uint64, comp string, members ...*platform.Member) *platform.Snapshot {
	ns, cluster, _ := strings.Cut(comp, "/")
	return &platform.Snapshot{Seq: seq, Components: []*platform.Component{{
		Kind: platform.SegmentStore, Namespace: ns, Cluster: cluster, Members: members,
	}}}
}

func running(pod, uid string, containers ...string) *platform.Member {
	m := &platform.Member{Name: pod, Namespace: "pravega", UID: uid, Phase: "Running"}
	for _, c := range containers {
		m.Containers = append(m.Containers, platform.Container{Name: c, State: platform.StateRunning})
	}
	return m
}
