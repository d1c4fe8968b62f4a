package watch_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/watch"
)

func TestClaimsAreMappedToTheirComponents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ctx, w, "claims", func(s *platform.Snapshot) bool { return s.Synced() && len(s.Claims) == 13 })
	want := map[string]struct {
		kind                 platform.Kind
		cluster, role, class string
		size                 string
		exp                  platform.Expansion
	}{
		"pravega/data-zookeeper-1":            {platform.ZooKeeper, "zookeeper", "data", "standard", "20Gi", platform.ExpansionAllowed},
		"pravega/ledger-bookkeeper-bookie-0":  {platform.BookKeeper, "bookkeeper", "ledger", "standard", "50Gi", platform.ExpansionAllowed},
		"pravega/journal-bookkeeper-bookie-2": {platform.BookKeeper, "bookkeeper", "journal", "journal-ssd", "10Gi", platform.ExpansionRefused},
		"pravega/index-bookkeeper-bookie-1":   {platform.BookKeeper, "bookkeeper", "index", "standard", "10Gi", platform.ExpansionAllowed},
		"pravega/pravega-tier2":               {platform.SegmentStore, "pravega", "long-term storage", "nfs-share", "100Gi", platform.ExpansionAllowed},
	}
	for key, w := range want {
		c := s.Claim(key)
		if c == nil {
			t.Errorf("%s missing", key)
			continue
		}
		if c.Kind != w.kind || c.Cluster != w.cluster || c.Role != w.role || c.Class != w.class || c.CapacityText != w.size ||
			c.RequestedText != w.size || c.Expansion != w.exp || c.Phase != "Bound" {
			t.Errorf("%s = %+v", key, *c)
		}
	}
	if c := s.Claim("pravega/data-zookeeper-1"); c != nil && c.Member != "zookeeper-1" {
		t.Errorf("member = %q", c.Member)
	}
	// Scaling order: ZooKeeper, then the bookies ledger → journal → index.
	if s.Claims[0].Kind != platform.ZooKeeper || s.Claims[3].Role != "ledger" || s.Claims[6].Role != "journal" || s.Claims[12].Kind != platform.SegmentStore {
		var names []string
		for _, c := range s.Claims {
			names = append(names, c.Name)
		}
		t.Errorf("order: %v", names)
	}
}

// A user who may not list StorageClasses sees "expansion unknown" with the
// reason, and the storageclasses watch failing; nothing else breaks.
func TestForbiddenStorageClassesMakeExpansionUnknown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, fc := settledDemo(t, ctx)
	typed := p.Clients().Typed.(*fake.Clientset)
	typed.PrependReactor("list", "storageclasses", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "storage.k8s.io", Resource: "storageclasses"}, "",
			errors.New(`User "limited" cannot list resource "storageclasses" in API group "storage.k8s.io" at the cluster scope`))
	})
	w := watch.New(watch.Config{Clients: p.Clients(), Scope: p.Scope(), Clock: fc})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s := waitFor(t, ctx, w, "storage classes failing", func(s *platform.Snapshot) bool {
		return syncOf(s, "storageclasses").Phase == platform.Failing && len(s.Claims) == 13 && syncOf(s, "pods").Phase == platform.Synced
	})
	for _, c := range s.Claims {
		if c.Expansion != platform.ExpansionUnknown || !strings.Contains(c.ExpansionWhy, "storage classes failing") || !strings.Contains(c.ExpansionWhy, "forbidden") {
			t.Errorf("%s: expansion %s (%s)", c.Name, c.Expansion, c.ExpansionWhy)
		}
	}
	if len(s.Components) == 0 {
		t.Error("no components")
	}
}
