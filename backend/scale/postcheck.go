package scale

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/kube"
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
// The log engine (backend/logs) can be plugged in here; PodLogScanner
// reads the pods/log API directly.
type LogScanner interface {
	Scan(ctx context.Context, targets []LogTarget, since time.Time) ([]LogFinding, error)
}

// PodLogScanner scans logs through the pods/log API, a few containers at a
// time, reading at most MaxBytes of each.
type PodLogScanner struct {
	Typed    kubernetes.Interface
	MaxBytes int64 // default 1 MiB
}

// errorLine matches the error lines of JVM (Pravega, BookKeeper, ZooKeeper,
// Flink) and Go logs.
var errorLine = regexp.MustCompile(`\b(ERROR|FATAL|SEVERE)\b|Exception\b|\blevel=(error|fatal)\b|"level":"(error|fatal)"|^panic:`)

// Scan implements LogScanner.
func (s PodLogScanner) Scan(ctx context.Context, targets []LogTarget, since time.Time) ([]LogFinding, error) {
	limit := s.MaxBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	out := make([]LogFinding, len(targets))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = LogFinding{Target: t, Err: ctx.Err().Error()}
				return
			}
			defer func() { <-sem }()
			out[i] = s.scanOne(ctx, t, since, limit)
		}()
	}
	wg.Wait()
	return out, nil
}

func (s PodLogScanner) scanOne(ctx context.Context, t LogTarget, since time.Time, limit int64) LogFinding {
	f := LogFinding{Target: t}
	st := metav1.NewTime(since)
	rc, err := s.Typed.CoreV1().Pods(t.Namespace).GetLogs(t.Pod, &corev1.PodLogOptions{Container: t.Container, SinceTime: &st, LimitBytes: &limit}).Stream(ctx)
	if err != nil {
		f.Err = kube.Explain(err).Error()
		return f
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if errorLine.MatchString(line) {
			f.Errors++
			if len(f.Samples) < 3 {
				f.Samples = append(f.Samples, truncate(strings.TrimSpace(line), 160))
			}
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		f.Err = err.Error()
	}
	return f
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
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
