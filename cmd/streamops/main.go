// Command streamops is a terminal operations console for stream-analytics
// platforms on Kubernetes: Pravega (ZooKeeper, BookKeeper, Segment Store,
// Controller) and Flink.
//
//	streamops            open the console on the current kubeconfig context
//	streamops demo       open it on the embedded demo platform
//	streamops status     print the health and findings; exit 0, 1 or 2
//	streamops report     write the triage report
//	streamops logs       print merged logs of many pods
//	streamops version    print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/streamops/streamops/backend/kube"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries the process exit code of a failure; one whose err is
// nil was explained already (status printed its findings) and main prints
// nothing more.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err := newRoot().ExecuteContext(ctx)
	if err == nil {
		return
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			os.Exit(code)
		}
	}
	fmt.Fprintln(os.Stderr, "streamops: "+oneLine(err.Error()))
	os.Exit(code)
}

func oneLine(s string) string {
	for i, r := range s {
		if r == '\n' || r == '\r' {
			return s[:i]
		}
	}
	return s
}

func newRoot() *cobra.Command {
	kopts := kube.NewOptions()
	var ui uiOptions
	root := &cobra.Command{
		Use:   "streamops",
		Short: "Operations console for Pravega and Flink on Kubernetes",
		Long: "streamops watches a stream-analytics platform (Pravega's ZooKeeper, BookKeeper, Segment Store and\n" +
			"Controller; Flink JobManagers and TaskManagers) and guides on-call engineers through triage and scaling.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ui.load(cmd); err != nil {
				return err
			}
			return runCluster(cmd.Context(), kopts, ui)
		},
	}
	kopts.AddFlags(root.PersistentFlags())
	root.PersistentFlags().BoolVarP(&kopts.AllNamespaces, "all-namespaces", "A", false, "watch every namespace")
	ui.addFlags(root)

	var demoOpts demoOptions
	demoCmd := &cobra.Command{
		Use:   "demo",
		Short: "Open the console on an embedded demo platform (no cluster needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ui.load(cmd); err != nil {
				return err
			}
			return runDemo(cmd.Context(), demoOpts, ui)
		},
	}
	demoCmd.PersistentFlags().Uint64Var(&demoOpts.seed, "seed", 1, "seed of the simulator's randomness")
	demoCmd.PersistentFlags().Float64Var(&demoOpts.speed, "speed", 1, "simulation speed factor, at most 100")
	demoCmd.PersistentFlags().BoolVar(&demoOpts.calm, "calm", false, "no simulated faults")
	demoCmd.PersistentFlags().StringVar(&demoOpts.scenario, "scenario", "", "what goes wrong when scaling: stuck-member, short-resources, change-freeze or no-patch")

	versionCmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "streamops "+version)
		},
	}
	keysCmd := &cobra.Command{
		Use:   "keys",
		Short: "List the key bindings and the names the configuration file's keys section uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ui.load(cmd); err != nil {
				return err
			}
			for _, line := range ui.keys.Describe() {
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			return nil
		},
	}
	addCommands(root, commandEnv{ui: &ui, kopts: kopts, open: clusterOpener(kopts)})
	addCommands(demoCmd, commandEnv{ui: &ui, kopts: kopts, open: demoOpener(&demoOpts, kopts)})
	registerCompletions(root, kopts, &ui)
	root.AddCommand(demoCmd, versionCmd, keysCmd)
	return root
}
