package main

import (
	"os"
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
	env := []string{floorChild + "=1", "TERM=xterm-256color", "HOME=" + t.TempDir()}
	s := framedSession(t, os.Args[0], nil, env, func(screen string) bool { return ft.complete(screen, 0) })
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
