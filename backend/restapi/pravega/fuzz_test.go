package pravega_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/restapi/pravega"
	"github.com/streamops/streamops/backend/restapi/wire"
)

// bodies answers each Controller path with one fuzzed body per kind of
// request, the way a broken or hostile Controller would.
type bodies struct{ scopes, streams, groups, group, scaling []byte }

func (b bodies) Get(_ context.Context, path string, _ url.Values) ([]byte, error) {
	switch {
	case path == "/v1/scopes":
		return b.scopes, nil
	case strings.HasSuffix(path, "/scaling-events"):
		return b.scaling, nil
	case strings.HasSuffix(path, "/streams"):
		return b.streams, nil
	case strings.HasSuffix(path, "/readergroups"):
		return b.groups, nil
	case strings.Contains(path, "/readergroups/"):
		return b.group, nil
	}
	return nil, errors.New("unexpected path " + path)
}

// FuzzInventory: whatever the Controller answers, reading the inventory
// does not panic; it fails only with a DecodeError naming the request, and
// what it returns is well formed (sorted, no duplicate streams, counts that
// add up).
func FuzzInventory(f *testing.F) {
	f.Add([]byte(`{"scopes":[{"scopeName":"iot"},{"scopeName":"_system"}]}`),
		[]byte(`{"streams":[{"scopeName":"iot","streamName":"sensors","scalingPolicy":{"type":"BY_RATE_IN_EVENTS_PER_SEC","targetRate":100,"scaleFactor":2,"minSegments":4},"retentionPolicy":{"type":"LIMITED_DAYS","value":0,"timeBasedRetention":{"days":7,"hours":0,"minutes":0}},"tags":["a"]}]}`),
		[]byte(`{"readerGroups":[{"readerGroupName":"rg"}]}`),
		[]byte(`{"scopeName":"iot","readerGroupName":"rg","streamList":["iot/sensors"],"onlineReaderIds":["r2","r1"]}`),
		[]byte(`{"scalingEvents":[{"timestamp":1,"segmentList":[{"number":0,"startTime":1}],"splits":0,"merges":0}]}`))
	f.Add([]byte(`{"scopes":[{}]}`), []byte(`{"streams":[{"streamName":null}]}`), []byte(`[]`), []byte(`null`), []byte(`{"scalingEvents":"x"}`))
	f.Add([]byte(`{"scopes":[{"scopeName":"a"},{"scopeName":"a"}]}`), []byte(`{"streams":[{"streamName":"s"},{"streamName":"s"},{"streamName":"_internal"}]}`),
		[]byte(`{"readerGroups":[{"readerGroupName":"x"},{"readerGroupName":"x"}]}`), []byte(`{"streamList":[1]}`), []byte(`{`))
	f.Fuzz(func(t *testing.T, scopes, streams, groups, group, scaling []byte) {
		c := pravega.New(bodies{scopes, streams, groups, group, scaling})
		ctx := context.Background()
		inv, err := c.Inventory(ctx, true)
		if err != nil {
			var de *wire.DecodeError
			if !errors.As(err, &de) || de.Path != "/v1/scopes" {
				t.Fatalf("inventory failed with %v, want a DecodeError for /v1/scopes", err)
			}
			return
		}
		if !json.Valid(scopes) {
			t.Fatalf("scopes accepted from invalid JSON %q", scopes)
		}
		names := make([]string, len(inv.Scopes))
		total := 0
		for i, sc := range inv.Scopes {
			names[i] = sc.Name
			if sc.StreamErr == nil && !json.Valid(streams) {
				t.Fatalf("streams accepted from invalid JSON %q", streams)
			}
			seen := map[string]bool{}
			for _, st := range sc.Streams {
				if seen[st.Name] {
					t.Fatalf("scope %q lists stream %q twice", sc.Name, st.Name)
				}
				seen[st.Name] = true
			}
			if !slices.IsSortedFunc(sc.Streams, func(a, b pravega.Stream) int { return strings.Compare(a.Name, b.Name) }) {
				t.Fatalf("scope %q: streams not sorted", sc.Name)
			}
			total += len(sc.Streams)
		}
		if !slices.IsSorted(names) {
			t.Fatalf("scopes not sorted: %q", names)
		}
		if user, internal := inv.Streams(); user+internal != total {
			t.Fatalf("%d user + %d internal streams, want %d in all", user, internal, total)
		}
		h, err := c.Scaling(ctx, "iot", "sensors", time.Unix(0, 0), time.Unix(1, 0))
		if err == nil {
			if !json.Valid(scaling) {
				t.Fatalf("scaling events accepted from invalid JSON %q", scaling)
			}
			if !slices.IsSortedFunc(h.Events, func(a, b pravega.ScaleEvent) int { return a.At.Compare(b.At) }) {
				t.Fatal("scale events not in time order")
			}
		}
	})
}
