// Package access answers the security and networking questions of the
// notes: what of the platform is reachable from outside the cluster, where
// the Flink dashboards and Pravega controllers can be reached, who the
// current user is, and what that user may do (a can-i matrix from
// SelfSubjectAccessReviews).
package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamops/streamops/backend/platform"
)

// Exposed is one way into the platform from outside the cluster.
type Exposed struct {
	Kind      string // LoadBalancer, NodePort, ExternalIP, Ingress
	Namespace string
	Name      string   // service or ingress name
	Addresses []string // host:port or URL
	Target    string   // what it reaches (service:port or pods)
	TLS       bool     // ingress with TLS for the host
}

// Exposure lists everything reachable from outside the cluster.
func Exposure(s *platform.Snapshot) []Exposed {
	var out []Exposed
	for _, svc := range s.Services {
		switch {
		case svc.Type == platform.LoadBalancer:
			var addrs []string
			for _, ip := range svc.LoadBalancer {
				for _, p := range svc.Ports {
					addrs = append(addrs, fmt.Sprintf("%s:%d", ip, p.Port))
				}
			}
			if len(addrs) == 0 {
				addrs = []string{"(load balancer pending)"}
			}
			out = append(out, Exposed{Kind: "LoadBalancer", Namespace: svc.Namespace, Name: svc.Name, Addresses: addrs, Target: portList(svc)})
		case svc.Type == platform.NodePort:
			var addrs []string
			for _, p := range svc.Ports {
				if p.NodePort != 0 {
					addrs = append(addrs, fmt.Sprintf("<any node>:%d", p.NodePort))
				}
			}
			out = append(out, Exposed{Kind: "NodePort", Namespace: svc.Namespace, Name: svc.Name, Addresses: addrs, Target: portList(svc)})
		}
		if len(svc.ExternalIPs) > 0 {
			var addrs []string
			for _, ip := range svc.ExternalIPs {
				for _, p := range svc.Ports {
					addrs = append(addrs, fmt.Sprintf("%s:%d", ip, p.Port))
				}
			}
			out = append(out, Exposed{Kind: "ExternalIP", Namespace: svc.Namespace, Name: svc.Name, Addresses: addrs, Target: portList(svc)})
		}
	}
	for _, in := range s.Ingresses {
		for _, r := range in.Rules {
			host := r.Host
			if host == "" {
				host = "*"
			}
			tls := slices.Contains(in.TLSHosts, r.Host)
			scheme := "http://"
			if tls {
				scheme = "https://"
			}
			for _, p := range r.Paths {
				target := p.Service + ":" + p.Port
				if p.ResourceBackend != "" {
					target = p.ResourceBackend
				}
				out = append(out, Exposed{Kind: "Ingress", Namespace: in.Namespace, Name: in.Name,
					Addresses: []string{scheme + host + orSlash(p.Path)}, Target: target, TLS: tls})
			}
		}
		if in.Default != "" {
			out = append(out, Exposed{Kind: "Ingress", Namespace: in.Namespace, Name: in.Name, Addresses: []string{"(default backend)"}, Target: in.Default})
		}
	}
	return out
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func portList(svc platform.Service) string {
	var ps []string
	for _, p := range svc.Ports {
		name := p.Name
		if name == "" {
			name = strings.ToLower(p.Protocol)
		}
		ps = append(ps, fmt.Sprintf("%s %d", name, p.Port))
	}
	return strings.Join(ps, ", ")
}

// Entry is where a web or REST endpoint of the platform can be reached.
type Entry struct {
	What      string // "Flink dashboard", "Pravega controller REST"
	Namespace string
	Cluster   string
	Service   string // service:port name
	// How lists the ways in, best first: an ingress URL, a load balancer
	// or node port address, and always the API server's service proxy.
	How []string
	// Missing is set when the expected service does not exist.
	Missing bool
}

// Entries finds the Flink dashboards and Pravega controller REST endpoints
// from the operators' components and the Services they create
// (contracts/LABELS.md): <name>-rest:8081 (FlinkDeployment),
// <name>-jobmanager:ui (FlinkCluster), <name>-pravega-controller:rest.
// server is the API server URL (credentials removed) for the proxy path.
func Entries(s *platform.Snapshot, server string) []Entry {
	var out []Entry
	seen := map[string]bool{}
	for _, c := range s.Components {
		var what, svcName, port string
		switch {
		case c.Kind == platform.FlinkJobManager && c.Source.Kind == "FlinkDeployment":
			what, svcName, port = "Flink dashboard", c.Cluster+"-rest", "rest"
		case c.Kind == platform.FlinkJobManager && c.Source.Kind == "FlinkCluster":
			what, svcName, port = "Flink dashboard", c.Cluster+"-jobmanager", "ui"
		case c.Kind == platform.Controller:
			what, svcName, port = "Pravega controller REST", c.Cluster+"-pravega-controller", "rest"
		default:
			continue
		}
		key := c.Namespace + "/" + svcName
		if seen[key] {
			continue
		}
		seen[key] = true
		e := Entry{What: what, Namespace: c.Namespace, Cluster: c.Cluster, Service: svcName + ":" + port}
		svc := findService(s, c.Namespace, svcName)
		if svc == nil {
			e.Missing = true
		} else {
			only := *svc // the named port only: the controller's gRPC port is no REST address
			only.Ports = slices.DeleteFunc(slices.Clone(svc.Ports), func(p platform.ServicePort) bool { return p.Name != port })
			for _, x := range Exposure(&platform.Snapshot{Services: []platform.Service{only}, Ingresses: ingressesTo(s, c.Namespace, svcName)}) {
				e.How = append(e.How, x.Addresses...)
			}
		}
		e.How = append(e.How, ProxyURL(server, c.Namespace, svcName, port, "/"))
		out = append(out, e)
	}
	return out
}

// ProxyURL is the API server's service proxy address of a service port;
// only the path when the server's URL is unknown.
func ProxyURL(server, namespace, service, port, path string) string {
	p := "/api/v1/namespaces/" + namespace + "/services/" + service + ":" + port + "/proxy" + path
	if !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://") {
		return p
	}
	return strings.TrimSuffix(server, "/") + p
}

func findService(s *platform.Snapshot, ns, name string) *platform.Service {
	for i := range s.Services {
		if s.Services[i].Namespace == ns && s.Services[i].Name == name {
			return &s.Services[i]
		}
	}
	return nil
}

func ingressesTo(s *platform.Snapshot, ns, svc string) []platform.Ingress {
	var out []platform.Ingress
	for _, in := range s.Ingresses {
		if in.Namespace != ns {
			continue
		}
		keep := in
		keep.Rules, keep.Default = nil, ""
		for _, r := range in.Rules {
			rule := platform.IngressRule{Host: r.Host}
			for _, p := range r.Paths {
				if p.Service == svc {
					rule.Paths = append(rule.Paths, p)
				}
			}
			if len(rule.Paths) > 0 {
				keep.Rules = append(keep.Rules, rule)
			}
		}
		if len(keep.Rules) > 0 {
			out = append(out, keep)
		}
	}
	return out
}
