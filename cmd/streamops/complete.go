package main

// Dynamic shell completion (cobra's `completion` command writes the
// scripts): contexts from the kubeconfig, namespaces and log components
// from the cluster. Each asks with a short timeout and completes nothing
// when it fails: a completion never prints an error.

import (
	"context"
	"slices"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/logs"
)

// completionWait bounds what one completion asks the cluster.
const completionWait = 3 * time.Second

// registerCompletions adds the dynamic completions of the root's flags.
func registerCompletions(root *cobra.Command, kopts *kube.Options, ui *uiOptions) {
	_ = root.RegisterFlagCompletionFunc("context", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return contexts{kopts}.Contexts(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.RegisterFlagCompletionFunc("namespace", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return completeNamespaces(cmd, kopts, ui), cobra.ShellCompDirectiveNoFileComp
	})
}

func completeNamespaces(cmd *cobra.Command, kopts *kube.Options, ui *uiOptions) []string {
	if err := ui.load(cmd); err != nil {
		return nil
	}
	_, closeLog, err := openLog(ui.logFile) // client-go's warnings go there
	if err != nil {
		return nil
	}
	defer closeLog()
	clients, _, err := kopts.Connect()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionWait)
	defer cancel()
	list, err := clients.Typed.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(list.Items))
	for _, ns := range list.Items {
		out = append(out, ns.Name)
	}
	slices.Sort(out)
	return out
}

// completeComponents lists what `logs` takes by name (logs.QueryNames),
// from a snapshot of the platform taken within completionWait.
func (e commandEnv) completeComponents(cmd *cobra.Command) []string {
	ctx, cancel := context.WithTimeout(cmd.Context(), completionWait)
	defer cancel()
	s, done, _, err := e.readOnlySession(ctx, cmd, 0)
	if err != nil {
		return nil
	}
	defer done()
	return logs.QueryNames(s.Watcher.Snapshot())
}
