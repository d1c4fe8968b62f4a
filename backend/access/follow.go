package access

import (
	"context"
	"strings"
	"sync"

	"github.com/streamops/streamops/backend/platform"
)

// Follower is a MemberWatcher that follows the platform's project
// namespaces itself, from the watcher's snapshots: once activated (the
// access pane does so when first shown — nothing is watched before), every
// snapshot whose namespaces differ from the last set moves the informers
// to the new set. No pane hands it a namespace list.
type Follower struct {
	*MemberWatcher
	snaps    platform.Subscriber
	activate chan struct{}
	once     sync.Once
}

// NewFollower returns a follower of w over snaps; Run drives both.
func NewFollower(w *MemberWatcher, snaps platform.Subscriber) *Follower {
	return &Follower{MemberWatcher: w, snaps: snaps, activate: make(chan struct{})}
}

// Activate starts following (the first call; later ones do nothing). It
// returns at once.
func (f *Follower) Activate() { f.once.Do(func() { close(f.activate) }) }

// Run watches and follows until ctx ends.
func (f *Follower) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.MemberWatcher.Run(ctx)
	}()
	defer func() { <-done }()
	sub := f.snaps.Subscribe(ctx)
	activate := f.activate
	var last *platform.Snapshot
	var active bool
	var watching string
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-sub:
			if !ok {
				return
			}
			last = s
		case <-activate:
			active, activate = true, nil
		}
		if !active || last == nil {
			continue
		}
		nss := Namespaces(last)
		if key := strings.Join(nss, ","); len(nss) > 0 && key != watching {
			watching = key
			f.Watch(nss)
		}
	}
}
