// Package access is the access pane: what of the platform is reachable from
// outside the cluster, where its dashboards and REST endpoints are, its
// Services and Ingresses, what the current user may do (can-i), and who
// the projects' members are (the subjects of their RoleBindings and of the
// ClusterRoleBindings, with the role each holds).
package access

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	accessapi "github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
)

// Sections of the pane, in the order "]" cycles through them.
const (
	outside = iota
	services
	ingresses
	canI
	members
	sectionCount
)

var sectionNames = []string{"outside", "services", "ingresses", "can-i", "members"}

// MemberSource follows the projects' members; *accessapi.Follower
// implements it: it follows the platform's namespaces from the watcher
// itself.
type MemberSource interface {
	// Activate starts following (the pane calls it when first shown;
	// returns at once).
	Activate()
	// Rosters delivers the members after every change.
	Rosters() <-chan accessapi.Roster
}

// Model is the access pane.
type Model struct {
	deps    pane.Deps
	rev     *accessapi.Reviewer // nil: can-i is not available
	server  string
	snap    *platform.Snapshot
	section int
	lines   [sectionCount][]string
	offset  [sectionCount]int
	width   int
	height  int
	filter  pane.Filter

	user       string
	matrix     *accessapi.Matrix
	reviewing  bool
	reviewErr  string
	reviewedAt time.Time
	reviewKey  string // namespaces+checks the matrix was made for
	who        accessapi.User

	memberSrc MemberSource // nil: members are not available
	roster    *accessapi.Roster
	shown     bool // the pane was shown: members are followed from then on
}

// New returns the access pane. rev answers the can-i reviews (nil when
// there is no API server); server is the API server URL (credentials
// removed) for service proxy addresses.
func New(deps pane.Deps, rev *accessapi.Reviewer, server string) Model {
	return Model{deps: deps, rev: rev, server: server, filter: pane.NewFilter(deps.Styles)}
}

// WithMembers lets the pane show the projects' members from src (nil:
// the members section says they are not available).
func (m Model) WithMembers(src MemberSource) Model {
	m.memberSrc = src
	return m
}

// Init implements the pane contract.
func (m Model) Init() tea.Cmd { return nil }

// SetSize sets the area the pane draws in.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.rebuild()
}

// Capturing reports whether the filter has the keyboard.
func (m Model) Capturing() bool { return m.filter.Active() }

type reviewMsg struct {
	key    string
	matrix accessapi.Matrix
	who    *accessapi.User // nil: WhoAmI failed
	err    string
	at     time.Time
}

// startReview marks the review under way (the can-i lines say so) and
// returns the Cmd that runs it.
func (m Model) startReview() (Model, tea.Cmd) {
	m.reviewing = true
	m.rebuild()
	return m, m.review()
}

// review asks the API server; it copies what it needs before returning.
func (m Model) review() tea.Cmd {
	if m.rev == nil || m.snap == nil {
		return nil
	}
	rev, checks, nss := m.rev, accessapi.ConsoleChecks(m.snap), accessapi.Namespaces(m.snap)
	key := reviewKey(checks, nss)
	now, parent := m.deps.Clock.Now(), m.deps.Context()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, 15*time.Second)
		defer cancel()
		msg := reviewMsg{key: key, at: now}
		if u, err := rev.WhoAmI(ctx); err == nil {
			msg.who = &u
		} else {
			msg.err = err.Error()
		}
		msg.matrix = rev.Review(ctx, checks, nss)
		return msg
	}
}

type rosterMsg struct{ roster accessapi.Roster }

// waitRoster blocks on one receive; Update re-arms it after each roster.
func waitRoster(src MemberSource) tea.Cmd {
	if src == nil {
		return nil
	}
	ch := src.Rosters()
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return nil
		}
		return rosterMsg{r}
	}
}

// watchMembers tells the source the user now sees the pane (it follows
// the platform's namespaces from then on) and starts the one receive of
// rosters, re-armed by each.
func (m Model) watchMembers() tea.Cmd {
	src := m.memberSrc
	if src == nil {
		return nil
	}
	return tea.Batch(func() tea.Msg {
		src.Activate()
		return nil
	}, waitRoster(src))
}

func reviewKey(checks []accessapi.Check, nss []string) string {
	var b strings.Builder
	for _, c := range checks {
		b.WriteString(c.Label() + ";")
	}
	return b.String() + strings.Join(nss, ",")
}

// Update handles snapshots, review results and keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case pane.SnapshotMsg:
		m.snap = msg.Snapshot
		m.rebuild()
		if m.matrix != nil && !m.reviewing && reviewKey(accessapi.ConsoleChecks(m.snap), accessapi.Namespaces(m.snap)) != m.reviewKey {
			return m.startReview() // the platform's namespaces or kinds changed
		}
		return m, nil
	case pane.FocusMsg:
		var cmds []tea.Cmd
		if !m.shown {
			m.shown = true
			cmds = append(cmds, m.watchMembers())
		}
		if m.matrix == nil && !m.reviewing && m.snap != nil && m.rev != nil {
			var review tea.Cmd
			m, review = m.startReview()
			cmds = append(cmds, review)
		}
		return m, tea.Batch(cmds...)
	case reviewMsg:
		m.reviewing = false
		mx := msg.matrix
		m.matrix, m.reviewKey, m.reviewedAt, m.reviewErr = &mx, msg.key, msg.at, msg.err
		if msg.who != nil {
			m.user, m.who = msg.who.String(), *msg.who
		}
		m.rebuild()
	case rosterMsg:
		r := msg.roster
		m.roster = &r
		m.rebuild()
		return m, waitRoster(m.memberSrc)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			m.scroll(-3)
		} else if msg.Button == tea.MouseWheelDown {
			m.scroll(3)
		}
	}
	return m, nil
}

func (m Model) onKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.filter.Active() {
		_, cmd := m.filter.Update(msg)
		m.rebuild()
		return m, cmd
	}
	g, k := m.deps.Keys.Global, m.deps.Keys.Access
	switch {
	case key.Matches(msg, k.Section):
		m.section = (m.section + 1) % sectionCount
	case key.Matches(msg, k.CanI):
		m.section = canI
		if !m.reviewing && m.rev != nil {
			return m.startReview()
		}
	case key.Matches(msg, g.Filter):
		return m, m.filter.Focus()
	case key.Matches(msg, g.Back):
		m.filter.Clear()
		m.rebuild()
	case key.Matches(msg, g.Down):
		m.scroll(1)
	case key.Matches(msg, g.Up):
		m.scroll(-1)
	case key.Matches(msg, g.PageDn):
		m.scroll(m.bodyHeight())
	case key.Matches(msg, g.PageUp):
		m.scroll(-m.bodyHeight())
	case key.Matches(msg, g.Top):
		m.offset[m.section] = 0
	case key.Matches(msg, g.Bottom):
		m.scroll(len(m.lines[m.section]))
	}
	return m, nil
}

func (m *Model) scroll(d int) {
	maxOff := max(len(m.lines[m.section])-m.bodyHeight(), 0)
	m.offset[m.section] = min(max(m.offset[m.section]+d, 0), maxOff)
}

// bodyHeight: header, section tabs, and the filter line take three rows.
func (m Model) bodyHeight() int { return max(m.height-3, 1) }

// ShortHelp lists the pane's main keys.
func (m Model) ShortHelp() []key.Binding {
	return []key.Binding{m.deps.Keys.Access.Section, m.deps.Keys.Access.CanI, m.deps.Keys.Global.Filter}
}

// FullHelp lists every key of the pane.
func (m Model) FullHelp() [][]key.Binding {
	k, g := m.deps.Keys.Access, m.deps.Keys.Global
	return [][]key.Binding{pane.NavHelp(g, len(m.lines[m.section]) > m.bodyHeight()), append([]key.Binding{k.Section, k.CanI}, m.filter.Help(g)...)}
}

// View renders the pane.
func (m Model) View() string {
	st := m.deps.Styles
	if m.snap == nil {
		return st.Muted.Render("waiting for the first snapshot…")
	}
	var b strings.Builder
	b.WriteString(pane.Truncate(m.header(), m.width))
	b.WriteByte('\n')
	b.WriteString(pane.Truncate(m.tabs(), m.width))
	lines := m.lines[m.section]
	off := m.offset[m.section]
	n := 0
	for i := off; i < len(lines) && n < m.bodyHeight(); i++ {
		b.WriteByte('\n')
		b.WriteString(pane.Truncate(lines[i], m.width))
		n++
	}
	for ; n < m.bodyHeight(); n++ {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if f := m.filter.View(st); f != "" {
		b.WriteString(pane.Truncate(f, m.width))
	} else if len(lines) > m.bodyHeight() {
		b.WriteString(st.Muted.Render(fmt.Sprintf("%d–%d of %d lines", off+1, min(off+m.bodyHeight(), len(lines)), len(lines))))
	}
	return b.String()
}

func (m Model) header() string {
	st := m.deps.Styles
	who := m.user
	if who == "" {
		who = "unknown user"
		if m.rev == nil {
			who = "user unknown (no API server)"
		}
	}
	exposed := len(accessapi.Exposure(m.snap))
	ways := st.OK.Render("● nothing reachable from outside the cluster")
	if exposed > 0 {
		ways = st.Warn.Render(fmt.Sprintf("▲ %d way%s in from outside the cluster", exposed, plural(exposed)))
	}
	return st.Muted.Render("you are ") + st.Bold.Render(who) + st.Muted.Render(" · ") + ways
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (m Model) tabs() string {
	st := m.deps.Styles
	counts := []string{"", fmt.Sprintf(" %d", len(m.snap.Services)), fmt.Sprintf(" %d", len(m.snap.Ingresses)), "", ""}
	if m.roster != nil {
		counts[members] = fmt.Sprintf(" %d", len(visibleMembers(m.roster.Members, "")))
	}
	var parts []string
	for i, n := range sectionNames {
		label := n + counts[i]
		if i == m.section {
			parts = append(parts, st.Tabs.Active.Render("["+label+"]"))
		} else {
			parts = append(parts, st.Tabs.Inactive.Render(" "+label+" "))
		}
	}
	return strings.Join(parts, " ") + st.Muted.Render("   ("+m.deps.Keys.Access.Section.Help().Key+" next section)")
}
