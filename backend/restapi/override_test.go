package restapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseOverride(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{in: "flink:iot/agg=http://localhost:8081", want: "flink:iot/agg=http://localhost:8081"},
		{in: "pravega:pravega/pravega=https://admin:s3cret-pw@ctl.example.com:10080/base?token=abcdef", want: "pravega:pravega/pravega=https://ctl.example.com:10080/base"},
		{in: "flink:iot/agg", err: "want API:NAMESPACE/NAME=URL"},
		{in: "kafka:iot/agg=http://x", err: `unknown API "kafka"`},
		{in: "flink:iot=http://x", err: "want API:NAMESPACE/NAME"},
		{in: "flink:iot/a/b=http://x", err: "want API:NAMESPACE/NAME"},
		{in: "flink:iot/agg=ftp://user:hunter22@x", err: "scheme must be http or https"},
		{in: "flink:iot/agg=http://", err: "no host"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			o, err := ParseOverride(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "hunter22") {
					t.Errorf("password in error: %v", err)
				}
				return
			}
			if err != nil || o.String() != tc.want {
				t.Errorf("got %q %v, want %q", o.String(), err, tc.want)
			}
		})
	}
}

func TestLoadOverrides(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("tok-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "endpoints.yaml")
	write := func(s string) {
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`endpoints:
- api: flink
  namespace: iot
  name: agg
  url: https://flink.example.com/agg
  tokenFile: ` + tok + `
- api: pravega
  namespace: pravega
  name: pravega
  url: http://ops:pa55word@10.0.0.5:10080
`)
	os, err := LoadOverrides(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(os) != 2 || os[0].Token != "tok-0123456789" || os[0].Target.String() != "flink:iot/agg" || os[1].Target.API != Pravega {
		t.Fatalf("overrides %+v", os)
	}
	if s := os[0].String() + os[1].String(); strings.Contains(s, "tok-0123") || strings.Contains(s, "pa55word") {
		t.Errorf("secret shown: %s", s)
	}
	write("endpoints:\n- api: flink\n  namespace: iot\n  name: agg\n  url: http://u:pa55word@x\n  bogus: 1\n")
	if _, err := LoadOverrides(cfg); err == nil || strings.Contains(err.Error(), "pa55word") {
		t.Errorf("unknown field: %v", err)
	}
	write("endpoints:\n- api: flink\n  namespace: iot\n  name: agg\n  url: http://x\n  tokenFile: /nonexistent/token\n")
	if _, err := LoadOverrides(cfg); err == nil || !strings.Contains(err.Error(), "entry 1: token file") {
		t.Errorf("missing token file: %v", err)
	}
}

func TestRedactor(t *testing.T) {
	r := &Redactor{}
	r.Add("sup3r-secret", "x") // too short values are not masked
	cases := []struct{ in, want string }{
		{"dial http://admin:hunter2@host:80/x failed", "dial http://***@host:80/x failed"},
		{"Authorization: Bearer eyJhbGciOi.abc-def", "Authorization: Bearer ***"},
		{"GET /x?token=abc123&y=1", "GET /x?token=***&y=1"},
		{`{"password": "letmein"}`, `{"password": "***"}`},
		{"api_key=zzz999 next", "api_key=*** next"},
		{"it was sup3r-secret all along", "it was *** all along"},
		{"no secret in 1 x 2", "no secret in 1 x 2"},
		{"ordinary: 500 Internal Server Error", "ordinary: 500 Internal Server Error"},
	}
	for _, tc := range cases {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
	var nilR *Redactor
	if nilR.String("token=abcdef") != "token=***" {
		t.Error("nil redactor")
	}
}
