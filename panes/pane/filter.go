package pane

import (
	"slices"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/sahilm/fuzzy"

	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
)

// Filter is the fuzzy filter every list has: "/" opens it, typing narrows
// the list (sahilm/fuzzy), enter keeps the filter, esc clears it.
type Filter struct {
	input  textinput.Model
	active bool // the input has the keyboard
}

// NewFilter returns an empty, inactive filter.
func NewFilter(st themes.Styles) Filter {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "filter"
	in.CharLimit = 128
	in.SetStyles(st.InputStyles())
	return Filter{input: in}
}

// Active reports whether the filter input has the keyboard.
func (f Filter) Active() bool { return f.active }

// Query is the current filter text.
func (f Filter) Query() string { return f.input.Value() }

// Focus opens the input.
func (f *Filter) Focus() tea.Cmd {
	f.active = true
	return f.input.Focus()
}

// Update handles a key while the input is open; done is true when the user
// pressed enter (keep) or esc (clear).
func (f *Filter) Update(msg tea.Msg) (done bool, cmd tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "enter":
			f.active = false
			f.input.Blur()
			return true, nil
		case "esc":
			f.active = false
			f.input.Blur()
			f.input.SetValue("")
			return true, nil
		}
	}
	f.input, cmd = f.input.Update(msg)
	return false, cmd
}

// Clear empties the filter.
func (f *Filter) Clear() {
	f.input.SetValue("")
	f.active = false
	f.input.Blur()
}

// View renders the input line, or the active query, or "" when unused.
func (f Filter) View(st themes.Styles) string {
	if f.active {
		return f.input.View()
	}
	if q := f.input.Value(); q != "" {
		return st.Muted.Render("filter: ") + st.Accent.Render(q) + st.Muted.Render("  (esc clears)")
	}
	return ""
}

// Match returns the indexes of items matching the query, best first; all
// items in order when the query is empty.
func Match(query string, items []string) []int {
	out := make([]int, 0, len(items))
	if query == "" {
		for i := range items {
			out = append(out, i)
		}
		return out
	}
	for _, m := range fuzzy.Find(query, items) {
		out = append(out, m.Index)
	}
	return out
}

// MatchInOrder is Match for a list that keeps its own order among the
// matches (most restarted first, components before pods): the indexes of
// the matching items, ascending.
func MatchInOrder(query string, items []string) []int {
	out := Match(query, items)
	slices.Sort(out)
	return out
}

// Key handles the filter's keys in a list pane: every key while the input
// is open, the filter key to open it, and back (esc) to clear a query.
// handled says the pane should stop there; changed that the query changed
// and the list must be refreshed.
func (f *Filter) Key(msg tea.KeyPressMsg, g keymap.Global) (handled, changed bool, cmd tea.Cmd) {
	switch {
	case f.active:
		before := f.Query()
		_, cmd = f.Update(msg)
		return true, f.Query() != before || !f.active, cmd
	case key.Matches(msg, g.Filter):
		return true, false, f.Focus()
	case key.Matches(msg, g.Back) && f.Query() != "":
		f.Clear()
		return true, true, nil
	}
	return false, false, nil
}
