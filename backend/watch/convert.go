package watch

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/streamops/streamops/backend/platform"
)

// legacyIngressClass is the annotation that named an ingress's class
// before spec.ingressClassName.
const legacyIngressClass = "kubernetes.io/ingress.class"

// member converts a pod into an immutable platform member.
func member(p *corev1.Pod) *platform.Member {
	m := &platform.Member{
		Name: p.Name, Namespace: interned(p.Namespace), UID: string(p.UID), ResourceVersion: p.ResourceVersion,
		Node: interned(p.Spec.NodeName), IP: p.Status.PodIP, Phase: interned(string(p.Status.Phase)), Reason: interned(p.Status.Reason),
		Terminating: p.DeletionTimestamp != nil, Created: p.CreationTimestamp.Time, Labels: internedLabels(p.Labels, p.Name),
	}
	if m.Phase == "" {
		m.Phase = string(corev1.PodPending)
	}
	if p.Status.StartTime != nil {
		m.Started = p.Status.StartTime.Time
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			m.Ready = c.Status == corev1.ConditionTrue
		}
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			if m.Reason == "" {
				m.Reason = c.Reason // Unschedulable
			}
			m.Unschedulable = strings.TrimSpace(c.Reason + ": " + c.Message)
		}
	}
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			m.Owner = interned(o.Kind + "/" + o.Name)
			break
		}
	}
	m.Containers = make([]platform.Container, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers))
	m.Containers = appendContainers(m.Containers, p.Spec.InitContainers, p.Status.InitContainerStatuses, true)
	m.Containers = appendContainers(m.Containers, p.Spec.Containers, p.Status.ContainerStatuses, false)
	worst := ""
	for i := range m.Containers {
		c := &m.Containers[i]
		m.Restarts += c.RestartCount
		if c.State == platform.StateWaiting && c.Reason != "" && c.Reason != "ContainerCreating" && c.Reason != "PodInitializing" {
			worst = c.Reason
		}
	}
	if m.Reason == "" && worst != "" {
		m.Reason = worst
	}
	if m.Terminating {
		m.Reason = "Terminating"
	}
	return m
}

func appendContainers(out []platform.Container, spec []corev1.Container, statuses []corev1.ContainerStatus, init bool) []platform.Container {
	for _, sc := range spec {
		c := platform.Container{Name: interned(sc.Name), Init: init, Image: interned(sc.Image),
			Requests: platform.ResourcesOf(sc.Resources.Requests), Limits: platform.ResourcesOf(sc.Resources.Limits)}
		for i := range statuses {
			if statuses[i].Name == sc.Name {
				fillStatus(&c, &statuses[i])
				break
			}
		}
		out = append(out, c)
	}
	return out
}

func fillStatus(c *platform.Container, s *corev1.ContainerStatus) {
	c.Ready = s.Ready
	c.RestartCount = s.RestartCount
	c.ID = s.ContainerID
	if s.Image != "" {
		c.Image = interned(s.Image)
	}
	switch {
	case s.State.Running != nil:
		c.State = platform.StateRunning
		c.Since = s.State.Running.StartedAt.Time
	case s.State.Waiting != nil:
		c.State = platform.StateWaiting
		c.Reason = interned(s.State.Waiting.Reason)
		c.Message = s.State.Waiting.Message
	case s.State.Terminated != nil:
		c.State = platform.StateTerminated
		c.Reason = interned(s.State.Terminated.Reason)
		c.Message = s.State.Terminated.Message
		c.Since = s.State.Terminated.FinishedAt.Time
	}
	if t := s.LastTerminationState.Terminated; t != nil {
		c.Last = &platform.Termination{
			Reason: t.Reason, Message: t.Message, ExitCode: t.ExitCode, Signal: t.Signal,
			StartedAt: t.StartedAt.Time, FinishedAt: t.FinishedAt.Time,
		}
	}
}

// event converts a Warning event.
func event(e *corev1.Event) platform.Event {
	ev := platform.Event{
		UID: string(e.UID), Namespace: e.Namespace,
		Object:    e.InvolvedObject.Kind + "/" + e.InvolvedObject.Name,
		ObjectUID: string(e.InvolvedObject.UID), FieldPath: e.InvolvedObject.FieldPath,
		Reason: e.Reason, Message: strings.TrimSpace(e.Message), Count: e.Count,
		First: e.FirstTimestamp.Time, Last: e.LastTimestamp.Time,
		Source: e.Source.Component,
	}
	if ev.Source == "" {
		ev.Source = e.ReportingController
	}
	if ev.Last.IsZero() {
		ev.Last = e.EventTime.Time
	}
	if e.Series != nil {
		ev.Count = e.Series.Count
		if !e.Series.LastObservedTime.IsZero() {
			ev.Last = e.Series.LastObservedTime.Time
		}
	}
	if ev.First.IsZero() {
		ev.First = ev.Last
	}
	if ev.Count == 0 {
		ev.Count = 1
	}
	return ev
}

// pressureConditions are the node conditions a member's node is shown
// with when True, in this order.
var pressureConditions = []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure}

func node(n *corev1.Node) platform.Node {
	out := platform.Node{Name: n.Name, Schedulable: !n.Spec.Unschedulable, Labels: n.Labels, Allocatable: platform.ResourcesOf(n.Status.Allocatable)}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Ready = c.Status == corev1.ConditionTrue
		}
	}
	for _, t := range pressureConditions {
		for _, c := range n.Status.Conditions {
			if c.Type == t && c.Status == corev1.ConditionTrue {
				out.Pressure = append(out.Pressure, string(t))
			}
		}
	}
	for _, t := range n.Spec.Taints {
		out.Taints = append(out.Taints, platform.Taint{Key: t.Key, Value: t.Value, Effect: string(t.Effect)})
	}
	return out
}

func service(s *corev1.Service) platform.Service {
	out := platform.Service{
		Name: s.Name, Namespace: s.Namespace, Type: platform.ServiceType(s.Spec.Type), ClusterIP: s.Spec.ClusterIP,
		ExternalIPs: s.Spec.ExternalIPs, ExternalName: s.Spec.ExternalName, Selector: s.Spec.Selector, Labels: s.Labels,
	}
	if out.Type == "" {
		out.Type = platform.ClusterIP
	}
	for _, lb := range s.Status.LoadBalancer.Ingress {
		if lb.IP != "" {
			out.LoadBalancer = append(out.LoadBalancer, lb.IP)
		} else if lb.Hostname != "" {
			out.LoadBalancer = append(out.LoadBalancer, lb.Hostname)
		}
	}
	for _, p := range s.Spec.Ports {
		out.Ports = append(out.Ports, platform.ServicePort{Name: p.Name, Protocol: string(p.Protocol), Port: p.Port,
			TargetPort: p.TargetPort.String(), NodePort: p.NodePort})
	}
	return out
}

func ingress(in *networkingv1.Ingress) platform.Ingress {
	out := platform.Ingress{Name: in.Name, Namespace: in.Namespace}
	if in.Spec.IngressClassName != nil {
		out.Class = *in.Spec.IngressClassName
	} else if c := in.Annotations[legacyIngressClass]; c != "" {
		out.Class = c
	}
	backend := func(b *networkingv1.IngressBackend) (svc, port, res string) {
		if b == nil {
			return "", "", ""
		}
		if b.Service != nil {
			port = b.Service.Port.Name
			if port == "" {
				port = fmt.Sprint(b.Service.Port.Number)
			}
			return b.Service.Name, port, ""
		}
		if b.Resource != nil {
			return "", "", b.Resource.Kind + "/" + b.Resource.Name
		}
		return "", "", ""
	}
	if svc, port, res := backend(in.Spec.DefaultBackend); svc != "" || res != "" {
		out.Default = svc + ":" + port
		if res != "" {
			out.Default = res
		}
	}
	for _, r := range in.Spec.Rules {
		rule := platform.IngressRule{Host: r.Host}
		if r.HTTP != nil {
			for _, p := range r.HTTP.Paths {
				svc, port, res := backend(&p.Backend)
				pt := ""
				if p.PathType != nil {
					pt = string(*p.PathType)
				}
				rule.Paths = append(rule.Paths, platform.IngressPath{Path: p.Path, PathType: pt, Service: svc, Port: port, ResourceBackend: res})
			}
		}
		out.Rules = append(out.Rules, rule)
	}
	for _, t := range in.Spec.TLS {
		out.TLSHosts = append(out.TLSHosts, t.Hosts...)
		if t.SecretName != "" {
			out.TLSSecrets = append(out.TLSSecrets, t.SecretName)
		}
	}
	for _, lb := range in.Status.LoadBalancer.Ingress {
		if lb.IP != "" {
			out.Addresses = append(out.Addresses, lb.IP)
		} else if lb.Hostname != "" {
			out.Addresses = append(out.Addresses, lb.Hostname)
		}
	}
	return out
}
