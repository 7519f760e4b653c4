package api

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Op documents one API operation; the OpenAPI document is generated from the same list that
// registers the routes, so the two cannot drift apart.
type Op struct {
	Method  string
	Path    string // Fiber syntax: /vendors/:id
	Summary string
	Roles   []string // nil: public; empty non-nil: any signed-in user
	Body    any      // request body example type, or nil
	Resp    any      // response body type, or nil for 204
	Status  int      // success status (200 by default)
}

var paramRE = regexp.MustCompile(`:([a-zA-Z_]+)`)

// OpenAPIPath converts /vendors/:id to /vendors/{id}.
func OpenAPIPath(p string) string { return paramRE.ReplaceAllString(p, "{$1}") }

// Document builds the OpenAPI 3.0 document for ops mounted under prefix.
func Document(prefix, version string, ops []Op) map[string]any {
	schemas := map[string]any{}
	paths := map[string]any{}
	errRef := map[string]any{"$ref": "#/components/schemas/Error"}
	schemas["Error"] = map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
		"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
			"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"},
			"fields":     map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
			"request_id": map[string]any{"type": "string"},
		}},
	}}
	for _, op := range ops {
		p := OpenAPIPath(prefix + op.Path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		status := op.Status
		if status == 0 {
			status = 200
		}
		o := map[string]any{"summary": op.Summary, "operationId": strings.ToLower(op.Method) + strings.NewReplacer("/", "_", ":", "", "-", "_").Replace(op.Path)}
		var params []any
		for _, m := range paramRE.FindAllStringSubmatch(op.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			o["parameters"] = params
		}
		if op.Roles != nil {
			o["security"] = []any{map[string]any{"bearer": []string{}}}
			desc := "Any signed-in user."
			if len(op.Roles) > 0 {
				desc = "Roles: " + strings.Join(op.Roles, ", ") + "."
			}
			o["description"] = desc
		} else {
			o["security"] = []any{}
		}
		if op.Body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(op.Body, schemas)}}}
		}
		resps := map[string]any{
			"400": map[string]any{"description": "Malformed request", "content": map[string]any{"application/json": map[string]any{"schema": errRef}}},
			"422": map[string]any{"description": "Invalid input", "content": map[string]any{"application/json": map[string]any{"schema": errRef}}},
		}
		if op.Roles != nil {
			resps["401"] = map[string]any{"description": "Not signed in", "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
			resps["403"] = map[string]any{"description": "Not allowed", "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		}
		if op.Resp != nil {
			resps[itoa(status)] = map[string]any{"description": "Success", "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(op.Resp, schemas)}}}
		} else {
			resps[itoa(status)] = map[string]any{"description": "Success"}
		}
		o["responses"] = resps
		item[strings.ToLower(op.Method)] = o
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "PeerAcademy API", "version": version, "description": "JSON API of PeerAcademy. Authenticate with a bearer token from POST /api/v1/auth/token."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

var timeType = reflect.TypeOf(time.Time{})

// schemaOf describes a Go type as a JSON schema, registering named structs as components.
func schemaOf(v any, schemas map[string]any) map[string]any {
	return typeSchema(reflect.TypeOf(v), schemas)
}

func typeSchema(t reflect.Type, schemas map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": typeSchema(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem(), schemas)}
	case reflect.Struct:
		name := t.Name()
		if name != "" {
			if _, ok := schemas[name]; ok {
				return map[string]any{"$ref": "#/components/schemas/" + name}
			}
			schemas[name] = map[string]any{} // placeholder against recursion
		}
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			jname, opts, _ := strings.Cut(tag, ",")
			if jname == "" {
				if f.Anonymous {
					continue
				}
				jname = f.Name
			}
			props[jname] = typeSchema(f.Type, schemas)
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, jname)
			}
		}
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		if name == "" {
			return s
		}
		schemas[name] = s
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}
