package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"k8s.io/client-go/kubernetes"
)

// apiCounters holds the counters and their values, keyed by the label
// text as the server printed it.
type apiCounters struct {
	labels map[string]map[string]string
	value  map[string]float64
}

// scrapeRequests reads the API server's /metrics.
func scrapeRequests(ctx context.Context, typed kubernetes.Interface) (apiCounters, error) {
	b, err := typed.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return apiCounters{}, fmt.Errorf("read the API server's /metrics: %w", err)
	}
	return parseRequestTotals(string(b))
}

// parseRequestTotals reads the apiserver_request_total samples of a
// Prometheus text exposition.
func parseRequestTotals(text string) (apiCounters, error) {
	const name = "apiserver_request_total{"
	c := apiCounters{labels: map[string]map[string]string{}, value: map[string]float64{}}
	for line := range strings.SplitSeq(text, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok {
			continue
		}
		end := strings.LastIndexByte(rest, '}')
		if end < 0 {
			return apiCounters{}, fmt.Errorf("/metrics: bad sample %q", line)
		}
		labelText, valueText := rest[:end], strings.TrimSpace(rest[end+1:])
		if f := strings.Fields(valueText); len(f) > 0 {
			valueText = f[0] // a timestamp may follow
		}
		v, err := strconv.ParseFloat(valueText, 64)
		if err != nil || v < 0 || math.IsNaN(v) {
			return apiCounters{}, fmt.Errorf("/metrics: bad value in %q", line)
		}
		labels, err := parseLabels(labelText)
		if err != nil {
			return apiCounters{}, fmt.Errorf("/metrics: %q: %w", line, err)
		}
		c.labels[labelText], c.value[labelText] = labels, v
	}
	if len(c.value) == 0 {
		return apiCounters{}, fmt.Errorf("/metrics has no apiserver_request_total")
	}
	return c, nil
}

// parseLabels reads name="value",... with Prometheus' escapes.
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return nil, fmt.Errorf("bad label at %q", s)
		}
		name := strings.TrimSpace(s[:eq])
		var val strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(s[i])
				}
				continue
			}
			val.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, fmt.Errorf("unterminated label value at %q", s)
		}
		out[name] = val.String()
		s = strings.TrimPrefix(s[i+1:], ",")
	}
	return out, nil
}

// clusterOwn says whether a counter counts requests the cluster makes
// without any console: kwok's node heartbeats (leases, node status) and
// pod status updates, and this harness's own scrapes of /metrics. Neither
// tool writes leases, node status or pod status.
func clusterOwn(l map[string]string) bool {
	switch {
	case l["resource"] == "leases":
		return true
	case (l["resource"] == "nodes" || l["resource"] == "pods") && l["subresource"] == "status":
		return true
	case l["resource"] == "" && strings.TrimPrefix(l["subresource"], "/") == "metrics":
		return true
	}
	return false
}

// requestsSince is how many requests the tools made between before and
// c: the growth of every counter but the cluster's own (clusterOwn), in
// total and by verb and resource (or path). WATCH requests are left out:
// the server counts a watch when it ends, so the watches that end in a
// window are mostly older ones (the server's own informers and kwok's
// rotate theirs every few minutes), and a watch a tool starts in the
// window is not counted in it.
func (c apiCounters) requestsSince(before apiCounters) (requests int, byKind map[string]int) {
	byKind = map[string]int{}
	for key, v := range c.value {
		l := c.labels[key]
		d := int(math.Round(v - before.value[key]))
		if d <= 0 || clusterOwn(l) || l["verb"] == "WATCH" {
			continue
		}
		kind := l["verb"] + " " + l["resource"]
		switch {
		case l["resource"] == "":
			kind = l["verb"] + " /" + strings.TrimPrefix(l["subresource"], "/")
		case l["subresource"] != "":
			kind += "/" + l["subresource"]
		}
		byKind[kind] += d
		requests += d
	}
	return requests, byKind
}
