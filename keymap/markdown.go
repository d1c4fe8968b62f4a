package keymap

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

// Section is a named group of bindings, for help and documentation.
type Section struct {
	Name     string
	Bindings []key.Binding
}

// Sections lists every binding by where it works: the global ones, then
// each pane's group in the order of the key map, every binding of it.
func (k KeyMap) Sections() []Section {
	g := k.Global
	out := []Section{
		{"everywhere", []key.Binding{g.Members, g.Restarts, g.Logs, g.Streams, g.Scale, g.Access, g.NextPane, g.PrevPane,
			g.Up, g.Down, g.Top, g.Bottom, g.PageUp, g.PageDn, g.Left, g.Right, g.Select, g.Filter, g.Palette, g.Snapshot, g.Mouse, g.Help, g.Back, g.Quit}},
	}
	k.walk(func(group, _ string, b *key.Binding) {
		if group == "global" {
			return
		}
		if last := out[len(out)-1]; last.Name != group {
			out = append(out, Section{Name: group})
			if group == "object" { // the overlay's own keys follow the one that opens it
				out[len(out)-1].Bindings = append(out[len(out)-1].Bindings, g.Object)
			}
		}
		out[len(out)-1].Bindings = append(out[len(out)-1].Bindings, *b)
	})
	return out
}

// Markdown renders the key table the README carries.
func (k KeyMap) Markdown() string {
	var b strings.Builder
	b.WriteString("| where | key | action |\n|---|---|---|\n")
	for _, s := range k.Sections() {
		for _, bd := range s.Bindings {
			h := bd.Help()
			b.WriteString("| " + s.Name + " | `" + strings.ReplaceAll(h.Key, "|", "\\|") + "` | " + h.Desc + " |\n")
		}
	}
	return b.String()
}
