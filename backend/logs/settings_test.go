package logs

import (
	"testing"
	"time"
)

func TestParseSettings(t *testing.T) {
	cur := Settings{Stream: DefaultOptions()}
	tests := []struct {
		name, line string
		check      func(Settings) bool
		err        bool
	}{
		{"kubectl flags", "--since=5m --tail=100 --timestamps -p", func(s Settings) bool {
			return s.Stream.Since == 5*time.Minute && s.Stream.Tail == 100 && s.Timestamps && s.Stream.Previous
		}, false},
		{"stern flags", "-c bookie -i ERROR -i 'WARN .*slow' -e health", func(s Settings) bool {
			return s.Stream.Container == "bookie" && len(s.Include) == 2 && s.Include[1] == "WARN .*slow" && s.Exclude[0] == "health"
		}, false},
		{"no follow", "--follow=false", func(s Settings) bool { return !s.Stream.Follow }, false},
		{"round trip", Settings{Stream: Options{Follow: true, Tail: -1, Since: time.Hour, Container: "a b"}, Include: []string{"it's"}}.FlagLine(),
			func(s Settings) bool {
				return s.Stream.Tail == -1 && s.Stream.Since == time.Hour && s.Stream.Container == "a b" && s.Include[0] == "it's"
			}, false},
		{"bad regexp", "-i '('", nil, true},
		{"unknown flag", "--nope", nil, true},
		{"argument", "somepod", nil, true},
		{"unterminated quote", "-i 'x", nil, true},
		{"negative since", "--since=-5m", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSettings(tt.line, cur)
			if (err != nil) != tt.err {
				t.Fatalf("err %v", err)
			}
			if !tt.err && !tt.check(got) {
				t.Fatalf("got %+v", got)
			}
		})
	}
}
