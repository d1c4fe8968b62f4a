package restapi

import (
	"fmt"
	"time"

	"github.com/streamops/streamops/backend/restapi/flink"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

// The texts here are shared by the findings, the streams pane and the
// triage report: one spelling of a size, a duration and a policy.

// Duration is a short duration: 0.4s, 12s, 4m20s, 2h05m, 3d.
func Duration(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 100*time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd", d/(24*time.Hour))
}

// ScalingText is a scaling policy in a few words: "fixed 3",
// "1000 ev/s ×2 min 4", "512 KiB/s ×2 min 2".
func ScalingText(s *pravega.Scaling) string {
	if s == nil {
		return "-"
	}
	switch s.Type {
	case pravega.FixedSegments:
		return fmt.Sprintf("fixed %d", s.MinSegments)
	case pravega.ByEventRate:
		return fmt.Sprintf("%d ev/s ×%d min %d", s.TargetRate, s.ScaleFactor, s.MinSegments)
	case pravega.ByByteRate:
		return fmt.Sprintf("%d KiB/s ×%d min %d", s.TargetRate, s.ScaleFactor, s.MinSegments)
	}
	if s.Raw == "" {
		return fmt.Sprintf("min %d", s.MinSegments)
	}
	return fmt.Sprintf("%s min %d", s.Raw, s.MinSegments)
}

// ScalingLong explains a scaling policy in a sentence.
func ScalingLong(s *pravega.Scaling) string {
	if s == nil {
		return "no scaling policy reported"
	}
	switch s.Type {
	case pravega.FixedSegments:
		return fmt.Sprintf("fixed at %d segments", s.MinSegments)
	case pravega.ByEventRate:
		return fmt.Sprintf("by event rate: a segment splits in %d above %d events/s, at least %d segments", s.ScaleFactor, s.TargetRate, s.MinSegments)
	case pravega.ByByteRate:
		return fmt.Sprintf("by byte rate: a segment splits in %d above %d KiB/s, at least %d segments", s.ScaleFactor, s.TargetRate, s.MinSegments)
	}
	return ScalingText(s)
}

// RetentionText is a retention policy: "7d", "36h", "10 GiB", "none".
func RetentionText(r *pravega.Retention) string {
	if r == nil {
		return "none"
	}
	switch r.Type {
	case pravega.ByTime:
		s := period(r.Time)
		if r.MaxTime > r.Time {
			s += "–" + period(r.MaxTime)
		}
		return s
	case pravega.BySize:
		s := Size(r.Value << 20)
		if r.MaxValue > r.Value {
			s += "–" + Size(r.MaxValue<<20)
		}
		return s
	}
	return fmt.Sprintf("%s %d", r.Raw, r.Value)
}

// period is a retention period: 7d, 1d12h, 36h, 90m.
func period(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

// Size is a byte count in binary units: 512 B, 4.0 MiB, 100 GiB.
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	suffix := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[exp]
	if v >= 100 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f %s", v, suffix)
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}

// WatermarkText is a vertex's watermark in a few words: "08:58:12", "none yet",
// "none yet (2/6)" when some subtasks have one.
func WatermarkText(w flink.Watermark, loc *time.Location) string {
	switch {
	case !w.Read:
		return "-"
	case w.Known():
		return w.Time().In(loc).Format("15:04:05")
	case w.Subtasks == 0:
		return "no subtasks"
	case w.Missing < w.Subtasks:
		return fmt.Sprintf("none yet (%d/%d)", w.Subtasks-w.Missing, w.Subtasks)
	}
	return "none yet"
}

// TaskManagerText is a TaskManager in a line: "10.42.0.7:6122 · heap 1.9
// GiB of 2 GiB (95%) · direct 60 MiB of 128 MiB · managed 512 MiB · GC
// 42× 1s · heartbeat 3s ago".
func TaskManagerText(t *flink.TaskManager, now time.Time) string {
	s := t.Name()
	if share, ok := t.HeapShare(); ok {
		s += fmt.Sprintf(" · heap %s of %s (%.0f%%)", Size(t.HeapUsed), Size(t.HeapMax), share*100)
	}
	if t.Direct > 0 {
		s += fmt.Sprintf(" · direct %s of %s", Size(t.DirectUsed), Size(t.Direct))
	}
	if t.Managed > 0 {
		s += " · managed " + Size(t.Managed)
	}
	if len(t.GC) > 0 {
		n, d := int64(0), time.Duration(0)
		for _, g := range t.GC {
			n, d = n+g.Count, d+g.Time
		}
		s += fmt.Sprintf(" · GC %d× %s", n, Duration(d))
	}
	if !t.Heartbeat.IsZero() {
		s += " · heartbeat " + Duration(now.Sub(t.Heartbeat)) + " ago"
	}
	return s
}

// ExceptionsText sums up an exception history: "16 failures kept, 3 in
// the last hour · newest 3 listed" (listed: how many the reader sees).
func ExceptionsText(e *flink.Exceptions, now time.Time, listed int) string {
	if len(e.Entries) == 0 {
		return "no failure recorded"
	}
	s := fmt.Sprintf("%d failures kept, %d in the last hour", len(e.Entries), e.Since(now.Add(-RestartWindow)))
	if len(e.Entries) == 1 {
		s = fmt.Sprintf("1 failure kept, %d in the last hour", e.Since(now.Add(-RestartWindow)))
	}
	if e.Truncated {
		s += " (older ones not read)"
	}
	if len(e.Entries) > listed {
		s += fmt.Sprintf(" · newest %d listed", listed)
	}
	return s
}

// ExceptionWhere says where a failure happened: "in Window (2/6) on
// 10.42.0.7:6122 (TaskManager tm-1)", "global failure (no task)".
func ExceptionWhere(x *flink.Exception) string {
	if x.Task == "" {
		return "global failure (no task)"
	}
	s := "in " + x.Task
	if x.Location != "" {
		s += " on " + x.Location
	}
	if x.TaskManager != "" {
		s += " (TaskManager " + x.TaskManager + ")"
	}
	return s
}

// PressureText explains a back-pressure sample with subtasks: its level,
// the subtask back-pressured most, and how busy and idle that one was.
func PressureText(bp *flink.BackPressure) string {
	i, ratio := bp.Worst()
	w := bp.WorstSubtask()
	level := bp.Level
	if level == "" {
		level = "none"
	}
	return fmt.Sprintf("back-pressure %s: subtask %d/%d back-pressured %.0f%% of the time, busy %.0f%%, idle %.0f%%",
		level, i+1, len(bp.Subtasks), ratio*100, w.Busy*100, w.Idle*100)
}
