package object

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	clocktesting "k8s.io/utils/clock/testing"

	objectapi "github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// stories answers Load from a table, as the backend would have told them.
type stories map[string]objectapi.Story

func (s stories) Load(_ context.Context, ref objectapi.Ref) (objectapi.Story, error) {
	st, ok := s[ref.Name]
	if !ok {
		return objectapi.Story{}, fmt.Errorf("%s: unknown kind Widget", ref.Title())
	}
	return st, nil
}

var bookie = objectapi.Ref{Version: "v1", Resource: "pods", Kind: "Pod", Namespace: "pravega", Name: "bookkeeper-bookie-1"}

func bookieStory() objectapi.Story {
	yaml := []string{"apiVersion: v1", "kind: Pod", "metadata:", "  name: bookkeeper-bookie-1", "  namespace: pravega", "  ownerReferences:",
		"  - apiVersion: apps/v1", "    controller: true", "    kind: StatefulSet", "    name: bookkeeper-bookie", "spec:", "  containers:",
		"  - image: pravega/bookkeeper:0.13.0", "    name: bookie", "    resources:", "      limits:", "        memory: 2Gi"}
	for i := range 40 {
		yaml = append(yaml, fmt.Sprintf("  # line %d of a long spec", i))
	}
	return objectapi.Story{
		Ref: bookie, UID: "uid-bookie-1", YAML: yaml,
		Conditions: []platform.Condition{
			{Type: "PodScheduled", Status: "True", LastTransition: now.Add(-2 * time.Hour)},
			{Type: "Ready", Status: "False", Reason: "ContainersNotReady", Message: "containers with unready status: [bookie]", LastTransition: now.Add(-8 * time.Second)},
		},
		Owners: []objectapi.Owner{
			{Depth: 1, Kind: "StatefulSet", Name: "bookkeeper-bookie", Controller: true, Exists: true},
			{Depth: 2, Kind: "BookkeeperCluster", Name: "bookkeeper", Controller: true, Exists: true},
		},
		Events: []objectapi.Event{
			{Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container bookie in pod bookkeeper-bookie-1", Source: "kubelet", Count: 3, Last: now.Add(-5 * time.Second)},
			{Type: "Normal", Reason: "Pulled", Message: "Container image \"pravega/bookkeeper:0.13.0\" already present on machine", Source: "kubelet", Count: 1, Last: now.Add(-3 * time.Minute)},
		},
	}
}

func deps() pane.Deps {
	return pane.Deps{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(now)}
}

func press(b key.Binding) tea.KeyPressMsg {
	k := b.Keys()[0]
	switch k {
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	}
	return tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
}

func typeText(m Model, s string) Model {
	for _, r := range s {
		m, _ = m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return m
}

// open opens the overlay on ref and runs its load as the console would.
func open(t *testing.T, src Source, ref objectapi.Ref, w, h int) Model {
	t.Helper()
	m := New(deps(), src)
	m.SetSize(w, h)
	m, cmd := m.Open(context.Background(), ref)
	if !m.IsOpen() || cmd == nil {
		t.Fatal("not open, or nothing loads")
	}
	if out := ansi.Strip(m.View()); !strings.Contains(out, "loading…") {
		t.Errorf("while loading:\n%s", out)
	}
	m, _ = m.Update(cmd())
	return m
}

var sizes = []struct {
	name string
	w, h int
}{{"80x24", 80, 24}, {"160x48", 160, 48}}

func TestGolden(t *testing.T) {
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := open(t, stories{bookie.Name: bookieStory()}, bookie, sz.w, sz.h)
			raw := m.View()
			panetest.AssertOnlySGR(t, raw)
			out := ansi.Strip(raw)
			panetest.AssertFits(t, out, sz.w, sz.h)
			golden.RequireEqual(t, out)
		})
	}
}

// TestGoldenFailures: a deleted object whose events are forbidden, and a
// kind the backend cannot resolve, each said in one line.
func TestGoldenFailures(t *testing.T) {
	gone := objectapi.Ref{Kind: "Pod", Namespace: "team-a", Name: "web-0"}
	src := stories{"web-0": {Ref: gone, Gone: true, Err: "Pod team-a/web-0 no longer exists (deleted)",
		EventsErr: `list events of Pod team-a/web-0: forbidden: User "dev" cannot list resource "events" in API group "" in the namespace "team-a"`}}
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			m := open(t, src, gone, sz.w, sz.h)
			out := ansi.Strip(m.View())
			panetest.AssertFits(t, out, sz.w, sz.h)
			golden.RequireEqual(t, out)
		})
	}
	m := open(t, src, objectapi.Ref{Group: "example.com", Kind: "Widget", Name: "w"}, 80, 24)
	if out := ansi.Strip(m.View()); !strings.Contains(out, "✖ Widget w: unknown kind Widget") {
		t.Errorf("load error not shown:\n%s", out)
	}
}

func TestSearchScrollAndClose(t *testing.T) {
	km := keymap.Default()
	m := open(t, stories{bookie.Name: bookieStory()}, bookie, 80, 24)
	m, _ = m.Update(press(km.Object.Search))
	if !m.Capturing() {
		t.Fatal("search input does not capture")
	}
	m = typeText(m, "line 3")
	m, _ = m.Update(press(km.Global.Select))
	if m.Capturing() {
		t.Fatal("search still open")
	}
	// "line 3", "line 30" … "line 39": 11 lines
	if len(m.matches) != 11 {
		t.Fatalf("%d matches", len(m.matches))
	}
	first := m.top
	if !strings.Contains(m.lines[first].text, "line 3 ") && !strings.HasSuffix(m.lines[first].text, "line 3 of a long spec") {
		t.Errorf("top line %q", m.lines[first].text)
	}
	out := ansi.Strip(m.View())
	if !strings.Contains(out, "/line 3: 11 lines match") {
		t.Errorf("footer:\n%s", out)
	}
	m, _ = m.Update(press(km.Object.NextMatch))
	if m.top == first {
		t.Error("n did not move")
	}
	m, _ = m.Update(press(km.Object.PrevMatch))
	if m.top != first {
		t.Errorf("N did not come back: %d, want %d", m.top, first)
	}
	m, _ = m.Update(press(km.Global.Back)) // clears the search
	if !m.IsOpen() || m.query != "" {
		t.Fatal("first esc must clear the search only")
	}
	m, _ = m.Update(press(km.Global.Top))
	m, _ = m.Update(press(km.Global.PageDn))
	if m.top != m.bodyHeight()-1 {
		t.Errorf("page down: top %d", m.top)
	}
	m, _ = m.Update(press(km.Global.Bottom))
	if m.top != len(m.lines)-m.bodyHeight() {
		t.Errorf("bottom: top %d of %d", m.top, len(m.lines))
	}
	m, _ = m.Update(press(km.Global.Back))
	if m.IsOpen() {
		t.Fatal("esc did not close")
	}
}

// TestLateLoadIgnored: a load that ends after the overlay was closed, or
// reopened on another object, does not show.
func TestLateLoadIgnored(t *testing.T) {
	km := keymap.Default()
	m := New(deps(), stories{bookie.Name: bookieStory()})
	m.SetSize(80, 24)
	m, cmd := m.Open(context.Background(), bookie)
	m, _ = m.Update(press(km.Global.Back))
	m, _ = m.Update(cmd())
	if m.IsOpen() || m.loaded {
		t.Fatal("a closed overlay took a late load")
	}
	m, cmd = m.Open(context.Background(), bookie)
	other := objectapi.Ref{Kind: "Pod", Namespace: "pravega", Name: "other"}
	m, _ = m.Open(context.Background(), other)
	m, _ = m.Update(cmd())
	if m.loaded {
		t.Fatal("the first object's load showed for the second")
	}
}

// TestTimeout: a load that does not answer in time says so.
func TestTimeout(t *testing.T) {
	m := New(deps(), blocking{})
	m.timeout = 20 * time.Millisecond
	m.SetSize(80, 24)
	m, cmd := m.Open(context.Background(), bookie)
	m, _ = m.Update(cmd())
	if out := ansi.Strip(m.View()); !strings.Contains(out, "no answer within") {
		t.Errorf("timeout not said:\n%s", out)
	}
}

type blocking struct{}

func (blocking) Load(ctx context.Context, ref objectapi.Ref) (objectapi.Story, error) {
	<-ctx.Done()
	return objectapi.Story{}, errors.New("context canceled")
}
