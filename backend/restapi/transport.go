package restapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/streamops/streamops/backend/kube"
)

// ErrorKind classifies a failed request for the pane and for backoff.
type ErrorKind int

const (
	Failed       ErrorKind = iota // anything else
	Timeout                       // no answer within the request timeout
	Unreachable                   // connection refused, DNS, no endpoints behind the Service
	Forbidden                     // the API server refused the proxy request (RBAC), or the endpoint did
	Unauthorized                  // credentials rejected
	HTTPStatus                    // the endpoint answered with a non-2xx status
	// AuthRequired: the endpoint asks for credentials (401), or the
	// PravegaCluster enables authentication and none are given.
	AuthRequired
	// CredentialsRejected: the endpoint refused the credentials' holder (403).
	CredentialsRejected
	// NoCredentials: the credentials could not be had (their Secret is
	// missing or forbidden) or cannot be sent (no direct endpoint).
	NoCredentials
)

// Error is a failed request. Its text is one line without credentials.
type Error struct {
	Kind   ErrorKind
	Path   string
	Status int    // HTTP status when there was one
	Msg    string // what went wrong, redacted
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return "GET " + e.Path + ": " + e.Msg
}

// MaxBody caps the size of a response the console reads.
const MaxBody = 64 << 20

// ProxyGetter reaches an endpoint through the API server's service proxy:
// GET /api/v1/namespaces/NS/services/[SCHEME:]NAME:PORT/proxy/PATH, with the
// kubeconfig's own credentials.
type ProxyGetter struct {
	Client                           kubernetes.Interface
	Namespace, Service, Port, Scheme string // Scheme "" (http) or "https"
	Timeout                          time.Duration
	Redact                           *Redactor
}

// Get implements wire.Getter.
func (g *ProxyGetter) Get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeoutOr(g.Timeout))
	defer cancel()
	raw, err := url.PathUnescape(path) // client-go escapes the path itself
	if err != nil {
		return nil, &Error{Kind: Failed, Path: path, Msg: "bad path: " + err.Error()}
	}
	name := g.Service + ":" + g.Port
	if g.Scheme != "" {
		name = g.Scheme + ":" + name
	}
	req := g.Client.CoreV1().RESTClient().Get().
		Namespace(g.Namespace).Resource("services").SubResource("proxy").Name(name).Suffix(raw)
	for k, vs := range query {
		for _, v := range vs {
			req = req.Param(k, v)
		}
	}
	res := req.Do(ctx)
	body, _ := res.Raw()
	if err := res.Error(); err != nil {
		return nil, g.explain(ctx, path, body, err)
	}
	return body, nil
}

func (g *ProxyGetter) explain(ctx context.Context, path string, body []byte, err error) *Error {
	e := &Error{Kind: Failed, Path: path}
	var st apierrors.APIStatus
	switch {
	case ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Kind, e.Msg = Timeout, fmt.Sprintf("no answer within %s (service proxy)", timeoutOr(g.Timeout))
	case errors.As(err, &st):
		s := st.Status()
		e.Status = int(s.Code)
		if apierrors.IsUnexpectedServerError(err) {
			// The endpoint answered through the proxy: its status and body
			// (client-go keeps a text body only in the error's cause).
			if len(body) == 0 && s.Details != nil {
				for _, c := range s.Details.Causes {
					if c.Type == metav1.CauseTypeUnexpectedServerResponse {
						body = []byte(c.Message)
					}
				}
			}
			e.Kind = HTTPStatus
			e.Msg = statusLine(e.Status, body)
			break
		}
		// The API server answered itself (RBAC, no endpoints, no Service).
		e.Msg = oneLine(s.Message)
		switch {
		case apierrors.IsForbidden(err):
			e.Kind = Forbidden
		case apierrors.IsUnauthorized(err):
			e.Kind, e.Msg = Unauthorized, "credentials rejected by the API server (401)"
		case s.Code == http.StatusServiceUnavailable || s.Reason == metav1.StatusReasonNotFound:
			e.Kind = Unreachable
		default:
			e.Kind = HTTPStatus
		}
	default:
		e.Kind, e.Msg = Unreachable, kube.Explain(err).Error()
	}
	e.Msg = g.Redact.String(e.Msg)
	return e
}

// DirectGetter reaches an endpoint at a URL given by flag or config file.
// User information in the URL is sent as basic authentication and a token
// as a bearer token; neither is ever part of an error. Credentials go to
// the URL's scheme, host and port only (authTransport), and redirects are
// not followed.
type DirectGetter struct {
	base    *url.URL
	auth    *authTransport
	client  *http.Client
	timeout time.Duration
	redact  *Redactor
	shown   string
}

// NewDirectGetter parses rawURL (http or https). token, when set, is sent
// as "Authorization: Bearer". Secrets found in either are added to redact.
func NewDirectGetter(rawURL, token string, timeout time.Duration, redact *Redactor) (*DirectGetter, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("endpoint URL %s: %w", kube.RedactURL(rawURL), errors.Unwrap(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("endpoint URL %s: scheme must be http or https", kube.RedactURL(rawURL))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("endpoint URL %s: no host", kube.RedactURL(rawURL))
	}
	redact.AddURL(u)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	g := &DirectGetter{base: u, auth: &authTransport{next: tr, origin: origin(u)}, timeout: timeoutOr(timeout), redact: redact, shown: kube.RedactURL(rawURL)}
	g.client = &http.Client{Transport: g.auth, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if token != "" {
		g.SetCredentials(BearerToken(token, "the token file"))
	}
	return g, nil
}

// SetCredentials makes every later request carry c (the zero value: none).
// Their secrets are added to the getter's Redactor.
func (g *DirectGetter) SetCredentials(c Credentials) {
	g.redact.Add(c.secrets()...)
	g.auth.creds.Store(&c)
}

// Shown is the URL as the console may show it.
func (g *DirectGetter) Shown() string { return g.shown }

// Get implements wire.Getter.
func (g *DirectGetter) Get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	u := *g.base
	q := u.Query()
	for k, vs := range query {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return nil, &Error{Kind: Failed, Path: path, Msg: "bad path: " + err.Error()}
	}
	u.Path = strings.TrimSuffix(g.base.Path, "/") + unescaped
	u.RawPath = strings.TrimSuffix(g.base.EscapedPath(), "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Kind: Failed, Path: path, Msg: "bad request"}
	}
	req.Header.Set("Accept", "application/json")
	res, err := g.client.Do(req)
	if err != nil {
		return nil, g.explain(ctx, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxBody+1))
	if err != nil {
		return nil, g.explain(ctx, path, err)
	}
	if len(body) > MaxBody {
		return nil, &Error{Kind: Failed, Path: path, Msg: fmt.Sprintf("answer larger than %d MiB", MaxBody>>20)}
	}
	if res.StatusCode/100 != 2 {
		e := &Error{Kind: HTTPStatus, Path: path, Status: res.StatusCode, Msg: g.redact.String(statusLine(res.StatusCode, body))}
		switch res.StatusCode {
		case http.StatusUnauthorized:
			e.Kind = Unauthorized
		case http.StatusForbidden:
			e.Kind = Forbidden
		}
		return nil, e
	}
	return body, nil
}

func (g *DirectGetter) explain(ctx context.Context, path string, err error) *Error {
	if ctx.Err() != nil || isTimeout(err) {
		return &Error{Kind: Timeout, Path: path, Msg: fmt.Sprintf("no answer within %s (%s)", g.timeout, g.shown)}
	}
	// url.Error carries the full URL (with a password, if any): keep only
	// what went wrong.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Error{Kind: Unreachable, Path: path, Msg: g.redact.String(oneLine(err.Error()) + " (" + g.shown + ")")}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func timeoutOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}

// statusLine is "500 Internal Server Error: <first line of the body>".
func statusLine(code int, body []byte) string {
	s := fmt.Sprintf("%d %s", code, http.StatusText(code))
	if text := oneLine(string(body)); text != "" && text != "unknown" {
		s += ": " + text
	}
	return s
}

// oneLine keeps the first line of s, printable, at most 160 characters.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " …"
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}
