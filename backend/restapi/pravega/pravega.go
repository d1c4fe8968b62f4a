// Package pravega reads a Pravega cluster's scopes, streams and reader
// groups through the Controller REST API (Controller.yaml, Swagger 2.0,
// base path /v1), decoding with the document's field names.
//
// The client does not know how the API is reached: it asks a wire.Getter
// (backend/restapi provides one through the Kubernetes API server's service
// proxy and one for a direct URL).
package pravega

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/restapi/fanout"
	"github.com/streamops/streamops/backend/restapi/wire"
)

// ScalingType is how a stream's segment count follows its load.
type ScalingType int

const (
	ScalingUnknown ScalingType = iota // absent or a value the document does not list
	FixedSegments                     // FIXED_NUM_SEGMENTS
	ByEventRate                       // BY_RATE_IN_EVENTS_PER_SEC
	ByByteRate                        // BY_RATE_IN_KBYTES_PER_SEC
)

// Scaling is a stream's scaling policy.
type Scaling struct {
	Type ScalingType
	Raw  string // the type as the API spelled it
	// TargetRate is events/s (ByEventRate) or KiB/s (ByByteRate) per
	// segment; ScaleFactor is how many segments one splits into.
	TargetRate, ScaleFactor, MinSegments int32
}

// RetentionType is how a stream's data is truncated.
type RetentionType int

const (
	RetentionUnknown RetentionType = iota // a value the document does not list
	ByTime                                // LIMITED_DAYS (with timeBasedRetention for finer units)
	BySize                                // LIMITED_SIZE_MB
)

// Retention is a stream's retention policy.
type Retention struct {
	Type RetentionType
	Raw  string
	// Value and MaxValue are days (ByTime) or MiB (BySize), as sent.
	Value, MaxValue int64
	// Time and MaxTime are the timeBasedRetention fields as durations.
	Time, MaxTime time.Duration
}

// Stream is one stream and its configuration. The Controller REST API
// offers no way to read whether a stream is sealed (only PUT .../state), so
// the state is not part of it.
type Stream struct {
	Scope, Name string
	Scaling     *Scaling   // nil when the API sent none
	Retention   *Retention // nil: no retention, data is kept forever
	Tags        []string
}

// InternalPrefix starts the names of Pravega's internal streams and scopes
// (reader group state, watermark marks, _system).
const InternalPrefix = "_"

// Internal reports whether the stream is one of Pravega's own.
func (s Stream) Internal() bool { return strings.HasPrefix(s.Name, InternalPrefix) }

// ReaderGroup is a reader group with the readers currently online.
type ReaderGroup struct {
	Scope, Name   string
	Streams       []string // scoped names, as the API gives them
	OnlineReaders []string
	Err           error // its properties could not be read
}

// Scope is one scope with what could be read of it.
type Scope struct {
	Name      string
	Streams   []Stream // user and internal streams, by name
	Groups    []ReaderGroup
	StreamErr error // listing the streams failed
	GroupErr  error // listing the reader groups failed
}

// Internal reports whether the scope is one of Pravega's own (_system).
func (s Scope) Internal() bool { return strings.HasPrefix(s.Name, InternalPrefix) }

// Inventory is everything the console shows of one Pravega cluster.
type Inventory struct {
	Scopes []Scope
	// Health is the Controller's own (nil when it could not be read:
	// HealthErr says why, e.g. a 404 from a Controller older than the
	// health API).
	Health    *Health
	HealthErr error
}

// Streams counts user and internal streams.
func (inv *Inventory) Streams() (user, internal int) {
	for _, sc := range inv.Scopes {
		u, i := sc.StreamCounts()
		user += u
		internal += i
	}
	return user, internal
}

// StreamCounts counts the scope's user and internal streams (every stream
// of an internal scope is internal).
func (s Scope) StreamCounts() (user, internal int) {
	for _, st := range s.Streams {
		if st.Internal() || s.Internal() {
			internal++
		} else {
			user++
		}
	}
	return user, internal
}

// Client reads the Controller REST API.
type Client struct {
	get wire.Getter
	// Parallel bounds the requests in flight at once (default 4).
	Parallel int
}

// New returns a client reading through g.
func New(g wire.Getter) *Client { return &Client{get: g, Parallel: 4} }

// Wire types, named after Controller.yaml's definitions.
type (
	scopesList struct {
		Scopes []struct {
			ScopeName *string `json:"scopeName"`
		} `json:"scopes"`
	}
	scalingConfig struct {
		Type        string `json:"type"`
		TargetRate  int32  `json:"targetRate"`
		ScaleFactor int32  `json:"scaleFactor"`
		MinSegments int32  `json:"minSegments"`
	}
	timeBasedRetention struct {
		Days    int64 `json:"days"`
		Hours   int64 `json:"hours"`
		Minutes int64 `json:"minutes"`
	}
	retentionConfig struct {
		Type                  string              `json:"type"`
		Value                 int64               `json:"value"`
		TimeBasedRetention    *timeBasedRetention `json:"timeBasedRetention"`
		MaxValue              int64               `json:"maxValue"`
		MaxTimeBasedRetention *timeBasedRetention `json:"maxTimeBasedRetention"`
	}
	streamProperty struct {
		ScopeName       string           `json:"scopeName"`
		StreamName      *string          `json:"streamName"`
		ScalingPolicy   *scalingConfig   `json:"scalingPolicy"`
		RetentionPolicy *retentionConfig `json:"retentionPolicy"`
		Tags            []string         `json:"tags"`
	}
	streamsList struct {
		Streams []streamProperty `json:"streams"`
	}
	readerGroupsList struct {
		ReaderGroups []struct {
			ReaderGroupName *string `json:"readerGroupName"`
		} `json:"readerGroups"`
	}
	readerGroupProperty struct {
		ScopeName       string   `json:"scopeName"`
		ReaderGroupName string   `json:"readerGroupName"`
		StreamList      []string `json:"streamList"`
		OnlineReaderIDs []string `json:"onlineReaderIds"`
	}
	segment struct {
		Number    int32 `json:"number"`
		StartTime int64 `json:"startTime"`
		// keyStart/keyEnd are fractions on the wire although the document
		// types them integer; the console does not need them.
	}
	scaleMetadata struct {
		Timestamp   int64     `json:"timestamp"`
		SegmentList []segment `json:"segmentList"`
		Splits      int64     `json:"splits"`
		Merges      int64     `json:"merges"`
	}
	scalingEventList struct {
		ScalingEvents []scaleMetadata `json:"scalingEvents"`
	}
)

func scopePath(scope string, rest ...string) string {
	p := "/v1/scopes/" + url.PathEscape(scope)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// Scopes lists the scope names, sorted.
func (c *Client) Scopes(ctx context.Context) ([]string, error) {
	const path = "/v1/scopes"
	body, err := c.get.Get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	var l scopesList
	if err := wire.Decode(path, body, &l); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(l.Scopes))
	for _, s := range l.Scopes {
		if s.ScopeName == nil {
			return nil, wire.Missing(path, "scopeName", "a scope")
		}
		out = append(out, *s.ScopeName)
	}
	slices.Sort(out)
	return out, nil
}

// Streams lists a scope's streams, sorted by name. With internal, Pravega's
// internal streams are listed too (the API returns them only when asked
// with filter_type=showInternalStreams, and then only them).
func (c *Client) Streams(ctx context.Context, scope string, internal bool) ([]Stream, error) {
	path := scopePath(scope, "streams")
	queries := []url.Values{nil}
	if internal {
		queries = append(queries, url.Values{"filter_type": {"showInternalStreams"}})
	}
	seen := map[string]bool{}
	var out []Stream
	for _, q := range queries {
		body, err := c.get.Get(ctx, path, q)
		if err != nil {
			return nil, err
		}
		var l streamsList
		if err := wire.Decode(path, body, &l); err != nil {
			return nil, err
		}
		for _, p := range l.Streams {
			if p.StreamName == nil {
				return nil, wire.Missing(path, "streamName", "a stream")
			}
			if seen[*p.StreamName] {
				continue
			}
			seen[*p.StreamName] = true
			out = append(out, streamFrom(scope, p))
		}
	}
	slices.SortFunc(out, func(a, b Stream) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func streamFrom(scope string, p streamProperty) Stream {
	st := Stream{Scope: scope, Name: *p.StreamName, Tags: p.Tags}
	if p.ScalingPolicy != nil {
		s := &Scaling{Raw: p.ScalingPolicy.Type, TargetRate: p.ScalingPolicy.TargetRate,
			ScaleFactor: p.ScalingPolicy.ScaleFactor, MinSegments: p.ScalingPolicy.MinSegments}
		switch s.Raw {
		case "FIXED_NUM_SEGMENTS":
			s.Type = FixedSegments
		case "BY_RATE_IN_EVENTS_PER_SEC":
			s.Type = ByEventRate
		case "BY_RATE_IN_KBYTES_PER_SEC":
			s.Type = ByByteRate
		}
		st.Scaling = s
	}
	if r := p.RetentionPolicy; r != nil && r.Type != "" {
		ret := &Retention{Raw: r.Type, Value: r.Value, MaxValue: r.MaxValue,
			Time: r.TimeBasedRetention.duration(), MaxTime: r.MaxTimeBasedRetention.duration()}
		switch r.Type {
		case "LIMITED_DAYS":
			ret.Type = ByTime
			if ret.Time == 0 {
				ret.Time = time.Duration(r.Value) * 24 * time.Hour
			}
			if ret.MaxTime == 0 && r.MaxValue > 0 {
				ret.MaxTime = time.Duration(r.MaxValue) * 24 * time.Hour
			}
		case "LIMITED_SIZE_MB":
			ret.Type = BySize
		}
		st.Retention = ret
	}
	return st
}

func (t *timeBasedRetention) duration() time.Duration {
	if t == nil {
		return 0
	}
	return time.Duration(t.Days)*24*time.Hour + time.Duration(t.Hours)*time.Hour + time.Duration(t.Minutes)*time.Minute
}

// ReaderGroups lists a scope's reader group names, sorted.
func (c *Client) ReaderGroups(ctx context.Context, scope string) ([]string, error) {
	path := scopePath(scope, "readergroups")
	body, err := c.get.Get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	var l readerGroupsList
	if err := wire.Decode(path, body, &l); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(l.ReaderGroups))
	for _, g := range l.ReaderGroups {
		if g.ReaderGroupName == nil {
			return nil, wire.Missing(path, "readerGroupName", "a reader group")
		}
		out = append(out, *g.ReaderGroupName)
	}
	slices.Sort(out)
	return out, nil
}

// ReaderGroup reads a reader group's streams and online readers.
func (c *Client) ReaderGroup(ctx context.Context, scope, name string) (ReaderGroup, error) {
	path := scopePath(scope, "readergroups", name)
	rg := ReaderGroup{Scope: scope, Name: name}
	body, err := c.get.Get(ctx, path, nil)
	if err != nil {
		return rg, err
	}
	var p readerGroupProperty
	if err := wire.Decode(path, body, &p); err != nil {
		return rg, err
	}
	rg.Streams, rg.OnlineReaders = p.StreamList, p.OnlineReaderIDs
	slices.Sort(rg.OnlineReaders)
	return rg, nil
}

// ScaleEvent is one scaling of a stream.
type ScaleEvent struct {
	At             time.Time
	Segments       int // active segments after the event
	Splits, Merges int64
}

// Change says what the event did: "created" (the first event of a
// window, or one that neither split nor merged), "split, +2", "merge, −1".
func (e ScaleEvent) Change() string {
	switch {
	case e.Splits > 0:
		return fmt.Sprintf("split, +%d", e.Splits)
	case e.Merges > 0:
		return fmt.Sprintf("merge, −%d", e.Merges)
	}
	return "created"
}

// ScalingHistory is a stream's scale events, oldest first.
type ScalingHistory struct {
	From, To time.Time
	Events   []ScaleEvent
}

// Segments is the segment count after the last event, false when the
// window holds none.
func (h ScalingHistory) Segments() (int, bool) {
	if len(h.Events) == 0 {
		return 0, false
	}
	return h.Events[len(h.Events)-1].Segments, true
}

// Scaling reads a stream's scale events between from and to.
func (c *Client) Scaling(ctx context.Context, scope, stream string, from, to time.Time) (ScalingHistory, error) {
	path := scopePath(scope, "streams", stream, "scaling-events")
	q := url.Values{"from": {strconv.FormatInt(from.UnixMilli(), 10)}, "to": {strconv.FormatInt(to.UnixMilli(), 10)}}
	h := ScalingHistory{From: from, To: to}
	body, err := c.get.Get(ctx, path, q)
	if err != nil {
		return h, err
	}
	var l scalingEventList
	if err := wire.Decode(path, body, &l); err != nil {
		return h, err
	}
	for _, ev := range l.ScalingEvents {
		h.Events = append(h.Events, ScaleEvent{At: time.UnixMilli(ev.Timestamp).UTC(), Segments: len(ev.SegmentList), Splits: ev.Splits, Merges: ev.Merges})
	}
	slices.SortStableFunc(h.Events, func(a, b ScaleEvent) int { return a.At.Compare(b.At) })
	return h, nil
}

// Inventory reads every scope with its streams (internal ones too when
// asked) and reader groups. It fails only when the scopes cannot be
// listed; a scope or reader group that fails carries its own error.
func (c *Client) Inventory(ctx context.Context, internal bool) (*Inventory, error) {
	names, err := c.Scopes(ctx)
	if err != nil {
		return nil, err
	}
	if !internal { // internal scopes (_system) hold internal streams only
		names = slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, InternalPrefix) })
	}
	inv := &Inventory{Scopes: make([]Scope, len(names))}
	for i, n := range names {
		inv.Scopes[i].Name = n
	}
	if h, err := c.Health(ctx); err != nil {
		inv.HealthErr = err
	} else {
		inv.Health = &h
	}
	fanout.Run(len(names), c.Parallel, func(i int) {
		sc := &inv.Scopes[i]
		sc.Streams, sc.StreamErr = c.Streams(ctx, sc.Name, internal)
	})
	groups := make([][]string, len(names))
	fanout.Run(len(names), c.Parallel, func(i int) {
		sc := &inv.Scopes[i]
		groups[i], sc.GroupErr = c.ReaderGroups(ctx, sc.Name)
		sc.Groups = make([]ReaderGroup, len(groups[i]))
	})
	type job struct{ scope, group int }
	var jobs []job
	for i, gs := range groups {
		for j := range gs {
			jobs = append(jobs, job{i, j})
		}
	}
	fanout.Run(len(jobs), c.Parallel, func(k int) {
		j := jobs[k]
		sc := &inv.Scopes[j.scope]
		rg, err := c.ReaderGroup(ctx, sc.Name, groups[j.scope][j.group])
		rg.Err = err
		sc.Groups[j.group] = rg
	})
	return inv, nil
}
