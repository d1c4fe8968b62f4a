package testcluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestMain(m *testing.M) { Main(m, nil) }

func TestReadEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	content := "export KUBECONFIG=/tmp/tc/kubeconfig\nexport TESTCLUSTER_BIN=/home/u/.local/testcluster/bin\n# comment\nexport QUOTED=\"a b\"\nNOT_EXPORTED=1\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := readEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"KUBECONFIG": "/tmp/tc/kubeconfig", "TESTCLUSTER_BIN": "/home/u/.local/testcluster/bin", "QUOTED": "a b"}
	if len(env) != len(want) {
		t.Errorf("env = %v, want %v", env, want)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env[%s] = %q, want %q", k, env[k], v)
		}
	}
}

func TestTestdataIsComplete(t *testing.T) {
	for _, name := range []string{
		"zookeeper.pravega.io_zookeeperclusters.yaml", "bookkeeper.pravega.io_bookkeeperclusters.yaml",
		"pravega.pravega.io_pravegaclusters.yaml", "flinkdeployments.flink.apache.org-v1.yml",
		"spotify_flinkoperator.k8s.io_flinkclusters.yaml",
		"zookeeper_v1beta1_zookeepercluster_cr.yaml", "bookkeeper_v1alpha1_cr.yaml", "pravega_v1beta1_pravega-cr.yaml",
		"basic.yaml", "spotify_flinkoperator_v1beta1_flinkjobcluster.yaml", "SOURCES.md",
	} {
		path := Testdata(name)
		if !filepath.IsAbs(path) {
			t.Errorf("Testdata(%q) = %q, not absolute", name, path)
		}
		if _, err := os.Stat(path); err != nil {
			t.Error(err)
		}
	}
}

func TestReadCRDsApprovesProtectedGroups(t *testing.T) {
	for _, tc := range []struct {
		file, name string
		approved   bool
	}{
		{"spotify_flinkoperator.k8s.io_flinkclusters.yaml", "flinkclusters.flinkoperator.k8s.io", true},
		{"zookeeper.pravega.io_zookeeperclusters.yaml", "zookeeperclusters.zookeeper.pravega.io", false},
		{"flinkdeployments.flink.apache.org-v1.yml", "flinkdeployments.flink.apache.org", false},
	} {
		crds, err := readCRDs(Testdata(tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if len(crds) != 1 || crds[0].GetName() != tc.name {
			t.Fatalf("%s: got %d CRDs, want one named %s", tc.file, len(crds), tc.name)
		}
		_, approved := crds[0].GetAnnotations()["api-approved.kubernetes.io"]
		if approved != tc.approved {
			t.Errorf("%s: api-approved annotation present = %v, want %v", tc.name, approved, tc.approved)
		}
	}
	if _, err := readCRDs(Testdata("basic.yaml")); err == nil || !strings.Contains(err.Error(), "not a CustomResourceDefinition") {
		t.Errorf("reading a sample as CRDs: err = %v", err)
	}
}

func TestIntegrationCluster(t *testing.T) {
	c := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out, err := c.Kubectl(ctx, "get", "nodes", "-o", "name")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out)); len(got) != 3 || got[0] != "node/kwok-node-0" {
		t.Errorf("nodes = %v, want kwok-node-0..2", got)
	}
	for _, k := range []string{"TESTCLUSTER_DIR", "TESTCLUSTER_BIN", "TESTCLUSTER_APISERVER", "TESTCLUSTER_LIMITED_NS"} {
		if c.Env[k] == "" {
			t.Errorf("env %s is empty", k)
		}
	}

	// The protected-group CRD installs once annotated.
	if err := InstallCRDs(ctx, c, Testdata("spotify_flinkoperator.k8s.io_flinkclusters.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, "apiVersion: v1\nkind: Namespace\nmetadata: {name: flink}\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kubectl(ctx, "apply", "--server-side", "-n", "flink", "-f", Testdata("spotify_flinkoperator_v1beta1_flinkjobcluster.yaml")); err != nil {
		t.Fatal(err)
	}

	// Contexts: limited lists pods in its namespace and nothing else.
	for _, tc := range []struct {
		context         string
		podsOK, nodesOK bool
	}{
		{"admin", true, true},
		{"admin-token", true, true},
		{"limited", true, false},
	} {
		cfg, err := c.Config(tc.context)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cs.CoreV1().Pods(c.Env["TESTCLUSTER_LIMITED_NS"]).List(ctx, metav1.ListOptions{})
		if (err == nil) != tc.podsOK {
			t.Errorf("%s: list pods: %v", tc.context, err)
		}
		_, err = cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if (err == nil) != tc.nodesOK || (err != nil && !apierrors.IsForbidden(err)) {
			t.Errorf("%s: list nodes: %v", tc.context, err)
		}
	}
}
