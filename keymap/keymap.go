// Package keymap holds the console's key bindings: one KeyMap value, built
// by Default and handed to every pane, from which the help overlay and the
// README's key table are generated. Bindings follow k9s and vim habits.
package keymap

import (
	"charm.land/bubbles/v2/key"
)

// Global bindings work in every pane.
type Global struct {
	Quit, Help, Palette, Filter, Back     key.Binding
	Members, Restarts, Logs, Streams      key.Binding
	Scale, Access, NextPane, PrevPane     key.Binding
	Up, Down, Top, Bottom, PageUp, PageDn key.Binding
	Left, Right, Select, Snapshot         key.Binding
	Mouse                                 key.Binding
	// Object opens the selected row's object (YAML, conditions, owners,
	// events) over the pane, in the panes whose rows name one.
	Object key.Binding
}

// Members pane bindings.
type Members struct {
	Expand, ExpandAll, CollapseAll, ToLogs key.Binding
}

// Restarts pane bindings.
type Restarts struct {
	ToLogs, Events key.Binding
}

// Logs pane bindings.
type Logs struct {
	Follow, Previous, Timestamps, Wrap, Pause  key.Binding
	NextError, PrevError, NextMatch, PrevMatch key.Binding
	Save, SaveAll, Sources, Clear              key.Binding
	Search, Options, JSON, Context             key.Binding
}

// Streams pane bindings.
type Streams struct {
	Internal, Refresh, Section key.Binding
}

// Scale wizard bindings. Apply and Override are dangerous: they are
// disabled in read-only mode.
type Scale struct {
	Increase, Decrease, Plan, DryRun, Apply, Stop, Audit key.Binding
	// Override lifts a refusal of the plan by typing the phrase that names
	// the object (audited as an override); never the apply key.
	Override key.Binding
	// Storage toggles between the compute targets and the storage claims;
	// Template grows the operator's claim template of the selected claim.
	Storage, Template key.Binding
	// Suggest adds the change the plan suggests (a Flink job's parallelism
	// raised to the slots a TaskManager scale-out adds) and plans again.
	Suggest key.Binding
	// Logs opens the logs of the pod a step waits for; Revert plans the
	// values the applied steps changed back (a new plan, checked and
	// confirmed like any).
	Logs, Revert key.Binding
}

// Access pane bindings.
type Access struct {
	CanI, Section key.Binding
}

// Object bindings work in the object overlay (Global.Object opens it,
// Global.Back closes it; the cursor keys scroll it).
type Object struct {
	Search, NextMatch, PrevMatch key.Binding
}

// KeyMap is every binding of the console.
type KeyMap struct {
	Global   Global
	Members  Members
	Restarts Restarts
	Logs     Logs
	Streams  Streams
	Scale    Scale
	Access   Access
	Object   Object
}

func b(help string, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// Default returns the default key map.
func Default() KeyMap {
	return KeyMap{
		Global: Global{
			Quit:     b("q", "quit", "q", "ctrl+c"),
			Help:     b("?", "help", "?"),
			Palette:  b(":", "command", ":"),
			Filter:   b("/", "filter", "/"),
			Back:     b("esc", "back", "esc"),
			Members:  b("1", "members", "1"),
			Restarts: b("2", "restarts", "2"),
			Logs:     b("3", "logs", "3"),
			Streams:  b("4", "streams", "4"),
			Scale:    b("5", "scale", "5"),
			Access:   b("6", "access", "6"),
			NextPane: b("tab", "next pane", "tab"),
			PrevPane: b("shift+tab", "previous pane", "shift+tab"),
			Up:       b("↑/k", "up", "up", "k"),
			Down:     b("↓/j", "down", "down", "j"),
			Top:      b("g", "top", "g", "home"),
			Bottom:   b("G", "bottom", "G", "end"),
			PageUp:   b("pgup/ctrl+u", "page up", "pgup", "ctrl+u"),
			PageDn:   b("pgdn/ctrl+d", "page down", "pgdown", "ctrl+d"),
			Left:     b("←/h", "collapse", "left", "h"),
			Right:    b("→/l", "expand", "right", "l"),
			Select:   b("enter", "select", "enter"),
			Snapshot: b("ctrl+s", "triage report", "ctrl+s"),
			Mouse:    b("M", "mouse capture on/off", "M"),
			Object:   b("y", "object: YAML, owners, events", "y"),
		},
		Members: Members{
			Expand:      b("enter", "expand/collapse", "enter", "space"),
			ExpandAll:   b("+", "expand all", "+"),
			CollapseAll: b("-", "collapse all", "-"),
			ToLogs:      b("L", "logs of selection", "L"),
		},
		Restarts: Restarts{
			ToLogs: b("L", "logs (previous if restarted)", "L"),
			Events: b("e", "Warning events in the detail on/off", "e"),
		},
		Logs: Logs{
			Follow:     b("f", "follow", "f"),
			Previous:   b("p", "previous container", "p"),
			Timestamps: b("t", "timestamps", "t"),
			Wrap:       b("w", "wrap", "w"),
			Pause:      b("space", "pause", "space"),
			NextError:  b("e", "next error", "e"),
			PrevError:  b("E", "previous error", "E"),
			NextMatch:  b("n", "next match", "n"),
			PrevMatch:  b("N", "previous match", "N"),
			Save:       b("s", "save screen", "s"),
			SaveAll:    b("S", "save buffer", "S"),
			Sources:    b("c", "choose sources", "c"),
			Clear:      b("x", "clear buffer", "x"),
			Search:     b("/", "search", "/"),
			Options:    b("o", "options: since, tail, -c, -i, -e, --fields", "o"),
			JSON:       b("J", "JSON lines as level, message, fields", "J"),
			Context:    b("C", "context: the source's lines around the hit", "C"),
		},
		Streams: Streams{
			Internal: b("i", "internal streams", "i"),
			Refresh:  b("r", "refresh", "r"),
			Section:  b("]", "next section", "]"),
		},
		Scale: Scale{
			Increase: b("+", "more", "+", "="),
			Decrease: b("-", "fewer", "-"),
			Plan:     b("p", "plan", "p"),
			DryRun:   b("d", "dry run", "d"),
			Apply:    b("A", "apply (type the name)", "A"),
			Override: b("O", "override a refusal (type its phrase)", "O"),
			Stop:     b("ctrl+x", "stop after step", "ctrl+x"),
			Audit:    b("a", "audit log", "a"),
			Storage:  b("s", "storage / compute", "s"),
			Template: b("t", "grow claim template (new members)", "t"),
			Suggest:  b("u", "use the plan's suggestion", "u"),
			Logs:     b("L", "logs of the pod a step waits for", "L"),
			Revert:   b("R", "revert: plan the before values", "R"),
		},
		Access: Access{
			CanI:    b("c", "can-i matrix", "c"),
			Section: b("]", "next section", "]"),
		},
		Object: Object{
			Search:    b("/", "search", "/"),
			NextMatch: b("n", "next match", "n"),
			PrevMatch: b("N", "previous match", "N"),
		},
	}
}

// ReadOnly disables every binding that changes the cluster. The backend
// refuses such actions too; this only keeps help honest.
func (k *KeyMap) ReadOnly() {
	k.Scale.Apply.SetEnabled(false)
	k.Scale.Override.SetEnabled(false)
}

// GlobalHelp groups the bindings that work the same in every pane, for
// the help overlay. Movement, filter and back do what each pane makes of
// them, or nothing: each pane lists them with its own section.
func (k KeyMap) GlobalHelp() [][]key.Binding {
	g := k.Global
	return [][]key.Binding{
		{g.Members, g.Restarts, g.Logs, g.Streams, g.Scale, g.Access, g.NextPane, g.PrevPane},
		{g.Palette, g.Snapshot, g.Mouse, g.Help, g.Quit},
	}
}
