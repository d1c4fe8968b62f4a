package logs

import (
	"fmt"
	"testing"
)

func fill(b *Buffer, n int, text func(i int) string) {
	for i := 0; i < n; i++ {
		s := text(i)
		l := Line{Time: int64(i + 1), Text: []byte(s)}
		l.Level, _ = Detect(l.Text)
		b.Append(l)
	}
}

func texts(w Window) []string {
	var out []string
	for _, l := range w.Lines {
		out = append(out, string(l.Text))
	}
	return out
}

func TestBufferBounded(t *testing.T) {
	tests := []struct {
		name            string
		limit, appended int
		held            int
		dropped         uint64
		first           string
	}{
		{"under the limit", 10, 7, 7, 0, "line 0"},
		{"at the limit", 10, 10, 10, 0, "line 0"},
		{"over the limit", 10, 25, 10, 15, "line 15"},
		{"far over", 3, 1000, 3, 997, "line 997"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuffer(tt.limit)
			fill(b, tt.appended, func(i int) string { return fmt.Sprintf("line %d", i) })
			st := b.Stats()
			if st.Held != tt.held || st.Dropped != tt.dropped || st.Total != uint64(tt.appended) {
				t.Fatalf("stats %+v, want held %d dropped %d", st, tt.held, tt.dropped)
			}
			w := b.From(0, 1, nil)
			if len(w.Lines) != 1 || string(w.Lines[0].Text) != tt.first {
				t.Fatalf("oldest %q, want %q", texts(w), tt.first)
			}
			w = b.Tail(2, nil)
			if got := texts(w); got[len(got)-1] != fmt.Sprintf("line %d", tt.appended-1) {
				t.Fatalf("tail %q", got)
			}
		})
	}
}

func TestBufferClearIsNotDropped(t *testing.T) {
	b := NewBuffer(5)
	fill(b, 8, func(i int) string { return "x" })
	b.Clear()
	fill(b, 2, func(i int) string { return "y" })
	st := b.Stats()
	if st.Held != 2 || st.Dropped != 3 || st.Total != 10 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBufferSearchAndErrors(t *testing.T) {
	b := NewBuffer(100)
	fill(b, 50, func(i int) string {
		switch {
		case i%10 == 3:
			return fmt.Sprintf("ERROR boom %d", i)
		case i%7 == 0:
			return fmt.Sprintf("INFO Checkpoint %d", i)
		}
		return fmt.Sprintf("INFO ok %d", i)
	})
	b.SetView(nil, NewSearch("checkpoint")) // smart case: insensitive
	st := b.Stats()
	if st.Matches != 8 || st.Errors != 5 {
		t.Fatalf("stats %+v, want 8 matches, 5 errors", st)
	}
	seq, ok := b.NextMatch(0)
	if !ok || seq != 7 {
		t.Fatalf("next match after 0: %d %v", seq, ok)
	}
	seq, ok = b.PrevMatch(7)
	if !ok || seq != 0 {
		t.Fatalf("prev match before 7: %d %v", seq, ok)
	}
	if _, ok := b.NextMatch(49); ok {
		t.Fatal("match after the last line")
	}
	seq, _ = b.NextError(13)
	if seq != 23 {
		t.Fatalf("next error after 13: %d", seq)
	}
	seq, _ = b.PrevError(23)
	if seq != 13 {
		t.Fatalf("prev error before 23: %d", seq)
	}
	b.SetView(nil, NewSearch("Checkpoint 14")) // upper case: sensitive
	if st := b.Stats(); st.Matches != 1 {
		t.Fatalf("matches %d", st.Matches)
	}
	b.SetView(nil, NewSearch("checkpoint 14"))
	if st := b.Stats(); st.Matches != 1 {
		t.Fatalf("insensitive matches %d", st.Matches)
	}
	b.SetView(nil, NewSearch("CHECKPOINT"))
	if st := b.Stats(); st.Matches != 0 {
		t.Fatalf("sensitive matches %d", st.Matches)
	}
}

// TestBufferIndexesFollowDrops checks that match and error indexes forget
// lines the ring dropped.
func TestBufferIndexesFollowDrops(t *testing.T) {
	b := NewBuffer(10)
	b.SetView(nil, NewSearch("hit"))
	fill(b, 3000, func(i int) string {
		if i%2 == 0 {
			return "ERROR hit"
		}
		return "INFO"
	})
	st := b.Stats()
	if st.Matches != 5 || st.Errors != 5 || st.Held != 10 {
		t.Fatalf("stats %+v", st)
	}
	if seq, ok := b.PrevError(0); ok {
		t.Fatalf("error before the buffer: %d", seq)
	}
	seq, ok := b.NextError(0)
	if !ok || seq != 2990 {
		t.Fatalf("first error %d", seq)
	}
}

func TestBufferFilter(t *testing.T) {
	b := NewBuffer(100)
	fill(b, 30, func(i int) string {
		if i%3 == 0 {
			return fmt.Sprintf("ERROR health check %d", i)
		}
		return fmt.Sprintf("INFO request %d", i)
	})
	f, err := NewFilter(nil, []string{"health"})
	if err != nil {
		t.Fatal(err)
	}
	b.SetView(f, NewSearch("request 2"))
	st := b.Stats()
	if st.Visible != 20 || st.Errors != 0 || st.Matches != 8 {
		t.Fatalf("stats %+v, want 20 visible, 0 errors, 8 matches", st)
	}
	// new lines go through the filter too
	b.Append(Line{Text: []byte("health again")}, Line{Text: []byte("request 200")}, Line{Text: []byte("notice"), Notice: true})
	if st := b.Stats(); st.Visible != 22 || st.Matches != 9 {
		t.Fatalf("after append %+v", st)
	}
	w := b.Tail(3, nil)
	if got := texts(w); fmt.Sprint(got) != "[INFO request 29 request 200 notice]" {
		t.Fatalf("tail %q", got)
	}
	if w.Pos != 19 {
		t.Fatalf("pos %d", w.Pos)
	}
	// Step and CountAfter move over visible lines only
	seq, _ := b.Step(0, 1)
	if seq != 2 {
		t.Fatalf("step from 0: %d", seq)
	}
	if n := b.CountAfter(2); n != 20 {
		t.Fatalf("after 2: %d", n)
	}
	f, _ = NewFilter([]string{"^ERROR"}, nil)
	b.SetView(f, nil)
	if st := b.Stats(); st.Visible != 11 || st.Errors != 10 {
		t.Fatalf("include %+v", st)
	}
	if _, err := NewFilter([]string{"("}, nil); err == nil {
		t.Fatal("bad pattern accepted")
	}
}

// TestBufferTextIsCopied checks that the buffer does not keep the caller's
// bytes.
func TestBufferTextIsCopied(t *testing.T) {
	b := NewBuffer(10)
	text := []byte("original")
	b.Append(Line{Text: text})
	copy(text, "XXXXXXXX")
	if got := string(b.Tail(1, nil).Lines[0].Text); got != "original" {
		t.Fatalf("got %q", got)
	}
}

// TestBufferByteLimit: long lines cannot make the buffer hold more text
// than its byte limit; the oldest lines go, the order and the indexes stay
// right, and a buffer that dropped by bytes grows again when lines are
// short.
func TestBufferByteLimit(t *testing.T) {
	b := NewBuffer(100)
	b.byteLimit = 1000
	fill(b, 30, func(i int) string { return fmt.Sprintf("%03d ERROR %s", i, string(make([]byte, 90))) }) // 100 bytes each
	st := b.Stats()
	if st.Held != 10 || st.Dropped != 20 || b.bytes != 1000 {
		t.Fatalf("held %d dropped %d bytes %d, want 10, 20, 1000", st.Held, st.Dropped, b.bytes)
	}
	if st.Errors != 10 {
		t.Fatalf("%d errors indexed, want the 10 held", st.Errors)
	}
	if w := b.From(0, 1, nil); string(w.Lines[0].Text[:3]) != "020" {
		t.Fatalf("oldest %q, want line 020", w.Lines[0].Text[:3])
	}
	// Short lines: the ring grows again, past where it wrapped, up to the
	// line limit, oldest first.
	fill(b, 200, func(i int) string { return fmt.Sprintf("s%03d", i) })
	st = b.Stats()
	if st.Held != 100 || b.bytes > 1000 {
		t.Fatalf("held %d bytes %d, want the line limit 100 within 1000 bytes", st.Held, b.bytes)
	}
	got := texts(b.Tail(100, nil))
	for i, s := range got {
		if want := fmt.Sprintf("s%03d", 100+i); s != want {
			t.Fatalf("line %d is %q, want %q", i, s, want)
		}
	}
	if st.Errors != 0 {
		t.Fatalf("%d errors still indexed after their lines went", st.Errors)
	}
	// One line longer than the whole limit is still kept, alone.
	b.Append(Line{Text: make([]byte, 5000)})
	if st := b.Stats(); st.Held != 1 {
		t.Fatalf("held %d after an oversized line, want 1", st.Held)
	}
}
