package pane

import "testing"

func TestSpark(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		width  int
		want   string
	}{
		{nil, 10, ""},
		{[]float64{1, 2, 3}, 0, ""},
		{[]float64{0, 7, 14}, 10, "▁▄█"},
		{[]float64{5, 5, 5}, 10, "▄▄▄"},
		{[]float64{100, 0, 1, 2, 3, 4, 5, 6, 7}, 8, "▁▂▃▄▅▆▇█"}, // the oldest left out
		{[]float64{3, 1}, 10, "█▁"},
	} {
		if got := Spark(tc.values, tc.width); got != tc.want {
			t.Errorf("Spark(%v, %d) = %q, want %q", tc.values, tc.width, got, tc.want)
		}
	}
	if r := SparkRune(-5, 0, 10); r != '▁' {
		t.Errorf("below the scale: %q", r)
	}
	if r := SparkRune(50, 0, 10); r != '█' {
		t.Errorf("above the scale: %q", r)
	}
}
