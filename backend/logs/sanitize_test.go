package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// assertSafe fails when out holds anything a terminal would act on.
func assertSafe(t *testing.T, out []byte) {
	t.Helper()
	for i, c := range out {
		if c < 0x20 || c == 0x7f {
			t.Fatalf("control byte %#x at %d in %q", c, i, out)
		}
	}
	if !utf8.Valid(out) {
		t.Fatalf("invalid UTF-8 in %q", out)
	}
	for _, r := range string(out) {
		if r >= 0x80 && r <= 0x9f {
			t.Fatalf("C1 control %U in %q", r, out)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello world", "hello world"},
		{"empty", "", ""},
		{"CSI colours", "\x1b[31;1mERROR\x1b[0m disk full", "ERROR disk full"},
		{"CSI 256 and truecolour", "\x1b[38;5;196mred\x1b[48;2;10;20;30m bg\x1b[m", "red bg"},
		{"cursor moves and erase", "a\x1b[2J\x1b[H\x1b[10;20Hb\x1b[1A\x1b[K", "ab"},
		{"private mode alt screen", "\x1b[?1049hx\x1b[?25l", "x"},
		{"OSC 0 title with BEL", "\x1b]0;pwned\x07after", "after"},
		{"OSC 2 title with ST", "\x1b]2;pwned\x1b\\after", "after"},
		{"OSC 52 clipboard with BEL", "x\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07y", "xy"},
		{"OSC 52 clipboard with ST", "x\x1b]52;c;Y3VybA==\x1b\\y", "xy"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"OSC unterminated swallows the rest", "keep\x1b]0;title without end", "keep"},
		{"DCS", "a\x1bP1$r0m\x1b\\b", "ab"},
		{"APC and PM", "a\x1b_apc\x1b\\b\x1b^pm\x1b\\c", "abc"},
		{"ESC two-byte", "a\x1b7b\x1b8c\x1bcd", "abcd"},
		{"ESC charset", "a\x1b(Bb\x1b)0c", "abc"},
		{"ESC at end", "abc\x1b", "abc␛"},
		{"ESC inside OSC starts a new sequence", "\x1b]0;t\x1b[31mx", "x"},
		{"8-bit CSI as UTF-8", "a\u009b31mb", "ab"},
		{"8-bit OSC as UTF-8", "a\u009d0;title\u009cb", "ab"},
		{"raw 8-bit CSI byte", "a\x9b31mb", "a\uFFFD31mb"},
		{"bare CR", "progress 10%\rprogress 20%", "progress 10%␍progress 20%"},
		{"backspace", "passw\x08\x08\x08***", "passw␈␈␈***"},
		{"NUL", "a\x00b", "a␀b"},
		{"BEL alone", "ding\x07", "ding␇"},
		{"DEL", "a\x7fb", "a␡b"},
		{"vertical tab form feed", "a\x0bb\x0cc", "a␋b␌c"},
		{"tab at start", "\tat com.foo.Bar(Bar.java:1)", "    at com.foo.Bar(Bar.java:1)"},
		{"tab mid-line aligns to 4", "ab\tc", "ab  c"},
		{"invalid UTF-8", "a\xff\xfeb", "a\uFFFD\uFFFDb"},
		{"truncated UTF-8", "a\xe2\x82", "a\uFFFD\uFFFD"},
		{"overlong encoding", "\xc0\xaf", "\uFFFD\uFFFD"},
		{"valid UTF-8 kept", "日本語 ✓ ü", "日本語 ✓ ü"},
		{"malformed CSI stops at control", "a\x1b[31\nb", "a␊b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sanitize(nil, []byte(tt.in), 0)
			if string(got) != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			assertSafe(t, got)
			if bytes.IndexByte(got, 0x1b) >= 0 {
				t.Errorf("ESC survived in %q", got)
			}
		})
	}
}

func TestSanitizeLongLine(t *testing.T) {
	in := bytes.Repeat([]byte("x\x1b[31m"), 1<<20/6) // ~1 MB with escapes
	in = append(in, bytes.Repeat([]byte("y"), 1<<20)...)
	got := Sanitize(nil, in, DefaultMaxLine)
	assertSafe(t, got)
	if len(got) > DefaultMaxLine+64 {
		t.Fatalf("len %d, want at most %d", len(got), DefaultMaxLine+64)
	}
	if !bytes.HasSuffix(got, []byte(" bytes cut]")) {
		t.Fatalf("no cut marker: %q", got[len(got)-40:])
	}
}

func TestSanitizeCutKeepsRunes(t *testing.T) {
	in := strings.Repeat("é", 100) // 2 bytes each
	got := Sanitize(nil, []byte(in), 51)
	assertSafe(t, got)
	if !strings.HasPrefix(string(got), strings.Repeat("é", 25)+" [… ") {
		t.Fatalf("got %q", got)
	}
}

// FuzzSanitize checks the invariant on any input.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"\x1b]52;c;x\x07", "\x1b[31m", "\xff", "\t\r\x00", "\u009b1m"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := Sanitize(nil, in, 256)
		assertSafe(t, out)
		if bytes.IndexByte(out, 0x1b) >= 0 {
			t.Fatalf("ESC in %q", out)
		}
	})
}

func TestSplitTimestamp(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // RFC3339Nano, "" when not a timestamp
		rest     string
	}{
		{"kubelet nanos", "2026-11-24T09:00:01.123456789Z hello", "2026-11-24T09:00:01.123456789Z", "hello"},
		{"no fraction", "2026-11-24T09:00:01Z hello", "2026-11-24T09:00:01Z", "hello"},
		{"offset", "2026-11-24T10:00:01.5+01:00 x", "2026-11-24T09:00:01.5Z", "x"},
		{"empty message", "2026-11-24T09:00:01.000000000Z", "2026-11-24T09:00:01Z", ""},
		{"not a timestamp", "hello world, this is long enough", "", "hello world, this is long enough"},
		{"java date is not one", "2026-11-24 09:00:01,123 INFO x", "", "2026-11-24 09:00:01,123 INFO x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, rest, ok := splitTimestamp([]byte(tt.in))
			if ok != (tt.want != "") {
				t.Fatalf("ok = %v", ok)
			}
			if ok {
				got := (Line{Time: ts}).Timestamp().Format("2006-01-02T15:04:05.999999999Z07:00")
				if got != tt.want {
					t.Errorf("time %s, want %s", got, tt.want)
				}
			}
			if string(rest) != tt.rest {
				t.Errorf("rest %q, want %q", rest, tt.rest)
			}
		})
	}
}

// repeatReader yields unit n times, then tail: a container printing
// without end.
type repeatReader struct {
	unit []byte
	n    int
	off  int
	tail []byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) && r.n > 0 {
		c := copy(p[w:], r.unit[r.off:])
		w += c
		r.off += c
		if r.off == len(r.unit) {
			r.off = 0
			r.n--
		}
	}
	if r.n == 0 && w < len(p) {
		c := copy(p[w:], r.tail)
		r.tail = r.tail[c:]
		w += c
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

// TestStreamMemoryIsBounded reads what a hostile or broken container can
// print through the engine's stream reader: a million progress updates
// separated by bare CRs and no newline (13 MB, one "line"), then fifty
// lines of 1 MB each. Each line is kept capped at MaxLine with a marker
// counting what was cut, and reading allocates a bounded amount however
// much arrives: the bytes over the cap are skipped, never held.
func TestStreamMemoryIsBounded(t *testing.T) {
	tests := []struct {
		name    string
		unit    string
		n       int
		tail    string
		lines   int // lines expected before "after"
		cutEach int // bytes cut from each line (0: not checked)
	}{
		// the reader cuts after 64 KiB + 64 bytes; Sanitize keeps 64 KiB
		// of the ␍ (3 bytes for 1) and says how many of the rest it cut
		{"a million lines without newline", "progress 42%\r", 1_000_000, "\n", 1, 0},
		{"fifty lines of 1 MB", strings.Repeat("x", 1<<20-1) + "\n", 50, "", 50, 1<<20 - 1 - DefaultMaxLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Config{})
			e.sourceFor(ss0)
			st := &stream{e: e}
			src := &repeatReader{unit: []byte(tt.unit), n: tt.n, tail: []byte(tt.tail + "2026-11-24T09:00:00Z after\n")}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if _, err := st.consume(context.Background(), src, st.live); !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			read := len(tt.unit) * tt.n
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("read %d MB, allocated %d KB", read>>20, alloc>>10)
			// what is kept (each line at most MaxLine, copied once into
			// the buffer) and a batch; nothing in proportion to what is read
			if limit := uint64(tt.lines*(DefaultMaxLine+64) + 4<<20); alloc > limit {
				t.Errorf("allocated %d KB to read %d MB, want at most %d KB: the stream holds what it should skip", alloc>>10, read>>20, limit>>10)
			}
			lines := e.Buffer().Visible()
			if len(lines) != tt.lines+1 || string(lines[len(lines)-1].Text) != "after" {
				t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1].Text)
			}
			for _, l := range lines[:tt.lines] {
				assertSafe(t, l.Text)
				if len(l.Text) > DefaultMaxLine+32 || bytes.Count(l.Text, []byte("bytes cut]")) != 1 || !bytes.HasSuffix(l.Text, []byte(" bytes cut]")) {
					t.Fatalf("line of %d bytes ending %q", len(l.Text), l.Text[max(len(l.Text)-40, 0):])
				}
				if tt.cutEach > 0 && !bytes.HasSuffix(l.Text, []byte(fmt.Sprintf(" [… %d bytes cut]", tt.cutEach))) {
					t.Errorf("cut marker %q, want %d bytes cut", l.Text[len(l.Text)-30:], tt.cutEach)
				}
			}
		})
	}
}
