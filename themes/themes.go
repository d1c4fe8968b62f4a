// Package themes holds the console's styles: a semantic palette (OK, Warn,
// Err, Muted, Accent) and one Styles struct built from it. Panes use the
// named styles, never inline colours. Every meaning a colour carries is also
// carried by text or a glyph, so the no-colour theme loses nothing.
package themes

import (
	"image/color"
	"os"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"

	"github.com/streamops/streamops/backend/platform"
)

// Palette is the set of semantic colours a theme defines.
type Palette struct {
	Name                                  string
	Fg, Bg, Muted, Accent, OK, Warn, Err  color.Color
	Info, Border, SelectedBg, HighlightBg color.Color
	NoColor                               bool
}

// Dark is the default theme.
var Dark = Palette{
	Name: "dark", Fg: lipgloss.Color("252"), Bg: lipgloss.NoColor{}, Muted: lipgloss.Color("245"), Accent: lipgloss.Color("75"),
	OK: lipgloss.Color("78"), Warn: lipgloss.Color("214"), Err: lipgloss.Color("203"), Info: lipgloss.Color("117"),
	Border: lipgloss.Color("240"), SelectedBg: lipgloss.Color("237"), HighlightBg: lipgloss.Color("58"),
}

// Light suits light terminal backgrounds.
var Light = Palette{
	Name: "light", Fg: lipgloss.Color("235"), Bg: lipgloss.NoColor{}, Muted: lipgloss.Color("244"), Accent: lipgloss.Color("25"),
	OK: lipgloss.Color("28"), Warn: lipgloss.Color("130"), Err: lipgloss.Color("160"), Info: lipgloss.Color("31"),
	Border: lipgloss.Color("250"), SelectedBg: lipgloss.Color("254"), HighlightBg: lipgloss.Color("229"),
}

// Mono uses no colour at all: selection is shown in reverse video and
// emphasis in bold, underline or faint text.
var Mono = Palette{
	Name: "none", Fg: lipgloss.NoColor{}, Bg: lipgloss.NoColor{}, Muted: lipgloss.NoColor{}, Accent: lipgloss.NoColor{},
	OK: lipgloss.NoColor{}, Warn: lipgloss.NoColor{}, Err: lipgloss.NoColor{}, Info: lipgloss.NoColor{},
	Border: lipgloss.NoColor{}, SelectedBg: lipgloss.NoColor{}, HighlightBg: lipgloss.NoColor{}, NoColor: true,
}

// ByName returns a palette by name; ok is false for an unknown name.
func ByName(name string) (Palette, bool) {
	switch name {
	case "", "dark":
		return Dark, true
	case "light":
		return Light, true
	case "none", "mono", "no-color":
		return Mono, true
	}
	return Palette{}, false
}

// FromEnv picks the theme: NO_COLOR (any value, https://no-color.org)
// forces the no-colour theme; otherwise the named one.
func FromEnv(name string) (Palette, bool) {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return Mono, true
	}
	return ByName(name)
}

// Styles are every style the console draws with.
type Styles struct {
	Palette Palette

	Text, Muted, Bold, Accent  lipgloss.Style
	OK, Warn, Err, Info        lipgloss.Style
	Selected, Highlight, Title lipgloss.Style
	Header, Border             lipgloss.Style

	Tabs struct{ Active, Inactive, Gap lipgloss.Style }

	StatusBar struct {
		Bar, Key, Value, OK, Warn, Err, ReadOnly lipgloss.Style
	}
	Help struct {
		Key, Desc, Sep, Box lipgloss.Style
	}
	Table struct {
		Header, Cell, Selected lipgloss.Style
	}
	Overlay lipgloss.Style
	Input   lipgloss.Style
}

// New builds the styles of a palette.
func New(p Palette) Styles {
	var s Styles
	s.Palette = p
	fg := lipgloss.NewStyle().Foreground(p.Fg)
	s.Text = fg
	s.Muted = lipgloss.NewStyle().Foreground(p.Muted)
	s.Bold = fg.Bold(true)
	s.Accent = lipgloss.NewStyle().Foreground(p.Accent).Bold(true)
	s.OK = lipgloss.NewStyle().Foreground(p.OK)
	s.Warn = lipgloss.NewStyle().Foreground(p.Warn).Bold(true)
	s.Err = lipgloss.NewStyle().Foreground(p.Err).Bold(true)
	s.Info = lipgloss.NewStyle().Foreground(p.Info)
	s.Title = lipgloss.NewStyle().Foreground(p.Accent).Bold(true)
	s.Header = lipgloss.NewStyle().Foreground(p.Muted).Bold(true)
	s.Border = lipgloss.NewStyle().Foreground(p.Border)
	if p.NoColor {
		s.Muted = lipgloss.NewStyle().Faint(true)
		s.Selected = lipgloss.NewStyle().Reverse(true)
		s.Highlight = lipgloss.NewStyle().Reverse(true).Underline(true)
		s.Warn = lipgloss.NewStyle().Bold(true)
		s.Err = lipgloss.NewStyle().Bold(true).Underline(true)
	} else {
		s.Selected = lipgloss.NewStyle().Background(p.SelectedBg).Bold(true)
		s.Highlight = lipgloss.NewStyle().Background(p.HighlightBg).Foreground(p.Warn).Bold(true)
	}
	s.Tabs.Active = s.Accent.Underline(true)
	s.Tabs.Inactive = s.Muted
	s.Tabs.Gap = s.Muted
	s.StatusBar.Bar = s.Muted
	s.StatusBar.Key = s.Muted
	s.StatusBar.Value = fg
	s.StatusBar.OK = s.OK
	s.StatusBar.Warn = s.Warn
	s.StatusBar.Err = s.Err
	s.StatusBar.ReadOnly = s.Warn.Reverse(true)
	s.Help.Key = s.Accent
	s.Help.Desc = s.Muted
	s.Help.Sep = s.Muted
	s.Help.Box = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(p.Border).Padding(0, 1)
	s.Table.Header = s.Header
	s.Table.Cell = fg
	s.Table.Selected = s.Selected
	s.Overlay = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(p.Accent).Padding(0, 1)
	s.Input = s.Accent
	return s
}

// Health styles and glyphs: the glyph carries the meaning without colour.
func (s Styles) Health(h platform.Health) (lipgloss.Style, string) {
	switch h {
	case platform.Ready:
		return s.OK, "●"
	case platform.Progressing:
		return s.Info, "◐"
	case platform.Degraded:
		return s.Warn, "▲"
	case platform.Failed:
		return s.Err, "✖"
	default:
		return s.Muted, "?"
	}
}

// Sync styles a watch's sync phase.
func (s Styles) Sync(p platform.SyncPhase) (lipgloss.Style, string) {
	switch p {
	case platform.Synced:
		return s.OK, "✓"
	case platform.Failing:
		return s.Err, "✖"
	case platform.Absent:
		return s.Muted, "-"
	default:
		return s.Info, "…"
	}
}

// HelpStyles are the help bubble's styles in this theme (its defaults
// carry colours of their own).
func (s Styles) HelpStyles() help.Styles {
	return help.Styles{
		Ellipsis: s.Help.Sep, ShortKey: s.Help.Key, ShortDesc: s.Help.Desc, ShortSeparator: s.Help.Sep,
		FullKey: s.Help.Key, FullDesc: s.Help.Desc, FullSeparator: s.Help.Sep,
	}
}

// InputStyles are the text input bubble's styles in this theme.
func (s Styles) InputStyles() textinput.Styles {
	state := textinput.StyleState{Text: s.Text, Placeholder: s.Muted, Suggestion: s.Muted, Prompt: s.Input}
	st := textinput.Styles{Focused: state, Blurred: state}
	st.Cursor.Color = s.Palette.Accent
	st.Cursor.Blink = true
	return st
}
