package logs

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// JSON log lines (logback's and log4j2's JSON layouts, zap, slog) are
// read as their level, message and fields: "ERROR Segment container 3
// failed container=3 exception=…" instead of a line of braces and quotes.
var (
	levelKeys = []string{"level", "lvl", "severity", "log.level", "levelname"}
	msgKeys   = []string{"msg", "message", "@message", "log"}
	timeKeys  = []string{"ts", "time", "timestamp", "@timestamp", "t", "instant"}
)

// PrettyJSON writes a JSON object line as "LEVEL message k=v …": the
// level and message first, then the other fields in the line's order (only
// those named in fields when fields is set), without the time (the
// timestamps toggle shows the kubelet's). ok is false when text is not one
// JSON object; the result is sanitised like every line (a decoded \u001b
// is an escape sequence again).
func PrettyJSON(text []byte, fields []string) (out []byte, ok bool) {
	t := bytes.TrimSpace(text)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var level, msg string
	var rest []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		v, str := jsonValue(raw)
		lk := strings.ToLower(k)
		switch {
		case level == "" && slices.Contains(levelKeys, lk):
			level = strings.ToUpper(v)
		case msg == "" && slices.Contains(msgKeys, lk):
			msg = v
		case slices.Contains(timeKeys, lk):
		case len(fields) > 0 && !slices.Contains(fields, k):
		default:
			if str && (strings.ContainsAny(v, " \t\"=") || v == "") {
				v = strconvQuote(v)
			}
			rest = append(rest, k+"="+v)
		}
	}
	if _, err := dec.Token(); err != nil || dec.InputOffset() != int64(len(t)) { // the closing brace ends the line
		return nil, false
	}
	var b strings.Builder
	for _, p := range []string{level, msg} {
		if p != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p)
		}
	}
	for _, p := range rest {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return Sanitize(nil, []byte(b.String()), 0), true
}

// jsonValue is a field's value as text: a string unquoted (str), anything
// else compact JSON.
func jsonValue(raw json.RawMessage) (v string, str bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var c bytes.Buffer
	if err := json.Compact(&c, raw); err == nil {
		return c.String(), false
	}
	return string(raw), false
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
