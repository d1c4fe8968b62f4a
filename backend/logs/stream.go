package logs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// stream follows one container: it reads the history first (tail, since),
// hands it to its load group to be merged with the other containers'
// history in time order, then follows, reconnecting when the stream ends
// until its context is cancelled.
type stream struct {
	e        *Engine
	id       uint32
	target   Target
	uid      string
	session  uint64
	opts     Options
	follow   bool
	cancel   context.CancelFunc
	finished chan struct{}
	prev     *stream // the stream of this target before, this session
	group    *loadGroup
	joined   bool // appeared after the session started
	histCap  int  // the most history lines kept before the merge

	// owned by the goroutine; read by the next stream once finished is closed
	res       resumeState
	delivered bool
	outage    bool // a "stream ended" notice was written, no "reconnected" yet
}

// resumeState is where a container's log was left: the newest timestamp
// and how many lines carried it (the API resumes at whole seconds, so lines
// at or before it come again and are dropped).
type resumeState struct {
	lastTS    int64
	same      int
	prevLevel Level
	seen      bool // any line was ever read
}

func (st *stream) run(ctx context.Context) {
	defer close(st.finished)
	defer st.leaveGroup()
	defer func() {
		if r := recover(); r != nil {
			// Reported, and the source says it stopped: left as it was it
			// would read "connecting" for ever.
			st.e.setState(st.id, Stopped, fmt.Sprintf("internal error: %v", r))
			st.e.reportPanic("log stream "+st.target.String(), r)
		}
	}()
	st.e.hook("stream")
	if st.prev != nil {
		select {
		case <-st.prev.finished:
			st.res = st.prev.res
		case <-ctx.Done():
			return
		}
	}
	if st.joined {
		st.e.noticef(st.session, st.id, "joined: %s matches the selection", st.target.Pod)
	}
	if !st.backlog(ctx) {
		return
	}
	select {
	case <-st.group.done:
	case <-ctx.Done():
		return
	}
	if !st.follow {
		st.e.setState(st.id, Ended, "")
		return
	}
	st.followLoop(ctx)
}

func (st *stream) leaveGroup() {
	if !st.delivered {
		st.delivered = true
		st.group.deliver(st, nil)
	}
}

// backlog reads what the log holds now (tail or since, or from where a
// previous stream stopped) and delivers it to the load group. false when
// ctx ended.
func (st *stream) backlog(ctx context.Context) bool {
	o := StreamOptions{Previous: st.opts.Previous, TailLines: int64(st.opts.Tail)}
	switch {
	case st.res.seen:
		o.SinceTime, o.TailLines = time.Unix(0, st.res.lastTS), -1
	case st.opts.Since > 0:
		o.SinceSeconds = sinceSeconds(st.opts.Since)
	}
	if st.opts.Tail < 0 {
		o.TailLines = -1
	}
	if o.TailLines == 0 && st.follow {
		st.leaveGroup() // only new lines are wanted
		return true
	}
	var col collector
	backoff := st.e.cfg.Backoff
	for attempt := 1; ; attempt++ {
		if !st.waitOpenable(ctx) {
			return false
		}
		rc, err := st.open(ctx, o)
		if err == nil {
			col.limit = st.histCap
			_, err = st.consume(ctx, rc, col.add)
			rc.Close()
			if ctx.Err() != nil {
				return false
			}
			if err == nil || errors.Is(err, io.EOF) {
				break
			}
		}
		if ctx.Err() != nil {
			return false
		}
		if !st.follow && attempt >= 3 {
			st.e.noticef(st.session, st.id, "could not read the log: %s", oneLine(err))
			st.e.setState(st.id, Ended, oneLine(err))
			break
		}
		st.e.setState(st.id, Retrying, oneLine(err))
		if !st.sleep(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, st.e.cfg.MaxBackoff)
		col = collector{}
	}
	lines := col.lines()
	if col.dropped > 0 {
		st.e.buf.skip(st.session, col.dropped)
	}
	st.e.mu.Lock()
	st.e.sources[st.id].Lines += uint64(len(lines))
	st.e.mu.Unlock()
	st.delivered = true
	st.group.deliver(st, lines)
	return true
}

// followLoop follows the log, reconnecting after each end with a backoff.
func (st *stream) followLoop(ctx context.Context) {
	e := st.e
	backoff := e.cfg.Backoff
	for {
		if !st.waitOpenable(ctx) {
			return
		}
		o := StreamOptions{Follow: true, TailLines: -1}
		switch {
		case st.res.seen:
			o.SinceTime = time.Unix(0, st.res.lastTS)
		case st.opts.Since > 0:
			o.SinceSeconds = sinceSeconds(st.opts.Since)
		case st.opts.Tail == 0:
			o.TailLines = 0
		}
		rc, err := st.open(ctx, o)
		if err == nil {
			if st.outage {
				st.outage = false
				e.noticef(st.session, st.id, "reconnected; resuming after %s", stamp(st.res.lastTS))
			}
			e.setState(st.id, Streaming, "")
			started := e.clock.Now()
			var n int
			n, err = st.consume(ctx, rc, st.live)
			rc.Close()
			if ctx.Err() != nil {
				return
			}
			if n > 0 || e.clock.Since(started) > 10*time.Second {
				backoff = e.cfg.Backoff
			}
		}
		if ctx.Err() != nil {
			return
		}
		reason := "stream ended (container restarted or connection closed)"
		if err != nil && !errors.Is(err, io.EOF) {
			reason = "connection lost: " + oneLine(err)
		}
		if !st.outage {
			st.outage = true
			e.noticef(st.session, st.id, "%s; reconnecting", reason)
		}
		e.setState(st.id, Retrying, reason)
		if !st.sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, e.cfg.MaxBackoff)
	}
}

// open waits for the rate limiter and opens the stream.
func (st *stream) open(ctx context.Context, o StreamOptions) (io.ReadCloser, error) {
	if err := st.e.limiter.Wait(ctx); err != nil {
		return nil, err
	}
	return st.e.cfg.Source.Open(ctx, st.target, o)
}

// waitOpenable waits until the latest snapshot says the container has a log
// to read; false when ctx ended.
func (st *stream) waitOpenable(ctx context.Context) bool {
	for {
		ok, reason, next := st.e.openableNow(st.target, st.opts.Previous)
		if ok {
			return true
		}
		st.e.setState(st.id, Waiting, reason)
		select {
		case <-next:
		case <-ctx.Done():
			return false
		}
	}
}

func (st *stream) sleep(ctx context.Context, d time.Duration) bool {
	t := st.e.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}

// live appends a batch to the buffer; false when the session is over.
func (st *stream) live(lines []Line) bool {
	if !st.e.buf.appendFor(st.session, lines) {
		return false
	}
	st.e.mu.Lock()
	st.e.sources[st.id].Lines += uint64(len(lines))
	st.e.mu.Unlock()
	st.e.notify()
	return true
}

// maxBatch bounds the lines appended under one lock, maxBatchBytes the
// text a batch holds (256 over-long lines would be 16 MiB).
const (
	maxBatch      = 256
	maxBatchBytes = 256 << 10
)

// consume reads lines from r until it ends, dropping those already seen,
// sanitising and classifying the rest, and hands them to sink in batches.
// It returns how many lines were accepted.
func (st *stream) consume(ctx context.Context, r io.Reader, sink func([]Line) bool) (int, error) {
	maxLine := st.e.cfg.MaxLine
	br := bufio.NewReaderSize(r, min(maxLine+64, 1<<20))
	skip := 0
	if st.res.seen {
		skip = st.res.same
	}
	var b batch
	accepted := 0
	for {
		raw, err := br.ReadSlice('\n')
		cut := 0
		if errors.Is(err, bufio.ErrBufferFull) {
			cut = -1 // measured once raw has been used
			err = nil
		}
		if len(raw) > 0 {
			if st.process(&b, raw, cut, &skip, maxLine, br) {
				accepted++
			}
		}
		if err != nil {
			if len(b.lines) > 0 && !b.flush(sink) {
				return accepted, context.Canceled
			}
			return accepted, err
		}
		if (br.Buffered() == 0 || len(b.lines) >= maxBatch || len(b.text) >= maxBatchBytes) && len(b.lines) > 0 {
			if !b.flush(sink) {
				return accepted, context.Canceled
			}
		}
		if ctx.Err() != nil {
			return accepted, ctx.Err()
		}
	}
}

// process turns one raw line into a batch entry; false when it was dropped
// as a repeat. cut < 0 means the line was longer than the reader's buffer:
// the rest is skipped and counted.
func (st *stream) process(b *batch, raw []byte, cut int, skip *int, maxLine int, br *bufio.Reader) bool {
	line := raw
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n > 1 && line[n-2] == '\r' {
			line = line[:n-2]
		}
	}
	ts, rest, ok := splitTimestamp(line)
	res := &st.res
	if ok {
		switch {
		case res.seen && ts < res.lastTS:
			skipRest(br, cut)
			return false
		case res.seen && ts == res.lastTS && *skip > 0:
			*skip--
			skipRest(br, cut)
			return false
		case !res.seen || ts > res.lastTS:
			res.lastTS, res.same, res.seen = ts, 1, true
			*skip = 0
		default:
			res.same++
		}
	} else {
		ts = 0
	}
	start := len(b.text)
	if cut < 0 {
		// keep what we have before the reader's buffer is reused, skip the
		// rest, and say once how much of the line was cut
		b.long = append(b.long[:0], rest...)
		n := skipRest(br, cut)
		b.text = sanitize(b.text, b.long, maxLine, n)
	} else {
		b.text = sanitize(b.text, rest, maxLine, 0)
	}
	lvl, class := Detect(b.text[start:])
	lvl, cont := Resolve(res.prevLevel, lvl, class)
	if !cont {
		res.prevLevel = lvl
	}
	b.lines = append(b.lines, Line{Time: ts, Source: st.id, Level: lvl, Cont: cont})
	b.spans = append(b.spans, [2]int{start, len(b.text)})
	return true
}

// skipRest discards the rest of an over-long line and returns its length.
func skipRest(br *bufio.Reader, cut int) int {
	if cut >= 0 {
		return 0
	}
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		n += len(chunk)
		if err == nil {
			return n - 1 // the newline is not content
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return n
		}
	}
}

// batch collects lines whose text lives in one reused byte slice.
type batch struct {
	lines []Line
	spans [][2]int
	text  []byte
	long  []byte // the kept start of an over-long line
}

func (b *batch) flush(sink func([]Line) bool) bool {
	for i := range b.lines {
		b.lines[i].Text = b.text[b.spans[i][0]:b.spans[i][1]:b.spans[i][1]]
	}
	ok := sink(b.lines)
	clear(b.lines) // drop references to text
	b.lines, b.spans, b.text = b.lines[:0], b.spans[:0], b.text[:0]
	return ok
}

// collector keeps a stream's history until it is merged: at most the
// buffer's limit, counting what it drops.
type collector struct {
	limit   int
	all     []Line
	dropped int
	slab    []byte // text is copied into blocks, as the buffer does
}

func (c *collector) add(lines []Line) bool {
	for _, l := range lines {
		l.Text = storeText(&c.slab, l.Text)
		c.all = append(c.all, l)
	}
	if c.limit > 0 && len(c.all) >= c.limit+c.limit/2+1 {
		n := len(c.all) - c.limit
		c.dropped += n
		c.all = slices.Delete(c.all, 0, n)
	}
	return true
}

func (c *collector) lines() []Line {
	if c.limit > 0 && len(c.all) > c.limit {
		c.dropped += len(c.all) - c.limit
		c.all = c.all[len(c.all)-c.limit:]
	}
	return c.all
}

// loadGroup merges the history of the containers selected together in
// time order before any of them goes live, so that "all segment stores"
// reads as one log. A container that has not delivered after MergeWait is
// not waited for: its history is appended when it comes.
type loadGroup struct {
	e       *Engine
	session uint64
	mu      sync.Mutex
	rank    map[*stream]int
	pending int
	lines   []Line
	keys    []int64 // sort key: time, or the previous line's when unknown
	ranks   []int
	merged  bool
	done    chan struct{}
}

func newLoadGroup(e *Engine, session uint64) *loadGroup {
	return &loadGroup{e: e, session: session, rank: map[*stream]int{}, done: make(chan struct{})}
}

func (g *loadGroup) add(st *stream) {
	g.mu.Lock()
	g.rank[st] = len(g.rank)
	g.pending++
	g.mu.Unlock()
}

// arm merges whatever arrived after MergeWait.
func (g *loadGroup) arm() {
	go func() {
		defer g.e.report("log history merge")
		g.e.hook("merge")
		t := time.NewTimer(g.e.cfg.MergeWait)
		defer t.Stop()
		select {
		case <-t.C:
			g.mu.Lock()
			g.mergeLocked()
			g.mu.Unlock()
		case <-g.done:
		}
	}()
}

func (g *loadGroup) deliver(st *stream, lines []Line) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.merged {
		if len(lines) > 0 {
			g.e.buf.adoptFor(g.session, lines)
			g.e.notify()
		}
		return
	}
	r := g.rank[st]
	var key int64
	for _, l := range lines {
		if l.Time != 0 {
			key = l.Time
		}
		g.lines = append(g.lines, l)
		g.keys = append(g.keys, key)
		g.ranks = append(g.ranks, r)
	}
	g.pending--
	if g.pending <= 0 {
		g.mergeLocked()
	}
}

func (g *loadGroup) mergeLocked() {
	if g.merged {
		return
	}
	g.merged = true
	idx := make([]int, len(g.lines))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if g.keys[a] != g.keys[b] {
			if g.keys[a] < g.keys[b] {
				return -1
			}
			return 1
		}
		return g.ranks[a] - g.ranks[b]
	})
	out := make([]Line, len(idx))
	for i, j := range idx {
		out[i] = g.lines[j]
	}
	g.e.buf.adoptFor(g.session, out)
	g.lines, g.keys, g.ranks = nil, nil, nil
	close(g.done)
	g.e.notify()
}

// sinceSeconds rounds a duration up to whole seconds, as kubectl does.
func sinceSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

func oneLine(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return s[:i]
		}
	}
	return s
}

func stamp(ns int64) string {
	if ns == 0 {
		return "the start"
	}
	return time.Unix(0, ns).UTC().Format("15:04:05.000")
}
