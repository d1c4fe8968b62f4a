package tui

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/session"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// TestEveryListedKeyDoesSomething walks help: in each pane, in a few
// states (as opened, moved down, expanded, at the bottom, and for logs
// with a pod followed), every key help lists — the pane's and the
// console's — is pressed in a state where it is listed, and must change
// the screen or start work (a Cmd). A key listed where it does nothing
// (g in the scale targets, esc in logs with nothing to go back from,
// "collapse" scrolling logs sideways) fails here. The number key of the
// pane one is in is the only exception: it names where you are.
func TestEveryListedKeyDoesSomething(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	eps, err := p.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.Start(ctx, session.Config{Clients: p.Clients(), Scope: p.Scope(), Logs: p.LogSource(),
		Streams:   restapi.Config{Overrides: eps, Credentials: p.CredentialSources(), Secrets: p.Clients().Typed, Clock: fc},
		AuditPath: filepath.Join(t.TempDir(), "audit.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	km := keymap.Default()
	g := km.Global
	press := keymap.Press
	var pod pane.LogTarget
	for _, c := range snap.Components {
		for _, mem := range c.Members {
			if pod.Pod == "" && len(mem.Containers) > 0 {
				pod = pane.LogTarget{Namespace: mem.Namespace, Pod: mem.Name, Container: mem.Containers[0].Name}
			}
		}
	}
	states := map[string][]tea.Msg{
		"opened":   nil,
		"moved":    {press(g.Down), press(g.Down), press(g.Down)},
		"expanded": {press(g.Down), press(g.Right)},
		"bottom":   {press(g.Bottom)},
		"followed": {pane.OpenLogsMsg{Targets: []pane.LogTarget{pod}, Title: pod.Pod}},
		"scrolled": {pane.OpenLogsMsg{Targets: []pane.LogTarget{pod}, Title: pod.Pod}, press(km.Logs.Wrap), press(g.Right)},
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range states {
			if !yield(n) {
				return
			}
		}
	})
	for id, row := range paneTable {
		t.Run(row.name, func(t *testing.T) {
			open := func(state string) Model {
				m := newConsole(t, fc, themes.Dark, Backends{Access: s.Reviewer, Members: s.Members, Streams: s.Streams, Scale: s.Scale, Logs: s.Logs})
				m.opts.Ctx, m.opts.ReportDir = ctx, t.TempDir()
				m = drive(m, tea.WindowSizeMsg{Width: 160, Height: 48}, snapshotMsg{snap})
				m, _ = m.switchTo(id)
				m = drive(m, states[state]...)
				if len(states[state]) > 0 && isOpenLogs(states[state][0]) {
					waitLines(t, s.Logs)
				}
				if m.active != id { // a state's keys may open logs
					m, _ = m.switchTo(id)
				}
				return m
			}
			listed := map[string]key.Binding{} // by help key and description
			works := map[string]bool{}
			for _, state := range names {
				m := open(state)
				var bs []key.Binding
				for _, grp := range append(m.panes[id].fullHelp(), km.GlobalHelp()...) {
					bs = append(bs, grp...)
				}
				for _, b := range bs {
					if !b.Enabled() || key.Matches(press(b), row.key(g)) {
						continue
					}
					name := b.Help().Key + " " + b.Help().Desc
					listed[name] = b
					if works[name] {
						continue
					}
					m := open(state)
					before := m.render()
					next, cmd := m.Update(press(b))
					if cmd != nil || next.(Model).render() != before {
						works[name] = true
					}
				}
			}
			for name := range listed {
				if !works[name] {
					t.Errorf("help lists %q, which does nothing in any state it is listed in", name)
				}
			}
			if len(listed) < 8 {
				t.Errorf("only %d keys listed", len(listed))
			}
		})
	}
}

// waitLines waits until the log engine holds lines to act on.
func waitLines(t *testing.T, eng *logs.Engine) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for eng.Buffer().Stats().Visible == 0 {
		select {
		case <-eng.Changed():
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("no log lines arrived")
		}
	}
}

func isOpenLogs(msg tea.Msg) bool { _, ok := msg.(pane.OpenLogsMsg); return ok }
