package object

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/streamops/streamops/backend/kube"
)

func isGone(err error) bool { return apierrors.IsNotFound(err) }

// ownerRefs reads metadata.ownerReferences, the controller first.
func ownerRefs(o map[string]any) []metav1.OwnerReference {
	md, _ := o["metadata"].(map[string]any)
	raw, ok := md["ownerReferences"].([]any)
	if !ok {
		return nil
	}
	var refs []metav1.OwnerReference
	for _, item := range raw {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		var ref metav1.OwnerReference
		if runtime.DefaultUnstructuredConverter.FromUnstructured(m, &ref) == nil {
			refs = append(refs, ref)
		}
	}
	slices.SortStableFunc(refs, func(a, b metav1.OwnerReference) int {
		ac, bc := a.Controller != nil && *a.Controller, b.Controller != nil && *b.Controller
		switch {
		case ac && !bc:
			return -1
		case bc && !ac:
			return 1
		}
		return 0
	})
	return refs
}

// owners walks the owner chain up from o: every owner of each level is
// listed; the controlling one (or the first) is followed, up to maxDepth
// levels. An owner that cannot be read ends the chain with why.
func (r *resolver) owners(ctx context.Context, ns string, o map[string]any) ([]Owner, string) {
	var out []Owner
	seen := map[string]bool{}
	for depth := 1; depth <= maxDepth; depth++ {
		refs := ownerRefs(o)
		if len(refs) == 0 {
			return out, ""
		}
		var next map[string]any
		for i, ref := range refs {
			ow := Owner{Depth: depth, Kind: clean(ref.Kind), Name: clean(ref.Name), Controller: ref.Controller != nil && *ref.Controller}
			if i > 0 { // listed, not followed
				out = append(out, ow)
				continue
			}
			key := ref.APIVersion + "/" + ref.Kind + "/" + ref.Name
			if seen[key] {
				return out, "owner chain loops at " + ow.Kind + " " + ow.Name
			}
			seen[key] = true
			gv, err := schema.ParseGroupVersion(ref.APIVersion)
			if err != nil {
				ow.Err = clean(fmt.Sprintf("apiVersion %q: %v", ref.APIVersion, err))
				out = append(out, ow)
				continue
			}
			k, err := r.resolve(Ref{Group: gv.Group, Version: gv.Version, Kind: ref.Kind})
			if err != nil {
				ow.Err = clean(err.Error())
				out = append(out, ow)
				continue
			}
			got, err := r.fetch(ctx, k, ns, ref.Name)
			switch {
			case err == nil:
				ow.Exists = true
				next = got
			case isGone(err):
				ow.Err = "not found"
				if why := r.unserved(k); why != "" {
					ow.Err = why
				}
			default:
				ow.Err = clean(kube.Explain(err).Error())
			}
			out = append(out, ow)
		}
		if next == nil {
			return out, ""
		}
		o = next
	}
	return out, fmt.Sprintf("owner chain longer than %d levels: not followed further", maxDepth)
}

// events lists the core/v1 Events whose involved object is ref (and, when
// its UID is known, that very object, not an earlier one of the same
// name), newest first. The field selector narrows what the server sends;
// the same test is made here, as the fake clientsets ignore selectors.
func events(ctx context.Context, clients *kube.Clients, ref Ref, uid string) ([]Event, string) {
	sel := fields.Set{"involvedObject.name": ref.Name, "involvedObject.kind": ref.Kind}
	list, err := clients.Typed.CoreV1().Events(ref.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel.AsSelector().String()})
	if err != nil {
		return nil, clean(fmt.Sprintf("list events of %s: %v", ref.Title(), kube.Explain(err)))
	}
	var out []Event
	for i := range list.Items {
		e := &list.Items[i]
		io := e.InvolvedObject
		if io.Name != ref.Name || io.Kind != ref.Kind || uid != "" && io.UID != "" && string(io.UID) != uid {
			continue
		}
		out = append(out, event(e))
	}
	slices.SortStableFunc(out, func(a, b Event) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	if len(out) > MaxEvents {
		out = out[:MaxEvents]
	}
	return out, ""
}

func event(e *corev1.Event) Event {
	ev := Event{
		Type: clean(e.Type), Reason: clean(e.Reason), Message: clean(e.Message),
		Source: clean(e.Source.Component), Count: e.Count,
		First: e.FirstTimestamp.Time, Last: e.LastTimestamp.Time,
	}
	if ev.Source == "" {
		ev.Source = clean(e.ReportingController)
	}
	if ev.Last.IsZero() {
		ev.Last = e.EventTime.Time
	}
	if e.Series != nil {
		ev.Count = e.Series.Count
		if !e.Series.LastObservedTime.IsZero() {
			ev.Last = e.Series.LastObservedTime.Time
		}
	}
	if ev.First.IsZero() {
		ev.First = ev.Last
	}
	if ev.Count == 0 {
		ev.Count = 1
	}
	return ev
}
