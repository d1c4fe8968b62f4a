package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// session is one tool running on a pseudo-terminal whose output feeds a
// virtual terminal, the way a terminal emulator shows it to a person. The
// virtual terminal answers the tool's queries (cursor position, colours,
// device attributes) through the pty, as a real one would.
type session struct {
	cmd   *exec.Cmd
	ptmx  *os.File
	start time.Time // just before the process was started

	bytes atomic.Int64 // written by the tool to the terminal

	mu       sync.Mutex
	emu      *vt.Emulator
	complete func(screen string) bool
	onScreen func(at time.Duration, screen string) // called when the screen's text changed, until complete
	last     string
	frame    time.Time     // when the first complete frame had been read
	shown    chan struct{} // closed at frame
	done     chan struct{} // closed when the tool's output ended
}

// startSession starts bin on a cols x rows pty. Its stderr goes to
// stderr (a file: a tool writing there would otherwise scribble on the
// screen); complete says when a screen is the first complete frame.
func startSession(bin string, args, env []string, cols, rows int, stderr io.Writer,
	complete func(string) bool, onScreen func(time.Duration, string)) (*session, error) {
	s := &session{
		cmd: exec.Command(bin, args...), emu: vt.NewEmulator(cols, rows),
		complete: complete, onScreen: onScreen,
		shown: make(chan struct{}), done: make(chan struct{}),
	}
	s.cmd.Env = env
	s.cmd.Stderr = stderr
	s.start = time.Now()
	ptmx, err := pty.StartWithSize(s.cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		return nil, fmt.Errorf("start %s on a pty: %w", bin, err)
	}
	s.ptmx = ptmx
	// The emulator's replies to queries go back to the tool as input.
	go func() { _, _ = io.Copy(ptmx, s.emu) }()
	go s.read()
	return s, nil
}

func (s *session) read() {
	defer close(s.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := s.ptmx.Read(buf)
		if n > 0 {
			s.bytes.Add(int64(n))
			s.feed(buf[:n])
		}
		if err != nil { // EIO once the tool has exited and closed the tty
			return
		}
	}
}

func (s *session) feed(b []byte) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.emu.Write(b)
	if !s.frame.IsZero() {
		return
	}
	screen := s.emu.String()
	if screen == s.last {
		return
	}
	s.last = screen
	if s.onScreen != nil {
		s.onScreen(now.Sub(s.start), screen)
	}
	if s.complete(screen) {
		s.frame = now
		close(s.shown)
	}
}

// Screen is the terminal's text now.
func (s *session) Screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emu.String()
}

// firstFrame is the time from process start to the first complete frame.
func (s *session) firstFrame() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame.Sub(s.start)
}

// waitFrame waits for the first complete frame, or fails when the tool
// exits or the timeout passes first.
func (s *session) waitFrame(timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-s.shown:
		return nil
	case <-s.done:
		select {
		case <-s.shown:
			return nil
		default:
		}
		return errors.New("the tool exited before its first complete frame")
	case <-t.C:
		return fmt.Errorf("no complete frame within %s", timeout)
	}
}

// stop ends the tool: SIGTERM, then SIGKILL after grace, and closes the
// pty. It only signals its own child, by pid.
func (s *session) stop(grace time.Duration) {
	exited := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(exited) }()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = s.cmd.Process.Kill()
		<-exited
	}
	s.ptmx.Close()
	// Closing the emulator's reply pipe ends the goroutine copying replies
	// to the pty. (Emulator.Close would too, but it sets a flag that its
	// Read checks without a lock.)
	if pw, ok := s.emu.InputPipe().(*io.PipeWriter); ok {
		_ = pw.CloseWithError(io.EOF)
	}
}
