package logs

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Settings are what the logs pane's options line sets: kubectl's and
// stern's flags.
type Settings struct {
	Stream           Options
	Timestamps       bool
	Include, Exclude []string
	JSON             bool     // JSON lines as level, message and fields
	Fields           []string // the fields JSON lines show (none: all)
}

// FlagLine writes the settings as the flags the options line starts with.
func (s Settings) FlagLine() string {
	var parts []string
	parts = append(parts, "--follow="+strconv.FormatBool(s.Stream.Follow))
	if s.Stream.Previous {
		parts = append(parts, "--previous")
	}
	if s.Timestamps {
		parts = append(parts, "--timestamps")
	}
	parts = append(parts, "--tail="+strconv.Itoa(s.Stream.Tail))
	if s.Stream.Since > 0 {
		parts = append(parts, "--since="+shortDuration(s.Stream.Since))
	}
	if s.Stream.Container != "" {
		parts = append(parts, "-c "+quote(s.Stream.Container))
	}
	for _, p := range s.Include {
		parts = append(parts, "-i "+quote(p))
	}
	for _, p := range s.Exclude {
		parts = append(parts, "-e "+quote(p))
	}
	if s.JSON {
		parts = append(parts, "--json")
	}
	if len(s.Fields) > 0 {
		parts = append(parts, "--fields="+quote(strings.Join(s.Fields, ",")))
	}
	return strings.Join(parts, " ")
}

// Summary is the settings in few words for the header.
func (s Settings) Summary() string {
	var parts []string
	switch {
	case s.Stream.Previous:
		parts = append(parts, "previous")
	case s.Stream.Follow:
		parts = append(parts, "follow")
	default:
		parts = append(parts, "no follow")
	}
	if s.Stream.Tail >= 0 {
		parts = append(parts, "tail "+strconv.Itoa(s.Stream.Tail))
	}
	if s.Stream.Since > 0 {
		parts = append(parts, "since "+shortDuration(s.Stream.Since))
	}
	if s.Stream.Container != "" {
		parts = append(parts, "-c "+s.Stream.Container)
	}
	for _, p := range s.Include {
		parts = append(parts, "-i "+p)
	}
	for _, p := range s.Exclude {
		parts = append(parts, "-e "+p)
	}
	if s.JSON {
		parts = append(parts, "json")
	}
	return strings.Join(parts, " · ")
}

// ParseSettings reads an options line over the current settings; on an
// error the current settings are returned unchanged.
func ParseSettings(line string, cur Settings) (Settings, error) {
	args, err := splitArgs(line)
	if err != nil {
		return cur, err
	}
	fs := pflag.NewFlagSet("logs", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	next := cur
	fs.BoolVarP(&next.Stream.Follow, "follow", "f", cur.Stream.Follow, "follow the log")
	fs.BoolVarP(&next.Stream.Previous, "previous", "p", false, "the previous container instance")
	fs.BoolVar(&next.Timestamps, "timestamps", false, "show timestamps")
	fs.IntVar(&next.Stream.Tail, "tail", cur.Stream.Tail, "lines per container at the start (-1: all)")
	fs.DurationVar(&next.Stream.Since, "since", 0, "only lines newer than this")
	fs.StringVarP(&next.Stream.Container, "container", "c", "", "container name pattern")
	fs.StringArrayVarP(&next.Include, "include", "i", nil, "show only lines matching (regexp)")
	fs.StringArrayVarP(&next.Exclude, "exclude", "e", nil, "hide lines matching (regexp)")
	fs.BoolVar(&next.JSON, "json", false, "JSON lines as level, message and fields")
	fs.StringSliceVar(&next.Fields, "fields", nil, "the fields JSON lines show, e.g. --fields=logger,thread (implies --json)")
	if err := fs.Parse(args); err != nil {
		return cur, err
	}
	if fs.NArg() > 0 {
		return cur, fmt.Errorf("unexpected %q: choose pods with the sources key", fs.Arg(0))
	}
	if len(next.Fields) > 0 {
		next.JSON = true
	}
	if next.Stream.Since < 0 {
		return cur, errors.New("--since must not be negative")
	}
	if _, err := NewFilter(next.Include, next.Exclude); err != nil {
		return cur, err
	}
	return next, nil
}

// splitArgs splits a line into words, honouring single and double quotes.
func splitArgs(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quoteChar rune
	for _, r := range line {
		switch {
		case quoteChar != 0:
			if r == quoteChar {
				quoteChar = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quoteChar, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoteChar != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// shortDuration writes 5m rather than 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.Replace(s, "m0s", "m", 1)
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
