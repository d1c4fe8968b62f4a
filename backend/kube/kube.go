// Package kube builds the Kubernetes clients the console uses from
// kubectl-standard flags (k8s.io/cli-runtime), and checks that the cluster
// answers before the terminal is taken over.
package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Clients are the client-go interfaces the backend talks through. The demo
// platform fills them with fake clientsets; a real cluster with REST clients.
type Clients struct {
	Typed     kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	Config    *rest.Config // nil for the demo platform

	Context string // kubeconfig context name
	Server  string // API server URL, credentials removed
	User    string // kubeconfig user name (the authenticated name comes from SelfSubjectReview)
}

// Scope is the set of namespaces the console watches.
type Scope struct {
	// Namespaces to watch; empty means all namespaces.
	Namespaces []string
}

// All reports whether the scope is cluster-wide.
func (s Scope) All() bool { return len(s.Namespaces) == 0 }

// String is how the status bar names the scope.
func (s Scope) String() string {
	if s.All() {
		return "all namespaces"
	}
	return strings.Join(s.Namespaces, ",")
}

// Options are the kubectl-standard flags plus -A.
type Options struct {
	Flags         *genericclioptions.ConfigFlags
	AllNamespaces bool
	// QPS and Burst of the client-side rate limiter; informers issue few
	// requests but log streams open many at once.
	QPS   float32
	Burst int
}

// NewOptions returns options with cli-runtime's flag set.
func NewOptions() *Options {
	return &Options{Flags: genericclioptions.NewConfigFlags(true), QPS: 50, Burst: 100}
}

// Connect loads the kubeconfig, builds the clients and resolves the
// namespace scope. It does not contact the server; Check does.
func (o *Options) Connect() (*Clients, Scope, error) {
	loader := o.Flags.ToRawKubeConfigLoader()
	raw, err := loader.RawConfig()
	if err != nil {
		return nil, Scope{}, fmt.Errorf("kubeconfig: %w", err)
	}
	ctxName := raw.CurrentContext
	if o.Flags.Context != nil && *o.Flags.Context != "" {
		ctxName = *o.Flags.Context
	}
	if ctxName == "" && (o.Flags.APIServer == nil || *o.Flags.APIServer == "") {
		return nil, Scope{}, errors.New("kubeconfig: no current context is set (use --context or --kubeconfig)")
	}
	if ctxName != "" {
		if _, ok := raw.Contexts[ctxName]; !ok && (o.Flags.APIServer == nil || *o.Flags.APIServer == "") {
			return nil, Scope{}, fmt.Errorf("kubeconfig: context %q does not exist", ctxName)
		}
	}
	cfg, err := o.Flags.ToRESTConfig()
	if err != nil {
		return nil, Scope{}, fmt.Errorf("kubeconfig: %w", firstLine(err))
	}
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	cfg.UserAgent = "streamops"
	ns, _, err := loader.Namespace()
	if err != nil {
		return nil, Scope{}, fmt.Errorf("kubeconfig namespace: %w", err)
	}
	scope := Scope{Namespaces: []string{ns}}
	if o.AllNamespaces {
		scope = Scope{}
	}
	c, err := NewClients(cfg)
	if err != nil {
		return nil, Scope{}, err
	}
	c.Context = ctxName
	if kc, ok := raw.Contexts[ctxName]; ok {
		c.User = kc.AuthInfo
	}
	return c, scope, nil
}

// NewClients builds typed, dynamic and discovery clients for a REST config.
func NewClients(cfg *rest.Config) (*Clients, error) {
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create dynamic client: %w", err)
	}
	return &Clients{Typed: typed, Dynamic: dyn, Discovery: typed.Discovery(), Config: cfg, Server: RedactURL(cfg.Host)}, nil
}

// Check asks the server for its version, so that an unreachable server or
// rejected credentials are reported before the console starts.
func (c *Clients) Check(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Discovery.ServerVersion()
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		return fmt.Errorf("cannot reach %s: %w", c.Server, Explain(err))
	case <-ctx.Done():
		return fmt.Errorf("cannot reach %s: no answer within %s", c.Server, timeout)
	}
}

// Explain shortens client-go errors to one line a person can act on.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var netErr *net.OpError
	var urlErr *url.Error
	switch {
	case apierrors.IsUnauthorized(err):
		return errors.New("credentials rejected (401 Unauthorized)")
	case apierrors.IsForbidden(err):
		// "failed to list *v1.Node: nodes is forbidden: User "x" cannot
		// list resource ..." → keep who cannot do what.
		msg := firstLine(err).Error()
		if i := strings.Index(msg, " is forbidden: "); i >= 0 {
			msg = msg[i+len(" is forbidden: "):]
		}
		return fmt.Errorf("forbidden: %s", msg)
	case errors.As(err, &netErr):
		return fmt.Errorf("%s %s: %w", netErr.Op, netErr.Addr, netErr.Err)
	case errors.As(err, &urlErr):
		return firstLine(urlErr.Err)
	}
	return firstLine(err)
}

func firstLine(err error) error {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return errors.New(s[:i])
	}
	return err
}

// IsKubeconfigError reports whether err comes from loading the kubeconfig.
func IsKubeconfigError(err error) bool {
	return err != nil && (clientcmd.IsConfigurationInvalid(err) || clientcmd.IsEmptyConfig(err))
}

// RedactURL drops user information and query strings from a URL so that it
// can be shown and logged.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}

// WithContext returns options for another kubeconfig context. The flags
// are built anew: cli-runtime's ConfigFlags caches its client config, so
// changing the context of the old ones would keep the old credentials. The
// kubeconfig path, an explicit namespace and the request timeout carry
// over; credential overrides (--token, --user, --as …) belonged to the
// old context and do not.
func (o *Options) WithContext(name string) *Options {
	n := NewOptions()
	n.AllNamespaces, n.QPS, n.Burst = o.AllNamespaces, o.QPS, o.Burst
	n.Flags.Context = &name
	copyFlag := func(dst **string, src *string) {
		if src != nil {
			v := *src
			*dst = &v
		}
	}
	copyFlag(&n.Flags.KubeConfig, o.Flags.KubeConfig)
	copyFlag(&n.Flags.Namespace, o.Flags.Namespace)
	copyFlag(&n.Flags.Timeout, o.Flags.Timeout)
	return n
}
