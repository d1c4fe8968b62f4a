// Package restapi is how the console reaches the platform's REST APIs (the
// Pravega Controller's and each Flink JobManager's): which clusters have
// one (from the snapshot's components), which Service serves it (from the
// operators' Services and labels, contracts/LABELS.md), how a request gets
// there (the Kubernetes API server's service proxy with the kubeconfig's
// own credentials, or a direct URL given by flag or config file), with a
// timeout per request, and a Monitor that polls every endpoint on an
// interval with exponential backoff on failure, starting only once someone
// looks.
//
// REST APIs are not Kubernetes objects: they cannot be watched, so this is
// the one place the console polls. Nothing here prints a credential: URLs
// are shown without user information or query, and every error text passes
// through a Redactor.
package restapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamops/streamops/backend/platform"
)

// API is which REST API an endpoint serves.
type API int

const (
	Pravega API = iota // Pravega Controller REST API (base path /v1)
	Flink              // Flink JobManager REST API
)

func (a API) String() string {
	if a == Pravega {
		return "pravega"
	}
	return "flink"
}

// ParseAPI reads "pravega" or "flink".
func ParseAPI(s string) (API, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pravega":
		return Pravega, nil
	case "flink":
		return Flink, nil
	}
	return 0, fmt.Errorf("unknown API %q (pravega or flink)", s)
}

// Target is one cluster whose REST API the console reads.
type Target struct {
	API             API
	Namespace, Name string // of the custom resource
	Kind            string // PravegaCluster, FlinkDeployment, FlinkCluster; empty when only configured
}

// String is the target's key, also the flag syntax: "flink:iot-analytics/sensor-aggregation".
func (t Target) String() string { return t.API.String() + ":" + t.Namespace + "/" + t.Name }

// Targets lists the clusters of a snapshot that have a REST API: every
// PravegaCluster (its Controller) and every FlinkDeployment and FlinkCluster
// (its JobManager), sorted by API, namespace and name.
func Targets(snap *platform.Snapshot) []Target {
	if snap == nil {
		return nil
	}
	seen := map[Target]bool{}
	var out []Target
	for _, c := range snap.Components {
		var t Target
		switch {
		case c.Kind == platform.Controller && c.Source.Kind == "PravegaCluster":
			t = Target{API: Pravega, Namespace: c.Namespace, Name: c.Cluster, Kind: c.Source.Kind}
		case c.Kind == platform.FlinkJobManager && (c.Source.Kind == "FlinkDeployment" || c.Source.Kind == "FlinkCluster"):
			t = Target{API: Flink, Namespace: c.Namespace, Name: c.Cluster, Kind: c.Source.Kind}
		default:
			continue
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sortTargets(out)
	return out
}

func sortTargets(ts []Target) {
	slices.SortFunc(ts, func(a, b Target) int {
		if a.API != b.API {
			return int(a.API) - int(b.API)
		}
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Via is how requests reach an endpoint.
type Via int

const (
	ViaServiceProxy Via = iota // /api/v1/namespaces/NS/services/NAME:PORT/proxy/...
	ViaDirect                  // a URL given by flag or config file
	ViaNone                    // no way: neither a URL nor the service proxy
)

func (v Via) String() string {
	switch v {
	case ViaServiceProxy:
		return "service proxy"
	case ViaDirect:
		return "direct URL"
	}
	return "none"
}

// Route is how one target is reached. It holds no credential.
type Route struct {
	Via Via
	// Service proxy: the Service, its namespace and port (name or number).
	Namespace, Service, Port string
	// Direct: the URL with user information and query removed.
	URL string
}

// Where says where data comes from, for the pane: "service proxy
// pravega/pravega-pravega-controller:rest" or "direct http://10.0.0.5:10080".
func (r Route) Where() string {
	switch r.Via {
	case ViaServiceProxy:
		return "service proxy " + r.Namespace + "/" + r.Service + ":" + r.Port
	case ViaDirect:
		return "direct " + r.URL
	}
	return "no route"
}
