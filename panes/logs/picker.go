package logs

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	logengine "github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

// picker chooses what to follow: whole components (their members now and
// those that appear later) or single pods. It is a list like the others:
// j/k and the arrows move, space marks, enter follows, "/" narrows it
// (typing goes to the query only then), esc clears the query or cancels.
type picker struct {
	open   bool
	query  pane.Filter
	items  []pickItem
	fields [][]pane.Field
	shown  []int // indexes into items matching the query, best first
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

func newPicker(st themes.Styles) picker {
	return picker{query: pane.NewFilter(st), marked: map[string]bool{}}
}

// show opens the picker over the platform's components and pods, with
// the current selection marked.
func (p *picker) show(snap *platform.Snapshot, sel logengine.Selection) tea.Cmd {
	p.open = true
	p.query.Clear()
	p.cursor, p.offset = 0, 0
	clear(p.marked)
	for _, k := range sel.Components {
		p.marked[k] = true
	}
	for _, t := range sel.Targets {
		p.marked[t.Namespace+"/"+t.Pod] = true
	}
	p.setItems(snap)
	return nil
}

func (p *picker) setItems(snap *platform.Snapshot) {
	p.items, p.fields = p.items[:0], p.fields[:0]
	if snap != nil {
		for _, c := range snap.Components {
			p.items = append(p.items, pickItem{key: c.Key(), comp: c,
				label: fmt.Sprintf("▣ %s %s/%s (%d pods)", c.Kind, c.Namespace, c.Cluster, len(c.Members))})
			p.fields = append(p.fields, []pane.Field{{Name: "kind", Value: c.Kind.String()}, {Name: "namespace", Value: c.Namespace},
				{Name: "cluster", Value: c.Cluster}})
		}
		for _, c := range snap.Components {
			for _, m := range c.Members {
				p.items = append(p.items, pickItem{key: m.Namespace + "/" + m.Name, pod: m,
					label: fmt.Sprintf("  %s/%s  %s", m.Namespace, m.Name, c.Kind)})
				p.fields = append(p.fields, []pane.Field{{Name: "pod", Value: m.Name}, {Name: "namespace", Value: m.Namespace},
					{Name: "kind", Value: c.Kind.String()}})
			}
		}
	}
	p.filter()
}

// filter ranks the items for the query: an exact name before a prefix
// before text inside a name; with no query, components before pods.
func (p *picker) filter() {
	p.shown = pane.MatchFields(p.query.Query(), p.fields)
	p.cursor = min(p.cursor, max(len(p.shown)-1, 0))
}

// update handles a key; done is true when the picker closed, apply when
// the user chose (the selection is then in selection()).
func (p *picker) update(msg tea.KeyPressMsg, d pane.Deps, height int) (done, apply bool, cmd tea.Cmd) {
	g := d.Keys.Global
	if handled, changed, cmd := p.query.Key(msg, g); handled {
		if changed {
			p.cursor = 0
			p.filter()
		}
		p.offset = pane.Scroll(p.offset, p.cursor, height, len(p.shown))
		return false, false, cmd
	}
	if c, ok := pane.Cursor(msg, g, p.cursor, height, len(p.shown)); ok {
		p.cursor = c
		p.offset = pane.Scroll(p.offset, p.cursor, height, len(p.shown))
		return false, false, nil
	}
	switch {
	case key.Matches(msg, g.Back):
		p.open = false
		return true, false, nil
	case key.Matches(msg, g.Select):
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
	}
	return false, false, nil
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
	b.WriteString(pane.Truncate(st.Title.Render("Follow which logs?")+st.Muted.Render("  space marks · enter follows · / narrows · esc cancels"), w))
	b.WriteByte('\n')
	if f := p.query.View(st); f != "" {
		b.WriteString(pane.Truncate(f, w))
	} else {
		b.WriteString(st.Muted.Render(pane.Truncate("/ narrows: pod, component, namespace, or kind:, namespace:, cluster:, pod:", w)))
	}
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
