package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
)

// Endpoints serves the demo platform's REST APIs in process on 127.0.0.1:
// the Pravega Controller of pravega/pravega and the Flink REST API of each
// FlinkDeployment, and returns direct URLs for them, which the streams
// backend uses instead of the service proxy. The servers stop when ctx
// ends. Each call starts new servers.
//
// The REST world follows the demo clock: two streams scale up and down
// with their load, watermarks advance, the sensor-aggregation job lags
// behind (its window operator falls minutes behind, then catches up) and
// the fraud-scoring job's checkpoints keep failing.
func (p *Platform) Endpoints(ctx context.Context) ([]restapi.Override, error) {
	w := newRESTWorld(p)
	type api struct {
		target restapi.Target
		h      http.Handler
	}
	apis := []api{
		{restapi.Target{API: restapi.Pravega, Namespace: StoreNamespace, Name: PravegaName}, w.pravega.Handler()},
		{restapi.Target{API: restapi.Flink, Namespace: ProjectIoT, Name: SensorJobName}, w.flink[SensorJobName].Handler()},
		{restapi.Target{API: restapi.Flink, Namespace: ProjectFraud, Name: FraudJobName}, w.flink[FraudJobName].Handler()},
	}
	var out []restapi.Override
	var servers []*http.Server
	for _, a := range apis {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, s := range servers {
				_ = s.Close()
			}
			return nil, fmt.Errorf("demo REST API %s: %w", a.target, err)
		}
		h := a.h
		srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			w.advance(p.clock.Now())
			h.ServeHTTP(rw, r)
		}), ReadHeaderTimeout: 5 * time.Second}
		servers = append(servers, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				p.sim.log.Error("demo REST API stopped", "target", a.target.String(), "err", err)
			}
		}()
		out = append(out, restapi.Override{Target: a.target, URL: "http://" + ln.Addr().String()})
	}
	go func() {
		<-ctx.Done()
		for _, s := range servers {
			_ = s.Close()
		}
	}()
	return out, nil
}

// restWorld is the state behind the demo's REST APIs, advanced in steps of
// the demo clock whenever a request comes in.
type restWorld struct {
	p       *Platform
	pravega *fakeapi.Pravega
	flink   map[string]*fakeapi.Flink

	mu     sync.Mutex
	start  time.Time // when the demo began (its outages count from it)
	last   time.Time
	jobs   []*demoJob
	scaled []*scalingStream
}

// The demo's Controller loses its ZooKeeper session for a while, once per
// cycle: its health turns DOWN (the cluster listener failing), then UP
// again, so the console's health line and finding can be seen to come and
// go.
const (
	ControllerOutageAfter = 4 * time.Minute  // into each cycle
	ControllerOutageFor   = 90 * time.Second // how long it lasts
	ControllerOutageCycle = 15 * time.Minute
)

// ControllerOutage is the detail the failing contributor reports.
const ControllerOutage = "session expired; reconnecting"

// controllerHealth sets the Controller's health for now.
func (w *restWorld) controllerHealth(now time.Time) {
	phase := now.Sub(w.start) % ControllerOutageCycle
	if phase >= ControllerOutageAfter && phase < ControllerOutageAfter+ControllerOutageFor {
		w.pravega.SetHealth("cluster-listener", fakeapi.ContributorHealth{Status: "DOWN", Details: map[string]string{"zookeeper": ControllerOutage}})
		return
	}
	w.pravega.SetHealth("cluster-listener", fakeapi.ContributorHealth{})
}

// scalingStream follows a load curve: its segment count moves between min
// and max with a period.
type scalingStream struct {
	scope, name   string
	min, max      int
	period, phase time.Duration
	segments      int
}

type demoJob struct {
	cluster, id string
	vertices    []demoVertex
	started     time.Time
	nextCkpt    time.Time
	ckptID      int64
	failEvery   int // every n-th checkpoint fails (0: none)
	stateSize   int64
	lagBase     time.Duration // how far the slowest operator is behind
	lagSwing    time.Duration // sawtooth added to lagBase
	lagPeriod   time.Duration
	// restartEvery: the job fails and restarts this often (0: never), at
	// multiples of it since the epoch.
	restartEvery time.Duration
	nextRestart  time.Time
	failure      fakeapi.Exception   // what the restarts fail with (At set per restart)
	pending      *fakeapi.Checkpoint // triggered, recorded when it ends
	// The Pravega reader group its source reads through: its unread bytes
	// are what arrives in the time the job is behind (ingest bytes a
	// second times its lag), so they grow and fall with the lag.
	scope, group string
	readers      int
	ingest       int64
}

type demoVertex struct {
	fakeapi.Vertex
	source bool
	lag    float64 // share of the job's lag this vertex carries
	// pressure: the vertex is back-pressured this share of the time at
	// the top of the job's lag sawtooth (its downstream is the bottleneck);
	// busy: the vertex is busy this share (the bottleneck itself).
	pressure, busy float64
}

const demoStep = time.Second

func demoHex(s string) string {
	return fmt.Sprintf("%08x%08x%08x%08x", fnv(s), fnv(s+"1"), fnv(s+"2"), fnv(s+"3"))
}

func newRESTWorld(p *Platform) *restWorld {
	now := p.clock.Now()
	// The world starts five minutes back, so that the first answers
	// already carry a checkpoint history.
	w := &restWorld{p: p, pravega: fakeapi.NewPravega(p.clock.Now), flink: map[string]*fakeapi.Flink{}, start: now, last: now.Add(-5 * time.Minute)}
	w.pravega.RequireAuth(&fakeapi.Auth{Users: map[string]string{RESTUser: restPassword}})
	w.seedPravega(now)
	w.seedFlink(now)
	w.advance(now)
	return w
}

func (w *restWorld) seedPravega(now time.Time) {
	pv := w.pravega
	created := now.Add(-7 * 24 * time.Hour)
	days := func(d int64) *fakeapi.RetentionConfig {
		return &fakeapi.RetentionConfig{Type: fakeapi.RetentionByDays, Value: d, TimeBasedRetention: &fakeapi.TimeBasedRetention{Days: d}}
	}
	mib := func(v int64) *fakeapi.RetentionConfig {
		return &fakeapi.RetentionConfig{Type: fakeapi.RetentionBySize, Value: v}
	}
	fixed := func(n int32) fakeapi.ScalingConfig {
		return fakeapi.ScalingConfig{Type: fakeapi.FixedSegments, MinSegments: n}
	}
	for _, st := range []struct {
		scope, name string
		cfg         fakeapi.StreamConfig
	}{
		{"_system", "_requeststream", fakeapi.StreamConfig{Scaling: fixed(1)}},
		{"_system", "_abortStream", fakeapi.StreamConfig{Scaling: fixed(1)}},
		{"_system", "_commitStream", fakeapi.StreamConfig{Scaling: fixed(1)}},
		{"_system", "_kvtStream", fakeapi.StreamConfig{Scaling: fixed(1)}},
		{"audit", "access-log", fakeapi.StreamConfig{Scaling: fixed(1), Retention: days(30), Tags: []string{"compliance"}}},
		{"audit", "config-changes", fakeapi.StreamConfig{Scaling: fixed(1), Retention: days(365), Tags: []string{"compliance"}}},
		{"fraud", "payments", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.ByEventRate, TargetRate: 5000, ScaleFactor: 2, MinSegments: 8}, Retention: mib(102400), Tags: []string{"pci"}}},
		{"fraud", "scores", fakeapi.StreamConfig{Scaling: fixed(4), Retention: days(7)}},
		{"fraud", "alerts", fakeapi.StreamConfig{Scaling: fixed(2), Retention: days(90)}},
		{"fraud", "_RGfraud-scoring", fakeapi.StreamConfig{Scaling: fixed(1)}},
		{"fraud", "_MARKpayments", fakeapi.StreamConfig{Scaling: fixed(1)}},
		{"iot", "sensor-readings", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.ByEventRate, TargetRate: 1000, ScaleFactor: 2, MinSegments: 4}, Retention: days(3)}},
		{"iot", "sensor-aggregates", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.ByByteRate, TargetRate: 512, ScaleFactor: 2, MinSegments: 2}, Retention: mib(51200)}},
		{"iot", "device-events", fakeapi.StreamConfig{Scaling: fixed(3)}},
		{"iot", "firmware-updates", fakeapi.StreamConfig{Scaling: fixed(1), Retention: days(14)}},
		{"iot", "_RGsensor-aggregation", fakeapi.StreamConfig{Scaling: fixed(1)}},
		{"iot", "_MARKsensor-readings", fakeapi.StreamConfig{Scaling: fixed(1)}},
	} {
		pv.CreateStream(st.scope, st.name, st.cfg, created)
	}
	pv.CreateReaderGroup("iot", "sensor-aggregation", []string{"iot/sensor-readings"}, readers("sensor-aggregation", 6))
	pv.CreateReaderGroup("iot", "dashboard", []string{"iot/sensor-aggregates"}, readers("dashboard", 1))
	pv.CreateReaderGroup("fraud", "fraud-scoring", []string{"fraud/payments"}, readers("fraud-scoring", 8))
	pv.CreateReaderGroup("audit", "archiver", []string{"audit/access-log", "audit/config-changes"}, nil)
	w.scaled = []*scalingStream{ // created with min segments
		{scope: "iot", name: "sensor-readings", min: 4, max: 8, segments: 4, period: 20 * time.Minute},
		{scope: "fraud", name: "payments", min: 8, max: 12, segments: 8, period: 30 * time.Minute, phase: 7 * time.Minute},
	}
	// Six hours of history: the streams scaled with the load.
	for _, s := range w.scaled {
		for t := now.Add(-6 * time.Hour); t.Before(w.last); t = t.Add(time.Minute) {
			s.follow(pv, t)
		}
	}
}

func readers(group string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-reader-%d", group, i)
	}
	return out
}

// follow scales the stream to where its load curve is at t.
func (s *scalingStream) follow(pv *fakeapi.Pravega, t time.Time) {
	x := float64(t.UnixMilli()%s.period.Milliseconds()+s.phase.Milliseconds()) / float64(s.period.Milliseconds())
	load := (1 - math.Cos(2*math.Pi*x)) / 2 // 0..1
	n := s.min + int(math.Round(load*float64(s.max-s.min)))
	if n != s.segments && pv.Scale(s.scope, s.name, n, t) == nil {
		s.segments = n
	}
}

func (w *restWorld) seedFlink(now time.Time) {
	started := func(ns, name string) time.Time {
		u, err := w.p.dynamic.Resource(operator.FlinkDeployments.GVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return now.Add(-7 * 24 * time.Hour)
		}
		return u.GetCreationTimestamp().Time
	}
	key := func(ns, name string) string { return operator.FlinkDeployments.Name() + "/" + ns + "/" + name }
	sensor := &demoJob{cluster: SensorJobName, id: demoHex(key(ProjectIoT, SensorJobName)), started: started(ProjectIoT, SensorJobName),
		stateSize: 48 << 20, lagBase: 2 * time.Minute, lagSwing: 6 * time.Minute, lagPeriod: 15 * time.Minute,
		scope: "iot", group: SensorJobName, readers: 6, ingest: 3 << 20}
	sensor.vertices = []demoVertex{
		{Vertex: fakeapi.Vertex{Name: "Source: Pravega iot/sensor-readings", Parallelism: 6}, source: true},
		{Vertex: fakeapi.Vertex{Name: "Timestamps/Watermarks -> Filter(valid)", Parallelism: 6}, lag: 0.02, pressure: 0.85},
		{Vertex: fakeapi.Vertex{Name: "Window(TumblingEventTimeWindows(60000)) -> Aggregate", Parallelism: 6}, lag: 1, busy: 0.97},
		{Vertex: fakeapi.Vertex{Name: "Sink: Pravega iot/sensor-aggregates", Parallelism: 3}, lag: 0.99},
	}
	fraud := &demoJob{cluster: FraudJobName, id: demoHex(key(ProjectFraud, FraudJobName)), started: started(ProjectFraud, FraudJobName),
		stateSize: 310 << 20, failEvery: 3, lagBase: 1500 * time.Millisecond, lagSwing: 2 * time.Second, lagPeriod: time.Minute,
		scope: "fraud", group: FraudJobName, readers: 8, ingest: 8 << 20,
		// Flink fails a job whose checkpoints fail more often than
		// execution.checkpointing.tolerable-failed-checkpoints allows.
		restartEvery: 20 * time.Minute, failure: fakeapi.Exception{
			Name:  "org.apache.flink.util.FlinkRuntimeException",
			Stack: fraudTrace,
		}}
	fraud.vertices = []demoVertex{
		{Vertex: fakeapi.Vertex{Name: "Source: Pravega fraud/payments", Parallelism: 8}, source: true},
		{Vertex: fakeapi.Vertex{Name: "KeyBy(account) -> Score (CEP)", Parallelism: 8}, lag: 1},
		{Vertex: fakeapi.Vertex{Name: "Sink: Pravega fraud/scores", Parallelism: 4}, lag: 0.9},
	}
	for _, j := range []*demoJob{sensor, fraud} {
		ov := fakeapi.Overview{Version: "1.19.1", Commit: "c2d3b0d"}
		f := fakeapi.NewFlink(w.p.clock.Now, ov)
		var vs []fakeapi.Vertex
		for i := range j.vertices {
			j.vertices[i].ID = demoHex(j.id + fmt.Sprint(i))
			vs = append(vs, j.vertices[i].Vertex)
		}
		f.AddJob(fakeapi.Job{ID: j.id, Name: j.cluster, Start: j.started, MaxParallelism: 128, Vertices: vs})
		j.nextCkpt = w.last
		j.ckptID = int64(w.last.Sub(j.started) / (30 * time.Second))
		failed := int64(0)
		if j.failEvery > 0 {
			failed = j.ckptID * int64(j.failEvery-1) / int64(j.failEvery)
		}
		_ = f.SetCheckpointCounts(j.id, j.ckptID-failed, failed)
		if j.restartEvery > 0 {
			// The restarts of the last six hours are in its history.
			first := w.last.Add(-6 * time.Hour).Truncate(j.restartEvery).Add(j.restartEvery)
			for t := first; !t.After(w.last); t = t.Add(j.restartEvery) {
				j.restart(f, t)
			}
			_ = f.SetRestarts(j.id, int64(w.last.Sub(j.started)/j.restartEvery))
			j.nextRestart = w.last.Truncate(j.restartEvery).Add(j.restartEvery)
		}
		w.flink[j.cluster] = f
		w.jobs = append(w.jobs, j)
	}
}

// advance moves the world to now: scaling and checkpoints in one-second
// steps (at most an hour's worth), watermarks and the overview at now.
func (w *restWorld) advance(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.last) > time.Hour {
		w.last = now.Add(-time.Hour)
	}
	for t := w.last.Add(demoStep); !t.After(now); t = t.Add(demoStep) {
		for _, s := range w.scaled {
			s.follow(w.pravega, t)
		}
		for _, j := range w.jobs {
			j.checkpoints(w.flink[j.cluster], t)
			if j.restartEvery > 0 && !t.Before(j.nextRestart) {
				j.restart(w.flink[j.cluster], j.nextRestart)
				j.nextRestart = j.nextRestart.Add(j.restartEvery)
			}
		}
		w.last = t
	}
	for _, j := range w.jobs {
		j.watermarks(w.flink[j.cluster], now)
		w.overview(j, w.flink[j.cluster], now)
	}
	w.controllerHealth(now)
}

// checkpointEnd is when a checkpoint completed or failed.
func checkpointEnd(c *fakeapi.Checkpoint) time.Time {
	if c.Failure != "" {
		return c.FailedAt
	}
	return c.Ack
}

// checkpoints triggers one every 30s; it completes about 2s later, or
// fails after 10s for every failEvery-th one. Each is recorded when it
// ends, so that no answer reports an end still to come.
func (j *demoJob) checkpoints(f *fakeapi.Flink, t time.Time) {
	if p := j.pending; p != nil && !t.Before(checkpointEnd(p)) {
		if p.Failure != "" {
			_ = f.FailCheckpoint(j.id, *p)
		} else {
			_ = f.CompleteCheckpoint(j.id, *p)
		}
		_ = f.SetInProgress(j.id, 0)
		j.pending = nil
	}
	if t.Before(j.nextCkpt) {
		return
	}
	j.ckptID++
	trigger := j.nextCkpt
	j.nextCkpt = j.nextCkpt.Add(30 * time.Second)
	_ = f.SetInProgress(j.id, 1)
	if j.failEvery > 0 && j.ckptID%int64(j.failEvery) != 0 {
		j.pending = &fakeapi.Checkpoint{ID: j.ckptID, Trigger: trigger, FailedAt: trigger.Add(10 * time.Second),
			Failure: "Checkpoint expired before completing: Task KeyBy(account) -> Score (CEP) (3/8) did not acknowledge within 10s."}
		return
	}
	jitter := time.Duration(fnv(fmt.Sprint(j.id, j.ckptID))%900) * time.Millisecond
	// The checkpointed size is the incremental part (RocksDB incremental
	// checkpoints upload about a twelfth of the state), a few KiB more or
	// less each time; the state size is the whole state.
	j.pending = &fakeapi.Checkpoint{ID: j.ckptID, Trigger: trigger, Ack: trigger.Add(1500*time.Millisecond + jitter),
		Duration: 1500*time.Millisecond + jitter, Size: j.stateSize/12 + jitter.Milliseconds()<<10, State: j.stateSize}
}

// restart records a failure and restart of the job at t.
func (j *demoJob) restart(f *fakeapi.Flink, t time.Time) {
	x := j.failure
	x.At = t
	_ = f.Restart(j.id, x)
}

// fraudTrace is the stack trace of fraud-scoring's failures, as Flink
// reports it (folded in the pane).
const fraudTrace = `org.apache.flink.util.FlinkRuntimeException: Exceeded checkpoint tolerable failure threshold. The latest checkpoint failed due to Checkpoint expired before completing., view the Checkpoint History tab or the Job Manager log to find out why continuous checkpoints failed.
	at org.apache.flink.runtime.checkpoint.CheckpointFailureManager.checkFailureAgainstCounter(CheckpointFailureManager.java:212)
	at org.apache.flink.runtime.checkpoint.CheckpointFailureManager.handleJobLevelCheckpointException(CheckpointFailureManager.java:169)
	at org.apache.flink.runtime.checkpoint.CheckpointFailureManager.handleCheckpointException(CheckpointFailureManager.java:122)
	at org.apache.flink.runtime.checkpoint.CheckpointCoordinator.abortPendingCheckpoint(CheckpointCoordinator.java:2155)
	at java.base/java.lang.Thread.run(Thread.java:840)`

// watermarks sets every vertex's subtask watermarks at now: sources have
// none (they read no watermark), the others lag by their share of the
// job's lag, each subtask a little differently.
func (j *demoJob) watermarks(f *fakeapi.Flink, now time.Time) {
	period := j.lagPeriod.Milliseconds()
	saw := float64(now.UnixMilli()%period) / float64(period)
	lag := j.lagBase + time.Duration(saw*float64(j.lagSwing))
	for _, v := range j.vertices {
		if v.pressure > 0 || v.busy > 0 {
			ratio, busy, idle := make([]float64, v.Parallelism), make([]float64, v.Parallelism), make([]float64, v.Parallelism)
			for i := range ratio {
				sub := float64(fnv(fmt.Sprint(v.ID, "bp", i))%100) / 1000 // up to 0.1 apart
				ratio[i] = min(max(v.pressure*(0.6+0.4*saw)-sub, 0), 1)
				busy[i] = min(max(v.busy-sub/2, 1-ratio[i]-0.05, 0), 1)
				idle[i] = max(1-ratio[i]-busy[i], 0)
			}
			_ = f.SetBackPressure(j.id, v.ID, fakeapi.Pressure{At: now, Ratio: ratio, Busy: busy, Idle: idle})
		}
		if v.source && j.group != "" {
			unread := int64(lag.Seconds()*float64(j.ingest)) + int64(fnv(fmt.Sprint(j.id, now.Unix()))%64)<<10
			_ = f.SetReaders(j.id, v.ID, fakeapi.Readers{Scope: j.scope, Group: j.group, Unread: unread, Online: j.readers})
		}
		ms := make([]int64, v.Parallelism)
		for i := range ms {
			if v.source {
				ms[i] = fakeapi.NoWatermark
				continue
			}
			sub := time.Duration(fnv(fmt.Sprint(v.ID, i))%400) * time.Millisecond
			ms[i] = now.Add(-time.Duration(v.lag*float64(lag)) - sub).UnixMilli()
		}
		_ = f.SetWatermarks(j.id, v.ID, ms)
	}
}

// overview reports the TaskManagers the FlinkDeployment asks for (the scale
// wizard may change them) and their slots, and each TaskManager's memory:
// sensor-aggregation's first one, which holds the busy window, runs near
// its heap limit (88% to 97% over two minutes).
func (w *restWorld) overview(j *demoJob, f *fakeapi.Flink, now time.Time) {
	ns := ProjectIoT
	if j.cluster == FraudJobName {
		ns = ProjectFraud
	}
	tms, slots := int64(2), int64(2)
	if u, err := w.p.dynamic.Resource(operator.FlinkDeployments.GVR).Namespace(ns).Get(context.Background(), j.cluster, metav1.GetOptions{}); err == nil {
		spec, _ := u.Object["spec"].(map[string]any)
		if tm, ok := spec["taskManager"].(map[string]any); ok {
			if n, ok := tm["replicas"].(int64); ok {
				tms = n
			}
		}
		if conf, ok := spec["flinkConfiguration"].(map[string]any); ok {
			if s, ok := conf["taskmanager.numberOfTaskSlots"].(string); ok {
				_, _ = fmt.Sscan(s, &slots)
			}
		}
	}
	used := int64(0)
	for _, v := range j.vertices {
		used = max(used, int64(v.Parallelism))
	}
	total := int32(tms * slots)
	left := used
	for i := range tms {
		tm := fakeapi.TaskManager{ID: demoHex(j.id + "tm" + fmt.Sprint(i)), Host: fmt.Sprintf("10.42.%d.%d:6122", len(j.cluster)%7, 10+i), Slots: int32(slots),
			HeapMax: 2 << 30, Direct: 256 << 20, Managed: 1 << 30, Heartbeat: now.Add(-time.Duration(fnv(fmt.Sprint(j.id, i, now.Unix()/10))%9000) * time.Millisecond)}
		for ; left > 0 && len(tm.Jobs) < int(slots); left-- {
			tm.Jobs = append(tm.Jobs, j.id)
		}
		up := now.Sub(j.started)
		tm.YoungGCs, tm.YoungGCMs = int64(up/(7*time.Second)), int64(up/(7*time.Second))*18
		tm.OldGCs, tm.OldGCMs = int64(up/(40*time.Minute)), int64(up/(40*time.Minute))*350
		saw := float64(now.UnixMilli()%120000) / 120000
		share := 0.35 + 0.1*saw
		if i == 0 && j.cluster == SensorJobName {
			share = 0.88 + 0.09*saw
		}
		tm.HeapUsed = int64(share * float64(tm.HeapMax))
		tm.DirectUsed = int64(float64(tm.Direct) * (0.2 + 0.1*saw))
		f.SetTaskManager(tm)
	}
	f.RemoveTaskManagers(int(tms))
	f.SetOverview(fakeapi.Overview{TaskManagers: int32(tms), SlotsTotal: total, SlotsAvailable: max(total-int32(used), 0), Version: "1.19.1", Commit: "c2d3b0d"})
}
