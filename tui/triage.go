package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/streamops/streamops/backend/report"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/panes/pane"
)

// triageRESTWait bounds how long the triage report waits for the REST
// APIs it reads before writing (what did not answer is written as such).
const triageRESTWait = 8 * time.Second

// triage writes the Markdown triage report of this moment and says where.
// It makes the streams backend read every REST endpoint first, so that the
// report has the jobs and streams whether or not the streams pane was
// ever opened.
func (m Model) triage() tea.Cmd {
	in := report.Input{
		Context: m.opts.Context, Scope: m.opts.Scope, Snapshot: m.snap,
	}
	src, clock, dir, parent := m.opts.Backends.Streams, m.opts.Clock, m.opts.ReportDir, m.opts.Ctx
	return func() tea.Msg {
		var rest restapi.Report
		if src != nil {
			ctx, cancel := context.WithTimeout(parent, triageRESTWait)
			rest = src.ReadNow(ctx)
			cancel()
		}
		in.Now = clock.Now()
		in.AddREST(rest)
		path, err := report.Write(dir, in)
		if err != nil {
			return pane.ErrMsg{Err: err}
		}
		return pane.StatusMsg{Text: "triage report: " + pane.HomePath(path)}
	}
}
