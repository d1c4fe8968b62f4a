package access_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/platform"
)

// snapshots is a platform.Subscriber a test feeds by hand.
type snapshots chan *platform.Snapshot

func (s snapshots) Subscribe(ctx context.Context) <-chan *platform.Snapshot { return s }

func snapIn(seq uint64, namespaces ...string) *platform.Snapshot {
	s := &platform.Snapshot{Seq: seq}
	for _, ns := range namespaces {
		s.Components = append(s.Components, &platform.Component{Namespace: ns, Cluster: "c", Kind: platform.SegmentStore})
	}
	return s
}

// TestFollowerWatchesTheSnapshotsNamespacesOnceActive: nothing is read
// before Activate; then the namespaces of the latest snapshot are
// watched, and a snapshot with others moves the watch.
func TestFollowerWatchesTheSnapshotsNamespacesOnceActive(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cs := fake.NewClientset(rb("team-a", "devs", "ClusterRole", "edit", group("developers")), rb("team-b", "devs", "ClusterRole", "edit", group("b-devs")))
	snaps := make(snapshots, 1)
	f := access.NewFollower(access.NewMemberWatcher(cs, nil), snaps)
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	defer func() { cancel(); <-done }()

	snaps <- snapIn(1, "team-a")
	select {
	case r := <-f.Rosters():
		t.Fatalf("a roster before Activate: %v", r)
	case <-time.After(200 * time.Millisecond):
	}
	if n := countLists(cs); n != 0 {
		t.Fatalf("%d lists before Activate", n)
	}
	f.Activate()
	f.Activate() // a second call changes nothing
	r := waitRoster(t, f.MemberWatcher, func(r access.Roster) bool { return slices.Equal(r.Namespaces, []string{"team-a"}) })
	if got := describe(r.Members); !slices.Equal(got, []string{"Group developers: team-a ClusterRole/edit (RoleBinding team-a/devs)"}) {
		t.Errorf("team-a members %q", got)
	}
	snaps <- snapIn(2, "team-a", "team-b")
	waitRoster(t, f.MemberWatcher, func(r access.Roster) bool { return slices.Equal(r.Namespaces, []string{"team-a", "team-b"}) })
}
