package demo

import (
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestSeedSensorJobPinsItsSlots: the sensor job's parallelism uses every
// slot its TaskManagers give, so the wizard's idle-slots case shows on the
// demo; the fraud job is last-state and the sensor job savepoint, so both
// restart lines show.
func TestSeedSensorJobPinsItsSlots(t *testing.T) {
	modes := map[string]string{}
	for _, u := range seedResources() {
		if u.GetKind() != "FlinkDeployment" {
			continue
		}
		replicas, _, _ := unstructured.NestedInt64(u.Object, "spec", "taskManager", "replicas")
		slotsText, _, _ := unstructured.NestedString(u.Object, "spec", "flinkConfiguration", "taskmanager.numberOfTaskSlots")
		parallelism, _, _ := unstructured.NestedInt64(u.Object, "spec", "job", "parallelism")
		mode, _, _ := unstructured.NestedString(u.Object, "spec", "job", "upgradeMode")
		modes[u.GetName()] = mode
		slots, err := strconv.ParseInt(slotsText, 10, 64)
		if err != nil {
			t.Fatalf("%s: slots %q", u.GetName(), slotsText)
		}
		if u.GetName() == SensorJobName && replicas*slots != parallelism {
			t.Errorf("%s: %d TaskManagers × %d slots = %d, parallelism %d: the slots are not pinned", u.GetName(), replicas, slots, replicas*slots, parallelism)
		}
	}
	if modes[SensorJobName] != "savepoint" || modes[FraudJobName] != "last-state" {
		t.Errorf("upgrade modes %v", modes)
	}
}
