package fakeapi

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Scaling types and retention types of Controller.yaml.
const (
	FixedSegments   = "FIXED_NUM_SEGMENTS"
	ByEventRate     = "BY_RATE_IN_EVENTS_PER_SEC"
	ByByteRate      = "BY_RATE_IN_KBYTES_PER_SEC"
	RetentionByDays = "LIMITED_DAYS"
	RetentionBySize = "LIMITED_SIZE_MB"
)

// ScalingConfig is Controller.yaml's ScalingConfig.
type ScalingConfig struct {
	Type        string `json:"type,omitempty"`
	TargetRate  int32  `json:"targetRate"`
	ScaleFactor int32  `json:"scaleFactor"`
	MinSegments int32  `json:"minSegments"`
}

// TimeBasedRetention is Controller.yaml's TimeBasedRetention.
type TimeBasedRetention struct {
	Days    int64 `json:"days"`
	Hours   int64 `json:"hours"`
	Minutes int64 `json:"minutes"`
}

// RetentionConfig is Controller.yaml's RetentionConfig.
type RetentionConfig struct {
	Type                  string              `json:"type,omitempty"`
	Value                 int64               `json:"value"`
	TimeBasedRetention    *TimeBasedRetention `json:"timeBasedRetention,omitempty"`
	MaxValue              int64               `json:"maxValue"`
	MaxTimeBasedRetention *TimeBasedRetention `json:"maxTimeBasedRetention,omitempty"`
}

// StreamConfig is what a stream is created with.
type StreamConfig struct {
	Scaling   ScalingConfig
	Retention *RetentionConfig // nil: no retention
	Tags      []string
	// Segments is the initial segment count (default: Scaling.MinSegments,
	// at least 1).
	Segments int
}

type streamProperty struct {
	ScopeName       string           `json:"scopeName"`
	StreamName      string           `json:"streamName"`
	ScalingPolicy   *ScalingConfig   `json:"scalingPolicy,omitempty"`
	RetentionPolicy *RetentionConfig `json:"retentionPolicy,omitempty"`
	Tags            []string         `json:"tags,omitempty"`
	// rolloverSizeBytes and timestampAggregationTimeout are left out: the
	// document types them "long", which no JSON value satisfies.
}

type scopeProperty struct {
	ScopeName string `json:"scopeName"`
}

type readerGroupName struct {
	ReaderGroupName string `json:"readerGroupName"`
}

type readerGroupProperty struct {
	ScopeName       string   `json:"scopeName"`
	ReaderGroupName string   `json:"readerGroupName"`
	StreamList      []string `json:"streamList"`
	OnlineReaderIDs []string `json:"onlineReaderIds"`
}

type segmentJSON struct {
	Number    int32 `json:"number"`
	StartTime int64 `json:"startTime"`
	// keyStart/keyEnd are left out: the document types them "integer"
	// while key ranges are fractions.
}

type scaleMetadata struct {
	Timestamp   int64         `json:"timestamp"`
	SegmentList []segmentJSON `json:"segmentList"`
	Splits      int64         `json:"splits"`
	Merges      int64         `json:"merges"`
}

type pScope struct {
	name    string
	streams []*pStream
	groups  []*pGroup
}

type pStream struct {
	name    string
	cfg     StreamConfig
	sealed  bool
	events  []scaleMetadata
	nextSeg int32
}

type pGroup struct {
	name    string
	streams []string
	online  []string
}

// Pravega serves the Controller REST API (base path /v1) from memory.
type Pravega struct {
	faults
	clock Clock

	mu     sync.Mutex
	scopes []*pScope
	auth   *Auth
	health map[string]ContributorHealth // contributor name → its health (none: all UP)
}

// ContributorHealth is one health contributor's status (HealthStatus:
// UP, STARTING, NEW, UNKNOWN, FAILED, DOWN) and details.
type ContributorHealth struct {
	Status  string
	Details map[string]string
}

// HealthContributors are the contributors the fake Controller reports
// under its root, as a Controller's health service registers them.
var HealthContributors = []string{"cluster-listener", "grpc-server", "retention-service", "watermarking-service"}

// SetHealth sets a contributor's health (an empty status: UP again). The
// root is UP when every contributor is, DOWN when one is DOWN or FAILED,
// else the first contributor's status that is not UP.
func (p *Pravega) SetHealth(contributor string, h ContributorHealth) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h.Status == "" || h.Status == "UP" {
		delete(p.health, contributor)
		return
	}
	if p.health == nil {
		p.health = map[string]ContributorHealth{}
	}
	p.health[contributor] = h
}

type healthResult struct {
	Name      string                  `json:"name"`
	Status    string                  `json:"status"`
	Readiness bool                    `json:"readiness"`
	Liveness  bool                    `json:"liveness"`
	Details   map[string]string       `json:"details"`
	Children  map[string]healthResult `json:"children,omitempty"`
}

func (p *Pravega) getHealth(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	root := healthResult{Name: "controller", Status: "UP", Readiness: true, Liveness: true, Details: map[string]string{}, Children: map[string]healthResult{}}
	for _, name := range HealthContributors {
		c := healthResult{Name: name, Status: "UP", Readiness: true, Liveness: true, Details: map[string]string{}}
		if h, ok := p.health[name]; ok {
			c.Status, c.Readiness = h.Status, false
			c.Liveness = h.Status != "DOWN" && h.Status != "FAILED"
			if h.Details != nil {
				c.Details = h.Details
			}
			switch {
			case !c.Liveness:
				root.Status, root.Readiness, root.Liveness = "DOWN", false, false
			case root.Status == "UP":
				root.Status, root.Readiness = h.Status, false
			}
		}
		root.Children[name] = c
	}
	p.mu.Unlock()
	p.respond(w, r, http.StatusOK, root)
}

// Auth makes the controller require credentials, as a Controller with
// authentication enabled does (PravegaCluster spec.authentication): basic
// authentication against a user list (PasswordAuthHandler) or a bearer
// token.
type Auth struct {
	Users  map[string]string // user name → password
	Tokens []string
	// Denied holds user names and tokens that authenticate but may read
	// nothing: they get 403, as a user without an ACL entry does.
	Denied []string
}

// RequireAuth turns authentication on (nil: off).
func (p *Pravega) RequireAuth(a *Auth) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.auth = a
}

// AuthHeader marks the 401 and 403 answers of authentication: the
// Controller's REST document lists neither (it says nothing about
// authentication), so they are faults to its validator, deliberately.
const AuthHeader = "auth"

// authenticate answers 401 without valid credentials and 403 for a denied
// principal; others go on to next.
func (p *Pravega) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		a := p.auth
		p.mu.Unlock()
		if a == nil {
			next.ServeHTTP(w, r)
			return
		}
		principal, ok := "", false
		if user, pass, basic := r.BasicAuth(); basic {
			want, known := a.Users[user]
			principal, ok = user, known && subtle.ConstantTimeCompare([]byte(pass), []byte(want)) == 1
		} else if tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); bearer {
			principal, ok = tok, slices.Contains(a.Tokens, tok)
		}
		w.Header().Set(FaultHeader, AuthHeader)
		switch {
		case !ok:
			w.Header().Set("WWW-Authenticate", `Basic realm="pravega-controller"`)
			w.WriteHeader(http.StatusUnauthorized)
		case slices.Contains(a.Denied, principal):
			w.WriteHeader(http.StatusForbidden)
		default:
			w.Header().Del(FaultHeader)
			next.ServeHTTP(w, r)
		}
	})
}

// NewPravega returns an empty controller reading the time from clock (nil:
// the real clock).
func NewPravega(clock Clock) *Pravega { return &Pravega{clock: clock} }

// CreateScope adds a scope (no-op if it exists).
func (p *Pravega) CreateScope(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.scope(name) == nil {
		p.scopes = append(p.scopes, &pScope{name: name})
	}
}

// DeleteScope removes a scope and everything in it.
func (p *Pravega) DeleteScope(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scopes = slices.DeleteFunc(p.scopes, func(s *pScope) bool { return s.name == name })
}

func (p *Pravega) scope(name string) *pScope {
	for _, s := range p.scopes {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (s *pScope) stream(name string) *pStream {
	for _, st := range s.streams {
		if st.name == name {
			return st
		}
	}
	return nil
}

// CreateStream adds a stream (creating its scope) with its first segments
// starting at at.
func (p *Pravega) CreateStream(scope, name string, cfg StreamConfig, at time.Time) {
	p.CreateScope(scope)
	p.mu.Lock()
	defer p.mu.Unlock()
	sc := p.scope(scope)
	if sc.stream(name) != nil {
		return
	}
	n := cfg.Segments
	if n <= 0 {
		n = max(int(cfg.Scaling.MinSegments), 1)
	}
	st := &pStream{name: name, cfg: cfg}
	st.scaleTo(n, at)
	sc.streams = append(sc.streams, st)
}

// Scale records a scaling event: the stream now has n segments.
func (p *Pravega) Scale(scope, name string, n int, at time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.stream(scope, name)
	if err != nil {
		return err
	}
	st.scaleTo(n, at)
	return nil
}

// Segments returns the stream's current segment count.
func (p *Pravega) Segments(scope, name string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.stream(scope, name)
	if err != nil {
		return 0, err
	}
	return len(st.events[len(st.events)-1].SegmentList), nil
}

// Seal marks a stream sealed (Controller.yaml offers no GET for the state;
// the flag only matters to fakes that act on it).
func (p *Pravega) Seal(scope, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.stream(scope, name)
	if err != nil {
		return err
	}
	st.sealed = true
	return nil
}

func (p *Pravega) stream(scope, name string) (*pStream, error) {
	sc := p.scope(scope)
	if sc == nil {
		return nil, fmt.Errorf("scope %s not found", scope)
	}
	st := sc.stream(name)
	if st == nil {
		return nil, fmt.Errorf("stream %s/%s not found", scope, name)
	}
	return st, nil
}

func (st *pStream) scaleTo(n int, at time.Time) {
	prev := 0
	if len(st.events) > 0 {
		prev = len(st.events[len(st.events)-1].SegmentList)
	}
	ev := scaleMetadata{Timestamp: at.UnixMilli()}
	if prev > 0 && n > prev {
		ev.Splits = int64(n - prev)
	} else if n < prev {
		ev.Merges = int64(prev - n)
	}
	// A split replaces one segment by several, a merge several by one:
	// the others keep their numbers, new ones get fresh numbers.
	if prev > 0 {
		keep := max(min(prev, n)-1, 0)
		ev.SegmentList = append(ev.SegmentList, st.events[len(st.events)-1].SegmentList[:keep]...)
	}
	for len(ev.SegmentList) < n {
		ev.SegmentList = append(ev.SegmentList, segmentJSON{Number: st.nextSeg, StartTime: at.UnixMilli()})
		st.nextSeg++
	}
	st.events = append(st.events, ev)
}

// CreateReaderGroup adds a reader group reading streams, with its online
// readers.
func (p *Pravega) CreateReaderGroup(scope, name string, streams, online []string) {
	p.CreateScope(scope)
	p.mu.Lock()
	defer p.mu.Unlock()
	sc := p.scope(scope)
	for _, g := range sc.groups {
		if g.name == name {
			g.streams, g.online = streams, online
			return
		}
	}
	sc.groups = append(sc.groups, &pGroup{name: name, streams: streams, online: online})
}

// SetOnlineReaders replaces a reader group's online readers.
func (p *Pravega) SetOnlineReaders(scope, name string, online []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sc := p.scope(scope); sc != nil {
		for _, g := range sc.groups {
			if g.name == name {
				g.online = online
			}
		}
	}
}

// Handler returns the HTTP handler of the API.
func (p *Pravega) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", p.getHealth)
	mux.HandleFunc("GET /v1/scopes", p.listScopes)
	mux.HandleFunc("GET /v1/scopes/{scope}", p.getScope)
	mux.HandleFunc("GET /v1/scopes/{scope}/streams", p.listStreams)
	mux.HandleFunc("GET /v1/scopes/{scope}/streams/{stream}", p.getStream)
	mux.HandleFunc("GET /v1/scopes/{scope}/streams/{stream}/scaling-events", p.scalingEvents)
	mux.HandleFunc("GET /v1/scopes/{scope}/readergroups", p.listGroups)
	mux.HandleFunc("GET /v1/scopes/{scope}/readergroups/{group}", p.getGroup)
	return p.authenticate(mux)
}

func (p *Pravega) listScopes(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	out := struct {
		Scopes []scopeProperty `json:"scopes"`
	}{Scopes: []scopeProperty{}}
	for _, s := range p.scopes {
		out.Scopes = append(out.Scopes, scopeProperty{ScopeName: s.name})
	}
	p.mu.Unlock()
	p.respond(w, r, http.StatusOK, out)
}

func (p *Pravega) getScope(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	sc := p.scope(r.PathValue("scope"))
	p.mu.Unlock()
	if sc == nil {
		p.empty(w, http.StatusNotFound)
		return
	}
	p.respond(w, r, http.StatusOK, scopeProperty{ScopeName: sc.name})
}

// internalPrefix marks Pravega's internal streams (reader group state,
// watermark marks, the _system scope's streams).
const internalPrefix = "_"

func (st *pStream) property(scope string) streamProperty {
	sc := st.cfg.Scaling
	return streamProperty{ScopeName: scope, StreamName: st.name, ScalingPolicy: &sc, RetentionPolicy: st.cfg.Retention, Tags: st.cfg.Tags}
}

// listStreams behaves as the controller does: without filter_type it lists
// user streams only; filter_type=showInternalStreams lists internal ones
// only; filter_type=tag&filter_value=T lists the streams tagged T.
func (p *Pravega) listStreams(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	sc := p.scope(r.PathValue("scope"))
	if sc == nil {
		p.mu.Unlock()
		p.empty(w, http.StatusNotFound)
		return
	}
	out := struct {
		Streams []streamProperty `json:"streams"`
	}{Streams: []streamProperty{}}
	for _, st := range sc.streams {
		internal := strings.HasPrefix(st.name, internalPrefix)
		switch q.Get("filter_type") {
		case "showInternalStreams":
			if !internal {
				continue
			}
		case "tag":
			if internal || !slices.Contains(st.cfg.Tags, q.Get("filter_value")) {
				continue
			}
		default:
			if internal {
				continue
			}
		}
		out.Streams = append(out.Streams, st.property(sc.name))
	}
	p.mu.Unlock()
	p.respond(w, r, http.StatusOK, out)
}

func (p *Pravega) getStream(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	st, err := p.stream(r.PathValue("scope"), r.PathValue("stream"))
	var prop streamProperty
	if err == nil {
		prop = st.property(r.PathValue("scope"))
	}
	p.mu.Unlock()
	if err != nil {
		p.empty(w, http.StatusNotFound)
		return
	}
	p.respond(w, r, http.StatusOK, prop)
}

// scalingEvents lists the scale records with from <= timestamp <= to.
func (p *Pravega) scalingEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(q.Get("to"), 10, 64)
	if err1 != nil || err2 != nil || from > to {
		// The document lists no 400; the controller answers 500 on bad input.
		p.empty(w, http.StatusInternalServerError)
		return
	}
	p.mu.Lock()
	st, err := p.stream(r.PathValue("scope"), r.PathValue("stream"))
	out := struct {
		ScalingEvents []scaleMetadata `json:"scalingEvents"`
	}{ScalingEvents: []scaleMetadata{}}
	if err == nil {
		for _, ev := range st.events {
			if ev.Timestamp >= from && ev.Timestamp <= to {
				out.ScalingEvents = append(out.ScalingEvents, ev)
			}
		}
	}
	p.mu.Unlock()
	if err != nil {
		p.empty(w, http.StatusNotFound)
		return
	}
	p.respond(w, r, http.StatusOK, out)
}

func (p *Pravega) listGroups(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	sc := p.scope(r.PathValue("scope"))
	if sc == nil {
		p.mu.Unlock()
		p.empty(w, http.StatusNotFound)
		return
	}
	out := struct {
		ReaderGroups []readerGroupName `json:"readerGroups"`
	}{ReaderGroups: []readerGroupName{}}
	for _, g := range sc.groups {
		out.ReaderGroups = append(out.ReaderGroups, readerGroupName{ReaderGroupName: g.name})
	}
	p.mu.Unlock()
	p.respond(w, r, http.StatusOK, out)
}

func (p *Pravega) getGroup(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var prop *readerGroupProperty
	if sc := p.scope(r.PathValue("scope")); sc != nil {
		for _, g := range sc.groups {
			if g.name == r.PathValue("group") {
				prop = &readerGroupProperty{ScopeName: sc.name, ReaderGroupName: g.name,
					StreamList: append([]string{}, g.streams...), OnlineReaderIDs: append([]string{}, g.online...)}
			}
		}
	}
	p.mu.Unlock()
	if prop == nil {
		p.empty(w, http.StatusNotFound)
		return
	}
	p.respond(w, r, http.StatusOK, prop)
}
