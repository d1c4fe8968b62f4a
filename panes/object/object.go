// Package object is the object overlay: one object's story (conditions,
// owner chain, events newest first, then its YAML) drawn over the active
// pane, scrollable and searchable. The root model opens it for the row a
// pane has selected (pane.Selector) and hosts it until esc.
package object

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	objectapi "github.com/streamops/streamops/backend/object"
	"github.com/streamops/streamops/panes/pane"
)

// Source loads a story (backend/object.Reader).
type Source interface {
	Load(ctx context.Context, ref objectapi.Ref) (objectapi.Story, error)
}

// Timeout bounds one load: a slow API server says so instead of loading
// for ever.
const Timeout = 15 * time.Second

// LoadedMsg carries a loaded story to the overlay that asked (seq).
type LoadedMsg struct {
	seq   int
	Story objectapi.Story
	Err   error
}

// line is one line of the overlay: its text (already sanitised by the
// backend) and how it is drawn.
type line struct {
	text  string
	style lipgloss.Style
}

// Model is the object overlay.
type Model struct {
	deps    pane.Deps
	src     Source
	timeout time.Duration
	open    bool
	seq     int
	ref     objectapi.Ref
	loaded  bool
	err     string
	story   objectapi.Story
	lines   []line

	top           int
	width, height int

	input   textinput.Model
	typing  bool   // the search input has the keyboard
	query   string // the search in force
	matches []int  // lines holding the query
}

// New returns a closed overlay loading from src (nil: it says the object
// cannot be read in this session).
func New(deps pane.Deps, src Source) Model {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "search"
	in.CharLimit = 128
	in.SetStyles(deps.Styles.InputStyles())
	return Model{deps: deps, src: src, input: in, timeout: Timeout}
}

// IsOpen reports whether the overlay is shown.
func (m Model) IsOpen() bool { return m.open }

// Capturing reports whether the search input has the keyboard.
func (m Model) Capturing() bool { return m.typing }

// SetSize sets the area the overlay covers (the pane area).
func (m *Model) SetSize(w, h int) {
	if w != m.width && m.loaded {
		m.width, m.height = w, h
		m.build() // lines wrap to the width
	}
	m.width, m.height = w, h
	m.top = m.clamp(m.top)
}

// Open shows the overlay for ref and starts loading it under ctx.
func (m Model) Open(ctx context.Context, ref objectapi.Ref) (Model, tea.Cmd) {
	m.seq++
	m.open, m.ref, m.loaded, m.err, m.story, m.lines, m.top = true, ref, false, "", objectapi.Story{}, nil, 0
	m.query, m.matches, m.typing = "", nil, false
	m.input.SetValue("")
	if m.src == nil {
		m.loaded, m.err = true, "objects cannot be read in this session"
		m.build()
		return m, nil
	}
	src, seq, timeout := m.src, m.seq, m.timeout
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		st, err := src.Load(ctx, ref)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%s: no answer within %s", ref.Title(), timeout)
		}
		return LoadedMsg{seq: seq, Story: st, Err: err}
	}
}

// Update handles the overlay's load result and keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.seq != m.seq || !m.open {
			return m, nil // a load the user no longer waits for
		}
		m.loaded, m.story = true, msg.Story
		if msg.Err != nil {
			m.err = firstLine(msg.Err.Error())
		}
		m.build()
		return m, nil
	case pane.TickMsg: // ages
		if m.open && m.loaded {
			m.build()
		}
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			m.top = m.clamp(m.top - 3)
		} else if msg.Button == tea.MouseWheelDown {
			m.top = m.clamp(m.top + 3)
		}
	}
	return m, nil
}

func (m Model) onKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	g, k := m.deps.Keys.Global, m.deps.Keys.Object
	if m.typing {
		switch msg.String() {
		case "enter":
			m.typing = false
			m.input.Blur()
			m.search(m.input.Value())
			return m, nil
		case "esc":
			m.typing = false
			m.input.Blur()
			m.input.SetValue(m.query)
			return m, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	page := max(m.bodyHeight()-1, 1)
	switch {
	case key.Matches(msg, g.Back):
		if m.query != "" {
			m.query, m.matches = "", nil
			m.input.SetValue("")
			return m, nil
		}
		m.open = false
		m.seq++ // a load still running is not waited for
		return m, nil
	case key.Matches(msg, k.Search):
		m.typing = true
		return m, m.input.Focus()
	case key.Matches(msg, k.NextMatch):
		m.jump(+1)
	case key.Matches(msg, k.PrevMatch):
		m.jump(-1)
	case key.Matches(msg, g.Down):
		m.top = m.clamp(m.top + 1)
	case key.Matches(msg, g.Up):
		m.top = m.clamp(m.top - 1)
	case key.Matches(msg, g.PageDn):
		m.top = m.clamp(m.top + page)
	case key.Matches(msg, g.PageUp):
		m.top = m.clamp(m.top - page)
	case key.Matches(msg, g.Top):
		m.top = 0
	case key.Matches(msg, g.Bottom):
		m.top = m.clamp(len(m.lines))
	}
	return m, nil
}

// search finds the lines holding q (smart case: case-insensitive unless
// q has a capital) and goes to the first at or below the top line.
func (m *Model) search(q string) {
	m.query, m.matches = q, nil
	if q == "" {
		return
	}
	for i, l := range m.lines {
		if matchAt(l.text, q) >= 0 {
			m.matches = append(m.matches, i)
		}
	}
	for _, i := range m.matches {
		if i >= m.top {
			m.top = m.clamp(i)
			return
		}
	}
	if len(m.matches) > 0 {
		m.top = m.clamp(m.matches[0])
	}
}

// jump goes to the next (dir +1) or previous match from the top line,
// wrapping around.
func (m *Model) jump(dir int) {
	if len(m.matches) == 0 {
		return
	}
	target := -1
	if dir > 0 {
		for _, i := range m.matches {
			if i > m.top {
				target = i
				break
			}
		}
		if target < 0 {
			target = m.matches[0]
		}
	} else {
		for j := len(m.matches) - 1; j >= 0; j-- {
			if m.matches[j] < m.top {
				target = m.matches[j]
				break
			}
		}
		if target < 0 {
			target = m.matches[len(m.matches)-1]
		}
	}
	m.top = m.clamp(target)
}

// matchAt is the byte offset of q in s, smart case, or -1.
func matchAt(s, q string) int {
	if lowerASCII(q) == q {
		return strings.Index(lowerASCII(s), q)
	}
	return strings.Index(s, q)
}

// lowerASCII lowers A-Z only, so that byte offsets stay those of s.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// bodyHeight is the lines between the title and the footer.
func (m Model) bodyHeight() int { return max(m.height-2, 1) }

func (m Model) clamp(top int) int {
	return max(min(top, len(m.lines)-m.bodyHeight()), 0)
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// ShortHelp lists the overlay's main keys.
func (m Model) ShortHelp() []key.Binding {
	g, k := m.deps.Keys.Global, m.deps.Keys.Object
	return []key.Binding{k.Search, k.NextMatch, g.Down, g.PageDn, closeKey(g.Back)}
}

// FullHelp lists every key of the overlay.
func (m Model) FullHelp() [][]key.Binding {
	g, k := m.deps.Keys.Global, m.deps.Keys.Object
	return [][]key.Binding{{k.Search, k.NextMatch, k.PrevMatch}, {g.Up, g.Down, g.PageUp, g.PageDn, g.Top, g.Bottom, closeKey(g.Back)}}
}

// closeKey is back, described as what it does here.
func closeKey(b key.Binding) key.Binding {
	b.SetHelp(b.Help().Key, "close")
	return b
}
