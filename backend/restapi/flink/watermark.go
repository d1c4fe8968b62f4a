package flink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/streamops/streamops/backend/restapi/wire"
)

// watermarkSuffix names the metric a subtask reports its input watermark
// under: "<subtask index>.currentInputWatermark".
var watermarkSuffix = []byte(".currentInputWatermark")

// DecodeWatermarks decodes /jobs/{id}/vertices/{vid}/watermarks and takes
// the minimum over the subtasks. It accepts the documented form
// {"metrics":[{"id":…,"value":…}]} and the bare array Flink actually sends
// (MetricCollectionResponseBody extends ArrayList<Metric>).
//
// A job with hundreds of vertices of hundreds of subtasks sends tens of
// thousands of these per refresh, so this is a small scanner that reads
// them without allocating; it rejects what encoding/json would reject.
func DecodeWatermarks(path string, body []byte) (Watermark, error) {
	s := scanner{b: body}
	w := Watermark{Read: true, MinSubtask: -1}
	if err := s.document(&w); err != nil {
		return Watermark{}, &wire.DecodeError{Path: path, Err: err}
	}
	return w, nil
}

func (w *Watermark) add(subtask int, v int64) {
	w.Subtasks++
	if v == NoWatermark {
		w.Missing++
		return
	}
	if w.Subtasks-w.Missing == 1 || v < w.Millis || (v == w.Millis && subtask < w.MinSubtask) {
		w.Millis, w.MinSubtask = v, subtask
	}
}

// subtaskIndex reads the "<index>" of "<index>.currentInputWatermark";
// -1 when the id has another form.
func subtaskIndex(id []byte) int {
	n, ok := parseInt(id[:len(id)-len(watermarkSuffix)])
	if !ok || n < 0 || n > math.MaxInt32 {
		return -1
	}
	return int(n)
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) fail(what string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("malformed JSON at byte %d: unexpected end of input, want %s", s.i, what)
	}
	return fmt.Errorf("malformed JSON at byte %d: unexpected %q, want %s", s.i, s.b[s.i], what)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) eat(c byte, what string) error {
	if s.peek() != c {
		return s.fail(what)
	}
	s.i++
	return nil
}

func (s *scanner) document(w *Watermark) error {
	switch s.peek() {
	case '[':
		if err := s.metrics(w); err != nil {
			return err
		}
	case '{':
		err := s.object(func(key []byte) error {
			if string(key) == "metrics" {
				if s.literal("null") {
					return nil
				}
				return s.metrics(w)
			}
			return s.skip()
		})
		if err != nil {
			return err
		}
	default:
		return s.fail(`an object or an array`)
	}
	if s.ws(); s.i != len(s.b) {
		return s.fail("the end of the body")
	}
	return nil
}

// object reads {"key": value, ...}, calling member for every key with the
// scanner on the value.
func (s *scanner) object(member func(key []byte) error) error {
	if err := s.eat('{', `"{"`); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.eat(':', `":"`); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.fail(`"," or "}"`)
		}
	}
}

func (s *scanner) metrics(w *Watermark) error {
	if err := s.eat('[', `"["`); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.metric(w); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.fail(`"," or "]"`)
		}
	}
}

// metric reads one Metric {"id": string (required), "value": string}.
func (s *scanner) metric(w *Watermark) error {
	var id, value []byte
	hasID, hasValue := false, false
	start := s.i
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "id":
			id, err = s.str()
			hasID = true
		case "value":
			if s.peek() == '"' {
				value, err = s.str()
			} else {
				value, err = s.number()
			}
			hasValue = true
		default:
			err = s.skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	if !hasID {
		return fmt.Errorf("a metric without id (byte %d; required by the API document)", start)
	}
	if !bytes.HasSuffix(id, watermarkSuffix) {
		return nil
	}
	if !hasValue {
		return fmt.Errorf("metric %s without value", id)
	}
	v, ok := parseInt(value)
	if !ok {
		return fmt.Errorf("metric %s has value %q, not milliseconds", id, value)
	}
	w.add(subtaskIndex(id), v)
	return nil
}

// str reads a string and returns its content; escaped strings (rare here)
// are decoded by encoding/json.
func (s *scanner) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.fail("a string")
	}
	start := s.i
	n := bytes.IndexByte(s.b[start+1:], '"')
	if n < 0 {
		s.i = len(s.b)
		return nil, s.fail(`the closing '"'`)
	}
	content := s.b[start+1 : start+1+n]
	for _, c := range content {
		if c < 0x20 || c == '\\' {
			return s.escaped(start)
		}
	}
	s.i = start + n + 2
	return content, nil
}

// escaped reads a string with escapes (or control characters, which
// encoding/json rejects) starting at start.
func (s *scanner) escaped(start int) ([]byte, error) {
	s.i = start + 1
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '\\':
			s.i += 2
			continue
		case c == '"':
			s.i++
			var out string
			if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
				return nil, fmt.Errorf("malformed JSON at byte %d: %w", start, err)
			}
			return []byte(out), nil
		case c < 0x20:
			return nil, s.fail("a string character")
		}
		s.i++
	}
	return nil, s.fail(`the closing '"'`)
}

func (s *scanner) number() ([]byte, error) {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	if s.i == start {
		return nil, s.fail("a value")
	}
	if !json.Valid(s.b[start:s.i]) {
		return nil, fmt.Errorf("malformed JSON at byte %d: bad number %q", start, s.b[start:s.i])
	}
	return s.b[start:s.i], nil
}

func (s *scanner) literal(lit string) bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		s.i += len(lit)
		return true
	}
	return false
}

// skip reads any value.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.object(func([]byte) error { return s.skip() })
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.skip(); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return nil
			default:
				return s.fail(`"," or "]"`)
			}
		}
	case s.literal("true"), s.literal("false"), s.literal("null"):
		return nil
	default:
		_, err := s.number()
		return err
	}
}

// parseInt parses a decimal int64 (Long.MIN_VALUE included) without
// allocating.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case neg && u <= 1<<63:
		return int64(-u), true // -(1<<63) wraps to math.MinInt64
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	}
	return 0, false
}
