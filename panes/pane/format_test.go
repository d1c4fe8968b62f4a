package pane

import (
	"testing"
	"unicode/utf8"
)

func TestElideName(t *testing.T) {
	cases := []struct {
		s     string
		width int
		want  string
	}{
		{"pravega-pravega-controller-b121e3f-x7k2p", 40, "pravega-pravega-controller-b121e3f-x7k2p"},
		{"pravega-pravega-controller-b121e3f-x7k2p", 34, "pravega-…-controller-b121e3f-x7k2p"},
		{"pravega-pravega-controller-b121e3f-x7k2p", 27, "pravega-…ller-b121e3f-x7k2p"},
		{"bookkeeper-bookie-1", 12, "bo…-bookie-1"},
		{"abcdefghij", 5, "a…hij"},
		{"abcdefghij", 2, "ij"},
		{"abc", 0, ""},
	}
	for _, c := range cases {
		got := ElideName(c.s, c.width)
		if got != c.want {
			t.Errorf("ElideName(%q, %d) = %q, want %q", c.s, c.width, got, c.want)
		}
		if n := utf8.RuneCountInString(got); n > c.width {
			t.Errorf("ElideName(%q, %d) is %d wide", c.s, c.width, n)
		}
	}
	// two controller pods stay apart at every width a table gives them
	a, b := "pravega-pravega-controller-b121e3f-x7k2p", "pravega-pravega-controller-b121e3f-q9m4z"
	for w := 8; w < len(a); w++ {
		if ElideName(a, w) == ElideName(b, w) {
			t.Errorf("at %d cells both read %q", w, ElideName(a, w))
		}
	}
}
