package logs

import (
	"bytes"
	"testing"
)

// FuzzDetect: level detection reads any bytes without panicking or
// changing them, answers one of the defined levels and classes, and is
// consistent with Resolve (a stack frame always continues an event).
func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"2026-11-24 09:00:01,123 ERROR [main] o.a.b.Journal - Error while flushing journal",
		"    at com.foo.Bar.run(Bar.java:42)",
		"Caused by: java.io.IOException: No space left on device",
		"    ... 12 more",
		"java.lang.OutOfMemoryError: Java heap space",
		`{"level":"warn","msg":"slow"}`,
		`{"severity":"ERROR","message":"x","nested":{"level":"debug"}}`,
		`time=2026-11-24T09:00:01Z level=error msg="dial tcp: refused"`,
		"E1124 09:00:00.000000       1 reflector.go:1] failed",
		"panic: runtime error: index out of range",
		"goroutine 7 [running]:",
		"[WARN] disk at 91%",
		"{", "\"level\":", "level=", "at ", "E", "\x00\xff\xfe",
	} {
		f.Add([]byte(s), uint8(LevelWarn))
	}
	f.Fuzz(func(t *testing.T, line []byte, prev uint8) {
		orig := bytes.Clone(line)
		lvl, class := Detect(line)
		if !bytes.Equal(line, orig) {
			t.Fatalf("Detect changed its input %q to %q", orig, line)
		}
		if lvl < LevelNone || lvl > LevelError {
			t.Fatalf("level %d out of range for %q", lvl, line)
		}
		if class != Plain && class != Frame && class != Exception {
			t.Fatalf("class %d out of range for %q", class, line)
		}
		if class != Plain && lvl != LevelError {
			t.Fatalf("%q: class %d with level %s", line, class, lvl)
		}
		if again, c2 := Detect(line); again != lvl || c2 != class {
			t.Fatalf("%q: not deterministic", line)
		}
		p := Level(prev % uint8(LevelError+1))
		got, cont := Resolve(p, lvl, class)
		if class == Frame && !cont {
			t.Fatalf("%q: a stack frame did not continue the event before it", line)
		}
		if class == Plain && (cont || got != lvl) {
			t.Fatalf("%q: a plain line resolved to %s cont=%v", line, got, cont)
		}
	})
}
