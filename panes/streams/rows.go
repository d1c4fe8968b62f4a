package streams

import (
	"strconv"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

// kind is what a row shows.
type kind int

const (
	rowEndpoint kind = iota // a cluster's REST endpoint: where from, when
	rowProblem              // an error (or a note) under the row it concerns
	rowScope
	rowStream
	rowGroup
	rowJob
	rowVertex
	rowFinding     // what is wrong with a job, under it
	rowExceptions  // the exception history's header line, for the job looked at
	rowException   // one entry of it
	rowTaskManager // a TaskManager with a slot of the job looked at
)

// maxExceptionRows bounds the exception history entries listed under a job.
const maxExceptionRows = 3

// row is one line of a section's list. Rows point into the report, which is
// immutable.
type row struct {
	kind  kind
	key   string // stable across reports, for the selection
	depth int

	target  restapi.Target
	section *restapi.Section
	pravega *restapi.PravegaSection
	flink   *restapi.FlinkSection
	scope   *pravega.Scope
	stream  *pravega.Stream
	group   *pravega.ReaderGroup
	job     *flink.Job
	vertex  *flink.Vertex
	slowest bool   // the job's slowest vertex
	text    string // problem text
	err     bool   // the problem is an error (else a note)
	finding *restapi.Finding
	exc     *flink.Exception
	tm      *flink.TaskManager
	health  platform.Health // a job's verdict (Ready: nothing wrong)
}

// matcher says whether a row's search text passes the filter.
type matcher func(text string) bool

func all(string) bool { return true }

// pravegaRows lists the Pravega view: per cluster its endpoint line, then
// its scopes with their streams and reader groups. Internal streams (and
// internal scopes) are left out unless internal; a scope is listed when it
// or one of its streams or groups matches.
func pravegaRows(secs []restapi.PravegaSection, internal bool, collapsed map[string]bool, match matcher) []row {
	var out []row
	for i := range secs {
		sec := &secs[i]
		base := sec.Target.String()
		out = append(out, row{kind: rowEndpoint, key: base, target: sec.Target, section: &sec.Section, pravega: sec})
		out = append(out, operatorRows(sec.Section, base)...)
		out = append(out, sectionProblems(sec.Section, base, sec.Inventory == nil)...)
		if sec.Inventory == nil {
			continue
		}
		if f, ok := restapi.HealthFinding(sec.Inventory); ok {
			out = append(out, row{kind: rowFinding, key: base + "/!health", depth: 1, target: sec.Target, pravega: sec, finding: &f})
		} else if restapi.HealthAbsent(sec.Inventory) {
			out = append(out, row{kind: rowProblem, key: base + "/!health", depth: 1, text: "controller health: not served (404: a Controller older than the health API)"})
		}
		for j := range sec.Inventory.Scopes {
			sc := &sec.Inventory.Scopes[j]
			if sc.Internal() && !internal {
				continue
			}
			skey := base + "/" + sc.Name
			scopeMatch := match(sc.Name)
			var children []row
			for k := range sc.Streams {
				st := &sc.Streams[k]
				if st.Internal() && !internal {
					continue
				}
				if scopeMatch || match(sc.Name+"/"+st.Name+" "+strings.Join(st.Tags, " ")+" "+restapi.ScalingText(st.Scaling)) {
					children = append(children, row{kind: rowStream, key: skey + "/s/" + st.Name, depth: 2, target: sec.Target, pravega: sec, scope: sc, stream: st})
				}
			}
			if sc.StreamErr != nil {
				children = append(children, row{kind: rowProblem, key: skey + "/!s", depth: 2, text: sc.StreamErr.Error(), err: true})
			}
			for k := range sc.Groups {
				g := &sc.Groups[k]
				if scopeMatch || match(sc.Name+"/"+g.Name+" "+strings.Join(g.Streams, " ")+" reader group") {
					children = append(children, row{kind: rowGroup, key: skey + "/g/" + g.Name, depth: 2, target: sec.Target, pravega: sec, scope: sc, group: g})
					if g.Err != nil {
						children = append(children, row{kind: rowProblem, key: skey + "/!g/" + g.Name, depth: 3, text: g.Err.Error(), err: true})
					}
				}
			}
			if sc.GroupErr != nil {
				children = append(children, row{kind: rowProblem, key: skey + "/!g", depth: 2, text: sc.GroupErr.Error(), err: true})
			}
			if !scopeMatch && !anyOf(children, rowStream, rowGroup) {
				continue // problems alone do not keep a filtered-out scope
			}
			out = append(out, row{kind: rowScope, key: skey, depth: 1, target: sec.Target, pravega: sec, scope: sc})
			if !collapsed[skey] {
				out = append(out, children...)
			}
		}
	}
	return out
}

// flinkRows lists the Flink view: per cluster its endpoint line (with the
// overview), then its jobs, each with its verdict's findings (worst first,
// also when collapsed), then its exception history (read for the job the
// user looks at) and its vertices unless collapsed.
func flinkRows(secs []restapi.FlinkSection, verdicts *restapi.Verdicts, collapsed map[string]bool, match matcher, now time.Time) []row {
	var out []row
	for i := range secs {
		sec := &secs[i]
		base := sec.Target.String()
		out = append(out, row{kind: rowEndpoint, key: base, target: sec.Target, section: &sec.Section, flink: sec})
		out = append(out, operatorRows(sec.Section, base)...)
		out = append(out, sectionProblems(sec.Section, base, sec.Cluster == nil)...)
		if sec.Cluster == nil {
			continue
		}
		if sec.Cluster.OverviewErr != nil {
			out = append(out, row{kind: rowProblem, key: base + "/!o", depth: 1, text: sec.Cluster.OverviewErr.Error(), err: true})
		}
		for j := range sec.Cluster.Jobs {
			job := &sec.Cluster.Jobs[j]
			jkey := base + "/" + job.ID
			jobMatch := match(job.Name + " " + job.State + " " + job.ID)
			var children []row
			if job.DetailErr != nil {
				children = append(children, row{kind: rowProblem, key: jkey + "/!d", depth: 2, text: job.DetailErr.Error(), err: true})
			}
			if job.CheckpointErr != nil {
				children = append(children, row{kind: rowProblem, key: jkey + "/!c", depth: 2, text: job.CheckpointErr.Error(), err: true})
			}
			slowest := job.Slowest()
			for k := range job.Vertices {
				v := &job.Vertices[k]
				if !jobMatch && !match(job.Name+" "+v.Name+" "+v.Status) {
					continue
				}
				children = append(children, row{kind: rowVertex, key: jkey + "/" + v.ID, depth: 2, target: sec.Target, flink: sec, job: job, vertex: v, slowest: k == slowest})
				if v.WatermarkErr != nil {
					children = append(children, row{kind: rowProblem, key: jkey + "/" + v.ID + "/!", depth: 3, text: v.WatermarkErr.Error(), err: true})
				}
			}
			if !jobMatch && !anyOf(children, rowVertex) {
				continue
			}
			verdict := verdicts.Of(i, j)
			findings := verdict.Findings
			out = append(out, row{kind: rowJob, key: jkey, depth: 1, target: sec.Target, flink: sec, job: job, health: verdict.Health})
			for k := range findings {
				out = append(out, row{kind: rowFinding, key: jkey + "/!v" + strconv.Itoa(int(findings[k].Problem)) + "/" + strconv.Itoa(k), depth: 2,
					target: sec.Target, flink: sec, job: job, finding: &findings[k]})
			}
			if !collapsed[jkey] {
				out = append(out, exceptionRows(sec, job, jkey, now)...)
				out = append(out, taskManagerRows(sec, job, jkey)...)
				out = append(out, children...)
			}
		}
		if len(sec.Cluster.Jobs) == 0 {
			out = append(out, row{kind: rowProblem, key: base + "/!none", depth: 1, text: "no jobs"})
		}
	}
	return out
}

// exceptionRows is the exception history of a job whose history was read
// (the job the user looks at): a header, then the newest entries; a
// history that could not be read (an older Flink has none) is one line.
func exceptionRows(sec *restapi.FlinkSection, job *flink.Job, jkey string, now time.Time) []row {
	switch {
	case job.ExceptionsErr != nil:
		return []row{{kind: rowProblem, key: jkey + "/!x", depth: 2, text: "exception history: " + job.ExceptionsErr.Error(), err: true}}
	case job.Exceptions == nil:
		return nil
	}
	e := job.Exceptions
	out := []row{{kind: rowExceptions, key: jkey + "/x", depth: 2, target: sec.Target, flink: sec, job: job}}
	for i := range e.Entries[:min(len(e.Entries), maxExceptionRows)] {
		x := &e.Entries[i]
		out = append(out, row{kind: rowException, key: jkey + "/x/" + strconv.Itoa(i) + "/" + strconv.FormatInt(x.Time.UnixMilli(), 10), depth: 3,
			target: sec.Target, flink: sec, job: job, exc: x})
	}
	return out
}

// taskManagerRows lists the TaskManagers of a job whose TaskManagers were
// read (the job looked at), and what of them could not be.
func taskManagerRows(sec *restapi.FlinkSection, job *flink.Job, jkey string) []row {
	var out []row
	for i := range job.TaskManagers {
		out = append(out, row{kind: rowTaskManager, key: jkey + "/tm/" + job.TaskManagers[i].ID, depth: 2, target: sec.Target, flink: sec, job: job, tm: &job.TaskManagers[i]})
	}
	if job.TaskManagersErr != nil {
		out = append(out, row{kind: rowProblem, key: jkey + "/!tm", depth: 2, text: "TaskManagers: " + job.TaskManagersErr.Error(), err: true})
	}
	return out
}

func anyOf(rows []row, kinds ...kind) bool {
	for _, r := range rows {
		for _, k := range kinds {
			if r.kind == k {
				return true
			}
		}
	}
	return false
}

// operatorRows is the operator's word on the cluster, when it reports
// something wrong (the REST API may answer from a cluster the operator is
// failing to reconcile).
func operatorRows(sec restapi.Section, base string) []row {
	f, ok := restapi.OperatorFinding(sec.Operator)
	if !ok {
		return nil
	}
	return []row{{kind: rowFinding, key: base + "/!op", depth: 1, target: sec.Target, finding: &f}}
}

// sectionProblems says why a section has no (fresh) data.
func sectionProblems(sec restapi.Section, base string, noData bool) []row {
	switch {
	case sec.Err != nil:
		text := sec.Err.Error()
		if !noData {
			text += " (showing data from before)"
		}
		return []row{{kind: rowProblem, key: base + "/!", depth: 1, text: text, err: true}}
	case noData && sec.Reading:
		return []row{{kind: rowProblem, key: base + "/!", depth: 1, text: "reading…"}}
	case noData:
		return []row{{kind: rowProblem, key: base + "/!", depth: 1, text: "not read yet"}}
	}
	return nil
}

// plural is "1 stream", "3 streams".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
