package keymap

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
)

// walk calls f for every binding of the key map, group by group in the
// order the KeyMap declares them, with the group's name in lower case
// ("global", "logs") and the binding's field name ("Follow").
func (k *KeyMap) walk(f func(group, name string, b *key.Binding)) {
	groups := reflect.ValueOf(k).Elem()
	for i := 0; i < groups.NumField(); i++ {
		group := groups.Field(i)
		gname := strings.ToLower(groups.Type().Field(i).Name)
		for j := 0; j < group.NumField(); j++ {
			if b, ok := group.Field(j).Addr().Interface().(*key.Binding); ok {
				f(gname, group.Type().Field(j).Name, b)
			}
		}
	}
}

// bindings maps "group.name" (e.g. "global.quit", "logs.follow") to every
// binding of the key map.
func (k *KeyMap) bindings() map[string]*key.Binding {
	out := map[string]*key.Binding{}
	k.walk(func(group, name string, b *key.Binding) {
		out[group+"."+strings.ToLower(name[:1])+name[1:]] = b
	})
	return out
}

// Names lists every binding name, sorted.
func (k KeyMap) Names() []string {
	var out []string
	for n := range k.bindings() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Rebind applies key overrides from the configuration: name → keys. The
// help text follows the new keys. A key taken twice in the same place
// (globally, or in one pane together with the global keys) is refused.
func (k *KeyMap) Rebind(overrides map[string][]string) error {
	all := k.bindings()
	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, ok := all[n]
		if !ok {
			return fmt.Errorf("keys.%s: no such binding (see streamops keys)", n)
		}
		keys := overrides[n]
		b.SetKeys(keys...)
		b.SetHelp(strings.Join(keys, "/"), b.Help().Desc)
	}
	return k.conflicts()
}

// conflicts finds a key bound twice where both bindings are live at once.
func (k *KeyMap) conflicts() error {
	all := k.bindings()
	owner := map[string]string{} // global key → binding name
	for n, b := range all {
		if strings.HasPrefix(n, "global.") {
			for _, key := range b.Keys() {
				if o, dup := owner[key]; dup {
					return fmt.Errorf("keys: %q is bound to both %s and %s", key, o, n)
				}
				owner[key] = n
			}
		}
	}
	// Pane keys may shadow global navigation keys only where the pane is
	// meant to (none today): any overlap is reported.
	for n, b := range all {
		if strings.HasPrefix(n, "global.") {
			continue
		}
		for _, key := range b.Keys() {
			if o, dup := owner[key]; dup && !slices.Contains(sharedOK, n+"="+o) {
				return fmt.Errorf("keys: %q is bound to both %s and %s", key, o, n)
			}
		}
	}
	return nil
}

// sharedOK lists pane bindings that deliberately share a global key.
var sharedOK = []string{
	"members.expand=global.select",
	"logs.search=global.filter",   // in the logs pane, "/" searches: its filter
	"object.search=global.filter", // in the object overlay, "/" searches its text
}

// Describe lists every binding as "name  keys  description".
func (k KeyMap) Describe() []string {
	all := k.bindings()
	var out []string
	for _, n := range k.Names() {
		b := all[n]
		state := ""
		if !b.Enabled() {
			state = " (disabled)"
		}
		out = append(out, fmt.Sprintf("%-22s %-16s %s%s", n, strings.Join(b.Keys(), " "), b.Help().Desc, state))
	}
	return out
}
