package scale

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/logs"
)

// SourceScanner is the post-scale check through the log engine's pieces:
// its Source (client-go's pods/log API, or the demo's), its sanitiser and
// its level detection, so that the check counts an error exactly as the
// logs pane marks one. A stack trace is one error, not one per frame.
type SourceScanner struct {
	Source   logs.Source
	MaxLines int // lines read per container (default 20,000)
}

// Scan implements LogScanner.
func (s SourceScanner) Scan(ctx context.Context, targets []LogTarget, since time.Time) ([]LogFinding, error) {
	out := make([]LogFinding, len(targets))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { // a panic is this container's finding, not the program's end
				if r := recover(); r != nil {
					out[i] = LogFinding{Target: t, Err: fmt.Sprintf("internal error: %v", r)}
				}
			}()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = LogFinding{Target: t, Err: ctx.Err().Error()}
				return
			}
			defer func() { <-sem }()
			out[i] = s.scanOne(ctx, t, since)
		}()
	}
	wg.Wait()
	return out, nil
}

func (s SourceScanner) scanOne(ctx context.Context, t LogTarget, since time.Time) LogFinding {
	f := LogFinding{Target: t}
	maxLines := s.MaxLines
	if maxLines <= 0 {
		maxLines = 20000
	}
	rc, err := s.Source.Open(ctx, logs.Target{Namespace: t.Namespace, Pod: t.Pod, Container: t.Container},
		logs.StreamOptions{SinceTime: since, TailLines: -1})
	if err != nil {
		f.Err = kube.Explain(err).Error()
		return f
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 64*1024)
	prev := logs.LevelNone
	var clean []byte
	for n := 0; n < maxLines; n++ {
		raw, err := r.ReadSlice('\n')
		if len(raw) > 0 {
			line := raw
			// The source's lines start with the kubelet's timestamp.
			for i, c := range line {
				if c == ' ' {
					if ts, perr := time.Parse(time.RFC3339Nano, string(line[:i])); perr == nil {
						if ts.Before(since) {
							line = nil
						} else {
							line = line[i+1:]
						}
					}
					break
				}
			}
			if line != nil {
				line = bytes.TrimRight(line, "\r\n") // the line's end is no character of it (it showed as ␊)
				clean = logs.Sanitize(clean[:0], line, 4096)
				lvl, class := logs.Detect(clean)
				lvl, cont := logs.Resolve(prev, lvl, class)
				if lvl == logs.LevelError && !cont {
					f.Errors++
					if len(f.Samples) < 3 {
						f.Samples = append(f.Samples, truncate(string(clean), 160))
					}
				}
				prev = lvl
			}
		}
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull { // the rest of a very long line
				_, err = r.ReadSlice('\n')
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			if ctx.Err() == nil {
				f.Err = err.Error()
			}
			break
		}
	}
	return f
}
