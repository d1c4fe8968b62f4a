package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamops/streamops/backend/logs"
)

// cliLogLines is the least the log buffer holds for `streamops logs`: the
// history of 50 containers of 20,000 lines each, so that none of it is
// dropped before it is written (the buffer's byte limit still bounds
// memory).
const cliLogLines = 1_000_000

type logsFlags struct {
	since      time.Duration
	tail       int
	follow     bool
	previous   bool
	timestamps bool
	json       bool
	container  string
}

func newLogsCmd(env commandEnv) *cobra.Command {
	var f logsFlags
	c := &cobra.Command{
		Use:   "logs [SELECTOR|COMPONENT|POD]",
		Short: "Print the merged logs of many pods (every component when none is named)",
		Long: "logs prints the logs of the containers of a component (its kind, e.g. bookkeeper, its cluster's\n" +
			"name, or cluster/kind), of the pods a label selector matches (app=bookie), or of one pod, merged\n" +
			"in time and prefixed by pod and container. Escape sequences are removed; a broken stream resumes\n" +
			"without repeating a line. Without --follow it ends when every log was read.",
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return env.completeComponents(cmd), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			query := ""
			if len(args) == 1 {
				query = args[0]
			}
			return env.runLogs(cmd, query, f)
		},
	}
	fl := c.Flags()
	fl.DurationVar(&f.since, "since", 0, "only lines newer than this (e.g. 10m)")
	fl.IntVar(&f.tail, "tail", -1, "lines of each container's history to start with (-1: all)")
	fl.BoolVarP(&f.follow, "follow", "f", false, "keep following: new lines and pods that join")
	fl.BoolVarP(&f.previous, "previous", "p", false, "the previous (crashed) container instance")
	fl.BoolVar(&f.timestamps, "timestamps", false, "print each line's timestamp (RFC 3339)")
	fl.BoolVar(&f.json, "json", false, "one JSON object a line: timestamp, namespace, pod, container, level, message")
	fl.StringVarP(&f.container, "container", "c", "", "only containers whose name matches this regular expression")
	return c
}

// runLogs follows the selection through the session's log engine and
// writes every line to stdout, until every source ended (not following),
// ctrl+c or SIGTERM, or stdout is closed (a pipe's reader went away): all
// three end it quietly. Engine notices (a stream resumed, a container
// waiting) go to stderr.
func (e commandEnv) runLogs(cmd *cobra.Command, query string, f logsFlags) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A write to a closed pipe returns EPIPE instead of killing the process.
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Reset(syscall.SIGPIPE)
	s, done, syncErr, err := e.readOnlySession(ctx, cmd, cliLogLines)
	if err != nil {
		return err
	}
	defer done()
	if syncErr != nil {
		return fmt.Errorf("logs: %w", syncErr)
	}
	sel, err := logs.SelectionFor(query, s.Watcher.Snapshot())
	if err != nil {
		return err
	}
	opts := logs.Options{Follow: f.follow, Previous: f.previous, Since: f.since, Tail: f.tail, Container: f.container}
	if err := s.Logs.Follow(sel, opts); err != nil {
		return err
	}
	w := &logWriter{eng: s.Logs, out: bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10), errOut: cmd.ErrOrStderr(),
		flags: f, withNS: s.Scope.All(), labels: map[uint32]logLabel{}}
	err = w.run(ctx, f.follow && !f.previous)
	if errors.Is(err, syscall.EPIPE) || ctx.Err() != nil {
		return nil // the reader went away, or ctrl+c
	}
	return err
}

// logWriter copies the engine's buffer to stdout, in order, once each.
type logWriter struct {
	eng    *logs.Engine
	out    *bufio.Writer
	errOut io.Writer
	flags  logsFlags
	withNS bool
	labels map[uint32]logLabel
	next   uint64 // seq of the next line to write
	lost   uint64
}

type logLabel struct {
	target logs.Target
	prefix string
}

func (w *logWriter) run(ctx context.Context, follow bool) error {
	dst := make([]logs.Line, 0, 4096)
	for {
		// The states are read before the last drain: a source's lines are
		// in the buffer before it says it ended.
		finished := !follow && w.allEnded()
		if err := w.drain(&dst); err != nil {
			return err
		}
		if finished {
			if w.lost > 0 {
				fmt.Fprintf(w.errOut, "streamops: %d lines were dropped before they could be written\n", w.lost)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			_ = w.drain(&dst)
			return ctx.Err()
		case <-w.eng.Changed():
		case <-time.After(time.Second): // a state change without new lines is noticed anyway
		}
	}
}

// allEnded reports whether every source is done: read to its end,
// stopped, not followed (capped) or waiting to start (nothing to read).
func (w *logWriter) allEnded() bool {
	srcs := w.eng.Sources()
	if len(srcs) == 0 {
		return false
	}
	for _, s := range srcs {
		switch s.State {
		case logs.Ended, logs.Stopped, logs.Capped, logs.Waiting:
		default:
			return false
		}
	}
	return true
}

func (w *logWriter) drain(dst *[]logs.Line) error {
	for {
		win := w.eng.Buffer().From(w.next, cap(*dst), *dst)
		if len(win.Lines) == 0 {
			return w.out.Flush()
		}
		if first := win.Lines[0].Seq; first > w.next {
			w.lost += first - w.next
		}
		for i := range win.Lines {
			if err := w.write(&win.Lines[i]); err != nil {
				return err
			}
		}
		w.next = win.Lines[len(win.Lines)-1].Seq + 1
		*dst = win.Lines[:0]
		if err := w.out.Flush(); err != nil {
			return err
		}
		// written: the buffer need not hold them (it held every line of
		// the run, 500 MiB for a million)
		w.eng.Buffer().Release(w.next)
	}
}

func (w *logWriter) label(id uint32) logLabel {
	if l, ok := w.labels[id]; ok {
		return l
	}
	src, _ := w.eng.Source(id)
	l := logLabel{target: src.Target, prefix: src.Target.Pod + " " + src.Target.Container + " "}
	if w.withNS {
		l.prefix = src.Target.Namespace + " " + l.prefix
	}
	w.labels[id] = l
	return l
}

// logRecord is one line of --json.
type logRecord struct {
	Timestamp string `json:"timestamp,omitempty"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Level     string `json:"level,omitempty"`
	Message   string `json:"message"`
}

func (w *logWriter) write(l *logs.Line) error {
	lb := w.label(l.Source)
	if l.Notice {
		_, err := fmt.Fprintf(w.errOut, "streamops: %s: %s\n", lb.target, l.Text)
		return err
	}
	ts := ""
	if l.Time != 0 {
		ts = l.Timestamp().Format(time.RFC3339Nano)
	}
	if w.flags.json {
		rec := logRecord{Timestamp: ts, Namespace: lb.target.Namespace, Pod: lb.target.Pod, Container: lb.target.Container, Message: string(l.Text)}
		if l.Level != logs.LevelNone {
			rec.Level = l.Level.String()
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		w.out.Write(b)
		return w.out.WriteByte('\n')
	}
	w.out.WriteString(lb.prefix)
	if w.flags.timestamps {
		if ts == "" {
			ts = "-"
		}
		w.out.WriteString(ts + " ")
	}
	w.out.Write(l.Text)
	return w.out.WriteByte('\n')
}
