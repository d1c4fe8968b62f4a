package scale_test

// Integration tests of the storage step against a real kube-apiserver.
// No storage provisioner or resizer runs in the test cluster: the test
// creates the volumes (the controller-manager binds them to the claims),
// and plays the resizer itself after the engine's patch by setting the
// claim's status through the status subresource.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/streamops/streamops/backend/guard"
	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/scale"
	"github.com/streamops/streamops/backend/testcluster"
	"github.com/streamops/streamops/backend/usage"
	"github.com/streamops/streamops/backend/usage/usagetest"
)

const (
	itExpandable = "streamops-it-expandable"
	itFixed      = "streamops-it-fixed"
)

// storageEnv makes a namespace with the ZooKeeper, BookKeeper and Pravega
// sample resources (no members: the claims only need the components) and
// claims bound by the cluster's PersistentVolume controller to volumes made
// for them: ZooKeeper's data-zookeeper-0 and the bookie's
// ledger-bookkeeper-bookie-0 on an expandable class, its journal on a class
// that does not allow expansion, and the long-term storage fileshare.
func storageEnv(t *testing.T, ns string) *itEnv {
	t.Helper()
	c := testcluster.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cfg, err := c.Config("admin")
	if err != nil {
		t.Fatal(err)
	}
	e := &itEnv{ctx: ctx, c: c, admin: clientsFor(t, cfg, "admin"), ns: ns}
	if err := testcluster.InstallCRDs(ctx, c, testcluster.Testdata("zookeeper.pravega.io_zookeeperclusters.yaml"),
		testcluster.Testdata("bookkeeper.pravega.io_bookkeeperclusters.yaml"), testcluster.Testdata("pravega.pravega.io_pravegaclusters.yaml")); err != nil {
		t.Fatal(err)
	}
	e.freshNamespace(t)
	claims := e.admin.Typed.CoreV1().PersistentVolumeClaims(ns)
	if err := claims.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	for { // claims of an earlier run (-count=N) wait for their protection finalizer
		list, err := claims.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("old claims not deleted")
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, f := range []string{"zookeeper_v1beta1_zookeepercluster_cr.yaml", "bookkeeper_v1alpha1_cr.yaml", "pravega_v1beta1_pravega-cr.yaml"} {
		if _, err := c.Kubectl(ctx, "apply", "--server-side", "--force-conflicts", "-n", ns, "-f", testcluster.Testdata(f)); err != nil {
			t.Fatal(err)
		}
	}
	yes, no := true, false
	for _, sc := range []*storagev1.StorageClass{
		{ObjectMeta: metav1.ObjectMeta{Name: itExpandable}, Provisioner: "example.com/resizable", AllowVolumeExpansion: &yes},
		{ObjectMeta: metav1.ObjectMeta{Name: itFixed}, Provisioner: "example.com/fixed", AllowVolumeExpansion: &no},
	} {
		if _, err := e.admin.Typed.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	for _, cl := range []struct{ name, class string }{
		{"data-zookeeper-0", itExpandable}, {"ledger-bookkeeper-bookie-0", itExpandable},
		{"journal-bookkeeper-bookie-0", itFixed}, {"pravega-tier2", itExpandable},
	} {
		class := cl.class
		// A volume pre-bound to the claim: the cluster's PersistentVolume
		// controller binds them and sets the claim's phase and capacity.
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pv-%s-%s-%d", ns, cl.name, time.Now().UnixNano())},
			Spec: corev1.PersistentVolumeSpec{StorageClassName: class, Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
				AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/" + ns + "/" + cl.name}},
				ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: ns, Name: cl.name}},
		}
		if _, err := e.admin.Typed.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: cl.name, Namespace: ns},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: pv.Name,
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
		}
		if _, err := claims.Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.w = e.watcher(t, e.admin)
	e.awaitClaims(t)
	return e
}

func (e *itEnv) awaitClaims(t *testing.T) {
	t.Helper()
	e.await(t, "the claims", func(s *platform.Snapshot) string {
		if len(s.Claims) != 4 {
			return fmt.Sprintf("%d claims", len(s.Claims))
		}
		for _, c := range s.Claims {
			if c.Phase != "Bound" || c.Kind == platform.Other {
				return fmt.Sprintf("%s %s %s", c.Name, c.Phase, c.Kind)
			}
		}
		return ""
	})
}

func storageCheck(t *testing.T, ctx context.Context, eng *scale.Engine, ns, claim, to string) (scale.Plan, scale.Preflight, []scale.DryRunResult) {
	t.Helper()
	plan, err := eng.PlanStorage(ctx, scale.StorageChange{Namespace: ns, Claim: claim, To: to})
	if err != nil {
		t.Fatal(err)
	}
	pf, err := eng.Preflight(ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	dry, err := eng.DryRun(ctx, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	return plan, pf, dry
}

// TestIntegrationStorageGrow grows ZooKeeper's data claim: the claims are
// mapped from the real CRDs' resources, the dry run passes the API
// server's validation and admission, and after the patch the test plays
// the resizer (Resizing, FileSystemResizePending, then status.capacity);
// the engine follows it through the watch and finishes.
func TestIntegrationStorageGrow(t *testing.T) {
	e := storageEnv(t, "storage-grow")
	s := e.w.Snapshot()
	for key, want := range map[string]string{
		"data-zookeeper-0": "ZooKeeper data", "ledger-bookkeeper-bookie-0": "BookKeeper ledger",
		"journal-bookkeeper-bookie-0": "BookKeeper journal", "pravega-tier2": "SegmentStore long-term storage",
	} {
		c := s.Claim(e.ns + "/" + key)
		if got := c.Kind.String() + " " + c.Role; got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	eng, _ := e.engine(t, e.admin, nil)
	plan, pf, dry := storageCheck(t, e.ctx, eng, e.ns, "data-zookeeper-0", "2Gi")
	if !pf.Passed() {
		t.Fatalf("preflight: %s", failing(pf))
	}
	if !dry[0].OK {
		t.Fatalf("dry run: %+v", dry[0])
	}
	claims := e.admin.Typed.CoreV1().PersistentVolumeClaims(e.ns)
	resized := make(chan error, 1)
	go func() { resized <- playResizer(e.ctx, e, "data-zookeeper-0", "2Gi") }()
	ch, err := eng.Apply(e.ctx, plan.ID, plan.Confirm)
	if err != nil {
		t.Fatal(err)
	}
	out, evs := drain(t, ch)
	if err := <-resized; err != nil {
		t.Fatal(err)
	}
	if out.State != scale.Completed {
		t.Fatalf("%s: %s", out.State, out.Message)
	}
	var progress []string
	for _, ev := range evs {
		if ev.Kind == scale.StepProgress {
			progress = append(progress, ev.Progress.String())
		}
	}
	all := strings.Join(progress, "\n")
	if !strings.Contains(all, "Resizing") || !strings.Contains(all, "FileSystemResizePending") {
		t.Errorf("progress never showed the resize conditions:\n%s", all)
	}
	got, err := claims.Get(e.ctx, "data-zookeeper-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if q := got.Spec.Resources.Requests[corev1.ResourceStorage]; q.String() != "2Gi" {
		t.Errorf("requested %s", q.String())
	}
}

// playResizer waits for the claim to ask for size, then moves its status
// as the external resizer and the kubelet would, one step per snapshot the
// engine can see.
func playResizer(ctx context.Context, e *itEnv, name, size string) error {
	claims := e.admin.Typed.CoreV1().PersistentVolumeClaims(e.ns)
	want := resource.MustParse(size)
	for {
		c, err := claims.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if q := c.Spec.Resources.Requests[corev1.ResourceStorage]; q.Cmp(want) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return errors.New("the claim was never patched")
		case <-time.After(20 * time.Millisecond):
		}
	}
	steps := []func(*corev1.PersistentVolumeClaim){
		func(c *corev1.PersistentVolumeClaim) {
			c.Status.Conditions = []corev1.PersistentVolumeClaimCondition{{Type: corev1.PersistentVolumeClaimResizing, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
		},
		func(c *corev1.PersistentVolumeClaim) {
			c.Status.Conditions = []corev1.PersistentVolumeClaimCondition{{Type: corev1.PersistentVolumeClaimFileSystemResizePending, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
		},
		func(c *corev1.PersistentVolumeClaim) {
			c.Status.Conditions = nil
			c.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: want}
		},
	}
	for _, step := range steps {
		c, err := claims.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		step(c)
		rv := c.ResourceVersion
		if _, err := claims.UpdateStatus(ctx, c, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("resizer: %w", err)
		}
		// let the watch deliver this state before the next one
		deadline := time.After(10 * time.Second)
		for seen := false; !seen; {
			if cl := e.w.Snapshot().Claim(e.ns + "/" + name); cl != nil && cl.ResourceVersion != rv {
				seen = true
				continue
			}
			select {
			case <-deadline:
				return errors.New("the watch never saw the resizer's update")
			case <-time.After(30 * time.Millisecond):
			}
		}
		time.Sleep(100 * time.Millisecond) // the engine reads the snapshot it was sent
	}
	return nil
}

// TestIntegrationStorageRefusals: the class that does not allow expansion
// and a shrink are refused by the preflight first, and the API server's
// own admission and validation refuse them in the dry run too; nothing is
// applied.
func TestIntegrationStorageRefusals(t *testing.T) {
	e := storageEnv(t, "storage-refused")
	eng, _ := e.engine(t, e.admin, nil)
	cases := []struct {
		name, claim, to, check, summary, server string
	}{
		{"not expandable", "journal-bookkeeper-bookie-0", "2Gi", scale.CheckStorageClass,
			"storage class " + itFixed + " does not allow volume expansion", "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"},
		{"shrink", "ledger-bookkeeper-bookie-0", "512Mi", scale.CheckPlan, "claim can only grow: 1Gi → 512Mi is a shrink",
			"spec.resources.requests.storage: Forbidden: field can not be less than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, pf, dry := storageCheck(t, e.ctx, eng, e.ns, tc.claim, tc.to)
			c := checkNamed(pf, tc.check)
			if pf.Passed() || c.Status != scale.Fail || !strings.Contains(c.Summary, tc.summary) {
				t.Errorf("%s = %s %q, want fail %q", tc.check, c.Status, c.Summary, tc.summary)
			}
			t.Logf("the API server: %s", dry[0].Message)
			if dry[0].OK || !strings.Contains(dry[0].Message, tc.server) {
				t.Errorf("dry run = ok %v %s: %s, want the server's %q", dry[0].OK, dry[0].Reason, dry[0].Message, tc.server)
			}
			if _, err := eng.Apply(e.ctx, plan.ID, plan.Confirm); !errors.Is(err, scale.ErrNotChecked) {
				t.Errorf("apply: %v", err)
			}
		})
	}
	got, err := e.admin.Typed.CoreV1().PersistentVolumeClaims(e.ns).Get(e.ctx, "ledger-bookkeeper-bookie-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if q := got.Spec.Resources.Requests[corev1.ResourceStorage]; q.String() != "1Gi" {
		t.Errorf("requested %s after refusals", q.String())
	}
}

// TestIntegrationStorageForbiddenForLimitedUser: a user who may read the
// namespace but not patch claims nor list StorageClasses is refused by the
// preflight, sees expansion unknown, and the API server refuses the dry run.
func TestIntegrationStorageForbiddenForLimitedUser(t *testing.T) {
	e := storageEnv(t, "storage-limited")
	limited := e.viewerClients(t)
	e.w = e.watcher(t, limited)
	e.awaitClaims(t)
	// The watcher calls a forbidden watch failing after its list is
	// refused; on a loaded machine that can come after the claims.
	e.await(t, "the storage classes watch to fail", func(s *platform.Snapshot) string {
		for _, st := range s.Syncs {
			if st.Resource == "storageclasses" && st.Phase == platform.Failing {
				return ""
			}
		}
		return "storage classes not failing yet"
	})
	eng, _ := e.engine(t, limited, nil)
	_, pf, dry := storageCheck(t, e.ctx, eng, e.ns, "data-zookeeper-0", "2Gi")
	cred := checkNamed(pf, scale.CheckCredentials)
	if cred.Status != scale.Fail || !strings.Contains(cred.Summary, "limited may not patch persistentvolumeclaims in "+e.ns) {
		t.Errorf("credentials: %s %q", cred.Status, cred.Summary)
	}
	class := checkNamed(pf, scale.CheckStorageClass)
	if class.Status != scale.Warn || !strings.Contains(class.Summary, "storage classes failing") || !strings.Contains(class.Summary, "forbidden") {
		t.Errorf("storage class: %s %q", class.Status, class.Summary)
	}
	if dry[0].OK || dry[0].Reason != "Forbidden" || !strings.Contains(dry[0].Message, `cannot patch resource "persistentvolumeclaims"`) {
		t.Errorf("dry run: %+v", dry[0])
	}
}

// TestIntegrationStorageReadOnlySendsNoWrite: in read-only mode the storage
// plan and preflight send only access reviews; dry run and apply are
// refused before any request.
func TestIntegrationStorageReadOnlySendsNoWrite(t *testing.T) {
	e := storageEnv(t, "storage-readonly")
	counted, onlyReviews := e.countedClients(t)
	e.w = e.watcher(t, counted)
	e.awaitClaims(t)
	eng, _ := e.engine(t, counted, func(c *scale.Config) { c.ReadOnly = guard.New(true) })
	plan, err := eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: e.ns, Claim: "data-zookeeper-0", To: "2Gi"})
	if err != nil {
		t.Fatal(err)
	}
	if pf, err := eng.Preflight(e.ctx, plan.ID); err != nil || !pf.Passed() {
		t.Fatalf("preflight %v: %s", err, failing(pf))
	}
	refusedReadOnly(t, e.ctx, eng, plan)
	onlyReviews(t)
}

// TestIntegrationStorageGrowNamesFill: the bookie's ledger volume is 91 %
// full in its kubelet's summary (the test's server, the kubelet of a node
// the bookie runs on, reached through the API server's node proxy). The
// real usage monitor, wired as the session wires it (the watcher's
// snapshots, the clients' metrics API and node proxy) and activated as the
// scale pane activates it, reads the fill; the storage plan then names the
// fill as the reason to grow and the size that brings it under 70 %. A
// claim whose fill is not reported, and an engine without the monitor,
// say nothing of fill.
func TestIntegrationStorageGrowNamesFill(t *testing.T) {
	e := storageEnv(t, "storage-fill")
	const (
		node   = "storage-fill-node"
		bookie = "bookkeeper-bookie-0"
		ledger = "ledger-bookkeeper-bookie-0"
	)
	// The ledger claim asks for 1Gi; its volume uses 932Mi of it.
	srv := usagetest.Start(t, usagetest.Serve{Node: node, Volumes: []usagetest.Volume{{Pod: bookie, Namespace: e.ns, Name: "ledger", Claim: ledger,
		Used: 932 << 20, Available: 92 << 20, Capacity: 1 << 30}}})
	srv.AddNode(t, e.ctx, e.c, e.admin.Typed)
	// The bookie the operator would run, on that node: the monitor reads
	// the summaries of the nodes holding members of a namespace with claims.
	if _, err := e.admin.Typed.CoreV1().Pods(e.ns).Create(e.ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: bookie, Labels: map[string]string{"app": "bookkeeper-cluster", "bookkeeper_cluster": "bookkeeper", "component": "bookie"}},
		Spec: corev1.PodSpec{NodeName: node, Tolerations: []corev1.Toleration{usagetest.Toleration},
			Containers: []corev1.Container{{Name: "bookie", Image: "example/bookie"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.await(t, "the bookie on "+node, func(s *platform.Snapshot) string {
		if c := s.Component(e.key(platform.BookKeeper, "bookkeeper")); c != nil {
			for _, m := range c.Members {
				if m.Name == bookie && m.Node == node {
					return ""
				}
			}
		}
		return "not a member yet"
	})

	mc, sr, err := usage.ClientsFor(e.admin)
	if err != nil {
		t.Fatal(err)
	}
	// Short intervals: the product's defaults read volumes once a minute.
	m := usage.New(usage.Config{Metrics: mc, Summaries: sr, Scope: kube.Scope{Namespaces: []string{e.ns}}, Snapshots: e.w,
		Interval: 100 * time.Millisecond, VolumeInterval: 100 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	m.Activate("scale")
	var fill usage.ClaimFill
	for {
		var ok bool
		if fill, ok = m.Latest().Claim(e.ns + "/" + ledger); ok && fill.Level != usage.FillUnknown {
			break
		}
		select {
		case <-e.ctx.Done():
			t.Fatalf("the monitor never reported the ledger's fill: volumes %+v; %s", m.Latest().Volumes, srv.Proxied(context.Background(), e.admin.Typed))
		case <-time.After(20 * time.Millisecond):
		}
	}
	if fill.Level != usage.FillCritical || fill.Node != node || fill.Pod != bookie {
		t.Errorf("ledger fill %+v", fill)
	}

	eng, _ := e.engine(t, e.admin, func(c *scale.Config) { c.Usage = m })
	plan, err := eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: e.ns, Claim: ledger, To: "1536Mi"})
	if err != nil {
		t.Fatal(err)
	}
	warnings := plan.Steps[0].Warnings
	for _, want := range []string{
		"the volume is 91% full (932Mi used of 1Gi): the reason to grow it",
		"2Gi brings it under 70%; at 1.5Gi it would be 61% full",
	} {
		if !slices.Contains(warnings, want) {
			t.Errorf("the plan's warnings do not say %q:\n%s", want, strings.Join(warnings, "\n"))
		}
	}

	// No fill reported (no volume of ZooKeeper's claim in the summary),
	// and no monitor: no line of fill.
	unknown, err := eng.PlanStorage(e.ctx, scale.StorageChange{Namespace: e.ns, Claim: "data-zookeeper-0", To: "2Gi"})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := m.Latest().Claim(e.ns + "/data-zookeeper-0"); !ok || f.Level != usage.FillUnknown {
		t.Errorf("ZooKeeper's fill %+v %v, want a claim of unknown fill", f, ok)
	}
	without, _ := e.engine(t, e.admin, nil)
	blind, err := without.PlanStorage(e.ctx, scale.StorageChange{Namespace: e.ns, Claim: ledger, To: "1536Mi"})
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]scale.Plan{"unknown fill": unknown, "no monitor": blind} {
		for _, w := range p.Steps[0].Warnings {
			if strings.Contains(w, "full") || strings.Contains(w, "brings it under") {
				t.Errorf("%s: the plan says %q", name, w)
			}
		}
	}
}
