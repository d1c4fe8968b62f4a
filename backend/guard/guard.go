// Package guard holds the console's read-only switch: one piece of backend
// state that every writer consults, whichever way it was set (--readonly,
// the configuration file, or :readonly in the palette). It is one-way: once
// on, it stays on for the life of the process, across context switches.
//
// Two layers keep it: every writer calls Check before it sends a change,
// and clients built by Clients carry a transport that refuses any request
// that could change the cluster, so a writer that forgets to ask still
// sends nothing.
package guard

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	"k8s.io/client-go/rest"

	"github.com/streamops/streamops/backend/kube"
)

// ErrReadOnly is what every refused write wraps.
var ErrReadOnly = errors.New("read-only mode: the console never writes to the cluster")

// Switch is the read-only state. The zero value is off; a nil *Switch is
// off and cannot be turned on.
type Switch struct{ on atomic.Bool }

// New returns a switch, on from the start when on is true.
func New(on bool) *Switch {
	s := &Switch{}
	s.on.Store(on)
	return s
}

// On reports whether the console is read-only.
func (s *Switch) On() bool { return s != nil && s.on.Load() }

// Set turns read-only on; it reports whether this call changed it.
func (s *Switch) Set() bool {
	return s != nil && s.on.CompareAndSwap(false, true)
}

// Check returns nil when what may be sent, and an error wrapping
// ErrReadOnly naming it when the console is read-only.
func (s *Switch) Check(what string) error {
	if s.On() {
		return fmt.Errorf("%s refused: %w", what, ErrReadOnly)
	}
	return nil
}

// reads are the requests allowed through whatever their method: the
// self-reviews that ask the API server what the user may do are POSTs
// (creates) that change nothing.
var reads = []string{
	"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
	"/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
	"/apis/authentication.k8s.io/v1/selfsubjectreviews",
}

// Writes reports whether req could change the cluster: any method but
// GET, HEAD and OPTIONS, except the self-reviews. A dry run is a write
// here: read-only sends none.
func Writes(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	if req.Method == http.MethodPost {
		for _, p := range reads {
			if req.URL.Path == p {
				return false
			}
		}
	}
	return true
}

type transport struct {
	s    *Switch
	next http.RoundTripper
}

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if Writes(req) && t.s.On() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("%s %s refused: %w", req.Method, shortPath(req.URL.Path), ErrReadOnly)
	}
	return t.next.RoundTrip(req)
}

// shortPath keeps a request path short in an error line.
func shortPath(p string) string {
	if len(p) > 120 {
		return p[:117] + "..."
	}
	return p
}

// Wrap returns a round tripper that refuses writes while s is on.
func Wrap(s *Switch, next http.RoundTripper) http.RoundTripper {
	return transport{s: s, next: next}
}

// Config returns a copy of cfg whose transport refuses writes while s is
// on, chained after any wrapper cfg already has.
func Config(s *Switch, cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	prev := c.WrapTransport
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if prev != nil {
			rt = prev(rt)
		}
		return Wrap(s, rt)
	}
	return c
}

// Clients returns clients whose every request passes the switch. Clients
// of a real cluster are rebuilt on a guarded transport, keeping their
// names; the demo's in-process fakes have no transport and come back as
// they are (the demo simulator writes through them too), so there the
// writers' own Check is the guard.
func Clients(s *Switch, c *kube.Clients) (*kube.Clients, error) {
	if c == nil || c.Config == nil {
		return c, nil
	}
	out, err := kube.NewClients(Config(s, c.Config))
	if err != nil {
		return nil, fmt.Errorf("guard clients: %w", err)
	}
	out.Context, out.Server, out.User = c.Context, c.Server, c.User
	return out, nil
}
