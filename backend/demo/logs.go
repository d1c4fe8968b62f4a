package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/streamops/streamops/backend/logs"
)

// LogSource returns the demo's log source. client-go's fake clientset
// answers every log request with "fake logs", so the demo plays the
// kubelet's log endpoint itself: ZooKeeper, BookKeeper, Pravega and Flink
// containers write the lines those programs write (with an occasional
// warning, error and stack trace), a crashed container's previous instance
// ends the way it crashed, and a stream ends when its container restarts or
// its pod goes, as a kubelet's does. Lines are a function of the seed, the
// container and the time, so a fake clock gives the same logs every run.
func (p *Platform) LogSource() logs.Source { return &logSource{p: p} }

type logSource struct{ p *Platform }

// life is one instance of a container: when it started, when it ended
// (zero while it runs) and how.
type life struct {
	start, end  time.Time
	incarnation int32
	reason      string
	exit        int32
}

func (s *logSource) Open(ctx context.Context, t logs.Target, o logs.StreamOptions) (io.ReadCloser, error) {
	pod, err := s.p.typed.CoreV1().Pods(t.Namespace).Get(ctx, t.Pod, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", t, err)
	}
	cs, ok := containerStatus(pod, t.Container)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", t.Container, t.Pod))
	}
	var lf life
	switch {
	case o.Previous:
		term := cs.LastTerminationState.Terminated
		if term == nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("previous terminated container %q in pod %q not found", t.Container, t.Pod))
		}
		lf = life{start: term.StartedAt.Time, end: term.FinishedAt.Time, incarnation: cs.RestartCount - 1, reason: term.Reason, exit: term.ExitCode}
	case cs.State.Running != nil:
		lf = life{start: cs.State.Running.StartedAt.Time, incarnation: cs.RestartCount}
	case cs.State.Terminated != nil:
		term := cs.State.Terminated
		lf = life{start: term.StartedAt.Time, end: term.FinishedAt.Time, incarnation: cs.RestartCount, reason: term.Reason, exit: term.ExitCode}
	default:
		reason := "ContainerCreating"
		if cs.State.Waiting != nil {
			reason = cs.State.Waiting.Reason
		}
		return nil, apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: %s", t.Container, t.Pod, reason))
	}
	g := newGenerator(s.p.opts.Seed, s.p.opts.Speed, t, pod, lf)
	pr, pw := io.Pipe()
	go func() {
		defer func() {
			if r := recover(); r != nil {
				pw.CloseWithError(fmt.Errorf("demo log source: %v", r))
			}
		}()
		pw.CloseWithError(g.serve(ctx, pw, o, s))
	}()
	return pr, nil
}

func containerStatus(pod *corev1.Pod, name string) (corev1.ContainerStatus, bool) {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses} {
		for _, cs := range list {
			if cs.Name == name {
				return cs, true
			}
		}
	}
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range list {
			if c.Name == name {
				return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}, true
			}
		}
	}
	return corev1.ContainerStatus{}, false
}

// alive reports whether the container instance a stream follows still runs.
func (s *logSource) alive(ctx context.Context, t logs.Target, incarnation int32) bool {
	pod, err := s.p.typed.CoreV1().Pods(t.Namespace).Get(ctx, t.Pod, metav1.GetOptions{})
	if err != nil || pod.DeletionTimestamp != nil {
		return false
	}
	cs, ok := containerStatus(pod, t.Container)
	return ok && cs.RestartCount == incarnation && cs.State.Running != nil
}

type logKind int

const (
	kindGeneric logKind = iota
	kindZooKeeper
	kindBookie
	kindSegmentStore
	kindController
	kindJobManager
	kindTaskManager
	kindGoService
)

// generator writes the log of one container instance.
type generator struct {
	t       logs.Target
	kind    logKind
	life    life
	seed    uint64
	period  time.Duration
	ordinal int
	ip      string
	job     string
}

// newGenerator picks the container's program and how often it logs; speed
// shortens that period as it shortens every other delay of the simulation.
func newGenerator(seed uint64, speed float64, t logs.Target, pod *corev1.Pod, lf life) *generator {
	g := &generator{t: t, life: lf, seed: seed ^ uint64(fnv(t.String()))<<16, ip: pod.Status.PodIP}
	switch {
	case t.Container == "zookeeper":
		g.kind, g.period = kindZooKeeper, 3*time.Second
	case t.Container == "bookie":
		g.kind, g.period = kindBookie, 1500*time.Millisecond
	case t.Container == "pravega-segmentstore":
		g.kind, g.period = kindSegmentStore, 900*time.Millisecond
	case t.Container == "pravega-controller":
		g.kind, g.period = kindController, 2*time.Second
	case pod.Labels["component"] == "jobmanager":
		g.kind, g.period = kindJobManager, 2500*time.Millisecond
	case pod.Labels["component"] == "taskmanager":
		g.kind, g.period = kindTaskManager, 1200*time.Millisecond
	case t.Container == "sync":
		g.kind, g.period = kindGoService, 700*time.Millisecond
	default:
		g.kind, g.period = kindGeneric, 3*time.Second
	}
	g.period = max(scaled(speed, g.period), 2*time.Millisecond)
	if i := strings.LastIndexByte(t.Pod, '-'); i >= 0 {
		g.ordinal, _ = strconv.Atoi(t.Pod[i+1:])
	}
	app := pod.Labels["app"]
	g.job = fmt.Sprintf("%08x%08x%08x%08x", fnv(app), fnv(app+"1"), fnv(app+"2"), fnv(app+"3"))
	return g
}

// at is when event k happens: a steady rhythm with a seeded jitter.
func (g *generator) at(k int) time.Time {
	jitter := time.Duration(uint64(fnv(fmt.Sprint(g.seed, k))) % uint64(g.period/2))
	return g.life.start.Add(time.Duration(k)*g.period + jitter)
}

// last is the last event at or before t, -1 when none.
func (g *generator) last(t time.Time) int {
	if t.Before(g.life.start) {
		return -1
	}
	k := int(t.Sub(g.life.start) / g.period)
	for k >= 0 && g.at(k).After(t) {
		k--
	}
	return k
}

type stamped struct {
	ts   time.Time
	text string
}

// lines returns the lines of event k, stamped a microsecond apart.
func (g *generator) lines(k int) []stamped {
	ts := g.at(k)
	r := rand.New(rand.NewPCG(g.seed, uint64(g.life.incarnation)<<32|uint64(k)))
	var texts []string
	if k < len(g.startup()) {
		texts = []string{g.startup()[k]}
	} else {
		texts = g.event(r, ts)
	}
	out := make([]stamped, len(texts))
	for i, s := range texts {
		out[i] = stamped{ts.Add(time.Duration(i) * time.Microsecond), g.format(s, ts)}
	}
	return out
}

// finale is how an instance that ended wrote its last lines.
func (g *generator) finale() []stamped {
	ts := g.life.end.Add(-time.Millisecond)
	var texts []string
	switch {
	case g.life.reason == "OOMKilled":
		// the kernel kills the JVM: no last word, only a heap that filled up
		texts = []string{
			"WARN |GC pause (G1 Evacuation Pause) took 2861 ms; heap 3987M->3979M(4096M), to-space exhausted",
			"WARN |GC pause (G1 Humongous Allocation) took 4120 ms; heap 4090M->4088M(4096M)",
		}
	case g.kind == kindGoService:
		texts = []string{
			`level=error msg="acquire lock on tier-2" path=/mnt/tier2/.sync.lock err="open /mnt/tier2/.sync.lock: permission denied"`,
			"panic: open /mnt/tier2/.sync.lock: permission denied",
			"",
			"goroutine 1 [running]:",
			"main.acquireLock({0xc000124000, 0x19})",
			"\t/src/cmd/tier2-sync/main.go:142 +0x1c5",
			"main.main()",
			"\t/src/cmd/tier2-sync/main.go:61 +0x2b4",
		}
	case g.life.exit == 143:
		texts = []string{
			"INFO  |org.apache.flink.runtime.taskexecutor.TaskManagerRunner - RECEIVED SIGNAL 15: SIGTERM. Shutting down as requested.",
			"INFO  |org.apache.flink.runtime.taskexecutor.TaskExecutor - Stopping TaskExecutor akka.tcp://flink@" + g.ip + ":6122/user/rpc/taskmanager_0.",
			"INFO  |org.apache.flink.runtime.taskexecutor.TaskManagerRunner - Terminating TaskManagerRunner with exit code 143.",
		}
	case g.kind != kindSegmentStore:
		texts = []string{
			"ERROR |Unhandled exception in " + g.thread(1) + ", shutting down",
			"java.lang.IllegalStateException: ZooKeeper session 0x1000a3f2 expired",
			"\tat org.apache.curator.ConnectionState.checkTimeouts(ConnectionState.java:244)",
			"\tat org.apache.curator.CuratorZookeeperClient.getZooKeeper(CuratorZookeeperClient.java:117)",
			"INFO |Shutting down with exit code " + strconv.Itoa(int(g.life.exit)) + ".",
		}
	default:
		texts = []string{
			"ERROR |i.p.s.server.logs.DurableLog - DurableLog[3]: Recovery FAILED.",
			"io.pravega.segmentstore.storage.DataLogNotAvailableException: Unable to acquire a BookKeeper ledger: not enough bookies",
			"\tat io.pravega.segmentstore.storage.impl.bookkeeper.BookKeeperLog.createLedger(BookKeeperLog.java:912)",
			"\tat io.pravega.segmentstore.storage.impl.bookkeeper.BookKeeperLog.initialize(BookKeeperLog.java:238)",
			"\tat io.pravega.segmentstore.server.logs.DurableLog.performRecovery(DurableLog.java:252)",
			"Caused by: org.apache.bookkeeper.client.BKException$BKNotEnoughBookiesException: Not enough non-faulty bookies available",
			"\tat org.apache.bookkeeper.client.LedgerCreateOp.initiate(LedgerCreateOp.java:166)",
			"\t... 12 more",
			"INFO  |i.p.s.server.host.ServiceStarter - Segment Store shutting down with exit code " + strconv.Itoa(int(g.life.exit)) + ".",
		}
	}
	out := make([]stamped, len(texts))
	for i, s := range texts {
		out[i] = stamped{ts.Add(time.Duration(i) * time.Microsecond), g.format(s, ts)}
	}
	return out
}

// serve writes the log: the history asked for, then, when following, each
// event as the clock reaches it, until the instance ends.
func (g *generator) serve(ctx context.Context, w io.Writer, o logs.StreamOptions, src *logSource) error {
	clk := src.p.clock
	now := clk.Now()
	until := now
	ended := !g.life.end.IsZero()
	if ended && g.life.end.Before(now) {
		until = g.life.end
	}
	k := g.last(until)
	from := 0
	if o.TailLines >= 0 {
		from = max(k-int(o.TailLines), 0)
	}
	since := o.SinceTime.Truncate(time.Second) // the API's resolution
	if since.IsZero() && o.SinceSeconds > 0 {
		since = now.Add(-time.Duration(o.SinceSeconds) * time.Second)
	}
	if !since.IsZero() {
		if s := g.last(since) - 1; s > from {
			from = s
		}
	}
	var history []stamped
	for i := from; i <= k; i++ {
		history = append(history, g.lines(i)...)
	}
	if ended {
		history = append(history, g.finale()...)
	}
	if !since.IsZero() {
		n := 0
		for n < len(history) && history[n].ts.Before(since) {
			n++
		}
		history = history[n:]
	}
	if o.TailLines >= 0 && len(history) > int(o.TailLines) {
		history = history[len(history)-int(o.TailLines):]
	}
	if err := writeLines(w, history); err != nil {
		return err
	}
	if !o.Follow || ended {
		return nil
	}
	for next := k + 1; ; next++ {
		// Wait for the line's time in waits of at most 2 s; the instance is
		// checked (one read of the pod) after each wait and before the line.
		due := g.at(next)
		for {
			if wait := due.Sub(clk.Now()); wait > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-clk.After(min(wait, 2*time.Second)):
				}
			}
			if !src.alive(ctx, g.t, g.life.incarnation) {
				return nil // the container restarted or the pod went: the kubelet ends the stream
			}
			if !due.After(clk.Now()) {
				break
			}
		}
		if err := writeLines(w, g.lines(next)); err != nil {
			return err
		}
	}
}

func writeLines(w io.Writer, lines []stamped) error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.ts.UTC().Format(time.RFC3339Nano))
		b.WriteByte(' ')
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// format renders "LEVEL|message" in the container's log layout; lines
// without a level (stack frames, exceptions) are written as they are.
func (g *generator) format(s string, ts time.Time) string {
	level, msg, ok := strings.Cut(s, "|")
	if !ok {
		return s
	}
	level = strings.TrimSpace(level)
	java := strings.Replace(ts.UTC().Format("2006-01-02 15:04:05.000"), ".", ",", 1)
	switch g.kind {
	case kindZooKeeper:
		return fmt.Sprintf("%s [myid:%d] - %-5s [%s] - %s", java, g.ordinal+1, level, g.thread(int(ts.UnixMilli())), msg)
	case kindBookie:
		return fmt.Sprintf("%s - %-5s - [%s] - %s", java, level, g.thread(int(ts.UnixMilli())), msg)
	case kindSegmentStore, kindController:
		uptime := ts.Sub(g.life.start).Milliseconds() + 2100
		logger, text, _ := strings.Cut(msg, " - ")
		if text == "" {
			logger, text = "i.p.s.server.host.ServiceStarter", msg
		}
		return fmt.Sprintf("%s %d [%s] %-5s %s - %s", java, uptime, g.thread(int(ts.UnixMilli())), level, logger, text)
	case kindJobManager, kindTaskManager:
		logger, text, _ := strings.Cut(msg, " - ")
		if text == "" {
			logger, text = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", msg
		}
		return fmt.Sprintf("%s %-5s %s [] - %s", java, level, logger, text)
	case kindGoService:
		return fmt.Sprintf("time=%s level=%s %s", ts.UTC().Format(time.RFC3339Nano), strings.ToLower(level), msg)
	}
	return fmt.Sprintf(`{"level":%q,"ts":%q,"msg":%q}`, strings.ToLower(level), ts.UTC().Format(time.RFC3339Nano), msg)
}

func (g *generator) thread(n int) string {
	switch g.kind {
	case kindZooKeeper:
		return [...]string{"NIOWorkerThread-1:NIOServerCnxn@518", "SyncThread:1:FileTxnLog@284", "CommitProcessor:1:ZooKeeperServer@1037", "QuorumPeer[myid=1](plain=0.0.0.0:2181)(secure=disabled):Follower@75"}[n&3]
	case kindBookie:
		return [...]string{"bookie-io-1-3:BookieRequestProcessor@352", "SyncThread-7-1:Journal@1106", "GarbageCollectorThread-6-1:GarbageCollectorThread@380", "LedgerDirsMonitorThread:LedgerDirsMonitor@88"}[n&3]
	}
	return fmt.Sprintf("core-%d", n%16+1)
}

func (g *generator) startup() []string {
	switch g.kind {
	case kindZooKeeper:
		return []string{
			"INFO |Reading configuration from: /data/conf/zoo.cfg",
			fmt.Sprintf("INFO |Started AdminServer on address 0.0.0.0, port 8080 and command URL /commands (myid %d)", g.ordinal+1),
			"INFO |Peer state changed: following - broadcast",
		}
	case kindBookie:
		return []string{
			"INFO |Using ledger storage: org.apache.bookkeeper.bookie.storage.ldb.DbLedgerStorage",
			fmt.Sprintf("INFO |Bookie started with: host=%s.bookkeeper-bookie-headless.pravega.svc.cluster.local:3181", g.t.Pod),
			"INFO |Registered bookie with ZooKeeper at /pravega/bookkeeper/ledgers/available",
		}
	case kindSegmentStore:
		return []string{
			"INFO |i.p.s.server.host.ServiceStarter - Initializing metrics provider ...",
			"INFO |i.p.s.s.host.ZKSegmentContainerMonitor - Container Changes: Desired = [0, 3, 6], Current = [], PendingTasks = [], ToStart = [0, 3, 6], ToStop = [].",
			"INFO |i.p.s.server.host.ServiceStarter - PravegaConnectionListener started successfully on 0.0.0.0:12345.",
		}
	case kindController:
		return []string{
			"INFO |i.p.c.server.ControllerServiceStarter - Controller serviceConfig = ServiceConfig(threadPoolSize=80, storeClientConfig=PRAVEGA_TABLES)",
			"INFO |i.p.c.server.ControllerServiceStarter - Starting REST server listening on port: 10080",
			"INFO |i.p.c.f.ControllerClusterListener - Controller cluster listener started; host " + g.t.Pod,
		}
	case kindJobManager:
		return []string{
			"INFO |org.apache.flink.runtime.entrypoint.ClusterEntrypoint - Starting KubernetesApplicationClusterEntrypoint (Version: 1.19.1).",
			"INFO |org.apache.flink.runtime.jobmaster.JobMaster - Initializing job '" + g.job[:8] + "' (" + g.job + ").",
			"INFO |org.apache.flink.runtime.executiongraph.ExecutionGraph - Job " + g.job + " switched from state CREATED to RUNNING.",
		}
	case kindTaskManager:
		return []string{
			"INFO |org.apache.flink.runtime.taskexecutor.TaskManagerRunner - Starting TaskManager (Version: 1.19.1).",
			"INFO |org.apache.flink.runtime.taskexecutor.TaskExecutor - Successful registration at resource manager akka.tcp://flink@jobmanager:6123/user/rpc/resourcemanager_0.",
		}
	case kindGoService:
		return []string{
			`INFO|msg="starting tier2-sync" version=0.4.1 bucket=pravega-tier2`,
			`INFO|msg="mounting tier-2 volume" path=/mnt/tier2`,
		}
	}
	return []string{"INFO|started"}
}

// event is one routine moment in a container's life: mostly INFO, a
// warning now and then, rarely an error with its stack trace.
func (g *generator) event(r *rand.Rand, ts time.Time) []string {
	roll := r.IntN(100)
	seg := r.IntN(64)
	ip := fmt.Sprintf("10.244.%d.%d", r.IntN(4), 2+r.IntN(250))
	switch g.kind {
	case kindZooKeeper:
		switch {
		case roll < 4:
			return []string{fmt.Sprintf("WARN |Unexpected exception, session 0x%x: EndOfStreamException: Unable to read additional data from client, it probably closed the socket: address = /%s:%d", 0x1000000+r.IntN(1<<20), ip, 40000+r.IntN(20000))}
		case roll < 40:
			return []string{fmt.Sprintf("INFO |Processing mntr command from /%s:%d", ip, 40000+r.IntN(20000))}
		case roll < 70:
			return []string{fmt.Sprintf("INFO |Submitting global closeSession request for session 0x%x", 0x1000000+r.IntN(1<<20))}
		}
		return []string{fmt.Sprintf("INFO |Creating new log file: log.%x", 0x200000000+r.IntN(1<<24))}
	case kindBookie:
		switch {
		case roll < 2:
			return []string{
				"ERROR |Error while flushing journal, retrying",
				"java.io.IOException: Input/output error",
				"\tat java.base/sun.nio.ch.FileDispatcherImpl.force0(Native Method)",
				"\tat org.apache.bookkeeper.bookie.JournalChannel.forceWrite(JournalChannel.java:297)",
				"\tat org.apache.bookkeeper.bookie.Journal$ForceWriteThread.run(Journal.java:566)",
			}
		case roll < 8:
			return []string{fmt.Sprintf("WARN |Write to ledger %d took %d ms: journal fsync slow", 1800+seg, 900+r.IntN(900))}
		case roll < 60:
			return []string{fmt.Sprintf("INFO |Add entry: ledger=%d entry=%d took %d ms", 1800+seg, 90000+r.IntN(20000), 1+r.IntN(5))}
		case roll < 80:
			return []string{fmt.Sprintf("INFO |Journal rolled: %x.txn", 0x19c3f00+r.IntN(255))}
		}
		return []string{fmt.Sprintf("INFO |Ledger dir /bk/ledgers usage %.1f%%", 38+r.Float64()*6)}
	case kindSegmentStore:
		c := []int{0, 3, 6}[r.IntN(3)] + g.ordinal
		switch {
		case roll < 2:
			return []string{
				fmt.Sprintf("ERROR |i.p.s.server.writer.StorageWriter - StorageWriter[%d]: Iteration[%d].Error.", c, 4000+r.IntN(999)),
				"java.util.concurrent.TimeoutException: write to tier-2 timed out after 30000 ms",
				"\tat io.pravega.segmentstore.storage.impl.filesystem.FileSystemStorage.write(FileSystemStorage.java:312)",
				"\tat io.pravega.segmentstore.server.writer.SegmentAggregator.flushNormally(SegmentAggregator.java:789)",
				"\tat io.pravega.segmentstore.server.writer.StorageWriter.flush(StorageWriter.java:259)",
			}
		case roll < 9:
			return []string{fmt.Sprintf("WARN |i.p.s.server.logs.DurableLog - DurableLog[%d]: Throttling: delay %dms, reason: DurableDataLog", c, 20+r.IntN(200))}
		case roll < 45:
			return []string{fmt.Sprintf("INFO |i.p.s.server.logs.DurableLog - DurableLog[%d]: Truncated log at sequence %d (frame %d).", c, 180000+r.IntN(9999), 90+r.IntN(40))}
		case roll < 75:
			return []string{fmt.Sprintf("INFO |i.p.s.server.writer.StorageWriter - StorageWriter[%d]: Iteration[%d].Finish (Elapsed = %dms).", c, 4000+r.IntN(999), 2+r.IntN(60))}
		}
		return []string{fmt.Sprintf("INFO |i.p.s.s.c.StreamSegmentContainer - SegmentContainer[%d]: Created segment 'iot/readings/%d.#epoch.%d'.", c, seg, 1+r.IntN(9))}
	case kindController:
		switch {
		case roll < 5:
			return []string{fmt.Sprintf("WARN |i.p.c.s.s.StreamMetadataTasks - [requestId=%d] scale iot/readings: retrying, segment store busy", r.Int64N(1<<40))}
		case roll < 60:
			return []string{fmt.Sprintf("INFO |i.p.c.s.ControllerService - [requestId=%d] getCurrentSegments scope=iot stream=readings", r.Int64N(1<<40))}
		}
		return []string{fmt.Sprintf("INFO |i.p.c.s.s.StreamMetadataTasks - [requestId=%d] scale iot/readings: segments [%d] -> [%d, %d]", r.Int64N(1<<40), seg, 64+seg, 65+seg)}
	case kindJobManager:
		cp := int(ts.Sub(g.life.start)/g.period) + 100
		switch {
		case roll < 3:
			return []string{fmt.Sprintf("WARN |org.apache.flink.runtime.checkpoint.CheckpointCoordinator - Checkpoint %d of job %s expired before completing.", cp, g.job)}
		case roll < 55:
			return []string{fmt.Sprintf("INFO |org.apache.flink.runtime.checkpoint.CheckpointCoordinator - Completed checkpoint %d for job %s (%d bytes, checkpointDuration=%d ms, finalizationTime=%d ms).", cp, g.job, 40000+r.IntN(90000), 80+r.IntN(400), r.IntN(5))}
		}
		return []string{fmt.Sprintf("INFO |org.apache.flink.runtime.checkpoint.CheckpointCoordinator - Triggering checkpoint %d (type=CheckpointType{name='Checkpoint', sharingFilesStrategy=FORWARD_BACKWARD}) @ %d for job %s.", cp, ts.UnixMilli(), g.job)}
	case kindTaskManager:
		sub := fmt.Sprintf("(%d/6)#0", 1+r.IntN(6))
		switch {
		case roll < 2:
			return []string{
				"ERROR |org.apache.flink.runtime.taskmanager.Task - Source: pravega-readings -> Map " + sub + " failed with exception.",
				"io.pravega.client.stream.impl.ConnectionClosedException: connection to segment store lost",
				"\tat io.pravega.client.segment.impl.SegmentInputStreamImpl.issueRequestIfNeeded(SegmentInputStreamImpl.java:168)",
				"\tat io.pravega.connectors.flink.FlinkPravegaReader.run(FlinkPravegaReader.java:301)",
				"Caused by: java.net.SocketTimeoutException: Read timed out",
				"\t... 6 more",
			}
		case roll < 4:
			// user code logging with colours, as many do: sanitised on the way in
			return []string{fmt.Sprintf("INFO |\x1b[32mSensorAggregator\x1b[0m - window closed: sensor=%s avg=%.1f \x1b[1;33m(late events: %d)\x1b[0m", sensorName(r), 18+r.Float64()*6, r.IntN(9))}
		case roll < 10:
			return []string{"WARN |org.apache.flink.runtime.taskmanager.Task - Source: pravega-readings -> Map " + sub + " is back-pressured (87% of the time)."}
		case roll < 60:
			return []string{fmt.Sprintf("INFO |io.pravega.connectors.flink.FlinkPravegaReader - Reader %s read %d events from iot/readings", sub, 1000+r.IntN(9000))}
		}
		return []string{"INFO |org.apache.flink.runtime.state.heap.HeapKeyedStateBackend - Asynchronous snapshot of " + sub + " completed."}
	case kindGoService:
		return []string{fmt.Sprintf(`INFO|msg="synced chunks" objects=%d bytes=%d`, r.IntN(400), r.IntN(1<<30))}
	}
	return []string{"INFO|heartbeat"}
}

func sensorName(r *rand.Rand) string {
	return fmt.Sprintf("%s-%02d", []string{"turbine", "pump", "valve", "boiler"}[r.IntN(4)], r.IntN(40))
}
