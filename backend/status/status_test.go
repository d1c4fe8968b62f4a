package status

import (
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/platform"
)

func TestVerdicts(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	ok := &platform.Component{Kind: platform.BookKeeper, Cluster: "bk", Namespace: "pravega", HasSpec: true, Desired: 1, Ready: 1, Health: platform.Ready,
		Members: []*platform.Member{{Name: "bk-0", Namespace: "pravega", Phase: "Running", Ready: true,
			Containers: []platform.Container{{Name: "bookie", RestartCount: 2, State: platform.StateRunning, Last: &platform.Termination{Reason: "OOMKilled", ExitCode: 137, FinishedAt: now.Add(-2 * time.Hour)}}}}}}
	looping := &platform.Component{Kind: platform.Other, Cluster: "sync", Namespace: "pravega", HasSpec: true, Desired: 1, Health: platform.Failed, Reason: "0/1 ready",
		Members: []*platform.Member{{Name: "sync-0", Namespace: "pravega", Phase: "Running", Reason: "CrashLoopBackOff",
			Containers: []platform.Container{{Name: "sync", RestartCount: 7, State: platform.StateWaiting, Reason: "CrashLoopBackOff", Last: &platform.Termination{Reason: "Error", ExitCode: 2, FinishedAt: now.Add(-time.Minute)}}}}}}
	synced := []platform.SyncState{{Resource: "pods", Phase: platform.Synced}, {Resource: "nodes", Phase: platform.Synced}}
	tests := []struct {
		name     string
		snap     *platform.Snapshot
		verdict  Verdict
		findings []string
		reason   string
	}{
		{"healthy: an old restart is no finding", &platform.Snapshot{Seq: 1, Components: []*platform.Component{ok}, Syncs: synced}, Healthy, nil, ""},
		{"crash loop", &platform.Snapshot{Seq: 1, Components: []*platform.Component{ok, looping}, Syncs: synced}, Degraded, []string{
			"component Other pravega/sync: failed: 0/1 ready",
			"not-ready pod pravega/sync-0: NotReady CrashLoopBackOff",
			"restarts container pravega/sync-0/sync: CrashLoopBackOff · 7 restarts · last Error (exit 2) 1m0s ago"}, ""},
		{"nodes forbidden: a finding", &platform.Snapshot{Seq: 1, Components: []*platform.Component{ok}, Syncs: []platform.SyncState{{Resource: "pods", Phase: platform.Synced}, {Resource: "nodes", Phase: platform.Failing, Reason: "forbidden"}}},
			Degraded, []string{"watch watch nodes: forbidden"}, ""},
		{"pods forbidden: cannot tell", &platform.Snapshot{Seq: 1, Syncs: []platform.SyncState{{Resource: "pods", Phase: platform.Failing, Reason: "forbidden"}, {Resource: "pravegaclusters.pravega.io", Phase: platform.Failing, Reason: "forbidden"}}},
			Unknown, []string{"watch watch pods: forbidden", "watch watch pravegaclusters.pravega.io: forbidden"},
			"cannot tell the platform's health: 2 watches are not usable: pods: forbidden; pravegaclusters.pravega.io: forbidden"},
		{"never synced", nil, Unknown, nil, "no snapshot of the platform: the watches never synced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Of(tt.snap, now)
			var got []string
			for _, f := range st.Findings {
				got = append(got, f.Kind+" "+f.Object+": "+f.Message)
			}
			if st.Verdict != tt.verdict || strings.Join(got, "\n") != strings.Join(tt.findings, "\n") || st.Reason != tt.reason {
				t.Errorf("verdict %s (exit %d), reason %q, findings:\n%s", st.Verdict, st.Verdict.ExitCode(), st.Reason, strings.Join(got, "\n"))
			}
		})
	}
	if Healthy.ExitCode() != 0 || Degraded.ExitCode() != 1 || Unknown.ExitCode() != 2 {
		t.Error("exit codes")
	}
}
