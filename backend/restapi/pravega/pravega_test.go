package pravega_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/pravega"
	"github.com/streamops/streamops/backend/restapi/restapitest"
	"github.com/streamops/streamops/backend/restapi/wire"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// httpGetter is the smallest Getter: GET base+path, 2xx or an error, each
// request bounded by its own timeout (as backend/restapi does).
type httpGetter struct {
	base   string
	client *http.Client
}

const requestTimeout = 300 * time.Millisecond

func (g httpGetter) Get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	u := g.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	res, err := g.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return b, nil
}

func seed() *fakeapi.Pravega {
	p := fakeapi.NewPravega(func() time.Time { return t0 })
	p.CreateStream("iot", "sensors", fakeapi.StreamConfig{
		Scaling:   fakeapi.ScalingConfig{Type: fakeapi.ByEventRate, TargetRate: 1000, ScaleFactor: 2, MinSegments: 2},
		Retention: &fakeapi.RetentionConfig{Type: fakeapi.RetentionByDays, Value: 7},
		Tags:      []string{"raw", "eu"},
	}, t0.Add(-time.Hour))
	p.CreateStream("iot", "aggregates", fakeapi.StreamConfig{
		Scaling:   fakeapi.ScalingConfig{Type: fakeapi.ByByteRate, TargetRate: 512, ScaleFactor: 3, MinSegments: 1},
		Retention: &fakeapi.RetentionConfig{Type: fakeapi.RetentionBySize, Value: 10240},
	}, t0.Add(-time.Hour))
	p.CreateStream("iot", "_RGdashboard", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.FixedSegments, MinSegments: 1}}, t0.Add(-time.Hour))
	p.CreateStream("_system", "_requeststream", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.FixedSegments, MinSegments: 1}}, t0.Add(-time.Hour))
	p.CreateStream("fraud", "payments", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.FixedSegments, MinSegments: 4}}, t0.Add(-2*time.Hour))
	p.CreateReaderGroup("iot", "dashboard", []string{"iot/sensors"}, []string{"reader-2", "reader-1"})
	p.CreateReaderGroup("iot", "archiver", []string{"iot/sensors", "iot/aggregates"}, nil)
	return p
}

// serve starts the fake behind the contract checker: every response the
// tests below see is validated against Controller.yaml.
func serve(t *testing.T, p *fakeapi.Pravega) *pravega.Client {
	t.Helper()
	doc, _, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	chk := restapitest.Check(t, doc, p.Handler())
	srv := httptest.NewServer(chk)
	t.Cleanup(func() {
		srv.Close()
		if chk.Validated()+chk.Faults() == 0 {
			t.Error("no response went through the contract checker")
		}
	})
	return pravega.New(httpGetter{base: srv.URL, client: srv.Client()})
}

func names[T any](xs []T, name func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, name(x))
	}
	return out
}

func TestInventory(t *testing.T) {
	c := serve(t, seed())
	ctx := context.Background()

	inv, err := c.Inventory(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(inv.Scopes, func(s pravega.Scope) string { return s.Name }); !slices.Equal(got, []string{"fraud", "iot"}) {
		t.Errorf("scopes without internal: %v", got)
	}
	iot := inv.Scopes[1]
	if got := names(iot.Streams, func(s pravega.Stream) string { return s.Name }); !slices.Equal(got, []string{"aggregates", "sensors"}) {
		t.Errorf("iot streams: %v", got)
	}
	sensors := iot.Streams[1]
	wantScaling := pravega.Scaling{Type: pravega.ByEventRate, Raw: "BY_RATE_IN_EVENTS_PER_SEC", TargetRate: 1000, ScaleFactor: 2, MinSegments: 2}
	if sensors.Scaling == nil || *sensors.Scaling != wantScaling {
		t.Errorf("scaling %+v", sensors.Scaling)
	}
	if r := sensors.Retention; r == nil || r.Type != pravega.ByTime || r.Time != 7*24*time.Hour {
		t.Errorf("retention %+v", r)
	}
	if !slices.Equal(sensors.Tags, []string{"raw", "eu"}) {
		t.Errorf("tags %v", sensors.Tags)
	}
	if r := iot.Streams[0].Retention; r == nil || r.Type != pravega.BySize || r.Value != 10240 {
		t.Errorf("aggregates retention %+v", r)
	}
	if got := names(iot.Groups, func(g pravega.ReaderGroup) string { return g.Name }); !slices.Equal(got, []string{"archiver", "dashboard"}) {
		t.Errorf("groups %v", got)
	}
	if g := iot.Groups[1]; !slices.Equal(g.OnlineReaders, []string{"reader-1", "reader-2"}) || !slices.Equal(g.Streams, []string{"iot/sensors"}) {
		t.Errorf("dashboard group %+v", g)
	}
	if u, i := inv.Streams(); u != 3 || i != 0 {
		t.Errorf("counts user %d internal %d", u, i)
	}

	inv, err = c.Inventory(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(inv.Scopes, func(s pravega.Scope) string { return s.Name }); !slices.Equal(got, []string{"_system", "fraud", "iot"}) {
		t.Errorf("scopes with internal: %v", got)
	}
	if got := names(inv.Scopes[2].Streams, func(s pravega.Stream) string { return s.Name }); !slices.Equal(got, []string{"_RGdashboard", "aggregates", "sensors"}) {
		t.Errorf("iot streams with internal: %v", got)
	}
	if u, i := inv.Streams(); u != 3 || i != 2 {
		t.Errorf("counts user %d internal %d", u, i)
	}
}

// TestBadInput breaks one response at a time: the error names the request
// and says what is wrong, and only the part that depends on it fails.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name    string
		prefix  string
		fault   fakeapi.Fault
		whole   string // error of Inventory itself
		iotErr  string // error of the iot scope's streams
		fraudOK bool
	}{
		{"malformed scopes", "/v1/scopes", fakeapi.Fault{Kind: fakeapi.Malformed}, "GET /v1/scopes: malformed JSON", "", false},
		{"scopes 500", "/v1/scopes", fakeapi.Fault{Kind: fakeapi.ServerError}, "GET /v1/scopes: 500", "", false},
		{"scope without name", "/v1/scopes", fakeapi.Fault{Kind: fakeapi.MissingField, Field: "scopeName"}, "GET /v1/scopes: a scope without scopeName", "", false},
		{"one scope's streams 500", "/v1/scopes/iot/streams", fakeapi.Fault{Kind: fakeapi.ServerError}, "", "GET /v1/scopes/iot/streams: 500", true},
		{"stream without name", "/v1/scopes/iot/streams", fakeapi.Fault{Kind: fakeapi.MissingField, Field: "streamName"}, "", "a stream without streamName", true},
		{"malformed streams", "/v1/scopes/iot/streams", fakeapi.Fault{Kind: fakeapi.Malformed}, "", "malformed JSON", true},
		{"slow streams", "/v1/scopes/iot/streams", fakeapi.Fault{Kind: fakeapi.Slow, Delay: 5 * time.Second}, "", "deadline exceeded", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := seed()
			p.Inject(tc.prefix, tc.fault)
			c := serve(t, p)
			inv, err := c.Inventory(context.Background(), false)
			if tc.whole != "" {
				if err == nil || !strings.Contains(err.Error(), tc.whole) {
					t.Fatalf("error %v, want %q", err, tc.whole)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			iot, fraud := inv.Scopes[1], inv.Scopes[0]
			if iot.StreamErr == nil || !strings.Contains(iot.StreamErr.Error(), tc.iotErr) {
				t.Errorf("iot error %v, want %q", iot.StreamErr, tc.iotErr)
			}
			if tc.fraudOK && (fraud.StreamErr != nil || len(fraud.Streams) != 1) {
				t.Errorf("fraud scope affected: %+v", fraud)
			}
			if iot.GroupErr != nil || len(iot.Groups) != 2 {
				t.Errorf("reader groups affected: %v %d", iot.GroupErr, len(iot.Groups))
			}
		})
	}
}

func TestDecodeErrorType(t *testing.T) {
	p := seed()
	p.Inject("/v1/scopes", fakeapi.Fault{Kind: fakeapi.Malformed})
	_, err := serve(t, p).Scopes(context.Background())
	var de *wire.DecodeError
	if !errors.As(err, &de) || de.Path != "/v1/scopes" {
		t.Errorf("want a DecodeError for /v1/scopes, got %v", err)
	}
}

func TestReaderGroupFailureIsItsOwn(t *testing.T) {
	p := seed()
	p.Inject("/v1/scopes/iot/readergroups/dashboard", fakeapi.Fault{Kind: fakeapi.ServerError})
	inv, err := serve(t, p).Inventory(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	g := inv.Scopes[1].Groups
	if g[0].Err != nil || g[1].Err == nil || g[1].Name != "dashboard" {
		t.Errorf("groups %+v", g)
	}
}

func TestScaling(t *testing.T) {
	p := seed()
	for i, n := range []int{4, 8, 3} {
		if err := p.Scale("iot", "sensors", n, t0.Add(time.Duration(i-3)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	h, err := serve(t, p).Scaling(context.Background(), "iot", "sensors", time.UnixMilli(0), t0)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := h.Segments(); !ok || n != 3 {
		t.Errorf("segments %d %v, want 3", n, ok)
	}
	if len(h.Events) != 4 {
		t.Fatalf("events %+v", h.Events)
	}
	if e := h.Events[2]; e.Splits != 4 || e.Segments != 8 || !e.At.Equal(t0.Add(-2*time.Minute)) {
		t.Errorf("split event %+v", e)
	}
	if e := h.Events[3]; e.Merges != 5 {
		t.Errorf("merge event %+v", e)
	}
	if _, ok := (pravega.ScalingHistory{}).Segments(); ok {
		t.Error("empty history has segments")
	}
}

// panicky is a Getter that panics on one path and reads the rest from a
// fake Controller.
type panicky struct {
	next wire.Getter
	path string
}

func (p panicky) Get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	if path == p.path {
		panic("injected on " + path)
	}
	return p.next.Get(ctx, path, q)
}

// TestPanicInAGoroutineReachesTheCaller: the per-scope reads run in
// goroutines of the client; a panic there is raised again in the caller
// (where the REST monitor recovers it) once they are all done, instead of
// ending the program.
func TestPanicInAGoroutineReachesTheCaller(t *testing.T) {
	p := seed()
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	c := pravega.New(panicky{next: httpGetter{base: srv.URL, client: srv.Client()}, path: "/v1/scopes/iot/streams"})
	defer func() {
		if r := recover(); r != "injected on /v1/scopes/iot/streams" {
			t.Errorf("recovered %v in the caller", r)
		}
	}()
	_, _ = c.Inventory(context.Background(), true)
	t.Error("Inventory returned instead of raising the panic")
}
