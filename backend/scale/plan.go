package scale

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
)

// Objects reads custom resources from the informer cache
// (*watch.Watcher implements it).
type Objects interface {
	Object(gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, bool)
}

func gvrOf(r platform.Ref) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Resource}
}

// unreadable says why a component's custom resource is not in the watch
// cache: its watch fails (forbidden, most often: "PravegaCluster
// team-a/pravega cannot be read: forbidden: User ... cannot list resource
// "pravegaclusters" ..."), its CRD is not served, or it is just not there.
func unreadable(snap *platform.Snapshot, ref platform.Ref) string {
	name := ref.Resource + "." + ref.Group
	if ref.Resource == "" { // a component known only from its pods
		for _, r := range operator.All {
			if r.Kind == ref.Kind && !r.Fallback {
				name = r.Name()
				break
			}
		}
	}
	obj := ref.Kind + " " + ref.Namespace + "/" + ref.Name
	for _, st := range snap.Syncs {
		if st.Resource == name && (st.Phase == platform.Failing || st.Phase == platform.Absent) && st.Reason != "" {
			return obj + " cannot be read: " + st.Reason
		}
	}
	return obj + " is not in the watch cache"
}

// Target is one value the wizard can change.
type Target struct {
	Key                string // the component's key in the snapshot
	Level              Level
	Kind               platform.Kind
	Namespace, Cluster string
	Resource           string // custom resource kind, e.g. BookkeeperCluster
	Field              Field
	Path               string // e.g. spec.pravega.segmentStoreReplicas
	Current            string // "" when unset
	Desired, Ready     int
	Disabled           string // why the value cannot be changed here
	// Min is the fewest replicas the wizard offers, MinWhy the rule that
	// sets it (an odd ZooKeeper ensemble of at least 3, the bookies a
	// ledger needs, one member).
	Min    int
	MinWhy string
}

// ID names a target uniquely: its component key and field.
func (t Target) ID() string { return t.Key + "#" + strconv.Itoa(int(t.Field)) }

// Targets lists what can be changed in a snapshot, in scaling order
// (ZooKeeper, BookKeeper, Segment Store, Controller, then Flink).
func Targets(snap *platform.Snapshot, objs Objects) []Target {
	if snap == nil {
		return nil
	}
	var out []Target
	for _, c := range snap.Components {
		bs := bindingsFor(c)
		if len(bs) == 0 {
			continue
		}
		var u *unstructured.Unstructured
		if objs != nil {
			u, _ = objs.Object(gvrOf(c.Source), c.Source.Namespace, c.Source.Name)
		}
		for _, b := range bs {
			t := Target{
				Key: c.Key(), Level: b.field.Level(), Kind: c.Kind, Namespace: c.Namespace, Cluster: c.Cluster,
				Resource: c.Source.Kind, Field: b.field, Path: strings.Join(b.path, "."), Desired: c.Desired, Ready: c.Ready,
			}
			switch {
			case b.field == Replicas:
				t.Current = strconv.Itoa(c.Desired)
				t.Min, t.MinWhy = minimum(snap, objs, c, b.field)
			case u == nil:
				t.Disabled = unreadable(snap, c.Source)
			default:
				t.Current = b.read(u)
				if t.Current == "" && b.field == TaskSlots {
					t.Current = "1" // Flink's default
				}
				if t.Current == "" {
					t.Disabled = t.Path + " is not set"
				}
			}
			if c.Invalid != "" {
				t.Disabled = c.Invalid
			}
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b Target) int {
		if d := order(a.Kind) - order(b.Kind); d != 0 {
			return d
		}
		if d := strings.Compare(a.Namespace+"/"+a.Cluster, b.Namespace+"/"+b.Cluster); d != 0 {
			return d
		}
		return int(a.Field) - int(b.Field)
	})
	return out
}

// order is the position of a kind in the scaling order the notes require:
// ZooKeeper, BookKeeper, Segment Store, lastly Controller; then Flink.
func order(k platform.Kind) int {
	switch k {
	case platform.ZooKeeper:
		return 0
	case platform.BookKeeper:
		return 1
	case platform.SegmentStore:
		return 2
	case platform.Controller:
		return 3
	case platform.FlinkTaskManager:
		return 4
	default:
		return 5
	}
}

// Change asks for one target to take a new value.
type Change struct {
	Key   string // component key
	Field Field
	To    string
}

// Diff is one field a step changes.
type Diff struct {
	Field    Field
	Path     []string
	From, To string
}

// PathString is the field's path as kubectl spells it.
func (d Diff) PathString() string { return strings.Join(d.Path, ".") }

// Step is one patch of the plan and the wait that follows it.
type Step struct {
	N                  int // 1-based
	Kind               platform.Kind
	Key                string // the component watched until it converges
	Namespace, Cluster string
	Ref                platform.Ref // ResourceVersion as planned
	Generation         int64
	Diffs              []Diff
	// Before and Expect are the member counts before and after the step.
	Before, Expect int
	// Redeploy is true when the operator replaces every member (Flink
	// resource, slot or parallelism changes).
	Redeploy bool
	Warnings []string
	Problems []string // block the plan
	// Claim is set on a storage step: the PersistentVolumeClaim it grows.
	Claim *ClaimStep
	// Restart is set on a FlinkDeployment step: whether the job restarts
	// and from what (flink.go).
	Restart Restart
	suggest *Suggestion // collected into Plan.Suggestions
}

// Target names the object the step patches: "Kind namespace/name".
func (s Step) Target() string { return s.Ref.Kind + " " + s.Ref.Namespace + "/" + s.Ref.Name }

// Title is one line saying what the step does: "BookKeeper bookkeeper 3→5".
func (s Step) Title() string {
	if s.Claim != nil {
		return s.Claim.title()
	}
	var parts []string
	for _, d := range s.Diffs {
		if d.Field == Replicas {
			parts = append(parts, d.From+"→"+d.To)
		} else {
			parts = append(parts, d.Field.String()+" "+orUnset(d.From)+"→"+d.To)
		}
	}
	return s.Kind.String() + " " + s.Cluster + " " + strings.Join(parts, ", ")
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

// Plan is an ordered list of steps. It is a value: the engine records what
// was checked for its ID, and refuses to apply a plan it has not checked.
type Plan struct {
	ID         string
	Created    time.Time
	Steps      []Step
	Namespaces []string
	// Confirm is what the user must type to apply: the cluster's name when
	// the plan touches one custom resource, else the namespace, else
	// "scale-<n>-steps".
	Confirm string
	// Refusals are the rules the plan breaks: while one holds (is not
	// overridden), the engine sends neither a dry run nor a patch.
	Refusals []Refusal
	// Suggestions are changes the engine offers to add (planning again
	// with them): raise a Flink job's parallelism to the slots a
	// TaskManager scale-out adds.
	Suggestions []Suggestion
}

// Warnings and Problems of every step.
func (p Plan) Warnings() []string {
	var out []string
	for _, s := range p.Steps {
		if s.Restart.Line != "" {
			out = append(out, fmt.Sprintf("step %d: %s", s.N, s.Restart.Line))
		}
		for _, w := range s.Warnings {
			out = append(out, fmt.Sprintf("step %d: %s", s.N, w))
		}
	}
	return out
}

// Problems are what makes the plan itself unsafe.
func (p Plan) Problems() []string {
	var out []string
	for _, s := range p.Steps {
		for _, w := range s.Problems {
			out = append(out, fmt.Sprintf("step %d: %s", s.N, w))
		}
	}
	return out
}

// ErrNothingToDo is returned for a plan without any change.
var ErrNothingToDo = errors.New("nothing to change: every target already has the value asked for")

// BuildPlan orders changes into steps: stream-store components in the order
// ZooKeeper → BookKeeper → Segment Store → Controller, then Flink; all
// changes to one FlinkDeployment become one step (one redeploy).
func BuildPlan(snap *platform.Snapshot, objs Objects, changes []Change, id string, now time.Time) (Plan, error) {
	plan := Plan{ID: id, Created: now}
	if snap == nil {
		return plan, errors.New("no snapshot of the platform yet")
	}
	type group struct {
		comp    *platform.Component
		obj     *unstructured.Unstructured
		changes []Change
	}
	groups := map[string]*group{}
	var keys []string
	for _, ch := range changes {
		c := snap.Component(ch.Key)
		if c == nil {
			return plan, fmt.Errorf("%s: no such component in the platform", ch.Key)
		}
		b, ok := bindingFor(c, ch.Field)
		if !ok {
			return plan, fmt.Errorf("%s %s: %s cannot be changed: %w", c.Kind, c.Cluster, ch.Field, errNotScalable)
		}
		if err := b.validate(ch.To); err != nil {
			return plan, fmt.Errorf("%s %s: %w", c.Kind, c.Cluster, err)
		}
		key := c.Key()
		g := groups[key]
		if g == nil {
			u, ok := objs.Object(gvrOf(c.Source), c.Source.Namespace, c.Source.Name)
			if !ok {
				return plan, errors.New(unreadable(snap, c.Source))
			}
			g = &group{comp: c, obj: u}
			groups[key] = g
			keys = append(keys, key)
		}
		g.changes = append(g.changes, ch)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ca, cb := groups[a].comp, groups[b].comp
		if d := order(ca.Kind) - order(cb.Kind); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	nsSeen := map[string]bool{}
	crSeen := map[string]bool{}
	for _, key := range keys {
		g := groups[key]
		step, err := buildStep(g.comp, g.obj, g.changes)
		if err != nil {
			return plan, err
		}
		if len(step.Diffs) == 0 {
			continue
		}
		for _, st := range splitStep(step) {
			st.N = len(plan.Steps) + 1
			if st.suggest != nil {
				sg := *st.suggest
				sg.Step = st.N
				plan.Suggestions = append(plan.Suggestions, sg)
				st.suggest = nil
			}
			plan.Steps = append(plan.Steps, st)
		}
		if !nsSeen[step.Namespace] {
			nsSeen[step.Namespace] = true
			plan.Namespaces = append(plan.Namespaces, step.Namespace)
		}
		crSeen[step.Ref.Namespace+"/"+step.Ref.Name] = true
	}
	if len(plan.Steps) == 0 {
		return plan, ErrNothingToDo
	}
	slices.Sort(plan.Namespaces)
	switch {
	case len(crSeen) == 1:
		plan.Confirm = plan.Steps[0].Ref.Name
	case len(plan.Namespaces) == 1:
		plan.Confirm = plan.Namespaces[0]
	default:
		plan.Confirm = fmt.Sprintf("scale-%d-steps", len(plan.Steps))
	}
	plan.Refusals = refusals(snap, objs, plan)
	return plan, nil
}

func buildStep(c *platform.Component, u *unstructured.Unstructured, changes []Change) (Step, error) {
	ref := c.Source
	ref.ResourceVersion = u.GetResourceVersion()
	s := Step{Kind: c.Kind, Key: c.Key(), Namespace: c.Namespace, Cluster: c.Cluster, Ref: ref, Generation: u.GetGeneration(),
		Before: c.Desired, Expect: c.Desired}
	values := map[Field]string{}
	for _, ch := range changes {
		b, _ := bindingFor(c, ch.Field)
		from := b.read(u)
		if ch.Field == Replicas {
			from = strconv.Itoa(c.Desired)
		}
		values[ch.Field] = ch.To
		if from == ch.To || sameNumber(ch.Field, from, ch.To) {
			continue
		}
		s.Diffs = append(s.Diffs, Diff{Field: ch.Field, Path: b.path, From: from, To: ch.To})
	}
	slices.SortFunc(s.Diffs, func(a, b Diff) int { return int(a.Field) - int(b.Field) })
	if len(s.Diffs) == 0 {
		return s, nil
	}
	if to, ok := values[Replicas]; ok {
		s.Expect, _ = strconv.Atoi(to)
	}
	if c.Source.Kind == "FlinkDeployment" {
		flinkStep(&s, c, u, values)
	} else {
		streamStoreWarnings(&s)
	}
	return s, nil
}

func sameNumber(f Field, a, b string) bool {
	if f == StorageSize {
		return sameQuantity(a, b)
	}
	if f == TaskManagerMemory {
		x, err1 := ParseFlinkMemory(a)
		y, err2 := ParseFlinkMemory(b)
		return err1 == nil && err2 == nil && x == y
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// streamStoreWarnings says where a step needs the operator's care; what
// would lose data or quorum is refused instead (rules.go).
func streamStoreWarnings(s *Step) {
	from, to := s.Before, s.Expect
	switch s.Kind {
	case platform.ZooKeeper:
		if to > 7 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("zookeeper-operator documents 1-7 replicas, %d is outside", to))
		}
		if to < from {
			s.Warnings = append(s.Warnings, fmt.Sprintf("scale-down: the ensemble shrinks from %d to %d and tolerates %d failure(s); the operator deletes the claim data-%s-%d", from, to, (to-1)/2, s.Cluster, to))
		}
	case platform.SegmentStore:
		if to < from {
			s.Warnings = append(s.Warnings, "scale-down: segment containers move to the remaining segment stores; writers and readers reconnect")
		}
	case platform.Controller:
		if to == 1 && from > 1 {
			s.Warnings = append(s.Warnings, "one controller leaves the stream store without controller high availability")
		}
	}
}

// patch is the JSON merge patch of a step: the changed fields and the
// resourceVersion it was planned on, so that the API server rejects it with
// 409 Conflict if the object changed in between.
func (s Step) patch(resourceVersion string) ([]byte, error) {
	root := map[string]any{"metadata": map[string]any{"resourceVersion": resourceVersion}}
	for _, d := range s.Diffs {
		v, err := patchValue(d.Field, d.To)
		if err != nil {
			return nil, err
		}
		cur := root
		for i, p := range d.Path {
			if i == len(d.Path)-1 {
				cur[p] = v
				break
			}
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
	}
	return json.Marshal(root)
}

// values reads the step's fields from an object, for before/after records.
func (s Step) values(u *unstructured.Unstructured) map[string]string {
	out := map[string]string{}
	for _, d := range s.Diffs {
		out[d.PathString()] = binding{path: d.Path}.read(u)
	}
	return out
}
