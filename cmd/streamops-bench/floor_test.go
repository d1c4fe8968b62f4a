package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// floorChild makes the test binary the floor program, as the harness's
// own executable is when run -floor starts it.
const floorChild = "STREAMOPS_BENCH_FLOOR_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(floorChild) == "1" {
		if err := floorCmd(nil); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The floor program shows its banner on a terminal and then writes
// nothing while idle: what it costs idle is bubbletea's renderer alone.
func TestFloorIsCompleteThenSilent(t *testing.T) {
	ft, err := floorTool()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	env := []string{floorChild + "=1", "TERM=xterm-256color", "HOME=" + t.TempDir()}
	s, err := startSession(os.Args[0], nil, env, 80, 24, stderr,
		func(screen string) bool { return ft.complete(screen, 0) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop(time.Second)
	if err := s.waitFrame(10 * time.Second); err != nil {
		b, _ := os.ReadFile(stderr.Name())
		t.Fatalf("%v; screen:\n%s\nstderr: %s", err, s.Screen(), b)
	}
	if first := strings.Split(s.Screen(), "\n")[0]; !strings.HasPrefix(first, floorBanner+" · 20 fps · idle") {
		t.Errorf("first line %q", first)
	}
	time.Sleep(500 * time.Millisecond) // the answers to bubbletea's start-up queries
	before := s.bytes.Load()
	time.Sleep(time.Second)
	if after := s.bytes.Load(); after != before {
		t.Errorf("the idle floor program wrote %d bytes in a second", after-before)
	}
}
