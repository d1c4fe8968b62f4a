package flink

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/streamops/streamops/backend/restapi/wire"
)

// The Pravega connector's source registers its reader group's figures as
// gauges of the source operator, under "PravegaReader.readerGroup": on the
// REST API, per subtask, "<subtask>.<operator>.PravegaReader.readerGroup.
// unreadBytes" (and readerGroupName, scope, onlineReaders, streams). The
// figures are the reader group's, the same from every subtask.
const (
	readerGroupGroup = ".PravegaReader.readerGroup."
	unreadBytesName  = "unreadBytes"
)

// ReaderGroup is what a source vertex reports of the Pravega reader group
// it reads through: the consumer lag of the platform.
type ReaderGroup struct {
	Scope, Name string
	Unread      int64 // bytes between the readers' positions and the end of the streams
	// Trend is the readings of Unread the REST monitor kept, oldest first
	// (it fills it, as it does Restarts.Recent).
	Trend []Sample
}

// Sample is one reading of a figure.
type Sample struct {
	At    time.Time
	Value int64
}

// Key is "scope/name", how the Controller names the group.
func (g *ReaderGroup) Key() string { return g.Scope + "/" + g.Name }

// IsSource reports whether a vertex is a source chain (Flink names them
// "Source: …"), the only vertices a reader group is looked for on.
func (v *Vertex) IsSource() bool { return strings.HasPrefix(v.Name, "Source") }

// ReaderGroupIDs remembers, per job vertex, under which metric name its
// reader group's figures are found, so a refresh asks for their values
// only. A vertex without them is listed again after relistAfter reads
// (the connector registers them when its readers open). Safe for
// concurrent use; the zero value is ready.
type ReaderGroupIDs struct {
	mu   sync.Mutex
	seen map[string]rgEntry // job id/vertex id → entry
}

type rgEntry struct {
	prefix string // "<subtask>.<operator>.PravegaReader.readerGroup."; "" none
	misses int    // reads since it was listed without them
	used   bool   // asked for in the read under way
}

const relistAfter = 12

func (c *ReaderGroupIDs) lookup(key string) (prefix string, list bool) {
	if c == nil {
		return "", true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.seen[key]
	if !ok {
		return "", true
	}
	e.used = true
	if e.prefix == "" {
		e.misses++
		list = e.misses >= relistAfter
	}
	c.seen[key] = e
	return e.prefix, list
}

func (c *ReaderGroupIDs) store(key, prefix string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]rgEntry{}
	}
	c.seen[key] = rgEntry{prefix: prefix, used: true}
}

// prune forgets the vertices not asked for since the last prune (jobs
// that ended or are no longer read).
func (c *ReaderGroupIDs) prune() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.seen {
		if !e.used {
			delete(c.seen, k)
			continue
		}
		e.used = false
		c.seen[k] = e
	}
}

// metric is one entry of a MetricCollectionResponseBody.
type metric struct {
	ID    *string `json:"id"`
	Value string  `json:"value"`
}

// decodeMetrics decodes a metric collection in the documented form
// {"metrics":[…]} or the bare array Flink sends.
func decodeMetrics(path string, body []byte) ([]metric, error) {
	var list []metric
	var err error
	if strings.HasPrefix(strings.TrimSpace(string(body)), "[") {
		err = json.Unmarshal(body, &list)
	} else {
		var wrapped struct {
			Metrics *[]metric `json:"metrics"`
		}
		if err = json.Unmarshal(body, &wrapped); err == nil && wrapped.Metrics != nil {
			list = *wrapped.Metrics
		}
	}
	if err != nil {
		return nil, &wire.DecodeError{Path: path, Err: wire.ExplainJSON(err)}
	}
	for _, m := range list {
		if m.ID == nil {
			return nil, wire.Missing(path, "id", "a metric")
		}
	}
	return list, nil
}

// ReaderGroupPrefix finds, in a vertex's metric list, the name under which
// its lowest subtask reports its reader group ("" when it reports none).
func ReaderGroupPrefix(path string, body []byte) (string, error) {
	list, err := decodeMetrics(path, body)
	if err != nil {
		return "", err
	}
	best, bestSubtask := "", int64(-1)
	for _, m := range list {
		id := *m.ID
		if !strings.HasSuffix(id, readerGroupGroup+unreadBytesName) {
			continue
		}
		dot := strings.IndexByte(id, '.')
		n, ok := parseInt([]byte(id[:max(dot, 0)]))
		if !ok || n < 0 {
			continue
		}
		if bestSubtask < 0 || n < bestSubtask {
			best, bestSubtask = strings.TrimSuffix(id, unreadBytesName), n
		}
	}
	return best, nil
}

// DecodeReaderGroup decodes the values of the reader group metrics named
// under prefix; nil when the vertex does not report unreadBytes (any more).
func DecodeReaderGroup(path string, body []byte, prefix string) (*ReaderGroup, error) {
	list, err := decodeMetrics(path, body)
	if err != nil {
		return nil, err
	}
	g := &ReaderGroup{}
	found := false
	for _, m := range list {
		switch strings.TrimPrefix(*m.ID, prefix) {
		case "readerGroupName":
			g.Name = m.Value
		case "scope":
			g.Scope = m.Value
		case unreadBytesName:
			n, ok := parseInt([]byte(m.Value))
			if !ok || n < 0 {
				return nil, &wire.DecodeError{Path: path, Err: fmt.Errorf("metric %s has value %q, not a byte count", *m.ID, m.Value)}
			}
			g.Unread, found = n, true
		}
	}
	if !found {
		return nil, nil
	}
	return g, nil
}

// ReaderGroup reads the reader group figures a source vertex reports:
// nil when it reports none (not a Pravega source, or its readers have not
// opened yet).
func (c *Client) ReaderGroup(ctx context.Context, jobID, vertexID string) (*ReaderGroup, error) {
	key := jobID + "/" + vertexID
	path := jobPath(jobID, "vertices", vertexID, "metrics")
	prefix, list := c.ReaderGroups.lookup(key)
	if list {
		body, err := c.get.Get(ctx, path, nil)
		if err != nil {
			return nil, err
		}
		if prefix, err = ReaderGroupPrefix(path, body); err != nil {
			return nil, err
		}
		c.ReaderGroups.store(key, prefix)
	}
	if prefix == "" {
		return nil, nil
	}
	get := strings.Join([]string{prefix + "readerGroupName", prefix + "scope", prefix + unreadBytesName}, ",")
	body, err := c.get.Get(ctx, path, url.Values{"get": {get}})
	if err != nil {
		return nil, err
	}
	g, err := DecodeReaderGroup(path, body, prefix)
	if err == nil && g == nil {
		c.ReaderGroups.store(key, "") // gone: list again later
	}
	return g, err
}
