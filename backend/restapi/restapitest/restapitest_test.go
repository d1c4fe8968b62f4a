package restapitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUpstreamHashes pins the copied documents to the upstream files
// named in upstream/README.md.
func TestUpstreamHashes(t *testing.T) {
	for api, want := range map[API]string{
		Pravega: "f6087b4353c633ee6665569ad8c8c61294be8fda899b72f9dbeb538db5c64a5e",
		Flink:   "9edb7caf50d8a3df6c0c956825293e5018c671539215a35e2c4ede136ae3df84",
	} {
		sum := sha256.Sum256(Raw(api))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s document changed: sha256 %s, want %s", api, got, want)
		}
	}
}

// TestUpstreamDefects records the defects of the upstream documents the
// fakes work around (see upstream/README.md). If an update fixes one, this
// test says so and the fakes may serve the field again.
func TestUpstreamDefects(t *testing.T) {
	pravega, flink, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	err = pravega.Doc.Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), `unsupported 'type' value "long"`) {
		t.Errorf("Controller.yaml: want the known 'type: long' defect, got %v", err)
	}
	cases := []struct {
		name   string
		doc    *Document
		schema string
		value  string
	}{
		{"rolloverSizeBytes typed long", pravega, "StreamProperty", `{"rolloverSizeBytes": 1048576}`},
		{"fractional segment key", pravega, "Segment", `{"keyStart": 0.5}`},
		{"bare metric array", flink, "MetricCollectionResponseBody", `[{"id":"0.currentInputWatermark","value":"1"}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.value), &v); err != nil {
				t.Fatal(err)
			}
			if err := tc.doc.Doc.Components.Schemas[tc.schema].Value.VisitJSON(v); err == nil {
				t.Errorf("%s now accepts %s: the upstream defect is fixed", tc.schema, tc.value)
			}
		})
	}
}

type recorder struct{ errs []string }

func (r *recorder) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }
func (r *recorder) Helper()                           {}

// TestValidatorHasTeeth makes sure a drifting server is caught: wrong
// types, a missing required field, an undocumented path or status.
func TestValidatorHasTeeth(t *testing.T) {
	pravega, flink, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		doc    *Document
		path   string
		status int
		body   string
		ok     bool
	}{
		{"pravega scopes ok", pravega, "/v1/scopes", 200, `{"scopes":[{"scopeName":"iot"}]}`, true},
		{"pravega scope name not a string", pravega, "/v1/scopes", 200, `{"scopes":[{"scopeName":5}]}`, false},
		{"pravega unknown scaling type", pravega, "/v1/scopes/a/streams", 200, `{"streams":[{"streamName":"s","scalingPolicy":{"type":"BY_MOOD"}}]}`, false},
		{"pravega 404 documented", pravega, "/v1/scopes/a/streams", 404, ``, true},
		{"pravega 403 undocumented", pravega, "/v1/scopes", 403, ``, false},
		{"pravega unknown path", pravega, "/v1/segments", 200, `{}`, false},
		{"flink overview ok", flink, "/overview", 200, `{"slots-total":4,"flink-version":"1.19.1"}`, true},
		{"flink slots as string", flink, "/overview", 200, `{"slots-total":"4"}`, false},
		{"flink checkpoint without className", flink, "/jobs/0123456789abcdef0123456789abcdef/checkpoints", 200, `{"latest":{"completed":{"id":1}}}`, false},
		{"flink bad job id", flink, "/jobs/xyz/checkpoints", 200, `{}`, false},
		{"flink metric without id", flink, "/jobs/0123456789abcdef0123456789abcdef/vertices/0123456789abcdef0123456789abcdef/watermarks", 200, `{"metrics":[{"value":"1"}]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.path, nil)
			err := tc.doc.ValidateRequest(req)
			if err == nil {
				h := httptest.NewRecorder()
				h.Header().Set("Content-Type", "application/json")
				err = tc.doc.Validate(req, tc.status, h.Header(), []byte(tc.body))
			}
			if (err == nil) != tc.ok {
				t.Errorf("valid=%v, want %v (err %v)", err == nil, tc.ok, err)
			}
		})
	}
}
