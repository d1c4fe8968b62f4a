package operator

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/platform"
)

// Decode turns one custom resource into the components it manages, without
// members (they are attached from the pod informer). Problems with the
// resource's shape are reported in Component.Invalid, never as a panic.
func Decode(res Resource, u *unstructured.Unstructured) []*platform.Component {
	ref := platform.Ref{
		Group: res.GVR.Group, Version: res.GVR.Version, Resource: res.GVR.Resource, Kind: res.Kind,
		Namespace: u.GetNamespace(), Name: u.GetName(), UID: string(u.GetUID()), ResourceVersion: u.GetResourceVersion(),
	}
	spec := &fields{obj: u.Object, section: "spec"}
	status := &fields{obj: u.Object, section: "status"}
	var comps []*platform.Component
	add := func(kind platform.Kind, desired int, hasSpec bool) *platform.Component {
		c := &platform.Component{Kind: kind, Cluster: ref.Name, Namespace: ref.Namespace, Source: ref, Desired: desired, HasSpec: hasSpec}
		comps = append(comps, c)
		return c
	}
	switch res.Kind {
	case ZookeeperClusters.Kind:
		c := add(platform.ZooKeeper, replicas(spec, 3, "spec", "replicas"), true)
		c.Version = status.str("status", "currentVersion")
		c.TargetVersion = status.str("status", "targetVersion")
		if c.Version == "" {
			c.Version = spec.str("spec", "image", "tag")
		}
		c.Conditions = status.conditions("status", "conditions")
	case BookkeeperClusters.Kind:
		c := add(platform.BookKeeper, replicas(spec, 3, "spec", "replicas"), true)
		c.Version = status.str("status", "currentVersion")
		c.TargetVersion = status.str("status", "targetVersion")
		if c.Version == "" {
			c.Version = spec.str("spec", "version")
		}
		c.Conditions = status.conditions("status", "conditions")
	case PravegaClusters.Kind:
		version := status.str("status", "currentVersion")
		target := status.str("status", "targetVersion")
		if version == "" {
			if res.GVR.Version == "v1alpha1" {
				version = spec.str("spec", "pravega", "image", "tag")
			} else {
				version = spec.str("spec", "version")
			}
		}
		conds := status.conditions("status", "conditions")
		if res.GVR.Version == "v1alpha1" {
			bk := add(platform.BookKeeper, replicas(spec, 3, "spec", "bookkeeper", "replicas"), true)
			bk.Version, bk.TargetVersion, bk.Conditions = version, target, conds
		}
		ss := add(platform.SegmentStore, replicas(spec, 1, "spec", "pravega", "segmentStoreReplicas"), true)
		ss.Version, ss.TargetVersion, ss.Conditions = version, target, conds
		ct := add(platform.Controller, replicas(spec, 1, "spec", "pravega", "controllerReplicas"), true)
		ct.Version, ct.TargetVersion, ct.Conditions = version, target, conds
		// spec.authentication (both versions): whether clients, the
		// Controller's REST API included, must authenticate.
		if _, ok := spec.get("spec", "authentication"); ok {
			enabled, _ := spec.boolean("spec", "authentication", "enabled")
			ct.Auth = &platform.Auth{Enabled: enabled, PasswordSecret: spec.str("spec", "authentication", "passwordAuthSecret")}
		}
	case FlinkDeployments.Kind:
		decodeFlinkDeployment(spec, status, add)
	case FlinkClusters.Kind:
		decodeFlinkCluster(spec, status, add)
	default:
		return nil
	}
	invalid := spec.problem()
	if p := status.problem(); p != "" {
		if invalid != "" {
			invalid += "; " + p
		} else {
			invalid = p
		}
	}
	for _, c := range comps {
		c.Invalid = invalid
	}
	return comps
}

// replicas reads a replica count, using def when the field is absent (the
// operator's default) and recording negative values as problems.
func replicas(f *fields, def int, path ...string) int {
	n, ok := f.integer(path...)
	if !ok {
		return def
	}
	if n < 0 {
		f.fail(path, "is negative (%d)", n)
		return def
	}
	return n
}

func decodeFlinkDeployment(spec, status *fields, add func(platform.Kind, int, bool) *platform.Component) {
	version := spec.str("spec", "flinkVersion")
	state := status.str("status", "lifecycleState")
	jobState := status.str("status", "jobStatus", "state")
	conds := status.conditions("status", "conditions")
	if msg := status.str("status", "error"); msg != "" {
		reason, text := flinkError(msg)
		conds = append(conds, platform.Condition{Type: "Error", Status: "True", Reason: reason, Message: oneLine(text)})
	}
	if jm := status.str("status", "jobManagerDeploymentStatus"); jm != "" && jm != "READY" {
		conds = append(conds, platform.Condition{Type: "JobManagerDeployment", Status: "False", Reason: jm})
	}
	// The last upgrade's reconciliation: UPGRADING while the operator
	// applies a spec, ROLLING_BACK and ROLLED_BACK when it failed to.
	if rs := status.str("status", "reconciliationStatus", "state"); rs != "" && rs != "DEPLOYED" {
		conds = append(conds, platform.Condition{Type: "Reconciliation", Status: "False", Reason: rs})
	}
	switch {
	case jobState == "":
	case state == "" || state == "STABLE": // STABLE is the lifecycle's normal state
		state = "job " + jobState
	default:
		state += " / job " + jobState
	}
	jm := add(platform.FlinkJobManager, replicas(spec, 1, "spec", "jobManager", "replicas"), true)
	jm.Version, jm.State, jm.Conditions = version, state, conds

	// TaskManagers: spec.taskManager.replicas (the scale subresource); without
	// it the operator runs ceil(parallelism / slots) of them.
	tmDesired, hasSpec := 0, true
	if n, ok := spec.integer("spec", "taskManager", "replicas"); ok && n >= 0 {
		tmDesired = n
	} else if p, ok := spec.integer("spec", "job", "parallelism"); ok && p > 0 {
		slots := flinkSlots(spec, "flinkConfiguration")
		tmDesired = int(math.Ceil(float64(p) / float64(slots)))
	} else if n, ok := status.integer("status", "taskManager", "replicas"); ok {
		tmDesired = n
	} else {
		hasSpec = false
	}
	tm := add(platform.FlinkTaskManager, tmDesired, hasSpec)
	tm.Version, tm.State, tm.Conditions = version, state, conds
}

// flinkSlots reads taskmanager.numberOfTaskSlots from a Flink configuration
// map, written as a string or a number depending on the CRD version.
func flinkSlots(f *fields, configKey string) int {
	s := f.str("spec", configKey, "taskmanager.numberOfTaskSlots")
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
		return n
	}
	return 1
}

func decodeFlinkCluster(spec, status *fields, add func(platform.Kind, int, bool) *platform.Component) {
	version := spec.str("spec", "flinkVersion")
	state := status.str("status", "state")
	if js := status.str("status", "components", "job", "state"); js != "" {
		state += " / job " + js
	}
	var conds []platform.Condition
	for _, part := range []string{"jobManager", "taskManager", "jobManagerStatefulSet", "taskManagerStatefulSet"} {
		if s := status.str("status", "components", part, "state"); s != "" && s != "Ready" {
			conds = append(conds, platform.Condition{Type: part, Status: "False", Reason: s})
		}
	}
	if s := status.str("status", "components", "job", "state"); s == "Failed" || s == "DeployFailed" || s == "Lost" {
		conds = append(conds, platform.Condition{Type: "Error", Status: "True", Reason: "Job" + s})
	}
	jm := add(platform.FlinkJobManager, replicas(spec, 1, "spec", "jobManager", "replicas"), true)
	jm.Version, jm.State, jm.Conditions = version, state, conds
	tm := add(platform.FlinkTaskManager, replicas(spec, 0, "spec", "taskManager", "replicas"), true)
	tm.Version, tm.State, tm.Conditions = version, state, conds
}

// flinkError reads the Flink operator's status.error: the JSON of its
// FlinkResourceException (type, message, and the chain of causes as
// throwableList, filteredExceptions in later versions), or, when the
// operator could not serialise it, plain text. It returns a reason (the
// exception's class, without its package) and its message, which ends
// with the root cause: "deploy failed; cause: RestClientException: 400
// bad request".
func flinkError(s string) (reason, message string) {
	type exc struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	var e struct {
		exc
		Throwables []exc `json:"throwableList"`
		Filtered   []exc `json:"filteredExceptions"`
	}
	if t := strings.TrimSpace(s); !strings.HasPrefix(t, "{") || json.Unmarshal([]byte(t), &e) != nil || e.Type == "" && e.Message == "" {
		return "Error", s
	}
	short := func(x exc) string {
		name := x.Type
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		switch {
		case name == "":
			return x.Message
		case x.Message == "":
			return name
		}
		return name + ": " + x.Message
	}
	reason = "Error"
	if r := short(exc{Type: e.Type}); r != "" {
		reason = r
	}
	message = e.Message
	causes := append(e.Throwables, e.Filtered...)
	if n := len(causes); n > 0 && causes[n-1] != e.exc {
		message += "; cause: " + short(causes[n-1])
	}
	return reason, message
}

// oneLine keeps the first line of operator-written text, at most 200
// bytes (cut on a rune boundary), for rows and the status bar.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Assess sets Health and Reason of a component whose members are attached.
func Assess(c *platform.Component) {
	c.Health, c.Reason = assess(c)
}

func assess(c *platform.Component) (platform.Health, string) {
	if c.Invalid != "" {
		return platform.Unknown, c.Invalid
	}
	for _, cond := range c.Conditions {
		if cond.Type == "Error" && cond.Status == "True" {
			return platform.Failed, strings.TrimSpace("error: " + cond.Reason + " " + cond.Message)
		}
	}
	if strings.Contains(c.State, "FAILED") || strings.HasSuffix(c.State, "job Failed") {
		return platform.Failed, c.State
	}
	crash := ""
	for _, m := range c.Members {
		for _, ct := range m.Containers {
			if ct.Reason == "CrashLoopBackOff" || ct.Reason == "ImagePullBackOff" || ct.Reason == "ErrImagePull" || ct.Reason == "CreateContainerConfigError" {
				// the cause first: a cut line keeps it, the pod is named after
				crash = fmt.Sprintf("%s %s in %s", ct.Name, ct.Reason, m.Name)
				break
			}
		}
		if crash != "" {
			break
		}
	}
	// members that should be running: not on their way out, not a finished
	// pod; one the scheduler cannot place is named as the cause
	active, unschedulable := 0, ""
	for _, m := range c.Members {
		if m.Terminating || m.Phase == "Succeeded" {
			continue
		}
		active++
		if unschedulable == "" && m.Phase == "Pending" && m.Reason == "Unschedulable" {
			unschedulable = "Unschedulable: " + m.Name
		}
	}
	cause := crash
	if cause == "" {
		cause = unschedulable
	}
	switch {
	case c.HasSpec && c.Desired > 0 && c.Ready == 0:
		return platform.Failed, joinReason(fmt.Sprintf("0/%d ready", c.Desired), cause)
	case !c.HasSpec && active > 0 && c.Ready == 0:
		// no desired count to compare with (a Job's pod, a bare pod):
		// members and none ready is not ok
		if cause == "" {
			cause = firstNotReady(c)
		}
		return platform.Failed, joinReason(fmt.Sprintf("0/%d ready", active), cause)
	case c.Upgrading():
		to := c.TargetVersion
		if to == "" {
			to = "new version"
		}
		return platform.Progressing, fmt.Sprintf("upgrading %s → %s", platform.OrDash(c.Version), to)
	case c.HasSpec && c.Ready < c.Desired:
		return platform.Degraded, joinReason(fmt.Sprintf("%d/%d ready", c.Ready, c.Desired), firstNotReady(c))
	case crash != "":
		return platform.Degraded, crash
	case unschedulable != "":
		// the counts look fine, but a member (a surge pod) cannot be placed
		return platform.Degraded, unschedulable
	case !c.HasSpec && c.Ready < active:
		return platform.Degraded, joinReason(fmt.Sprintf("%d/%d ready", c.Ready, active), firstNotReady(c))
	case c.HasSpec && len(c.Members) > c.Desired:
		return platform.Progressing, fmt.Sprintf("%d members, scaling to %d", len(c.Members), c.Desired)
	}
	for _, cond := range c.Conditions {
		if cond.Type == "Reconciliation" {
			switch cond.Reason {
			case "ROLLING_BACK", "ROLLED_BACK": // the members run, but not the spec asked for
				return platform.Degraded, "upgrade failed, " + strings.ToLower(strings.ReplaceAll(cond.Reason, "_", " ")) + " to the last stable spec"
			case "UPGRADING":
				return platform.Progressing, "operator upgrading to the new spec"
			}
		}
	}
	return platform.Ready, ""
}

func firstNotReady(c *platform.Component) string {
	for _, m := range c.Members {
		if !m.Ready && !m.Terminating && m.Phase != "Succeeded" {
			why := m.Phase
			switch {
			case m.Reason != "":
				why = m.Reason
			case m.Phase == "Running":
				why = "not ready"
			}
			return why + ": " + m.Name // the cause first: a cut line keeps it
		}
	}
	return ""
}

func joinReason(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}
