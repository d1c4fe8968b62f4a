package keymap

import (
	"reflect"
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
			g.Up, g.Down, g.Top, g.Bottom, g.PageUp, g.PageDn, g.Left, g.Right, g.Select, g.Filter, g.Palette, g.Snapshot, g.Help, g.Back, g.Quit}},
	}
	groups := reflect.ValueOf(k)
	for i := 0; i < groups.NumField(); i++ {
		name := strings.ToLower(groups.Type().Field(i).Name)
		if name == "global" {
			continue
		}
		var bs []key.Binding
		group := groups.Field(i)
		for j := 0; j < group.NumField(); j++ {
			if b, ok := group.Field(j).Interface().(key.Binding); ok {
				bs = append(bs, b)
			}
		}
		out = append(out, Section{name, bs})
	}
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
