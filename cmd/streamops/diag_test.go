package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestPprofOnlyOnLoopback: the profiles hold cluster data, so the
// profiler refuses any address that is not loopback, and serves on one
// that is.
func TestPprofOnlyOnLoopback(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "10.1.2.3:6060", "example.com:6060", "6060"} {
		if err := servePprof(ctx, addr, log); err == nil || !strings.Contains(err.Error(), "--pprof") {
			t.Errorf("%q: got %v, want a refusal naming --pprof", addr, err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if err := servePprof(ctx, addr, log); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), "HeapInuse") {
		t.Fatalf("heap profile: %s %.200s", res.Status, b)
	}
}

// TestDemoSpeedIsBounded: the simulation has a fastest speed.
func TestDemoSpeedIsBounded(t *testing.T) {
	for _, s := range []string{"0", "-1", "101", "NaN"} {
		if err := run(t, "demo", "--speed", s); err == nil || !strings.Contains(err.Error(), "--speed") {
			t.Errorf("--speed %s: got %v, want a refusal", s, err)
		}
	}
}
