package main

import "fmt"

// layout says where the bench pods live: all in the namespace "bench",
// in platform blocks of 1000 pods (the default), or spread over many
// namespaces, one small platform block per namespace, the tools then
// watching every namespace (-A).
type layout struct {
	namespaces int // 1: every pod in "bench"
	perNS      int // pods per namespace (and block) when namespaces > 1
}

// single is the one-namespace layout.
var single = layout{namespaces: 1}

// spreadLayout spreads maxPods over n namespaces, filled in order: pod i
// is in namespace i/perNS, so pods added for a larger size land in the
// namespaces after the earlier ones.
func spreadLayout(n, maxPods int) (layout, error) {
	if n <= 1 {
		return single, nil
	}
	per := (maxPods + n - 1) / n
	if per < 10 {
		return layout{}, fmt.Errorf("-namespaces %d for %d pods: want at least 10 pods per namespace (one platform block each)", n, maxPods)
	}
	return layout{namespaces: n, perNS: per}, nil
}

func (l layout) spread() bool { return l.namespaces > 1 }

// blockSize is the pods in one platform block.
func (l layout) blockSize() int {
	if l.spread() {
		return l.perNS
	}
	return blockSize
}

// nsIndex is the namespace number of namespace ns, or -1 when ns is not
// one of the layout's.
func (l layout) nsIndex(ns string) int {
	if !l.spread() {
		if ns == namespace {
			return 0
		}
		return -1
	}
	var i int
	if _, err := fmt.Sscanf(ns, namespace+"-%d", &i); err != nil || i < 0 || i >= l.namespaces || l.namespaceName(i) != ns {
		return -1
	}
	return i
}

func (l layout) namespaceName(i int) string {
	if !l.spread() {
		return namespace
	}
	return fmt.Sprintf("%s-%03d", namespace, i)
}

// namespaceOf is the namespace of pod i.
func (l layout) namespaceOf(i int) string { return l.namespaceName(i / l.blockSize()) }

// allNamespaces lists the layout's namespaces.
func (l layout) allNamespaces() []string {
	out := make([]string, l.namespaces)
	for i := range out {
		out[i] = l.namespaceName(i)
	}
	return out
}

// scope is what k9s writes in its pod table's title: the namespace, or
// "all" with -A.
func (l layout) scope() string {
	if l.spread() {
		return "all"
	}
	return namespace
}

// toolArgs are the scope flags for both tools: one namespace, or all.
func (l layout) toolArgs() []string {
	if l.spread() {
		return []string{"-A"}
	}
	return []string{"-n", namespace}
}

// A platform block, as the operators label and name its pods
// (contracts/LABELS.md): a ZookeeperCluster, a BookkeeperCluster, a
// PravegaCluster of segment stores and controllers, and native
// FlinkDeployments of 1 JobManager and up to 136 TaskManagers each. A
// block of 1000 pods holds 5 ZooKeeper members, 150 bookies, 150 segment
// stores, 10 controllers and 5 Flink jobs of 137 pods: 14 components. A
// smaller block keeps the proportions (3 ZooKeeper members, 15 % bookies,
// 15 % segment stores, 1 % controllers, at least one of each, and the
// rest Flink).
type podRole struct {
	block, index int    // block number, index within the role
	kind         string // zk, bk, ss, ct, jm, tm
	cluster      string // the custom resource's name
}

func (l layout) role(i int) podRole {
	size := l.blockSize()
	b, j := i/size, i%size
	zk := 5
	if size < blockSize {
		zk = 3
	}
	bk, ss, ct := max(1, size*15/100), max(1, size*15/100), max(1, size/100)
	switch {
	case j < zk:
		return podRole{b, j, "zk", fmt.Sprintf("zk%d", b)}
	case j < zk+bk:
		return podRole{b, j - zk, "bk", fmt.Sprintf("bk%d", b)}
	case j < zk+bk+ss:
		return podRole{b, j - zk - bk, "ss", fmt.Sprintf("pravega%d", b)}
	case j < zk+bk+ss+ct:
		return podRole{b, j - zk - bk - ss, "ct", fmt.Sprintf("pravega%d", b)}
	}
	const job = 137
	f, k := (j-zk-bk-ss-ct)/job, (j-zk-bk-ss-ct)%job
	if k == 0 {
		return podRole{b, 0, "jm", fmt.Sprintf("job%d-%d", b, f)}
	}
	return podRole{b, k - 1, "tm", fmt.Sprintf("job%d-%d", b, f)}
}
