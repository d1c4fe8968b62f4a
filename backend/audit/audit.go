// Package audit is the scale wizard's audit log: one JSON object per line,
// appended and synced to disk before the action it records is followed by
// the next one, so that the log holds every action even if the console is
// killed half way through a plan.
package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/streamops/streamops/backend/config"
)

// Actions recorded by the scale engine.
const (
	ActionPlan      = "plan"
	ActionPreflight = "preflight"
	ActionDryRun    = "dry-run"
	ActionConfirm   = "confirm"
	ActionPatch     = "patch"
	ActionWait      = "wait"
	ActionPostCheck = "post-check"
	ActionStop      = "stop"
	ActionCancel    = "cancel"
	ActionRefused   = "refused"
	// ActionOverride is a typed override of a refusal (Record.Override is
	// set), accepted or refused.
	ActionOverride = "override"
	ActionFinished = "finished"
)

// Record is one line of the audit log.
type Record struct {
	Time      time.Time `json:"time"`
	User      string    `json:"user"`
	Context   string    `json:"context"`
	Namespace string    `json:"namespace,omitempty"`
	Plan      string    `json:"plan,omitempty"`
	Action    string    `json:"action"`
	Step      int       `json:"step,omitempty"`
	// Target is the object acted on, "Kind namespace/name".
	Target  string `json:"target,omitempty"`
	Result  string `json:"result"`
	Message string `json:"message,omitempty"`
	// Patch is the exact body sent, Before and After the fields it changed
	// as the server held them before and returned them after.
	Patch  json.RawMessage   `json:"patch,omitempty"`
	Before map[string]string `json:"before,omitempty"`
	After  map[string]string `json:"after,omitempty"`
	// Evidence holds the lines that support Result (preflight evidence,
	// post-check findings).
	Evidence []string `json:"evidence,omitempty"`
	// Override marks a record of an override: a refusal lifted by typing
	// its phrase, and the apply of a plan that carries one.
	Override bool `json:"override,omitempty"`
}

// Log appends records to a file. It is safe for concurrent use.
type Log struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// DefaultPath is <name> in the state directory (config.StateDir).
func DefaultPath(name string) (string, error) {
	return filepath.Join(config.StateDir(), name), nil
}

// Open opens (creating if needed) the log at path, with its directory
// readable by the user only.
func Open(path string) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return &Log{path: path, f: f}, nil
}

// Path is where the log is written.
func (l *Log) Path() string { return l.path }

// Append writes one record and syncs it to disk before returning. A record
// that cannot be written is an error the caller must not act past.
func (l *Log) Append(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit %s: %w", r.Action, err)
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("audit log is closed")
	}
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("write audit log %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("sync audit log %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Tail returns the last n records, oldest first. Lines that are not valid
// records (a torn write from a crash) are skipped.
func (l *Log) Tail(n int) ([]Record, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer f.Close()
	return tail(f, n)
}

func tail(r io.Reader, n int) ([]Record, error) {
	ring := make([][]byte, 0, n)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || n <= 0 {
			continue
		}
		if len(ring) == n {
			ring = ring[1:]
		}
		ring = append(ring, append([]byte(nil), line...))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out := make([]Record, 0, len(ring))
	for _, line := range ring {
		var rec Record
		if json.Unmarshal(line, &rec) == nil {
			out = append(out, rec)
		}
	}
	return out, nil
}
