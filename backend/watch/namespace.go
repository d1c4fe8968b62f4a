package watch

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/streamops/streamops/backend/kube"
)

// CheckNamespace says whether ns can be watched before the scope moves to
// it: a namespace that does not exist, or whose pods the credentials may
// not list, is one line, so that the members table does not read
// "nothing matches" as if it were filtered. A user who may not get
// namespaces (most namespaced roles) is asked about the pods instead.
func (w *Watcher) CheckNamespace(ctx context.Context, ns string) error {
	typed := w.cfg.Clients.Typed
	_, err := typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	switch {
	case err == nil:
	case apierrors.IsNotFound(err):
		return fmt.Errorf("namespace %q does not exist on %s", ns, w.cfg.Clients.Context)
	case apierrors.IsForbidden(err):
		// may not read namespaces: whether the pods can be listed is what matters
	default:
		return fmt.Errorf("namespace %q: %w", ns, kube.Explain(err))
	}
	if _, err := typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		if apierrors.IsForbidden(err) {
			return fmt.Errorf("namespace %q is not visible to you: the credentials may not list its pods", ns)
		}
		return fmt.Errorf("namespace %q: %w", ns, kube.Explain(err))
	}
	return nil
}
