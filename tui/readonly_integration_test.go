package tui

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/operator"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/session"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/keymap"
	"github.com/streamops/streamops/themes"
)

type countingTransport func(*http.Request) (*http.Response, error)

func (f countingTransport) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestIntegrationPaletteReadOnlySendsNoWrite: the console runs on a
// session against the real API server, every request of it counted on the
// wire. Before :readonly a dry run goes out; after it — typed into the
// palette, as a user would — the scale engine refuses the dry run and the
// apply, a patch sent straight through the session's clients is refused
// by their transport, and not one write reaches the server.
func TestIntegrationPaletteReadOnlySendsNoWrite(t *testing.T) {
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "tui-readonly"
	cfg, err := c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := kube.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := testcluster.InstallCRDs(ctx, c, testcluster.Testdata("zookeeper.pravega.io_zookeeperclusters.yaml"),
		testcluster.Testdata("bookkeeper.pravega.io_bookkeeperclusters.yaml"), testcluster.Testdata("pravega.pravega.io_pravegaclusters.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := c.Kubectl(ctx, "apply", "--server-side", "--force-conflicts", "-n", ns, "-f", testcluster.Testdata("bookkeeper_v1alpha1_cr.yaml")); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var writes []string
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return countingTransport(func(req *http.Request) (*http.Response, error) {
			if guard.Writes(req) {
				mu.Lock()
				writes = append(writes, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
				mu.Unlock()
			}
			return rt.RoundTrip(req)
		})
	})
	counted := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), writes...)
	}
	clients, err := kube.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.Start(ctx, session.Config{Clients: clients, Scope: kube.Scope{Namespaces: []string{ns}},
		AuditPath: filepath.Join(t.TempDir(), "audit.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Watcher.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	var bk *platform.Component
	for bk == nil {
		for _, comp := range s.Watcher.Snapshot().Components {
			if comp.Kind == platform.BookKeeper && comp.HasSpec {
				bk = comp
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("the BookkeeperCluster never showed")
		case <-time.After(20 * time.Millisecond):
		}
	}
	plan, err := s.Scale.Plan(ctx, []scale.Change{{Key: bk.Key(), Field: scale.Replicas, To: "4"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Scale.DryRun(ctx, plan.ID); err != nil {
		t.Fatalf("dry run before read-only: %v", err)
	}
	if n := len(counted()); n == 0 {
		t.Fatal("the dry run before read-only was not counted: is the transport wrapped?")
	}
	before := len(counted())

	km := keymap.Default()
	m := New(Options{Styles: themes.New(themes.Dark), Keys: km, Clock: clocktesting.NewFakeClock(epoch), ReadOnly: s.ReadOnly,
		Context: "admin", Scope: ns, Tick: -1, CrashDir: t.TempDir(), Ctx: ctx,
		Backends: Backends{Scale: s.Scale, Scope: s.Watcher}})
	msgs := []tea.Msg{tea.WindowSizeMsg{Width: 100, Height: 30}, snapshotMsg{s.Watcher.Snapshot()}, keymap.Press(km.Global.Palette)}
	for _, r := range "readonly" {
		msgs = append(msgs, keymap.PressString(string(r)))
	}
	m = drive(m, append(msgs, keymap.PressString("enter"))...)
	if !s.ReadOnly.On() || !s.Scale.ReadOnly() {
		t.Fatal(":readonly did not set the session's switch")
	}

	if _, err := s.Scale.DryRun(ctx, plan.ID); !errors.Is(err, guard.ErrReadOnly) {
		t.Errorf("dry run after :readonly: %v", err)
	}
	if _, err := s.Scale.Apply(ctx, plan.ID, plan.Confirm); !errors.Is(err, guard.ErrReadOnly) {
		t.Errorf("apply after :readonly: %v", err)
	}
	_, err = s.Clients.Dynamic.Resource(operator.BookkeeperClusters.GVR).Namespace(ns).Patch(ctx, bk.Cluster, types.MergePatchType,
		[]byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{})
	if !errors.Is(err, guard.ErrReadOnly) {
		t.Errorf("a patch through the session's clients after :readonly: %v", err)
	}
	for _, w := range counted()[before:] {
		if w != "POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews?" && w != "POST /apis/authentication.k8s.io/v1/selfsubjectreviews?" {
			t.Errorf("a write reached the server after :readonly: %s", w)
		}
	}
	if out := ansi.Strip(m.render()); !strings.Contains(out, "READ-ONLY") {
		t.Errorf("the status bar does not say read-only:\n%s", out)
	}
}
