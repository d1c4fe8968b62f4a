package scale

import (
	"context"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/streamops/streamops/backend/audit"
	"github.com/streamops/streamops/backend/demo"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/keymap"
)

// growIndex grows index-bookkeeper-bookie-0 (10Gi) to size through the
// storage view.
func growIndex(size string) []tea.Msg {
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	return slices.Concat([]tea.Msg{keymap.Press(k.Storage)}, slices.Repeat([]tea.Msg{keymap.Press(g.Down)}, 9),
		[]tea.Msg{keymap.Press(g.Select)}, typeText(size), []tea.Msg{keymap.Press(g.Select)})
}

// TestGoldenRefusals: a refused plan (the quota; 11× growth behind the
// override), the override input with the risk restated, a wrong phrase,
// the plan once overridden, and junk typed for a replica count.
func TestGoldenRefusals(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	seq := slices.Concat[[]tea.Msg]
	one := func(b ...tea.Msg) []tea.Msg { return b }
	ledger := seq(one(keymap.Press(k.Storage), keymap.Press(g.Down), keymap.Press(g.Down), keymap.Press(g.Down), keymap.Press(g.Select)), typeText("400Gi"), one(keymap.Press(g.Select)))
	const phrase = "grow-beyond-10x index-bookkeeper-bookie-0"
	views := []goldenView{
		{"quota", ledger, nil},
		{"growth", growIndex("110Gi"), nil},
		{"override-input", seq(growIndex("110Gi"), one(keymap.Press(k.Override)), typeText("grow-beyond")), nil},
		{"override-wrong", seq(growIndex("110Gi"), one(keymap.Press(k.Override)), typeText("grow-beyond-10x"), one(keymap.Press(g.Select))), nil},
		{"overridden", seq(growIndex("110Gi"), one(keymap.Press(k.Override)), typeText(phrase), one(keymap.Press(g.Select), keymap.Press(k.DryRun))), nil},
		{"audit-override", seq(growIndex("110Gi"), one(keymap.Press(k.Override)), typeText("grow-beyond"), one(keymap.Press(g.Select)), typeText(phrase),
			one(keymap.Press(g.Select), keymap.Press(k.Audit))), nil},
		{"replicas-junk", seq(one(keymap.Press(k.Value)), typeText("1"), one(keymap.Press(g.Select))), nil},
		{"replicas-minimum", one(keymap.Press(k.Decrease)), nil},
	}
	runGoldens(t, w, views)
}

// TestOverrideThroughTheWizard: the override key opens the phrase input
// (not the apply key); a wrong phrase is one line and clears the input; the
// right one is audited as an override and the plan can then be applied.
func TestOverrideThroughTheWizard(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	m := newWizard(t, w, 120, 40, false)
	m = run(t, m, growIndex("110Gi")...)
	if m.plan == nil || len(m.plan.Pending()) != 1 {
		t.Fatalf("plan %+v", m.plan)
	}
	if !m.keys.Override.Enabled() || m.keys.Apply.Enabled() {
		t.Fatalf("override enabled %v, apply enabled %v", m.keys.Override.Enabled(), m.keys.Apply.Enabled())
	}
	m = run(t, m, keymap.Press(k.Apply))
	if m.mode != modePlan {
		t.Fatalf("the apply key opened mode %d on a refused plan", m.mode)
	}
	m = run(t, m, keymap.Press(k.Override))
	if m.mode != modeOverride || !m.Capturing() {
		t.Fatalf("mode %d", m.mode)
	}
	m = run(t, m, append(typeText("grow-beyond-10x ledger"), keymap.Press(g.Select))...)
	if m.mode != modeOverride || m.phrase.Value() != "" || m.err != `not overridden: type "grow-beyond-10x index-bookkeeper-bookie-0" exactly` {
		t.Fatalf("wrong phrase: mode %d input %q err %q", m.mode, m.phrase.Value(), m.err)
	}
	m = run(t, m, append(typeText("grow-beyond-10x index-bookkeeper-bookie-0"), keymap.Press(g.Select))...)
	if m.mode != modePlan || len(m.plan.Pending()) != 0 || m.preflight == nil || !m.preflight.Passed() {
		t.Fatalf("after the override: mode %d pending %v preflight %+v", m.mode, m.plan.Pending(), m.preflight)
	}
	m = run(t, m, keymap.Press(k.DryRun))
	if !m.keys.Apply.Enabled() || m.keys.Override.Enabled() {
		t.Errorf("apply enabled %v, override enabled %v", m.keys.Apply.Enabled(), m.keys.Override.Enabled())
	}
	recs, err := m.eng.Audit(100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		if r.Action == audit.ActionOverride {
			got = append(got, r.Result)
			if !r.Override {
				t.Errorf("override record not marked: %+v", r)
			}
		}
	}
	if !slices.Equal(got, []string{"refused", "accepted"}) {
		t.Errorf("override records %q", got)
	}
}

// TestJunkInputLeavesThePlan: a malformed size, a replica count that is
// not a number or is below the minimum: one line each, the input cleared,
// nothing planned or changed; - stops at the minimum.
func TestJunkInputLeavesThePlan(t *testing.T) {
	w := settledDemo(t, false)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	m := newWizard(t, w, 80, 21, false)
	for _, tc := range []struct{ typed, err string }{
		{"lots", `size "lots" is not a quantity: type a number with a suffix such as 80Gi or 1Ti`},
		{"-3Gi", `size "-3Gi": a claim's size must be more than 0`},
	} {
		m = run(t, m, growIndex(tc.typed)...)
		if m.plan != nil || m.busy != "" || m.err != tc.err || !m.editing || m.size.Value() != "" {
			t.Errorf("size %q: plan %v busy %q err %q editing %v input %q", tc.typed, m.plan != nil, m.busy, m.err, m.editing, m.size.Value())
		}
		m = run(t, m, keymap.Press(g.Back), keymap.Press(k.Storage))
	}
	for _, tc := range []struct{ typed, err string }{
		{"three", `ZooKeeper zookeeper: replicas "three" is not a whole number`},
		{"1", "ZooKeeper zookeeper: at least 3 replicas (an odd ensemble), not 1"},
		{"4", "ZooKeeper zookeeper: the ensemble stays odd: 3 or 5, not 4"},
	} {
		m = run(t, m, keymap.Press(k.Value))
		m = run(t, m, append(typeText(tc.typed), keymap.Press(g.Select))...)
		if m.err != tc.err || !m.typing || m.value.Value() != "" || len(m.edits) != 0 {
			t.Errorf("replicas %q: err %q typing %v input %q edits %v", tc.typed, m.err, m.typing, m.value.Value(), m.edits)
		}
		m = run(t, m, keymap.Press(g.Back))
	}
	m = run(t, m, keymap.Press(k.Decrease), keymap.Press(k.Decrease))
	if len(m.edits) != 0 || !strings.Contains(m.err, "3 is the fewest replicas") {
		t.Errorf("- below the minimum: edits %v err %q", m.edits, m.err)
	}
	m = run(t, m, keymap.Press(k.Value))
	m = run(t, m, append(typeText("7"), keymap.Press(g.Select))...)
	if m.err != "" || m.typing || len(changes(m.targets, m.edits)) != 1 {
		t.Errorf("a good value: err %q edits %v", m.err, m.edits)
	}
}

// fourBookies asks the demo for a fourth bookie before it settles.
func fourBookies(ctx context.Context, p *demo.Platform) error {
	_, err := p.Clients().Dynamic.Resource(operator.BookkeeperClusters.GVR).Namespace(demo.StoreNamespace).
		Patch(ctx, "bookkeeper", types.MergePatchType, []byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{})
	return err
}

// TestGoldenBookieOverride: with four bookies, 4→3 is refused until the
// override naming the bookie (delete-bookie-data bookkeeper-bookie-3); the
// override view restates what the operator deletes.
func TestGoldenBookieOverride(t *testing.T) {
	w := settledDemoWith(t, false, fourBookies)
	km := keymap.Default()
	g, k := km.Global, paneKeys(km)
	down := []tea.Msg{keymap.Press(g.Down), keymap.Press(k.Decrease), keymap.Press(k.Plan)}
	views := []goldenView{
		{"bookie-refused", down, nil},
		{"bookie-override", append(slices.Clone(down), keymap.Press(k.Override)), nil},
		{"bookie-at-the-ensemble", []tea.Msg{keymap.Press(g.Down), keymap.Press(k.Decrease), keymap.Press(k.Decrease)}, nil},
	}
	runGoldens(t, w, views)
}
