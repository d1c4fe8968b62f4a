// Package faulttest holds the watcher's integration tests that break the
// test cluster itself: the kube-apiserver is stopped and started again,
// etcd is compacted under the watcher's feet. They live apart from
// backend/watch's own tests because each test package gets a cluster of its own
// (backend/testcluster), so nothing else runs against a cluster these tests
// take down. The package has no code besides its tests.
package faulttest
