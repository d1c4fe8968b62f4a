package restapi

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// serviceRule says how the operator of a target names and labels the
// Service in front of its REST API (contracts/LABELS.md).
type serviceRule struct {
	selector map[string]string // what the Service's spec.selector must contain
	port     string            // port name
	number   int32             // port number when the name is absent
	fallback string            // the operator's default Service name
}

func ruleFor(t Target) serviceRule {
	switch {
	case t.API == Pravega:
		// pravega-operator: <name>-pravega-controller (suffix configurable),
		// selector = controller labels, port "rest" 10080.
		return serviceRule{
			selector: map[string]string{"app": "pravega-cluster", "pravega_cluster": t.Name, "component": "pravega-controller"},
			port:     "rest", number: 10080, fallback: t.Name + "-pravega-controller",
		}
	case t.Kind == "FlinkCluster":
		// flink-on-k8s-operator: <name>-jobmanager, port "ui" 8081.
		return serviceRule{
			selector: map[string]string{"app": "flink", "cluster": t.Name, "component": "jobmanager"},
			port:     "ui", number: 8081, fallback: t.Name + "-jobmanager",
		}
	default:
		// flink-kubernetes-operator (native and standalone): <name>-rest,
		// port "rest" 8081; the internal Service <name> has no REST port.
		return serviceRule{
			selector: map[string]string{"app": t.Name, "component": "jobmanager"},
			port:     "rest", number: 8081, fallback: t.Name + "-rest",
		}
	}
}

// Resolve finds the Service and port of a target's REST API among the
// Services of its namespace: the one whose selector matches the operator's
// labels and that has the REST port, else the operator's default name. When
// Services may not be listed (RBAC), the default name is used unverified,
// and a wrong guess shows up as the proxy's own error.
func Resolve(ctx context.Context, client kubernetes.Interface, t Target) (Route, error) {
	rule := ruleFor(t)
	guess := Route{Via: ViaServiceProxy, Namespace: t.Namespace, Service: rule.fallback, Port: rule.port}
	list, err := client.CoreV1().Services(t.Namespace).List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) {
		return guess, nil
	}
	if err != nil {
		return Route{}, fmt.Errorf("list Services in %s: %w", t.Namespace, err)
	}
	return pickService(t, rule, list.Items)
}

func pickService(t Target, rule serviceRule, svcs []corev1.Service) (Route, error) {
	slices.SortFunc(svcs, func(a, b corev1.Service) int { return strings.Compare(a.Name, b.Name) })
	var candidates []Route
	for _, s := range svcs {
		port, ok := restPort(s, rule)
		if !ok {
			continue
		}
		r := Route{Via: ViaServiceProxy, Namespace: s.Namespace, Service: s.Name, Port: port}
		if s.Name == rule.fallback {
			candidates = append([]Route{r}, candidates...)
			continue
		}
		if selects(s.Spec.Selector, rule.selector) {
			candidates = append(candidates, r)
		}
	}
	if len(candidates) == 0 {
		return Route{}, fmt.Errorf("no Service in %s serves the %s REST API of %s (looked for %s or a selector %s with port %s)",
			t.Namespace, t.API, t.Name, rule.fallback, labels(rule.selector), rule.port)
	}
	return candidates[0], nil
}

func restPort(s corev1.Service, rule serviceRule) (string, bool) {
	if s.Spec.Type == corev1.ServiceTypeExternalName {
		return "", false
	}
	for _, p := range s.Spec.Ports {
		if p.Name == rule.port {
			return p.Name, true
		}
	}
	for _, p := range s.Spec.Ports {
		if p.Port == rule.number {
			if p.Name != "" {
				return p.Name, true
			}
			return strconv.Itoa(int(p.Port)), true
		}
	}
	return "", false
}

func selects(selector, want map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range want {
		if selector[k] != v {
			return false
		}
	}
	return true
}

func labels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}
