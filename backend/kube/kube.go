// Package kube builds the Kubernetes clients the console uses from
// kubectl-standard flags (client-go's clientcmd override flags), and checks
// that the cluster answers before the terminal is taken over.
package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	// Logs streams pods/log on connections of its own, without the
	// client-side rate limit (see LogsConfig); nil for the demo platform.
	Logs kubernetes.Interface

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

// Options are the kubectl-standard flags plus -A. They are client-go's
// clientcmd flags rather than cli-runtime's ConfigFlags: cli-runtime
// brings kustomize, whose plugin loader imports Go's plugin package, and
// that makes the linker export every symbol of the binary (150 MB instead
// of 90, and tens of MiB more resident).
type Options struct {
	Kubeconfig    string
	Overrides     clientcmd.ConfigOverrides
	AllNamespaces bool
	// QPS and Burst of the client-side rate limiter; informers issue few
	// requests but log streams open many at once.
	QPS   float32
	Burst int
}

// NewOptions returns options with the default rate limits.
func NewOptions() *Options {
	return &Options{QPS: 50, Burst: 100}
}

// AddFlags registers --kubeconfig and kubectl's override flags (--context,
// --namespace/-n, --cluster, --user, --server, --token, --as, ...,
// --request-timeout).
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, clientcmd.RecommendedConfigPathFlag, "", "path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	clientcmd.BindOverrideFlags(&o.Overrides, fs, clientcmd.RecommendedConfigOverrideFlags(""))
}

// Loader reads the kubeconfig with the flags applied. Each call builds a
// new one: clientcmd's deferred loader caches the client config it made
// first, so reusing one across a context switch would keep the old
// credentials.
func (o *Options) Loader() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	overrides := o.Overrides
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &overrides)
}

// Timeout is --request-timeout, zero when unset or invalid. It is parsed
// as the REST config's timeout is (a duration or a bare number of seconds).
func (o *Options) Timeout() time.Duration {
	if t := o.Overrides.Timeout; t != "" {
		if d, err := clientcmd.ParseTimeout(t); err == nil && d > 0 {
			return d
		}
	}
	return 0
}

// Connect loads the kubeconfig, builds the clients and resolves the
// namespace scope. It does not contact the server; Check does.
func (o *Options) Connect() (*Clients, Scope, error) {
	loader := o.Loader()
	raw, err := loader.RawConfig()
	if err != nil {
		return nil, Scope{}, fmt.Errorf("kubeconfig: %w", err)
	}
	ctxName := raw.CurrentContext
	if o.Overrides.CurrentContext != "" {
		ctxName = o.Overrides.CurrentContext
	}
	server := o.Overrides.ClusterInfo.Server
	if ctxName == "" && server == "" {
		return nil, Scope{}, errors.New("kubeconfig: no current context is set (use --context or --kubeconfig)")
	}
	if ctxName != "" {
		if _, ok := raw.Contexts[ctxName]; !ok && server == "" {
			return nil, Scope{}, fmt.Errorf("kubeconfig: context %q does not exist", ctxName)
		}
	}
	cfg, err := loader.ClientConfig()
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
// The typed client speaks protobuf, as Kubernetes' own controllers do:
// the API server encodes a pod list several times faster that way and the
// console decodes it several times faster than JSON, which is most of the
// time to the first frame of a large cluster. Custom resources have no
// protobuf form; the dynamic client keeps JSON.
func NewClients(cfg *rest.Config) (*Clients, error) {
	typedCfg := rest.CopyConfig(cfg)
	if typedCfg.ContentType == "" {
		typedCfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
		typedCfg.ContentType = "application/vnd.kubernetes.protobuf"
	}
	typed, err := kubernetes.NewForConfig(typedCfg)
	if err != nil {
		return nil, fmt.Errorf("create kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("create dynamic client: %w", err)
	}
	logs, err := kubernetes.NewForConfig(LogsConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("create log client: %w", err)
	}
	return &Clients{Typed: typed, Dynamic: dyn, Discovery: typed.Discovery(), Config: cfg, Logs: logs, Server: RedactURL(cfg.Host)}, nil
}

// LogsConfig derives the configuration of the log client from cfg:
//
//   - No client-side rate limit. A log stream is one long-lived GET, and
//     the token bucket of cfg (QPS 50, burst 100) is shared with the
//     informers' lists: 50 streams opened with the console, or after a
//     context switch, would wait for it (stern waits 8 s for 50 streams at
//     client-go's default 5/s). The log engine limits how fast streams open
//     (logs.Config OpenRate and OpenBurst), so reconnect storms stay
//     bounded.
//   - HTTP/1.1: each stream on a connection of its own. Over HTTP/2 all
//     streams would share one TCP connection with the informers' watches,
//     so 50 busy logs would delay watch events behind their bytes, and
//     every 4 KiB read costs a WINDOW_UPDATE frame written back. The
//     kernel does the flow control of separate connections for free.
func LogsConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst, c.RateLimiter = -1, 0, nil
	c.TLSClientConfig.NextProtos = []string{"http/1.1"}
	return c
}

// Check asks the server for its version, so that an unreachable server or
// rejected credentials are reported before the console starts.
func (c *Clients) Check(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() { // the check fails with the panic instead of ending the program
			if r := recover(); r != nil {
				done <- fmt.Errorf("internal error: %v", r)
			}
		}()
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

// FirstLine is s up to its first line break: what the console shows of a
// message that may go on (a server's multi-line answer, a stack).
func FirstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// firstLine is err cut to its first line; err itself when it has one.
func firstLine(err error) error {
	if s := err.Error(); FirstLine(s) != s {
		return errors.New(FirstLine(s))
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

// WithContext returns options for another kubeconfig context. The
// kubeconfig path, an explicit namespace and the request timeout carry
// over; credential and cluster overrides (--token, --user, --as, --server
// …) belonged to the old context and do not.
func (o *Options) WithContext(name string) *Options {
	n := NewOptions()
	n.Kubeconfig, n.AllNamespaces, n.QPS, n.Burst = o.Kubeconfig, o.AllNamespaces, o.QPS, o.Burst
	n.Overrides.CurrentContext = name
	n.Overrides.Context.Namespace = o.Overrides.Context.Namespace
	n.Overrides.Timeout = o.Overrides.Timeout
	return n
}
