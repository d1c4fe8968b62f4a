package scale

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
)

// CheckQuota is the preflight check of a storage plan against the
// namespace's ResourceQuotas.
const CheckQuota = "Quota"

// growthLimit is how many times its size a claim may grow to without an
// override: a claim can never shrink back.
const growthLimit = 10

// ParseSize reads a size typed for a claim: a positive quantity such as
// 80Gi. The error is one line.
func ParseSize(s string) (resource.Quantity, error) {
	t := strings.TrimSpace(s)
	q, err := resource.ParseQuantity(t)
	switch {
	case t == "":
		return q, fmt.Errorf("no size: type one such as 80Gi or 1Ti")
	case err != nil:
		return q, fmt.Errorf("size %q is not a quantity: type a number with a suffix such as 80Gi or 1Ti", t)
	case q.Sign() <= 0:
		return q, fmt.Errorf("size %q: a claim's size must be more than 0", t)
	}
	return q, nil
}

func bytesText(n int64) string { return resource.NewQuantity(n, resource.BinarySI).String() }

// growthRefusal refuses growing past growthLimit times the current size;
// the override names what grows.
func growthRefusal(step int, target, what, name string, from, to int64, fromText, toText string) []Refusal {
	if from <= 0 || to <= from*growthLimit {
		return nil
	}
	limit := bytesText(from * growthLimit)
	return []Refusal{{ID: fmt.Sprintf("storage-growth#%d", step), Step: step, Target: target,
		Reason: fmt.Sprintf("%s %s→%s is more than %d× its size (at most %s without an override)", what, fromText, toText, growthLimit, limit),
		Safe:   fmt.Sprintf("grow to at most %s now and again later if needed", limit),
		Risk:   fmt.Sprintf("a claim can never shrink: %s keeps asking for %s for good, and the quota and the bill follow", name, toText),
		Phrase: "grow-beyond-10x " + name}}
}

// quotaCheck reads the ResourceQuotas of the claim's namespace through the
// engine's clients and checks that growing the claim stays within
// requests.storage and the class's <class>.storageclass.storage.k8s.io/
// requests.storage. What is used is the quota's status.used, or the sum of
// the watched claims when the quota reports none. A read that is refused is
// one line (a warning: the API server still enforces the quota).
func (e *Engine) quotaCheck(ctx context.Context, snap *platform.Snapshot, s Step) (Check, []Refusal) {
	cs := s.Claim
	ck := Check{Name: CheckQuota, Status: Pass}
	var from int64
	if c := claimOf(snap, cs); c != nil {
		from = c.Requested
	}
	growth := cs.ToBytes - from
	list, err := e.cfg.Clients.Typed.CoreV1().ResourceQuotas(cs.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		ck.Status = Warn
		ck.Summary = kube.FirstLine(fmt.Sprintf("cannot read ResourceQuotas in %s: %v", cs.Namespace, kube.Explain(err)))
		ck.Fix = "grant list on resourcequotas to check the growth against the quota (the API server enforces it anyway)"
		return ck, nil
	}
	names := []corev1.ResourceName{corev1.ResourceRequestsStorage}
	if cs.Class != "" {
		names = append(names, corev1.ResourceName(cs.Class+".storageclass.storage.k8s.io/requests.storage"))
	}
	var refusals []Refusal
	var fits []string
	for _, q := range list.Items {
		for _, name := range names {
			hard, ok := q.Spec.Hard[name]
			if !ok {
				continue
			}
			used, how := watchedUse(snap, cs.Namespace, string(name) != string(corev1.ResourceRequestsStorage), cs.Class), "summed from the watched claims"
			if u, ok := q.Status.Used[name]; ok {
				used, how = u.Value(), "status.used"
			}
			after := used + max(growth, 0)
			line := fmt.Sprintf("ResourceQuota %s/%s %s: %s used (%s) + %s = %s of %s", q.Namespace, q.Name, name, bytesText(used), how, bytesText(max(growth, 0)), bytesText(after), hard.String())
			if after <= hard.Value() {
				ck.Evidence = append(ck.Evidence, "✓ "+line)
				what := "in all"
				if name != corev1.ResourceRequestsStorage {
					what = "for class " + cs.Class
				}
				fits = append(fits, fmt.Sprintf("%s/%s %s of %s %s", q.Namespace, q.Name, bytesText(after), hard.String(), what))
				continue
			}
			ck.Evidence = append(ck.Evidence, "✖ "+line)
			room := max(hard.Value()-used, 0)
			refusals = append(refusals, Refusal{ID: fmt.Sprintf("quota-%s-%s#%d", q.Name, name, s.N), Step: s.N, Target: s.Target(),
				Reason: fmt.Sprintf("ResourceQuota %s/%s allows %s of %s; growing %s to %s needs %s", q.Namespace, q.Name, hard.String(), name, cs.Name, cs.To, bytesText(after)),
				Safe:   fmt.Sprintf("grow %s by at most %s (to %s), or ask for a larger quota", cs.Name, bytesText(room), bytesText(from+room))})
		}
	}
	switch {
	case len(refusals) > 0:
		ck.Status, ck.Summary = Fail, refusals[0].Reason
		ck.Fix = refusals[0].Safe
	case len(fits) == 0:
		ck.Summary = fmt.Sprintf("no ResourceQuota in %s limits storage", cs.Namespace)
	default:
		ck.Summary = "within ResourceQuota " + strings.Join(fits, ", ")
	}
	return ck, refusals
}

// watchedUse sums the storage the watched claims of a namespace ask for
// (of one class when byClass).
func watchedUse(snap *platform.Snapshot, ns string, byClass bool, class string) int64 {
	var n int64
	if snap == nil {
		return 0
	}
	for _, c := range snap.Claims {
		if c.Namespace == ns && (!byClass || c.Class == class) {
			n += c.Requested
		}
	}
	return n
}

func claimOf(snap *platform.Snapshot, cs *ClaimStep) *platform.Claim {
	if snap == nil {
		return nil
	}
	return snap.Claim(cs.Namespace + "/" + cs.Name)
}

// refusalsNow applies a plan's rules again on the platform as it is now.
func (e *Engine) refusalsNow(ctx context.Context, plan Plan) ([]Refusal, error) {
	snap := e.cfg.Source.Snapshot()
	if snap == nil {
		return nil, fmt.Errorf("%w: no snapshot of the platform", ErrNotChecked)
	}
	if len(plan.Steps) == 0 {
		return nil, nil
	}
	s := plan.Steps[0]
	switch {
	case plan.Storage():
		var out []Refusal
		if c := claimOf(snap, s.Claim); c != nil {
			out = growthRefusal(s.N, s.Target(), "grow "+c.Name, c.Name, c.Requested, s.Claim.ToBytes, c.RequestedText, s.Claim.To)
		}
		_, qr := e.quotaCheck(ctx, snap, s)
		return append(out, qr...), nil
	case len(s.Diffs) == 1 && s.Diffs[0].Field == StorageSize:
		return plan.Refusals, nil // a template's growth does not depend on the platform
	}
	return refusals(snap, e.cfg.Source, plan), nil
}
