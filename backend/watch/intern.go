package watch

import "unique"

// Most strings of a pod are the same in thousands of pods: its namespace,
// node, phase, owner, container names and images, and its label keys and
// most label values. Decoded from the wire each is its own allocation, kept
// for as long as the pod is; interned, each distinct value is kept once.
// unique drops a value once nothing refers to it, so interning a value seen
// once (a pod's own name in a label) costs a lookup, never a leak.

// interned returns the canonical copy of s.
func interned(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// internedLabels copies labels with interned keys and values; a value equal
// to the pod's name (statefulset.kubernetes.io/pod-name) shares that string.
func internedLabels(labels map[string]string, name string) map[string]string {
	if len(labels) == 0 {
		return nil
	}
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		if v == name {
			v = name
		} else {
			v = interned(v)
		}
		out[interned(k)] = v
	}
	return out
}
