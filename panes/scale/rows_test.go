package scale

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/themes"
)

func testDeps() pane.Deps {
	return pane.Deps{Styles: themes.New(themes.Mono), Keys: keymap.Default(), Clock: clocktesting.NewFakeClock(time.Now())}
}

var fixtureTargets = []scale.Target{
	{Key: "pravega/zookeeper/ZooKeeper", Level: scale.ComponentLevel, Kind: platform.ZooKeeper, Namespace: "pravega", Cluster: "zookeeper", Field: scale.Replicas, Current: "3", Desired: 3, Ready: 3},
	{Key: "pravega/bookkeeper/BookKeeper", Level: scale.ComponentLevel, Kind: platform.BookKeeper, Namespace: "pravega", Cluster: "bookkeeper", Field: scale.Replicas, Current: "3", Desired: 3, Ready: 2},
	{Key: "iot/sensors/TaskManager", Level: scale.ApplicationLevel, Kind: platform.FlinkTaskManager, Namespace: "iot", Cluster: "sensors", Field: scale.TaskManagerCPU, Current: "2"},
	{Key: "iot/sensors/TaskManager", Level: scale.ApplicationLevel, Kind: platform.FlinkTaskManager, Namespace: "iot", Cluster: "sensors", Field: scale.Parallelism, Disabled: "spec.job.parallelism is not set"},
}

func TestTargetRows(t *testing.T) {
	edits := map[string]string{fixtureTargets[1].ID(): "5", fixtureTargets[0].ID(): "3", fixtureTargets[2].ID(): "2.5"}
	tests := []struct {
		level scale.Level
		want  []string
	}{
		{scale.ComponentLevel, []string{"zookeeper 3  3/3", "bookkeeper 3 5 2/3"}},
		{scale.ApplicationLevel, []string{"sensors 2 2.5 ", "sensors -  "}},
		{scale.KubernetesLevel, nil},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			var got []string
			for _, r := range targetRows(fixtureTargets, tt.level, edits) {
				got = append(got, r.target.Cluster+" "+r.now+" "+r.next+" "+r.ready)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	ch := changes(fixtureTargets, edits)
	if len(ch) != 2 || ch[0].To != "5" || ch[1].Field != scale.TaskManagerCPU {
		t.Errorf("changes %+v", ch)
	}
	if s := changeSummary(fixtureTargets, edits); s != "BookKeeper bookkeeper 3→5, TaskManager sensors TaskManager CPU 2→2.5" {
		t.Errorf("summary %q", s)
	}
}

func TestLongNamesKeepTheTableInTheWidth(t *testing.T) {
	long := append([]scale.Target(nil), fixtureTargets...)
	for i := range long {
		long[i].Cluster = strings.Repeat("very-long-cluster-name-", 3)
		long[i].Namespace = strings.Repeat("project-", 5)
	}
	for _, level := range []scale.Level{scale.ComponentLevel, scale.ApplicationLevel} {
		m := Model{deps: testDeps(), width: 80, height: 21, targets: long, level: level, edits: map[string]string{long[2].ID(): "3"}}
		for i, l := range m.targetsView() {
			if w := ansi.StringWidth(l); w > 80 {
				t.Errorf("%s line %d is %d wide: %q", level, i, w, ansi.Strip(l))
			}
		}
	}
}
