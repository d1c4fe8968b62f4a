package logs

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// SaveNew saves lines to a new file in dir (created 0700 if missing) named
// streamops-logs-<UTC stamp of at>.log, or -2, -3 … when that name is taken,
// and returns its path. It never overwrites a file.
func SaveNew(dir string, at time.Time, lines []Line, label func(source uint32) string, timestamps bool) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("save logs: %w", err)
	}
	stamp := at.UTC().Format("20060102-150405")
	path := filepath.Join(dir, "streamops-logs-"+stamp+".log")
	for i := 2; ; i++ {
		err := Save(path, lines, label, timestamps)
		if err == nil {
			return path, nil
		}
		if !errors.Is(err, fs.ErrExist) || i > 99 {
			return "", err
		}
		path = filepath.Join(dir, fmt.Sprintf("streamops-logs-%s-%d.log", stamp, i))
	}
}
