package scale

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/platform"
)

// What a FlinkDeployment change costs its job.
//
// flink-kubernetes-operator docs, "Job Management" → "Stateful and
// stateless application upgrades"
// (https://nightlies.apache.org/flink/flink-kubernetes-operator-docs-main/docs/custom-resource/job-management/#stateful-and-stateless-application-upgrades):
// when the spec of a FlinkDeployment changes, the operator stops the running
// job (unless it is suspended) and redeploys it with the new spec, the state
// carried over as spec.job.upgradeMode says:
//   - stateless: the job starts again from an empty state;
//   - savepoint: the operator stops the job with a savepoint and restores
//     from it; a savepoint needs a running job, so an unhealthy job falls
//     back to its last checkpoint (kubernetes.operator.job.upgrade.
//     last-state-fallback.enabled, on by default);
//   - last-state: the latest checkpoint, found through the HA metadata, in
//     any job state.
//
// That covers spec.taskManager.replicas, spec.job.parallelism, the task
// slots (spec.flinkConfiguration) and the TaskManager resources alike: in
// native mode each is an upgrade that redeploys the JobManager and every
// TaskManager. The exceptions are in-place rescaling: the autoscaler's
// pipeline.jobvertex-parallelism-overrides with the adaptive scheduler
// (Flink 1.18+, docs "Autoscaler"), which the wizard never writes, and a
// standalone deployment in reactive mode (scheduler-mode: reactive), where
// a replicas change is a SCALE diff: the operator only resizes the
// TaskManagers and the job rescales itself onto every slot (operator PR
// #351, "Enable reactive scaling for standalone deployments"). The JobSpec
// default upgradeMode is stateless.

// RestartFrom is what a Flink job restarts from after a step.
type RestartFrom int

const (
	// NoRestart: the job is not restarted by the step.
	NoRestart RestartFrom = iota
	// FromSavepoint: the operator stops the job with a savepoint and
	// restores it.
	FromSavepoint
	// FromCheckpoint: the job restores its last checkpoint (last-state).
	FromCheckpoint
	// FromNothing: the job starts with an empty state; what it held is lost.
	FromNothing
	// RestartUnknown: the upgradeMode is not one the operator knows.
	RestartUnknown
)

// Restart says whether a Flink step restarts the job and from what.
type Restart struct {
	From RestartFrom
	Line string // one line for the plan step
}

// LosesState is true when the job restarts with no state (or the wizard
// cannot tell what it restarts from).
func (r Restart) LosesState() bool { return r.From == FromNothing || r.From == RestartUnknown }

// Suggestion is an extra change the engine offers to add to a plan, and
// why: TaskManagers scaled out while the job's parallelism leaves the new
// slots idle get the parallelism raised to the slots.
type Suggestion struct {
	Step   int
	Reason string // one line
	Change Change
}

// flinkShape is what a FlinkDeployment runs after a step: slots per
// TaskManager, TaskManagers, and the job's parallelism.
type flinkShape struct {
	slots, replicas int
	parallelism     int
	hasParallelism  bool
}

// Slots is how many task slots the TaskManagers give together.
func (f flinkShape) Slots() int { return f.slots * f.replicas }

// shapeOf reads the shape of a FlinkDeployment with values (field → new
// value) applied over its spec; replicas is what the step expects.
func shapeOf(c *platform.Component, u *unstructured.Unstructured, values map[Field]string, replicas int) flinkShape {
	val := func(f Field) string {
		if v, ok := values[f]; ok {
			return v
		}
		b, _ := bindingFor(c, f)
		return b.read(u)
	}
	sh := flinkShape{replicas: replicas}
	sh.slots, _ = strconv.Atoi(val(TaskSlots))
	sh.slots = max(sh.slots, 1) // taskmanager.numberOfTaskSlots defaults to 1
	p, err := strconv.Atoi(val(Parallelism))
	sh.parallelism, sh.hasParallelism = p, err == nil
	return sh
}

// flinkStep works out how many TaskManagers a FlinkDeployment runs after the
// step, whether the job restarts and from what, and whether new slots would
// sit idle.
func flinkStep(s *Step, c *platform.Component, u *unstructured.Unstructured, values map[Field]string) {
	sh := shapeOf(c, u, values, 0)
	b, _ := bindingFor(c, Replicas)
	replicas, err := strconv.Atoi(valueOr(values, Replicas, b.read(u)))
	if _, set := values[Replicas]; !set && err != nil {
		// without spec.taskManager.replicas the operator runs ceil(parallelism/slots)
		if sh.hasParallelism {
			s.Expect = int(math.Ceil(float64(sh.parallelism) / float64(sh.slots)))
		}
	} else if err == nil {
		s.Expect = replicas
	}
	sh.replicas = s.Expect
	for _, d := range s.Diffs {
		if d.Field != Replicas {
			s.Redeploy = true
		}
	}
	s.Restart = flinkRestart(s, u)

	_, moreReplicas := values[Replicas]
	_, moreSlots := values[TaskSlots]
	before := shapeOf(c, u, nil, s.Before)
	if !moreReplicas && !moreSlots || !sh.hasParallelism || reactive(u) || sh.Slots() <= before.Slots() || sh.parallelism >= sh.Slots() {
		return
	}
	// the step asks for slots the job's parallelism cannot use (not the
	// TaskManagers the operator adds itself when replicas are unset)
	idle := sh.Slots() - sh.parallelism
	s.Warnings = append(s.Warnings, fmt.Sprintf("%d of %d slots would sit idle: job parallelism %d uses only %d of %d TaskManager(s) × %d slots",
		idle, sh.Slots(), sh.parallelism, sh.parallelism, sh.replicas, sh.slots))
	s.suggest = &Suggestion{
		Reason: fmt.Sprintf("raise job parallelism %d→%d to use all %d slots", sh.parallelism, sh.Slots(), sh.Slots()),
		Change: Change{Key: c.Key(), Field: Parallelism, To: strconv.Itoa(sh.Slots())},
	}
}

func valueOr(values map[Field]string, f Field, def string) string {
	if v, ok := values[f]; ok {
		return v
	}
	return def
}

// reactive is true for a standalone deployment in reactive mode, where the
// job uses every slot whatever its parallelism.
func reactive(u *unstructured.Unstructured) bool {
	mode, _, _ := unstructured.NestedString(u.Object, "spec", "mode")
	sched, _, _ := unstructured.NestedString(u.Object, "spec", "flinkConfiguration", "scheduler-mode")
	return strings.EqualFold(mode, "standalone") && strings.EqualFold(sched, "reactive")
}

// flinkRestart is the restart line of a FlinkDeployment step, from its
// spec.job.upgradeMode and status.jobStatus.state (see the top of the file).
func flinkRestart(s *Step, u *unstructured.Unstructured) Restart {
	if _, isJob, _ := unstructured.NestedMap(u.Object, "spec", "job"); !isJob {
		return Restart{From: NoRestart, Line: "session cluster: the operator redeploys it; the jobs submitted to it restart as their own upgradeMode says"}
	}
	mode, _, _ := unstructured.NestedString(u.Object, "spec", "job", "upgradeMode")
	want, _, _ := unstructured.NestedString(u.Object, "spec", "job", "state")
	state, _, _ := unstructured.NestedString(u.Object, "status", "jobStatus", "state")
	state = strings.ToUpper(strings.TrimSpace(state))
	modeText := "upgradeMode " + mode
	if mode == "" {
		mode, modeText = "stateless", "upgradeMode unset: the operator's default, stateless"
	}
	onlyReplicas := len(s.Diffs) > 0
	for _, d := range s.Diffs {
		onlyReplicas = onlyReplicas && d.Field == Replicas
	}
	switch {
	case strings.EqualFold(want, "suspended") || state == "SUSPENDED":
		return Restart{From: NoRestart, Line: fmt.Sprintf("no restart now: the job is suspended; the change applies when it is resumed (%s)", modeText)}
	case onlyReplicas && reactive(u):
		return Restart{From: NoRestart, Line: "no redeploy: standalone reactive mode, the operator resizes the TaskManagers and the job rescales itself onto every slot"}
	}
	redeploy := "the operator stops the job and redeploys it with every TaskManager"
	switch mode {
	case "stateless":
		return Restart{From: FromNothing, Line: fmt.Sprintf("job restarts from nothing: %s and the job's state is lost (%s)", redeploy, modeText)}
	case "last-state":
		return Restart{From: FromCheckpoint, Line: fmt.Sprintf("job restarts from its last checkpoint (HA metadata): %s (%s)", redeploy, modeText)}
	case "savepoint":
		switch state {
		case "RUNNING":
			return Restart{From: FromSavepoint, Line: fmt.Sprintf("job restarts from a savepoint: the operator stops the job with a savepoint and redeploys it with every TaskManager (%s)", modeText)}
		case "":
			return Restart{From: FromSavepoint, Line: fmt.Sprintf("job restarts from a savepoint if it is running, else from its last checkpoint; job state unknown (%s)", modeText)}
		}
		return Restart{From: FromCheckpoint, Line: fmt.Sprintf("job restarts from its last checkpoint: it is %s and a savepoint needs a running job (%s falls back to last-state)", state, modeText)}
	}
	return Restart{From: RestartUnknown, Line: fmt.Sprintf("job restarts, from what is unknown: upgradeMode %q is none of stateless, last-state, savepoint", mode)}
}

// flinkRefusals refuses a FlinkDeployment step after which the job's
// parallelism needs more slots than the TaskManagers give: the job cannot
// be scheduled. Nothing may override it.
func flinkRefusals(snap *platform.Snapshot, objs Objects, plan Plan) []Refusal {
	var out []Refusal
	for _, s := range plan.Steps {
		if s.Claim != nil || s.Ref.Kind != "FlinkDeployment" || s.Kind != platform.FlinkTaskManager || objs == nil {
			continue
		}
		c := snap.Component(s.Key)
		if c == nil {
			continue
		}
		u, ok := objs.Object(gvrOf(c.Source), c.Source.Namespace, c.Source.Name)
		if !ok {
			continue
		}
		values := map[Field]string{}
		for _, d := range s.Diffs {
			values[d.Field] = d.To
		}
		sh := shapeOf(c, u, values, s.Expect)
		if !sh.hasParallelism || sh.Slots() >= sh.parallelism {
			continue
		}
		need := int(math.Ceil(float64(sh.parallelism) / float64(sh.slots)))
		out = append(out, Refusal{ID: fmt.Sprintf("flink-slots#%d", s.N), Step: s.N, Target: s.Target(),
			Reason: fmt.Sprintf("%s: job parallelism %d needs %d slots; %d TaskManager(s) × %d slots give %d: the job cannot be scheduled",
				s.Title(), sh.parallelism, sh.parallelism, sh.replicas, sh.slots, sh.Slots()),
			Safe: fmt.Sprintf("at least %d TaskManager(s) at %d slots each, or job parallelism at most %d", need, sh.slots, sh.Slots())})
	}
	return out
}
