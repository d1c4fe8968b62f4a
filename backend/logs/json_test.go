package logs

import (
	"strings"
	"testing"
)

func TestPrettyJSON(t *testing.T) {
	cases := []struct {
		in, want string
		fields   []string
		ok       bool
	}{
		{`{"@timestamp":"2026-11-24T09:00:00Z","level":"error","message":"Segment container 3 failed","container":3,"exception":"java.io.IOException: disk full"}`,
			`ERROR Segment container 3 failed container=3 exception="java.io.IOException: disk full"`, nil, true},
		{`{"ts":1.7e9,"msg":"checkpoint done","id":42,"tags":["a", "b"],"empty":""}`, `checkpoint done id=42 tags=["a","b"] empty=""`, nil, true},
		{`{"level":"WARN","msg":"slow","a":1,"b":2,"c":3}`, `WARN slow b=2`, []string{"b"}, true},
		{`{"msg":"\u001b[31mred\u001b[0m \u0007bell"}`, `red ␇bell`, nil, true},
		{`2026-11-24 09:00:00 INFO not json`, ``, nil, false},
		{`{"broken": }`, ``, nil, false},
		{`{"a":1} trailing {"b":2}`, ``, nil, false},
	}
	for _, c := range cases {
		got, ok := PrettyJSON([]byte(c.in), c.fields)
		if ok != c.ok || string(got) != c.want {
			t.Errorf("%s:\n got %q %v\nwant %q %v", c.in, got, ok, c.want, c.ok)
		}
		if strings.ContainsRune(string(got), 0x1b) {
			t.Errorf("escape in %q", got)
		}
	}
}
