package access

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	accessapi "github.com/streamops/streamops/backend/access"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/panes/pane"
)

// rebuild recomputes every section's lines; View only slices them.
func (m *Model) rebuild() {
	if m.snap == nil {
		return
	}
	q := m.filter.Query()
	keep := func(s string) bool { return q == "" || len(pane.Match(q, []string{s})) > 0 }
	m.lines[outside] = m.outsideLines(keep)
	m.lines[services] = m.serviceLines(keep)
	m.lines[ingresses] = m.ingressLines(keep)
	m.lines[canI] = m.canILines(keep)
	m.lines[members] = m.memberLines(keep)
	for s := range m.offset {
		m.offset[s] = min(m.offset[s], max(len(m.lines[s])-m.bodyHeight(), 0))
	}
}

func (m Model) outsideLines(keep func(string) bool) []string {
	st := m.deps.Styles
	var out []string
	out = append(out, st.Header.Render("REACHABLE FROM OUTSIDE THE CLUSTER"))
	exposed := accessapi.Exposure(m.snap)
	if len(exposed) == 0 {
		out = append(out, st.OK.Render("  ● none: no LoadBalancer, NodePort, external IP or Ingress in the platform's namespaces"))
	}
	for _, e := range exposed {
		text := e.Kind + " " + e.Namespace + "/" + e.Name + " " + strings.Join(e.Addresses, " ") + " " + e.Target
		if !keep(text) {
			continue
		}
		glyph, gs := "▲", st.Warn
		lock := ""
		if e.Kind == "Ingress" {
			lock = " no TLS"
			if e.TLS {
				glyph, gs, lock = "▲", st.Warn, " TLS"
			}
		}
		where := st.Bold.Render(strings.Join(e.Addresses, ", ")) + " " + st.Muted.Render("→ "+e.Target+lock)
		if m.width < 120 { // two lines: what, then where
			out = append(out, fmt.Sprintf("  %s %s %s", gs.Render(glyph), pane.Fit(e.Kind, 12), e.Namespace+"/"+e.Name), "      "+where)
			continue
		}
		out = append(out, fmt.Sprintf("  %s %s %s %s", gs.Render(glyph), pane.Fit(e.Kind, 12), pane.Fit(e.Namespace+"/"+e.Name, 38), where))
	}
	out = append(out, "", st.Header.Render("DASHBOARDS AND REST ENDPOINTS"))
	entries := accessapi.Entries(m.snap, m.server)
	if len(entries) == 0 {
		out = append(out, st.Muted.Render("  none: no Flink cluster or Pravega controller found"))
	}
	for _, e := range entries {
		if !keep(e.What + " " + e.Namespace + " " + e.Cluster + " " + strings.Join(e.How, " ")) {
			continue
		}
		head := fmt.Sprintf("  %s %s", pane.Fit(e.What, 24), st.Bold.Render(e.Namespace+"/"+e.Cluster))
		if e.Missing {
			head += st.Err.Render("  ✖ service " + e.Service + " not found")
		}
		out = append(out, head)
		for i, how := range e.How {
			label := "    "
			if i == len(e.How)-1 {
				label += st.Muted.Render("via the API server: ")
			} else {
				label += st.Muted.Render("at ")
			}
			out = append(out, label+how)
		}
	}
	return out
}

func (m Model) serviceLines(keep func(string) bool) []string {
	st := m.deps.Styles
	nsW, nameW := len("NAMESPACE"), len("NAME")
	for _, s := range m.snap.Services {
		nsW, nameW = max(nsW, len(s.Namespace)), max(nameW, len(s.Name))
	}
	ipW := 15
	if m.width < 100 { // the cluster IP is the first thing to go
		ipW, nameW = 0, min(nameW, 28)
	}
	cols := []pane.Column{{Title: "NAMESPACE", Width: min(nsW, 20)}, {Title: "NAME", Width: min(nameW, 40)}, {Title: "TYPE", Width: 14},
		{Title: "CLUSTER-IP", Width: ipW}, {Title: "ENDPOINTS", Width: 9, Right: true}, {Title: "PORTS", Width: 0}, {Title: "SELECTOR", Width: 0}}
	widths := pane.Layout(cols, m.width)
	// The ports take what the fixed columns leave; the selector shares it
	// from 140 cells on.
	used := 0
	for i := range 5 {
		if i != 3 || ipW > 0 {
			used += widths[i] + 1
		} else {
			widths[3] = 0
		}
	}
	rest := max(m.width-used, 8)
	widths[5], widths[6] = rest, 0
	if m.width >= 140 {
		widths[5] = min(44, rest/2)
		widths[6] = rest - widths[5] - 1
	}
	out := []string{st.Table.Header.Render(pane.Row([]string{"NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "ENDPOINTS", "PORTS", "SELECTOR"}, widths, cols))}
	for _, s := range m.snap.Services {
		var ports []string
		for _, p := range s.Ports {
			txt := fmt.Sprintf("%s %d", p.Name, p.Port)
			if p.NodePort != 0 {
				txt += fmt.Sprintf(":%d", p.NodePort)
			}
			ports = append(ports, txt)
		}
		portText := strings.Join(ports, ", ")
		if s.Type == platform.ExternalName {
			portText = "→ " + s.ExternalName
		}
		selector := labels.SelectorFromSet(s.Selector).String()
		if !keep(s.Namespace + " " + s.Name + " " + string(s.Type) + " " + portText + " " + selector) {
			continue
		}
		typ := st.Text.Render(string(s.Type))
		if s.External() {
			typ = st.Warn.Render(string(s.Type) + " ▲")
		}
		ep := st.Muted.Render("-")
		switch {
		case s.Type == platform.ExternalName:
		case s.HasEndpoints && s.Ready > 0 && s.NotReady == 0:
			ep = st.OK.Render(fmt.Sprintf("%d ready", s.Ready))
		case s.HasEndpoints && s.Ready > 0:
			ep = st.Warn.Render(fmt.Sprintf("%d/%d ▲", s.Ready, s.Ready+s.NotReady))
		case len(s.Selector) > 0:
			ep = st.Err.Render("none ✖")
		}
		sel := st.Muted.Render("(no selector: endpoints by hand)")
		if len(s.Selector) > 0 {
			sel = st.Muted.Render(selector)
		}
		out = append(out, pane.Row([]string{st.Muted.Render(s.Namespace), s.Name, typ, st.Muted.Render(s.ClusterIP), ep, portText, sel}, widths, cols))
	}
	if len(out) == 1 {
		out = append(out, st.Muted.Render("  no services"))
	}
	return out
}

func (m Model) ingressLines(keep func(string) bool) []string {
	st := m.deps.Styles
	var out []string
	for _, in := range m.snap.Ingresses {
		all := in.Namespace + " " + in.Name + " " + in.Class
		for _, r := range in.Rules {
			all += " " + r.Host
		}
		if !keep(all) {
			continue
		}
		addr := strings.Join(in.Addresses, ", ")
		if addr == "" {
			addr = "no address yet"
		}
		class := in.Class
		if class == "" {
			class = "default class"
		}
		out = append(out, st.Bold.Render(in.Namespace+"/"+in.Name)+st.Muted.Render("  class "+class+" · address "+addr))
		for _, r := range in.Rules {
			host := r.Host
			if host == "" {
				host = "*"
			}
			tls := st.Warn.Render("no TLS ▲")
			for _, h := range in.TLSHosts {
				if h == r.Host {
					tls = st.OK.Render("TLS ✓")
				}
			}
			for _, p := range r.Paths {
				target := p.Service + ":" + p.Port
				if p.ResourceBackend != "" {
					target = p.ResourceBackend
				}
				path := p.Path
				if path == "" {
					path = "/"
				}
				out = append(out, fmt.Sprintf("  %s %s %s %s", pane.Fit(host+path, 44), st.Muted.Render("→"), pane.Fit(target, 30), tls))
			}
		}
		if in.Default != "" {
			out = append(out, "  "+pane.Fit("(default backend)", 44)+" "+st.Muted.Render("→")+" "+in.Default)
		}
		if len(in.TLSSecrets) > 0 {
			out = append(out, st.Muted.Render("  certificates from secret "+strings.Join(in.TLSSecrets, ", ")))
		}
		out = append(out, "")
	}
	if len(out) == 0 {
		out = append(out, st.Muted.Render("no ingresses in the platform's namespaces"))
	}
	return out
}

func (m Model) canILines(keep func(string) bool) []string {
	st := m.deps.Styles
	switch {
	case m.rev == nil:
		return []string{st.Muted.Render("can-i needs an API server")}
	case m.matrix == nil && m.reviewing:
		return []string{st.Muted.Render("asking the API server (SelfSubjectAccessReview)…")}
	case m.matrix == nil:
		return []string{st.Muted.Render("press " + m.deps.Keys.Access.CanI.Help().Key + " to ask the API server what you may do")}
	}
	mx := m.matrix
	nsW := len("✓ yes")
	for _, ns := range mx.Namespaces {
		nsW = max(nsW, len(ns))
	}
	nsW = min(nsW, 20)
	labelW := max(min(m.width-2-len(mx.Namespaces)*(nsW+1), 40), 20)
	head := "  " + pane.Fit("", labelW)
	for _, ns := range mx.Namespaces {
		head += " " + pane.Fit(ns, nsW)
	}
	out := []string{
		st.Muted.Render(fmt.Sprintf("what %s may do, asked %s", orDefault(m.user, "you"), m.reviewedAt.Format("15:04:05"))),
		st.Table.Header.Render(head),
	}
	for i, c := range mx.Checks {
		if !keep(c.Label() + " " + c.Why) {
			continue
		}
		line := "  " + pane.Fit(c.Short(), labelW)
		for j := range mx.Namespaces {
			var a accessapi.Answer
			switch {
			case c.Cluster && j == 0:
				a = mx.Answers[i][0]
			case c.Cluster && j == 1:
				line += " " + st.Muted.Render("(cluster-wide)")
				continue
			case c.Cluster:
				continue
			default:
				a = mx.Answers[i][j]
			}
			cell := st.OK.Render("✓ yes")
			switch {
			case a.Err != "":
				cell = st.Warn.Render("? error")
			case !a.Allowed:
				cell = st.Err.Render("✖ no")
			}
			line += " " + pane.Fit(cell, nsW)
		}
		out = append(out, line)
	}
	missing := mx.Missing()
	out = append(out, "")
	if len(missing) == 0 {
		out = append(out, st.OK.Render("● everything the console uses is allowed"))
	} else {
		sort.Strings(missing)
		out = append(out, st.Warn.Render(fmt.Sprintf("▲ refused (%d): what the console cannot do for you", len(missing))))
		for _, s := range missing {
			out = append(out, "  "+st.Err.Render("✖ ")+s)
		}
	}
	if m.reviewErr != "" {
		out = append(out, st.Warn.Render("▲ "+m.reviewErr))
	}
	out = append(out, "", st.Header.Render("WHY THE CONSOLE ASKS"))
	for _, c := range mx.Checks {
		out = append(out, "  "+pane.Fit(c.Label(), 52)+" "+st.Muted.Render(c.Why))
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
