package pane

import (
	"slices"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
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
		return InputView(f.input)
	}
	if q := f.input.Value(); q != "" {
		return st.Muted.Render("filter: ") + st.Accent.Render(q) + st.Muted.Render("  (esc clears)")
	}
	return ""
}

// Field is one column of a row as the filter sees it: the column's name
// (for the column:value form, lower case, e.g. "reason") and its text.
type Field struct{ Name, Value string }

// How well one word of a query matches a value; an item's rank is its
// words' weakest match.
const (
	noMatch = iota
	fuzzyMatch
	innerMatch  // inside a value
	prefixMatch // at the start of the value or of one of its words
	exactMatch  // the whole value, or one of its words
)

type term struct {
	column string // "" for any column
	text   string // lower case
}

// parseQuery splits a query into words; "column:value" narrows a word to
// a column that some item has (otherwise the colon is part of the word).
func parseQuery(q string, columns map[string]bool) []term {
	var out []term
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if col, val, ok := strings.Cut(w, ":"); ok && columns[col] {
			if val != "" {
				out = append(out, term{column: col, text: val})
			}
			continue // "reason:" alone narrows nothing yet
		}
		out = append(out, term{text: w})
	}
	return out
}

// wordsOf splits a value at what is not a letter or digit.
func wordsOf(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// matchValue rates how text (lower case) matches one value.
func matchValue(text, value string) int {
	v := strings.ToLower(value)
	switch {
	case v == "":
		return noMatch
	case v == text:
		return exactMatch
	case strings.HasPrefix(v, text):
		return prefixMatch
	}
	best := noMatch
	if strings.Contains(v, text) {
		best = innerMatch
	}
	for _, w := range wordsOf(v) {
		switch {
		case w == text:
			return exactMatch
		case strings.HasPrefix(w, text):
			best = max(best, prefixMatch)
		case best == noMatch && len(fuzzy.Find(text, []string{w})) > 0:
			best = fuzzyMatch // letters in order, inside one word
		}
	}
	return best
}

// rate is an item's rank for the terms (its weakest term), a score among
// items of one rank (the sum of its terms' best matches) and the length of
// the values matched (the shorter, the closer: "s" finds scale before
// streams).
func rate(terms []term, fields []Field) (rank, score, length int) {
	rank = exactMatch
	for _, t := range terms {
		best, bestLen := noMatch, 0
		for _, f := range fields {
			if t.column != "" && f.Name != t.column {
				continue
			}
			if r := matchValue(t.text, f.Value); r > best || r == best && r != noMatch && len(f.Value) < bestLen {
				best, bestLen = r, len(f.Value)
			}
		}
		if best == noMatch {
			return noMatch, 0, 0
		}
		rank, score, length = min(rank, best), score+best, length+bestLen
	}
	return rank, score, length
}

// MatchFields returns the indexes of items matching the query, best first:
// every word of the query must match a field (a "column:value" word only
// that column); whole values and words first, then prefixes, then text
// inside a value. Letters in order within one word (fuzzy) count only when
// no item matches otherwise, so "OOM" does not also find ImagePullBackOff.
// An empty query matches every item, in order.
func MatchFields(query string, items [][]Field) []int {
	out := make([]int, 0, len(items))
	columns := map[string]bool{}
	for _, fs := range items {
		for _, f := range fs {
			if f.Name != "" {
				columns[f.Name] = true
			}
		}
	}
	terms := parseQuery(query, columns)
	if len(terms) == 0 {
		for i := range items {
			out = append(out, i)
		}
		return out
	}
	type hit struct{ i, rank, score, length int }
	var hits []hit
	literal := false
	for i, fs := range items {
		rank, score, length := rate(terms, fs)
		if rank == noMatch {
			continue
		}
		literal = literal || rank > fuzzyMatch
		hits = append(hits, hit{i, rank, score, length})
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if a.rank != b.rank {
			return b.rank - a.rank
		}
		if a.score != b.score {
			return b.score - a.score
		}
		return a.length - b.length
	})
	for _, h := range hits {
		if literal && h.rank == fuzzyMatch {
			break
		}
		out = append(out, h.i)
	}
	return out
}

// MatchFieldsInOrder is MatchFields for a list that keeps its own order
// among the matches (most restarted first, components before pods).
func MatchFieldsInOrder(query string, items [][]Field) []int {
	out := MatchFields(query, items)
	slices.Sort(out)
	return out
}

// Match is MatchFields for items of one unnamed field each.
func Match(query string, items []string) []int {
	fs := make([][]Field, len(items))
	for i, s := range items {
		fs[i] = []Field{{Value: s}}
	}
	return MatchFields(query, fs)
}

// MatchInOrder is Match for a list that keeps its own order among the
// matches: the indexes of the matching items, ascending.
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

// InputView renders a text input so that its placeholder shows whole (in
// the input's placeholder style): bubbles' textinput draws only the
// placeholder's first letter when no width is set, which reads as typed
// text ("/f" for "filter").
func InputView(in textinput.Model) string {
	if in.Value() == "" {
		if w := lipgloss.Width(in.Placeholder); in.Width() < w {
			in.SetWidth(w)
		}
	}
	return in.View()
}

// Help is the filter's keys for the help overlay, as they work now: the
// filter key, and back (esc) only while a query is set, since that is all
// it does then.
func (f Filter) Help(g keymap.Global) []key.Binding {
	return []key.Binding{g.Filter, Derive(g.Back, "clear the filter", f.Query() != "")}
}
