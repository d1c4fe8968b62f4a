package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Crash is a panic caught in the console: the terminal is restored by
// quitting normally, and the trace is written to File.
type Crash struct {
	Value any
	File  string // where the trace was written ("" if it could not be)
}

func (c *Crash) Error() string {
	if c.File == "" {
		return fmt.Sprintf("internal error: %v (the trace could not be written)", c.Value)
	}
	return fmt.Sprintf("internal error: %v; trace written to %s", c.Value, c.File)
}

type crashMsg struct{ crash *Crash }

// writeCrash records a panic's value and stack in dir and returns the Crash.
func writeCrash(dir string, v any, stack []byte) *Crash {
	c := &Crash{Value: v}
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return c
	}
	name := filepath.Join(dir, fmt.Sprintf("streamops-crash-%s.txt", time.Now().UTC().Format("20060102T150405.000")))
	body := fmt.Sprintf("streamops panic: %v\n\n%s", v, stack)
	if err := os.WriteFile(name, []byte(body), 0o600); err == nil {
		c.File = name
	}
	return c
}

// safe wraps a Cmd so that a panic inside it becomes a crashMsg.
func safe(dir string, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = crashMsg{writeCrash(dir, r, debug.Stack())}
			}
		}()
		msg = cmd()
		// Batches and sequences carry Cmds of their own: wrap them too.
		switch m := msg.(type) {
		case tea.BatchMsg:
			for i := range m {
				m[i] = safe(dir, m[i])
			}
		}
		return msg
	}
}
