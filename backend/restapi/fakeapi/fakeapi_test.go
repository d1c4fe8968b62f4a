package fakeapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/restapitest"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

const (
	jobA = "0123456789abcdef0123456789abcdef"
	srcV = "00000000000000000000000000000001"
	aggV = "00000000000000000000000000000002"
	tmA  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"
	tmB  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"
)

func seedPravega() *fakeapi.Pravega {
	p := fakeapi.NewPravega(clock)
	p.CreateStream("iot", "sensors", fakeapi.StreamConfig{
		Scaling:   fakeapi.ScalingConfig{Type: fakeapi.ByEventRate, TargetRate: 1000, ScaleFactor: 2, MinSegments: 2},
		Retention: &fakeapi.RetentionConfig{Type: fakeapi.RetentionByDays, Value: 7, TimeBasedRetention: &fakeapi.TimeBasedRetention{Days: 7}},
		Tags:      []string{"raw"},
	}, t0.Add(-time.Hour))
	p.CreateStream("iot", "aggregates", fakeapi.StreamConfig{
		Scaling:   fakeapi.ScalingConfig{Type: fakeapi.ByByteRate, TargetRate: 512, ScaleFactor: 3, MinSegments: 1},
		Retention: &fakeapi.RetentionConfig{Type: fakeapi.RetentionBySize, Value: 10240},
	}, t0.Add(-time.Hour))
	p.CreateStream("iot", "_RGdashboard", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.FixedSegments, MinSegments: 1}}, t0.Add(-time.Hour))
	p.CreateStream("fraud", "payments", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.FixedSegments, MinSegments: 4}}, t0.Add(-2*time.Hour))
	if err := p.Scale("iot", "sensors", 4, t0.Add(-10*time.Minute)); err != nil {
		panic(err)
	}
	p.CreateReaderGroup("iot", "dashboard", []string{"iot/sensors"}, []string{"reader-1", "reader-2"})
	p.CreateScope("empty")
	return p
}

func seedFlink() *fakeapi.Flink {
	f := fakeapi.NewFlink(clock, fakeapi.Overview{TaskManagers: 3, SlotsTotal: 6, SlotsAvailable: 1, Version: "1.19.1", Commit: "abc123"})
	f.AddJob(fakeapi.Job{ID: jobA, Name: "sensor-aggregation", Start: t0.Add(-2 * time.Hour), MaxParallelism: 128,
		Vertices: []fakeapi.Vertex{{ID: srcV, Name: "Source: sensors", Parallelism: 2}, {ID: aggV, Name: "window-aggregate", Parallelism: 3}}})
	_ = f.SetWatermarks(jobA, aggV, []int64{t0.Add(-5 * time.Second).UnixMilli(), fakeapi.NoWatermark, t0.UnixMilli()})
	_ = f.CompleteCheckpoint(jobA, fakeapi.Checkpoint{ID: 41, Trigger: t0.Add(-time.Minute), Ack: t0.Add(-59 * time.Second), Duration: time.Second, Size: 1 << 20, State: 4 << 20})
	_ = f.FailCheckpoint(jobA, fakeapi.Checkpoint{ID: 42, Trigger: t0.Add(-30 * time.Second), FailedAt: t0.Add(-20 * time.Second), Failure: "Checkpoint expired before completing."})
	_ = f.SetInProgress(jobA, 1)
	return f
}

func get(t *testing.T, srv *httptest.Server, path string) (int, []byte, http.Header) {
	t.Helper()
	res, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

// TestPravegaFollowsSpec serves every path the client uses, in every shape
// the fake can produce, and validates each response against Controller.yaml.
func TestPravegaFollowsSpec(t *testing.T) {
	doc, _, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := seedPravega()
	chk := restapitest.Check(t, doc, p.Handler())
	srv := httptest.NewServer(chk)
	defer srv.Close()
	paths := []struct {
		path   string
		status int
	}{
		{"/v1/health", 200},
		{"/v1/scopes", 200},
		{"/v1/scopes/iot", 200},
		{"/v1/scopes/nope", 404},
		{"/v1/scopes/iot/streams", 200},
		{"/v1/scopes/iot/streams?filter_type=showInternalStreams", 200},
		{"/v1/scopes/iot/streams?filter_type=tag&filter_value=raw", 200},
		{"/v1/scopes/empty/streams", 200},
		{"/v1/scopes/nope/streams", 404},
		{"/v1/scopes/iot/streams/sensors", 200},
		{"/v1/scopes/iot/streams/aggregates", 200},
		{"/v1/scopes/fraud/streams/payments", 200},
		{"/v1/scopes/iot/streams/nope", 404},
		{"/v1/scopes/iot/streams/sensors/scaling-events?from=0&to=" + itoa(t0.UnixMilli()), 200},
		{"/v1/scopes/iot/readergroups", 200},
		{"/v1/scopes/empty/readergroups", 200},
		{"/v1/scopes/iot/readergroups/dashboard", 200},
		{"/v1/scopes/iot/readergroups/nope", 404},
	}
	for _, p := range paths {
		if code, body, _ := get(t, srv, p.path); code != p.status {
			t.Errorf("GET %s: %d %s, want %d", p.path, code, body, p.status)
		}
	}
	// a contributor down, and one starting: the root follows
	p.SetHealth("cluster-listener", fakeapi.ContributorHealth{Status: "DOWN", Details: map[string]string{"zookeeper": "session expired"}})
	p.SetHealth("retention-service", fakeapi.ContributorHealth{Status: "STARTING"})
	if code, body, _ := get(t, srv, "/v1/health"); code != 200 || !strings.Contains(string(body), `"status":"DOWN"`) {
		t.Errorf("GET /v1/health with a contributor down: %d %s", code, body)
	}
	paths = append(paths, paths[0])
	if got := chk.Validated(); got != int64(len(paths)) {
		t.Errorf("validated %d responses, want %d", got, len(paths))
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestFlinkFollowsSpec does the same against rest_v1_dispatcher.yml.
func TestFlinkFollowsSpec(t *testing.T) {
	_, doc, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := seedFlink()
	f.AddJob(fakeapi.Job{ID: "fedcba9876543210fedcba9876543210", Name: "old", State: "FINISHED", Start: t0.Add(-48 * time.Hour), End: t0.Add(-47 * time.Hour)})
	_ = f.Restart(jobA, fakeapi.Exception{Name: "java.io.IOException", Task: "window-aggregate (2/3)", Location: "10.0.0.7:6122", TaskManager: "tm-1", At: t0.Add(-time.Minute), Stack: "java.io.IOException: disk full"})
	_ = f.Restart(jobA, fakeapi.Exception{Name: "org.apache.flink.runtime.JobException", At: t0.Add(-30 * time.Second), Stack: "global failure"})
	_ = f.SetBackPressure(jobA, aggV, fakeapi.Pressure{Ratio: []float64{0.05, 0.3, 0.9}, Busy: []float64{0.5, 0.8, 1}, Idle: []float64{0.5, 0.2, 0}})
	f.SetTaskManager(fakeapi.TaskManager{ID: tmA, Host: "10.0.0.7:6122", Slots: 2, Jobs: []string{jobA, jobA}, HeapUsed: 900 << 20, HeapMax: 1 << 30,
		DirectUsed: 60 << 20, Direct: 128 << 20, Managed: 512 << 20, YoungGCs: 40, YoungGCMs: 800, Heartbeat: t0.Add(-2 * time.Second)})
	f.SetTaskManager(fakeapi.TaskManager{ID: tmB, Host: "10.0.0.8:6122", Slots: 2, HeapMax: 1 << 30, Heartbeat: t0})
	chk := restapitest.Check(t, doc, f.Handler())
	srv := httptest.NewServer(chk)
	defer srv.Close()
	paths := []string{
		"/jobs/" + jobA + "/metrics?get=numRestarts",
		"/jobs/" + jobA + "/metrics",
		"/jobs/" + jobA + "/exceptions",
		"/jobs/" + jobA + "/exceptions?maxExceptions=1",
		"/jobs/" + jobA + "/vertices/" + aggV + "/backpressure",
		"/jobs/" + jobA + "/vertices/" + srcV + "/backpressure",
		"/overview",
		"/jobs",
		"/jobs/overview",
		"/jobs/" + jobA,
		"/jobs/" + jobA + "/checkpoints",
		"/jobs/fedcba9876543210fedcba9876543210/checkpoints",
		"/jobs/" + jobA + "/vertices/" + srcV + "/watermarks",
		"/jobs/" + jobA + "/vertices/" + aggV + "/watermarks",
		"/taskmanagers",
		"/taskmanagers/" + tmA,
		"/taskmanagers/" + tmB,
	}
	for _, p := range paths {
		if code, body, _ := get(t, srv, p); code != 200 {
			t.Errorf("GET %s: %d %s", p, code, body)
		}
	}
	if got := chk.Validated(); got != int64(len(paths)) {
		t.Errorf("validated %d responses, want %d", got, len(paths))
	}
	// Flink answers 404 with {"errors":[...]}, which the document does not
	// list: the fake marks it as outside the contract.
	if code, _, h := get(t, srv, "/jobs/00000000000000000000000000000000"); code != 404 || h.Get(restapitest.FaultHeader) == "" {
		t.Errorf("unknown job: %d, fault header %q", code, h.Get(restapitest.FaultHeader))
	}
}

func TestFaults(t *testing.T) {
	p := seedPravega()
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	cases := []struct {
		name  string
		fault fakeapi.Fault
		check func(t *testing.T, code int, body []byte)
	}{
		{"malformed", fakeapi.Fault{Kind: fakeapi.Malformed}, func(t *testing.T, code int, body []byte) {
			var v any
			if code != 200 || json.Unmarshal(body, &v) == nil {
				t.Errorf("want 200 with broken JSON, got %d %s", code, body)
			}
		}},
		{"server error", fakeapi.Fault{Kind: fakeapi.ServerError}, func(t *testing.T, code int, body []byte) {
			if code != 500 {
				t.Errorf("status %d", code)
			}
		}},
		{"missing field", fakeapi.Fault{Kind: fakeapi.MissingField, Field: "scopeName"}, func(t *testing.T, code int, body []byte) {
			if strings.Contains(string(body), "scopeName") {
				t.Errorf("field still there: %s", body)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.ClearFaults()
			p.Inject("/v1/scopes", tc.fault)
			code, body, h := get(t, srv, "/v1/scopes")
			if h.Get(fakeapi.FaultHeader) == "" {
				t.Error("fault not marked")
			}
			tc.check(t, code, body)
		})
	}
	p.ClearFaults()
	if _, _, h := get(t, srv, "/v1/scopes"); h.Get(fakeapi.FaultHeader) != "" {
		t.Error("fault still active after ClearFaults")
	}
}

func TestPravegaScaling(t *testing.T) {
	p := seedPravega()
	for _, n := range []int{6, 3, 3} {
		if err := p.Scale("iot", "sensors", n, t0); err != nil {
			t.Fatal(err)
		}
		if got, _ := p.Segments("iot", "sensors"); got != n {
			t.Errorf("segments %d, want %d", got, n)
		}
	}
	if err := p.Scale("iot", "nope", 2, t0); err == nil {
		t.Error("scaling a missing stream succeeded")
	}
}

// TestPravegaAuth: with authentication on, the controller answers 401
// without or with wrong credentials, 403 to a denied principal, and the
// usual (validated) answers to good basic or bearer credentials.
func TestPravegaAuth(t *testing.T) {
	doc, _, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := seedPravega()
	p.RequireAuth(&fakeapi.Auth{Users: map[string]string{"admin": "s3cret-pw", "guest": "guest-pw"}, Tokens: []string{"tok-123456"}, Denied: []string{"guest"}})
	chk := restapitest.Check(t, doc, p.Handler())
	srv := httptest.NewServer(chk)
	defer srv.Close()
	cases := []struct {
		name   string
		set    func(*http.Request)
		status int
	}{
		{"none", func(*http.Request) {}, http.StatusUnauthorized},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("admin", "nope") }, http.StatusUnauthorized},
		{"unknown user", func(r *http.Request) { r.SetBasicAuth("eve", "s3cret-pw") }, http.StatusUnauthorized},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok-nope") }, http.StatusUnauthorized},
		{"denied user", func(r *http.Request) { r.SetBasicAuth("guest", "guest-pw") }, http.StatusForbidden},
		{"basic", func(r *http.Request) { r.SetBasicAuth("admin", "s3cret-pw") }, http.StatusOK},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok-123456") }, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/scopes", nil)
			c.set(req)
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.status {
				t.Errorf("status %d, want %d", res.StatusCode, c.status)
			}
			if c.status == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without a Basic challenge: %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if chk.Validated() != 2 || chk.Faults() != 5 {
		t.Errorf("validated %d, faults %d: the two admitted answers must be validated, the five refusals marked", chk.Validated(), chk.Faults())
	}
}
