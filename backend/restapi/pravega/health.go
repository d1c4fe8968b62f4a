package pravega

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/streamops/streamops/backend/restapi/wire"
)

// The Controller's health statuses (Controller.yaml HealthStatus).
const (
	HealthUp       = "UP"
	HealthStarting = "STARTING"
	HealthNew      = "NEW"
	HealthUnknown  = "UNKNOWN"
	HealthFailed   = "FAILED"
	HealthDown     = "DOWN"
)

// Health is the Controller's health (GET /v1/health): its status, its
// readiness and liveness, its details and its contributors', children
// sorted by name.
type Health struct {
	Name         string
	Status       string
	Ready, Alive bool
	Details      map[string]string
	Children     []Health
}

// Up reports whether the status is UP.
func (h Health) Up() bool { return h.Status == HealthUp }

// Bad reports whether the status says the service does not work (FAILED,
// DOWN); STARTING, NEW and UNKNOWN are not yet, or cannot tell.
func (h Health) Bad() bool { return h.Status == HealthFailed || h.Status == HealthDown }

// Failing names the contributors below the root that are not UP where
// the fault is: the deepest of each branch ("cluster-listener: DOWN
// (zookeeper session expired)", "a/b: FAILED"), so the cause is named, not
// every parent it drags down. It is empty when no contributor is (the
// root's status says it all).
func (h Health) Failing() []string {
	var out []string
	var walk func(h Health, path string)
	walk = func(h Health, path string) {
		deeper := false
		for _, c := range h.Children {
			if !c.Up() {
				deeper = true
				p := c.Name
				if path != "" {
					p = path + "/" + c.Name
				}
				walk(c, p)
			}
		}
		if deeper || path == "" {
			return
		}
		text := path + ": " + orUnknown(h.Status)
		if d := h.detailText(); d != "" {
			text += " (" + d + ")"
		}
		out = append(out, text)
	}
	if !h.Up() {
		walk(h, "")
	}
	return out
}

// detailText is the details as "key value" pairs, sorted, in one line.
func (h Health) detailText() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(h.Details)) {
		parts = append(parts, k+" "+h.Details[k])
	}
	return strings.Join(parts, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// healthResult is Controller.yaml's HealthResult.
type healthResult struct {
	Name      string                  `json:"name"`
	Status    string                  `json:"status"`
	Readiness bool                    `json:"readiness"`
	Liveness  bool                    `json:"liveness"`
	Details   map[string]string       `json:"details"`
	Children  map[string]healthResult `json:"children"`
}

func (r healthResult) health(name string, depth int) Health {
	h := Health{Name: r.Name, Status: r.Status, Ready: r.Readiness, Alive: r.Liveness, Details: r.Details}
	if h.Name == "" {
		h.Name = name // a child is keyed by its name; the key is what it is called
	}
	if depth >= maxHealthDepth {
		return h
	}
	for _, k := range slices.Sorted(maps.Keys(r.Children)) {
		h.Children = append(h.Children, r.Children[k].health(k, depth+1))
	}
	return h
}

// maxHealthDepth bounds the contributor tree the console keeps (a real
// Controller's is two or three deep).
const maxHealthDepth = 8

// Health reads the Controller's health. An older Controller without the
// health API answers 404, which the caller's error says.
func (c *Client) Health(ctx context.Context) (Health, error) {
	const path = "/v1/health"
	body, err := c.get.Get(ctx, path, nil)
	if err != nil {
		return Health{}, err
	}
	var r healthResult
	if err := wire.Decode(path, body, &r); err != nil {
		return Health{}, err
	}
	if r.Status == "" {
		return Health{}, wire.Missing(path, "status", "the health result")
	}
	return r.health("controller", 0), nil
}
