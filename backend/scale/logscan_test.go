package scale

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/logs"
)

type cannedSource map[string]string

func (c cannedSource) Open(_ context.Context, t logs.Target, _ logs.StreamOptions) (io.ReadCloser, error) {
	body, ok := c[t.Pod]
	if !ok {
		return nil, errors.New("pods \"" + t.Pod + "\" not found")
	}
	return io.NopCloser(strings.NewReader(body)), nil
}

func TestSourceScannerCountsEventsNotLines(t *testing.T) {
	since := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	src := cannedSource{
		"bk-0": "2026-11-24T08:59:59Z 2026-11-24 08:59:59 ERROR before the step\n" +
			"2026-11-24T09:00:01Z 2026-11-24 09:00:01 INFO bookie started\n" +
			"2026-11-24T09:00:02Z 2026-11-24 09:00:02 ERROR Journal - write failed\n" +
			"2026-11-24T09:00:02Z java.io.IOException: No space left on device\n" +
			"2026-11-24T09:00:02Z \tat org.apache.bookkeeper.bookie.Journal.run(Journal.java:1100)\n" +
			"2026-11-24T09:00:02Z \tat java.lang.Thread.run(Thread.java:829)\n" +
			"2026-11-24T09:00:03Z {\"level\":\"error\",\"msg\":\"\\u001b[31mhostile\\u001b[0m\"}\n" +
			"2026-11-24T09:00:04Z \x1b]0;owned\x07WARN slow\n",
		"bk-1": "2026-11-24T09:00:01Z 2026-11-24 09:00:01 INFO fine\n",
	}
	got, err := SourceScanner{Source: src}.Scan(context.Background(),
		[]LogTarget{{"pravega", "bk-0", "bookie"}, {"pravega", "bk-1", "bookie"}, {"pravega", "gone", "bookie"}}, since)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Errors != 2 {
		t.Errorf("bk-0: %d errors %q, want 2 (the stack trace is one event; the line before the step does not count)", got[0].Errors, got[0].Samples)
	}
	for _, s := range got[0].Samples {
		if strings.ContainsRune(s, 0x1b) || strings.ContainsAny(s, "␊\n\r") {
			t.Errorf("unsanitised sample %q (the line end showed as ␊)", s)
		}
	}
	if got[1].Errors != 0 || got[1].Err != "" {
		t.Errorf("bk-1: %+v", got[1])
	}
	if !strings.Contains(got[2].Err, "not found") {
		t.Errorf("gone: %+v", got[2])
	}
}

type panickySource struct {
	cannedSource
	pod string
}

func (p panickySource) Open(ctx context.Context, t logs.Target, o logs.StreamOptions) (io.ReadCloser, error) {
	if t.Pod == p.pod {
		panic("injected opening " + t.Pod)
	}
	return p.cannedSource.Open(ctx, t, o)
}

// TestPanicInAScanIsItsFinding: each container is scanned in a goroutine
// of its own; a panic there is that container's finding.
func TestPanicInAScanIsItsFinding(t *testing.T) {
	src := panickySource{cannedSource{"bk-1": "2026-11-24T09:00:01Z 2026-11-24 09:00:01 ERROR bad\n"}, "bk-0"}
	got, err := SourceScanner{Source: src}.Scan(context.Background(),
		[]LogTarget{{"pravega", "bk-0", "bookie"}, {"pravega", "bk-1", "bookie"}}, time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Err != "internal error: injected opening bk-0" || got[0].Target.Pod != "bk-0" {
		t.Errorf("bk-0: %+v", got[0])
	}
	if got[1].Errors != 1 || got[1].Err != "" {
		t.Errorf("bk-1: %+v", got[1])
	}
}
