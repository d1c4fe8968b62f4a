package logs

import "testing"

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		level Level
		class Class
	}{
		{"log4j error", "2026-11-24 09:00:01,123 ERROR [main] o.a.b.Journal - Error while flushing journal", LevelError, Plain},
		{"log4j warn", "2026-11-24 09:00:01,123 WARN  [core-3] i.p.s.DurableLog - slow write", LevelWarn, Plain},
		{"log4j info", "2026-11-24 09:00:01,123 INFO  [core-3] i.p.s.DurableLog - ERROR in message does not count", LevelInfo, Plain},
		{"pravega format", "2026-11-24 09:00:01,234 3021 [core-12] WARN  i.p.s.s.l.DurableLog - SegmentContainer[3]: late", LevelWarn, Plain},
		{"zookeeper format", "2026-11-24 09:00:01,123 [myid:1] - ERROR [QuorumPeer[myid=1]:Leader@1296] - Unexpected exception", LevelError, Plain},
		{"flink format", "2026-11-24 09:00:01,123 INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator [] - Completed checkpoint 12", LevelInfo, Plain},
		{"bracketed upper", "[WARN] 2026-11-24 disk at 91%", LevelWarn, Plain},
		{"bracketed lower", "[error] upstream timed out", LevelError, Plain},
		{"WARNING word", "WARNING: An illegal reflective access operation has occurred", LevelWarn, Plain},
		{"SEVERE jul", "Nov 24, 2026 9:00:01 AM org.foo.Bar run SEVERE: boom", LevelError, Plain},
		{"FATAL", "FATAL exiting", LevelError, Plain},
		{"DEBUG", "2026-11-24 09:00:01 DEBUG x", LevelDebug, Plain},
		{"Errors is not ERROR", "Errors: 0, Warnings: 0", LevelNone, Plain},
		{"lower error word is not a level", "no error occurred", LevelNone, Plain},
		{"exception in thread", `Exception in thread "main" java.lang.IllegalStateException: boom`, LevelError, Plain},
		{"stack frame", "    at com.foo.Bar.run(Bar.java:42)", LevelError, Frame},
		{"stack frame native", "    at java.base/java.lang.Thread.run(Thread.java:840)", LevelError, Frame},
		{"caused by", "Caused by: java.io.IOException: No space left on device", LevelError, Frame},
		{"indented caused by", "    Caused by: java.io.IOException: x", LevelError, Frame},
		{"more", "    ... 12 more", LevelError, Frame},
		{"suppressed", "    Suppressed: java.lang.RuntimeException", LevelError, Frame},
		{"exception header", "java.io.IOException: No space left on device", LevelError, Exception},
		{"error header", "java.lang.OutOfMemoryError: Java heap space", LevelError, Exception},
		{"exception header bare", "org.apache.flink.runtime.JobException", LevelError, Exception},
		{"not an exception: prose", "Restarting after Exception: see above", LevelNone, Plain},
		{"logfmt error", `time=2026-11-24T09:00:01Z level=error msg="dial tcp: refused"`, LevelError, Plain},
		{"logfmt warn", `time=2026-11-24T09:00:01Z level=warn msg=slow`, LevelWarn, Plain},
		{"logfmt warning upper", `ts=1 level=WARNING msg=x`, LevelWarn, Plain},
		{"logfmt quoted", `level="error" msg=x`, LevelError, Plain},
		{"log15 eror", `t=2026-11-24T09:00:01 lvl=eror msg=x`, LevelError, Plain},
		{"log15 dbug", `t=2026-11-24T09:00:01 lvl=dbug msg=x`, LevelDebug, Plain},
		{"logfmt key must be a field", `msg="xlevel=error"`, LevelNone, Plain},
		{"json zap", `{"level":"error","ts":1764000000.1,"msg":"failed"}`, LevelError, Plain},
		{"json spaced", `{"ts": 1, "level": "warn", "msg": "slow"}`, LevelWarn, Plain},
		{"json severity", `{"severity":"ERROR","message":"x"}`, LevelError, Plain},
		{"json info", `{"level":"info","msg":"ERROR in text"}`, LevelInfo, Plain},
		{"klog error", "E1124 09:00:01.123456       1 controller.go:42] sync failed", LevelError, Plain},
		{"klog warning", "W1124 09:00:01.123456       1 reflector.go:1] watch closed", LevelWarn, Plain},
		{"klog info", "I1124 09:00:01.123456       1 main.go:1] started", LevelInfo, Plain},
		{"go panic", "panic: runtime error: index out of range [3] with length 3", LevelError, Plain},
		{"goroutine header", "goroutine 1 [running]:", LevelError, Frame},
		{"go frame", "    /src/main.go:12 +0x1d", LevelError, Frame},
		{"plain", "hello", LevelNone, Plain},
		{"empty", "", LevelNone, Plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// lines are detected after sanitising, as the engine does
			line := Sanitize(nil, []byte(tt.line), 0)
			level, class := Detect(line)
			if level != tt.level || class != tt.class {
				t.Errorf("Detect(%q) = %s, %d; want %s, %d", tt.line, level, class, tt.level, tt.class)
			}
		})
	}
}

// TestResolveStackTrace walks a Java error with its stack trace and cause:
// one error event, the rest continuation lines.
func TestResolveStackTrace(t *testing.T) {
	lines := []struct {
		text  string
		level Level
		cont  bool
	}{
		{"2026-11-24 09:00:01,123 ERROR [core-3] Journal - write failed", LevelError, false},
		{"java.io.IOException: No space left on device", LevelError, true},
		{"\tat org.apache.bookkeeper.bookie.Journal.run(Journal.java:1106)", LevelError, true},
		{"Caused by: java.nio.channels.ClosedChannelException", LevelError, true},
		{"\t... 3 more", LevelError, true},
		{"2026-11-24 09:00:02,000 INFO  [core-3] Journal - recovered", LevelInfo, false},
		{"2026-11-24 09:00:03,000 WARN  [core-3] Journal - slow fsync", LevelWarn, false},
		{"\tat org.apache.bookkeeper.bookie.Journal.run(Journal.java:1)", LevelWarn, true},
		{"java.lang.IllegalStateException: uncaught", LevelError, true},
		{"hello", LevelNone, false},
		{"java.lang.IllegalStateException: printed bare", LevelError, false},
	}
	prev := LevelNone
	for i, l := range lines {
		lvl, class := Detect(Sanitize(nil, []byte(l.text), 0))
		lvl, cont := Resolve(prev, lvl, class)
		if !cont {
			prev = lvl
		}
		if lvl != l.level || cont != l.cont {
			t.Errorf("line %d %q: %s cont=%v, want %s cont=%v", i, l.text, lvl, cont, l.level, l.cont)
		}
	}
}
