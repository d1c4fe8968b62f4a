package logs

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	logengine "github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
)

// picker chooses what to follow: whole components (their members now and
// those that appear later) or single pods, narrowed by a fuzzy query.
type picker struct {
	open   bool
	query  textinput.Model
	items  []pickItem
	shown  []int // indexes into items matching the query
	cursor int
	offset int
	marked map[string]bool
}

type pickItem struct {
	key   string // component key, or namespace/pod
	comp  *platform.Component
	pod   *platform.Member
	label string
}

func newPicker() picker {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "type to narrow: pod, component, namespace"
	in.CharLimit = 128
	return picker{query: in, marked: map[string]bool{}}
}

// show opens the picker over the platform's components and pods, with
// the current selection marked.
func (p *picker) show(snap *platform.Snapshot, sel logengine.Selection) tea.Cmd {
	p.open = true
	p.query.SetValue("")
	p.cursor, p.offset = 0, 0
	clear(p.marked)
	for _, k := range sel.Components {
		p.marked[k] = true
	}
	for _, t := range sel.Targets {
		p.marked[t.Namespace+"/"+t.Pod] = true
	}
	p.setItems(snap)
	return p.query.Focus()
}

func (p *picker) setItems(snap *platform.Snapshot) {
	p.items = p.items[:0]
	if snap != nil {
		for _, c := range snap.Components {
			p.items = append(p.items, pickItem{key: c.Key(), comp: c,
				label: fmt.Sprintf("▣ %s %s/%s (%d pods)", c.Kind, c.Namespace, c.Cluster, len(c.Members))})
		}
		for _, c := range snap.Components {
			for _, m := range c.Members {
				p.items = append(p.items, pickItem{key: m.Namespace + "/" + m.Name, pod: m,
					label: fmt.Sprintf("  %s/%s  %s", m.Namespace, m.Name, c.Kind)})
			}
		}
	}
	p.filter()
}

func (p *picker) filter() {
	texts := make([]string, len(p.items))
	for i, it := range p.items {
		texts[i] = it.label
	}
	// components first, then pods, whatever the match score
	p.shown = pane.MatchInOrder(p.query.Value(), texts)
	p.cursor = min(p.cursor, max(len(p.shown)-1, 0))
}

// update handles a key; done is true when the picker closed, apply when
// the user chose (the selection is then in selection()).
func (p *picker) update(msg tea.KeyPressMsg, km pane.Deps, height int) (done, apply bool, cmd tea.Cmd) {
	g := km.Keys.Global
	switch {
	case msg.String() == "esc":
		p.open = false
		return true, false, nil
	case msg.String() == "enter":
		if len(p.marked) == 0 && p.cursor < len(p.shown) {
			p.marked[p.items[p.shown[p.cursor]].key] = true
		}
		p.open = false
		return true, len(p.marked) > 0, nil
	case msg.String() == "space":
		if p.cursor < len(p.shown) {
			k := p.items[p.shown[p.cursor]].key
			p.marked[k] = !p.marked[k]
			if !p.marked[k] {
				delete(p.marked, k)
			}
		}
		return false, false, nil
	case msg.String() == "up", key.Matches(msg, g.PageUp):
		step := 1
		if msg.String() != "up" {
			step = height
		}
		p.cursor = max(p.cursor-step, 0)
	case msg.String() == "down", key.Matches(msg, g.PageDn):
		step := 1
		if msg.String() != "down" {
			step = height
		}
		p.cursor = max(min(p.cursor+step, len(p.shown)-1), 0)
	default:
		p.query, cmd = p.query.Update(msg)
		p.filter()
	}
	p.offset = pane.Scroll(p.offset, p.cursor, height, len(p.shown))
	return false, false, cmd
}

// selection is what the marked items select, and a title for it.
func (p *picker) selection() (logengine.Selection, string) {
	var sel logengine.Selection
	var names []string
	for _, it := range p.items {
		if !p.marked[it.key] {
			continue
		}
		if it.comp != nil {
			sel.Components = append(sel.Components, it.key)
			names = append(names, it.comp.Kind.String()+" "+it.comp.Namespace+"/"+it.comp.Cluster)
		} else {
			sel.Targets = append(sel.Targets, logengine.Target{Namespace: it.pod.Namespace, Pod: it.pod.Name})
			names = append(names, it.pod.Name)
		}
	}
	title := strings.Join(names, ", ")
	if len(names) > 2 {
		title = fmt.Sprintf("%s, %s and %d more", names[0], names[1], len(names)-2)
	}
	return sel, title
}

// view renders the picker in w x h.
func (p *picker) view(d pane.Deps, w, h int) string {
	st := d.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Follow which logs?") + st.Muted.Render("  space marks · enter follows · esc cancels"))
	b.WriteByte('\n')
	q := p.query
	q.SetStyles(st.InputStyles()) // the placeholder muted, as in every other input
	b.WriteString(pane.Truncate(pane.InputView(q), w))
	rows := max(h-3, 1)
	p.offset = pane.Scroll(p.offset, p.cursor, rows, len(p.shown))
	n := 0
	for i := p.offset; i < len(p.shown) && n < rows; i++ {
		it := p.items[p.shown[i]]
		box := "[ ] "
		if p.marked[it.key] {
			box = "[x] "
		}
		line := pane.Fit(box+it.label, w)
		switch {
		case i == p.cursor:
			line = st.Selected.Render(line)
		case it.comp != nil:
			line = st.Bold.Render(line)
		}
		b.WriteByte('\n')
		b.WriteString(line)
		n++
	}
	if len(p.shown) == 0 {
		b.WriteString("\n" + st.Muted.Render("  nothing matches"))
		n++
	}
	for ; n < rows; n++ {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(st.Muted.Render(fmt.Sprintf("%d marked · %d of %d", len(p.marked), len(p.shown), len(p.items))))
	return b.String()
}
