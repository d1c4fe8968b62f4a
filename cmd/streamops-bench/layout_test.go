package main

import (
	"strings"
	"testing"
)

func TestSingleLayoutKeepsBlocksOf1000(t *testing.T) {
	counts := map[string]int{}
	for i := range blockSize {
		counts[single.role(i).kind]++
	}
	want := map[string]int{"zk": 5, "bk": 150, "ss": 150, "ct": 10, "jm": 5, "tm": 680}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d pods in a block, want %d", k, counts[k], n)
		}
	}
	if r := single.role(1315); r.block != 1 || r.kind != "jm" || r.cluster != "job1-0" {
		t.Errorf("pod 1315 is %+v, want the first JobManager of block 1", r)
	}
	if ns := single.namespaceOf(14999); ns != "bench" {
		t.Errorf("pod 14999 is in %q", ns)
	}
	if got := strings.Join(single.toolArgs(), " "); got != "-n bench" {
		t.Errorf("tool args %q", got)
	}
}

func TestSpreadLayout(t *testing.T) {
	l, err := spreadLayout(500, 15000)
	if err != nil {
		t.Fatal(err)
	}
	if l.perNS != 30 || len(l.allNamespaces()) != 500 {
		t.Fatalf("%d pods per namespace over %d namespaces", l.perNS, len(l.allNamespaces()))
	}
	if got := []string{l.namespaceOf(0), l.namespaceOf(29), l.namespaceOf(30), l.namespaceOf(14999)}; strings.Join(got, " ") != "bench-000 bench-000 bench-001 bench-499" {
		t.Errorf("namespaces %v", got)
	}
	counts := map[string]int{}
	for i := 30; i < 60; i++ {
		r := l.role(i)
		if r.block != 1 {
			t.Errorf("pod %d in block %d", i, r.block)
		}
		counts[r.kind]++
	}
	want := map[string]int{"zk": 3, "bk": 4, "ss": 4, "ct": 1, "jm": 1, "tm": 17}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d pods in a namespace, want %d", k, counts[k], n)
		}
	}
	if p := benchPod(l, 31); p.Namespace != "bench-001" || p.Name != "zk1-1" {
		t.Errorf("pod 31 is %s/%s", p.Namespace, p.Name)
	}
	for ns, want := range map[string]int{"bench-000": 0, "bench-499": 499, "bench-500": -1, "bench-7": -1, "bench": -1, "default": -1} {
		if got := l.nsIndex(ns); got != want {
			t.Errorf("nsIndex(%q) = %d, want %d", ns, got, want)
		}
	}
	if got := strings.Join(l.toolArgs(), " "); got != "-A" || l.scope() != "all" {
		t.Errorf("tool args %q, scope %q", got, l.scope())
	}
	if _, err := spreadLayout(500, 1000); err == nil {
		t.Error("2 pods per namespace accepted")
	}
	if l, _ := spreadLayout(1, 1000); l.spread() {
		t.Error("one namespace is spread")
	}
}

func TestK9sCompleteAllNamespaces(t *testing.T) {
	done := screen(t, "k9s-complete.txt")
	all := strings.ReplaceAll(done, "(bench)", "(all)")
	if !k9sComplete(all, "all", 1000) {
		t.Error("a complete -A frame is not complete")
	}
	if k9sComplete(done, "all", 1000) {
		t.Error("a one-namespace frame completes an -A run")
	}
}
