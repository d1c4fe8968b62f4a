// Package fakeapi serves the subset of the Pravega Controller and Flink
// JobManager REST APIs the console reads, from in-memory state, following
// the upstream documents exactly (field names, types, status codes). Tests
// and the demo platform share these servers; tests wrap them with
// restapitest.Check so that every response is validated against the upstream
// documents.
//
// The server types are written from the documents, not shared with the
// clients in restapi/pravega and restapi/flink, so a client mistake cannot
// hide behind a matching server mistake.
//
// Faults (malformed JSON, a 500, a slow answer, a missing field, a hang
// after half the body, a reset connection, an HTML page) can be
// injected per path; such responses carry restapitest.FaultHeader so the
// validator knows they break the contract on purpose.
package fakeapi

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultHeader mirrors restapitest.FaultHeader (this package must not import
// the validator, which only tests carry).
const FaultHeader = "X-Streamops-Fake-Fault"

// FaultKind is what a fault does to a response.
type FaultKind int

const (
	// Malformed cuts the JSON body in the middle.
	Malformed FaultKind = iota + 1
	// ServerError answers with Status (default 500) and a short text body.
	ServerError
	// Slow waits Delay (or until the client gives up) before answering.
	Slow
	// MissingField removes every member named Field from the body.
	MissingField
	// Hang sends the status line, the headers and half the body, then
	// nothing more until the client gives up.
	Hang
	// Reset drops the connection without an answer (TCP RST).
	Reset
	// Garbage answers 200 with a body that is not JSON (an HTML error page
	// from something in between).
	Garbage
)

// Fault breaks the responses of the paths it is injected for.
type Fault struct {
	Kind   FaultKind
	Status int           // ServerError
	Delay  time.Duration // Slow
	Field  string        // MissingField
}

// faults is the fault table both servers embed.
type faults struct {
	mu    sync.Mutex
	rules map[string]Fault // by path prefix
}

// Inject breaks every response whose path starts with prefix (e.g.
// "/v1/scopes/iot/streams" or "/jobs/"); an empty prefix breaks all.
func (f *faults) Inject(prefix string, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rules == nil {
		f.rules = map[string]Fault{}
	}
	f.rules[prefix] = fault
}

// ClearFaults removes every injected fault.
func (f *faults) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

func (f *faults) lookup(path string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	best, found, bestLen := Fault{}, false, -1
	for p, fault := range f.rules {
		if strings.HasPrefix(path, p) && len(p) > bestLen {
			best, found, bestLen = fault, true, len(p)
		}
	}
	return best, found
}

// respond writes status and v as JSON, applying an injected fault.
func (f *faults) respond(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fault, ok := f.lookup(r.URL.Path)
	if ok {
		switch fault.Kind {
		case Malformed:
			w.Header().Set(FaultHeader, "malformed")
			body = body[:len(body)/2]
		case ServerError:
			code := fault.Status
			if code == 0 {
				code = http.StatusInternalServerError
			}
			w.Header().Set(FaultHeader, "status")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(code)
			_, _ = w.Write([]byte("injected failure\n"))
			return
		case Slow:
			w.Header().Set(FaultHeader, "slow")
			select {
			case <-time.After(fault.Delay):
			case <-r.Context().Done():
				return
			}
		case Hang:
			w.Header().Set(FaultHeader, "hang")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(body[:len(body)/2])
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			<-r.Context().Done()
			return
		case Reset:
			reset(w)
			return
		case Garbage:
			w.Header().Set(FaultHeader, "garbage")
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1>\n<p>upstream went away</p></body></html>\n"))
			return
		case MissingField:
			w.Header().Set(FaultHeader, "missing-field")
			var tree any
			if json.Unmarshal(body, &tree) == nil {
				body, _ = json.Marshal(without(tree, fault.Field))
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// reset closes the request's connection with a TCP RST: no status line,
// no body.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// empty answers a status with no content (Pravega's 404s have none).
func (f *faults) empty(w http.ResponseWriter, status int) {
	w.WriteHeader(status)
}

func without(v any, field string) any {
	switch t := v.(type) {
	case map[string]any:
		delete(t, field)
		for k, c := range t {
			t[k] = without(c, field)
		}
	case []any:
		for i, c := range t {
			t[i] = without(c, field)
		}
	}
	return v
}

// Clock is where the servers read the time from (the demo's clock, a
// frozen one in tests).
type Clock func() time.Time

func (c Clock) now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return -1 // Flink's "not set"
	}
	return t.UnixMilli()
}
