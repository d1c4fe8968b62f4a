package scale

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/streamops/streamops/backend/platform"
)

// Level is one of the three levels of scaling the notes describe.
type Level int

const (
	// KubernetesLevel is nodes and their capacity: advisory, the console
	// does not add nodes.
	KubernetesLevel Level = iota
	// ComponentLevel is the replicas of ZooKeeper, BookKeeper, Segment
	// Store, Controller and Flink TaskManagers.
	ComponentLevel
	// ApplicationLevel is what a Flink application is given: TaskManager
	// CPU and memory, task slots, job parallelism.
	ApplicationLevel
)

func (l Level) String() string {
	switch l {
	case KubernetesLevel:
		return "Kubernetes"
	case ComponentLevel:
		return "Components"
	default:
		return "Application"
	}
}

// Field is what a change sets.
type Field int

const (
	Replicas Field = iota
	TaskManagerCPU
	TaskManagerMemory
	TaskSlots
	Parallelism
	// StorageSize is a PersistentVolumeClaim's spec.resources.requests.storage
	// (the storage step, see storage.go).
	StorageSize
)

func (f Field) String() string {
	switch f {
	case Replicas:
		return "replicas"
	case TaskManagerCPU:
		return "TaskManager CPU"
	case TaskManagerMemory:
		return "TaskManager memory"
	case TaskSlots:
		return "task slots"
	case StorageSize:
		return "claim template size"
	default:
		return "job parallelism"
	}
}

// Level is the level a field belongs to.
func (f Field) Level() Level {
	if f == Replicas {
		return ComponentLevel
	}
	return ApplicationLevel
}

// binding says where an operator reads one field (contracts/LABELS.md,
// "Scale" bullets).
type binding struct {
	resource string // custom resource kind
	version  string // "" matches every version
	kind     platform.Kind
	field    Field
	path     []string
	// requests is where the members' resource requests are in the spec
	// (used for new members when no member exists to copy them from).
	requests []string
	min      int
}

var bindings = []binding{
	{"ZookeeperCluster", "", platform.ZooKeeper, Replicas, []string{"spec", "replicas"}, []string{"spec", "pod", "resources", "requests"}, 1},
	// In PravegaCluster v1beta1 the bookies are a BookkeeperCluster of their own.
	{"BookkeeperCluster", "", platform.BookKeeper, Replicas, []string{"spec", "replicas"}, []string{"spec", "resources", "requests"}, 1},
	{"PravegaCluster", "v1alpha1", platform.BookKeeper, Replicas, []string{"spec", "bookkeeper", "replicas"}, []string{"spec", "bookkeeper", "resources", "requests"}, 1},
	{"PravegaCluster", "", platform.SegmentStore, Replicas, []string{"spec", "pravega", "segmentStoreReplicas"}, []string{"spec", "pravega", "segmentStoreResources", "requests"}, 1},
	{"PravegaCluster", "", platform.Controller, Replicas, []string{"spec", "pravega", "controllerReplicas"}, []string{"spec", "pravega", "controllerResources", "requests"}, 1},
	// FlinkDeployment: spec.taskManager.replicas is the scale subresource's specReplicasPath.
	{"FlinkDeployment", "", platform.FlinkTaskManager, Replicas, []string{"spec", "taskManager", "replicas"}, nil, 1},
	{"FlinkDeployment", "", platform.FlinkTaskManager, TaskManagerCPU, []string{"spec", "taskManager", "resource", "cpu"}, nil, 0},
	{"FlinkDeployment", "", platform.FlinkTaskManager, TaskManagerMemory, []string{"spec", "taskManager", "resource", "memory"}, nil, 0},
	{"FlinkDeployment", "", platform.FlinkTaskManager, TaskSlots, []string{"spec", "flinkConfiguration", "taskmanager.numberOfTaskSlots"}, nil, 1},
	{"FlinkDeployment", "", platform.FlinkTaskManager, Parallelism, []string{"spec", "job", "parallelism"}, nil, 1},
	{"FlinkCluster", "", platform.FlinkTaskManager, Replicas, []string{"spec", "taskManager", "replicas"}, []string{"spec", "taskManager", "resources", "requests"}, 1},
	{"FlinkCluster", "", platform.FlinkTaskManager, Parallelism, []string{"spec", "job", "parallelism"}, nil, 1},
}

func bindingsFor(c *platform.Component) []binding {
	var out []binding
	for _, b := range bindings {
		if b.resource == c.Source.Kind && b.kind == c.Kind && (b.version == "" || b.version == c.Source.Version) {
			out = append(out, b)
		}
	}
	return out
}

func bindingFor(c *platform.Component, f Field) (binding, bool) {
	for _, b := range bindingsFor(c) {
		if b.field == f {
			return b, true
		}
	}
	return binding{}, false
}

// read returns a field's value in the object, formatted; "" when unset.
func (b binding) read(u *unstructured.Unstructured) string {
	if u == nil {
		return ""
	}
	v, found, err := unstructured.NestedFieldNoCopy(u.Object, b.path...)
	if err != nil || !found || v == nil {
		return ""
	}
	switch n := v.(type) {
	case string:
		return strings.TrimSpace(n)
	case int64:
		return strconv.FormatInt(n, 10)
	case int:
		return strconv.Itoa(n)
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(n)
	}
	return fmt.Sprint(v)
}

// patchValue is the JSON value a field is written as.
func patchValue(f Field, v string) (any, error) {
	switch f {
	case StorageSize:
		if _, err := resource.ParseQuantity(v); err != nil {
			return nil, fmt.Errorf("malformed quantity %q", v)
		}
		return v, nil
	case TaskManagerCPU:
		return parseCPU(v)
	case TaskManagerMemory:
		if _, err := ParseFlinkMemory(v); err != nil {
			return nil, err
		}
		return v, nil
	case TaskSlots:
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("task slots %q: not a whole number", v)
		}
		return strconv.Itoa(n), nil // flinkConfiguration values are strings
	default:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s %q: not a whole number", f, v)
		}
		return n, nil
	}
}

func parseCPU(v string) (float64, error) {
	c, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(c) || math.IsInf(c, 0) {
		return 0, fmt.Errorf("CPU %q: not a number of cores", v)
	}
	return c, nil
}

// validate checks a value against what the operator accepts.
func (b binding) validate(v string) error {
	switch b.field {
	case TaskManagerCPU:
		c, err := parseCPU(v)
		if err != nil {
			return err
		}
		if c <= 0 {
			return fmt.Errorf("CPU must be more than 0 cores, not %s", v)
		}
	case TaskManagerMemory:
		n, err := ParseFlinkMemory(v)
		if err != nil {
			return err
		}
		if n < 1<<30 {
			return fmt.Errorf("TaskManager memory %s is below 1 GiB, too little for a TaskManager", v)
		}
	default:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s %q: not a whole number", b.field, v)
		}
		if n < b.min {
			return fmt.Errorf("%s must be at least %d, not %d", b.field, b.min, n)
		}
	}
	return nil
}

// Adjust moves a value by delta steps: one replica, slot or degree of
// parallelism, half a core, or 1 GiB of memory.
func Adjust(f Field, value string, delta int) (string, error) {
	switch f {
	case TaskManagerCPU:
		c, err := parseCPU(value)
		if err != nil {
			return value, err
		}
		c = math.Max(0.5, math.Round((c+0.5*float64(delta))*2)/2)
		return strconv.FormatFloat(c, 'f', -1, 64), nil
	case TaskManagerMemory:
		n, err := ParseFlinkMemory(value)
		if err != nil {
			return value, err
		}
		n = max(n+int64(delta)<<30, 1<<30)
		return FormatFlinkMemory(n, value), nil
	default:
		n, err := strconv.Atoi(value)
		if err != nil {
			return value, fmt.Errorf("%s %q: not a whole number", f, value)
		}
		return strconv.Itoa(max(n+delta, 0)), nil
	}
}

// ParseFlinkMemory reads a Flink MemorySize ("2048m", "4g", "4096 mb",
// "1073741824"): units are binary, a bare number is bytes.
func ParseFlinkMemory(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("memory %q: not a Flink memory size such as 4096m or 4g", s)
	}
	mult := float64(1)
	switch unit {
	case "", "b", "bytes":
	case "k", "kb", "kibibytes":
		mult = 1 << 10
	case "m", "mb", "mebibytes":
		mult = 1 << 20
	case "g", "gb", "gibibytes":
		mult = 1 << 30
	case "t", "tb", "tebibytes":
		mult = 1 << 40
	default:
		return 0, fmt.Errorf("memory %q: unknown unit %q", s, unit)
	}
	return int64(v * mult), nil
}

// FormatFlinkMemory writes bytes in the unit style of like ("4096m" stays
// in m, "4g" in g when whole).
func FormatFlinkMemory(n int64, like string) string {
	l := strings.ToLower(strings.TrimSpace(like))
	if (strings.HasSuffix(l, "g") || strings.HasSuffix(l, "gb")) && n%(1<<30) == 0 {
		return strconv.FormatInt(n>>30, 10) + "g"
	}
	return strconv.FormatInt(n>>20, 10) + "m"
}

// errNotScalable explains a component the wizard cannot change.
var errNotScalable = errors.New("not scalable through a custom resource")

// MemoryTarget is where a component's memory is raised: a field of the
// wizard when it has one (a FlinkDeployment's TaskManager memory, the
// Application level), otherwise the custom resource's path the operator
// reads its members' memory limit from, to edit by hand.
type MemoryTarget struct {
	InWizard bool
	Level    Level        // when InWizard
	Field    Field        // when InWizard
	Resource platform.Ref // the custom resource
	Path     []string
}

// Where is the resource and path: "BookkeeperCluster
// pravega/bookkeeper spec.resources.limits.memory".
func (t MemoryTarget) Where() string {
	return t.Resource.Kind + " " + t.Resource.Namespace + "/" + t.Resource.Name + " " + strings.Join(t.Path, ".")
}

// MemoryTargetOf says where c's memory is raised; false when the console
// knows no place (an operator it does not read, a JobManager).
func MemoryTargetOf(c *platform.Component) (MemoryTarget, bool) {
	if c == nil {
		return MemoryTarget{}, false
	}
	t := MemoryTarget{Resource: c.Source}
	if b, ok := bindingFor(c, TaskManagerMemory); ok {
		t.InWizard, t.Level, t.Field, t.Path = true, TaskManagerMemory.Level(), TaskManagerMemory, b.path
		return t, true
	}
	b, ok := bindingFor(c, Replicas)
	if !ok || len(b.requests) == 0 {
		return MemoryTarget{}, false
	}
	// the limits sit beside the requests the binding names
	t.Path = append(append([]string(nil), b.requests[:len(b.requests)-1]...), "limits", "memory")
	return t, true
}
