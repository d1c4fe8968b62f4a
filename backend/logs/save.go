package logs

import (
	"bufio"
	"fmt"
	"os"
	"time"
)

// Save writes lines as plain text to a new file at path, created with mode
// 0600; it never overwrites an existing file. label names a line's source;
// timestamps prefixes each line with its RFC3339 time.
func Save(path string, lines []Line, label func(source uint32) string, timestamps bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("save logs: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	for _, l := range lines {
		if timestamps {
			if l.Time != 0 {
				w.WriteString(time.Unix(0, l.Time).UTC().Format(time.RFC3339Nano))
			} else {
				w.WriteString("-")
			}
			w.WriteByte(' ')
		}
		w.WriteString(label(l.Source))
		if l.Notice {
			w.WriteString(" -- ")
		} else {
			w.WriteByte(' ')
		}
		w.Write(l.Text)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("save logs to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save logs to %s: %w", path, err)
	}
	return nil
}
