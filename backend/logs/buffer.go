package logs

import (
	"sort"
	"sync"
	"time"
)

// DefaultLimit is how many lines the buffer keeps in total, across sources.
const DefaultLimit = 50_000

// ByteLimit bounds the text the buffer keeps, whatever its line limit: a
// container writing 64 KiB lines (the longest kept) would otherwise make
// 50,000 lines hold 3 GiB. Past it the oldest lines go, as past the line
// limit.
const ByteLimit = 128 << 20

// slabSize is the size of the blocks line text is copied into: one
// allocation serves about a thousand ordinary lines. A block is freed by the
// garbage collector once the last line in it has been dropped; since lines
// are dropped oldest first, at most one block is ever partly dead.
const slabSize = 256 << 10

// Line is one log line in the buffer.
type Line struct {
	Seq    uint64 // position among every line ever appended; never reused
	Time   int64  // the kubelet's timestamp, Unix nanoseconds (0: unknown)
	Source uint32 // index into the engine's sources
	Level  Level
	Cont   bool   // continues the event before it (stack frame...)
	Notice bool   // written by the engine (stream ended, resumed ...)
	Text   []byte // sanitised; never modified once appended
}

// Timestamp is the line's time, zero when unknown.
func (l Line) Timestamp() time.Time {
	if l.Time == 0 {
		return time.Time{}
	}
	return time.Unix(0, l.Time).UTC()
}

// IsError reports whether the line starts an error event (what "next error"
// jumps to).
func (l Line) IsError() bool { return l.Level == LevelError && !l.Cont && !l.Notice }

// Buffer is a bounded ring of log lines with the indexes the view needs:
// the lines the include/exclude filter shows, the search matches and the
// errors among them. It is safe for concurrent use: streams append, the UI
// reads windows.
type Buffer struct {
	mu        sync.RWMutex
	limit     int
	byteLimit int
	ring      []Line // circular: n lines from start
	start     int    // ring index of the oldest line
	n         int    // lines held
	bytes     int    // their text
	next      uint64 // seq of the next line
	cleared   uint64 // lines removed by Clear, not counted as dropped
	slab      []byte
	session   uint64 // the engine's session: lines of older ones are refused
	skipped   uint64 // lines dropped before they reached the ring (history over the limit)

	filter  *Filter
	search  *Search
	visible seqs // only when filter != nil
	matches seqs
	errors  seqs
	scratch []byte
}

// NewBuffer returns a buffer keeping at most limit lines (DefaultLimit when
// limit <= 0).
func NewBuffer(limit int) *Buffer {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Buffer{limit: limit, byteLimit: ByteLimit}
}

// Stats describe the buffer at one moment.
type Stats struct {
	Total   uint64 // lines ever appended
	Held    int    // lines in the buffer
	Dropped uint64 // older lines dropped to stay within the limit
	Visible int    // lines the view shows
	Matches int    // visible lines matching the search
	Errors  int    // visible lines starting an error
	Limit   int
}

// Stats returns the current counts.
func (b *Buffer) Stats() Stats {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.statsLocked()
}

func (b *Buffer) statsLocked() Stats {
	return Stats{
		Total: b.next, Held: b.n, Dropped: b.first() - b.cleared + b.skipped,
		Visible: b.visibleLen(), Matches: b.matches.len(), Errors: b.errors.len(), Limit: b.limit,
	}
}

func (b *Buffer) first() uint64 { return b.next - uint64(b.n) }

func (b *Buffer) at(seq uint64) *Line {
	return &b.ring[(b.start+int(seq-b.first()))%len(b.ring)]
}

// Append adds lines, copying their text; Seq is assigned here.
func (b *Buffer) Append(lines ...Line) {
	b.mu.Lock()
	for i := range lines {
		b.appendLocked(lines[i])
	}
	b.mu.Unlock()
}

func (b *Buffer) appendLocked(l Line) {
	l.Text = storeText(&b.slab, l.Text)
	b.adoptLocked(l)
}

// adoptLocked appends a line whose text is the buffer's to keep: it is
// never modified again (a collector's blocks).
func (b *Buffer) adoptLocked(l Line) {
	dropped := false
	for b.n > 0 && (b.n >= b.limit || b.bytes+len(l.Text) > b.byteLimit) {
		b.dropOldestLocked()
		dropped = true
	}
	if dropped {
		first := b.first()
		b.visible.dropBefore(first)
		b.matches.dropBefore(first)
		b.errors.dropBefore(first)
	}
	l.Seq = b.next
	b.next++
	b.pushLocked(l)
	b.index(&l)
}

// dropOldestLocked removes the oldest line (the caller updates the
// indexes).
func (b *Buffer) dropOldestLocked() {
	b.bytes -= len(b.ring[b.start].Text)
	b.ring[b.start] = Line{} // let its block go once no line uses it
	b.start = (b.start + 1) % len(b.ring)
	b.n--
}

// pushLocked stores l after the newest line, growing the ring (up to the
// line limit) when it is full.
func (b *Buffer) pushLocked(l Line) {
	if b.n == len(b.ring) {
		if b.start != 0 { // unroll, so that appending keeps the order
			b.ring = append(b.ring[b.start:len(b.ring):len(b.ring)], b.ring[:b.start]...)
			b.start = 0
		}
		b.ring = append(b.ring, l)
	} else {
		b.ring[(b.start+b.n)%len(b.ring)] = l
	}
	b.n++
	b.bytes += len(l.Text)
}

// index adds a line to the view's indexes.
func (b *Buffer) index(l *Line) {
	if b.filter != nil {
		if !l.Notice && !b.filter.Keep(l.Text) {
			return
		}
		b.visible.push(l.Seq)
	}
	if l.IsError() {
		b.errors.push(l.Seq)
	}
	if b.search != nil && !l.Notice && b.search.Match(l.Text, &b.scratch) {
		b.matches.push(l.Seq)
	}
}

// storeText copies text into the block *slab, starting a new block when
// it is full; long texts get their own allocation. The result's capacity
// ends with it, so appending to it never writes into the block.
func storeText(slab *[]byte, text []byte) []byte {
	if len(text) == 0 {
		return nil
	}
	if len(text) > slabSize/8 {
		return append([]byte(nil), text...)
	}
	if cap(*slab)-len(*slab) < len(text) {
		*slab = make([]byte, 0, slabSize)
	}
	n := len(*slab)
	*slab = append(*slab, text...)
	return (*slab)[n : n+len(text) : n+len(text)]
}

// appendFor appends lines of an engine session; it refuses them (false)
// when a newer session started.
func (b *Buffer) appendFor(session uint64, lines []Line) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if session != b.session {
		return false
	}
	for i := range lines {
		b.appendLocked(lines[i])
	}
	return true
}

// adoptFor is appendFor for lines whose text the buffer may keep as it is
// (it is never modified again): the merged history, whose collectors
// already copied it into blocks.
func (b *Buffer) adoptFor(session uint64, lines []Line) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if session != b.session {
		return false
	}
	for i := range lines {
		b.adoptLocked(lines[i])
	}
	return true
}

// skip counts lines of a session dropped before they were appended.
func (b *Buffer) skip(session uint64, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if session == b.session {
		b.skipped += uint64(n)
	}
}

// reset clears the buffer for a new session.
func (b *Buffer) reset(session uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.session = session
	b.clearLocked()
}

// Clear empties the buffer; sequence numbers go on.
func (b *Buffer) Clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clearLocked()
}

// Release lets go of the lines before seq, which a reader has written out
// (`streamops logs` to a pipe): they are neither kept nor counted as
// dropped, so the buffer holds only what is still to be written, however
// long the logs are.
func (b *Buffer) Release(seq uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	released := false
	for b.n > 0 && b.first() < seq {
		b.dropOldestLocked()
		b.cleared++
		released = true
	}
	if released {
		first := b.first()
		b.visible.dropBefore(first)
		b.matches.dropBefore(first)
		b.errors.dropBefore(first)
	}
}

func (b *Buffer) clearLocked() {
	b.cleared += uint64(b.n)
	b.skipped = 0
	b.ring, b.start, b.n, b.bytes, b.slab = nil, 0, 0, 0, nil
	b.visible.reset()
	b.matches.reset()
	b.errors.reset()
}

// SetView applies a filter and a search (either may be nil) and rebuilds
// the indexes over the lines held.
func (b *Buffer) SetView(f *Filter, s *Search) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.filter, b.search = f, s
	b.visible.reset()
	b.matches.reset()
	b.errors.reset()
	for i := range b.n {
		b.index(&b.ring[(b.start+i)%len(b.ring)])
	}
}

// Search is the active search, nil when none.
func (b *Buffer) Search() *Search {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.search
}

func (b *Buffer) visibleLen() int {
	if b.filter == nil {
		return b.n
	}
	return b.visible.len()
}

// seqAt is the seq of the visible line at position i.
func (b *Buffer) seqAt(i int) uint64 {
	if b.filter == nil {
		return b.first() + uint64(i)
	}
	return b.visible.at(i)
}

// position is the visible position of the first visible line at or after seq.
func (b *Buffer) position(seq uint64) int {
	if b.filter == nil {
		if seq < b.first() {
			return 0
		}
		return int(min(seq-b.first(), uint64(b.n)))
	}
	return b.visible.search(seq)
}

// Window is a run of visible lines.
type Window struct {
	Lines []Line
	Pos   int // visible position of Lines[0]
	Stats Stats
}

// Tail returns the last n visible lines, reusing dst.
func (b *Buffer) Tail(n int, dst []Line) Window {
	b.mu.RLock()
	defer b.mu.RUnlock()
	total := b.visibleLen()
	from := max(total-n, 0)
	return b.windowLocked(from, n, dst)
}

// From returns up to n visible lines starting at the first visible line at
// or after seq, reusing dst.
func (b *Buffer) From(seq uint64, n int, dst []Line) Window {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.windowLocked(b.position(seq), n, dst)
}

func (b *Buffer) windowLocked(from, n int, dst []Line) Window {
	dst = dst[:0]
	total := b.visibleLen()
	for i := from; i < total && len(dst) < n; i++ {
		dst = append(dst, *b.at(b.seqAt(i)))
	}
	return Window{Lines: dst, Pos: from, Stats: b.statsLocked()}
}

// Step returns the seq of the visible line delta positions away from the
// first visible line at or after seq, clamped to the buffer; ok is false
// when nothing is visible.
func (b *Buffer) Step(seq uint64, delta int) (uint64, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	total := b.visibleLen()
	if total == 0 {
		return seq, false
	}
	p := min(max(b.position(seq)+delta, 0), total-1)
	return b.seqAt(p), true
}

// Last is the seq of the last visible line.
func (b *Buffer) Last() (uint64, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	total := b.visibleLen()
	if total == 0 {
		return 0, false
	}
	return b.seqAt(total - 1), true
}

// CountAfter is the number of visible lines after seq.
func (b *Buffer) CountAfter(seq uint64) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.visibleLen() - b.position(seq+1)
}

// NextMatch is the first match after seq; wrap starts over from the top.
func (b *Buffer) NextMatch(seq uint64) (uint64, bool) { return b.next1(&b.matches, seq) }

// PrevMatch is the last match before seq.
func (b *Buffer) PrevMatch(seq uint64) (uint64, bool) { return b.prev1(&b.matches, seq) }

// NextError is the first error line after seq.
func (b *Buffer) NextError(seq uint64) (uint64, bool) { return b.next1(&b.errors, seq) }

// PrevError is the last error line before seq.
func (b *Buffer) PrevError(seq uint64) (uint64, bool) { return b.prev1(&b.errors, seq) }

func (b *Buffer) next1(s *seqs, seq uint64) (uint64, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	i := s.search(seq + 1)
	if i >= s.len() {
		return 0, false
	}
	return s.at(i), true
}

func (b *Buffer) prev1(s *seqs, seq uint64) (uint64, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	i := s.search(seq) - 1
	if i < 0 {
		return 0, false
	}
	return s.at(i), true
}

// Visible copies every visible line (to save the buffer).
func (b *Buffer) Visible() []Line {
	b.mu.RLock()
	defer b.mu.RUnlock()
	total := b.visibleLen()
	out := make([]Line, 0, total)
	for i := 0; i < total; i++ {
		out = append(out, *b.at(b.seqAt(i)))
	}
	return out
}

// seqs is an ascending queue of sequence numbers: pushed at the back,
// dropped from the front as the ring overwrites old lines.
type seqs struct {
	s    []uint64
	head int
}

func (q *seqs) len() int        { return len(q.s) - q.head }
func (q *seqs) at(i int) uint64 { return q.s[q.head+i] }
func (q *seqs) push(v uint64)   { q.s = append(q.s, v) }
func (q *seqs) reset()          { q.s, q.head = q.s[:0], 0 }
func (q *seqs) search(v uint64) int {
	live := q.s[q.head:]
	return sort.Search(len(live), func(i int) bool { return live[i] >= v })
}

func (q *seqs) dropBefore(first uint64) {
	for q.head < len(q.s) && q.s[q.head] < first {
		q.head++
	}
	if q.head > 1024 && q.head > len(q.s)/2 {
		n := copy(q.s, q.s[q.head:])
		q.s, q.head = q.s[:n], 0
	}
}

// Around returns the line seq with up to n lines of its source before and
// after it, whatever the view's filter hides (grep's -C for the line a
// search or error jump stopped on), oldest first, reusing dst. It looks at
// most scan lines away on each side; ok is false when seq is no longer
// held.
func (b *Buffer) Around(seq uint64, n, scan int, dst []Line) (lines []Line, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	dst = dst[:0]
	if b.n == 0 || seq < b.first() || seq >= b.next {
		return dst, false
	}
	src := b.at(seq).Source
	var before []Line
	for s, looked := seq, 0; s > b.first() && len(before) < n && looked < scan; looked++ {
		s--
		if l := b.at(s); l.Source == src {
			before = append(before, *l)
		}
	}
	for i := len(before) - 1; i >= 0; i-- {
		dst = append(dst, before[i])
	}
	dst = append(dst, *b.at(seq))
	for s, after, looked := seq+1, 0, 0; s < b.next && after < n && looked < scan; s, looked = s+1, looked+1 {
		if l := b.at(s); l.Source == src {
			dst = append(dst, *l)
			after++
		}
	}
	return dst, true
}
