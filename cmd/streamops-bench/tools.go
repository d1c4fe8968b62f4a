package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/testcluster"
)

// k9sVersion is the peer the issue compares with.
const k9sVersion = "v0.50.16"

// tool is a console the harness measures: how to start it on the bench
// namespace and how to tell its first complete frame.
type tool struct {
	name     string
	bin      string
	args     func(kubeconfig string) []string
	complete func(screen string, pods int) bool
	// setup prepares the tool's home directory (configuration) once.
	setup func(home string) error
}

func streamopsTool(bin string, l layout) tool {
	return tool{
		name: "streamops", bin: bin,
		args: func(kubeconfig string) []string {
			return append([]string{"--kubeconfig", kubeconfig, "--readonly"}, l.toolArgs()...)
		},
		complete: streamopsComplete,
	}
}

func k9sTool(bin string, l layout) tool {
	return tool{
		name: "k9s", bin: bin,
		args: func(kubeconfig string) []string {
			return append([]string{"--kubeconfig", kubeconfig, "--readonly", "--splashless", "-c", "pods"}, l.toolArgs()...)
		},
		complete: func(screen string, pods int) bool { return k9sComplete(screen, l.scope(), pods) },
		setup:    k9sConfig,
	}
}

var membersRE = regexp.MustCompile(`(\d+) components · (\d+)/(\d+) members ready`)

// streamopsComplete says whether a streamops screen is its first complete
// frame for pods pods: the members summary counts every pod as a Ready
// member, and nothing is still connecting or syncing.
func streamopsComplete(screen string, pods int) bool {
	m := membersRE.FindStringSubmatch(screen)
	if m == nil {
		return false
	}
	ready, _ := strconv.Atoi(m[2])
	members, _ := strconv.Atoi(m[3])
	if ready != pods || members != pods {
		return false
	}
	return !strings.Contains(screen, "connecting…") && !strings.Contains(screen, "syncing")
}

var k9sTitleRE = regexp.MustCompile(`(?i)\bpods\(([^)]*)\)\[([\d,]+)\]`)

// k9sComplete says whether a k9s screen is its first complete frame for
// pods pods: the pod table's title counts them all in scope (the bench
// namespace, or "all" with -A), and every row of the table's box that has room for a pod
// shows a Running one (k9s draws the box first and the rows after, and a
// read from the pty can end half way through).
func k9sComplete(screen, scope string, pods int) bool {
	lines := strings.Split(screen, "\n")
	title := -1
	for i, line := range lines {
		m := k9sTitleRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if n, _ := strconv.Atoi(strings.ReplaceAll(m[2], ",", "")); m[1] != scope || n != pods { // k9s writes 1,000
			return false
		}
		title = i
		break
	}
	if title < 0 || title+2 >= len(lines) {
		return false
	}
	body := lines[title+2:] // below the column headers
	for i, line := range body {
		if strings.HasPrefix(line, "└") {
			body = body[:i]
			break
		}
	}
	if len(body) == 0 {
		return false
	}
	for _, line := range body[:min(len(body), pods)] {
		if !strings.Contains(line, " Running ") {
			return false
		}
	}
	return true
}

// k9sConfig writes a k9s configuration that skips its check for a newer
// release: the machine has no route to the internet, and a user's
// machine answers that check in the background anyway. Everything else
// is k9s's default (refresh every 2 s).
func k9sConfig(home string) error {
	dir := filepath.Join(home, ".config", "k9s")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("k9s configuration: %w", err)
	}
	cfg := "k9s:\n  skipLatestRevCheck: true\n  ui:\n    splashless: true\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("k9s configuration: %w", err)
	}
	return nil
}

// releaseFlags are the build flags of a release, the README's build
// command, and every tool the harness builds is built with them: a static
// binary (no cgo, so no C library is mapped) without the symbol table and
// DWARF, which is what k9s and stern publish too. Measured at 10,000 pods:
// 3 MiB less resident than a plain go build (fewer mapped file pages).
var releaseFlags = []string{"-trimpath", "-ldflags=-s -w"}

// releaseEnv is the environment of a release build.
func releaseEnv(extra ...string) []string {
	return append(append(os.Environ(), "CGO_ENABLED=0"), extra...)
}

// buildStreamops builds ./cmd/streamops into dir as a release is built.
func buildStreamops(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "streamops")
	cmd := exec.CommandContext(ctx, "go", append(append([]string{"build"}, releaseFlags...), "-o", out, "./cmd/streamops")...)
	cmd.Env = releaseEnv()
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/streamops (run from the repository): %w", err)
	}
	return out, nil
}

// k9sBinary is k9s at k9sVersion, installed from the module proxy into
// ~/.local/streamops-bench/bin/k9s-VERSION once and reused after.
func k9sBinary(ctx context.Context) (string, error) {
	return installTool(ctx, "k9s", "github.com/derailed/k9s", k9sVersion)
}

// installTool is a peer's binary (name, from module at version) built
// from the module proxy with releaseFlags into
// ~/.local/streamops-bench/bin/NAME-VERSION-release once and reused after.
func installTool(ctx context.Context, name, module, version string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	dir := filepath.Join(home, ".local", "streamops-bench", "bin")
	exe := filepath.Join(dir, name+"-"+version+"-release")
	if _, err := os.Stat(exe); err == nil {
		return exe, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	// go install writes $GOBIN/NAME; build in a scratch GOBIN and move it,
	// so a half-built binary never carries the versioned name.
	tmp, err := os.MkdirTemp(dir, "install")
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	logf("installing %s %s from the module proxy (once; takes minutes)", name, version)
	cmd := exec.CommandContext(ctx, "go", append(append([]string{"install"}, releaseFlags...), module+"@"+version)...)
	cmd.Dir = tmp // outside this module, so its go.mod plays no part
	cmd.Env = releaseEnv("GOBIN="+tmp, "GOFLAGS=-mod=mod", "GOWORK=off")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w", module, version, err)
	}
	if err := os.Rename(filepath.Join(tmp, name), exe); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return exe, nil
}

// toolResult is one measurement of one tool.
type toolResult struct {
	Tool         string
	Pods, Run    int
	Namespaces   int            `json:",omitempty"` // the pods were spread over (0 or 1: one, "bench")
	FirstFrame   time.Duration  // process start → first complete frame read from the pty
	RSS          uint64         // VmRSS settle after the frame
	RSSAnon      uint64         // of which anonymous
	IdleCPU      float64        // utime+stime over the idle window, % of one core
	IdleBytes    int64          // written to the terminal in the idle window
	IdleRequests int            // API requests in the idle window (the cluster's own excepted)
	IdleByKind   map[string]int // of which, by verb and resource
	BusyStart    float64        // machine busy (all processes) from start to frame, % of all cores
	BusyIdle     float64        // machine busy in the idle window
}

type measureEnv struct {
	kubeconfig  string
	typed       kubernetes.Interface // for /metrics
	cols, rows  int
	settle      time.Duration
	idle        time.Duration
	frameLimit  time.Duration
	homes       map[string]string // tool name → HOME for its runs
	stderrDir   string
	trace       bool
	screensDir  string // write every distinct screen until the frame here (empty: no)
	measureIdle bool   // false: stop at the first frame (warm-up)
	namespaces  int    // the pods are spread over
}

// measureTool starts t as a fresh process on a pty and measures it.
func measureTool(ctx context.Context, t tool, e measureEnv, pods, run int) (toolResult, error) {
	r := toolResult{Tool: t.name, Pods: pods, Run: run, Namespaces: e.namespaces}
	home := e.homes[t.name]
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "COLORTERM=truecolor",
		"KUBECONFIG=" + e.kubeconfig, "LANG=C.UTF-8",
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}
	stderr, err := os.Create(filepath.Join(e.stderrDir, fmt.Sprintf("%s-%d-%d.stderr", t.name, pods, run)))
	if err != nil {
		return r, fmt.Errorf("%s stderr file: %w", t.name, err)
	}
	defer stderr.Close()
	var onScreen func(time.Duration, string)
	shot := 0
	if e.trace || e.screensDir != "" {
		onScreen = func(at time.Duration, screen string) {
			shot++
			if e.trace {
				fmt.Fprintf(os.Stderr, "  %s %7.1f ms  screen %d: %s\n", t.name, float64(at.Microseconds())/1000, shot, screenGist(screen))
			}
			if e.screensDir != "" {
				name := filepath.Join(e.screensDir, fmt.Sprintf("%s-%d-%d-%03d-%06dms.txt", t.name, pods, run, shot, at.Milliseconds()))
				_ = os.WriteFile(name, []byte(screen), 0o644)
			}
		}
	}
	machine0 := testcluster.MachineTicks()
	s, err := startSession(t.bin, t.args(e.kubeconfig), env, e.cols, e.rows, stderr,
		func(screen string) bool { return t.complete(screen, pods) }, onScreen)
	if err != nil {
		return r, err
	}
	defer s.stop(5 * time.Second)
	if err := s.waitFrame(e.frameLimit); err != nil {
		return r, fmt.Errorf("%s at %d pods: %w; screen:\n%s\n(stderr in %s)", t.name, pods, err, s.Screen(), stderr.Name())
	}
	r.FirstFrame, r.BusyStart = s.firstFrame(), machine0.BusySince()
	if !e.measureIdle {
		return r, nil
	}
	pid := s.cmd.Process.Pid
	if err := wait(ctx, e.settle); err != nil {
		return r, err
	}
	if r.RSS, r.RSSAnon, _, err = procRSS(pid); err != nil {
		return r, fmt.Errorf("%s: %w", t.name, err)
	}
	before, err := scrapeRequests(ctx, e.typed)
	if err != nil {
		return r, err
	}
	cpu0, err := procCPU(pid)
	if err != nil {
		return r, fmt.Errorf("%s: %w", t.name, err)
	}
	bytes0, t0, machine1 := s.bytes.Load(), time.Now(), testcluster.MachineTicks()
	if err := wait(ctx, e.idle); err != nil {
		return r, err
	}
	cpu1, err := procCPU(pid)
	if err != nil {
		return r, fmt.Errorf("%s: %w", t.name, err)
	}
	r.IdleCPU = 100 * float64(cpu1-cpu0) / float64(time.Since(t0))
	r.IdleBytes = s.bytes.Load() - bytes0
	r.BusyIdle = machine1.BusySince()
	after, err := scrapeRequests(ctx, e.typed)
	if err != nil {
		return r, err
	}
	r.IdleRequests, r.IdleByKind = after.requestsSince(before)
	return r, nil
}

// screenGist is a screen in one line for -trace: the streamops members
// summary or the k9s pod title when there is one, the words that say it
// is not done, and how many lines have text.
func screenGist(screen string) string {
	var parts []string
	if m := membersRE.FindString(screen); m != "" {
		parts = append(parts, m)
	}
	if m := k9sTitleRE.FindString(screen); m != "" {
		parts = append(parts, m)
	}
	for _, w := range []string{"connecting…", "syncing", "Loading", "loading"} {
		if strings.Contains(screen, w) {
			parts = append(parts, strconv.Quote(w))
		}
	}
	lines := 0
	for line := range strings.SplitSeq(screen, "\n") {
		if strings.TrimSpace(line) != "" {
			lines++
		}
	}
	parts = append(parts, fmt.Sprintf("%d lines", lines))
	return strings.Join(parts, ", ")
}
