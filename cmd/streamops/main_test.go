package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run executes the command with args and returns its error.
func run(t *testing.T, args ...string) error {
	t.Helper()
	root := newRoot()
	root.SetArgs(append(args, "--log-file", filepath.Join(t.TempDir(), "log")))
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return root.ExecuteContext(ctx)
}

// TestBadConnectionsFailBeforeTheConsole: every broken way in gives one
// clear line, and never takes over the terminal.
func TestBadConnectionsFailBeforeTheConsole(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("garbage: ["), 0o600)
	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	silent := filepath.Join(dir, "silent")
	os.WriteFile(silent, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://admin:hunter2@`+ln.Addr().String()+`", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\n"), 0o600)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"broken kubeconfig", []string{"--kubeconfig", bad}, "kubeconfig: error loading config file"},
		{"missing kubeconfig", []string{"--kubeconfig", filepath.Join(dir, "nope")}, "no such file"},
		{"no current context", []string{"--kubeconfig", empty}, "no current context"},
		{"unknown context", []string{"--kubeconfig", silent, "--context", "prod"}, `context "prod" does not exist`},
		{"connection refused", []string{"--kubeconfig", silent, "--server", "https://" + closedAddr, "--insecure-skip-tls-verify"}, "connection refused"},
		{"server never answers", []string{"--kubeconfig", silent, "--request-timeout", "300ms"}, "cannot reach https://" + ln.Addr().String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t, tt.args...)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "hunter2") {
				t.Errorf("error is not one clean line: %q", msg)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil || !strings.HasPrefix(out.String(), "streamops ") {
		t.Errorf("version: %v %q", err, out.String())
	}
}

func TestUnknownThemeIsRejected(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	if err := run(t, "demo", "--theme", "purple"); err == nil || !strings.Contains(err.Error(), `unknown theme "purple"`) {
		t.Errorf("got %v", err)
	}
}

func TestBadConfigIsNamed(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	os.WriteFile(p, []byte("keys: {global.help: [q]}\n"), 0o600)
	err := run(t, "demo", "--config", p)
	if err == nil || !strings.Contains(err.Error(), `keys: "q" is bound to both`) || !strings.Contains(err.Error(), p) {
		t.Errorf("got %v", err)
	}
	if err := run(t, "demo", "--config", filepath.Join(dir, "none.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a named config that does not exist: %v", err)
	}
}
