package flink_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/flink"
)

// TestReadReaderGroups: a source vertex that reads Pravega reports its
// reader group's unread bytes; the metric names are listed once and only
// their values asked for afterwards; a vertex that is not a source is not
// asked at all.
func TestReadReaderGroups(t *testing.T) {
	f := seed()
	must(f.SetReaders(running, hex32(1), fakeapi.Readers{Scope: "iot", Group: "sensor-aggregation", Unread: 3 << 30, Online: 2}))
	var mu sync.Mutex
	var asked []string
	c := serveThrough(t, f, func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/metrics") && strings.Contains(r.URL.Path, "/vertices/") {
			mu.Lock()
			asked = append(asked, r.URL.Path+"?"+r.URL.RawQuery)
			mu.Unlock()
		}
	})
	c.ReaderGroups = &flink.ReaderGroupIDs{}
	read := func() *flink.Cluster {
		t.Helper()
		mu.Lock()
		asked = nil
		mu.Unlock()
		cl, err := c.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	cl := read()
	src := cl.Jobs[1].Vertices[0]
	if src.ReadersErr != nil || src.Readers == nil || src.Readers.Key() != "iot/sensor-aggregation" || src.Readers.Unread != 3<<30 {
		t.Fatalf("reader group %+v %v", src.Readers, src.ReadersErr)
	}
	if v := cl.Jobs[1].Vertices[1]; v.Readers != nil || v.ReadersErr != nil {
		t.Errorf("a window vertex has a reader group: %+v %v", v.Readers, v.ReadersErr)
	}
	if other := cl.Jobs[0].Vertices[0]; other.Readers != nil || other.ReadersErr != nil {
		t.Errorf("a source without the connector's gauges has one: %+v %v", other.Readers, other.ReadersErr)
	}
	if len(asked) != 3 { // list + values for the Pravega source, list for the other source
		t.Errorf("first read asked %d times: %q", len(asked), asked)
	}
	must(f.SetReaders(running, hex32(1), fakeapi.Readers{Scope: "iot", Group: "sensor-aggregation", Unread: 4 << 30}))
	cl = read()
	if g := cl.Jobs[1].Vertices[0].Readers; g == nil || g.Unread != 4<<30 {
		t.Errorf("second read %+v", g)
	}
	if len(asked) != 1 || !strings.Contains(asked[0], "get=0.Source__sensors.PravegaReader.readerGroup.readerGroupName") {
		t.Errorf("second read asked %q, want the values only, of subtask 0", asked)
	}
}

func TestDecodeReaderGroup(t *testing.T) {
	const path = "/jobs/x/vertices/y/metrics"
	list := `[{"id":"1.Source__s.PravegaReader.readerGroup.unreadBytes"},{"id":"0.numRecordsIn"},` +
		`{"id":"0.Source__s.PravegaReader.readerGroup.unreadBytes"},{"id":"x.Source__s.PravegaReader.readerGroup.unreadBytes"}]`
	if p, err := flink.ReaderGroupPrefix(path, []byte(list)); err != nil || p != "0.Source__s.PravegaReader.readerGroup." {
		t.Errorf("prefix %q %v", p, err)
	}
	if p, err := flink.ReaderGroupPrefix(path, []byte(`{"metrics":[{"id":"0.numRecordsIn"}]}`)); err != nil || p != "" {
		t.Errorf("no reader group: %q %v", p, err)
	}
	const pre = "0.S.PravegaReader.readerGroup."
	cases := []struct {
		name, body string
		want       *flink.ReaderGroup
		err        string
	}{
		{"documented form", `{"metrics":[{"id":"` + pre + `unreadBytes","value":"12"},{"id":"` + pre + `scope","value":"iot"},{"id":"` + pre + `readerGroupName","value":"g"}]}`,
			&flink.ReaderGroup{Scope: "iot", Name: "g", Unread: 12}, ""},
		{"bare array", `[{"id":"` + pre + `unreadBytes","value":"0"}]`, &flink.ReaderGroup{}, ""},
		{"gone", `[]`, nil, ""},
		{"not a count", `[{"id":"` + pre + `unreadBytes","value":"1e9"}]`, nil, "not a byte count"},
		{"negative", `[{"id":"` + pre + `unreadBytes","value":"-5"}]`, nil, "not a byte count"},
		{"without id", `[{"value":"1"}]`, nil, "a metric without id"},
		{"malformed", `{"metrics":[`, nil, "malformed JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := flink.DecodeReaderGroup(path, []byte(tc.body), pre)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || (got == nil) != (tc.want == nil) || got != nil && (got.Key() != tc.want.Key() || got.Unread != tc.want.Unread) {
				t.Errorf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}
