package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	accessapi "github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/watch"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/pane/panetest"
	"github.com/streamops/streamops/themes"
)

var epoch = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	time.Local = time.UTC // the status bar shows local times
	testcluster.Main(m, nil)
}

// demoSnapshot returns the settled demo platform as the backend publishes it.
func demoSnapshot(t testing.TB) (*platform.Snapshot, *clocktesting.FakeClock) {
	s, fc, _ := demoPlatform(t)
	return s, fc
}

func demoPlatform(t testing.TB) (*platform.Snapshot, *clocktesting.FakeClock, *demo.Platform) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fc := clocktesting.NewFakeClock(epoch)
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	if err := p.Settle(ctx, fc, 300); err != nil {
		t.Fatal(err)
	}
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sub := w.Subscribe(ctx)
	for {
		s := w.Snapshot()
		if s.Synced() && len(s.Components) == 8 && s.Components[0].Ready == 3 && len(s.Nodes) == 4 {
			ready := true
			for _, c := range s.Components {
				ready = ready && c.Health == platform.Ready
			}
			if ready {
				fc.Step(90 * time.Second) // members are a little older than the last change
				return s, fc, p
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("demo platform never settled")
		case <-sub:
		}
	}
}

func newConsole(t testing.TB, fc *clocktesting.FakeClock, theme themes.Palette, backends ...Backends) Model {
	opts := Options{
		Styles: themes.New(theme), Keys: keymap.Default(), Clock: fc,
		Context: "demo", Scope: "all namespaces", Tick: -1, CrashDir: t.TempDir(),
	}
	if len(backends) > 0 {
		opts.Backends = backends[0]
	}
	return New(opts)
}

// runCmd is a message that makes drive execute the Cmds the previous
// message returned (with a timeout, skipping ones that block, like timers).
type runCmd struct{}

// drive feeds messages straight into the model, as the program would;
// a runCmd runs the Cmds of the message before it and feeds their results.
func drive(m Model, msgs ...tea.Msg) Model {
	var last tea.Cmd
	for _, msg := range msgs {
		if _, ok := msg.(runCmd); ok {
			for _, res := range results(last) {
				next, _ := m.Update(res)
				m = next.(Model)
			}
			continue
		}
		next, cmd := m.Update(msg)
		m, last = next.(Model), cmd
	}
	return m
}

func results(cmd tea.Cmd) []tea.Msg {
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
				out = append(out, results(c)...)
			}
			return out
		}
		return []tea.Msg{msg}
	case <-time.After(2 * time.Second):
		return nil
	}
}

// memberWatcher follows the bindings of a client, in the namespaces of
// snap, until the test ends.
func memberWatcher(t testing.TB, typed kubernetes.Interface, snap *platform.Snapshot) *accessapi.Follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := accessapi.NewFollower(accessapi.NewMemberWatcher(typed, nil), panetest.Snapshots{Snapshot: snap})
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

func TestGoldenConsole(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	backends := Backends{Access: accessapi.NewReviewer(p.Clients().Typed)}
	km := keymap.Default()
	section := keymap.Press(km.Access.Section)
	sizes := []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"160x48", 160, 48}}
	views := []struct {
		name string
		keys []tea.Msg
	}{
		{"members", nil},
		{"members-expanded", []tea.Msg{keymap.Press(km.Global.Down), keymap.Press(km.Global.Down), keymap.Press(km.Members.Expand)}},
		{"members-filtered", []tea.Msg{keymap.Press(km.Global.Filter), keymap.PressString("t"), keymap.PressString("a"), keymap.PressString("s"), keymap.PressString("k"), keymap.Press(km.Global.Select)}},
		{"help", []tea.Msg{keymap.Press(km.Global.Help)}},
		{"palette", []tea.Msg{keymap.Press(km.Global.Palette), keymap.PressString("s")}},
		{"access", []tea.Msg{keymap.Press(km.Global.Access)}},
		{"access-services", []tea.Msg{keymap.Press(km.Global.Access), keymap.Press(km.Access.Section)}},
		{"access-can-i", []tea.Msg{keymap.Press(km.Global.Access), runCmd{}, keymap.Press(km.Access.CanI)}},
		{"access-members", []tea.Msg{keymap.Press(km.Global.Access), runCmd{}, section, section, section, section}},
		{"access-members-filtered", []tea.Msg{keymap.Press(km.Global.Access), runCmd{}, section, section, section, section,
			keymap.Press(km.Global.Filter), keymap.PressString("s"), keymap.PressString("y"), keymap.PressString("s"), keymap.PressString("t"), keymap.Press(km.Global.Select)}},
	}
	for _, size := range sizes {
		for _, v := range views {
			t.Run(v.name+"-"+size.name, func(t *testing.T) {
				backends := backends
				backends.Members = memberWatcher(t, p.Clients().Typed, snap) // a roster per test: the first one is complete
				m := newConsole(t, fc, themes.Dark, backends)
				m = drive(m, tea.WindowSizeMsg{Width: size.w, Height: size.h}, snapshotMsg{snap})
				m = drive(m, v.keys...)
				out := ansi.Strip(m.render())
				panetest.AssertFits(t, out, size.w, size.h)
				golden.RequireEqual(t, out)
			})
		}
	}
}

// TestGoldenNoColour pins the no-colour theme's output with its escape
// sequences shown: only bold, faint, reverse and underline may appear.
func TestGoldenNoColour(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	km := keymap.Default()
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, v := range []struct {
			name string
			keys []tea.Msg
		}{
			{"members", []tea.Msg{keymap.Press(km.Global.Down)}},
			{"access-can-i", []tea.Msg{keymap.Press(km.Global.Access), runCmd{}, keymap.Press(km.Access.CanI)}},
		} {
			t.Run(fmt.Sprintf("%s-%dx%d", v.name, size[0], size[1]), func(t *testing.T) {
				m := newConsole(t, fc, themes.Mono, Backends{Access: accessapi.NewReviewer(p.Clients().Typed)})
				m = drive(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]}, snapshotMsg{snap})
				m = drive(m, v.keys...)
				out := m.render()
				if c := colourIn(out); c != "" {
					t.Errorf("colour in the no-colour theme: SGR %q", c)
				}
				golden.RequireEqualEscape(t, []byte(out), true)
			})
		}
	}
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// colourIn returns the first SGR parameter list that sets a colour
// (30–38, 40–48, 90–97, 100–107), or "".
func colourIn(s string) string {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			n, _ := strconv.Atoi(p)
			if n >= 30 && n <= 38 || n >= 40 && n <= 48 || n >= 90 && n <= 97 || n >= 100 && n <= 107 {
				return m[1]
			}
		}
	}
	return ""
}

func TestTriageReportKey(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	m := newConsole(t, fc, themes.Dark)
	m.opts.ReportDir = t.TempDir()
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24}, snapshotMsg{snap}, keymap.Press(km.Global.Snapshot), runCmd{})
	entries, _ := os.ReadDir(m.opts.ReportDir)
	if len(entries) != 1 {
		t.Fatalf("%d files", len(entries))
	}
	// at 80 columns the long path loses its middle, never the file name
	if line := ansi.Strip(m.messageLine()); !strings.HasPrefix(line, "triage report: /") || !strings.HasSuffix(line, entries[0].Name()) || ansi.StringWidth(line) > 80 {
		t.Fatalf("message line does not name the report: %q", line)
	}
	b, _ := os.ReadFile(m.opts.ReportDir + "/" + entries[0].Name())
	if !strings.Contains(string(b), "| ● Ready | ZooKeeper | zookeeper | pravega | 3/3 | 0.2.15 |") {
		t.Errorf("report:\n%s", b)
	}
}

type fakeScope struct{ got []kube.Scope }

func (f *fakeScope) SetScope(s kube.Scope) { f.got = append(f.got, s) }
func (f *fakeScope) Scope() kube.Scope     { return kube.Scope{} }

func TestPaletteSwitchesNamespace(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	scope := &fakeScope{}
	m := newConsole(t, fc, themes.Dark, Backends{Scope: scope})
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24}, snapshotMsg{snap})
	typeIn := func(s string) []tea.Msg {
		msgs := []tea.Msg{keymap.Press(km.Global.Palette)}
		for _, r := range s {
			msgs = append(msgs, keymap.PressString(string(r)))
		}
		return append(msgs, keymap.PressString("enter"))
	}
	m = drive(m, typeIn("ns pravega")...)
	m = drive(m, typeIn("ns all")...)
	m = drive(m, typeIn("ns Bad_Name")...)
	if len(scope.got) != 2 || scope.got[0].String() != "pravega" || !scope.got[1].All() {
		t.Fatalf("scopes %v", scope.got)
	}
	if out := ansi.Strip(m.render()); !strings.Contains(out, `ns "Bad_Name": not a namespace name`) {
		t.Errorf("a bad name must be refused in the status line:\n%s", out)
	}
	m = drive(m, typeIn("readonly")...)
	if !m.opts.ReadOnly.On() || m.opts.Keys.Scale.Apply.Enabled() {
		t.Error("readonly did not disable the apply key")
	}
}

func TestTooSmallTerminal(t *testing.T) {
	snap, fc := demoSnapshot(t)
	for _, size := range [][2]int{{79, 24}, {80, 23}, {40, 10}} {
		m := drive(newConsole(t, fc, themes.Dark), tea.WindowSizeMsg{Width: size[0], Height: size[1]}, snapshotMsg{snap})
		out := ansi.Strip(m.render())
		if strings.Count(out, "\n") != 0 || !strings.Contains(out, "terminal too small") {
			t.Errorf("%dx%d: %q, want one line saying the terminal is too small", size[0], size[1], out)
		}
		if ansi.StringWidth(out) > size[0] {
			t.Errorf("%dx%d: message wider than the terminal", size[0], size[1])
		}
	}
}

// A component whose ready count is short must stand out without colour:
// the no-colour theme draws no colour at all, and the glyph and text say it.
func TestDegradedStandsOutWithoutColour(t *testing.T) {
	snap, fc := demoSnapshot(t)
	degraded := *snap
	degraded.Components = append([]*platform.Component(nil), snap.Components...)
	bk := *degraded.Components[1]
	bk.Ready, bk.Health, bk.Reason = 2, platform.Degraded, "2/3 ready; not ready: bookkeeper-bookie-2"
	bk.Members = append([]*platform.Member(nil), bk.Members...)
	bookie := *bk.Members[2]
	bookie.Ready = false
	bk.Members[2] = &bookie
	degraded.Components[1] = &bk
	m := drive(newConsole(t, fc, themes.Mono), tea.WindowSizeMsg{Width: 160, Height: 48}, snapshotMsg{&degraded})
	out := m.render()
	if strings.Contains(out, "38;5;") || strings.Contains(out, "48;5;") || strings.Contains(out, "38;2;") {
		t.Error("the no-colour theme emitted a colour")
	}
	plain := ansi.Strip(out)
	var row string
	for _, l := range strings.Split(plain, "\n") {
		if strings.Contains(l, "BookKeeper") {
			row = l
		}
	}
	if !strings.Contains(row, "2/3 ▲") || !strings.HasPrefix(row, "▲") || !strings.Contains(row, "not ready") {
		t.Errorf("degraded row does not stand out: %q", row)
	}
	if !strings.Contains(plain, "▲ 8 components · 17/18 members ready · 1 degraded") {
		t.Errorf("summary does not say it:\n%s", plain)
	}
}

func TestPanicInUpdateRestoresAndNamesTrace(t *testing.T) {
	_, fc := demoSnapshot(t)
	dir := t.TempDir()
	m := New(Options{Styles: themes.New(themes.Dark), Keys: keymap.Default(), Clock: fc, Tick: -1, CrashDir: dir,
		Panes: map[int]Slot{1: NewSlot(panicky{}, (*panicky).SetSize)}})
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	next, cmd := m.Update(snapshotMsg{&platform.Snapshot{Seq: 1}}) // the restarts pane panics on it
	crash := next.(Model).Crash()
	if crash == nil {
		t.Fatal("no crash recorded")
	}
	if cmd == nil {
		t.Fatal("no quit command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("the console must quit after a panic")
	}
	b, err := os.ReadFile(crash.File)
	if err != nil {
		t.Fatalf("trace file: %v", err)
	}
	if !bytes.Contains(b, []byte("goroutine")) || !strings.Contains(crash.Error(), crash.File) {
		t.Errorf("trace file %s lacks a stack, or the message does not name it: %s", crash.File, crash.Error())
	}
}

func TestPanicInCmdBecomesCrash(t *testing.T) {
	dir := t.TempDir()
	cmd := safe(dir, func() tea.Msg { panic("boom") })
	msg, ok := cmd().(crashMsg)
	if !ok || msg.crash.File == "" {
		t.Fatalf("got %#v", msg)
	}
	var c *Crash = msg.crash
	if !strings.Contains(c.Error(), "boom") {
		t.Error(c.Error())
	}
	_ = errors.New
}

// TestProgramEndToEnd runs the real bubbletea program with teatest: the
// members pane shows the demo platform, keys go through the bindings, and
// quitting ends the program.
func TestProgramEndToEnd(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	ch := make(chan *platform.Snapshot, 1)
	ch <- snap
	m := New(Options{Styles: themes.New(themes.Dark), Keys: km, Clock: fc, Context: "demo", Scope: "all namespaces",
		Snapshots: ch, Tick: -1, CrashDir: t.TempDir()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	waitText(t, tm, "8 components · 18/18 members ready")
	tm.Send(keymap.Press(km.Global.Restarts))
	waitText(t, tm, "18 containers · 0 restarted")
	tm.Send(keymap.Press(km.Global.Members))
	tm.Send(keymap.Press(km.Members.ExpandAll))
	waitText(t, tm, "zookeeper-2")
	tm.Send(keymap.Press(km.Global.Quit))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if final.active != 0 || final.Crash() != nil {
		t.Errorf("final pane %d, crash %v", final.active, final.Crash())
	}
}

func waitText(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return strings.Contains(ansi.Strip(string(b)), text)
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// panicky is a pane that panics on a snapshot.
type panicky struct{}

func (panicky) Init() tea.Cmd { return nil }
func (p panicky) Update(msg tea.Msg) (panicky, tea.Cmd) {
	if _, ok := msg.(pane.SnapshotMsg); ok {
		var m map[string]int
		m["x"]++ // assignment to a nil map
	}
	return p, nil
}
func (panicky) View() string              { return "" }
func (*panicky) SetSize(int, int)         {}
func (panicky) ShortHelp() []key.Binding  { return nil }
func (panicky) FullHelp() [][]key.Binding { return nil }
func (panicky) Capturing() bool           { return false }

type fakeContexts struct{ checked []string }

func (f *fakeContexts) Contexts() []string { return []string{"demo", "prod", "staging"} }
func (f *fakeContexts) Check(_ context.Context, name string) error {
	f.checked = append(f.checked, name)
	if name == "staging" {
		return errors.New("cannot reach https://staging:6443: connection refused")
	}
	return nil
}

func TestPaletteSwitchesContext(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	cc := &fakeContexts{}
	typeIn := func(s string) []tea.Msg {
		msgs := []tea.Msg{keymap.Press(km.Global.Palette)}
		for _, r := range s {
			msgs = append(msgs, keymap.PressString(string(r)))
		}
		return append(msgs, keymap.PressString("enter"), runCmd{})
	}
	m := newConsole(t, fc, themes.Dark, Backends{Contexts: cc})
	m = drive(m, tea.WindowSizeMsg{Width: 100, Height: 30}, snapshotMsg{snap})
	m = drive(m, typeIn("ctx nope")...)
	if !strings.Contains(ansi.Strip(m.render()), "ctx nope: no such context (have: demo, prod, staging)") || len(cc.checked) != 0 {
		t.Errorf("unknown context: checked %v\n%s", cc.checked, ansi.Strip(m.render()))
	}
	m = drive(m, typeIn("ctx staging")...)
	if m.NextContext() != "" || !strings.Contains(ansi.Strip(m.render()), "ctx staging: cannot reach") {
		t.Errorf("an unreachable context must not end the console: next %q", m.NextContext())
	}
	m = drive(m, typeIn("ctx prod")...)
	if m.NextContext() != "prod" {
		t.Errorf("next context %q, want prod", m.NextContext())
	}
}

// TestGoldenMembersForbidden: a user who may not list the RoleBindings of
// one project nor the ClusterRoleBindings sees one line for each, the
// members that could be read, and the rest of the pane works.
func TestGoldenMembersForbidden(t *testing.T) {
	snap, fc, p := demoPlatform(t)
	typed := p.Clients().Typed.(*fake.Clientset)
	forbid := func(resource, ns string) clienttesting.ReactionFunc {
		return func(a clienttesting.Action) (bool, runtime.Object, error) {
			if a.GetNamespace() != ns {
				return false, nil, nil
			}
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: resource}, "",
				fmt.Errorf("User %q cannot list resource %q", demo.DemoUser, resource))
		}
	}
	typed.PrependReactor("list", "rolebindings", forbid("rolebindings", demo.ProjectFraud))
	typed.PrependReactor("list", "clusterrolebindings", forbid("clusterrolebindings", ""))
	km := keymap.Default()
	section := keymap.Press(km.Access.Section)
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m := newConsole(t, fc, themes.Dark, Backends{Access: accessapi.NewReviewer(typed), Members: memberWatcher(t, typed, snap)})
			m = drive(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]}, snapshotMsg{snap})
			m = drive(m, keymap.Press(km.Global.Access), runCmd{}, section, section, section, section)
			out := ansi.Strip(m.render())
			panetest.AssertFits(t, out, size[0], size[1])
			for _, want := range []string{"▲ members: forbidden to list rolebindings in fraud-detection", "▲ members: forbidden to list clusterrolebindings", "group iot-developers"} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q", want)
				}
			}
			golden.RequireEqual(t, out)
			m = drive(m, keymap.Press(km.Access.CanI), runCmd{}) // can-i still works
			if out := ansi.Strip(m.render()); !strings.Contains(out, "may do, asked") || !strings.Contains(out, "watch pods") {
				t.Errorf("can-i after a refused member list:\n%s", out)
			}
		})
	}
}

// TestMouseCaptureIsOffByDefault: over SSH people select text to copy,
// which mouse capture prevents; M toggles it, Options.Mouse (the config's
// mouse: true) starts with it on.
func TestMouseCaptureIsOffByDefault(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	m := drive(newConsole(t, fc, themes.Dark), tea.WindowSizeMsg{Width: 80, Height: 24}, snapshotMsg{snap})
	if mode := m.View().MouseMode; mode != tea.MouseModeNone {
		t.Fatalf("mouse mode %v at start, want none", mode)
	}
	m = drive(m, keymap.Press(km.Global.Mouse))
	if mode := m.View().MouseMode; mode != tea.MouseModeCellMotion {
		t.Fatalf("mouse mode %v after M, want cell motion", mode)
	}
	if out := ansi.Strip(m.render()); !strings.Contains(out, "mouse capture on") {
		t.Errorf("no status line for the toggle:\n%s", out)
	}
	m = drive(m, keymap.Press(km.Global.Mouse))
	if mode := m.View().MouseMode; mode != tea.MouseModeNone {
		t.Fatalf("mouse mode %v after M twice", mode)
	}
	on := New(Options{Styles: themes.New(themes.Dark), Keys: km, Clock: fc, Tick: -1, CrashDir: t.TempDir(), Mouse: true})
	if mode := on.View().MouseMode; mode != tea.MouseModeCellMotion {
		t.Fatalf("Options.Mouse: mode %v", mode)
	}
}

// checkingScope is a fakeScope that knows which namespaces exist.
type checkingScope struct {
	fakeScope
	exist map[string]bool
}

func (c *checkingScope) CheckNamespace(_ context.Context, ns string) error {
	if !c.exist[ns] {
		return fmt.Errorf("namespace %q does not exist on demo", ns)
	}
	return nil
}

// TestPaletteRefusesAMissingNamespace: ":ns nosuchns" was accepted and
// the table said "nothing matches" as if filtered.
func TestPaletteRefusesAMissingNamespace(t *testing.T) {
	snap, fc := demoSnapshot(t)
	km := keymap.Default()
	scope := &checkingScope{exist: map[string]bool{"pravega": true}}
	m := newConsole(t, fc, themes.Dark, Backends{Scope: scope})
	m = drive(m, tea.WindowSizeMsg{Width: 160, Height: 48}, snapshotMsg{snap})
	ns := func(name string) {
		msgs := []tea.Msg{keymap.Press(km.Global.Palette)}
		for _, r := range "ns " + name {
			msgs = append(msgs, keymap.PressString(string(r)))
		}
		m = drive(m, append(msgs, keymap.PressString("enter"), runCmd{})...)
	}
	ns("nosuchns")
	if len(scope.got) != 0 {
		t.Fatalf("the scope moved to %v", scope.got)
	}
	if out := ansi.Strip(m.render()); !strings.Contains(out, `ns: namespace "nosuchns" does not exist on demo; still watching all namespaces`) {
		t.Fatalf("no refusal in the message line:\n%s", out)
	}
	ns("pravega")
	if len(scope.got) != 1 || scope.got[0].String() != "pravega" {
		t.Fatalf("scopes %v", scope.got)
	}
}
