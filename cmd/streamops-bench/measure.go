package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/watch"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
	"github.com/streamops/streamops/tui"

	"github.com/streamops/streamops/backend/testcluster"
)

// Measurement windows (issue 8): RSS 10 s after the first complete frame,
// then CPU over 30 s while nothing changes.
const (
	settle = 10 * time.Second
	idle   = 30 * time.Second
)

// result is what one measure process prints (JSON on stdout).
type result struct {
	Mode          string        // console, or raw: typed informers without a transform, no console
	Pods          int           //
	Components    int           // in the complete frame's summary line
	StartToMain   time.Duration // process start → main()
	FirstFrame    time.Duration // process start → first complete frame written (raw: informers synced)
	RSS           uint64        // VmRSS settle after the first frame, bytes
	RSSAnon       uint64        // of which anonymous memory (heap, stacks, runtime)
	RSSFile       uint64        // of which file-backed pages (the executable's code and data)
	HeapRetained  uint64        // heap memory the Go runtime held from the OS at that moment (HeapSys-HeapReleased)
	HeapInuse     uint64        // runtime.MemStats.HeapInuse right after a GC, bytes
	IdleCPU       float64       // user+system CPU over the idle window, % of one core
	IdleSnapshots int           // snapshots published in the idle window (raw: informer events)
	IdleWrites    int           // writes to the terminal in the idle window
	IdleBytes     int           // bytes written to the terminal in the idle window
	BusyStart     float64       // machine CPU busy (all processes) from main to the first frame, % of all cores
	BusyIdle      float64       // machine CPU busy (all processes) in the idle window, % of all cores

}

func (r result) line() string {
	return fmt.Sprintf("%s %d pods: frame %.3f s (main after %.0f ms), %d components, RSS %.1f MiB (anon %.1f, file %.1f, Go heap retained %.1f), heap in use %.1f MiB, idle CPU %.2f %% (%d snapshots, %d writes, %d bytes), machine busy %.0f %% during start, %.0f %% when idle",
		r.Mode, r.Pods, r.FirstFrame.Seconds(), float64(r.StartToMain.Microseconds())/1000, r.Components, mib(r.RSS), mib(r.RSSAnon), mib(r.RSSFile), mib(r.HeapRetained),
		mib(r.HeapInuse), r.IdleCPU, r.IdleSnapshots, r.IdleWrites, r.IdleBytes, r.BusyStart, r.BusyIdle)
}

type measureOptions struct {
	kubeconfig, namespace, profile string
	pods                           int
	raw, trace                     bool
}

// tracer prints a timeline of the start (-trace), relative to process start.
type tracer struct {
	on    bool
	start time.Time
}

func (t tracer) printf(format string, args ...any) {
	if t.on {
		fmt.Fprintf(os.Stderr, "  %7.1f ms  "+format+"\n", append([]any{float64(time.Since(t.start).Microseconds()) / 1000}, args...)...)
	}
}

func measureCmd(args []string) error {
	start, err := processStart()
	if err != nil {
		return err
	}
	machine0 := testcluster.MachineTicks()
	r := result{Mode: "console", StartToMain: time.Since(start)}
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	var o measureOptions
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (its current context is used)")
	fs.StringVar(&o.namespace, "namespace", namespace, "namespace holding the pods")
	fs.IntVar(&o.pods, "pods", 0, "number of Ready pods in the namespace; the frame is complete when it shows all of them")
	fs.BoolVar(&o.raw, "raw", false, "instead of the console, run plain typed informers without a transform")
	fs.StringVar(&o.profile, "profile", "", "write startup.cpu.pprof, heap.pprof and idle.cpu.pprof into this directory")
	fs.BoolVar(&o.trace, "trace", false, "print a timeline of the start to stderr")
	spawned := fs.Int64("spawned", 0, "unix nanoseconds just before a parent started this process (a closer lower bound of the start than the kernel's 10 ms ticks)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Both are lower bounds of the start; the later one is the closer.
	if t := time.Unix(0, *spawned); t.After(start) {
		start = t
		r.StartToMain = time.Since(start)
	}
	tr := tracer{on: o.trace, start: start}
	tr.printf("main (measured %.1f ms after process start)", float64(r.StartToMain.Microseconds())/1000)
	if o.kubeconfig == "" || o.pods <= 0 {
		return errors.New("measure needs -kubeconfig and -pods")
	}
	if o.raw {
		r.Mode = "raw"
	}
	r.Pods = o.pods
	quietKlog()
	stopProfile, err := startCPUProfile(o.profile, "startup.cpu.pprof")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	kopts := kube.NewOptions() // the clients cmd/streamops connects with
	kopts.Kubeconfig = o.kubeconfig
	clients, _, err := kopts.Connect()
	if err != nil {
		return fmt.Errorf("%s: %w", o.kubeconfig, err)
	}
	clients.Context = "bench"
	if err := clients.Check(ctx, 10*time.Second); err != nil {
		return err
	}
	tr.printf("clients built, server answered")

	counters := idleCounters{trace: tr}
	if o.raw {
		err = runRaw(ctx, clients, o, &counters)
	} else {
		err = runConsole(ctx, clients, o, &counters)
	}
	if err != nil {
		return err
	}
	r.FirstFrame, r.Components = counters.ready.Sub(start), counters.components
	r.BusyStart = machine0.BusySince()
	stopProfile()
	tr.printf("first complete frame written (raw: informers synced)")

	if err := wait(ctx, settle); err != nil {
		return err
	}
	if r.RSS, r.RSSAnon, r.RSSFile, err = vmRSS(); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapRetained = ms.HeapSys - ms.HeapReleased
	runtime.GC()
	if o.profile != "" {
		if err := writeHeapProfile(filepath.Join(o.profile, "heap.pprof")); err != nil {
			return err
		}
	}
	runtime.ReadMemStats(&ms)
	r.HeapInuse = ms.HeapInuse

	stopProfile, err = startCPUProfile(o.profile, "idle.cpu.pprof")
	if err != nil {
		return err
	}
	snaps, writes, bytes := counters.snapshots.Load(), counters.writes.Load(), counters.bytes.Load()
	cpu0, t0, machine1 := testcluster.ProcessCPU(), time.Now(), testcluster.MachineTicks()
	if err := wait(ctx, idle); err != nil {
		return err
	}
	r.IdleCPU = 100 * float64(testcluster.ProcessCPU()-cpu0) / float64(time.Since(t0))
	r.BusyIdle = machine1.BusySince()
	stopProfile()
	r.IdleSnapshots = int(counters.snapshots.Load() - snaps)
	r.IdleWrites, r.IdleBytes = int(counters.writes.Load()-writes), int(counters.bytes.Load()-bytes)
	fmt.Fprintln(os.Stderr, r.line())
	return json.NewEncoder(os.Stdout).Encode(r)
}

// idleCounters are filled by the console (or the raw informers) and read by
// the measurement.
type idleCounters struct {
	trace      tracer
	ready      time.Time // first complete frame written, or informers synced
	components int
	snapshots  atomic.Int64
	writes     atomic.Int64
	bytes      atomic.Int64
}

// runConsole starts the watcher and the console as cmd/streamops does, on
// a 160x48 terminal, and returns once the first frame showing all the pods
// has been written to it. The console keeps running until ctx ends.
func runConsole(ctx context.Context, clients *kube.Clients, o measureOptions, c *idleCounters) error {
	scope := kube.Scope{Namespaces: []string{o.namespace}}
	w := watch.New(watch.Config{Clients: clients, Scope: scope})
	if err := w.Start(ctx); err != nil {
		return fmt.Errorf("start watcher: %w", err)
	}
	c.trace.printf("watcher started (discovery done, informers started)")
	dir, err := os.MkdirTemp("", "streamops-bench")
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	defer os.RemoveAll(dir)
	model := tui.New(tui.Options{
		Styles: themes.New(themes.Dark), Keys: keymap.Default(),
		Snapshots: w.Subscribe(ctx), Errors: w.Errors(),
		Context: clients.Context, Server: clients.Server, Scope: scope.String(),
		CrashDir: dir, ReportDir: dir,
		Backends: tui.Backends{Access: access.NewReviewer(clients.Typed), Scope: w},
	})
	term := &terminal{shown: make(chan struct{}), counters: c}
	p := tea.NewProgram(probe{inner: model, term: term, want: o.pods}, tea.WithContext(ctx),
		tea.WithInput(nil), tea.WithOutput(term), tea.WithWindowSize(160, 48),
		tea.WithColorProfile(colorprofile.TrueColor), tea.WithEnvironment([]string{"TERM=xterm-256color", "COLORTERM=truecolor"}))
	failed := make(chan error, 1)
	go func() {
		_, err := p.Run()
		failed <- fmt.Errorf("console stopped before its first complete frame: %w", err)
	}()
	go func() {
		for s := range w.Subscribe(ctx) {
			c.snapshots.Add(1)
			if c.trace.on {
				members := 0
				for _, comp := range s.Components {
					members += len(comp.Members)
				}
				c.trace.printf("snapshot %d: synced %t, %d components, %d members", s.Seq, s.Synced(), len(s.Components), members)
			}
		}
	}()
	select {
	case <-term.shown:
		return nil
	case err := <-failed:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no frame showing %d pods: %w (last summary: %q)", o.pods, ctx.Err(), term.lastSummary())
	}
}

// probe wraps the console's root model and tells the terminal when a view
// shows every pod as a member.
type probe struct {
	inner tea.Model
	term  *terminal
	want  int
}

func (p probe) Init() tea.Cmd { return p.inner.Init() }

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	p.inner, cmd = p.inner.Update(msg)
	return p, cmd
}

var summaryRE = regexp.MustCompile(`(\d+) components · (\d+)/(\d+) members ready`)

func (p probe) View() tea.View {
	v := p.inner.View()
	if p.term.complete.Load() {
		return v
	}
	head := v.Content
	for i, n := 0, 0; i < len(head); i++ { // the summary is on the second line
		if head[i] == '\n' {
			if n++; n == 3 {
				head = head[:i]
				break
			}
		}
	}
	m := summaryRE.FindStringSubmatch(ansi.Strip(head))
	if m == nil {
		return v
	}
	if p.term.setSummary(m[0]) {
		p.term.counters.trace.printf("view: %s", m[0])
	}
	comps, _ := strconv.Atoi(m[1])
	ready, _ := strconv.Atoi(m[2])
	members, _ := strconv.Atoi(m[3])
	if ready == p.want && members == p.want {
		p.term.counters.components = comps
		p.term.complete.Store(true)
	}
	return v
}

// terminal stands in for the tty: it discards what the renderer writes,
// counting it, and notes when the first write after a complete view
// happened. The renderer flushes the latest view at most 60 times a
// second, so that write is the complete frame reaching the screen.
type terminal struct {
	complete atomic.Bool
	shown    chan struct{}
	once     sync.Once
	counters *idleCounters

	mu      sync.Mutex
	summary string
}

func (t *terminal) Write(b []byte) (int, error) {
	t.counters.writes.Add(1)
	t.counters.bytes.Add(int64(len(b)))
	if t.complete.Load() {
		t.once.Do(func() {
			t.counters.ready = time.Now()
			close(t.shown)
		})
	}
	return len(b), nil
}

// setSummary records the summary line of the latest view and reports
// whether it changed.
func (t *terminal) setSummary(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	changed := t.summary != s
	t.summary = s
	return changed
}

func (t *terminal) lastSummary() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.summary
}

// runRaw starts plain client-go typed informers for the kinds the watcher
// watches, without a transform, and returns when they have synced.
func runRaw(ctx context.Context, clients *kube.Clients, o measureOptions, c *idleCounters) error {
	f := informers.NewSharedInformerFactoryWithOptions(clients.Typed, 0, informers.WithNamespace(o.namespace))
	ef := informers.NewSharedInformerFactoryWithOptions(clients.Typed, 0, informers.WithNamespace(o.namespace),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.FieldSelector = "type=Warning" }))
	nf := informers.NewSharedInformerFactory(clients.Typed, 0)
	pods := f.Core().V1().Pods().Informer()
	infs := []cache.SharedIndexInformer{pods, f.Apps().V1().StatefulSets().Informer(), f.Apps().V1().Deployments().Informer(),
		f.Core().V1().Services().Informer(), f.Discovery().V1().EndpointSlices().Informer(), f.Networking().V1().Ingresses().Informer(),
		ef.Core().V1().Events().Informer(), nf.Core().V1().Nodes().Informer()}
	synced := make([]cache.InformerSynced, len(infs))
	for i, inf := range infs {
		synced[i] = inf.HasSynced
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { c.snapshots.Add(1) },
			UpdateFunc: func(any, any) { c.snapshots.Add(1) },
			DeleteFunc: func(any) { c.snapshots.Add(1) },
		}); err != nil {
			return fmt.Errorf("add event handler: %w", err)
		}
	}
	for _, fac := range []informers.SharedInformerFactory{f, ef, nf} {
		fac.Start(ctx.Done())
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("typed informers did not sync: %w", ctx.Err())
	}
	c.ready = time.Now()
	if n := len(pods.GetStore().ListKeys()); n != o.pods {
		return fmt.Errorf("raw pod informer holds %d pods, want %d", n, o.pods)
	}
	return nil
}

// processStart is when the kernel started this process: starttime
// (/proc/self/stat field 22, in clock ticks since boot; USER_HZ is 100 on
// Linux) against the time since boot now (CLOCK_BOOTTIME). starttime is
// rounded down to 10 ms, so the process looks up to 10 ms older than it
// is: durations from it are never flattered.
func processStart() (time.Time, error) {
	now := time.Now()
	var ts syscall.Timespec
	if _, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockBoottime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return time.Time{}, fmt.Errorf("process start: clock_gettime: %w", errno)
	}
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return time.Time{}, fmt.Errorf("process start: %w", err)
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces; starttime is the 20th of them.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 20 {
		return time.Time{}, errors.New("process start: /proc/self/stat is too short")
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("process start: starttime: %w", err)
	}
	age := time.Duration(ts.Nano()) - time.Duration(ticks)*(time.Second/100)
	return now.Add(-age), nil
}

const clockBoottime = 7 // CLOCK_BOOTTIME, linux/time.h

// vmRSS is the resident set size from /proc/self/status, in total and
// its anonymous and file-backed parts.
func vmRSS() (total, anon, file uint64, err error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, 0, fmt.Errorf("read RSS: %w", err)
	}
	return parseStatusRSS(b)
}

// wait is a measurement window.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("measurement window: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

func startCPUProfile(dir, name string) (stop func(), err error) {
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("profile directory: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}
