package flink_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/wire"
)

// FuzzDecodeResponses: each JobManager response decoder takes any body
// without panicking, fails only with a DecodeError naming the request,
// accepts only valid JSON, and returns what it decoded whole.
func FuzzDecodeResponses(f *testing.F) {
	for _, s := range []string{
		`{"taskmanagers":2,"slots-total":8,"slots-available":2,"jobs-running":1,"jobs-finished":0,"jobs-cancelled":0,"jobs-failed":0,"flink-version":"1.20.0","flink-commit":"abc"}`,
		`{"jobs":[{"jid":"a1","name":"fraud","state":"RUNNING","start-time":1764000000000,"end-time":-1,"duration":5000}]}`,
		`{"jid":"a1","name":"fraud","state":"RUNNING","start-time":1,"end-time":-1,"duration":1,"maxParallelism":128,"vertices":[{"id":"v1","name":"Source","status":"RUNNING","parallelism":4,"maxParallelism":128}]}`,
		`{"counts":{"restored":0,"total":3,"in_progress":0,"completed":2,"failed":1},"latest":{"completed":{"id":2,"trigger_timestamp":1,"latest_ack_timestamp":2,"end_to_end_duration":1,"checkpointed_size":10,"state_size":10,"is_savepoint":false},"failed":{"id":3,"trigger_timestamp":3,"failure_timestamp":4,"failure_message":"Checkpoint expired\n\tat x","num_subtasks":4,"num_acknowledged_subtasks":1}}}`,
		`{"exceptionHistory":{"entries":[{"exceptionName":"java.io.IOException","timestamp":1,"taskName":"t","stacktrace":"x\n\tat y","concurrentExceptions":[]}],"truncated":false}}`,
		`{"status":"ok","backpressureLevel":"high","end-timestamp":1,"subtasks":[{"subtask":0,"backpressureLevel":"high","ratio":0.9,"busyRatio":0.1,"idleRatio":0}]}`,
		`[{"id":"numRestarts","value":"3"}]`, `{"metrics":[{"id":"numRestarts","value":"x"}]}`,
		`{"jobs":[{}]}`, `{"vertices":[{"id":null}],"jid":"x"}`, `{"counts":null}`, `{"jobs":"x"}`, `[`, `null`, `{"start-time":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		valid := json.Valid(body)
		check := func(what string, err error) bool {
			if err != nil {
				var de *wire.DecodeError
				if !errors.As(err, &de) || de.Path != "/p" {
					t.Fatalf("%s failed with %v, want a DecodeError for /p", what, err)
				}
				return false
			}
			if !valid {
				t.Fatalf("%s accepted invalid JSON %q", what, body)
			}
			return true
		}
		if o, err := flink.DecodeOverview("/p", body); check("overview", err) && o == nil {
			t.Fatal("overview: nil without error")
		}
		if jobs, err := flink.DecodeJobs("/p", body); check("jobs", err) {
			for _, j := range jobs {
				_ = j.Terminal()
			}
		}
		var j flink.Job
		if check("job", flink.DecodeJob("/p", body, &j)) {
			if p := j.Parallelism(); p < 0 && len(j.Vertices) == 0 {
				t.Fatalf("parallelism %d without vertices", p)
			}
			if s := j.Slowest(); s >= len(j.Vertices) {
				t.Fatalf("slowest vertex %d of %d", s, len(j.Vertices))
			}
		}
		if c, err := flink.DecodeCheckpoints("/p", body); check("checkpoints", err) && c == nil {
			t.Fatal("checkpoints: nil without error")
		} else if err == nil {
			if failed, ended := c.RecentFailures(); failed > ended || ended > len(c.Recent) {
				t.Fatalf("recent failures %d of %d, %d recent", failed, ended, len(c.Recent))
			}
		}
		if e, err := flink.DecodeExceptions("/p", body); check("exceptions", err) && e == nil {
			t.Fatal("exceptions: nil without error")
		}
		if b, err := flink.DecodeBackPressure("/p", body); check("back-pressure", err) {
			if i, r := b.Worst(); (i < 0) != (len(b.Subtasks) == 0) || r < 0 || r > 1 {
				t.Fatalf("worst subtask %d at %g of %d", i, r, len(b.Subtasks))
			}
		}
		if r, err := flink.DecodeRestarts("/p", body); err == nil && (r.Total < 0 || !valid) {
			t.Fatalf("restarts %+v from %q", r, body)
		} else if err != nil {
			check("restarts", err)
		}
	})
}
