package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestGoSafeTurnsAPanicIntoAnErrorEvent: the goroutines runConsole starts
// (the REST monitor, the log engine, the demo platform) run through goSafe;
// a panic in one is one line on the status bar's channel and a logged
// stack, not the end of the program.
func TestGoSafeTurnsAPanicIntoAnErrorEvent(t *testing.T) {
	var logged bytes.Buffer
	errs := make(chan error, 1)
	goSafe("the log engine", slog.New(slog.NewTextHandler(&logged, nil)), errs, func() { panic("injected") })
	select {
	case err := <-errs:
		if err.Error() != "internal error in the log engine: injected" {
			t.Errorf("error event %q", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error event")
	}
	if !strings.Contains(logged.String(), "panic recovered") || !strings.Contains(logged.String(), "goroutine") {
		t.Errorf("the stack was not logged: %s", logged.String())
	}
}

func TestForwardMergesErrorChannels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	from, to := make(chan error, 1), make(chan error, 1)
	go forward(ctx, from, to)
	from <- errors.New("internal error in the demo simulator: x")
	select {
	case err := <-to:
		if err.Error() != "internal error in the demo simulator: x" {
			t.Errorf("forwarded %q", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing forwarded")
	}
}
