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

// Sections lists every binding by where it works.
func (k KeyMap) Sections() []Section {
	g := k.Global
	return []Section{
		{"everywhere", []key.Binding{g.Members, g.Restarts, g.Logs, g.Streams, g.Scale, g.Access, g.NextPane, g.PrevPane,
			g.Up, g.Down, g.Top, g.Bottom, g.PageUp, g.PageDn, g.Filter, g.Palette, g.Snapshot, g.Help, g.Back, g.Quit}},
		{"members", []key.Binding{k.Members.Expand, g.Right, g.Left, k.Members.ExpandAll, k.Members.CollapseAll, k.Members.ToLogs}},
		{"access", []key.Binding{k.Access.Section, k.Access.CanI}},
	}
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
