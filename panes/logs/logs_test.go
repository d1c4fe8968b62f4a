package logs

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
	logengine "github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/watch"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

var epoch = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

var km = keymap.Default()

// world is the demo platform settled on a frozen clock, an hour later, in
// trouble, with a log engine over its log source.
type world struct {
	fc   *clocktesting.FakeClock
	p    *demo.Platform
	snap *platform.Snapshot
	eng  *logengine.Engine
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 300); err != nil {
		t.Fatal(err)
	}
	fc.Step(time.Hour)
	if err := p.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Troubles(ctx); err != nil {
		t.Fatal(err)
	}
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc, Coalesce: 5 * time.Millisecond})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sub := w.Subscribe(ctx)
	var snap *platform.Snapshot
	for snap == nil {
		s := w.Snapshot()
		if s.Synced() && len(s.EventsFor(demo.ProjectFraud, "Pod/"+demo.BackfillJobName+"-d7w5n")) > 0 && findMember(s, demo.BackfillJobName+"-d7w5n") != nil {
			snap = s
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("demo never settled")
		case <-sub:
		}
	}
	eng := logengine.New(logengine.Config{Source: p.LogSource(), Snapshots: panetest.Snapshots{Snapshot: snap}, Clock: fc, Coalesce: time.Millisecond, MergeWait: 30 * time.Second})
	go func() { _ = eng.Run(ctx) }()
	return &world{fc: fc, p: p, snap: snap, eng: eng}
}

func findMember(s *platform.Snapshot, name string) *platform.Member {
	for _, c := range s.Components {
		for _, m := range c.Members {
			if m.Name == name {
				return m
			}
		}
	}
	return nil
}

func (w *world) pane(t *testing.T, width, height int) Model {
	m := New(pane.Deps{Styles: themes.New(themes.Dark), Keys: km, Clock: w.fc}, w.eng, Options{SaveDir: t.TempDir()})
	m.SetSize(width, height)
	m, _ = m.Update(pane.SnapshotMsg{Snapshot: w.snap})
	return m
}

// waitSources waits until every source of the session is in state.
func waitSources(t *testing.T, eng *logengine.Engine, n int, state logengine.State) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		ss := eng.Sources()
		ok := len(ss) == n
		for _, s := range ss {
			ok = ok && s.State == state
		}
		if ok {
			return
		}
		select {
		case <-eng.Changed():
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("sources never all %s: %+v", state, ss)
		}
	}
}

// segmentStores is what the members pane sends for "L" on the segment
// store component.
func segmentStores(w *world) pane.OpenLogsMsg {
	var targets []pane.LogTarget
	for i := 0; i < 3; i++ {
		targets = append(targets, pane.LogTarget{Namespace: "pravega", Pod: fmt.Sprintf("pravega-pravega-segment-store-%d", i), Container: "pravega-segmentstore"})
	}
	return pane.OpenLogsMsg{Targets: targets, Title: "pravega/pravega SegmentStore"}
}

func press(b key.Binding) tea.KeyPressMsg { return keyMsg(b.Keys()[0]) }

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func typeText(m Model, s string) Model {
	for _, r := range s {
		m, _ = m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return m
}

// run executes a Cmd and the Cmds it batches, returning their messages.
func run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, run(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

var sizes = []struct {
	name string
	w, h int
}{{"80x24", 80, 24}, {"160x48", 160, 48}}

// TestGolden follows the three segment stores of the demo and walks the
// pane's features through its bindings, comparing each screen with a
// golden file.
func TestGolden(t *testing.T) {
	w := newWorld(t)
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := w.pane(t, sz.w, sz.h)
			m, _ = m.Update(segmentStores(w))
			if sel, _ := w.eng.Selection(); len(sel.Components) != 1 || sel.Components[0] != "pravega/pravega/SegmentStore" {
				t.Fatalf("selection %+v, want the component", sel)
			}
			waitSources(t, w.eng, 3, logengine.Streaming)
			shot := func(name string) {
				t.Helper()
				out := ansi.Strip(m.View())
				panetest.AssertFits(t, out, sz.w, sz.h)
				t.Run(name, func(t *testing.T) { golden.RequireEqual(t, out) })
			}
			shot("follow")

			m, _ = m.Update(press(km.Logs.PrevError))
			if !m.paused || !m.hasCursor {
				t.Fatal("E did not jump")
			}
			shot("previous-error")

			m, _ = m.Update(press(km.Logs.Search))
			m = typeText(m, "throttling")
			m, _ = m.Update(press(km.Global.Select))
			shot("search")
			m, _ = m.Update(press(km.Logs.PrevMatch))
			m, _ = m.Update(press(km.Logs.Timestamps))
			m, _ = m.Update(press(km.Logs.Wrap))
			shot("timestamps-wrap")
		})
	}
}

// TestGoldenPrevious opens a crashed container's previous log, as the
// restarts pane does.
func TestGoldenPrevious(t *testing.T) {
	w := newWorld(t)
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := w.pane(t, sz.w, sz.h)
			m, _ = m.Update(pane.OpenLogsMsg{Targets: []pane.LogTarget{{Namespace: "pravega", Pod: "pravega-pravega-segment-store-2", Container: "pravega-segmentstore"}},
				Previous: true, Title: "pravega/pravega-pravega-segment-store-2/pravega-segmentstore (previous)"})
			waitSources(t, w.eng, 1, logengine.Ended)
			out := ansi.Strip(m.View())
			panetest.AssertFits(t, out, sz.w, sz.h)
			if all := w.eng.Buffer().Visible(); !strings.Contains(string(all[len(all)-1].Text), "exit code 1") {
				t.Error("the crash is not at the end")
			}
			golden.RequireEqual(t, out)
		})
	}
}

// TestGoldenPicker chooses sources with the picker.
func TestGoldenPicker(t *testing.T) {
	w := newWorld(t)
	m := w.pane(t, 80, 24)
	// help lists only what works: nothing is followed yet
	for _, group := range m.FullHelp() {
		for _, b := range group {
			if b.Enabled() && b.Help().Desc != km.Logs.Sources.Help().Desc {
				t.Errorf("%s (%s) enabled with nothing followed", b.Help().Key, b.Help().Desc)
			}
		}
	}
	m, _ = m.Update(press(km.Logs.Sources))
	if !m.Capturing() {
		t.Fatal("picker does not capture keys")
	}
	m, _ = m.Update(press(km.Global.Filter))
	m = typeText(m, "bookk")
	m, _ = m.Update(press(km.Global.Select)) // keeps the query, back to the list
	out := ansi.Strip(m.View())
	panetest.AssertFits(t, out, 80, 24)
	golden.RequireEqual(t, out)
	m, _ = m.Update(press(km.Logs.Pause)) // space marks
	m, _ = m.Update(press(km.Global.Select))
	if m.Capturing() {
		t.Fatal("picker still open")
	}
	sel, _ := w.eng.Selection()
	if len(sel.Components) != 1 || sel.Components[0] != "pravega/bookkeeper/BookKeeper" {
		t.Fatalf("selection %+v", sel)
	}
	waitSources(t, w.eng, 3, logengine.Streaming)
	if out := ansi.Strip(m.View()); !strings.Contains(out, "\nbk-1 ") || !strings.Contains(out, "bk: BookKeeper pravega/bookkeeper") {
		t.Fatalf("no bookie lines labelled bk-N under a legend:\n%s", out)
	}
}

// TestPauseCountsWaitingLines pauses, lets the clock run and checks that
// the screen stays put while the new lines are counted; resuming shows them.
func TestPauseCountsWaitingLines(t *testing.T) {
	w := newWorld(t)
	m := w.pane(t, 80, 24)
	m, _ = m.Update(segmentStores(w))
	waitSources(t, w.eng, 3, logengine.Streaming)
	m, _ = m.Update(press(km.Logs.Pause))
	before := ansi.Strip(m.View())
	total := w.eng.Buffer().Stats().Total
	for i := 0; i < 10; i++ {
		w.fc.Step(time.Second)
	}
	deadline := time.After(10 * time.Second)
	for w.eng.Buffer().Stats().Total < total+10 {
		select {
		case <-w.eng.Changed():
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("no new lines")
		}
	}
	after := ansi.Strip(m.View())
	body := func(s string) string { l := strings.Split(s, "\n"); return strings.Join(l[1:len(l)-1], "\n") }
	if body(before) != body(after) {
		t.Fatalf("the paused screen moved:\n%s\n---\n%s", before, after)
	}
	if !strings.Contains(after, "new below") || strings.Contains(after, "⏸ paused · 0 new") {
		t.Fatalf("no waiting count:\n%s", after)
	}
	m, _ = m.Update(press(km.Logs.Pause))
	if resumed := ansi.Strip(m.View()); body(resumed) == body(before) || !strings.Contains(resumed, "▶ live") {
		t.Fatalf("resuming did not show the new lines:\n%s", resumed)
	}
}

func TestSave(t *testing.T) {
	w := newWorld(t)
	m := w.pane(t, 80, 24)
	m, _ = m.Update(segmentStores(w))
	waitSources(t, w.eng, 3, logengine.Streaming)
	for _, b := range []key.Binding{km.Logs.Save, km.Logs.SaveAll} {
		_, cmd := m.Update(press(b))
		msgs := run(cmd)
		saved, ok := msgs[0].(savedMsg)
		if !ok || saved.err != nil {
			t.Fatalf("%v", msgs)
		}
		fi, err := os.Stat(saved.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", fi.Mode())
		}
		data, _ := os.ReadFile(saved.path)
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		want := 21 // the rows on screen: 24 less the header, the legend and the footer
		if b.Keys()[0] == km.Logs.SaveAll.Keys()[0] {
			want = w.eng.Buffer().Stats().Visible
		}
		if len(lines) != want || saved.lines != want {
			t.Errorf("%s: %d lines saved, want %d", b.Help().Desc, len(lines), want)
		}
		if !strings.Contains(lines[0], " store-") || !strings.HasPrefix(lines[0], "2026-11-24T") {
			t.Errorf("line %q", lines[0])
		}
		_, status := m.Update(saved)
		if msg := run(status)[0].(pane.StatusMsg); !strings.Contains(msg.Text, saved.path) {
			t.Errorf("status %q does not show the path", msg.Text)
		}
	}
}

func TestOptionsLine(t *testing.T) {
	w := newWorld(t)
	m := w.pane(t, 160, 48)
	m, _ = m.Update(segmentStores(w))
	waitSources(t, w.eng, 3, logengine.Streaming)
	m, _ = m.Update(press(km.Logs.Options))
	if !m.Capturing() || !strings.Contains(m.input.Value(), "--tail=200") {
		t.Fatalf("options line %q", m.input.Value())
	}
	m.input.SetValue("--tail=5 -e Truncated -c 'pravega-.*'")
	m, cmd := m.Update(press(km.Global.Select))
	run(cmd)
	_, opts := w.eng.Selection()
	if opts.Tail != 5 || opts.Container != "pravega-.*" {
		t.Fatalf("options %+v", opts)
	}
	waitSources(t, w.eng, 3, logengine.Streaming)
	if v := w.eng.View(); len(v.Exclude) != 1 {
		t.Fatalf("view %+v", v)
	}
	for _, l := range w.eng.Buffer().Visible() {
		if strings.Contains(string(l.Text), "Truncated") {
			t.Fatalf("excluded line shown: %q", l.Text)
		}
	}
	if out := ansi.Strip(m.View()); !strings.Contains(out, "tail 5") || !strings.Contains(out, "-e Truncated") {
		t.Fatalf("header does not say the options:\n%s", out)
	}
	m, _ = m.Update(press(km.Logs.Options))
	m.input.SetValue("--since=nonsense")
	_, cmd = m.Update(press(km.Global.Select))
	if _, isErr := run(cmd)[0].(pane.ErrMsg); !isErr {
		t.Fatal("a bad option was accepted")
	}
}

// TestHostileLogBytes feeds the pane lines built to break a terminal:
// nothing but our own colours reaches the screen, and the layout holds, with
// wrap on and off.
func TestHostileLogBytes(t *testing.T) {
	hostile := []string{
		"\x1b]0;you have been pwned\x07title",
		"\x1b]2;window title\x1b\\osc 2",
		"\x1b]52;c;cm0gLXJmIC8=\x07clipboard",
		"\x1b]52;c;cm0gLXJmIC8=\x1b\\clipboard ST",
		"\x1b[2J\x1b[H\x1b[31;1mred and cleared\x1b[0m",
		"\x1b[?1049h\x1b[?25lalt screen",
		"\x1bP1$r0m\x1b\\dcs",
		"progress 10%\rprogress 100%",
		"back\x08\x08\x08space",
		"nul\x00byte and bel\x07",
		"bad utf-8 \xff\xfe\xc0\xaf",
		"8-bit csi \x9b2J and \u009b2J",
		"\ttab\tseparated\tvalues",
		"wide 日本語のログ行 and emoji 🚀🚀🚀 " + strings.Repeat("界", 200),
		strings.Repeat("a very long line ", 100000),
		strings.Repeat("progress 42%\r", 200000), // no newline: one 2.6 MB line of bare CRs
		"ERROR after all that",
	}
	src := newStaticSource()
	tg := logengine.Target{Namespace: "ns", Pod: "evil-0", Container: "c"}
	src.set(tg, hostile)
	eng := logengine.New(logengine.Config{Source: src, Coalesce: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = eng.Run(ctx) }()
	fc := clocktesting.NewFakeClock(epoch)
	for _, theme := range []themes.Palette{themes.Dark, themes.Mono} {
		for _, sz := range sizes {
			for _, wrap := range []bool{false, true} {
				m := New(pane.Deps{Styles: themes.New(theme), Keys: km, Clock: fc}, eng, Options{})
				m.SetSize(sz.w, sz.h)
				m, _ = m.Update(pane.OpenLogsMsg{Targets: []pane.LogTarget{{Namespace: tg.Namespace, Pod: tg.Pod, Container: tg.Container}}, Title: "evil\x1b]0;t\x07"})
				waitSources(t, eng, 1, logengine.Streaming)
				m, _ = m.Update(press(km.Logs.Search))
				m = typeText(m, "a")
				m, _ = m.Update(press(km.Global.Select))
				m, _ = m.Update(press(km.Global.Bottom))
				if wrap {
					m, _ = m.Update(press(km.Logs.Wrap))
				}
				for _, ts := range []bool{false, true} {
					if ts {
						m, _ = m.Update(press(km.Logs.Timestamps))
					}
					out := m.View()
					panetest.AssertOnlySGR(t, out)
					panetest.AssertFits(t, ansi.Strip(out), sz.w, sz.h)
					if !wrap && !strings.Contains(ansi.Strip(out), "ERROR after all that") {
						t.Fatalf("last line not shown:\n%s", ansi.Strip(out))
					}
				}
			}
		}
	}
}

// TestReconnectIsShown breaks a stream: the pane says so and carries on.
func TestReconnectIsShown(t *testing.T) {
	src := newStaticSource()
	tg := logengine.Target{Namespace: "ns", Pod: "flaky-0", Container: "c"}
	src.set(tg, []string{"first"})
	eng := logengine.New(logengine.Config{Source: src, Coalesce: time.Millisecond, Backoff: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = eng.Run(ctx) }()
	m := New(pane.Deps{Styles: themes.New(themes.Dark), Keys: km, Clock: clocktesting.NewFakeClock(epoch)}, eng, Options{})
	m.SetSize(80, 24)
	m, _ = m.Update(pane.OpenLogsMsg{Targets: []pane.LogTarget{{Namespace: tg.Namespace, Pod: tg.Pod, Container: tg.Container}}})
	waitSources(t, eng, 1, logengine.Streaming)
	src.drop(tg)
	deadline := time.After(10 * time.Second)
	for !strings.Contains(ansi.Strip(m.View()), "reconnected") {
		select {
		case <-eng.Changed():
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no reconnect shown:\n%s", ansi.Strip(m.View()))
		}
	}
	out := ansi.Strip(m.View())
	if !strings.Contains(out, "connection lost: connection reset by peer; reconnecting") || strings.Count(out, "first") != 1 {
		t.Fatalf("view:\n%s", out)
	}
}

// staticSource serves fixed lines; follow streams stay open until dropped.
type staticSource struct {
	mu    sync.Mutex
	lines map[logengine.Target][]string
	drops map[logengine.Target]chan struct{}
}

func newStaticSource() *staticSource {
	return &staticSource{lines: map[logengine.Target][]string{}, drops: map[logengine.Target]chan struct{}{}}
}

func (s *staticSource) set(t logengine.Target, lines []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines[t] = lines
	s.drops[t] = make(chan struct{})
}

func (s *staticSource) drop(t logengine.Target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.drops[t])
	s.drops[t] = make(chan struct{})
}

func (s *staticSource) Open(ctx context.Context, t logengine.Target, o logengine.StreamOptions) (io.ReadCloser, error) {
	s.mu.Lock()
	lines, drop := s.lines[t], s.drops[t]
	s.mu.Unlock()
	var b strings.Builder
	for i, l := range lines {
		ts := epoch.Add(time.Duration(i) * time.Millisecond)
		if !o.SinceTime.IsZero() && ts.Before(o.SinceTime.Truncate(time.Second)) {
			continue
		}
		b.WriteString(ts.Format(time.RFC3339Nano) + " " + l + "\n")
	}
	pr, pw := io.Pipe()
	go func() {
		if _, err := io.WriteString(pw, b.String()); err != nil || !o.Follow {
			pw.Close()
			return
		}
		select {
		case <-ctx.Done():
			pw.CloseWithError(ctx.Err())
		case <-drop:
			pw.CloseWithError(fmt.Errorf("connection reset by peer"))
		}
	}()
	return pr, nil
}

// TestDroppedMarker keeps a small buffer: scrolled to the top, the pane says
// how many older lines were dropped.
func TestDroppedMarker(t *testing.T) {
	src := newStaticSource()
	tg := logengine.Target{Namespace: "ns", Pod: "chatty-0", Container: "c"}
	var lines []string
	for i := 0; i < 300; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	src.set(tg, lines)
	eng := logengine.New(logengine.Config{Source: src, Limit: 100, Coalesce: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = eng.Run(ctx) }()
	m := New(pane.Deps{Styles: themes.New(themes.Dark), Keys: km, Clock: clocktesting.NewFakeClock(epoch)}, eng, Options{})
	m.SetSize(80, 24)
	m.set.Stream.Tail = -1
	m, _ = m.Update(pane.OpenLogsMsg{Targets: []pane.LogTarget{{Namespace: tg.Namespace, Pod: tg.Pod, Container: tg.Container}}})
	waitSources(t, eng, 1, logengine.Streaming)
	if out := ansi.Strip(m.View()); !strings.Contains(out, "line 299") || !strings.Contains(out, "100 lines (200 dropped)") {
		t.Fatalf("bottom:\n%s", out)
	}
	m, _ = m.Update(press(km.Global.Top))
	out := ansi.Strip(m.View())
	rows := strings.Split(out, "\n")
	if !strings.Contains(rows[1], "200 older lines dropped (the buffer keeps 100)") || !strings.Contains(rows[2], "line 200") {
		t.Fatalf("top:\n%s", out)
	}
	if !strings.Contains(out, "⏸ paused") {
		t.Fatalf("going to the top does not hold the view:\n%s", out)
	}
}

// TestPickerIsAList: j/k move and space marks without typing into the
// query (it read "/jj"); "/" narrows, and a whole name comes before
// names that merely contain its letters.
func TestPickerIsAList(t *testing.T) {
	w := newWorld(t)
	m := w.pane(t, 100, 30)
	m, _ = m.Update(press(km.Logs.Sources))
	m, _ = m.Update(keymap.PressString("j"))
	m, _ = m.Update(keymap.PressString("j"))
	if q := m.picker.query.Query(); q != "" || m.picker.cursor != 2 {
		t.Fatalf("j typed %q, cursor %d", q, m.picker.cursor)
	}
	m, _ = m.Update(keymap.PressString("k"))
	m, _ = m.Update(press(km.Logs.Pause)) // space
	if q := m.picker.query.Query(); q != "" || len(m.picker.marked) != 1 || m.picker.cursor != 1 {
		t.Fatalf("space: query %q, %d marked, cursor %d", q, len(m.picker.marked), m.picker.cursor)
	}
	m, _ = m.Update(press(km.Logs.Pause))
	m, _ = m.Update(press(km.Global.Filter))
	name := "pravega-tier2-sync"
	m = typeText(m, name)
	first := m.picker.items[m.picker.shown[0]]
	if first.comp == nil || first.comp.Cluster != name {
		t.Fatalf("first hit for %q is %q", name, first.label)
	}
	for _, i := range m.picker.shown {
		if it := m.picker.items[i]; !strings.Contains(it.label, name) {
			t.Errorf("%q listed for %q", it.label, name)
		}
	}
	m, _ = m.Update(press(km.Global.Back)) // esc in the query clears it
	m, _ = m.Update(press(km.Global.Back)) // esc in the list cancels
	if m.picker.open {
		t.Fatal("esc esc did not close the picker")
	}
}

// TestJSONAndContext: J reads a JSON line as level, message and fields
// (and --fields in the options chooses them); C after a search shows the
// hit's source around it with the include filter off, esc closes it.
func TestJSONAndContext(t *testing.T) {
	w := newWorld(t)
	m := w.pane(t, 160, 48)
	m, _ = m.Update(segmentStores(w))
	waitSources(t, w.eng, 3, logengine.Streaming)
	m, _ = m.Update(press(km.Logs.Pause))
	src := w.eng.Sources()[0].ID
	w.eng.Buffer().Append(logengine.Line{Source: src, Level: logengine.LevelError,
		Text: []byte(`{"@timestamp":"2026-11-24T10:00:00Z","level":"error","message":"container 3 failed","container":3,"thread":"core-1"}`)})
	m, _ = m.Update(press(km.Global.Bottom))
	if out := ansi.Strip(m.View()); !strings.Contains(out, `"message":"container 3 failed"`) {
		t.Fatalf("the JSON line is not shown as written:\n%s", out)
	}
	m, _ = m.Update(press(km.Logs.JSON))
	if out := ansi.Strip(m.View()); !strings.Contains(out, "ERROR container 3 failed container=3 thread=core-1") {
		t.Fatalf("J did not read the JSON line:\n%s", out)
	}
	m, _ = m.Update(press(km.Logs.Options))
	m.input.SetValue(m.input.Value() + " --fields=thread")
	m, cmd := m.Update(press(km.Global.Select))
	run(cmd)
	if out := ansi.Strip(m.View()); !strings.Contains(out, "ERROR container 3 failed thread=core-1") {
		t.Fatalf("--fields=thread:\n%s", out)
	}

	if m, _ := m.Update(press(km.Logs.Context)); m.context {
		t.Fatal("C with no line to show around")
	}
	m, _ = m.Update(press(km.Logs.Options))
	m.input.SetValue("--tail=200 -i StorageWriter")
	m, cmd = m.Update(press(km.Global.Select))
	run(cmd)
	waitSources(t, w.eng, 3, logengine.Streaming)
	m, _ = m.Update(press(km.Logs.Search))
	m = typeText(m, "StorageWriter")
	m, _ = m.Update(press(km.Global.Select))
	if !m.hasCursor {
		t.Fatal("the search did not stop on a line")
	}
	if out := ansi.Strip(m.View()); strings.Contains(out, "DurableLog") {
		t.Fatalf("the include filter shows other lines:\n%s", out)
	}
	m, _ = m.Update(press(km.Logs.Context))
	out := ansi.Strip(m.View())
	if !strings.Contains(out, "around the line, filters off") || !strings.Contains(out, "DurableLog") {
		t.Fatalf("C shows no context with the filter off:\n%s", out)
	}
	hit, _ := w.eng.Buffer().Around(m.cursor, 0, 0, nil)
	label := shortLabels(w.eng.Sources(), w.snap).byID[hit[0].Source]
	for _, l := range strings.Split(out, "\n")[3 : 48-2] {
		if l != "" && !strings.HasPrefix(l, label+" ") {
			t.Errorf("a line of another source in the context of %s: %q", label, l)
		}
	}
	m, _ = m.Update(press(km.Global.Back))
	if m.context || !m.hasCursor {
		t.Fatalf("esc: context %v, cursor %v", m.context, m.hasCursor)
	}
}
