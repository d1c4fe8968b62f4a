package testcluster

// Faults the harness can inflict on its own cluster: stopping and starting
// the kube-apiserver it started (same flags, same port), and compacting
// etcd so that old resource versions expire.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
)

// StopAPIServer stops the kube-apiserver of this cluster (exactly the
// process recorded in $Dir/pids, after checking it is still ours: SIGTERM,
// SIGKILL 3 s later) and waits until it has exited. Clients then get
// "connection refused".
func (c *Cluster) StopAPIServer(ctx context.Context) error {
	c.apiMu.Lock()
	defer c.apiMu.Unlock()
	pidFile := filepath.Join(c.Dir, "pids", "kube-apiserver.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return fmt.Errorf("stop kube-apiserver: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("stop kube-apiserver: pid file %s: %w", pidFile, err)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte("kube-apiserver")) || !bytes.Contains(cmdline, []byte(c.Dir)) {
		return fmt.Errorf("stop kube-apiserver: process %d is not this cluster's apiserver (already stopped?)", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop kube-apiserver %d: %w", pid, err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	// On SIGTERM the apiserver stops listening at once, then waits for
	// in-flight requests (the other components' watches) for up to a
	// minute: after a short grace it is killed.
	killAt := time.Now().Add(3 * time.Second)
	for !processGone(pid, c.apiExited) {
		if time.Now().After(killAt) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stop kube-apiserver %d: %w", pid, ctx.Err())
		case <-tick.C:
		}
	}
	if err := os.Remove(pidFile); err != nil {
		return fmt.Errorf("stop kube-apiserver: %w", err)
	}
	return nil
}

// processGone reports whether pid has exited: no /proc entry, a zombie, or
// (for an apiserver this process started and reaps) its Wait returned.
func processGone(pid int, exited chan struct{}) bool {
	if exited != nil {
		select {
		case <-exited:
			return true
		default:
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// "pid (comm) S ...": the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// StartAPIServer starts the kube-apiserver again with the command line
// start.sh recorded ($Dir/kube-apiserver.cmdline: same flags, same port,
// same etcd) and waits until /readyz says ok. Its output is appended to
// $Dir/logs/kube-apiserver.log and its pid recorded, so Stop and the
// watchdog stop it like the first one.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	c.apiMu.Lock()
	defer c.apiMu.Unlock()
	raw, err := os.ReadFile(filepath.Join(c.Dir, "kube-apiserver.cmdline"))
	if err != nil {
		return fmt.Errorf("start kube-apiserver: %w (start.sh records it)", err)
	}
	args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	if len(args) == 0 || !strings.HasSuffix(args[0], "kube-apiserver") {
		return fmt.Errorf("start kube-apiserver: unexpected command line %q", args)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "pids", "kube-apiserver.pid")); err == nil {
		return errors.New("start kube-apiserver: it is running (stop it first)")
	}
	logf, err := os.OpenFile(filepath.Join(c.Dir, "logs", "kube-apiserver.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("start kube-apiserver: %w", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n---- testcluster: kube-apiserver started again at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start kube-apiserver: %w", err)
	}
	exited := make(chan struct{})
	c.apiExited = exited
	go func() {
		_ = cmd.Wait() // reaps it; StopAPIServer and stop.sh end it
		close(exited)
	}()
	if err := os.WriteFile(filepath.Join(c.Dir, "pids", "kube-apiserver.pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("start kube-apiserver: %w", err)
	}
	return c.waitReady(ctx, exited)
}

// RestartAPIServer stops the kube-apiserver and starts it again.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	if err := c.StopAPIServer(ctx); err != nil {
		return err
	}
	return c.StartAPIServer(ctx)
}

func (c *Cluster) waitReady(ctx context.Context, exited <-chan struct{}) error {
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		return fmt.Errorf("wait for kube-apiserver: %w", err)
	}
	var last error
	for {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(tctx)
		cancel()
		if err == nil && strings.TrimSpace(string(body)) == "ok" {
			return nil
		}
		last = err
		select {
		case <-exited:
			return fmt.Errorf("kube-apiserver exited while starting (see %s)", filepath.Join(c.Dir, "logs", "kube-apiserver.log"))
		case <-ctx.Done():
			return fmt.Errorf("wait for kube-apiserver /readyz: %w (last error: %v)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// EtcdRevision returns etcd's current revision (the newest resource
// version), read through etcd's JSON gateway.
func (c *Cluster) EtcdRevision(ctx context.Context) (int64, error) {
	var out struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	// A range over one key is enough: every answer carries the header.
	if err := c.etcd(ctx, "/v3/kv/range", map[string]any{"key": "Lw==", "limit": 1}, &out); err != nil {
		return 0, err
	}
	rev, err := strconv.ParseInt(out.Header.Revision, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("etcd revision %q: %w", out.Header.Revision, err)
	}
	return rev, nil
}

// CompactEtcd compacts etcd's history up to its current revision and
// returns that revision: every resource version older than it is gone, and
// a list or watch from one fails with 410 Gone ("too old resource version")
// once the apiserver's watch cache cannot serve it either.
func (c *Cluster) CompactEtcd(ctx context.Context) (int64, error) {
	rev, err := c.EtcdRevision(ctx)
	if err != nil {
		return 0, err
	}
	if err := c.etcd(ctx, "/v3/kv/compaction", map[string]any{"revision": strconv.FormatInt(rev, 10), "physical": true}, nil); err != nil {
		return 0, err
	}
	return rev, nil
}

func (c *Cluster) etcd(ctx context.Context, path string, req map[string]any, out any) error {
	base := c.Env["TESTCLUSTER_ETCD"]
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		return fmt.Errorf("etcd %s: TESTCLUSTER_ETCD %q is not a loopback URL", path, base)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("etcd %s: %w", path, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return fmt.Errorf("etcd %s: %w", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("etcd %s: %w", path, err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd %s: %s: %s", path, res.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("etcd %s: %w", path, err)
		}
	}
	return nil
}
