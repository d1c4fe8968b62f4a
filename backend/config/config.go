// Package config reads the console's configuration file
// ($XDG_CONFIG_HOME/streamops/config.yaml): theme, read-only mode, refresh
// intervals, log buffer size, audit log path, REST endpoint overrides and
// key overrides. Unknown keys and values of the wrong type are rejected with
// a message naming the key, so a typo is never silently ignored.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Duration is a time.Duration written as "5s", "10m".
type Duration struct{ time.Duration }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want a duration such as "5s" or "10m"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf(`want a duration such as "5s" or "10m", got %q`, s)
	}
	d.Duration = v
	return nil
}

// Config is the configuration file's content.
type Config struct {
	Theme    string `json:"theme,omitempty"`
	ReadOnly bool   `json:"readOnly,omitempty"`
	// Mouse turns mouse capture on at start (clicks and the wheel); off,
	// the terminal selects text for copying, as over SSH one expects.
	Mouse   bool `json:"mouse,omitempty"`
	Refresh struct {
		// Streams is how often the Pravega and Flink REST APIs are read.
		Streams Duration `json:"streams,omitempty"`
	} `json:"refresh,omitempty"`
	Logs struct {
		// BufferLines bounds the log buffer (all sources together).
		BufferLines int `json:"bufferLines,omitempty"`
	} `json:"logs,omitempty"`
	Audit struct {
		Path string `json:"path,omitempty"`
	} `json:"audit,omitempty"`
	Scale struct {
		// StepTimeout is how long a scale step may take to converge.
		StepTimeout Duration `json:"stepTimeout,omitempty"`
	} `json:"scale,omitempty"`
	// Endpoints give REST APIs a direct URL instead of the API server's
	// service proxy, in the --endpoint flag's syntax:
	// "flink:iot-analytics/sensor-aggregation=https://flink.example.com".
	Endpoints []string `json:"endpoints,omitempty"`
	Pravega   struct {
		// Credentials for the Controllers' REST APIs; the
		// --pravega-credentials-secret flags come before them.
		Credentials []PravegaCredentials `json:"credentials,omitempty"`
	} `json:"pravega,omitempty"`
	// Keys override key bindings by name, e.g. "logs.follow": ["F"].
	Keys map[string][]string `json:"keys,omitempty"`
}

// PravegaCredentials are credentials for the Controller REST API of the
// PravegaClusters of a namespace (or of one of them): a Secret of that
// namespace to read them from (keys username and password, or token), or
// given here, or in files.
//
//	pravega:
//	  credentials:
//	  - namespace: pravega
//	    secret: streamops-rest        # or username + password(File), or token(File)
type PravegaCredentials struct {
	Namespace    string `json:"namespace"`
	Cluster      string `json:"cluster,omitempty"`
	Secret       string `json:"secret,omitempty"`
	Username     string `json:"username,omitempty"`
	Password     Secret `json:"password,omitempty"`
	PasswordFile string `json:"passwordFile,omitempty"`
	Token        Secret `json:"token,omitempty"`
	TokenFile    string `json:"tokenFile,omitempty"`
}

// Secret is a value that prints as "***" however it is printed.
type Secret string

func (Secret) String() string                  { return "***" }
func (Secret) GoString() string                { return `"***"` }
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte("***")) }

// Value is the secret itself.
func (s Secret) Value() string { return string(s) }

// Defaults are used for what the file does not set.
func Defaults() Config {
	var c Config
	c.Theme = "dark"
	c.Refresh.Streams = Duration{5 * time.Second}
	c.Logs.BufferLines = 50000
	c.Scale.StepTimeout = Duration{10 * time.Minute}
	return c
}

// DefaultPath is $XDG_CONFIG_HOME/streamops/config.yaml (or ~/.config/...).
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "streamops", "config.yaml")
}

// StateDir is where streamops keeps what it writes (log file, audit log,
// triage reports, crash traces, saved logs): $XDG_STATE_HOME/streamops
// when that is an absolute path (the XDG rule: a relative one is ignored),
// else ~/.local/state/streamops, else a directory under the system's
// temporary directory.
func StateDir() string {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "streamops")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "streamops")
	}
	return filepath.Join(os.TempDir(), "streamops")
}

// Load reads the file at path over the defaults. A missing file at the
// default path is not an error; a missing file the user named is.
func Load(path string, named bool) (Config, error) {
	c := Defaults()
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !named {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if err := Parse(b, &c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// maxSize bounds what Parse reads; a configuration is a few hundred bytes.
const maxSize = 1 << 20

// Parse reads YAML into c, strictly: every key must be known and every
// value of the right type. Errors name the key.
func Parse(b []byte, c *Config) error {
	if len(b) > maxSize {
		return fmt.Errorf("file is %d bytes, larger than the %d a configuration may be", len(b), maxSize)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return fmt.Errorf("not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
		return nil // an empty file
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return explain(err)
	}
	return c.Validate()
}

func explain(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Errorf("%s: want %s, got %s", typeErr.Field, kindOf(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("not valid YAML: %v", err)
	}
	msg := err.Error()
	if field, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown key %s (known: theme, readOnly, mouse, refresh.streams, logs.bufferLines, audit.path, scale.stepTimeout, endpoints, pravega.credentials, keys)", field)
	}
	if strings.HasPrefix(msg, "json: cannot unmarshal") {
		return errors.New(strings.TrimPrefix(msg, "json: "))
	}
	return err
}

func kindOf(k string) string {
	switch k {
	case "int", "int64", "int32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "map", "struct":
		return "a mapping"
	}
	return k
}

// Validate checks values that decode but make no sense.
func (c *Config) Validate() error {
	switch c.Theme {
	case "dark", "light", "none":
	default:
		return fmt.Errorf("theme: %q is not a theme (dark, light or none)", c.Theme)
	}
	if c.Refresh.Streams.Duration < time.Second {
		return fmt.Errorf("refresh.streams: %s is too often (at least 1s)", c.Refresh.Streams)
	}
	if c.Logs.BufferLines < 1000 || c.Logs.BufferLines > 5_000_000 {
		return fmt.Errorf("logs.bufferLines: %d is out of range (1000 to 5000000)", c.Logs.BufferLines)
	}
	if c.Scale.StepTimeout.Duration < 10*time.Second {
		return fmt.Errorf("scale.stepTimeout: %s is too short (at least 10s)", c.Scale.StepTimeout)
	}
	for i, pc := range c.Pravega.Credentials {
		if err := pc.validate(); err != nil {
			return fmt.Errorf("pravega.credentials[%d]: %w", i, err)
		}
	}
	for name, keys := range c.Keys {
		if len(keys) == 0 {
			return fmt.Errorf("keys.%s: give at least one key", name)
		}
		for _, k := range keys {
			if strings.TrimSpace(k) == "" {
				return fmt.Errorf("keys.%s: an empty key", name)
			}
		}
	}
	return nil
}

func (pc PravegaCredentials) validate() error {
	if pc.Namespace == "" {
		return errors.New("namespace: the PravegaClusters' namespace is required")
	}
	basic := pc.Username != "" || pc.Password != "" || pc.PasswordFile != ""
	token := pc.Token != "" || pc.TokenFile != ""
	n := 0
	for _, b := range []bool{pc.Secret != "", basic, token} {
		if b {
			n++
		}
	}
	switch {
	case n == 0:
		return errors.New("give secret, username with password or passwordFile, or token or tokenFile")
	case n > 1:
		return errors.New("give only one of secret, username/password and token")
	case pc.Password != "" && pc.PasswordFile != "", pc.Token != "" && pc.TokenFile != "":
		return errors.New("give the value or its file, not both")
	case basic && (pc.Username == "" || pc.Password == "" && pc.PasswordFile == ""):
		return errors.New("basic authentication needs username and password (or passwordFile)")
	case strings.Contains(pc.Secret, "/"):
		return fmt.Errorf("secret: %q: a Secret name in the namespace, without a slash", pc.Secret)
	}
	return nil
}
