package scale

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamops/streamops/backend/platform"
)

// LogTarget is one container whose logs the post-scale check reads.
type LogTarget struct {
	Namespace, Pod, Container string
}

func (t LogTarget) String() string { return t.Pod + "/" + t.Container }

// LogFinding is what the scan found in one container's logs.
type LogFinding struct {
	Target  LogTarget
	Errors  int      // error lines
	Samples []string // the first few of them
	Err     string   // the logs could not be read
}

// LogScanner reads containers' logs since a time and reports error lines.
// SourceScanner implements it with the log engine's pieces.
type LogScanner interface {
	Scan(ctx context.Context, targets []LogTarget, since time.Time) ([]LogFinding, error)
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// PostCheck is the verdict after a plan: logs and restarts of every
// changed component, with the evidence.
type PostCheck struct {
	Verdict  Status
	Summary  string
	Evidence []string
	Findings []LogFinding
}

// postCheck scans the changed components' logs since each step began and
// re-checks their restarts against the snapshot taken before the plan.
func (e *Engine) postCheck(ctx context.Context, baseline []*platform.Component, applied []appliedStep) PostCheck {
	snap := e.cfg.Source.Snapshot()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var findings []LogFinding
	var scanErr []string
	for _, a := range applied {
		c := snap.Component(a.step.Key)
		if c == nil {
			continue
		}
		var targets []LogTarget
		for _, m := range c.Members {
			for _, ct := range m.Containers {
				if !ct.Init {
					targets = append(targets, LogTarget{Namespace: m.Namespace, Pod: m.Name, Container: ct.Name})
				}
			}
		}
		fs, err := e.cfg.Logs.Scan(ctx, targets, a.started)
		if err != nil {
			scanErr = append(scanErr, fmt.Sprintf("%s: %v", a.step.Key, err))
		} else {
			e.rescanUnread(ctx, fs, a.started)
		}
		findings = append(findings, fs...)
	}
	keys := make([]string, 0, len(applied))
	for _, a := range applied {
		keys = append(keys, a.step.Key)
	}
	pc := Verdict(baseline, snap.Components, keys, findings)
	for _, s := range scanErr {
		pc.Evidence = append(pc.Evidence, "▲ log scan: "+s)
		pc.Verdict = worst(pc.Verdict, Warn)
	}
	return pc
}

// rescanUnread reads once more, after Config.LogRetry, the logs of the
// containers in fs that could not be read: a member that has just turned
// Ready may not have written any yet, and its verdict should rest on its
// logs rather than on their absence. A second read that succeeds replaces
// the finding; one that fails again leaves the first reason.
func (e *Engine) rescanUnread(ctx context.Context, fs []LogFinding, since time.Time) {
	var again []LogTarget
	var at []int
	for i, f := range fs {
		if f.Err != "" {
			again, at = append(again, f.Target), append(at, i)
		}
	}
	if len(again) == 0 || e.cfg.LogRetry < 0 {
		return
	}
	t := time.NewTimer(e.cfg.LogRetry)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	second, err := e.cfg.Logs.Scan(ctx, again, since)
	if err != nil || len(second) != len(again) {
		return
	}
	for j, f := range second {
		if f.Err == "" && f.Target == again[j] {
			fs[at[j]] = f
		}
	}
}

// Verdict judges the changed components (keys): a restart since the plan
// began, a crash loop or a member not ready fails; error lines in the logs
// (or logs that could not be read) warn.
func Verdict(before, after []*platform.Component, keys []string, findings []LogFinding) PostCheck {
	pc := PostCheck{Verdict: Pass, Findings: findings}
	restarts := map[string]int32{}
	for _, c := range before {
		for _, m := range c.Members {
			for _, ct := range m.Containers {
				restarts[m.Namespace+"/"+m.Name+"/"+ct.Name] = ct.RestartCount
			}
		}
	}
	var restarted, notReady []string
	members := 0
	for _, c := range after {
		if !slices.Contains(keys, c.Key()) {
			continue
		}
		for _, m := range c.Members {
			members++
			if !m.Ready && !m.Terminating {
				notReady = append(notReady, m.Name)
				pc.Evidence = append(pc.Evidence, fmt.Sprintf("✖ %s is not ready (%s)", m.Name, strings.TrimSpace(m.Phase+" "+m.Reason)))
			}
			for _, ct := range m.Containers {
				prev := restarts[m.Namespace+"/"+m.Name+"/"+ct.Name]
				if ct.RestartCount > prev || ct.Reason == "CrashLoopBackOff" {
					restarted = append(restarted, m.Name+"/"+ct.Name)
					line := fmt.Sprintf("✖ %s/%s restarted %d time(s) since the plan began", m.Name, ct.Name, ct.RestartCount-prev)
					if ct.Last != nil {
						line += fmt.Sprintf(", last %s (exit %d)", ct.Last.Reason, ct.Last.ExitCode)
					}
					if ct.Reason == "CrashLoopBackOff" {
						line += ", now in CrashLoopBackOff"
					}
					pc.Evidence = append(pc.Evidence, line)
				}
			}
		}
	}
	errLines, unread := 0, 0
	for _, f := range findings {
		switch {
		case f.Err != "":
			unread++
			pc.Evidence = append(pc.Evidence, fmt.Sprintf("▲ %s: logs not read: %s", f.Target, f.Err))
		case f.Errors > 0:
			errLines += f.Errors
			pc.Evidence = append(pc.Evidence, fmt.Sprintf("▲ %s: %d error line(s)", f.Target, f.Errors))
			for _, s := range f.Samples {
				pc.Evidence = append(pc.Evidence, "    "+s)
			}
		}
	}
	switch {
	case len(restarted) > 0 || len(notReady) > 0:
		pc.Verdict = Fail
		var parts []string
		if len(restarted) > 0 {
			parts = append(parts, fmt.Sprintf("%d container(s) restarted", len(restarted)))
		}
		if len(notReady) > 0 {
			parts = append(parts, fmt.Sprintf("%d member(s) not ready", len(notReady)))
		}
		pc.Summary = "unhealthy: " + strings.Join(parts, ", ")
	case errLines > 0 || unread > 0:
		pc.Verdict = Warn
		pc.Summary = fmt.Sprintf("healthy, but %d error line(s) in the logs", errLines)
		if unread > 0 {
			pc.Summary += fmt.Sprintf(" and %d container(s) whose logs could not be read", unread)
		}
	default:
		pc.Summary = fmt.Sprintf("healthy: %d member(s) ready, no restarts, no error lines in %d container log(s)", members, len(findings))
	}
	return pc
}
