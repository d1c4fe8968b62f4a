package operator

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/platform"
)

// fields reads an untrusted object tree (from unstructured JSON) and records
// the first problem it meets in each section instead of failing.
type fields struct {
	obj     map[string]any
	section string // "spec" or "status"
	errs    []string
}

func (f *fields) fail(path []string, format string, args ...any) {
	f.errs = append(f.errs, strings.Join(path, ".")+": "+fmt.Sprintf(format, args...))
}

// get walks path; ok is false when a step is missing. A step through a
// non-object is recorded as a problem.
func (f *fields) get(path ...string) (any, bool) {
	var cur any = f.obj
	for i, p := range path {
		m, isMap := cur.(map[string]any)
		if !isMap {
			if cur != nil {
				f.fail(path[:i], "is %s, want object", typeName(cur))
			}
			return nil, false
		}
		v, found := m[p]
		if !found || v == nil {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, int, int32, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// integer reads a whole number; ok is false when it is absent or invalid.
func (f *fields) integer(path ...string) (int, bool) {
	v, found := f.get(path...)
	if !found {
		return 0, false
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) >= 1<<63 {
			f.fail(path, "is %s, want an integer", typeName(v))
			return 0, false
		}
		n = int64(x)
	default:
		f.fail(path, "is %s, want an integer", typeName(v))
		return 0, false
	}
	// The operators decode these fields as int32: a larger number is a
	// resource they cannot read at all, not a very large cluster.
	if n > math.MaxInt32 || n < math.MinInt32 {
		f.fail(path, "is %d, out of the int32 range", n)
		return 0, false
	}
	return int(n), true
}

// boolean reads true or false; ok is false when it is absent or not a
// boolean (recorded as a problem).
func (f *fields) boolean(path ...string) (value, ok bool) {
	v, found := f.get(path...)
	if !found {
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		f.fail(path, "is %s, want true or false", typeName(v))
		return false, false
	}
	return b, true
}

// str reads a string; numbers and booleans are accepted and formatted, as
// some fields (versions, config values) are written either way.
func (f *fields) str(path ...string) string {
	v, found := f.get(path...)
	if !found {
		return ""
	}
	switch s := v.(type) {
	case string:
		return s
	case int64:
		return strconv.FormatInt(s, 10)
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(s)
	}
	f.fail(path, "is %s, want a string", typeName(v))
	return ""
}

// conditions reads a list of Kubernetes-style conditions.
func (f *fields) conditions(path ...string) []platform.Condition {
	v, found := f.get(path...)
	if !found {
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		f.fail(path, "is %s, want an array", typeName(v))
		return nil
	}
	out := make([]platform.Condition, 0, len(list))
	for i, item := range list {
		m, isMap := item.(map[string]any)
		if !isMap {
			f.fail(append(path, strconv.Itoa(i)), "is %s, want object", typeName(item))
			continue
		}
		sub := fields{obj: m}
		c := platform.Condition{ // one line each: they end up in rows
			Type:    oneLine(sub.str("type")),
			Status:  oneLine(sub.str("status")),
			Reason:  oneLine(sub.str("reason")),
			Message: oneLine(sub.str("message")),
		}
		for _, key := range []string{"lastTransitionTime", "lastUpdateTime"} {
			if ts := sub.str(key); ts != "" {
				if t, err := time.Parse(time.RFC3339, ts); err == nil {
					c.LastTransition = t
					break
				}
			}
		}
		for _, e := range sub.errs {
			f.errs = append(f.errs, strings.Join(append(path, strconv.Itoa(i)), ".")+"."+e)
		}
		out = append(out, c)
	}
	return out
}

// problem returns the first recorded problem, prefixed by the section.
func (f *fields) problem() string {
	if len(f.errs) == 0 {
		return ""
	}
	msg := "invalid " + f.section + ": " + f.errs[0]
	if n := len(f.errs) - 1; n > 0 {
		msg += fmt.Sprintf(" (+%d more)", n)
	}
	return msg
}
