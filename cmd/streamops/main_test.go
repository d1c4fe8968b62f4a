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

// TestCredentialSources: the flags come first, then the configuration
// file's entries (a Secret, a password file, a token); a bad flag or a
// missing file is one line.
func TestCredentialSources(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("pw-from-file-81c2\n"), 0o600)
	cfgFile := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgFile, []byte(`
pravega:
  credentials:
  - {namespace: pravega, secret: streamops-rest}
  - {namespace: billing, cluster: pravega, username: ops, passwordFile: `+pwFile+`}
  - {namespace: metrics, token: tok-c0ffee-1234}
`), 0o600)
	var got []string
	root := newRoot()
	if err := root.ParseFlags([]string{"--config", cfgFile, "--pravega-credentials-secret", "team-a/pravega=rest-creds"}); err != nil {
		t.Fatal(err)
	}
	o := uiOptions{configPath: cfgFile, creds: []string{"team-a/pravega=rest-creds"}}
	if err := o.load(root); err != nil {
		t.Fatal(err)
	}
	srcs, err := o.credentialSources()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		got = append(got, s.String())
	}
	want := []string{
		"pravega:team-a/pravega ← Secret team-a/rest-creds",
		"pravega:pravega/* ← Secret pravega/streamops-rest",
		"pravega:billing/pravega ← basic auth from " + pwFile,
		"pravega:metrics/* ← bearer token from config pravega.credentials[2]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sources:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []uiOptions{{creds: []string{"nope"}}, {}} {
		if len(bad.creds) == 0 {
			bad.cfg.Pravega.Credentials = o.cfg.Pravega.Credentials[1:2]
			os.Remove(pwFile)
		}
		if _, err := bad.credentialSources(); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: error %v, want one line", bad.creds, err)
		}
	}
}
