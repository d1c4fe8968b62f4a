package tui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// command is one entry of the palette.
type command struct {
	name, desc string
	run        func(Model) (Model, tea.Cmd)
}

// palette is the ":" command line with fuzzy completion.
type palette struct {
	open     bool
	input    textinput.Model
	commands []command
	matches  []int
	cursor   int
	width    int
}

func newPalette(deps pane.Deps) palette {
	in := textinput.New()
	in.Prompt = ":"
	in.Placeholder = "pane or command"
	in.CharLimit = 64
	p := palette{input: in}
	for i, n := range paneNames {
		id := i
		p.commands = append(p.commands, command{name: n, desc: "go to the " + n + " pane", run: func(m Model) (Model, tea.Cmd) { return m.switchTo(id) }})
	}
	p.commands = append(p.commands,
		command{name: "help", desc: "show the keys", run: func(m Model) (Model, tea.Cmd) { m.showHelp = true; return m, nil }},
		command{name: "quit", desc: "leave streamops", run: func(m Model) (Model, tea.Cmd) { return m, tea.Quit }},
	)
	p.filter()
	return p
}

func (p *palette) show() tea.Cmd {
	p.open = true
	p.input.SetValue("")
	p.filter()
	return p.input.Focus()
}

func (p *palette) filter() {
	names := make([]string, len(p.commands))
	for i, c := range p.commands {
		names[i] = c.name
	}
	p.matches = pane.Match(p.input.Value(), names)
	p.cursor = 0
}

func (m Model) onPaletteKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	p := &m.palette
	switch msg.String() {
	case "esc", "ctrl+c":
		p.open = false
		p.input.Blur()
		return m, nil
	case "enter", "tab":
		if len(p.matches) == 0 {
			m.setStatus("no command matches "+p.input.Value(), true)
			p.open = false
			return m, nil
		}
		c := p.commands[p.matches[p.cursor]]
		if msg.String() == "tab" {
			p.input.SetValue(c.name)
			p.input.CursorEnd()
			p.filter()
			return m, nil
		}
		p.open = false
		p.input.Blur()
		return c.run(m)
	case "up", "ctrl+p":
		p.cursor = max(p.cursor-1, 0)
		return m, nil
	case "down", "ctrl+n":
		p.cursor = min(p.cursor+1, max(len(p.matches)-1, 0))
		return m, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	p.filter()
	return m, cmd
}

func (p palette) view(st themes.Styles) string {
	var b strings.Builder
	b.WriteString(p.input.View())
	for i, idx := range p.matches {
		if i >= 8 {
			break
		}
		c := p.commands[idx]
		line := pane.Fit(c.name, 10) + " " + st.Muted.Render(c.desc)
		if i == p.cursor {
			line = st.Selected.Render(pane.Fit(c.name, 10) + " " + c.desc)
		}
		b.WriteString("\n" + line)
	}
	if len(p.matches) == 0 {
		b.WriteString("\n" + st.Muted.Render("no match"))
	}
	w := min(max(p.width/2, 40), p.width-4)
	return st.Overlay.Width(w).Render(b.String())
}
