package demo_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/demo"
)

// TestPanicInTheSimulatorIsAnErrorEvent: the simulator steps in a goroutine
// of its own; a panic in a step (here in the clientset it reads the custom
// resources from) comes out of Errors() as one line, and it keeps stepping.
func TestPanicInTheSimulatorIsAnErrorEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fc := clocktesting.NewFakeClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	p := demo.New(demo.Options{Seed: 1, Clock: fc})
	var once sync.Once
	lists := 0
	var mu sync.Mutex
	p.Clients().Dynamic.(*dynamicfake.FakeDynamicClient).PrependReactor("list", "*", func(clienttesting.Action) (bool, runtime.Object, error) {
		once.Do(func() { panic("injected in a list") })
		mu.Lock()
		lists++
		mu.Unlock()
		return false, nil, nil
	})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case err := <-p.Errors():
		if err.Error() != "internal error in the demo simulator: injected in a list" {
			t.Errorf("error event %q", err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error event on several lines: %q", err)
		}
	case <-ctx.Done():
		t.Fatal("no error event")
	}
	// It keeps stepping: the next steps list again.
	for {
		mu.Lock()
		n := lists
		mu.Unlock()
		if n > 0 {
			break
		}
		fc.Step(time.Second)
		select {
		case <-ctx.Done():
			t.Fatal("the simulator stopped after the panic")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
