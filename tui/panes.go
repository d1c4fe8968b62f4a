package tui

import (
	"charm.land/bubbles/v2/key"

	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/panes/access"
	logspane "github.com/streamops/streamops/panes/logs"
	"github.com/streamops/streamops/panes/members"
	"github.com/streamops/streamops/panes/pane"
	"github.com/streamops/streamops/panes/restarts"
	scalepane "github.com/streamops/streamops/panes/scale"
	"github.com/streamops/streamops/panes/streams"
)

// paneRow is one pane of the console: its number (pane.MembersID…), the
// name the tab bar, the help title and the palette use, the global key
// that shows it, and how it is built from the options. Adding a pane is a
// row here, its ID in panes/pane and its key in keymap.
type paneRow struct {
	id    int
	name  string
	key   func(keymap.Global) key.Binding
	build func(opts Options, deps pane.Deps) slot
}

// paneTable lists the panes in number-key order.
var paneTable = []paneRow{
	{pane.MembersID, "members", func(g keymap.Global) key.Binding { return g.Members }, func(_ Options, deps pane.Deps) slot {
		return newSlot(members.New(deps), (*members.Model).SetSize)
	}},
	{pane.RestartsID, "restarts", func(g keymap.Global) key.Binding { return g.Restarts }, func(_ Options, deps pane.Deps) slot {
		return newSlot(restarts.New(deps), (*restarts.Model).SetSize)
	}},
	{pane.LogsID, "logs", func(g keymap.Global) key.Binding { return g.Logs }, func(opts Options, deps pane.Deps) slot {
		if opts.Backends.Logs == nil {
			return unavailable(deps, "logs: follow many pods at once")
		}
		return newSlot(logspane.New(deps, opts.Backends.Logs, logspane.Options{SaveDir: opts.ReportDir}), (*logspane.Model).SetSize)
	}},
	{pane.StreamsID, "streams", func(g keymap.Global) key.Binding { return g.Streams }, func(opts Options, deps pane.Deps) slot {
		return newSlot(streams.New(deps, opts.Backends.Streams), (*streams.Model).SetSize)
	}},
	{pane.ScaleID, "scale", func(g keymap.Global) key.Binding { return g.Scale }, func(opts Options, deps pane.Deps) slot {
		if opts.Backends.Scale == nil {
			return unavailable(deps, "scale: the guided scale wizard")
		}
		return newSlot(scalepane.New(opts.Ctx, deps, opts.Backends.Scale), (*scalepane.Model).SetSize)
	}},
	{pane.AccessID, "access", func(g keymap.Global) key.Binding { return g.Access }, func(opts Options, deps pane.Deps) slot {
		return newSlot(access.New(deps, opts.Backends.Access, opts.Server).WithMembers(opts.Backends.Members), (*access.Model).SetSize)
	}},
}

// The scale pane runs plans that quitting must not cut short.
var _ pane.Runner = scalepane.Model{}

// The panes whose rows name objects open the object overlay.
var (
	_ pane.Selector = members.Model{}
	_ pane.Selector = restarts.Model{}
	_ pane.Selector = scalepane.Model{}
	_ pane.Selector = streams.Model{}
)

// unavailable stands in for a pane whose backend this build or session
// does not have.
func unavailable(deps pane.Deps, what string) slot {
	return newSlot(pendingPane{deps: deps, message: what + " — not available in this build"}, (*pendingPane).SetSize)
}

// paneName is the name of pane id.
func paneName(id int) string { return paneTable[id].name }
