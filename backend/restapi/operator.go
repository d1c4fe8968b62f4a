package restapi

import (
	"github.com/streamops/streamops/backend/platform"
)

// Operator is what a cluster's operator says of its custom resource, as
// the snapshot decoded it (backend/operator): for a FlinkDeployment the
// lifecycle and job state, and, when something is wrong, why (its error,
// a JobManager deployment that is not ready, a rolled-back upgrade).
type Operator struct {
	State  string          // "STABLE / job RUNNING"; "" when the operator says nothing
	Health platform.Health // of the component the REST API is served by
	Reason string          // why Health is not Ready
}

// Operators is the operator's word on every target of a snapshot, by
// Target.String(), from the component that serves its REST API (the
// Controller of a PravegaCluster, the JobManager of a Flink cluster).
func Operators(snap *platform.Snapshot) map[string]Operator {
	if snap == nil {
		return nil
	}
	out := map[string]Operator{}
	for _, c := range snap.Components {
		var t Target
		switch {
		case c.Kind == platform.Controller && c.Source.Kind == "PravegaCluster":
			t = Target{API: Pravega, Namespace: c.Namespace, Name: c.Cluster}
		case c.Kind == platform.FlinkJobManager && (c.Source.Kind == "FlinkDeployment" || c.Source.Kind == "FlinkCluster"):
			t = Target{API: Flink, Namespace: c.Namespace, Name: c.Cluster}
		default:
			continue
		}
		out[t.String()] = Operator{State: c.State, Health: c.Health, Reason: c.Reason}
	}
	return out
}

// OperatorFinding is the operator's word on a cluster when it is not
// Ready: Failed or Degraded (Progressing counts as Degraded: the REST
// data may be from before the change), naming the reason.
func OperatorFinding(op *Operator) (Finding, bool) {
	if op == nil || op.Health == platform.Ready || op.Reason == "" {
		return Finding{}, false
	}
	h := platform.Degraded
	if op.Health == platform.Failed {
		h = platform.Failed
	}
	return Finding{Health: h, Problem: OperatorSays, Text: "operator: " + oneLine(op.Reason)}, true
}
