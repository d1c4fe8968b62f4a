// Package object tells one Kubernetes object's story, read afresh when
// the user asks: its YAML (managedFields dropped, a Secret's values never
// included), its conditions, the chain of its owners and its Events,
// newest first. Every string of a Story is sanitised (no control byte, no
// escape sequence, valid UTF-8) and the YAML is capped, so an object
// holding hostile or huge values cannot break the terminal it is drawn
// in. A section that cannot be read (forbidden, gone) says so in one line
// and the others are still told.
package object

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
)

// Ref names the object to tell: Group and Version ("" and "v1" for the
// core group), Resource (plural, e.g. pods) or Kind (e.g. Pod), and its
// Namespace ("" for a cluster-scoped one) and Name. A Kind with neither
// group nor version is looked for among the kinds the console knows.
type Ref struct {
	Group, Version  string
	Resource, Kind  string
	Namespace, Name string
}

// Title is how the object is named to the user: "Pod pravega/zookeeper-0".
func (r Ref) Title() string {
	n := r.Name
	if r.Namespace != "" {
		n = r.Namespace + "/" + r.Name
	}
	return r.kindName() + " " + n
}

// kindName is the kind, or the resource as kubectl spells it
// (plural.group) when the kind is not known.
func (r Ref) kindName() string {
	if r.Kind != "" {
		return r.Kind
	}
	if r.Group != "" {
		return r.Resource + "." + r.Group
	}
	return r.Resource
}

// Owner is one link of an object's owner chain: Depth 1 owns the object,
// Depth 2 owns that owner, and so on.
type Owner struct {
	Depth      int
	Kind, Name string
	Controller bool
	// Exists is false when the owner was not found (deleted, or never
	// created by its controller); Err is why it could not be read.
	Exists bool
	Err    string
}

// Event is one Event about the object.
type Event struct {
	Type, Reason, Message string
	Source                string
	Count                 int32
	First, Last           time.Time
}

// Story is what Load tells about one object.
type Story struct {
	Ref Ref // kind and resource filled in
	UID string
	// Gone is true when the object does not exist (any more); Err is
	// why it could not be read, one line. Either way the other sections
	// are still told as far as they can be.
	Gone bool
	Err  string

	YAML []string // sanitised lines, at most MaxLines and a cut marker
	Cut  int      // lines of YAML left out

	Conditions []platform.Condition

	Owners    []Owner
	OwnersErr string

	Events    []Event // newest first
	EventsErr string
}

// Limits of what a Story holds.
const (
	MaxLines    = 2000 // lines of YAML
	MaxLineLen  = 1024 // bytes of one line (sanitised, then cut)
	MaxEvents   = 200  // events kept, newest first
	maxDepth    = 8    // owners followed up the chain
	redactedFmt = "<redacted, %d bytes>"
)

// Load reads the object ref names, its owners and its events through
// clients. It fails only when ref cannot be resolved to a resource (an
// unknown kind); everything else is a line in the Story's section.
func Load(ctx context.Context, clients *kube.Clients, ref Ref) (Story, error) {
	if clients == nil {
		return Story{}, fmt.Errorf("%s: no cluster connection", ref.Title())
	}
	r := &resolver{clients: clients}
	k, err := r.resolve(ref)
	if err != nil {
		return Story{}, fmt.Errorf("%s: %w", ref.Title(), err)
	}
	if !k.namespaced {
		ref.Namespace = ""
	}
	ref.Group, ref.Version, ref.Resource, ref.Kind = k.gvr.Group, k.gvr.Version, k.gvr.Resource, k.kind
	st := Story{Ref: ref}
	o, err := r.fetch(ctx, k, ref.Namespace, ref.Name)
	switch {
	case err == nil:
		st.UID = nested(o, "metadata", "uid")
		st.YAML, st.Cut = render(o, k.kind == "Secret" && k.gvr.Group == "")
		st.Conditions = conditions(o)
		st.Owners, st.OwnersErr = r.owners(ctx, ref.Namespace, o)
	case isGone(err):
		if why := r.unserved(k); why != "" {
			st.Err = why
			break
		}
		st.Gone = true
		st.Err = fmt.Sprintf("%s no longer exists (deleted)", ref.Title())
	default:
		st.Err = fmt.Sprintf("get %s: %v", ref.Title(), kube.Explain(err))
	}
	st.Err = clean(st.Err)
	st.Events, st.EventsErr = events(ctx, clients, ref, st.UID)
	return st, nil
}

// clean is one line of text safe to draw.
func clean(s string) string {
	if s == "" {
		return ""
	}
	return string(sanitize([]byte(strings.TrimSpace(s)), MaxLineLen))
}

// Reader loads stories through one session's clients.
type Reader struct{ clients *kube.Clients }

// NewReader returns a reader over clients (the session's guarded ones).
func NewReader(clients *kube.Clients) *Reader { return &Reader{clients: clients} }

// Load is Load through the reader's clients.
func (r *Reader) Load(ctx context.Context, ref Ref) (Story, error) {
	return Load(ctx, r.clients, ref)
}
