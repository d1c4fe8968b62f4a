package logs

import "bytes"

// Level is the severity a log line declares, as far as the usual Java and
// Go formats let us see it.
type Level uint8

const (
	LevelNone Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	}
	return "none"
}

// Class says how a line relates to the ones before it.
type Class uint8

const (
	// Plain is a line of its own.
	Plain Class = iota
	// Frame continues the event before it: a stack frame ("\tat ..."),
	// "Caused by:", "... 12 more", a Go "goroutine N [running]:" header.
	Frame
	// Exception is an exception header ("java.io.IOException: ..."): part
	// of the event before it when that was a warning or an error, a new
	// error otherwise.
	Exception
)

// levelScan bounds how far into a line the level is looked for: formats put
// it near the start, and the message after it may mention anything.
const levelScan = 160

// Detect reads the level and class of one sanitised line (without the
// kubelet timestamp). It recognises:
//
//   - Java/log4j/logback: "2026-11-24 09:00:00,123 ERROR [main] ...",
//     "[WARN]", "SEVERE", "FATAL", "Exception in thread \"main\" ...",
//     "\tat com.foo.Bar(Bar.java:12)", "Caused by: ...", "... 3 more";
//   - Go: logfmt "level=error" / "lvl=eror", JSON "\"level\":\"error\"" or
//     "\"severity\":\"ERROR\"", klog "E1124 09:00:00.000000 ...",
//     "panic: ...", "goroutine 7 [running]:".
func Detect(line []byte) (Level, Class) {
	if len(line) == 0 {
		return LevelNone, Plain
	}
	if c := frameClass(line); c != Plain {
		return LevelError, c
	}
	if l := klogLevel(line); l != LevelNone {
		return l, Plain
	}
	head := line
	if len(head) > levelScan {
		head = head[:levelScan]
	}
	if line[0] == '{' {
		if l := jsonLevel(line); l != LevelNone {
			return l, Plain
		}
	}
	if l := fieldLevel(head); l != LevelNone {
		return l, Plain
	}
	if l := wordLevel(head); l != LevelNone {
		return l, Plain
	}
	if bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) {
		return LevelError, Plain
	}
	return LevelNone, Plain
}

// Resolve turns a detected level and class into the line's level and
// whether it continues the event before it, given the level of the
// previous line from the same source.
func Resolve(prev Level, lvl Level, c Class) (Level, bool) {
	switch c {
	case Frame:
		if prev >= LevelWarn {
			return prev, true
		}
		return LevelError, true
	case Exception:
		return LevelError, prev >= LevelWarn
	}
	return lvl, false
}

func frameClass(line []byte) Class {
	i := 0
	for i < len(line) && line[i] == ' ' {
		i++
	}
	rest := line[i:]
	if i > 0 {
		switch {
		case bytes.HasPrefix(rest, []byte("at ")) && bytes.IndexByte(rest, '(') > 0:
			return Frame
		case bytes.HasPrefix(rest, []byte("... ")) && bytes.HasSuffix(rest, []byte(" more")):
			return Frame
		case bytes.HasPrefix(rest, []byte("Caused by: ")), bytes.HasPrefix(rest, []byte("Suppressed: ")):
			return Frame
		case bytes.Contains(rest, []byte(".go:")) && bytes.HasPrefix(rest, []byte("/")):
			return Frame // Go panic frame: "\t/src/main.go:12 +0x1d"
		}
		return Plain
	}
	switch {
	case bytes.HasPrefix(line, []byte("Caused by: ")):
		return Frame
	case bytes.HasPrefix(line, []byte("goroutine ")) && bytes.HasSuffix(line, []byte("]:")):
		return Frame
	}
	if isExceptionHeader(line) {
		return Exception
	}
	return Plain
}

// isExceptionHeader matches "java.io.IOException: disk full",
// "org.apache.flink.runtime.JobException" or "java.lang.OutOfMemoryError: Java
// heap space": a dotted class name ending in Exception or Error, then the
// end of the line or ": ".
func isExceptionHeader(line []byte) bool {
	end := bytes.IndexByte(line, ':')
	if end < 0 {
		end = len(line)
	} else if end+1 < len(line) && line[end+1] != ' ' {
		return false
	}
	name := line[:end]
	if len(name) < 8 || bytes.IndexByte(name, '.') < 0 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '$') {
			return false
		}
	}
	return bytes.HasSuffix(name, []byte("Exception")) || bytes.HasSuffix(name, []byte("Error"))
}

// klogLevel reads klog's "E1124 09:00:00.000000 ..." header.
func klogLevel(line []byte) Level {
	if len(line) < 6 || line[5] != ' ' {
		return LevelNone
	}
	for _, c := range line[1:5] {
		if c < '0' || c > '9' {
			return LevelNone
		}
	}
	switch line[0] {
	case 'E', 'F':
		return LevelError
	case 'W':
		return LevelWarn
	case 'I':
		return LevelInfo
	}
	return LevelNone
}

// jsonLevel finds "level", "lvl" or "severity" in a JSON line.
func jsonLevel(line []byte) Level {
	for _, key := range [][]byte{[]byte(`"level"`), []byte(`"severity"`), []byte(`"lvl"`)} {
		i := bytes.Index(line, key)
		if i < 0 {
			continue
		}
		rest := line[i+len(key):]
		j := 0
		for j < len(rest) && (rest[j] == ' ' || rest[j] == ':') {
			j++
		}
		if j == 0 || j >= len(rest) || rest[j] != '"' {
			continue
		}
		rest = rest[j+1:]
		if k := bytes.IndexByte(rest, '"'); k > 0 {
			return levelName(rest[:k])
		}
	}
	return LevelNone
}

// fieldLevel reads logfmt's level=error, lvl=eror, severity=warning.
func fieldLevel(head []byte) Level {
	for _, key := range [][]byte{[]byte("level="), []byte("lvl="), []byte("severity=")} {
		i := bytes.Index(head, key)
		if i < 0 || i > 0 && head[i-1] != ' ' && head[i-1] != '\t' {
			continue
		}
		rest := head[i+len(key):]
		if len(rest) > 0 && rest[0] == '"' {
			rest = rest[1:]
		}
		j := 0
		for j < len(rest) && isLetter(rest[j]) {
			j++
		}
		if l := levelName(rest[:j]); l != LevelNone {
			return l
		}
	}
	return LevelNone
}

// wordLevel finds the first upper-case level word in the head of a line:
// "ERROR", "WARN", "INFO" ... as a whole word, or a lower-case one in
// brackets ("[error]").
func wordLevel(head []byte) Level {
	for i := 0; i < len(head); i++ {
		c := head[i]
		if i > 0 && isLetter(head[i-1]) {
			continue
		}
		switch {
		case c == 'E' && bytes.HasPrefix(head[i:], []byte("Exception in thread ")):
			return LevelError
		case c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(head) && head[j] >= 'A' && head[j] <= 'Z' {
				j++
			}
			if j < len(head) && isLetter(head[j]) {
				i = j
				continue // "Errors", "INFOrmation"
			}
			if l := upperLevel(head[i:j]); l != LevelNone {
				return l
			}
			i = j
		case c == '[' && i+1 < len(head) && head[i+1] >= 'a' && head[i+1] <= 'z':
			j := i + 1
			for j < len(head) && head[j] >= 'a' && head[j] <= 'z' {
				j++
			}
			if j < len(head) && head[j] == ']' {
				if l := levelName(head[i+1 : j]); l != LevelNone {
					return l
				}
			}
		}
	}
	return LevelNone
}

func upperLevel(w []byte) Level {
	switch string(w) {
	case "ERROR", "FATAL", "SEVERE", "CRITICAL", "CRIT", "PANIC":
		return LevelError
	case "WARN", "WARNING":
		return LevelWarn
	case "INFO":
		return LevelInfo
	case "DEBUG", "TRACE", "FINE", "FINER", "FINEST":
		return LevelDebug
	}
	return LevelNone
}

// levelName maps a level value in any case ("error", "Error", "eror").
func levelName(w []byte) Level {
	if len(w) == 0 || len(w) > 8 {
		return LevelNone
	}
	var buf [8]byte
	for i, c := range w {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(w)]) {
	case "ERR", "EROR", "E":
		return LevelError
	case "WRN", "W":
		return LevelWarn
	case "DBUG", "DBG":
		return LevelDebug
	case "INF", "I":
		return LevelInfo
	}
	return upperLevel(buf[:len(w)])
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
