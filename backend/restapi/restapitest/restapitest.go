// Package restapitest holds the upstream API documents of the Pravega
// Controller (Swagger 2.0) and the Flink JobManager (OpenAPI 3.0.1) REST
// APIs, and checks HTTP responses against them with a real OpenAPI
// validator (github.com/getkin/kin-openapi). Tests wrap the fake servers
// with Check so that every response they give is validated: the fakes
// cannot drift from the contract.
//
// Only tests import this package; the console binary does not carry the
// validator.
package restapitest

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"sigs.k8s.io/yaml"
)

//go:embed upstream/Controller.yaml upstream/rest_v1_dispatcher.yml
var upstream embed.FS

// FaultHeader marks a response a fake server broke on purpose (malformed
// JSON, a 500 the document does not list, a missing field). The validator
// skips such responses and counts them apart.
const FaultHeader = "X-Streamops-Fake-Fault"

// API names one of the two documents.
type API int

const (
	Pravega API = iota // Controller.yaml, base path /v1
	Flink              // rest_v1_dispatcher.yml, base path /
)

func (a API) String() string {
	if a == Pravega {
		return "Pravega Controller"
	}
	return "Flink REST"
}

// Document is a loaded API document with its router.
type Document struct {
	API    API
	Doc    *openapi3.T
	router routers.Router
}

var (
	loadOnce sync.Once
	docs     [2]*Document
	loadErr  error
)

// Load parses both documents (once per process).
func Load() (pravega, flink *Document, err error) {
	loadOnce.Do(func() {
		docs[Pravega], loadErr = loadPravega()
		if loadErr != nil {
			return
		}
		docs[Flink], loadErr = loadFlink()
	})
	return docs[Pravega], docs[Flink], loadErr
}

// Raw returns the bytes of an upstream document.
func Raw(api API) []byte {
	name := "upstream/rest_v1_dispatcher.yml"
	if api == Pravega {
		name = "upstream/Controller.yaml"
	}
	b, err := upstream.ReadFile(name)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	return b
}

func loadPravega() (*Document, error) {
	js, err := yaml.YAMLToJSON(Raw(Pravega))
	if err != nil {
		return nil, fmt.Errorf("parse Controller.yaml: %w", err)
	}
	var v2 openapi2.T
	if err := json.Unmarshal(js, &v2); err != nil {
		return nil, fmt.Errorf("decode Controller.yaml: %w", err)
	}
	v3, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, fmt.Errorf("convert Controller.yaml to OpenAPI 3: %w", err)
	}
	// The document names no host; routes live under its basePath.
	v3.Servers = openapi3.Servers{{URL: v2.BasePath}}
	return newDocument(Pravega, v3)
}

func loadFlink() (*Document, error) {
	doc, err := openapi3.NewLoader().LoadFromData(Raw(Flink))
	if err != nil {
		return nil, fmt.Errorf("load rest_v1_dispatcher.yml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("rest_v1_dispatcher.yml is not valid OpenAPI: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: "/"}}
	return newDocument(Flink, doc)
}

func newDocument(api API, doc *openapi3.T) (*Document, error) {
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", api, err)
	}
	return &Document{API: api, Doc: doc, router: r}, nil
}

// Validate checks one response to req against the document: the path and
// method must be documented, the status must be one the operation lists,
// and the body must match the schema of that status.
func (d *Document) Validate(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s is not in the %s document: %w", req.Method, req.URL.Path, d.API, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s → %d violates the %s document: %w", req.Method, req.URL.RequestURI(), status, d.API, err)
	}
	return nil
}

// ValidateRequest checks that a request the client sends is documented
// (path, method, parameters).
func (d *Document) ValidateRequest(req *http.Request) error {
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s is not in the %s document: %w", req.Method, req.URL.Path, d.API, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("request %s %s violates the %s document: %w", req.Method, req.URL.RequestURI(), d.API, err)
	}
	return nil
}

// Reporter receives violations; *testing.T satisfies it (Errorf may be
// called from the server's goroutines).
type Reporter interface {
	Errorf(format string, args ...any)
	Helper()
}

// Checker wraps a handler and validates every request and response.
type Checker struct {
	doc       *Document
	next      http.Handler
	report    Reporter
	validated atomic.Int64
	faults    atomic.Int64
}

// Check returns next wrapped so that every request it serves and every
// response it gives is validated against doc; violations go to r.
func Check(r Reporter, doc *Document, next http.Handler) *Checker {
	return &Checker{doc: doc, next: next, report: r}
}

// Validated is the number of responses that passed through the checker
// and were validated (faults excluded).
func (c *Checker) Validated() int64 { return c.validated.Load() }

// Faults is the number of responses marked as deliberate faults.
func (c *Checker) Faults() int64 { return c.faults.Load() }

func (c *Checker) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if err := c.doc.ValidateRequest(req); err != nil {
		c.report.Errorf("%v", err)
	}
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.Header.Get(FaultHeader) != "" {
		c.faults.Add(1)
	} else {
		if err := c.doc.Validate(req, res.StatusCode, res.Header, body); err != nil {
			c.report.Errorf("%v", err)
		}
		c.validated.Add(1)
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, bytes.NewReader(body))
}
