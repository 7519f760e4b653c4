package arch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/peeracademy/peeracademy"

// owners names the package that owns each table: the only package whose SQL and bun models may
// name it. Other packages call the owner's exported reads. A new table needs a line here.
var owners = map[string]string{
	"users": "account", "sessions": "account", "user_tokens": "account", "recovery_codes": "account",
	"vendors": "account", "rate_limits": "account",
	"settings": "app", // the composition root's own keys (the secret and development seal keys)

	"applications": "eligibility", "application_courses": "eligibility", "application_documents": "eligibility",
	"application_positions": "eligibility",

	"cohorts": "cohort", "cohort_sessions": "cohort", "cohort_trainers": "cohort", "enrollments": "cohort",
	"attendance": "cohort", "makeup_work": "cohort", "module_progress": "cohort",

	"exam_attempts": "exam", "exam_answers": "exam", "exam_settings": "exam", "exam_accommodations": "exam",
	"exam_gate_overrides": "exam", "exam_retired_items": "exam",

	"oral_slots": "oral", "oral_bookings": "oral", "oral_grades": "oral", "oral_settings": "oral",
	"oral_feeds": "oral", "oral_examiner_exceptions": "oral",

	"certificates": "certificate", "certificate_sequences": "certificate", "status_lists": "certificate",
	"vendor_keys": "certificate", "vendor_keys_rotating": "certificate", "vendor_keys_single": "certificate",

	"certificate_endorsements": "certificate",

	"course_offerings": "catalog", "course_enrolments": "catalog", "course_module_progress": "catalog",
	"course_attempts": "catalog", "course_answers": "catalog",

	"ce_activities": "ce",
	"audit_events":  "audit",
	"outbox_emails": "notify",
	"media_files":   "library",
	"data_exports":  "privacy",
}

// allowed lists, with the reason, the packages that may name tables they do not own.
var allowed = map[string]struct {
	tables []string // nil: every table
	why    string
}{
	"report": {nil, "read-only reports and work queues join many packages' tables in one query each; they never write"},
	"backup": {nil, "a backup copies and restores every table, whoever owns it"},
	"privacy": {[]string{"users", "sessions", "user_tokens", "recovery_codes", "applications", "application_courses",
		"application_documents", "application_positions", "enrollments", "attendance", "makeup_work", "module_progress",
		"exam_attempts", "exam_answers", "exam_accommodations", "exam_gate_overrides", "oral_bookings", "oral_grades",
		"oral_feeds", "oral_examiner_exceptions", "certificates", "ce_activities", "audit_events", "outbox_emails"},
		"a person's data export and deletion gather and erase their rows in every table, in one transaction"},
	"database": {nil, "the migration runner and the change feed work on every table by name"},
	"cmd/examload": {[]string{"users", "sessions", "exam_attempts", "exam_answers", "audit_events"},
		"the load test signs its synthetic candidates in directly and checks the database after a run: a tool that measures the tables, not app code"},
}

// debts are known violations being moved to their owner, each with where it stands. The test fails
// on any violation not listed, and on a listed one that no longer occurs (so the list only shrinks).
var debts = map[string]string{}

func TestEveryTableHasOneOwner(t *testing.T) {
	root := moduleRoot(t)
	created := migrationTables(t, root)
	var missing []string
	for tbl, file := range created {
		if _, ok := owners[tbl]; !ok {
			missing = append(missing, fmt.Sprintf("table %q (created in %s) has no owning package: add it to owners in internal/arch/ownership_test.go", tbl, file))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error(m)
	}
	for tbl := range owners {
		if _, ok := created[tbl]; !ok {
			t.Errorf("owners names table %q that no migration creates", tbl)
		}
	}
}

func TestPackagesNameOnlyTheirOwnTables(t *testing.T) {
	root := moduleRoot(t)
	tables := migrationTables(t, root)
	found := map[string]bool{}
	for _, u := range tableUses(t, root, tables) {
		owner, known := owners[u.table]
		if !known {
			t.Errorf("%s: table %q has no owning package: add it to owners in internal/arch/ownership_test.go", u.pos, u.table)
			continue
		}
		if owner == u.pkg || allows(u.pkg, u.table) {
			continue
		}
		key := u.pkg + " " + u.table
		if _, ok := debts[key]; ok {
			found[key] = true
			continue
		}
		t.Errorf("%s: package %s %s table %q, which package %s owns: call %s's exported reads (or move the query there)",
			u.pos, u.pkg, u.how, u.table, owner, owner)
	}
	for k := range debts {
		if !found[k] {
			t.Errorf("debt %q no longer occurs: remove it from debts", k)
		}
	}
}

func allows(pkg, table string) bool {
	a, ok := allowed[pkg]
	if !ok {
		return false
	}
	if a.tables == nil {
		return true
	}
	for _, t := range a.tables {
		if t == table {
			return true
		}
	}
	return false
}

type use struct {
	pkg, table, how string
	pos             token.Position
}

var createRE = regexp.MustCompile(`(?i)CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([a-z_][a-z0-9_]*)`)

// migrationTables returns every table a migration creates, with the first file that creates it.
func migrationTables(t *testing.T, root string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	sort.Strings(files)
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := out[m[1]]; !ok {
				out[m[1]] = filepath.Base(f)
			}
		}
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// sqlRE finds a table name after the SQL words that introduce one.
var sqlRE = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS)\s+"?([a-z_][a-z0-9_]*)`)

// tableUses type-checks the module's non-test packages (from the compiler's export data) and
// returns each place a package names a table: in a SQL string, in a Table/TableExpr argument, in a
// bun model it declares, or through a bun model of another package passed to Model.
func tableUses(t *testing.T, root string, tables map[string]string) []use {
	t.Helper()
	cmd := exec.Command("go", "list", "-export", "-deps", "-json=ImportPath,Dir,GoFiles,Export,Standard", "./...")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath, Dir, Export string
		GoFiles                 []string
		Standard                bool
	}
	exports := map[string]string{}
	var mine []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if strings.HasPrefix(p.ImportPath, module+"/internal/") || strings.HasPrefix(p.ImportPath, module+"/cmd/") {
			mine = append(mine, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	var uses []use
	for _, p := range mine {
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module+"/internal/"), module+"/")
		if strings.Contains(name, "testutil") || strings.HasSuffix(name, "/client") {
			continue // test support seeds any table; the generated API client has no SQL
		}
		var files []*ast.File
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, af)
		}
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-check %s: %v", p.ImportPath, err)
		}
		add := func(n ast.Node, table, how string) {
			if _, ok := tables[table]; ok {
				uses = append(uses, use{pkg: name, table: table, how: how, pos: fset.Position(n.Pos())})
			}
		}
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.TypeSpec: // a bun model the package declares (a struct with a table tag)
					if _, ok := x.Type.(*ast.StructType); ok {
						if tbl := modelTable(info.Defs[x.Name].Type()); tbl != "" {
							add(x, tbl, "declares a bun model of")
						}
					}
				case *ast.BasicLit:
					if tv, ok := info.Types[x]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
						for _, m := range sqlRE.FindAllStringSubmatch(constant.StringVal(tv.Value), -1) {
							add(x, strings.ToLower(m[1]), "names in SQL")
						}
					}
				case *ast.CallExpr:
					sel, ok := x.Fun.(*ast.SelectorExpr)
					if !ok || len(x.Args) == 0 || !fromBun(info, sel) {
						return true
					}
					switch sel.Sel.Name {
					case "Table", "TableExpr", "ModelTableExpr":
						for _, a := range x.Args {
							if tv, ok := info.Types[a]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
								if fs := strings.Fields(constant.StringVal(tv.Value)); len(fs) > 0 {
									add(a, strings.Trim(strings.ToLower(fs[0]), `"`), "names")
								}
							}
						}
					case "Model":
						if tv, ok := info.Types[x.Args[0]]; ok {
							if tbl := modelTable(tv.Type); tbl != "" {
								add(x, tbl, "queries (through another package's bun model)")
							}
						}
					}
				}
				return true
			})
		}
	}
	return uses
}

// fromBun reports whether sel is a method of a bun query builder.
func fromBun(info *types.Info, sel *ast.SelectorExpr) bool {
	tv, ok := info.Types[sel.X]
	if !ok {
		return false
	}
	typ := tv.Type
	if p, ok := typ.(*types.Pointer); ok {
		typ = p.Elem()
	}
	n, ok := typ.(*types.Named)
	return ok && n.Obj().Pkg() != nil && strings.HasPrefix(n.Obj().Pkg().Path(), "github.com/uptrace/bun")
}

// modelTable returns the table of a bun model type (through pointers, slices and maps), or "".
func modelTable(typ types.Type) string {
	for {
		switch x := typ.(type) {
		case *types.Pointer:
			typ = x.Elem()
			continue
		case *types.Slice:
			typ = x.Elem()
			continue
		case *types.Map:
			typ = x.Elem()
			continue
		}
		break
	}
	st, ok := typ.Underlying().(*types.Struct)
	if !ok {
		return ""
	}
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		if f.Name() != "BaseModel" || !f.Embedded() {
			continue
		}
		for _, part := range strings.Split(reflect.StructTag(st.Tag(i)).Get("bun"), ",") {
			if tbl, ok := strings.CutPrefix(part, "table:"); ok {
				return strings.Fields(tbl)[0]
			}
		}
	}
	return ""
}
