package pane

import (
	"slices"
	"testing"
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
