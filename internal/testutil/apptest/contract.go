package apptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/peeracademy/peeracademy/internal/api"
)

// The contract: every API response a test receives through Env.Do is checked against the OpenAPI
// document the app serves: the status must be documented for the operation, the content type must
// be one the operation names, and the body must match its schema (closed objects: an undocumented
// field fails). Statuses met are recorded per operation for the coverage report.

func init() {
	for _, ct := range []string{"application/pdf", "image/jpeg", "image/png", "application/zip", "application/vc+jwt", "text/calendar"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

var (
	routerMu sync.Mutex
	routerOf = map[*openapi3.T]routers.Router{}

	coverageMu sync.Mutex
	coverage   = map[string]map[int]int{} // "GET /api/v1/x/{id}" -> status -> count
)

func contractRouter(doc *openapi3.T) (routers.Router, error) {
	routerMu.Lock()
	defer routerMu.Unlock()
	if r, ok := routerOf[doc]; ok {
		return r, nil
	}
	d := *doc
	d.Servers = nil // match on the path alone (the document's server is relative)
	r, err := legacy.NewRouter(&d)
	if err != nil {
		return nil, err
	}
	routerOf[doc] = r
	return r, nil
}

// checkContract validates resp (to req, whose body was reqBody) against the document; it replaces
// resp.Body so the caller can still read it.
func (e *Env) checkContract(req *http.Request, resp *http.Response) {
	if !strings.HasPrefix(req.URL.Path, api.Prefix+"/") || req.URL.Path == api.Prefix+"/openapi.json" {
		return
	}
	e.T.Helper()
	doc, err := e.App.API.OpenAPI()
	if err != nil {
		e.T.Fatalf("OpenAPI document: %v", err)
	}
	router, err := contractRouter(doc)
	if err != nil {
		e.T.Fatalf("OpenAPI router: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))

	u := *req.URL
	u.Scheme, u.Host = "http", "peeracademy.test"
	r2 := req.Clone(context.Background())
	r2.URL = &u
	r2.Body = http.NoBody
	route, params, err := router.FindRoute(r2)
	if err != nil {
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			return // an unknown path or method: nothing to hold it to but the error envelope
		}
		e.T.Errorf("contract: %s %s answered %d but matches no documented operation: %v", req.Method, req.URL.Path, resp.StatusCode, err)
		return
	}
	key := req.Method + " " + route.Path
	coverageMu.Lock()
	if coverage[key] == nil {
		coverage[key] = map[int]int{}
	}
	coverage[key][resp.StatusCode]++
	coverageMu.Unlock()

	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if resp.StatusCode != http.StatusNoContent && len(body) > 0 {
		in.SetBodyBytes(body)
	} else if resp.StatusCode == http.StatusNoContent && len(body) > 0 {
		e.T.Errorf("contract: %s %s answered 204 with a body", req.Method, req.URL.Path)
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.T.Errorf("contract: %s %s answered %d (%s) against the OpenAPI document: %v\nbody: %.600s", req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
	}
}

// Coverage reports, per documented operation, the statuses the tests met.
func Coverage() map[string]map[int]int {
	coverageMu.Lock()
	defer coverageMu.Unlock()
	out := map[string]map[int]int{}
	for k, v := range coverage {
		m := map[int]int{}
		for s, n := range v {
			m[s] = n
		}
		out[k] = m
	}
	return out
}

// CoverageReport lists every operation of ops with the statuses met, and returns the operations
// that lack a success (2xx) or an error (4xx) response.
func CoverageReport(ops []api.Op) (report string, missing []string) {
	cov := Coverage()
	var b strings.Builder
	keys := make([]string, 0, len(ops))
	for _, op := range ops {
		keys = append(keys, op.Method+" "+api.OpenAPIPath(api.Prefix+op.Path))
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasSuffix(k, "/openapi.json") {
			continue
		}
		var ok, bad bool
		var st []int
		for s := range cov[k] {
			st = append(st, s)
			ok = ok || s < 300
			bad = bad || (s >= 400 && s < 500)
		}
		sort.Ints(st)
		mark := "ok"
		if !ok || !bad {
			mark = "MISSING"
			missing = append(missing, k)
		}
		fmt.Fprintf(&b, "%-8s %-60s %v\n", mark, k, st)
	}
	return b.String(), missing
}
