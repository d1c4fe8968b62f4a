package restapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/kube"
	"github.com/streamops/streamops/backend/platform"
	"github.com/streamops/streamops/backend/restapi/pravega"
)

// Credentials authenticate the console to a Pravega Controller's REST API:
// a user name and password (HTTP basic authentication) or a token (HTTP
// bearer). Every way of printing them (String, GoString, Format, slog)
// shows only the scheme and where they came from, never a value.
type Credentials struct {
	user, password, token string
	from                  string
}

// BasicAuth returns user name and password credentials; from says where
// they came from ("Secret pravega/streamops-rest").
func BasicAuth(user, password, from string) Credentials {
	return Credentials{user: user, password: password, from: from}
}

// BearerToken returns token credentials.
func BearerToken(token, from string) Credentials { return Credentials{token: token, from: from} }

// IsZero reports whether there are no credentials.
func (c Credentials) IsZero() bool { return c.user == "" && c.password == "" && c.token == "" }

// Scheme is "basic", "bearer" or "".
func (c Credentials) Scheme() string {
	switch {
	case c.token != "":
		return "bearer"
	case !c.IsZero():
		return "basic"
	}
	return ""
}

// From says where the credentials came from.
func (c Credentials) From() string { return c.from }

// String describes the credentials without their values: "basic auth from
// Secret pravega/streamops-rest".
func (c Credentials) String() string {
	switch c.Scheme() {
	case "basic":
		return "basic auth from " + c.from
	case "bearer":
		return "bearer token from " + c.from
	}
	return "no credentials"
}

// GoString is String: %#v shows no value either.
func (c Credentials) GoString() string { return "restapi.Credentials{" + c.String() + "}" }

// Format prints String for every verb (%v, %+v, %s, %q, %x...).
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = fmt.Fprintf(f, "%q", c.String())
		return
	}
	_, _ = io.WriteString(f, c.String())
}

// LogValue keeps slog from reaching into the fields.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalText keeps encoders (JSON, YAML) from writing the values.
func (c Credentials) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// secrets are the values a Redactor must mask.
func (c Credentials) secrets() []string {
	out := []string{c.password, c.token}
	if c.user != "" && c.password != "" {
		out = append(out, base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.password)))
	}
	return out
}

// header is the Authorization header value.
func (c Credentials) header() string {
	switch c.Scheme() {
	case "basic":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.password))
	case "bearer":
		return "Bearer " + c.token
	}
	return ""
}

// CredentialSource says which credentials go to the Controllers of which
// PravegaClusters: those of a Kubernetes Secret, read when first needed,
// or credentials given in the configuration file.
type CredentialSource struct {
	// Namespace and Cluster select the PravegaClusters; an empty Cluster
	// selects every one of the namespace.
	Namespace, Cluster string
	// SecretNamespace/SecretName name the Secret (keys username and
	// password, or token); empty when Static is given.
	SecretNamespace, SecretName string
	Static                      Credentials
}

// Secret is "namespace/name" of the source's Secret, "" if it has none.
func (s CredentialSource) Secret() string {
	if s.SecretName == "" {
		return ""
	}
	return s.SecretNamespace + "/" + s.SecretName
}

// Matches reports whether the source's credentials are for a target.
func (s CredentialSource) Matches(t Target) bool {
	return t.API == Pravega && t.Namespace == s.Namespace && (s.Cluster == "" || s.Cluster == t.Name)
}

// String describes the source without secrets.
func (s CredentialSource) String() string {
	who := "pravega:" + s.Namespace + "/*"
	if s.Cluster != "" {
		who = "pravega:" + s.Namespace + "/" + s.Cluster
	}
	if s.SecretName != "" {
		return who + " ← Secret " + s.Secret()
	}
	return who + " ← " + s.Static.String()
}

// ParseCredentialSecret reads the --pravega-credentials-secret syntax:
// NAMESPACE/SECRET (for every PravegaCluster of NAMESPACE) or
// NAMESPACE/CLUSTER=SECRET (for one cluster; the Secret in its namespace).
func ParseCredentialSecret(s string) (CredentialSource, error) {
	bad := fmt.Errorf("pravega credentials secret %q: want NAMESPACE/SECRET or NAMESPACE/CLUSTER=SECRET", s)
	left, secret, named := strings.Cut(strings.TrimSpace(s), "=")
	ns, name, ok := strings.Cut(left, "/")
	if !ok || !validName(ns) || !validName(name) {
		return CredentialSource{}, bad
	}
	if !named {
		return CredentialSource{Namespace: ns, SecretNamespace: ns, SecretName: name}, nil
	}
	if !validName(secret) {
		return CredentialSource{}, bad
	}
	return CredentialSource{Namespace: ns, Cluster: name, SecretNamespace: ns, SecretName: secret}, nil
}

// validName accepts a DNS subdomain name (namespaces, Secrets, clusters).
func validName(s string) bool { return len(validation.IsDNS1123Subdomain(s)) == 0 }

// Secret keys the console reads.
const (
	SecretUsername = "username"
	SecretPassword = "password"
	SecretToken    = "token"
)

// ReadSecretCredentials reads credentials from a Secret with one GET:
// username and password, or token. Its errors name the Secret and never
// quote a value.
func ReadSecretCredentials(ctx context.Context, client kubernetes.Interface, namespace, name string) (Credentials, error) {
	where := "credentials from Secret " + namespace + "/" + name
	if client == nil {
		return Credentials{}, fmt.Errorf("%s: no API server to read it from", where)
	}
	sec, err := client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsForbidden(err):
		return Credentials{}, fmt.Errorf("%s: forbidden to read it (get secrets in %s)", where, namespace)
	case apierrors.IsNotFound(err):
		return Credentials{}, fmt.Errorf("%s: not found", where)
	case err != nil:
		return Credentials{}, fmt.Errorf("%s: %w", where, kube.Explain(err))
	}
	from := "Secret " + namespace + "/" + name
	get := func(k string) string { return strings.TrimSpace(string(sec.Data[k])) }
	user, password, token := get(SecretUsername), get(SecretPassword), get(SecretToken)
	switch {
	case token != "" && (user != "" || password != ""):
		return Credentials{}, fmt.Errorf("%s: it has both %s and %s/%s; keep one", where, SecretToken, SecretUsername, SecretPassword)
	case token != "":
		return BearerToken(token, from), nil
	case user != "" && password != "":
		return BasicAuth(user, password, from), nil
	case user != "":
		return Credentials{}, fmt.Errorf("%s: it has %s without %s", where, SecretUsername, SecretPassword)
	case password != "":
		return Credentials{}, fmt.Errorf("%s: it has %s without %s", where, SecretPassword, SecretUsername)
	}
	return Credentials{}, fmt.Errorf("%s: it has neither %s/%s nor %s", where, SecretUsername, SecretPassword, SecretToken)
}

// origin is scheme://host:port with the default port filled in.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// authTransport sets the Authorization header on requests to one origin
// only (scheme, host and port of the endpoint), and removes it from any
// other: credentials never cross hosts, whatever asks (a redirect, a
// mistaken path).
type authTransport struct {
	next   http.RoundTripper
	origin string
	creds  atomic.Pointer[Credentials]
}

// RoundTrip implements http.RoundTripper.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.creds.Load()
	same := origin(req.URL) == t.origin
	if !same && req.Header.Get("Authorization") == "" || same && (c == nil || c.IsZero()) {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	if same {
		r.Header.Set("Authorization", c.header())
	} else {
		r.Header.Del("Authorization")
	}
	return t.next.RoundTrip(r)
}

// authRequired lists the Pravega targets of a snapshot whose cluster
// enables authentication, by Target.String().
func authRequired(snap *platform.Snapshot) map[string]bool {
	out := map[string]bool{}
	if snap == nil {
		return out
	}
	for _, c := range snap.Components {
		if c.Kind == platform.Controller && c.Source.Kind == "PravegaCluster" && c.Auth != nil && c.Auth.Enabled {
			out[Target{API: Pravega, Namespace: c.Namespace, Name: c.Cluster}.String()] = true
		}
	}
	return out
}

// credentialSource is the first source whose credentials are for t.
func (m *Monitor) credentialSource(t Target) (CredentialSource, bool) {
	for _, s := range m.cfg.Credentials {
		if s.Matches(t) {
			return s, true
		}
	}
	return CredentialSource{}, false
}

// hint is how to give credentials, for the messages.
const hint = "--pravega-credentials-secret NAMESPACE/SECRET"

// authorize gets the credentials of a Pravega endpoint ready before it is
// read: from the configuration, or from their Secret with one GET (kept
// until the endpoint refuses them). It refuses to read when credentials
// are needed and cannot be had, or cannot be sent: through the API
// server's service proxy the Authorization header authenticates to the
// API server itself (which removes it), so Pravega credentials would go
// to the wrong server and never reach the Controller.
func (m *Monitor) authorize(ctx context.Context, ep *endpoint) (*Credentials, error) {
	src, ok := m.credentialSource(ep.target)
	m.mu.Lock()
	required, cached, direct := ep.authRequired, ep.creds, ep.direct
	m.mu.Unlock()
	if !ok {
		if required {
			return nil, &Error{Kind: AuthRequired, Msg: "authentication required: the PravegaCluster enables authentication and no credentials are given (" + hint + ")"}
		}
		return nil, nil
	}
	if direct == nil { // no direct URL: the service proxy
		return nil, &Error{Kind: NoCredentials, Msg: fmt.Sprintf("credentials need a direct endpoint: --rest-endpoint %s=URL (the API server's service proxy cannot carry them)", ep.target)}
	}
	if cached != nil {
		return cached, nil
	}
	c := src.Static
	if src.SecretName != "" {
		var err error
		if c, err = ReadSecretCredentials(ctx, m.cfg.Secrets, src.SecretNamespace, src.SecretName); err != nil {
			return nil, &Error{Kind: NoCredentials, Msg: err.Error()}
		}
	}
	direct.SetCredentials(c) // registers their secrets with m.redact, the getter's Redactor
	m.mu.Lock()
	ep.creds = &c
	m.mu.Unlock()
	return &c, nil
}

// refusal turns the endpoint's 401 and 403 into what they mean:
// "authentication required" and "credentials rejected". The API server's
// own refusal of the service proxy (RBAC) stays what it is.
func refusal(err error, route Route, creds *Credentials) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	status := e.Status
	switch {
	case e.Kind == Unauthorized && route.Via == ViaDirect, e.Kind == HTTPStatus && status == http.StatusUnauthorized:
		msg := "authentication required (401): no credentials given (" + hint + ")"
		if creds != nil {
			msg = "authentication required (401): " + creds.String() + " not accepted"
		}
		return &Error{Kind: AuthRequired, Path: "", Status: http.StatusUnauthorized, Msg: msg}
	case e.Kind == Forbidden && route.Via == ViaDirect, e.Kind == HTTPStatus && status == http.StatusForbidden:
		who := "the endpoint refuses to let anyone"
		if creds != nil {
			who = creds.String() + " may not"
		}
		return &Error{Kind: CredentialsRejected, Status: http.StatusForbidden, Msg: "credentials rejected (403): " + who + " read " + e.Path}
	}
	return err
}

// refusals applies refusal to the per-scope errors of an inventory.
func refusals(inv *pravega.Inventory, route Route, creds *Credentials) {
	if inv == nil {
		return
	}
	for i := range inv.Scopes {
		sc := &inv.Scopes[i]
		sc.StreamErr = refusal(sc.StreamErr, route, creds)
		sc.GroupErr = refusal(sc.GroupErr, route, creds)
		for j := range sc.Groups {
			sc.Groups[j].Err = refusal(sc.Groups[j].Err, route, creds)
		}
	}
}
