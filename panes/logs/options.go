package logs

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	logengine "github.com/streamops/streamops/backend/logs"
)

// settings are what the options line sets: kubectl's and stern's flags.
type settings struct {
	stream           logengine.Options
	timestamps       bool
	include, exclude []string
	json             bool     // JSON lines as level, message and fields
	fields           []string // the fields JSON lines show (none: all)
}

// flagLine writes settings as the flags the options line starts with.
func (s settings) flagLine() string {
	var parts []string
	parts = append(parts, "--follow="+strconv.FormatBool(s.stream.Follow))
	if s.stream.Previous {
		parts = append(parts, "--previous")
	}
	if s.timestamps {
		parts = append(parts, "--timestamps")
	}
	parts = append(parts, "--tail="+strconv.Itoa(s.stream.Tail))
	if s.stream.Since > 0 {
		parts = append(parts, "--since="+shortDuration(s.stream.Since))
	}
	if s.stream.Container != "" {
		parts = append(parts, "-c "+quote(s.stream.Container))
	}
	for _, p := range s.include {
		parts = append(parts, "-i "+quote(p))
	}
	for _, p := range s.exclude {
		parts = append(parts, "-e "+quote(p))
	}
	if s.json {
		parts = append(parts, "--json")
	}
	if len(s.fields) > 0 {
		parts = append(parts, "--fields="+quote(strings.Join(s.fields, ",")))
	}
	return strings.Join(parts, " ")
}

// summary is the options in few words for the header.
func (s settings) summary() string {
	var parts []string
	switch {
	case s.stream.Previous:
		parts = append(parts, "previous")
	case s.stream.Follow:
		parts = append(parts, "follow")
	default:
		parts = append(parts, "no follow")
	}
	if s.stream.Tail >= 0 {
		parts = append(parts, "tail "+strconv.Itoa(s.stream.Tail))
	}
	if s.stream.Since > 0 {
		parts = append(parts, "since "+shortDuration(s.stream.Since))
	}
	if s.stream.Container != "" {
		parts = append(parts, "-c "+s.stream.Container)
	}
	for _, p := range s.include {
		parts = append(parts, "-i "+p)
	}
	for _, p := range s.exclude {
		parts = append(parts, "-e "+p)
	}
	if s.json {
		parts = append(parts, "json")
	}
	return strings.Join(parts, " · ")
}

// parseFlags reads an options line over the current settings.
func parseFlags(line string, cur settings) (settings, error) {
	args, err := splitArgs(line)
	if err != nil {
		return cur, err
	}
	fs := pflag.NewFlagSet("logs", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	next := cur
	fs.BoolVarP(&next.stream.Follow, "follow", "f", cur.stream.Follow, "follow the log")
	fs.BoolVarP(&next.stream.Previous, "previous", "p", false, "the previous container instance")
	fs.BoolVar(&next.timestamps, "timestamps", false, "show timestamps")
	fs.IntVar(&next.stream.Tail, "tail", cur.stream.Tail, "lines per container at the start (-1: all)")
	fs.DurationVar(&next.stream.Since, "since", 0, "only lines newer than this")
	fs.StringVarP(&next.stream.Container, "container", "c", "", "container name pattern")
	fs.StringArrayVarP(&next.include, "include", "i", nil, "show only lines matching (regexp)")
	fs.StringArrayVarP(&next.exclude, "exclude", "e", nil, "hide lines matching (regexp)")
	fs.BoolVar(&next.json, "json", false, "JSON lines as level, message and fields")
	fs.StringSliceVar(&next.fields, "fields", nil, "the fields JSON lines show, e.g. --fields=logger,thread (implies --json)")
	if err := fs.Parse(args); err != nil {
		return cur, err
	}
	if fs.NArg() > 0 {
		return cur, fmt.Errorf("unexpected %q: choose pods with the sources key", fs.Arg(0))
	}
	if len(next.fields) > 0 {
		next.json = true
	}
	if next.stream.Since < 0 {
		return cur, errors.New("--since must not be negative")
	}
	if _, err := logengine.NewFilter(next.include, next.exclude); err != nil {
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
