package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, yaml string
		err        string // substring; "" means valid
		check      func(*testing.T, Config)
	}{
		{name: "empty file keeps defaults", yaml: "", check: func(t *testing.T, c Config) {
			if c.Logs.BufferLines != 50000 || c.Theme != "dark" || c.Scale.StepTimeout.Duration != 10*time.Minute {
				t.Errorf("%+v", c)
			}
		}},
		{name: "everything set", yaml: `
theme: light
readOnly: true
refresh: {streams: 10s}
logs: {bufferLines: 20000}
audit: {path: /var/log/streamops-audit.jsonl}
scale: {stepTimeout: 15m}
endpoints:
  - flink:iot-analytics/sensor-aggregation=https://flink.example.com
keys:
  logs.follow: [F]
`, check: func(t *testing.T, c Config) {
			if c.Theme != "light" || !c.ReadOnly || c.Refresh.Streams.Duration != 10*time.Second || c.Logs.BufferLines != 20000 ||
				c.Audit.Path == "" || c.Scale.StepTimeout.Duration != 15*time.Minute || len(c.Endpoints) != 1 || c.Keys["logs.follow"][0] != "F" {
				t.Errorf("%+v", c)
			}
		}},
		{name: "unknown top-level key", yaml: "themee: dark", err: `unknown key "themee"`},
		{name: "unknown nested key", yaml: "logs: {bufferLine: 10}", err: `unknown key "bufferLine"`},
		{name: "wrong type", yaml: "logs: {bufferLines: lots}", err: "logs.bufferLines: want a number, got string"},
		{name: "bool as string", yaml: "readOnly: yes please", err: "readOnly: want true or false"},
		{name: "bad duration", yaml: "refresh: {streams: often}", err: `want a duration such as "5s" or "10m", got "often"`},
		{name: "unknown theme", yaml: "theme: purple", err: `theme: "purple" is not a theme`},
		{name: "buffer too small", yaml: "logs: {bufferLines: 5}", err: "logs.bufferLines: 5 is out of range"},
		{name: "refresh too often", yaml: "refresh: {streams: 100ms}", err: "refresh.streams: 100ms is too often"},
		{name: "empty key list", yaml: "keys: {global.quit: []}", err: "keys.global.quit: give at least one key"},
		{name: "not YAML", yaml: "theme: [dark", err: "not valid YAML"},
		{name: "a list at the top", yaml: "- theme", err: "want a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			err := Parse([]byte(tt.yaml), &c)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want it to contain %q", err, tt.err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.yaml"), false); err != nil {
		t.Errorf("a missing default file is not an error: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), true); err == nil {
		t.Error("a missing file the user named must be an error")
	}
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("theme: nope\n"), 0o600)
	if _, err := Load(p, false); err == nil || !strings.HasPrefix(err.Error(), "config "+p+": theme:") {
		t.Errorf("error %v should name the file and the key", err)
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	if DefaultPath() != filepath.Join(dir, "streamops", "config.yaml") {
		t.Error(DefaultPath())
	}
}

// FuzzParse: no input makes the parser panic or accept an invalid config.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"", "theme: dark", "logs: {bufferLines: 20000}", "keys: {global.quit: [q]}", "- x", "a: [", "refresh: {streams: 1h}"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Defaults()
		if err := Parse(b, &c); err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("accepted an invalid config: %v", verr)
			}
		}
	})
}

func TestPravegaCredentials(t *testing.T) {
	tests := []struct {
		name, yaml string
		err        string // substring; "" means valid
	}{
		{"a secret", "pravega: {credentials: [{namespace: pravega, secret: streamops-rest}]}", ""},
		{"one cluster, a password", "pravega: {credentials: [{namespace: pravega, cluster: pravega, username: ops, password: pw-1234}]}", ""},
		{"a token file", "pravega: {credentials: [{namespace: pravega, tokenFile: ~/.config/streamops/pravega-token}]}", ""},
		{"no namespace", "pravega: {credentials: [{secret: x}]}", "pravega.credentials[0]: namespace"},
		{"nothing", "pravega: {credentials: [{namespace: pravega}]}", "give secret, username"},
		{"two kinds", "pravega: {credentials: [{namespace: pravega, secret: x, token: t}]}", "only one of"},
		{"user without password", "pravega: {credentials: [{namespace: pravega, username: ops}]}", "needs username and password"},
		{"password and its file", "pravega: {credentials: [{namespace: pravega, username: ops, password: p, passwordFile: f}]}", "not both"},
		{"secret with a namespace", "pravega: {credentials: [{namespace: pravega, secret: other/x}]}", "without a slash"},
		{"unknown key", "pravega: {credentials: [{namespace: pravega, pasword: x}]}", `unknown key "pasword"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			err := Parse([]byte(tt.yaml), &c)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "pw-1234") {
				t.Errorf("the error quotes the password: %v", err)
			}
		})
	}
	c := Defaults()
	if err := Parse([]byte("pravega: {credentials: [{namespace: pravega, username: ops, password: pw-1234, token: ''}]}"), &c); err != nil {
		t.Fatal(err)
	}
	pc := c.Pravega.Credentials[0]
	if pc.Password.Value() != "pw-1234" {
		t.Errorf("password %q", pc.Password.Value())
	}
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s %q", c, c, c, pc, pc.Password), fmt.Sprint(pc.Password)} {
		if strings.Contains(out, "pw-1234") {
			t.Errorf("printed: %s", out)
		}
	}
}
