package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/peeracademy/peeracademy/internal/httpx"
)

// Op documents one API operation; the OpenAPI document is generated from the same list that
// registers the routes, and its schemas from the Go types the handlers encode, so the two cannot
// drift apart.
type Op struct {
	Method  string
	Path    string // Fiber syntax: /vendors/:id
	Summary string
	Roles   []string // nil: public; empty non-nil: any signed-in user
	Body    any      // JSON request body type, or nil
	Resp    any      // JSON response body type, or nil (204, or a non-JSON body named by Produces)
	Status  int      // success status (200 by default)

	Query     []Param  // query parameters
	Form      []Param  // multipart/form-data fields (a field of type "file" is a file)
	Produces  []string // non-JSON success content types (the body is the file itself)
	Errors    []int    // error statuses beyond those implied by roles, parameters and body
	AltStatus int      // a second success status with the same body (e.g. 200 when resuming)
	Headers   []string // response headers on success (documented as strings)
}

// Param is a query parameter or a multipart field.
type Param struct {
	Name       string
	Type       string // string (default), integer, boolean, file
	Format     string
	Enum       []string
	Required   bool
	Desc       string
	Min, Max   int // integers: bounds (0: none)
	Default    int // integers: the value when absent (0: none)
	Deprecated bool
}

var paramRE = regexp.MustCompile(`:([a-zA-Z_]+)`)

// OpenAPIPath converts /vendors/:id to /vendors/{id}.
func OpenAPIPath(p string) string { return paramRE.ReplaceAllString(p, "{$1}") }

// OperationID names an operation as the generated client calls it: the method and the path's
// literal segments, with parameters as "by_<name>".
func OperationID(method, p string) string {
	parts := []string{strings.ToLower(method)}
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		if strings.HasPrefix(s, ":") {
			s = "by_" + s[1:]
		}
		parts = append(parts, strings.ReplaceAll(s, "-", "_"))
	}
	return strings.Join(parts, "_")
}

// tags group operations by feature: the first path segment picks the tag.
var tags = []struct {
	name, desc string
	segments   []string
}{
	{"auth", "Signing in, tokens, registration and passwords; two-factor enrolment for staff.", []string{"auth", "me"}},
	{"administration", "Vendors, staff invitations, users, the audit log and captured mail.", []string{"vendors", "invitations", "users", "audit", "mail"}},
	{"eligibility", "Eligibility applications, documents and the vendor's review.", []string{"applications", "review"}},
	{"curriculum", "The course outline, modules and knowledge checks.", []string{"curriculum", "modules"}},
	{"cohorts", "Cohorts, enrolments, attendance, make-up work and progress.", []string{"cohorts"}},
	{"written-exam", "The written certification exam and its administration.", []string{"exam"}},
	{"oral-exam", "Oral-exam slots, bookings, the rubric and grades.", []string{"oral"}},
	{"certificates", "Certificates, credentials, continuing education and the vendor dashboard.", []string{"certificates", "ce", "reports"}},
	{"verification", "Public verification of certificates (no sign-in; rate limited).", []string{"verify"}},
	{"meta", "This document.", []string{"openapi.json"}},
}

func tagOf(op Op) string {
	seg := strings.SplitN(strings.Trim(op.Path, "/"), "/", 2)[0]
	if strings.HasPrefix(op.Path, "/cohorts/:id/exam-results") {
		return "written-exam"
	}
	for _, t := range tags {
		if slices.Contains(t.segments, seg) {
			return t.name
		}
	}
	return "meta"
}

// responseName names the shared error response of each status.
var responseName = map[int]string{400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 410: "Gone",
	413: "TooLarge", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests", 503: "Unavailable"}

var statusText = map[int]string{
	400: "The request is malformed (bad JSON, an unknown field, a bad parameter).",
	401: "No valid bearer token was sent.",
	403: "The caller's role or relation to the resource does not allow this.",
	404: "The resource does not exist or is not visible to the caller.",
	409: "The request conflicts with the resource's current state.",
	410: "The resource or token is no longer available.",
	413: "The request body is too large.",
	415: "The request body has the wrong content type.",
	422: "The input breaks a rule; `error.fields` says which field and why.",
	429: "Too many requests; wait for the number of seconds in Retry-After.",
	503: "The database or the document store is briefly unreachable, or the server is at capacity; try again after Retry-After seconds.",
}

// Document builds the OpenAPI 3.0 document for ops mounted under prefix. It fails when a Go type
// cannot be described faithfully (a custom marshaler without a wire description, a name clash).
func Document(prefix, version string, ops []Op) (*openapi3.T, error) {
	sg := newSchemaGen()
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "PeerAcademy API", Version: version,
			Description: "JSON API of PeerAcademy, the training and certification platform for Pennsylvania Certified Peer Specialists.\n\n" +
				"Authenticate with a bearer token from `POST " + prefix + "/auth/token`. Errors use the envelope `{\"error\":{\"code\",\"message\",\"fields\",\"request_id\"}}`. " +
				"Lists take `limit` (1 to 500, default 100) and `cursor`, and answer `next_cursor`, an opaque cursor to pass back as `cursor` for the following page (null on the last page), and a `Link` header with rel=\"next\". " +
				"Changes within /api/v1 are additive: new operations, new optional fields and new enumeration values.",
			License: &openapi3.License{Name: "Proprietary", URL: "https://peeracademy.org/terms"},
		},
		Servers:    openapi3.Servers{{URL: "/", Description: "This server"}},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: sg.schemas, Responses: openapi3.ResponseBodies{}, SecuritySchemes: openapi3.SecuritySchemes{}},
	}
	for _, t := range tags {
		doc.Tags = append(doc.Tags, &openapi3.Tag{Name: t.name, Description: t.desc})
	}
	doc.Components.SecuritySchemes["bearer"] = &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer")}
	errRef, err := sg.ref(httpx.ErrorBody{})
	if err != nil {
		return nil, err
	}
	codes := []int{400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 503}
	for _, code := range codes {
		r := openapi3.NewResponse().WithDescription(statusText[code]).WithContent(openapi3.NewContentWithJSONSchemaRef(errRef))
		if code == 429 || code == 503 {
			r.Headers = openapi3.Headers{"Retry-After": retryAfter()}
		}
		doc.Components.Responses[responseName[code]] = &openapi3.ResponseRef{Value: r}
	}
	for _, op := range ops {
		o, err := sg.operation(prefix, op)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", op.Method, op.Path, err)
		}
		p := OpenAPIPath(prefix + op.Path)
		item := doc.Paths.Value(p)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(p, item)
		}
		item.SetOperation(op.Method, o)
	}
	if err := sg.finish(); err != nil {
		return nil, err
	}
	// openapi3gen leaves component references unresolved: load the document back so that every
	// $ref points at its schema, as for a document read from a file.
	b, err := doc.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return openapi3.NewLoader().LoadFromData(b)
}

func retryAfter() *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: "Seconds to wait before trying again.",
		Schema:      openapi3.NewIntegerSchema().WithMin(1).NewRef(),
	}}}
}

// ErrorStatuses are the error statuses an operation documents: implied by its roles (401, 403),
// path parameters (404), request body (400, 413, 415, 422), query parameters (400), being a change
// (409, 422) and those it names. Every operation may answer 422 (a path, query or form value holding
// a NUL byte, a control character or invalid UTF-8 is refused before any handler runs) and 503 (the
// database or the document store is unreachable).
func ErrorStatuses(op Op) []int {
	set := map[int]bool{422: true, 503: true}
	if op.Roles != nil {
		set[401], set[403] = true, true
	}
	if strings.Contains(op.Path, ":") {
		set[404] = true
	}
	if op.Body != nil || op.Form != nil {
		set[400], set[413], set[415], set[422] = true, true, true, true
	}
	if len(op.Query) > 0 {
		set[400] = true
	}
	if op.Method != http.MethodGet {
		set[409], set[422] = true, true
	}
	for _, s := range op.Errors {
		set[s] = true
	}
	var out []int
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func (sg *schemaGen) operation(prefix string, op Op) (*openapi3.Operation, error) {
	o := openapi3.NewOperation()
	o.Summary = op.Summary
	o.OperationID = OperationID(op.Method, op.Path)
	o.Tags = []string{tagOf(op)}
	if op.Roles != nil {
		o.Security = &openapi3.SecurityRequirements{{"bearer": []string{}}}
		if len(op.Roles) == 0 {
			o.Description = "Any signed-in user."
		} else {
			o.Description = "Roles: " + strings.Join(op.Roles, ", ") + "."
		}
	} else {
		o.Security = &openapi3.SecurityRequirements{}
		o.Description = "Public: no sign-in."
	}
	for _, m := range paramRE.FindAllStringSubmatch(op.Path, -1) {
		s := openapi3.NewStringSchema()
		if m[1] == "day" {
			s = openapi3.NewIntegerSchema().WithMin(1).WithMax(10)
		}
		o.AddParameter(openapi3.NewPathParameter(m[1]).WithSchema(s))
	}
	for _, q := range op.Query {
		p := openapi3.NewQueryParameter(q.Name).WithSchema(paramSchema(q)).WithDescription(q.Desc)
		p.Required = q.Required
		p.Deprecated = q.Deprecated
		o.AddParameter(p)
	}
	if op.Body != nil {
		ref, err := sg.ref(op.Body)
		if err != nil {
			return nil, err
		}
		o.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(ref)}
	}
	if op.Form != nil {
		s := openapi3.NewObjectSchema()
		for _, f := range op.Form {
			s.WithPropertyRef(f.Name, paramSchema(f).NewRef())
			if f.Required {
				s.Required = append(s.Required, f.Name)
			}
		}
		o.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithContent(openapi3.Content{"multipart/form-data": openapi3.NewMediaType().WithSchema(s)})}
	}
	status := op.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := openapi3.NewResponse().WithDescription(http.StatusText(status))
	if op.Resp != nil {
		ref, err := sg.ref(op.Resp)
		if err != nil {
			return nil, err
		}
		ok.WithContent(openapi3.NewContentWithJSONSchemaRef(ref))
	}
	if len(op.Produces) > 0 {
		if ok.Content == nil {
			ok.Content = openapi3.Content{}
		}
		for _, ct := range op.Produces {
			var s *openapi3.Schema
			if strings.HasPrefix(ct, "text/") || ct == "application/vc+jwt" {
				s = openapi3.NewStringSchema()
			} else {
				s = openapi3.NewStringSchema().WithFormat("binary")
			}
			ok.Content[ct] = openapi3.NewMediaType().WithSchema(s)
		}
	}
	for _, h := range op.Headers {
		if ok.Headers == nil {
			ok.Headers = openapi3.Headers{}
		}
		ok.Headers[h] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{Schema: openapi3.NewStringSchema().NewRef()}}}
	}
	for _, q := range op.Query {
		if q.Name == "cursor" {
			if ok.Headers == nil {
				ok.Headers = openapi3.Headers{}
			}
			ok.Headers["Link"] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: `The following page, as <url>; rel="next" (RFC 8288); absent on the last page.`, Schema: openapi3.NewStringSchema().NewRef()}}}
		}
	}
	o.AddResponse(status, ok)
	if op.AltStatus != 0 {
		alt := *ok
		alt.Description = ptr(http.StatusText(op.AltStatus))
		o.AddResponse(op.AltStatus, &alt)
	}
	for _, code := range ErrorStatuses(op) {
		o.Responses.Set(strconv.Itoa(code), &openapi3.ResponseRef{Ref: "#/components/responses/" + responseName[code]})
	}
	return o, nil
}

func ptr[T any](v T) *T { return &v }

func paramSchema(p Param) *openapi3.Schema {
	var s *openapi3.Schema
	switch p.Type {
	case "integer":
		s = openapi3.NewIntegerSchema()
		if p.Min != 0 {
			s = s.WithMin(float64(p.Min))
		}
		if p.Max != 0 {
			s = s.WithMax(float64(p.Max))
		}
		if p.Default != 0 {
			s = s.WithDefault(p.Default)
		}
	case "boolean":
		s = openapi3.NewBoolSchema()
	case "file":
		s = openapi3.NewStringSchema().WithFormat("binary")
	default:
		s = openapi3.NewStringSchema()
	}
	if p.Format != "" {
		s.Format = p.Format
	}
	for _, e := range p.Enum {
		s.Enum = append(s.Enum, e)
	}
	s.Description = p.Desc
	return s
}

// ---- schemas from Go types ----

// schemaGen turns Go types into component schemas with openapi3gen, naming each component after
// its package and type ("exam.Gate"), flattening embedded structs as encoding/json does, marking
// fields required unless omitempty, and closing struct schemas (additionalProperties: false).
type schemaGen struct {
	gen     *openapi3gen.Generator
	schemas openapi3.Schemas
	names   map[string]reflect.Type
	used    map[string]bool // fieldDocs keys met
	err     error
}

var (
	timeType      = reflect.TypeOf(time.Time{})
	marshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

func newSchemaGen() *schemaGen {
	sg := &schemaGen{schemas: openapi3.Schemas{}, names: map[string]reflect.Type{}, used: map[string]bool{}}
	sg.gen = openapi3gen.NewGenerator(
		openapi3gen.UseAllExportedFields(),
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true, ExportTopLevelSchema: true}),
		openapi3gen.CreateTypeNameGenerator(sg.typeName),
		openapi3gen.SchemaCustomizer(sg.customize),
	)
	return sg
}

// TypeName is a type's component name: its package's last element and its name.
func TypeName(t reflect.Type) string {
	return path.Base(t.PkgPath()) + "." + t.Name()
}

func (sg *schemaGen) typeName(t reflect.Type) string {
	n := TypeName(t)
	if prev, ok := sg.names[n]; ok && prev != t && sg.err == nil {
		sg.err = fmt.Errorf("two types are named %s: %s and %s", n, prev, t)
	}
	sg.names[n] = t
	return n
}

func (sg *schemaGen) ref(v any) (*openapi3.SchemaRef, error) {
	ref, err := sg.gen.NewSchemaRefForValue(v, sg.schemas)
	if err != nil {
		return nil, err
	}
	if sg.err != nil {
		return nil, sg.err
	}
	return ref, nil
}

// finish checks that every referenced component exists.
func (sg *schemaGen) finish() error {
	if sg.err != nil {
		return sg.err
	}
	for k := range fieldDocs {
		if !sg.used[k] {
			return fmt.Errorf("fieldDocs describes %s, which no documented type has", k)
		}
	}
	for n := range sg.names {
		if _, ok := sg.schemas[n]; !ok {
			t := sg.names[n]
			if t.Kind() == reflect.Struct {
				// A struct without properties is not exported by openapi3gen: describe it as closed.
				s := openapi3.NewObjectSchema()
				s.AdditionalProperties = openapi3.AdditionalProperties{Has: ptr(false)}
				sg.schemas[n] = s.NewRef()
			}
		}
	}
	return nil
}

// jsonField is how encoding/json sees a struct field.
type jsonField struct {
	name      string
	omitempty bool
	goType    reflect.Type
	goName    string
}

// jsonFields lists the fields encoding/json writes for struct type t (embedded structs flattened).
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				continue // its fields are listed in their own right
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, omitempty: strings.Contains(opts, "omitempty"), goType: f.Type, goName: f.Name})
	}
	return out
}

func (sg *schemaGen) customize(name string, t reflect.Type, tag reflect.StructTag, s *openapi3.Schema) error {
	if t.Kind() != reflect.Struct || t == timeType {
		return nil
	}
	if t.Implements(marshalerType) {
		wire, ok := wireTypes[t]
		if !ok {
			return fmt.Errorf("%s has its own MarshalJSON: describe its wire form in wireTypes", t)
		}
		w, err := openapi3gen.NewSchemaRefForValue(reflect.New(wire).Elem().Interface(), nil,
			openapi3gen.UseAllExportedFields(), openapi3gen.SchemaCustomizer(sg.customize))
		if err != nil {
			return err
		}
		*s = *w.Value
		return nil
	}
	s.Type = &openapi3.Types{"object"}
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: ptr(false)}
	s.Required = nil
	tname := TypeName(t)
	for orig, wire := range wireTypes {
		if wire == t {
			tname = TypeName(orig)
		}
	}
	if d, ok := typeDocs[tname]; ok {
		s.Description = d
	}
	for _, f := range jsonFields(t) {
		prop := s.Properties[f.name]
		if prop == nil {
			continue
		}
		if !f.omitempty {
			s.Required = append(s.Required, f.name)
		}
		isPtr := f.goType.Kind() == reflect.Pointer
		d, ok := fieldDocs[tname+"."+f.name]
		if ok {
			sg.used[tname+"."+f.name] = true
		}
		if strings.HasPrefix(prop.Ref, "#/components/") {
			// A $ref cannot carry siblings in OpenAPI 3.0: wrap it to say nullable or describe it.
			if (isPtr && !f.omitempty) || d.Desc != "" {
				w := &openapi3.Schema{AllOf: openapi3.SchemaRefs{openapi3.NewSchemaRef(prop.Ref, nil)}, Description: d.Desc}
				w.Nullable = isPtr && !f.omitempty
				if w.Nullable {
					w.Type = &openapi3.Types{"object"} // OpenAPI 3.0: nullable needs a type beside it
				}
				s.Properties[f.name] = w.NewRef()
			}
			continue
		}
		v := prop.Value
		v.Nullable = isPtr && !f.omitempty
		if f.goType.Kind() == reflect.Slice && v.Type.Is("array") {
			v.Nullable = false // slices are sent as [] (handlers never send null)
		}
		switch {
		case d.Desc == "" && f.name == "next_cursor":
			d.Desc = "Pass as cursor to get the following page; null on the last page (the Link header rel=\"next\" holds the same request)."
		case d.Desc == "" && f.name == "next":
			d.Desc = "The same as next_cursor (kept for earlier clients); absent on the last page."
			v.Deprecated = true
		}
		if d.Desc != "" {
			v.Description = d.Desc
		}
		if d.Format != "" {
			v.Format = d.Format
		}
		target := v
		if v.Items != nil && v.Items.Value != nil && v.Items.Ref == "" {
			target = v.Items.Value
		}
		for _, e := range d.Enum {
			target.Enum = append(target.Enum, e)
		}
	}
	slices.Sort(s.Required)
	return nil
}
