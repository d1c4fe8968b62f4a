package logs

import (
	"strconv"
	"unicode/utf8"
)

// Log bytes are hostile input: a container can print anything, and the
// console runs in someone's terminal. Sanitize turns one raw line into text
// that holds no control sequence at all:
//
//   - escape sequences are removed whole: CSI (colours, cursor moves, erase),
//     OSC (window title, clipboard 52, hyperlinks) up to BEL or ST, DCS, SOS,
//     PM and APC strings up to ST, and two- or three-byte ESC sequences
//     (ESC 7, ESC c, ESC ( B ...); their 8-bit C1 forms (U+009B, U+009D ...)
//     likewise;
//   - a tab becomes spaces up to the next multiple of four columns;
//   - every other C0 control and DEL is shown as its Unicode control picture
//     (a bare CR as ␍, backspace as ␈, NUL as ␀), so it stays visible;
//   - invalid UTF-8 becomes U+FFFD;
//   - the output is capped at limit bytes with a "[… N bytes cut]" marker.
//
// After Sanitize no output byte is below 0x20, none is 0x7F and there is no
// ESC, whatever the input.

// DefaultMaxLine is the longest line kept, in bytes.
const DefaultMaxLine = 64 << 10

const tabWidth = 4

// escape parser states
const (
	stText   = iota
	stEsc    // after ESC
	stEscInt // ESC followed by intermediate bytes
	stCSI    // control sequence: parameters, intermediates, final byte
	stString // OSC/DCS/SOS/PM/APC body, ends at ST (or BEL)
	stStrEsc // ESC seen inside a string: ST if followed by '\'
)

// Sanitize appends the safe form of src to dst and returns it. limit caps
// the bytes appended (DefaultMaxLine when <= 0).
func Sanitize(dst, src []byte, limit int) []byte { return sanitize(dst, src, limit, 0) }

// sanitize is Sanitize for a line whose tail (cut bytes) was already
// dropped by the reader: the marker counts them too.
func sanitize(dst, src []byte, limit, cut int) []byte {
	if limit <= 0 {
		limit = DefaultMaxLine
	}
	start := len(dst)
	max := start + limit
	// Fast path: printable ASCII is copied as is.
	i := 0
	for i < len(src) && src[i] >= 0x20 && src[i] < 0x7f {
		i++
	}
	if i == len(src) && i <= limit {
		dst = append(dst, src...)
		if cut > 0 {
			dst = appendCut(dst, cut)
		}
		return dst
	}
	if i > limit {
		i = limit
	}
	dst = append(dst, src[:i]...)
	col := i
	state := stText
	for i < len(src) {
		if len(dst) >= max {
			return cutMarker(dst, max, len(src)-i+cut)
		}
		c := src[i]
		switch state {
		case stEsc:
			i++
			switch {
			case c == '[':
				state = stCSI
			case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
				state = stString
			case c >= 0x20 && c <= 0x2f:
				state = stEscInt
			case c < 0x20:
				// a control inside the sequence ends it; show it
				state = stText
				i--
			default:
				state = stText // two-byte sequence (ESC 7, ESC c, ESC =...)
			}
			continue
		case stEscInt:
			switch {
			case c >= 0x20 && c <= 0x2f:
				i++
			case c >= 0x30 && c <= 0x7e:
				i++
				state = stText
			default:
				state = stText
			}
			continue
		case stCSI:
			switch {
			case c >= 0x20 && c <= 0x3f:
				i++
			case c >= 0x40 && c <= 0x7e:
				i++
				state = stText
			default:
				state = stText // malformed: stop the sequence, keep the byte
			}
			continue
		case stString:
			switch {
			case c == 0x07: // BEL ends OSC in xterm practice
				i++
				state = stText
			case c == 0x1b:
				i++
				state = stStrEsc
			case c == 0xc2 && i+1 < len(src) && src[i+1] == 0x9c: // ST (U+009C)
				i += 2
				state = stText
			default:
				i++
			}
			continue
		case stStrEsc:
			if c == '\\' {
				i++
				state = stText
			} else {
				state = stEsc // ESC cancels the string and starts anew
			}
			continue
		}
		// stText
		switch {
		case c >= 0x20 && c < 0x7f:
			dst = append(dst, c)
			col++
			i++
		case c == 0x1b:
			state = stEsc
			i++
			if i == len(src) {
				dst = append(dst, "␛"...)
			}
		case c == '\t':
			n := tabWidth - col%tabWidth
			for ; n > 0; n-- {
				dst = append(dst, ' ')
				col++
			}
			i++
		case c < 0x20:
			dst = append(dst, 0xe2, 0x90, 0x80+c) // U+2400 + c: ␀ ␇ ␈ ␍ ...
			col++
			i++
		case c == 0x7f:
			dst = append(dst, "␡"...)
			col++
			i++
		default:
			r, size := utf8.DecodeRune(src[i:])
			switch {
			case r == utf8.RuneError && size <= 1:
				dst = append(dst, "\uFFFD"...)
				i++
			case r >= 0x80 && r <= 0x9f: // C1 controls, the 8-bit escapes
				i += size
				switch r {
				case 0x9b:
					state = stCSI
				case 0x90, 0x98, 0x9d, 0x9e, 0x9f:
					state = stString
				}
			default:
				dst = append(dst, src[i:i+size]...)
				i += size
			}
			col++
		}
	}
	if len(dst) > max {
		return cutMarker(dst, max, cut)
	}
	if cut > 0 {
		dst = appendCut(dst, cut)
	}
	return dst
}

// cutMarker shortens dst to max bytes on a rune boundary and says how much
// of the line was dropped.
func cutMarker(dst []byte, max, rest int) []byte {
	cut := len(dst) - max
	dst = dst[:max]
	// drop a rune the cut split in two
	j := len(dst) - 1
	for j > 0 && len(dst)-j < utf8.UTFMax && !utf8.RuneStart(dst[j]) {
		j--
	}
	if j >= 0 && !utf8.FullRune(dst[j:]) {
		cut += len(dst) - j
		dst = dst[:j]
	}
	return appendCut(dst, cut+rest)
}

func appendCut(dst []byte, n int) []byte {
	dst = append(dst, " [… "...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, " bytes cut]"...)
}
