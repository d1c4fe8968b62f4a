package tui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/watch"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
)

// pump feeds msg and every message its Cmds return (each given a second),
// until the scale pane runs a plan or nothing more comes.
func pump(t *testing.T, m Model, msgs ...tea.Msg) Model {
	t.Helper()
	queue := append([]tea.Msg(nil), msgs...)
	for n := 0; len(queue) > 0 && n < 200; n++ {
		msg := queue[0]
		queue = queue[1:]
		next, cmd := m.Update(msg)
		m = next.(Model)
		if _, busy := m.busyPane(); busy {
			return m
		}
		var answers []tea.Msg
		for _, res := range resultsWithin(cmd, time.Second) {
			if _, quit := res.(tea.QuitMsg); !quit {
				answers = append(answers, res)
			}
		}
		queue = append(answers, queue...) // answers before the next key
	}
	return m
}

func resultsWithin(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if batch, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range batch {
				out = append(out, resultsWithin(c, wait)...)
			}
			return out
		}
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	case <-time.After(wait):
		return nil
	}
}

func quits(cmd tea.Cmd) bool {
	for _, msg := range resultsWithin(cmd, time.Second) {
		if _, ok := msg.(tea.QuitMsg); ok {
			return true
		}
	}
	return false
}

// TestSecondQuitQuitsWhileAPlanRuns: with a scale plan waiting on its
// stuck member, the first quit asks (in the scale pane), any other key
// withdraws the question, and a quit right after the question quits.
func TestSecondQuitQuitsWhileAPlanRuns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Scenario(ctx, demo.ScenarioStuckMember); err != nil {
		t.Fatal(err)
	}
	if err := p.Settle(ctx, fc, 300); err != nil {
		t.Fatal(err)
	}
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc, Coalesce: 5 * time.Millisecond})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sub := w.Subscribe(ctx)
	var snap *platform.Snapshot
	for snap == nil {
		if s := w.Snapshot(); s.Synced() && len(s.Components) == 8 && len(s.Nodes) == 4 {
			snap = s
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("demo never settled")
		case <-sub:
		}
	}
	log, err := audit.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	eng, err := scale.New(scale.Config{Clients: p.Clients(), Scope: p.Scope(), Source: w, Audit: log, Clock: fc})
	if err != nil {
		t.Fatal(err)
	}
	km := keymap.Default()
	m := New(Options{Styles: themes.New(themes.Dark), Keys: km, Clock: fc, Context: "demo", Scope: "all namespaces", Tick: -1,
		CrashDir: t.TempDir(), Ctx: ctx, Backends: Backends{Scale: eng}})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m = next.(Model)
	press := keymap.Press
	msgs := []tea.Msg{snapshotMsg{snap}, press(km.Global.Scale), press(km.Global.Down), press(km.Scale.Increase), press(km.Scale.Plan),
		press(km.Scale.DryRun), press(km.Scale.Apply)}
	for _, r := range "bookkeeper" {
		msgs = append(msgs, keymap.PressString(string(r)))
	}
	msgs = append(msgs, press(km.Global.Select))
	m = pump(t, m, msgs...)
	if _, busy := m.busyPane(); !busy {
		t.Fatalf("the plan is not running:\n%s", ansi.Strip(m.render()))
	}
	quit := press(km.Global.Quit)
	next, cmd := m.Update(quit)
	m = next.(Model)
	if quits(cmd) {
		t.Fatal("the first quit quit while the plan runs")
	}
	next, cmd = m.Update(keymap.PressString("n")) // go on
	m = next.(Model)
	if quits(cmd) {
		t.Fatal("n quit")
	}
	next, cmd = m.Update(quit)
	m = next.(Model)
	if quits(cmd) {
		t.Fatal("a quit after the question was withdrawn quit at once")
	}
	next, cmd = m.Update(keymap.PressString("ctrl+c"))
	if !quits(cmd) {
		t.Fatalf("the second quit did not quit:\n%s", ansi.Strip(next.(Model).render()))
	}
	// Quitting closes the session, which closes the engine: the wait ends
	// and the interruption is recorded.
	eng.Close()
	recs, err := eng.Audit(100)
	if err != nil {
		t.Fatal(err)
	}
	if last := recs[len(recs)-1]; last.Action != audit.ActionFinished || last.Result != "interrupted" {
		t.Errorf("last record %+v", last)
	}
}
