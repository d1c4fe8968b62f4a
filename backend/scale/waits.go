package scale

import (
	"fmt"
	"strings"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
)

// WaitingOn says what a step that has not converged waits for.
type WaitingOn int

const (
	// WaitingNothing: the step converged, or nothing is known yet.
	WaitingNothing WaitingOn = iota
	// WaitingPods: member pods are missing, not ready or terminating.
	WaitingPods
	// WaitingResource: the pods are as the step wants them, but the
	// custom resource's status does not say so yet. The Pravega operators
	// requeue every 30 s and watch neither pods nor StatefulSets, so their
	// PodsReady follows the pods by up to half a minute.
	WaitingResource
)

func (w WaitingOn) String() string {
	switch w {
	case WaitingPods:
		return "pods"
	case WaitingResource:
		return "custom resource status"
	default:
		return ""
	}
}

// MemberWait is one member a step waits for and what the cluster says
// about it: one line per reason (the pod's latest Warning events, its
// containers' waiting reasons and last terminations, why it is not
// scheduled).
type MemberWait struct {
	Namespace, Pod string
	Container      string // the container whose logs explain it best
	State          string // "not ready", "Pending", "terminating", ...
	Reasons        []string
}

// maxEventReasons is how many of a pod's Warning events a wait lists.
const maxEventReasons = 2

// memberWait reads why m is not ready from the snapshot.
func memberWait(snap *platform.Snapshot, m *platform.Member, state string) MemberWait {
	w := MemberWait{Namespace: m.Namespace, Pod: m.Name, State: state}
	if m.Unschedulable != "" {
		w.Reasons = append(w.Reasons, "not scheduled: "+m.Unschedulable)
	}
	for _, c := range m.Containers {
		switch {
		case c.State == platform.StateWaiting && c.Reason != "" && c.Reason != "ContainerCreating" && c.Reason != "PodInitializing":
			w.Reasons = append(w.Reasons, withMessage(fmt.Sprintf("container %s waiting: %s", c.Name, c.Reason), c.Message))
		case c.State == platform.StateTerminated && c.Reason != "" && c.Reason != "Completed":
			w.Reasons = append(w.Reasons, withMessage(fmt.Sprintf("container %s terminated: %s", c.Name, c.Reason), c.Message))
		}
		if c.Last != nil && c.Last.Reason != "" {
			w.Reasons = append(w.Reasons, fmt.Sprintf("container %s last terminated: %s (exit %d), %d restart(s)", c.Name, c.Last.Reason, c.Last.ExitCode, c.RestartCount))
		}
		if w.Container == "" && !c.Init && (!c.Ready || c.Last != nil) {
			w.Container = c.Name
		}
	}
	if snap != nil {
		seen := map[string]bool{}
		n := 0
		for _, ev := range snap.EventsFor(m.Namespace, "Pod/"+m.Name) {
			if ev.ObjectUID != "" && m.UID != "" && ev.ObjectUID != m.UID {
				continue // about an earlier pod of the same name
			}
			if seen[ev.Reason] || n == maxEventReasons {
				continue
			}
			seen[ev.Reason] = true
			n++
			line := ev.Reason + ": " + ev.Message
			if ev.Count > 1 {
				line += fmt.Sprintf(" (×%d)", ev.Count)
			}
			w.Reasons = append(w.Reasons, line)
			if name, ok := containerOf(ev.FieldPath); ok && w.Container == "" {
				w.Container = name
			}
		}
	}
	if w.Container == "" {
		for _, c := range m.Containers {
			if !c.Init {
				w.Container = c.Name
				break
			}
		}
	}
	return w
}

// containerOf reads the container of an event's field path,
// "spec.containers{bookie}".
func containerOf(fieldPath string) (string, bool) {
	rest, ok := strings.CutPrefix(fieldPath, "spec.containers{")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "}")
	return name, ok && name != ""
}

func withMessage(s, msg string) string {
	if msg = strings.TrimSpace(kube.FirstLine(msg)); msg != "" {
		return s + ": " + msg
	}
	return s
}

// resourceWait says whether the operator's status of c does not report its
// pods ready, and what its conditions say: "" when it does (or reports no
// PodsReady at all, as a resource whose operator writes no status).
func resourceWait(c *platform.Component) (string, bool) {
	var podsReady *platform.Condition
	var msgs []string
	for i := range c.Conditions {
		cond := &c.Conditions[i]
		if cond.Type == "PodsReady" {
			podsReady = cond
		}
		if cond.Status == "True" && cond.Type == "Error" {
			msgs = append(msgs, withMessage("operator Error "+cond.Reason, cond.Message))
		}
	}
	if podsReady == nil || podsReady.Status == "True" {
		return strings.Join(msgs, "; "), false
	}
	line := "operator: PodsReady=" + podsReady.Status
	if podsReady.Reason != "" {
		line += " (" + podsReady.Reason + ")"
	}
	line = withMessage(line, podsReady.Message)
	return strings.Join(append([]string{line}, msgs...), "; "), true
}

// Reasons is one line per member the step waits for, with the cluster's
// reasons, and the operator's, for the timeout message and the audit log.
func (p Progress) Reasons() string {
	var parts []string
	for _, w := range p.Stuck {
		s := w.Pod + " " + w.State
		if len(w.Reasons) > 0 {
			s += " (" + strings.Join(w.Reasons, "; ") + ")"
		}
		parts = append(parts, s)
	}
	if p.Operator != "" {
		parts = append(parts, p.Operator)
	}
	return strings.Join(parts, "; ")
}
