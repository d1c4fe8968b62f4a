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

// TestRelease: lines a reader wrote out go without counting as dropped,
// the rest stay where they were.
func TestRelease(t *testing.T) {
	b := NewBuffer(100)
	for i := range 10 {
		b.Append(Line{Text: []byte{byte('a' + i)}})
	}
	b.Release(4)
	st := b.Stats()
	if st.Held != 6 || st.Dropped != 0 || st.Total != 10 {
		t.Fatalf("after Release(4): %+v", st)
	}
	w := b.From(0, 100, nil)
	if len(w.Lines) != 6 || w.Lines[0].Seq != 4 || string(w.Lines[0].Text) != "e" {
		t.Fatalf("window from 0: %d lines from %d", len(w.Lines), w.Lines[0].Seq)
	}
	b.Release(100)
	if st := b.Stats(); st.Held != 0 || st.Dropped != 0 {
		t.Fatalf("after releasing all: %+v", st)
	}
	b.Append(Line{Text: []byte("k")})
	if l, _ := b.Last(); l != 10 {
		t.Fatalf("next seq %d, want 10", l)
	}
}
