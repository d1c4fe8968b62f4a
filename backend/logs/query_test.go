package logs

import (
	"strings"
	"testing"

	"github.com/streamops/streamops/backend/platform"
)

func TestSelectionFor(t *testing.T) {
	snap := &platform.Snapshot{Seq: 1, Components: []*platform.Component{
		{Kind: platform.BookKeeper, Cluster: "bookkeeper", Namespace: "pravega", Members: []*platform.Member{{Name: "bookie-0", Namespace: "pravega", Labels: map[string]string{"app": "bookie"}}}},
		{Kind: platform.ZooKeeper, Cluster: "zookeeper", Namespace: "pravega", Members: []*platform.Member{{Name: "zk-0", Namespace: "pravega", Labels: map[string]string{"app": "zk"}}}},
	}}
	tests := []struct{ query, want, err string }{
		{"", "[pravega/bookkeeper/BookKeeper pravega/zookeeper/ZooKeeper] [] <nil>", ""},
		{"BookKeeper", "[pravega/bookkeeper/BookKeeper] [] <nil>", ""},
		{"zookeeper/zookeeper", "[pravega/zookeeper/ZooKeeper] [] <nil>", ""},
		{"zk-0", "[] [pravega/zk-0/] <nil>", ""},
		{"app=bookie", "[] [] app=bookie", ""},
		{"app=nothing", "", `no pod matches the label selector "app=nothing"`},
		{"nosuch", "", `no component, pod or label selector matches "nosuch" (components: bookkeeper, zookeeper, bookkeeper/bookkeeper, zookeeper/zookeeper)`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			sel, err := SelectionFor(tt.query, snap)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("error %v, want %q", err, tt.err)
				}
				return
			}
			var targets []string
			for _, tg := range sel.Targets {
				targets = append(targets, tg.String())
			}
			got := "[" + strings.Join(sel.Components, " ") + "] [" + strings.Join(targets, " ") + "] "
			if sel.Pods == nil {
				got += "<nil>"
			} else {
				got += sel.Pods.String()
			}
			if err != nil || got != tt.want {
				t.Errorf("got %s (%v), want %s", got, err, tt.want)
			}
		})
	}
}

// TestSelectionOf: every container of a component's members becomes the
// component (members that appear later join); anything less stays the
// containers asked for.
func TestSelectionOf(t *testing.T) {
	bookie := func(name string) *platform.Member {
		return &platform.Member{Name: name, Namespace: "pravega", Containers: []platform.Container{{Name: "init", Init: true}, {Name: "bookie"}}}
	}
	snap := &platform.Snapshot{Components: []*platform.Component{
		{Kind: platform.BookKeeper, Cluster: "bookkeeper", Namespace: "pravega", Members: []*platform.Member{bookie("bookie-0"), bookie("bookie-1")}},
	}}
	both := []Target{{"pravega", "bookie-0", "bookie"}, {"pravega", "bookie-1", "bookie"}}
	if got := SelectionOf(snap, both); len(got.Targets) != 0 || len(got.Components) != 1 || got.Components[0] != "pravega/bookkeeper/BookKeeper" {
		t.Errorf("every bookie container: %+v, want the component", got)
	}
	one := both[:1]
	if got := SelectionOf(snap, one); len(got.Components) != 0 || len(got.Targets) != 1 {
		t.Errorf("one bookie: %+v, want its container", got)
	}
	other := []Target{both[0], {"pravega", "bookie-9", "bookie"}}
	if got := SelectionOf(snap, other); len(got.Components) != 0 || len(got.Targets) != 2 {
		t.Errorf("a bookie and a stranger: %+v, want the two containers", got)
	}
	if got := SelectionOf(nil, both); len(got.Targets) != 2 {
		t.Errorf("no snapshot: %+v", got)
	}
}
