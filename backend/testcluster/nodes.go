package testcluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// KubeletNode is a Ready kwok node whose kubelet API the API server can
// reach (pods/log, the node proxy): the test cluster's nodes carry no
// address, so the first one found is given the cluster's backend address
// (TESTCLUSTER_BACKEND_IP), which the egress proxy routes to kwok.
func (c *Cluster) KubeletNode(ctx context.Context, cs kubernetes.Interface) (string, error) {
	ip := c.Env["TESTCLUSTER_BACKEND_IP"]
	for {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", fmt.Errorf("nodes: %w", err)
		}
		for _, n := range nodes.Items {
			ready := false
			for _, cond := range n.Status.Conditions {
				ready = ready || cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue
			}
			if !ready {
				continue
			}
			if len(n.Status.Addresses) == 0 && ip != "" {
				patch := fmt.Sprintf(`{"status":{"addresses":[{"type":"InternalIP","address":%q}]}}`, ip)
				if _, err := cs.CoreV1().Nodes().PatchStatus(ctx, n.Name, []byte(patch)); err != nil {
					return "", fmt.Errorf("node %s address: %w", n.Name, err)
				}
			}
			return n.Name, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no Ready node: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
