package audit

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendWritesOneSyncedLinePerRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for i, action := range []string{ActionPlan, ActionDryRun, ActionPatch} {
		if err := l.Append(Record{Time: at, User: "oncall", Context: "demo", Action: action, Step: i, Result: "ok",
			Before: map[string]string{"spec.replicas": "3"}, After: map[string]string{"spec.replicas": "5"}}); err != nil {
			t.Fatal(err)
		}
	}
	// A second reader sees every line without the log being closed: each
	// append is on disk when Append returns.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %q", len(lines), b)
	}
	if !strings.Contains(lines[2], `"action":"patch"`) || !strings.Contains(lines[2], `"before":{"spec.replicas":"3"}`) {
		t.Errorf("line 3: %s", lines[2])
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		name    string
		content string
		n       int
		want    []string
	}{
		{"empty", "", 5, nil},
		{"fewer than n", `{"action":"plan"}` + "\n" + `{"action":"patch"}` + "\n", 5, []string{"plan", "patch"}},
		{"last n", `{"action":"a"}` + "\n" + `{"action":"b"}` + "\n" + `{"action":"c"}` + "\n", 2, []string{"b", "c"}},
		{"torn last line is skipped", `{"action":"a"}` + "\n" + `{"action":"b`, 5, []string{"a"}},
		{"blank lines", "\n\n" + `{"action":"a"}` + "\n\n", 5, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := tail(strings.NewReader(tt.content), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.Action)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConcurrentAppendsDoNotInterleave(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = l.Append(Record{Action: ActionWait, Message: strings.Repeat("x", 5000)})
		}()
	}
	wg.Wait()
	recs, err := l.Tail(100)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 20 {
		t.Errorf("%d records, want 20", len(recs))
	}
}

func TestDefaultPathFollowsXDG(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/var/state-test")
	p, err := DefaultPath("audit.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if p != "/var/state-test/streamops/audit.jsonl" {
		t.Errorf("got %s", p)
	}
	t.Setenv("XDG_STATE_HOME", "relative/ignored")
	t.Setenv("HOME", "/home/oncall")
	if p, _ := DefaultPath("audit.jsonl"); p != "/home/oncall/.local/state/streamops/audit.jsonl" {
		t.Errorf("got %s", p)
	}
}

func TestAppendAfterCloseFails(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	if err := l.Append(Record{Action: ActionPlan}); err == nil {
		t.Error("append after close succeeded")
	}
}
