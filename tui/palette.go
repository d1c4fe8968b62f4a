package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// command is one entry of the palette. A command with an argument is
// typed as "name argument".
type command struct {
	name, desc string
	arg        string // placeholder of the argument, "" for none
	run        func(m Model, arg string) (Model, tea.Cmd)
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
	in.SetStyles(deps.Styles.InputStyles())
	p := palette{input: in}
	for _, row := range paneTable {
		n, id := row.name, row.id
		p.commands = append(p.commands, command{name: n, desc: "go to the " + n + " pane", run: func(m Model, _ string) (Model, tea.Cmd) { return m.switchTo(id) }})
	}
	p.commands = append(p.commands,
		command{name: "ns", arg: "NAMESPACE|all", desc: "watch another namespace, or all", run: Model.setNamespace},
		command{name: "ctx", arg: "CONTEXT", desc: "switch to another kubeconfig context", run: Model.setContext},
		command{name: "report", desc: "write the triage report (ctrl+s)", run: func(m Model, _ string) (Model, tea.Cmd) { return m, m.triage() }},
		command{name: "readonly", desc: "refuse every change from now on", run: Model.readOnly},
		command{name: "help", desc: "show the keys", run: func(m Model, _ string) (Model, tea.Cmd) { m.showHelp = true; return m, nil }},
		command{name: "quit", desc: "leave streamops", run: func(m Model, _ string) (Model, tea.Cmd) { return m, tea.Quit }},
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

// filter matches the command word; what follows a space is its argument.
func (p *palette) filter() {
	names := make([]string, len(p.commands))
	for i, c := range p.commands {
		names[i] = c.name
	}
	word, _, _ := strings.Cut(p.input.Value(), " ")
	p.matches = pane.Match(word, names)
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
		_, arg, _ := strings.Cut(p.input.Value(), " ")
		arg = strings.TrimSpace(arg)
		if msg.String() == "tab" || c.arg != "" && arg == "" {
			p.input.SetValue(c.name + " ")
			p.input.CursorEnd()
			p.filter()
			return m, nil
		}
		p.open = false
		p.input.Blur()
		return c.run(m, arg)
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
	w := min(max(p.width*2/3, 60), p.width-4)
	inner := w - 4 // border and padding
	var b strings.Builder
	b.WriteString(pane.InputView(p.input))
	for i, idx := range p.matches {
		if i >= 8 {
			break
		}
		c := p.commands[idx]
		name := c.name
		if c.arg != "" {
			name += " " + c.arg
		}
		line := pane.Truncate(pane.Fit(name, 18)+" "+st.Muted.Render(c.desc), inner)
		if i == p.cursor {
			line = st.Selected.Render(pane.Fit(pane.Fit(name, 18)+" "+c.desc, inner))
		}
		b.WriteString("\n" + line)
	}
	if len(p.matches) == 0 {
		b.WriteString("\n" + st.Muted.Render("no match"))
	}
	return st.Overlay.Width(w).Render(b.String())
}

// setNamespace changes the watched namespaces: a name, or "all".
func (m Model) setNamespace(arg string) (Model, tea.Cmd) {
	if m.opts.Backends.Scope == nil {
		m.setStatus("this session cannot change namespaces", true)
		return m, nil
	}
	scope := kube.Scope{Namespaces: []string{arg}}
	if arg == "all" || arg == "-A" {
		scope = kube.Scope{}
	} else if errs := validation.IsDNS1123Label(arg); len(errs) > 0 {
		m.setStatus(fmt.Sprintf("ns %q: not a namespace name: %s", arg, errs[0]), true)
		return m, nil
	}
	nc, ok := m.opts.Backends.Scope.(NamespaceChecker)
	if scope.All() || !ok {
		return m.rescope(scope), nil
	}
	m.setStatus("checking namespace "+arg+"…", false)
	ctx := m.opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return nsCheckedMsg{scope: scope, err: nc.CheckNamespace(ctx, arg)}
	}
}

// NamespaceChecker is what a ScopeSetter may add: whether a namespace
// exists and is visible, asked before the scope moves to it.
type NamespaceChecker interface {
	CheckNamespace(ctx context.Context, ns string) error
}

type nsCheckedMsg struct {
	scope kube.Scope
	err   error
}

// rescope moves the watches to scope.
func (m Model) rescope(scope kube.Scope) Model {
	m.opts.Backends.Scope.SetScope(scope)
	m.opts.Scope = scope.String()
	m.setStatus("watching "+scope.String()+"…", false)
	return m
}

// readOnly turns the backend's read-only switch on: from here the scale
// engine refuses every dry run, apply and patch, a running plan stops
// before its next step, and the cluster clients refuse any write. It
// cannot be turned off from inside the console (restart without
// --readonly for that).
func (m Model) readOnly(string) (Model, tea.Cmd) {
	if !m.opts.ReadOnly.Set() {
		m.setStatus("already read-only", false)
		return m, nil
	}
	m.opts.Keys.ReadOnly()
	m.setStatus("read-only from now on: every change is refused", false)
	return m, m.broadcast(pane.ReadOnlyMsg{})
}

type contextCheckedMsg struct {
	name string
	err  error
}

// setContext checks the context answers, then quits so that the caller
// starts the console again on it; a failure stays a status line.
func (m Model) setContext(name string) (Model, tea.Cmd) {
	cc := m.opts.Backends.Contexts
	if cc == nil {
		m.setStatus("this session cannot switch contexts", true)
		return m, nil
	}
	if name == m.opts.Context {
		m.setStatus("already on context "+name, false)
		return m, nil
	}
	if have := cc.Contexts(); !slices.Contains(have, name) { // each call reads the kubeconfig
		m.setStatus(fmt.Sprintf("ctx %s: no such context (have: %s)", name, strings.Join(have, ", ")), true)
		return m, nil
	}
	m.setStatus("connecting to "+name+"…", false)
	ctx := m.opts.Ctx
	return m, func() tea.Msg {
		return contextCheckedMsg{name: name, err: cc.Check(ctx, name)}
	}
}
