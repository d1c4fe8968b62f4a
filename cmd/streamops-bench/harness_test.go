package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func screen(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The screens in testdata were captured with run -screens from streamops
// and k9s at 1000 pods on 160x48.
func TestStreamopsComplete(t *testing.T) {
	done := screen(t, "streamops-complete.txt")
	if !streamopsComplete(done, 1000) {
		t.Error("the captured complete frame is not complete")
	}
	if streamopsComplete(done, 5000) {
		t.Error("a frame with 1000 members is complete for 5000 pods")
	}
	if streamopsComplete(screen(t, "streamops-syncing.txt"), 1000) {
		t.Error("a frame whose watches are still syncing is complete")
	}
	if streamopsComplete(screen(t, "streamops-empty.txt"), 1000) {
		t.Error("the first, empty frame is complete")
	}
	notReady := strings.Replace(done, "1000/1000 members ready", "999/1000 members ready", 1)
	if streamopsComplete(notReady, 1000) {
		t.Error("a frame with a member not Ready is complete")
	}
	connecting := strings.Replace(done, "watches 14/14 ✓", "connecting…", 1)
	if streamopsComplete(connecting, 1000) {
		t.Error("a frame still connecting is complete")
	}
}

func TestK9sComplete(t *testing.T) {
	done := screen(t, "k9s-complete.txt")
	if !k9sComplete(done, "bench", 1000) {
		t.Error("the captured complete frame is not complete")
	}
	if k9sComplete(done, "bench", 5000) {
		t.Error("a frame titled with 1000 pods is complete for 5000")
	}
	if k9sComplete(strings.ReplaceAll(done, "(bench)", "(default)"), "bench", 1000) {
		t.Error("a frame of another namespace is complete")
	}
	// The title without its rows: k9s draws the table's frame first.
	var head []string
	for line := range strings.SplitSeq(done, "\n") {
		if !strings.Contains(line, " Running ") {
			head = append(head, line)
		}
	}
	if k9sComplete(strings.Join(head, "\n"), "bench", 1000) {
		t.Error("a frame without pod rows is complete")
	}
	if k9sComplete(screen(t, "k9s-partial.txt"), "bench", 1000) {
		t.Error("a frame read half way through drawing its rows is complete")
	}
	if k9sComplete(screen(t, "k9s-skeleton.txt"), "bench", 1000) {
		t.Error("the frame before the pods came is complete")
	}
	if k9sComplete(screen(t, "streamops-complete.txt"), "bench", 1000) {
		t.Error("a streamops frame passes for a k9s one")
	}
}

func TestParseStatusRSS(t *testing.T) {
	status := "Name:\tstreamops\nVmPeak:\t 2000000 kB\nVmRSS:\t   57752 kB\nRssAnon:\t   24164 kB\nRssFile:\t   33588 kB\nRssShmem:\t       0 kB\n"
	total, anon, file, err := parseStatusRSS([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if total != 57752<<10 || anon != 24164<<10 || file != 33588<<10 {
		t.Errorf("RSS %d, anon %d, file %d", total, anon, file)
	}
	if _, _, _, err := parseStatusRSS([]byte("Name:\tx\nVmRSS:\t 10 kB\n")); err == nil {
		t.Error("a status without RssAnon and RssFile was accepted")
	}
	if _, _, _, err := parseStatusRSS([]byte("VmRSS:\tlots kB\nRssAnon:\t1 kB\nRssFile:\t1 kB\n")); err == nil {
		t.Error("a non-numeric VmRSS was accepted")
	}
}

func TestParseStatCPU(t *testing.T) {
	// The command name holds a space and a ')': fields count from the last.
	stat := "4242 (k9s (x) y) S 1 4242 4242 34816 4242 4194304 1000 0 0 0 250 75 0 0 20 0 12 0 9000 1500000000 20000 18446744073709551615"
	d, err := parseStatCPU([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; d != want {
		t.Errorf("utime+stime = %s, want %s", d, want)
	}
	if _, err := parseStatCPU([]byte("4242 (k9s) S 1 2 3")); err == nil {
		t.Error("a short stat was accepted")
	}
	if _, err := parseStatCPU([]byte("4242 k9s S 1 4242 4242 34816 4242 4194304 1000 0 0 0 250 75")); err == nil {
		t.Error("a stat without the command name was accepted")
	}
	if _, err := parseStatCPU([]byte("1 (a) S 1 1 1 1 1 1 1 0 0 0 x 75 0")); err == nil {
		t.Error("a non-numeric utime was accepted")
	}
	// Our own process: CPU time is read and does not go backwards.
	a, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 30*time.Millisecond; {
	}
	if b, err := procCPU(os.Getpid()); err != nil || b < a {
		t.Errorf("CPU time went from %s to %s (%v)", a, b, err)
	}
}

const metricsBefore = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 40
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="nodes",scope="resource",subresource="status",verb="PATCH",version="v1"} 7
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 5
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="",subresource="/version",verb="GET",version=""} 1
apiserver_request_duration_seconds_bucket{verb="LIST",le="0.1"} 99
`

func TestRequestsSince(t *testing.T) {
	before, err := parseRequestTotals(metricsBefore)
	if err != nil {
		t.Fatal(err)
	}
	after := strings.NewReplacer(
		`verb="LIST",version="v1"} 3`, `verb="LIST",version="v1"} 5`, // the tool lists pods twice
		`verb="PUT",version="v1"} 40`, `verb="PUT",version="v1"} 60`, // kwok's heartbeats
		`verb="PATCH",version="v1"} 7`, `verb="PATCH",version="v1"} 9`,
		`subresource="/metrics",verb="GET",version=""} 5`, `subresource="/metrics",verb="GET",version=""} 6`, // our scrape
		`subresource="/version",verb="GET",version=""} 1`, `subresource="/version",verb="GET",version=""} 4`, // the tool checks the server
	).Replace(metricsBefore)
	// A counter that appears only in the second scrape counts from zero;
	// watches that ended do not count.
	after += `apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="GET",version="v1"} 1` + "\n" +
		`apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="WATCH",version="v1"} 2` + "\n"
	a, err := parseRequestTotals(after)
	if err != nil {
		t.Fatal(err)
	}
	n, byKind := a.requestsSince(before)
	if n != 6 || byKind["LIST pods"] != 2 || byKind["GET /version"] != 3 || byKind["GET pods"] != 1 || len(byKind) != 3 {
		t.Errorf("requests %d by kind %v, want 6: LIST pods 2, GET /version 3, GET pods 1", n, byKind)
	}
	if n, _ := before.requestsSince(before); n != 0 {
		t.Errorf("%d requests between a scrape and itself", n)
	}
}

func TestParseRequestTotalsRefuses(t *testing.T) {
	for name, text := range map[string]string{
		"no counter":   "apiserver_request_duration_seconds_count 3\n",
		"bad value":    `apiserver_request_total{verb="GET"} many` + "\n",
		"bad labels":   `apiserver_request_total{verb=GET} 1` + "\n",
		"unclosed":     `apiserver_request_total{verb="GET" 1` + "\n",
		"unterminated": `apiserver_request_total{verb="GET} 1` + "\n",
	} {
		if _, err := parseRequestTotals(text); err == nil {
			t.Errorf("%s: accepted %q", name, text)
		}
	}
	c, err := parseRequestTotals(`apiserver_request_total{path="a\"b",verb="GET"} 2 1700000000000` + "\n")
	if err != nil {
		t.Fatal(err)
	}
	for key, l := range c.labels {
		if l["path"] != `a"b` || l["verb"] != "GET" || c.value[key] != 2 {
			t.Errorf("labels %v value %v", l, c.value[key])
		}
	}
}

func TestMedianAndRatio(t *testing.T) {
	if s := median([]float64{3, 1, 2}); s != (spread{2, 1, 3}) {
		t.Errorf("median of 3,1,2 = %+v", s)
	}
	if s := median([]float64{4, 1, 2, 10}); s != (spread{3, 1, 10}) {
		t.Errorf("median of 4,1,2,10 = %+v", s)
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 {
		t.Error("median sorted its argument")
	}
	for _, c := range []struct {
		a, b float64
		want string
	}{{1, 4, "0.25"}, {3, 1.5, "2.00"}, {0, 0, "1.00"}, {5, 0, "–"}, {0, 5, "0.00"}} {
		if got := ratio(c.a, c.b); got != c.want {
			t.Errorf("ratio(%g, %g) = %s, want %s", c.a, c.b, got, c.want)
		}
	}
}

func TestPrintComparison(t *testing.T) {
	mk := func(tool string, pods int, frame time.Duration, rssMiB uint64, cpu float64, bytes int64, reqs int) toolResult {
		return toolResult{Tool: tool, Pods: pods, FirstFrame: frame, RSS: rssMiB << 20, IdleCPU: cpu, IdleBytes: bytes, IdleRequests: reqs, BusyStart: 50}
	}
	results := []toolResult{
		mk("streamops", 1000, 500*time.Millisecond, 50, 0.1, 0, 0), mk("k9s", 1000, 2*time.Second, 200, 2, 3000, 4),
		mk("streamops", 1000, 700*time.Millisecond, 54, 0.3, 0, 0), mk("k9s", 1000, 1*time.Second, 180, 4, 1000, 6),
		mk("streamops", 1000, 600*time.Millisecond, 52, 0.2, 0, 0), mk("k9s", 1000, 3*time.Second, 220, 3, 2000, 5),
		mk("streamops", 5000, 2*time.Second, 100, 0.5, 10, 1), mk("k9s", 5000, 8*time.Second, 400, 10, 9000, 5),
	}
	var b bytes.Buffer
	printComparison(&b, results, "k9s")
	want := `**1000 pods** (median (min–max) of 3 runs)

| figure | streamops | k9s | streamops / k9s |
|---|---:|---:|---:|
| first complete frame | 0.600 s (0.500–0.700) | 2.000 s (1.000–3.000) | 0.30 |
| RSS +10 s | 52 MiB (50–54) | 200 MiB (180–220) | 0.26 |
| idle CPU | 0.20 % (0.10–0.30) | 3.00 % (2.00–4.00) | 0.07 |
| idle bytes to the terminal | 0 B (0–0) | 2000 B (1000–3000) | 0.00 |
| idle API requests | 0 (0–0) | 5 (4–6) | 0.00 |
| machine busy, start → frame | 50 % (50–50) | 50 % (50–50) | 1.00 |

**5000 pods** (median (min–max) of 1 runs)

| figure | streamops | k9s | streamops / k9s |
|---|---:|---:|---:|
| first complete frame | 2.000 s | 8.000 s | 0.25 |
| RSS +10 s | 100 MiB | 400 MiB | 0.25 |
| idle CPU | 0.50 % | 10.00 % | 0.05 |
| idle bytes to the terminal | 10 B | 9000 B | 0.00 |
| idle API requests | 1 | 5 | 0.20 |
| machine busy, start → frame | 50 % | 50 % | 1.00 |
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	b.Reset()
	floor := append(results[:2:2], mk(floorName, 1000, time.Second, 8, 0.1, 0, 0), mk(floorName, 1000, time.Second, 8, 0.3, 0, 0))
	printComparison(&b, floor, "k9s")
	if got := b.String(); !strings.HasSuffix(got, "| machine busy, start → frame | 50 % | 50 % | 1.00 |\n\n"+
		"bubbletea's floor (a bare program at 20 fps, same rounds, 2 runs): idle CPU 0.20 % (0.10–0.30); streamops / floor 0.50\n") {
		t.Errorf("table with the floor:\n%s", got)
	}
	b.Reset()
	printComparison(&b, results[:1], "")
	if got := b.String(); !strings.Contains(got, "| figure | streamops |\n") || strings.Contains(got, "k9s") ||
		!strings.Contains(got, "| first complete frame | 0.500 s |") {
		t.Errorf("table without a peer:\n%s", got)
	}
}

func TestParseTermSize(t *testing.T) {
	if c, r, err := parseTermSize("160x48"); err != nil || c != 160 || r != 48 {
		t.Errorf("160x48: %d %d %v", c, r, err)
	}
	for _, bad := range []string{"160", "x48", "160x", "10x5", "abcxdef", "-160x48", "160x48x2"} {
		if _, _, err := parseTermSize(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A session runs a program on a pty and finds its frame on the virtual
// terminal; it answers the program's cursor position query as a terminal
// does (a program waiting for that answer would otherwise hang).
func TestSession(t *testing.T) {
	if _, err := os.Stat("/bin/bash"); err != nil {
		t.Skip("no /bin/bash")
	}
	script := `stty raw -echo; printf '\033[2J\033[5;10Hwaiting\033[6n'; IFS= read -r -d R reply; printf '\033[7;1Hgot %s' "$(printf %s "$reply" | tr -d '\033')"; sleep 30`
	s := framedSession(t, "/bin/bash", []string{"-c", script}, []string{"PATH=/usr/bin:/bin"},
		func(screen string) bool { return strings.Contains(screen, "got [") })
	lines := strings.Split(s.Screen(), "\n")
	if len(lines) < 7 || strings.TrimSpace(lines[4]) != "waiting" || !strings.HasPrefix(lines[6], "got [5;17") {
		t.Errorf("screen:\n%s", s.Screen())
	}
	if f := s.firstFrame(); f <= 0 || f > 10*time.Second {
		t.Errorf("first frame after %s", f)
	}
	if s.bytes.Load() == 0 {
		t.Error("no bytes counted")
	}

	// A program that exits before its frame fails the wait at once.
	s2, err := startSession("/bin/sh", []string{"-c", "printf nothing"}, nil, 80, 24, io.Discard,
		func(string) bool { return false }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.stop(time.Second)
	start := time.Now()
	if err := s2.waitFrame(10 * time.Second); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("wait for a frame of an exited program: %v after %s", err, time.Since(start))
	}
}

// framedSession starts bin on an 80x24 session and waits up to 10 s for
// its complete frame; the test fails with the screen and the program's
// stderr if none comes. The session stops when the test ends.
func framedSession(t *testing.T, bin string, args, env []string, complete func(string) bool) *session {
	t.Helper()
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	s, err := startSession(bin, args, env, 80, 24, stderr, complete, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(time.Second) })
	if err := s.waitFrame(10 * time.Second); err != nil {
		b, _ := os.ReadFile(stderr.Name())
		t.Fatalf("%v; screen:\n%s\nstderr: %s", err, s.Screen(), b)
	}
	return s
}

func TestReadResults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.jsonl")
	want := []toolResult{
		{Tool: "streamops", Pods: 1000, Run: 1, FirstFrame: 570 * time.Millisecond, RSS: 59 << 20, IdleCPU: 0.4, IdleByKind: map[string]int{}},
		{Tool: "k9s", Pods: 1000, Run: 1, FirstFrame: 3500 * time.Millisecond, RSS: 259 << 20, IdleCPU: 6.5, IdleRequests: 2, IdleByKind: map[string]int{"GET /version": 2}},
	}
	var b bytes.Buffer
	for _, r := range want {
		if err := json.NewEncoder(&b).Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read %+v, want %+v", got, want)
	}
	for name, text := range map[string]string{"empty": "", "not JSON": "frame 0.5 s\n", "no tool": `{"Pods": 1000}` + "\n"} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readResults(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
