package restapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/streamops/streamops/backend/restapi"
	"github.com/streamops/streamops/backend/restapi/fakeapi"
	"github.com/streamops/streamops/backend/restapi/pravega"
	"github.com/streamops/streamops/backend/restapi/restapitest"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func seedPravega() *fakeapi.Pravega {
	p := fakeapi.NewPravega(func() time.Time { return t0 })
	p.CreateStream("iot", "sensors", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.ByEventRate, TargetRate: 100, ScaleFactor: 2, MinSegments: 2}}, t0.Add(-time.Hour))
	p.CreateStream("iot", "odd name", fakeapi.StreamConfig{Scaling: fakeapi.ScalingConfig{Type: fakeapi.FixedSegments, MinSegments: 1}}, t0.Add(-time.Hour))
	return p
}

// checked serves h behind the contract checker and records the requests'
// credentials.
type checked struct {
	*httptest.Server
	mu    sync.Mutex
	auth  []string
	paths []string
}

func serveChecked(t *testing.T, api restapitest.API, h http.Handler) *checked {
	t.Helper()
	pdoc, fdoc, err := restapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	doc := pdoc
	if api == restapitest.Flink {
		doc = fdoc
	}
	c := &checked{}
	chk := restapitest.Check(t, doc, h)
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.auth = append(c.auth, r.Header.Get("Authorization"))
		c.paths = append(c.paths, r.URL.RequestURI())
		c.mu.Unlock()
		// the endpoint may sit behind a path prefix
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/prefix")
		r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/prefix")
		chk.ServeHTTP(w, r2)
	}))
	t.Cleanup(c.Close)
	return c
}

func TestDirectGetter(t *testing.T) {
	p := seedPravega()
	srv := serveChecked(t, restapitest.Pravega, p.Handler())
	u, _ := url.Parse(srv.URL)
	withCreds := "http://ops:hunter2-pw@" + u.Host + "/prefix?apikey=k3y-material"
	red := &restapi.Redactor{}
	g, err := restapi.NewDirectGetter(withCreds, "tok-abcdef123", time.Second, red)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(g.Shown(), "hunter2") || strings.Contains(g.Shown(), "k3y") {
		t.Errorf("shown URL has a secret: %s", g.Shown())
	}
	c := pravega.New(g)
	streams, err := c.Streams(context.Background(), "iot", false)
	if err != nil || len(streams) != 2 || streams[1].Name != "sensors" {
		t.Fatalf("streams %+v %v", streams, err)
	}
	if _, err := c.ReaderGroups(context.Background(), "iot"); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	if srv.auth[0] != "Bearer tok-abcdef123" {
		t.Errorf("authorization %q", srv.auth[0])
	}
	if !strings.HasPrefix(srv.paths[0], "/prefix/v1/scopes/iot/streams?apikey=k3y-material") {
		t.Errorf("path %q", srv.paths[0])
	}
	srv.mu.Unlock()

	// An escaped name reaches the server escaped once.
	if _, err := c.Scaling(context.Background(), "iot", "odd name", time.UnixMilli(0), t0); err != nil {
		t.Errorf("escaped path: %v", err)
	}

	cases := []struct {
		name  string
		fault fakeapi.Fault
		kind  restapi.ErrorKind
		msg   string
	}{
		{"500", fakeapi.Fault{Kind: fakeapi.ServerError}, restapi.HTTPStatus, "GET /v1/scopes: 500 Internal Server Error: injected failure"},
		{"403", fakeapi.Fault{Kind: fakeapi.ServerError, Status: 403}, restapi.Forbidden, "GET /v1/scopes: 403 Forbidden"},
		{"timeout", fakeapi.Fault{Kind: fakeapi.Slow, Delay: 5 * time.Second}, restapi.Timeout, "GET /v1/scopes: no answer within 1s (http://" + u.Host + "/prefix)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.ClearFaults()
			p.Inject("/v1/scopes", tc.fault)
			_, err := g.Get(context.Background(), "/v1/scopes", nil)
			var e *restapi.Error
			if !errors.As(err, &e) || e.Kind != tc.kind || !strings.HasPrefix(err.Error(), tc.msg) {
				t.Errorf("error %v (kind %v), want %q", err, e, tc.msg)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "k3y-material") {
				t.Errorf("secret in error: %v", err)
			}
		})
	}
	p.ClearFaults()

	srv.Close()
	_, err = g.Get(context.Background(), "/v1/scopes", nil)
	var e *restapi.Error
	if !errors.As(err, &e) || e.Kind != restapi.Unreachable || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "k3y") {
		t.Errorf("closed server: %v", err)
	}
}

// fakeAPIServer plays the Kubernetes API server's service proxy in front of
// the fake REST APIs: /api/v1/namespaces/NS/services/NAME:PORT/proxy/...,
// with Status errors for a forbidden namespace and a Service without
// endpoints, like kube-apiserver.
func fakeAPIServer(t *testing.T, backends map[string]http.Handler) *httptest.Server {
	status := func(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure, Code: int32(code), Reason: reason, Message: msg})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/"), "/", 5)
		if len(parts) < 4 || parts[1] != "services" || parts[3] != "proxy" {
			status(w, 404, metav1.StatusReasonNotFound, "the server could not find the requested resource")
			return
		}
		ns, svc := parts[0], parts[2]
		switch {
		case ns == "locked":
			status(w, 403, metav1.StatusReasonForbidden, fmt.Sprintf(`services "%s" is forbidden: User "limited" cannot get resource "services/proxy" in API group "" in the namespace "locked"`, strings.Split(svc, ":")[0]))
			return
		case backends[ns+"/"+svc] == nil:
			status(w, 503, metav1.StatusReasonServiceUnavailable, fmt.Sprintf(`no endpoints available for service "%s"`, svc))
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/"
		if len(parts) == 5 {
			r2.URL.Path += parts[4]
		}
		r2.URL.RawPath = ""
		backends[ns+"/"+svc].ServeHTTP(w, r2)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProxyGetter(t *testing.T) {
	p := seedPravega()
	pdoc, _, _ := restapitest.Load()
	chk := restapitest.Check(t, pdoc, p.Handler())
	api := fakeAPIServer(t, map[string]http.Handler{"pravega/pravega-pravega-controller:rest": chk})
	client, err := kubernetes.NewForConfig(&rest.Config{Host: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	get := func(ns, svc string) *restapi.ProxyGetter {
		return &restapi.ProxyGetter{Client: client, Namespace: ns, Service: svc, Port: "rest", Timeout: time.Second, Redact: &restapi.Redactor{}}
	}
	streams, err := pravega.New(get("pravega", "pravega-pravega-controller")).Streams(context.Background(), "iot", false)
	if err != nil || len(streams) != 2 {
		t.Fatalf("streams through the proxy: %v %v", streams, err)
	}
	if chk.Validated() == 0 {
		t.Error("no response validated")
	}
	cases := []struct {
		name, ns, svc string
		fault         *fakeapi.Fault
		kind          restapi.ErrorKind
		msg           string
	}{
		{"forbidden", "locked", "pravega-pravega-controller", nil, restapi.Forbidden, `GET /v1/scopes: services "pravega-pravega-controller" is forbidden: User "limited" cannot get resource "services/proxy"`},
		{"no endpoints", "pravega", "gone", nil, restapi.Unreachable, `GET /v1/scopes: no endpoints available for service "gone:rest"`},
		{"upstream 500", "pravega", "pravega-pravega-controller", &fakeapi.Fault{Kind: fakeapi.ServerError}, restapi.HTTPStatus, "GET /v1/scopes: 500 Internal Server Error: injected failure"},
		{"upstream slow", "pravega", "pravega-pravega-controller", &fakeapi.Fault{Kind: fakeapi.Slow, Delay: 5 * time.Second}, restapi.Timeout, "GET /v1/scopes: no answer within 1s (service proxy)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.ClearFaults()
			if tc.fault != nil {
				p.Inject("/v1/scopes", *tc.fault)
			}
			_, err := get(tc.ns, tc.svc).Get(context.Background(), "/v1/scopes", nil)
			var e *restapi.Error
			if !errors.As(err, &e) || e.Kind != tc.kind || !strings.HasPrefix(err.Error(), tc.msg) {
				t.Errorf("error %v (%+v), want kind %v %q", err, e, tc.kind, tc.msg)
			}
		})
	}
}
