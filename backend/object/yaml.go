package object

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/platform"
)

// lastApplied is kubectl's copy of what was applied: for a Secret, its
// values.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

func sanitize(b []byte, limit int) []byte { return logs.Sanitize(nil, b, limit) }

// render turns an object into sanitised YAML lines without managedFields;
// for a Secret, every value of data and stringData (and kubectl's
// last-applied copy) is replaced by its size.
func render(o map[string]any, secret bool) ([]string, int) {
	o = shallowCopy(o)
	if md, ok := o["metadata"].(map[string]any); ok {
		md = shallowCopy(md)
		delete(md, "managedFields")
		if secret {
			if ann, ok := md["annotations"].(map[string]any); ok {
				if v, ok := ann[lastApplied]; ok {
					ann = shallowCopy(ann)
					ann[lastApplied] = fmt.Sprintf(redactedFmt, len(fmt.Sprint(v)))
					md["annotations"] = ann
				}
			}
		}
		o["metadata"] = md
	}
	if secret {
		for _, field := range []string{"data", "stringData"} {
			if vals, ok := o[field].(map[string]any); ok {
				o[field] = redact(vals, field == "data")
			} else if _, present := o[field]; present {
				o[field] = "<redacted>"
			}
		}
	}
	out, err := yaml.Marshal(scrub(o))
	if err != nil {
		return []string{clean("cannot render YAML: " + err.Error())}, 0
	}
	raw := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	cut := 0
	if len(raw) > MaxLines {
		cut = len(raw) - MaxLines
		raw = raw[:MaxLines]
	}
	lines := make([]string, 0, len(raw)+1)
	for _, l := range raw {
		lines = append(lines, string(sanitize([]byte(l), MaxLineLen)))
	}
	if cut > 0 {
		lines = append(lines, fmt.Sprintf("[… %d more lines cut]", cut))
	}
	return lines, cut
}

// scrub returns v with every string (keys too) sanitised line by line,
// newlines kept: the YAML encoder refuses control characters, and a
// multi-line value stays a readable block.
func scrub(v any) any {
	switch v := v.(type) {
	case string:
		return scrubString(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[scrubString(k)] = scrub(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = scrub(x)
		}
		return out
	}
	return v
}

func scrubString(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = string(logs.Sanitize(nil, []byte(p), 0))
	}
	return strings.Join(parts, "\n")
}

// redact keeps a Secret's keys and says how many bytes each value holds.
func redact(vals map[string]any, encoded bool) map[string]any {
	out := make(map[string]any, len(vals))
	for k, v := range vals {
		s, _ := v.(string)
		n := len(s)
		if encoded {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				n = len(b)
			}
		}
		out[k] = fmt.Sprintf(redactedFmt, n)
	}
	return out
}

func shallowCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// nested reads a string field.
func nested(o map[string]any, path ...string) string {
	var cur any = o
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

// conditions reads status.conditions, each field sanitised.
func conditions(o map[string]any) []platform.Condition {
	status, _ := o["status"].(map[string]any)
	list, _ := status["conditions"].([]any)
	var out []platform.Condition
	for _, item := range list {
		c, ok := item.(map[string]any)
		if !ok {
			continue
		}
		cond := platform.Condition{
			Type: clean(nested(c, "type")), Status: clean(nested(c, "status")),
			Reason: clean(nested(c, "reason")), Message: clean(nested(c, "message")),
		}
		for _, f := range []string{"lastTransitionTime", "lastUpdateTime", "lastProbeTime"} {
			if t, err := time.Parse(time.RFC3339, nested(c, f)); err == nil {
				cond.LastTransition = t
				break
			}
		}
		out = append(out, cond)
	}
	return out
}
