package pane

import (
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/textinput"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamops/streamops/themes"
)

func TestMatchInOrder(t *testing.T) {
	items := []string{"bookkeeper-0", "zookeeper-0", "bookie", "controller"}
	if got, want := MatchInOrder("ok", items), []int{0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("MatchInOrder = %v, want %v", got, want)
	}
	if got, want := MatchInOrder("", items), []int{0, 1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("empty query: %v, want %v", got, want)
	}
}

func TestMatchRanksExactAndPrefixFirst(t *testing.T) {
	items := []string{"zookeeper-0", "bookkeeper-bookie-0", "book", "notebook"}
	if got, want := Match("book", items), []int{2, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("Match(book) = %v, want %v (exact, then prefix, then inside)", got, want)
	}
}

func TestMatchFuzzyOnlyWhenNothingMatchesLiterally(t *testing.T) {
	items := []string{"Terminated: OOMKilled", "ImagePullBackOff", "Error 1", "sensor-aggregation-taskmanager-1"}
	if got, want := Match("OOM", items), []int{0}; !slices.Equal(got, want) {
		t.Errorf("Match(OOM) = %v, want %v", got, want)
	}
	// letters in order within one word still find something when nothing
	// else does
	if got, want := Match("bkpr", []string{"bookkeeper", "controller"}), []int{0}; !slices.Equal(got, want) {
		t.Errorf("Match(bkpr) = %v, want %v", got, want)
	}
	// but never across words
	if got := Match("oom", []string{"sensor aggregation taskmanager"}); len(got) != 0 {
		t.Errorf("fuzzy matched across words: %v", got)
	}
}

func TestMatchFieldsColumnForm(t *testing.T) {
	row := func(pod, reason, kind string) []Field {
		return []Field{{"pod", pod}, {"reason", reason}, {"kind", kind}}
	}
	items := [][]Field{
		row("bookkeeper-bookie-1", "OOMKilled", "BookKeeper"),
		row("sensor-replay-x2x7q", "ImagePullBackOff", "Other"),
		row("pravega-segment-store-2", "Error", "SegmentStore"),
		row("oom-tester-0", "Completed", "Other"),
	}
	cases := []struct {
		name, query string
		want        []int
	}{
		{"column narrows", "reason:OOM", []int{0}},
		{"any column", "oom", []int{0, 3}},
		{"case folds", "KIND:bookkeeper", []int{0}},
		{"every word", "kind:other reason:image", []int{1}},
		{"no such value", "reason:nothing", []int{}},
		{"unknown column is text", "image:pull", []int{}},
		{"column alone narrows nothing yet", "reason:", []int{0, 1, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := MatchFieldsInOrder(c.query, items); !slices.Equal(got, c.want) {
				t.Errorf("MatchFieldsInOrder(%q) = %v, want %v", c.query, got, c.want)
			}
		})
	}
}

func TestInputViewShowsTheWholePlaceholder(t *testing.T) {
	f := NewFilter(themes.New(themes.Mono))
	f.Focus()
	if got := ansi.Strip(f.View(themes.New(themes.Mono))); !strings.HasPrefix(got, "/filter") {
		t.Errorf("filter input shows %q, want the whole placeholder", got)
	}
	in := textinput.New()
	in.Placeholder = "pane or command"
	in.Focus()
	if got := ansi.Strip(in.View()); strings.Contains(got, "command") {
		t.Fatalf("bubbles draws the whole placeholder now (%q): InputView may be unneeded", got)
	}
	if got := ansi.Strip(InputView(in)); !strings.Contains(got, "pane or command") {
		t.Errorf("InputView = %q", got)
	}
	in.SetValue("sc")
	if got := ansi.Strip(InputView(in)); !strings.HasPrefix(got, "> sc") {
		t.Errorf("typed text: %q", got)
	}
}
