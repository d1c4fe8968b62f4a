// Package report writes the triage snapshot: a Markdown report of the
// platform at one moment (components desired/ready, members not ready,
// restarting containers with reasons, recent Warning events, the last error
// lines per affected pod, Flink jobs' watermark lag and checkpoints, failing
// watches) for pasting into an incident channel.
package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

// FlinkState is one Flink cluster as the streams backend last read it.
type FlinkState struct {
	Namespace, Cluster string
	State              *flink.Cluster
	Err                error
}

// PravegaState is one Pravega Controller REST endpoint as the streams
// backend last read it: where from, how it authenticates (a description
// such as "basic auth from Secret pravega/streamops-rest", never a
// credential), and its failure.
type PravegaState struct {
	Namespace, Cluster string
	Via, Auth          string
	Streams            int // user streams read; -1 when never read
	Err                error
	// Inventory is what was read (nil: nothing); its findings (reader
	// groups without readers, scopes that could not be read) are written.
	Inventory *pravega.Inventory
}

// Input is what the report is made of.
type Input struct {
	Now                   time.Time
	Context, Scope, User  string
	Snapshot              *platform.Snapshot
	ErrorLines            map[string][]string // "namespace/pod" → its last error lines
	Flink                 []FlinkState
	Pravega               []PravegaState
	MaxRestarts, MaxEvent int // rows (default 20 and 30)
}

// AddREST adds what the REST monitor read (restapi.Monitor.ReadNow) to the
// report: every Flink cluster and Pravega Controller.
func (in *Input) AddREST(rest restapi.Report) {
	for _, f := range rest.Flink {
		in.Flink = append(in.Flink, FlinkState{Namespace: f.Target.Namespace, Cluster: f.Target.Name, State: f.Cluster, Err: f.Err})
	}
	for _, p := range rest.Pravega {
		st := PravegaState{Namespace: p.Target.Namespace, Cluster: p.Target.Name, Via: p.Route.Where(), Auth: p.Auth, Streams: -1, Err: p.Err, Inventory: p.Inventory}
		if p.Inventory != nil {
			st.Streams, _ = p.Inventory.Streams()
		}
		in.Pravega = append(in.Pravega, st)
	}
}

// Markdown renders the report.
func Markdown(in Input) string {
	if in.MaxRestarts == 0 {
		in.MaxRestarts = 20
	}
	if in.MaxEvent == 0 {
		in.MaxEvent = 30
	}
	var b strings.Builder
	s := in.Snapshot
	fmt.Fprintf(&b, "# streamops triage — %s — %s\n\n", cell(platform.OrDash(in.Context)), in.Now.UTC().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(&b, "Scope: %s", cell(platform.OrDash(in.Scope)))
	if in.User != "" {
		fmt.Fprintf(&b, " · user: %s", cell(in.User))
	}
	b.WriteString("\n\n")
	if s == nil {
		b.WriteString("No snapshot of the platform yet: the watches had not synced.\n")
		return b.String()
	}
	components(&b, s)
	notReady(&b, s, in.Now)
	restarts(&b, s, in.Now, in.MaxRestarts)
	events(&b, s, in.Now, in.MaxEvent)
	errorLines(&b, in.ErrorLines)
	pravegaEndpoints(&b, in.Pravega)
	readerGroups(&b, in.Pravega, in.Flink)
	flinkJobs(&b, in.Flink, in.Now)
	watches(&b, s)
	return b.String()
}

func components(b *strings.Builder, s *platform.Snapshot) {
	b.WriteString("## Components\n\n")
	if len(s.Components) == 0 {
		b.WriteString("No platform components found.\n\n")
		return
	}
	b.WriteString("| health | kind | cluster | namespace | ready | version | condition |\n|---|---|---|---|---|---|---|\n")
	for _, c := range s.Components {
		ready := fmt.Sprintf("%d/%d", c.Ready, c.Desired)
		if !c.HasSpec {
			ready = fmt.Sprintf("%d/?", c.Ready)
		}
		cond := c.Reason
		if c.Invalid != "" {
			cond = c.Invalid
		}
		if cond == "" {
			cond = c.State
		}
		fmt.Fprintf(b, "| %s %s | %s | %s | %s | %s | %s | %s |\n", glyph(c.Health), c.Health, c.Kind, cell(c.Cluster), cell(c.Namespace), ready, cell(platform.OrDash(c.Version)), cell(platform.OrDash(cond)))
	}
	b.WriteString("\n")
}

func glyph(h platform.Health) string {
	switch h {
	case platform.Ready:
		return "●"
	case platform.Progressing:
		return "◐"
	case platform.Degraded:
		return "▲"
	case platform.Failed:
		return "✖"
	}
	return "?"
}

func notReady(b *strings.Builder, s *platform.Snapshot, now time.Time) {
	var rows []string
	for _, c := range s.Components {
		for _, m := range c.Members {
			if m.Ready && !m.Terminating {
				continue
			}
			why := m.Phase
			if m.Reason != "" {
				why += " " + m.Reason
			}
			rows = append(rows, fmt.Sprintf("| %s | %s/%s | %s | %s | %s |", c.Kind, cell(m.Namespace), cell(m.Name), cell(why), cell(platform.OrDash(m.Node)), age(now, m.Created)))
		}
	}
	b.WriteString("## Members not ready\n\n")
	if len(rows) == 0 {
		b.WriteString("Every member is ready.\n\n")
		return
	}
	b.WriteString("| component | pod | state | node | age |\n|---|---|---|---|---|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n\n")
}

type restartRow struct {
	pod, container, kind string
	restarts             int32
	state                string
	last                 *platform.Termination
}

func restarts(b *strings.Builder, s *platform.Snapshot, now time.Time, maxRows int) {
	var rows []restartRow
	for _, c := range s.Components {
		for _, m := range c.Members {
			for _, ct := range m.Containers {
				if ct.RestartCount == 0 && ct.Reason != "CrashLoopBackOff" {
					continue
				}
				state := ct.State.String()
				if ct.Reason != "" {
					state += ": " + ct.Reason
				}
				rows = append(rows, restartRow{pod: m.Namespace + "/" + m.Name, container: ct.Name, kind: c.Kind.String(), restarts: ct.RestartCount, state: state, last: ct.Last})
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b restartRow) int { return int(b.restarts) - int(a.restarts) })
	b.WriteString("## Restarting containers\n\n")
	if len(rows) == 0 {
		b.WriteString("No container has restarted.\n\n")
		return
	}
	b.WriteString("| pod | container | component | restarts | state | last termination |\n|---|---|---|---|---|---|\n")
	for i, r := range rows {
		if i == maxRows {
			fmt.Fprintf(b, "\n…and %d more.\n", len(rows)-maxRows)
			break
		}
		last := "-"
		if r.last != nil {
			last = fmt.Sprintf("%s (exit %d", r.last.Reason, r.last.ExitCode)
			if r.last.Signal != 0 {
				last += fmt.Sprintf(", signal %d", r.last.Signal)
			}
			last += ")"
			if !r.last.FinishedAt.IsZero() {
				last += " " + age(now, r.last.FinishedAt) + " ago"
			}
			if ran := r.last.Ran(); ran > 0 {
				last += ", ran " + ran.Round(time.Second).String()
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %s |\n", cell(r.pod), cell(r.container), r.kind, r.restarts, cell(r.state), cell(last))
	}
	b.WriteString("\n")
}

func events(b *strings.Builder, s *platform.Snapshot, now time.Time, maxRows int) {
	b.WriteString("## Recent Warning events\n\n")
	if len(s.Events) == 0 {
		b.WriteString("No Warning events.\n\n")
		return
	}
	b.WriteString("| last seen | object | reason | count | message |\n|---|---|---|---|---|\n")
	for i, e := range s.Events {
		if i == maxRows {
			fmt.Fprintf(b, "\n…and %d more.\n", len(s.Events)-maxRows)
			break
		}
		fmt.Fprintf(b, "| %s ago | %s/%s | %s | %d | %s |\n", age(now, e.Last), cell(e.Namespace), cell(e.Object), cell(e.Reason), e.Count, cell(e.Message))
	}
	b.WriteString("\n")
}

func errorLines(b *strings.Builder, lines map[string][]string) {
	if len(lines) == 0 {
		return
	}
	b.WriteString("## Last error lines\n\n")
	pods := make([]string, 0, len(lines))
	for p := range lines {
		pods = append(pods, p)
	}
	slices.Sort(pods)
	for _, p := range pods {
		fmt.Fprintf(b, "### %s\n\n", cell(p))
		body := strings.Join(lines[p], "\n")
		fence := "```"
		for strings.Contains(body, fence) {
			fence += "`"
		}
		fmt.Fprintf(b, "%s\n%s\n%s\n\n", fence, body, fence)
	}
}

func pravegaEndpoints(b *strings.Builder, states []PravegaState) {
	if len(states) == 0 {
		return
	}
	b.WriteString("## Pravega Controllers\n\n| cluster | via | authentication | streams | problem | verdict |\n|---|---|---|---|---|---|\n")
	for _, st := range states {
		streams, problem := "-", "-"
		if st.Streams >= 0 {
			streams = fmt.Sprint(st.Streams)
		}
		if st.Err != nil {
			problem = st.Err.Error()
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", cell(st.Namespace+"/"+st.Cluster), cell(platform.OrDash(st.Via)), cell(platform.OrDash(st.Auth)), streams, cell(problem),
			cell(verdict(restapi.PravegaFindings(st.Inventory), st.Inventory != nil)))
	}
	b.WriteString("\n")
}

// readerGroups lists every reader group the Controllers listed, with its
// readers online and, where a Flink job's source reads through it, its
// unread bytes and how they moved while the console ran.
func readerGroups(b *strings.Builder, ps []PravegaState, fs []FlinkState) {
	var ix restapi.BacklogIndex
	for _, f := range fs {
		ix.Add(restapi.Target{API: restapi.Flink, Namespace: f.Namespace, Name: f.Cluster}, f.State)
	}
	header := false
	for _, p := range ps {
		if p.Inventory == nil {
			continue
		}
		for _, sc := range p.Inventory.Scopes {
			for _, g := range sc.Groups {
				if !header {
					b.WriteString("## Reader groups\n\n| cluster | reader group | reads | readers online | backlog | read by |\n|---|---|---|---|---|---|\n")
					header = true
				}
				online := fmt.Sprint(len(g.OnlineReaders))
				if g.Err != nil {
					online = "unreadable: " + g.Err.Error()
				}
				backlog, by := "unknown (no Flink source reports it)", "-"
				if bl, ok := ix[sc.Name+"/"+g.Name]; ok {
					backlog = restapi.DefaultThresholds.BacklogText(bl.Group)
					if h := restapi.DefaultThresholds.BacklogHealth(bl.Group); h != platform.Ready {
						backlog = glyph(h) + " growing: " + backlog
					}
					by = bl.Flink.Namespace + "/" + bl.Flink.Name + " " + bl.Job.Name
				}
				fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", cell(p.Namespace+"/"+p.Cluster), cell(sc.Name+"/"+g.Name), cell(platform.OrDash(strings.Join(g.Streams, ", "))),
					cell(online), cell(backlog), cell(by))
			}
		}
	}
	if header {
		b.WriteString("\n")
	}
}

func flinkJobs(b *strings.Builder, states []FlinkState, now time.Time) {
	if len(states) == 0 {
		return
	}
	b.WriteString("## Flink jobs\n\n")
	b.WriteString("| cluster | job | state | verdict | watermark lag (slowest vertex) | checkpoints ok/failed | latest checkpoint failure |\n|---|---|---|---|---|---|---|\n")
	for _, st := range states {
		name := st.Namespace + "/" + st.Cluster
		if st.Err != nil {
			fmt.Fprintf(b, "| %s | - | unreachable: %s | - | - | - | - |\n", cell(name), cell(st.Err.Error()))
			continue
		}
		if st.State == nil {
			fmt.Fprintf(b, "| %s | - | not read | - | - | - | - |\n", cell(name))
			continue
		}
		if len(st.State.Jobs) == 0 {
			fmt.Fprintf(b, "| %s | - | no jobs | - | - | - | - |\n", cell(name))
			continue
		}
		for _, j := range st.State.Jobs {
			lag := "-"
			if i := j.Slowest(); i >= 0 {
				v := j.Vertices[i]
				lag = fmt.Sprintf("%s (%s)", v.Watermark.Lag(now).Round(time.Second), v.Name)
			}
			cps, failure := "-", "-"
			if c := j.Checkpoints; c != nil {
				cps = fmt.Sprintf("%d/%d", c.Completed, c.Failed)
				if f := c.LatestFailure; f != nil {
					failure = fmt.Sprintf("%s ago: %s", age(now, f.Failed), f.Message)
				}
			}
			v := "-"
			if !j.Terminal() {
				v = verdict(restapi.DefaultThresholds.JobFindings(&j, now), true)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", cell(name), cell(j.Name), j.State, cell(v), cell(lag), cps, cell(failure))
		}
	}
	b.WriteString("\n")
}

// verdict is what is wrong, worst first, each with its glyph: "✖ lagging
// 6m12s behind: …; ▲ restarted 1× in the last hour"; "● ok" when nothing
// is, "-" when nothing was read.
func verdict(fs []restapi.Finding, read bool) string {
	if !read {
		return "-"
	}
	if len(fs) == 0 {
		return glyph(platform.Ready) + " ok"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = glyph(f.Health) + " " + f.Text
	}
	return strings.Join(parts, "; ")
}

func watches(b *strings.Builder, s *platform.Snapshot) {
	var bad []string
	for _, w := range s.Syncs {
		if w.Phase == platform.Failing {
			bad = append(bad, fmt.Sprintf("- %s: %s", w.Resource, w.Reason))
		}
	}
	if len(bad) == 0 {
		return
	}
	b.WriteString("## Watches failing (what this report may be missing)\n\n" + strings.Join(bad, "\n") + "\n")
}

// cell makes text safe inside a Markdown table cell, on one line.
func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.ReplaceAll(s, "|", `\|`)
}

func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := max(now.Sub(t), 0) // a remote clock may be a little ahead
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// Write saves a report in dir (created if needed) as
// triage-<context>-<time>.md, readable by its owner only, and returns the path.
func Write(dir string, in Input) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("triage report: %w", err)
	}
	name := fmt.Sprintf("triage-%s-%s.md", safeName(in.Context), in.Now.UTC().Format("20060102-150405"))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(Markdown(in)), 0o600); err != nil {
		return "", fmt.Errorf("triage report: %w", err)
	}
	return path, nil
}

func safeName(s string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	if out == "" || strings.Trim(out, ".") == "" {
		return "cluster"
	}
	return out
}
