package logs

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// View is what the user narrows the buffer to: a search (highlighted, with
// next/previous match) and include/exclude patterns (stern's -i and -e:
// regular expressions; a line is shown when it matches no exclude and, if
// there are includes, at least one include). The buffer keeps every line;
// the view decides what is shown, so changing it is retroactive.
type View struct {
	Search           string
	Include, Exclude []string
}

// Empty reports whether the view shows everything without highlight.
func (v View) Empty() bool { return v.Search == "" && len(v.Include) == 0 && len(v.Exclude) == 0 }

// Search is a compiled search: a literal, case-insensitive unless the query
// has an upper-case letter (smart case, as in less and vim).
type Search struct {
	query   string
	pattern []byte
	fold    bool
}

// NewSearch compiles a query; nil for an empty one.
func NewSearch(query string) *Search {
	if query == "" {
		return nil
	}
	s := &Search{query: query, fold: true}
	for _, r := range query {
		if unicode.IsUpper(r) {
			s.fold = false
			break
		}
	}
	s.pattern = []byte(query)
	if s.fold {
		s.pattern = lowerASCII(nil, s.pattern)
	}
	return s
}

// Query is the text searched for.
func (s *Search) Query() string {
	if s == nil {
		return ""
	}
	return s.query
}

// Match reports whether text contains the query. scratch is reused between
// calls to avoid allocating.
func (s *Search) Match(text []byte, scratch *[]byte) bool {
	if !s.fold {
		return bytes.Contains(text, s.pattern)
	}
	*scratch = lowerASCII((*scratch)[:0], text)
	return bytes.Contains(*scratch, s.pattern)
}

// Find appends the byte ranges of every non-overlapping match in text.
func (s *Search) Find(text []byte, dst [][2]int) [][2]int {
	hay := text
	if s.fold {
		hay = lowerASCII(make([]byte, 0, len(text)), text)
	}
	off := 0
	for {
		i := bytes.Index(hay[off:], s.pattern)
		if i < 0 {
			return dst
		}
		dst = append(dst, [2]int{off + i, off + i + len(s.pattern)})
		off += i + len(s.pattern)
	}
}

// FindString is Find for a string.
func (s *Search) FindString(text string, dst [][2]int) [][2]int {
	if !s.fold {
		off := 0
		for {
			i := strings.Index(text[off:], s.query)
			if i < 0 {
				return dst
			}
			dst = append(dst, [2]int{off + i, off + i + len(s.query)})
			off += i + len(s.query)
		}
	}
	return s.Find([]byte(text), dst)
}

func lowerASCII(dst, src []byte) []byte {
	for _, c := range src {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// Filter is a compiled include/exclude pair.
type Filter struct {
	include, exclude []*regexp.Regexp
}

// NewFilter compiles include and exclude patterns; nil when both are empty.
func NewFilter(include, exclude []string) (*Filter, error) {
	if len(include) == 0 && len(exclude) == 0 {
		return nil, nil
	}
	f := &Filter{}
	for _, p := range include {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("include %q: %w", p, err)
		}
		f.include = append(f.include, re)
	}
	for _, p := range exclude {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("exclude %q: %w", p, err)
		}
		f.exclude = append(f.exclude, re)
	}
	return f, nil
}

// Keep reports whether a line passes the filter.
func (f *Filter) Keep(text []byte) bool {
	for _, re := range f.exclude {
		if re.Match(text) {
			return false
		}
	}
	if len(f.include) == 0 {
		return true
	}
	for _, re := range f.include {
		if re.Match(text) {
			return true
		}
	}
	return false
}
