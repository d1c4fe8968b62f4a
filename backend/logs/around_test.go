package logs

import "testing"

// TestAround: the lines of the hit's source around it, filter or not.
func TestAround(t *testing.T) {
	b := NewBuffer(100)
	for i := range 30 {
		b.Append(Line{Source: uint32(i % 3), Text: []byte{byte('a' + i%26)}})
	}
	f, err := NewFilter([]string{"^z$"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.SetView(f, nil) // only one line visible
	lines, ok := b.Around(13, 2, 100, nil)
	if !ok || len(lines) != 5 {
		t.Fatalf("%d lines, ok %v", len(lines), ok)
	}
	for i, want := range []uint64{7, 10, 13, 16, 19} {
		if lines[i].Seq != want || lines[i].Source != 1 {
			t.Errorf("line %d: seq %d source %d, want seq %d source 1", i, lines[i].Seq, lines[i].Source, want)
		}
	}
	if lines, _ := b.Around(1, 5, 100, nil); len(lines) != 1+5 || lines[0].Seq != 1 {
		t.Errorf("at the start: %d lines from %d", len(lines), lines[0].Seq)
	}
	if _, ok := b.Around(500, 2, 100, nil); ok {
		t.Error("a seq not held is found")
	}
}
