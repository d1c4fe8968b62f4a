package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/backend/status"
)

// runOut executes the command with args and returns stdout, stderr and its
// exit code as main would set it.
func runOut(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runIn(t, t.TempDir(), args...)
}

// runIn is runOut with the state directory (XDG_STATE_HOME) given.
func runIn(t *testing.T, state string, args ...string) (string, string, int) {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", state)
	root := newRoot()
	root.SetArgs(append(args, "--log-file", filepath.Join(t.TempDir(), "log")))
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	code := 0
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		code = 1
	}
	return out.String(), errOut.String(), code
}

// TestDemoStatus: the demo with its troubles is degraded (exit 1) with the
// findings the console flags; calm, it is healthy (exit 0).
func TestDemoStatus(t *testing.T) {
	out, _, code := runOut(t, "demo", "status", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (degraded)\n%s", code, out)
	}
	var st status.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("not the documented JSON: %v\n%s", err, out)
	}
	if st.Version != 1 || st.Verdict != status.Degraded || st.Context != "demo" || st.Summary.Components != 12 {
		t.Errorf("status %+v", st)
	}
	want := map[string]bool{
		"not-ready pod pravega/pravega-tier2-sync-6d5f8b7c9-q8v2m":                false,
		"restarts container pravega/pravega-tier2-sync-6d5f8b7c9-q8v2m/sync":      false,
		"unschedulable pod fraud-detection/fraud-scoring-backfill-29110560-d7w5n": false,
		"component Other iot-analytics/sensor-replay":                             false,
		"not-ready pod fraud-detection/fraud-rules-loader-7f6c9d8b5-m4k9t":        false,
	}
	for _, f := range st.Findings {
		if _, ok := want[f.Kind+" "+f.Object]; ok {
			want[f.Kind+" "+f.Object] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("finding %q missing", k)
		}
	}

	out, _, code = runOut(t, "demo", "status", "--calm")
	if code != 0 || !strings.HasPrefix(out, "● healthy · demo · all namespaces\n8 components · 18/18 members ready\n") {
		t.Errorf("calm demo: exit %d\n%s", code, out)
	}
	out, _, code = runOut(t, "demo", "status", "--calm", "-o", "yaml")
	if code != 0 || !strings.Contains(out, "verdict: healthy\n") || !strings.Contains(out, "findings: []\n") {
		t.Errorf("calm demo yaml: exit %d\n%s", code, out)
	}
	if _, _, code := runOut(t, "demo", "status", "-o", "xml"); code != 2 {
		t.Errorf("-o xml: exit %d, want 2", code)
	}
}

// TestCommandsWriteNoAuditLog: status and logs only read: they leave the
// state directory as they found it (no audit log created, so a read-only
// home does not stop them), and the audit log a console wrote is left
// untouched.
func TestCommandsWriteNoAuditLog(t *testing.T) {
	state := t.TempDir()
	for _, args := range [][]string{{"demo", "status", "--calm"}, {"demo", "logs", "zookeeper", "--tail", "1", "--calm"}} {
		if _, errOut, code := runIn(t, state, args...); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut)
		}
	}
	var files []string
	_ = filepath.WalkDir(state, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("the commands wrote %q", files)
	}
}

// TestDemoReport: the report reads the REST APIs itself.
func TestDemoReport(t *testing.T) {
	out, _, code := runOut(t, "demo", "report", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"# streamops triage — demo", "## Pravega Controllers", "| pravega/pravega | direct http://127.0.0.1:",
		"## Flink jobs", "| fraud-detection/fraud-scoring | fraud-scoring | RUNNING |", "| iot-analytics/sensor-aggregation | sensor-aggregation | RUNNING |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	out, _, code = runOut(t, "demo", "report")
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), ".md") || !strings.Contains(out, "triage-demo-") {
		t.Errorf("report path: exit %d %q", code, out)
	}
}

// TestDemoLogs: --tail N lines of every member, merged, prefixed by
// namespace, pod and container; it ends by itself when not following.
func TestDemoLogs(t *testing.T) {
	out, _, code := runOut(t, "demo", "logs", "zookeeper", "--tail", "2", "--calm")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	pods := map[string]int{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 4 || f[0] != "pravega" || !strings.HasPrefix(f[1], "zookeeper-") {
			t.Fatalf("line %q", l)
		}
		pods[f[1]]++
	}
	if len(lines) != 6 || pods["zookeeper-0"] != 2 || pods["zookeeper-1"] != 2 || pods["zookeeper-2"] != 2 {
		t.Errorf("got %d lines from %v, want 2 from each of 3 pods:\n%s", len(lines), pods, out)
	}
	if _, _, code := runOut(t, "demo", "logs", "nosuch", "--calm"); code != 1 {
		t.Errorf("unknown component: exit %d", code)
	}
}

// TestStatusUnreachable: a server that cannot be reached is "cannot tell":
// exit 2, one line, nothing on stdout.
func TestStatusUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://`+addr+`"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600)
	root := newRoot()
	root.SetArgs([]string{"status", "--kubeconfig", kc, "--log-file", filepath.Join(t.TempDir(), "log")})
	var out bytes.Buffer
	root.SetOut(&out)
	err = root.ExecuteContext(context.Background())
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "cannot reach https://"+addr) || strings.Contains(err.Error(), "\n") || out.Len() > 0 {
		t.Errorf("err %v, stdout %q: want exit 2 with one line", err, out.String())
	}
}

func asExit(err error, ee **exitError) bool { return errors.As(err, ee) }
