package demo

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The Services the operators create (contracts/LABELS.md), with the demo's
// choices of exposure: the Pravega controller through a LoadBalancer
// (externalAccess), the fraud-scoring dashboard through a NodePort, and the
// sensor-aggregation dashboard through a TLS Ingress. Addresses come from
// the documentation ranges (RFC 5737) and are never contacted.
func demoServices() []*corev1.Service {
	port := func(name string, p int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Port: p, TargetPort: intstr.FromInt32(p), Protocol: corev1.ProtocolTCP}
	}
	svc := func(ns, name string, typ corev1.ServiceType, selector map[string]string, ports ...corev1.ServicePort) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: selector},
			Spec:       corev1.ServiceSpec{Type: typ, Selector: selector, Ports: ports, ClusterIP: fmt.Sprintf("10.96.%d.%d", fnv(ns)%250, fnv(name)%250+2)},
		}
	}
	zk := map[string]string{"app": ZookeeperName}
	bk := map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": BookkeeperName, "component": "bookie"}
	ctl := map[string]string{"app": "pravega-cluster", "pravega_cluster": PravegaName, "component": "pravega-controller"}
	ss := map[string]string{"app": "pravega-cluster", "pravega_cluster": PravegaName, "component": "pravega-segmentstore"}
	jm := func(app string) map[string]string {
		return map[string]string{"type": "flink-native-kubernetes", "app": app, "component": "jobmanager"}
	}
	headless := func(s *corev1.Service) *corev1.Service { s.Spec.ClusterIP = corev1.ClusterIPNone; return s }
	out := []*corev1.Service{
		svc(StoreNamespace, ZookeeperName+"-client", corev1.ServiceTypeClusterIP, zk, port("tcp-client", 2181)),
		headless(svc(StoreNamespace, ZookeeperName+"-headless", corev1.ServiceTypeClusterIP, zk,
			port("tcp-client", 2181), port("tcp-quorum", 2888), port("tcp-leader-election", 3888), port("tcp-metrics", 7000), port("tcp-admin-server", 8080))),
		svc(StoreNamespace, ZookeeperName+"-admin-server", corev1.ServiceTypeClusterIP, zk, port("tcp-admin-server", 8080)),
		headless(svc(StoreNamespace, BookkeeperName+"-bookie-headless", corev1.ServiceTypeClusterIP, bk, port("bookie", 3181))),
		svc(StoreNamespace, PravegaName+"-pravega-controller", corev1.ServiceTypeLoadBalancer, ctl, port("rest", 10080), port("grpc", 9090)),
		headless(svc(StoreNamespace, PravegaName+"-pravega-segmentstore-headless", corev1.ServiceTypeClusterIP, ss, port("server", 12345))),
		svc(ProjectIoT, SensorJobName+"-rest", corev1.ServiceTypeClusterIP, jm(SensorJobName), port("rest", 8081)),
		svc(ProjectIoT, SensorJobName, corev1.ServiceTypeClusterIP, jm(SensorJobName), port("jobmanager-rpc", 6123), port("blobserver", 6124)),
		svc(ProjectFraud, FraudJobName+"-rest", corev1.ServiceTypeNodePort, jm(FraudJobName), port("rest", 8081)),
		svc(ProjectFraud, FraudJobName, corev1.ServiceTypeClusterIP, jm(FraudJobName), port("jobmanager-rpc", 6123), port("blobserver", 6124)),
	}
	for _, s := range out {
		switch s.Spec.Type {
		case corev1.ServiceTypeLoadBalancer:
			s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort = 31080, 31090
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.10"}}
		case corev1.ServiceTypeNodePort:
			s.Spec.Ports[0].NodePort = 30081
		}
	}
	return out
}

func demoIngresses() []*networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	return []*networkingv1.Ingress{{
		ObjectMeta: metav1.ObjectMeta{Name: SensorJobName, Namespace: ProjectIoT, Labels: map[string]string{"app": SensorJobName, "component": "ingress"}},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To("nginx"),
			TLS:              []networkingv1.IngressTLS{{Hosts: []string{"flink.iot-analytics.example.com"}, SecretName: "iot-analytics-tls"}},
			Rules: []networkingv1.IngressRule{{Host: "flink.iot-analytics.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: SensorJobName + "-rest", Port: networkingv1.ServiceBackendPort{Number: 8081}}}}},
			}}}},
		},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "198.51.100.20"}}}},
	}}
}

// network creates the Services and Ingresses once, and keeps each
// service's EndpointSlice in step with its ready pods, as the
// endpointslice controller does.
func (s *simulator) network(ctx context.Context) error {
	if !s.networkSeeded {
		for _, svc := range demoServices() {
			if _, err := s.p.typed.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("create service %s: %w", svc.Name, err)
			}
		}
		for _, in := range demoIngresses() {
			if _, err := s.p.typed.NetworkingV1().Ingresses(in.Namespace).Create(ctx, in, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("create ingress %s: %w", in.Name, err)
			}
		}
		s.networkSeeded = true
	}
	services, err := s.p.typed.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list services: %w", err)
	}
	for i := range services.Items {
		svc := &services.Items[i]
		pods, err := s.p.typed.CoreV1().Pods(svc.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
		if err != nil {
			return fmt.Errorf("list pods of %s: %w", svc.Name, err)
		}
		var eps []discoveryv1.Endpoint
		slices.SortFunc(pods.Items, func(a, b corev1.Pod) int { return cmpString(a.Name, b.Name) })
		for _, p := range pods.Items {
			if p.Status.PodIP == "" {
				continue
			}
			eps = append(eps, discoveryv1.Endpoint{Addresses: []string{p.Status.PodIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(podReady(&p))},
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}})
		}
		if err := s.writeSlice(ctx, svc, eps); err != nil {
			return err
		}
	}
	return nil
}

func (s *simulator) writeSlice(ctx context.Context, svc *corev1.Service, eps []discoveryv1.Endpoint) error {
	slices := s.p.typed.DiscoveryV1().EndpointSlices(svc.Namespace)
	name := svc.Name + "-demo"
	cur, err := slices.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = slices.Create(ctx, &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: svc.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps,
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return fmt.Errorf("get endpointslice %s: %w", name, err)
	}
	if sameEndpoints(cur.Endpoints, eps) {
		return nil
	}
	cur.Endpoints = eps
	_, err = slices.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

func sameEndpoints(a, b []discoveryv1.Endpoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Equal(a[i].Addresses, b[i].Addresses) || ptr.Deref(a[i].Conditions.Ready, true) != ptr.Deref(b[i].Conditions.Ready, true) {
			return false
		}
	}
	return true
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
