package main

// The non-interactive commands: status, report and logs, on a cluster or
// on the demo, always read-only.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/streamops/streamops/backend/config"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/report"
	"github.com/streamops/streamops/backend/session"
	"github.com/streamops/streamops/backend/status"
)

// defaultSyncWait bounds the wait for the watches' first sync when
// --request-timeout is not given.
const defaultSyncWait = 20 * time.Second

// reportRESTWait bounds how long `streamops report` waits for the REST
// APIs (what did not answer is written as such), as the console's ctrl+s.
const reportRESTWait = 8 * time.Second

// opener starts the session a command reads from: on the cluster or on
// the demo.
type opener func(ctx context.Context, cmd *cobra.Command, ui uiOptions, log *slog.Logger) (*session.Session, error)

// clusterOpener connects to the kubeconfig's cluster.
func clusterOpener(kopts *kube.Options) opener {
	return func(ctx context.Context, _ *cobra.Command, ui uiOptions, log *slog.Logger) (*session.Session, error) {
		cfg, err := clusterConfig(ctx, kopts, ui)
		if err != nil {
			return nil, err
		}
		return startSession(ctx, ui, log, cfg)
	}
}

// demoOpener starts the demo platform and waits until it settled (its
// members ready, its troubles set up) and the watcher caught up: the
// commands answer about the demo one sees in the console, not about its
// empty first seconds. Unless --speed is given it runs at demoCommandSpeed,
// to settle in about a second. -n narrows it to one namespace.
func demoOpener(o *demoOptions, kopts *kube.Options) opener {
	return func(ctx context.Context, cmd *cobra.Command, ui uiOptions, log *slog.Logger) (*session.Session, error) {
		opts := *o
		if !cmd.Flags().Changed("speed") {
			opts.speed = demoCommandSpeed
		}
		p, cfg, start, err := demoConfig(ctx, opts, ui, log)
		if err != nil {
			return nil, err
		}
		if ns := kopts.Overrides.Context.Namespace; ns != "" && !kopts.AllNamespaces {
			cfg.Scope = kube.Scope{Namespaces: []string{ns}}
		}
		s, err := startSession(ctx, ui, log, cfg, start)
		if err != nil {
			return nil, err
		}
		wctx, cancel := context.WithTimeout(ctx, defaultSyncWait)
		defer cancel()
		select {
		case <-p.Settled():
		case <-wctx.Done():
			_ = s.Close()
			return nil, errors.New("the demo platform did not settle within " + defaultSyncWait.String())
		}
		// The settled objects reach the informers through the fake
		// clientsets' watches and the watcher's coalescing (~100ms).
		t := time.NewTimer(demoCatchUp)
		defer t.Stop()
		select {
		case <-t.C:
		case <-wctx.Done():
		}
		return s, nil
	}
}

// demoCommandSpeed is the demo's speed for status, report and logs.
const demoCommandSpeed = 10

// demoCatchUp is how long the watcher is given to publish the settled
// demo platform.
const demoCatchUp = 300 * time.Millisecond

// commandEnv is what every non-interactive command shares: the options,
// how to reach the platform, and how long to wait for it.
type commandEnv struct {
	ui    *uiOptions
	kopts *kube.Options
	open  opener
}

func (e commandEnv) syncWait() time.Duration {
	if d := e.kopts.Timeout(); d > 0 {
		return d
	}
	return defaultSyncWait
}

// readOnlySession loads the options, sends the logs to the log file,
// starts a session with its read-only switch on (a command never writes)
// and waits for the watches' first sync. The log buffer holds at least
// logLines. The sync error is returned apart: status and report still
// answer, saying what they could not see.
func (e commandEnv) readOnlySession(ctx context.Context, cmd *cobra.Command, logLines int) (s *session.Session, done func(), syncErr, err error) {
	if err := e.ui.load(cmd); err != nil {
		return nil, nil, nil, err
	}
	e.ui.readOnlySwitch.Set()
	e.ui.reader = true
	e.ui.cfg.Logs.BufferLines = max(e.ui.cfg.Logs.BufferLines, logLines)
	log, closeLog, err := openLog(e.ui.logFile)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err = e.open(ctx, cmd, *e.ui, log)
	if err != nil {
		closeLog()
		return nil, nil, nil, err
	}
	// Internal failures go to the log file; nothing but the answer is
	// written to the terminal.
	s.Go("the error log", func(ctx context.Context) {
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-s.Errors():
				log.Warn("internal failure", "err", err)
			}
		}
	})
	wctx, cancel := context.WithTimeout(ctx, e.syncWait())
	syncErr = s.Watcher.WaitForSync(wctx)
	cancel()
	return s, func() { _ = s.Close(); closeLog() }, syncErr, nil
}

// addCommands adds status, report and logs under parent.
func addCommands(parent *cobra.Command, env commandEnv) {
	parent.AddCommand(newStatusCmd(env), newReportCmd(env), newLogsCmd(env))
}

func newStatusCmd(env commandEnv) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "status",
		Short: "Print the members summary and every finding; exit 0 healthy, 1 degraded, 2 cannot tell",
		Long: "status prints what the console would flag: components short of ready members, members not ready,\n" +
			"containers crash-looping or restarted in the last hour, unschedulable pods, upgrades in progress and\n" +
			"failing watches. Exit code 0: healthy, 1: degraded, 2: cannot tell (cannot connect, the watches did not\n" +
			"sync within --request-timeout (default 20s), or one that health comes from fails, e.g. forbidden).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" && output != "yaml" {
				return &exitError{code: 2, err: fmt.Errorf("-o %q: want text, json or yaml", output)}
			}
			s, done, _, err := env.readOnlySession(cmd.Context(), cmd, 0)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			defer done()
			snap := s.Watcher.Snapshot()
			st := status.Of(snap, time.Now())
			if st.Context == "" {
				st.Context = s.Clients.Context
			}
			if st.Scope == "" {
				st.Scope = s.Scope.String()
			}
			if err := writeStatus(cmd.OutOrStdout(), st, output); err != nil {
				return &exitError{code: 2, err: err}
			}
			switch st.Verdict {
			case status.Healthy:
				return nil
			case status.Degraded:
				return &exitError{code: 1} // the findings were printed
			}
			return &exitError{code: 2, err: errors.New(st.Reason)}
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "text, json or yaml")
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// writeStatus prints the status; in text, a status that cannot be told
// prints nothing (its one line goes to stderr).
func writeStatus(w io.Writer, st status.Status, output string) error {
	switch output {
	case "json":
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return fmt.Errorf("status as JSON: %w", err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "yaml":
		b, err := yaml.Marshal(st)
		if err != nil {
			return fmt.Errorf("status as YAML: %w", err)
		}
		_, err = w.Write(b)
		return err
	}
	if st.Verdict == status.Unknown {
		return nil
	}
	return status.WriteText(w, st)
}

func newReportCmd(env commandEnv) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "report",
		Short: "Write the triage report (Markdown): to the state directory by default, -o FILE, or -o - for stdout",
		Long: "report writes the triage report the console's ctrl+s writes, reading the Flink and Pravega REST APIs\n" +
			"itself. Without -o it goes to the state directory (" + config.StateDir() + ") and its path is printed;\n" +
			"-o FILE writes FILE (mode 0600), -o - writes the report to stdout.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, done, syncErr, err := env.readOnlySession(cmd.Context(), cmd, 0)
			if err != nil {
				return err
			}
			defer done()
			in := report.Input{Context: s.Clients.Context, Scope: s.Scope.String(), User: s.Clients.User}
			if snap := s.Watcher.Snapshot(); snap != nil && snap.Seq > 0 {
				in.Snapshot = snap
				// The monitor learns the REST endpoints from snapshots; it is
				// handed this one now rather than when its loop gets to it.
				s.Streams.Observe(snap)
			}
			rctx, cancel := context.WithTimeout(cmd.Context(), reportRESTWait)
			in.AddREST(s.Streams.ReadNow(rctx))
			cancel()
			in.Now = time.Now()
			if syncErr != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "streamops: report: "+oneLine(syncErr.Error())+"; the report says what was seen")
			}
			switch output {
			case "":
				path, err := report.Write(config.StateDir(), in)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), path)
				return nil
			case "-":
				_, err := io.WriteString(cmd.OutOrStdout(), report.Markdown(in))
				return err
			}
			if err := os.WriteFile(output, []byte(report.Markdown(in)), 0o600); err != nil {
				return fmt.Errorf("triage report: %w", err)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "write the report to this file; - for stdout (default: the state directory, path printed)")
	return c
}
