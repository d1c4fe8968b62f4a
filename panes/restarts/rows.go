package restarts

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
)

// Row is one container of the platform, with what the restarts pane shows
// about it. Rows is a pure function of a snapshot.
type Row struct {
	Namespace, Pod, Container string
	Init                      bool
	Node                      string
	Kind                      platform.Kind
	Component                 string // e.g. "BookKeeper bookkeeper"
	Restarts                  int32
	State                     platform.ContainerState
	Reason, Message           string // waiting or terminated reason
	Since                     time.Time
	PodPhase, PodReason       string
	Last                      *platform.Termination
	Events                    []platform.Event // Warning events about it, newest first
	Recent                    time.Time        // the newest of its last termination and events
	Limits                    platform.Resources

	comp   *platform.Component // what its usage and memory target are looked up by
	member *platform.Member
}

// Key identifies a row across snapshots.
func (r Row) Key() string { return r.Namespace + "/" + r.Pod + "/" + r.Container }

// Rows lists every container (init containers too) of the platform's pods,
// most restarted first, then the most recently troubled, with the Warning
// events that belong to each: events about the container itself
// (involvedObject.fieldPath spec.containers{name}) and events about the
// whole pod (no field path, e.g. FailedScheduling).
func Rows(s *platform.Snapshot) []Row {
	if s == nil {
		return nil
	}
	byObject := map[string][]platform.Event{}
	for _, e := range s.Events {
		k := e.Namespace + "/" + e.Object
		byObject[k] = append(byObject[k], e)
	}
	var out []Row
	for _, c := range s.Components {
		comp := c.Kind.String() + " " + c.Cluster
		for _, m := range c.Members {
			events := byObject[m.Namespace+"/Pod/"+m.Name]
			for i := range m.Containers {
				ct := &m.Containers[i]
				r := Row{
					Namespace: m.Namespace, Pod: m.Name, Container: ct.Name, Init: ct.Init, Node: m.Node,
					Kind: c.Kind, Component: comp, Restarts: ct.RestartCount, State: ct.State,
					Reason: ct.Reason, Message: ct.Message, Since: ct.Since, PodPhase: m.Phase, PodReason: m.Reason, Last: ct.Last,
					Limits: ct.Limits, comp: c, member: m,
				}
				for _, e := range events {
					if belongs(e, m, ct) {
						r.Events = append(r.Events, e)
					}
				}
				if r.Last != nil {
					r.Recent = r.Last.FinishedAt
				}
				if len(r.Events) > 0 && r.Events[0].Last.After(r.Recent) {
					r.Recent = r.Events[0].Last
				}
				out = append(out, r)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Row) int {
		if a.Restarts != b.Restarts {
			return int(b.Restarts - a.Restarts)
		}
		if c := b.Recent.Compare(a.Recent); c != 0 {
			return c
		}
		return strings.Compare(a.Key(), b.Key())
	})
	return out
}

// belongs says whether an event about a pod is about this container.
func belongs(e platform.Event, m *platform.Member, c *platform.Container) bool {
	if e.ObjectUID != "" && m.UID != "" && e.ObjectUID != m.UID {
		return false // about an earlier pod of the same name
	}
	if e.FieldPath == "" {
		return true
	}
	return e.FieldPath == "spec.containers{"+c.Name+"}" || e.FieldPath == "spec.initContainers{"+c.Name+"}"
}

// OOMKilled reports whether the container is, or last ended, OOMKilled.
func (r Row) OOMKilled() bool {
	return r.Reason == "OOMKilled" || r.Last != nil && r.Last.Reason == "OOMKilled"
}

// HasPrevious reports whether the container has a previous instance, whose
// log is where a crash is.
func (r Row) HasPrevious() bool { return r.Restarts > 0 || r.Last != nil }

// StateText is the container's state as kubectl describes it.
func (r Row) StateText() string {
	switch r.State {
	case platform.StateRunning:
		return "Running"
	case platform.StateWaiting:
		if r.Reason != "" {
			return r.Reason
		}
		return "Waiting"
	case platform.StateTerminated:
		if r.Reason != "" {
			return "Terminated: " + r.Reason
		}
		return "Terminated"
	}
	if r.PodReason != "" {
		return r.PodPhase + ": " + r.PodReason
	}
	if r.PodPhase != "" {
		return r.PodPhase
	}
	return "Unknown"
}

// Troubled reports whether the container is not running as it should.
func (r Row) Troubled() bool {
	switch r.State {
	case platform.StateRunning:
		return false
	case platform.StateTerminated:
		return r.Reason != "Completed"
	}
	return !(r.State == platform.StateWaiting && (r.Reason == "ContainerCreating" || r.Reason == "PodInitializing"))
}

// signals names the signals a container usually dies of.
var signals = map[int32]string{1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}

// ExitText is the exit code with the signal it means: "137 (SIGKILL)".
func ExitText(t *platform.Termination) string {
	sig := t.Signal
	if sig == 0 && t.ExitCode > 128 && t.ExitCode < 160 {
		sig = t.ExitCode - 128
	}
	s := fmt.Sprintf("exit %d", t.ExitCode)
	if sig != 0 {
		if name, ok := signals[sig]; ok {
			s += " (" + name + ")"
		} else {
			s += fmt.Sprintf(" (signal %d)", sig)
		}
	}
	return s
}

// LastText summarises the last termination in few cells:
// "OOMKilled 137 4m".
func (r Row) LastText(now time.Time) string {
	if r.Last == nil {
		return ""
	}
	reason := r.Last.Reason
	if reason == "" {
		reason = "exited"
	}
	return fmt.Sprintf("%s %d %s ago", reason, r.Last.ExitCode, pane.Since(now, r.Last.FinishedAt))
}

// FilterColumns are the columns the filter's column:value form narrows to.
var FilterColumns = []string{"pod", "container", "component", "kind", "namespace", "node", "state", "reason", "event"}

// fields is what the filter matches: a row's columns by name. reason is
// why the container is in its state and why it last ended (OOMKilled),
// event the reasons of its Warning events.
func (r Row) fields() []pane.Field {
	fs := []pane.Field{
		{Name: "pod", Value: r.Pod}, {Name: "container", Value: r.Container}, {Name: "component", Value: r.Component},
		{Name: "kind", Value: r.Kind.String()}, {Name: "namespace", Value: r.Namespace}, {Name: "node", Value: r.Node},
		{Name: "state", Value: r.StateText()}, {Name: "reason", Value: r.Reason},
	}
	if r.Last != nil {
		fs = append(fs, pane.Field{Name: "reason", Value: r.Last.Reason})
	}
	for _, e := range r.Events {
		fs = append(fs, pane.Field{Name: "event", Value: e.Reason})
	}
	return fs
}
