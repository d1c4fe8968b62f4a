package streams

import (
	"context"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/keymap"
)

// program runs the pane alone as a bubbletea program, as the console's
// root would (sized, its commands run).
type program struct{ m Model }

func (p program) Init() tea.Cmd { return p.m.Init() }

func (p program) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		p.m.SetSize(ws.Width, ws.Height)
		return p, nil
	}
	var cmd tea.Cmd
	p.m, cmd = p.m.Update(msg)
	return p, cmd
}

func (p program) View() tea.View { return tea.NewView(p.m.View()) }

// countingTerminal counts the bytes the program writes.
type countingTerminal struct {
	mu sync.Mutex
	n  int
}

func (c *countingTerminal) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.n += len(b)
	c.mu.Unlock()
	return len(b), nil
}

func (c *countingTerminal) bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// settle waits until the terminal has had no write for a while and
// returns its count.
func (c *countingTerminal) settle(t *testing.T) int {
	t.Helper()
	last, since := c.bytes(), time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n := c.bytes(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 300*time.Millisecond {
			return n
		}
	}
	t.Fatal("the terminal never went quiet")
	return 0
}

// TestIdleWritesNothing runs the pane as a program on 50 jobs (and 500
// streams) at 160x48 and 20 fps: once a report is drawn, nothing reaches
// the terminal until something changes, in either view, and a read that
// changes nothing (a report with the same data) writes nothing either.
func TestIdleWritesNothing(t *testing.T) {
	m, src := newPane(t, 160, 48)
	term := &countingTerminal{}
	ctx, cancel := context.WithCancel(context.Background())
	p := tea.NewProgram(program{m: m}, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(term), tea.WithWindowSize(160, 48), tea.WithFPS(20))
	done := make(chan struct{})
	go func() { _, _ = p.Run(); close(done) }()
	defer func() { cancel(); <-done }()

	rep := bigReport()
	rep.Seq = 1
	src.ch <- rep
	drawn := term.settle(t)
	if drawn == 0 {
		t.Fatal("nothing drawn")
	}
	idle := func(what string) {
		t.Helper()
		before := term.bytes()
		time.Sleep(time.Second) // twenty frames
		if n := term.bytes() - before; n != 0 {
			t.Errorf("%s: %d bytes to the terminal in a second with nothing changing", what, n)
		}
	}
	idle("Pravega view")
	rep.Seq = 2
	src.ch <- rep
	time.Sleep(300 * time.Millisecond)
	if n := term.settle(t) - drawn; n != 0 {
		t.Errorf("a read that changed nothing wrote %d bytes", n)
	}
	p.Send(keymap.Press(m.deps.Keys.Streams.Section))
	if term.settle(t) == drawn {
		t.Fatal("the Flink view was not drawn")
	}
	idle("Flink view")
	t.Logf("first frame %d bytes; 0 bytes idle and on an unchanged read", drawn)
}
