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
