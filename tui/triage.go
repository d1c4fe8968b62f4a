package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/report"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/panes/pane"
)

// triage writes the Markdown triage report of this moment and says where.
func (m Model) triage() tea.Cmd {
	in := report.Input{
		Now: m.opts.Clock.Now(), Context: m.opts.Context, Scope: m.opts.Scope, Snapshot: m.snap,
	}
	var rest restapi.Report
	if src := m.opts.Backends.Streams; src != nil {
		rest = src.Latest()
	}
	for _, f := range rest.Flink {
		in.Flink = append(in.Flink, report.FlinkState{Namespace: f.Target.Namespace, Cluster: f.Target.Name, State: f.Cluster, Err: f.Err})
	}
	for _, p := range rest.Pravega {
		st := report.PravegaState{Namespace: p.Target.Namespace, Cluster: p.Target.Name, Via: p.Route.Where(), Auth: p.Auth, Streams: -1, Err: p.Err}
		if p.Inventory != nil {
			st.Streams, _ = p.Inventory.Streams()
		}
		in.Pravega = append(in.Pravega, st)
	}
	dir := m.opts.ReportDir
	return func() tea.Msg {
		path, err := report.Write(dir, in)
		if err != nil {
			return pane.ErrMsg{Err: err}
		}
		return pane.StatusMsg{Text: "triage report written to " + path}
	}
}
