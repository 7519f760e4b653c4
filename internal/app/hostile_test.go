package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// everyRole returns a user of each role (staff of vendorID), and nil for the anonymous visitor.
func everyRole(env *apptest.Env, vendorID string) map[string]*account.User {
	return map[string]*account.User{
		"anonymous":               nil,
		account.RoleCandidate:     env.User(account.RoleCandidate, ""),
		account.RoleTrainer:       env.User(account.RoleTrainer, vendorID),
		account.RoleVendorAdmin:   env.User(account.RoleVendorAdmin, vendorID),
		account.RolePlatformAdmin: env.User(account.RolePlatformAdmin, ""),
	}
}

// routeCohort creates a ten-day cohort for the route walks.
func routeCohort(t *testing.T, env *apptest.Env, admin *account.User) *cohort.Cohort {
	t.Helper()
	co, err := env.App.Cohorts.Create(context.Background(), audit.System, admin, cohort.CreateInput{Name: "Route test", Delivery: "virtual", Capacity: 5,
		Dates: []string{"2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09", "2026-01-12", "2026-01-13", "2026-01-14", "2026-01-15", "2026-01-16"}})
	if err != nil {
		t.Fatal(err)
	}
	return co
}

// hostileValues are the text values every field gets in turn.
var hostileValues = map[string]string{
	"nul":       "a\x00b",
	"utf8":      "a\xff\xfeb",
	"control":   "a\x1b[2Jb",
	"wrongtype": "-99999999999999999999",
	"garbage":   "[]{}%00'\";--",
}

// hugeValue is over the 16 KiB field bound.
var hugeValue = strings.Repeat("x", 100<<10)

// formFieldNames collects the field and query parameter names the HTML handlers read and the
// templates post, from the source, so the list keeps up with new forms.
func formFieldNames(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	res := []*regexp.Regexp{regexp.MustCompile(`(?:FormValue|Query)\("([A-Za-z0-9_.\[\]]+)"`), regexp.MustCompile(`name="([A-Za-z0-9_.\[\]]+)"`)}
	for _, glob := range []string{"../web/*.go", "../web/templates/*.html", "../api/*.go"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range res {
				for _, m := range re.FindAllStringSubmatch(string(b), -1) {
					if m[1] != "_csrf" && m[1] != "file" {
						seen[m[1]] = true
					}
				}
			}
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) < 30 {
		t.Fatalf("found only %d field names in the handlers and templates", len(out))
	}
	return out
}

// apiBodies returns hostile JSON bodies for each API operation, built from its request schema in the
// OpenAPI document: every string field hostile, every field of the wrong type, fields missing, no JSON.
func apiBodies(t *testing.T, env *apptest.Env) map[string]map[string][]byte {
	t.Helper()
	resp := env.Do(apptest.Request("GET", "/api/v1/openapi.json", nil))
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]schema `json:"schemas"`
		} `json:"components"`
	}
	decode(t, resp, &doc)
	out := map[string]map[string][]byte{}
	for p, ops := range doc.Paths {
		route := regexp.MustCompile(`\{([a-z_]+)\}`).ReplaceAllString(p, ":$1")
		for m, raw := range ops {
			var op struct {
				RequestBody struct {
					Content map[string]struct {
						Schema schema `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			_ = json.Unmarshal(raw, &op)
			s := op.RequestBody.Content["application/json"].Schema
			if s.Ref != "" {
				s = doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
			}
			bodies := map[string][]byte{"missing": []byte(`{}`), "notjson": []byte("\x00\xff"), "array": []byte(`[1,2]`)}
			for name, v := range hostileValues {
				bodies[name] = s.fill(func(typ string) any {
					if typ == "string" {
						return v
					}
					return nil
				})
			}
			bodies["huge"] = s.fill(func(typ string) any {
				if typ == "string" {
					return hugeValue
				}
				return nil
			})
			bodies["types"] = s.fill(func(typ string) any {
				switch typ {
				case "string":
					return 12345
				case "array":
					return map[string]any{"x": 1}
				case "object":
					return []any{"x"}
				}
				return "not a number"
			})
			// Invalid UTF-8 inside a JSON string, which encoding/json would otherwise escape.
			bodies["rawutf8"] = []byte(strings.ReplaceAll(string(bodies["utf8"]), `a\ufffd\ufffdb`, "a\xff\xfeb"))
			out[strings.ToUpper(m)+" "+route] = bodies
		}
	}
	return out
}

type schema struct {
	Ref        string            `json:"$ref"`
	Type       string            `json:"type"`
	Properties map[string]schema `json:"properties"`
	Items      *schema           `json:"items"`
}

// fill builds a JSON object with every property set by value(type); nil keeps a plain value.
func (s schema) fill(value func(typ string) any) []byte {
	obj := map[string]any{}
	for name, p := range s.Properties {
		typ := p.Type
		if p.Ref != "" {
			typ = "object"
		}
		v := value(typ)
		if v == nil {
			switch typ {
			case "integer", "number":
				v = 1
			case "boolean":
				v = true
			case "array":
				if p.Items != nil && p.Items.Type == "string" {
					v = []any{value("string")}
				} else {
					v = []any{}
				}
			default:
				v = map[string]any{}
			}
		}
		obj[name] = v
	}
	b, _ := json.Marshal(obj)
	return b
}

// TestHostileInputNeverGives5xx walks the route table as every role and sends hostile values (NUL
// bytes, invalid UTF-8, control characters, 100 KB strings, wrong types, missing fields) in the query,
// the form and the JSON body. Whatever a route makes of them, it must never answer 5xx.
func TestHostileInputNeverGives5xx(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d, func(c *config.Config) {
			// Limits would hide the handlers behind 429s.
			c.LoginMaxPerIP, c.LoginMaxPerAccount, c.VerifyPerMinute = 100000, 1000, 10000
			c.RegisterPerHour, c.ResetPerHour, c.ConfirmMailPerHour = 100000, 100000, 100000
		})
		vendor := env.Vendor("omega")
		victim := env.User(account.RoleTrainer, vendor.ID)
		users := everyRole(env, vendor.ID)
		co := routeCohort(t, env, users[account.RoleVendorAdmin])
		slug := env.App.Curriculum.Modules()[0].Slug
		known := strings.NewReplacer(":hash/*", "x/css/app.css", "cohorts/:id", "cohorts/"+co.ID, "vendors/:id", "vendors/"+vendor.ID,
			"users/:id", "users/"+victim.ID, ":candidate", victim.ID, ":slug", slug, ":cohort", co.ID, ":day", "1", ":n", "1", ":item", "FND-001")
		anyParam := regexp.MustCompile(`:[a-z_]+|\*`)
		fields := formFieldNames(t)
		bodies := apiBodies(t, env)
		failures := 0
		report := func(route, role, variant string, resp *http.Response) {
			body := apptest.Body(resp)
			if resp.StatusCode >= 500 {
				failures++
				if failures <= 40 {
					t.Errorf("%s as %s, %s: status %d: %.200s", route, role, variant, resp.StatusCode, body)
				}
			}
		}
		for _, route := range registeredRoutes(env) {
			method, path, _ := strings.Cut(route, " ")
			if path == "/logout" || strings.HasSuffix(path, "/sessions/end") {
				continue // they end the session the rest of the walk uses; they read no fields
			}
			paths := map[string]string{"": anyParam.ReplaceAllString(known.Replace(path), "none")}
			if anyParam.MatchString(path) {
				paths["hostile path"] = anyParam.ReplaceAllString(path, "%00%FF%1B")
			}
			api := strings.HasPrefix(path, "/api/")
			for role, u := range users {
				var cookies []*http.Cookie
				token, bearer := "", ""
				if api && u != nil {
					bearer = env.Session(u, account.KindAPI)
				} else if !api {
					page := "/login"
					if u != nil {
						cookies = append(cookies, &http.Cookie{Name: "pa_session", Value: env.Session(u, account.KindWeb)})
						page = "/dashboard"
					}
					var set []*http.Cookie
					token, set = env.CSRF(page, cookies...)
					cookies = append(cookies, set...)
				}
				send := func(variant, p, query string, body any) {
					req := apptest.Request(method, p+query, body)
					for _, c := range cookies {
						req.AddCookie(c)
					}
					if bearer != "" {
						req.Header.Set("Authorization", "Bearer "+bearer)
					}
					report(route, role, variant, env.Do(req))
				}
				for pname, p := range paths {
					// Query parameters, for every method.
					for _, name := range []string{"nul", "utf8", "wrongtype"} {
						v := hostileValues[name]
						q := url.Values{}
						for _, f := range fields {
							q.Set(f, v)
						}
						var body any
						if !api && method == "POST" {
							body = "_csrf=" + url.QueryEscape(token)
						}
						send(pname+" query "+name, p, "?"+q.Encode(), body)
					}
					if method == "GET" || method == "DELETE" {
						continue
					}
					if api {
						for name, b := range bodies[route] {
							send(pname+" json "+name, p, "", b)
						}
						continue
					}
					// Form fields: each hostile value in every field, a few 100 KB fields, none at all.
					forms := map[string]url.Values{"missing": {}}
					for name, v := range hostileValues {
						f := url.Values{}
						for _, n := range fields {
							f.Set(n, v)
						}
						forms[name] = f
					}
					huge := url.Values{}
					for i, n := range fields {
						if i%10 == 0 {
							huge.Set(n, hugeValue)
						} else {
							huge.Set(n, "x")
						}
					}
					forms["huge"] = huge
					for name, f := range forms {
						f.Set("_csrf", token)
						send(fmt.Sprintf("%s form %s", pname, name), p, "", f.Encode())
					}
				}
			}
		}
		if failures > 0 {
			t.Fatalf("%d hostile requests answered 5xx", failures)
		}
	})
}
