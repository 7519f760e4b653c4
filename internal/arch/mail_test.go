package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Every email's words are a template in internal/notify/templates, rendered by notify.Compose: no
// code outside notify writes a notify.Email's subject or body, every template is named by the code
// that sends it, and every template a call names exists.
func TestEveryEmailIsATemplate(t *testing.T) {
	root := moduleRoot(t)
	tmpls, err := filepath.Glob(filepath.Join(root, "internal", "notify", "templates", "*.tmpl"))
	if err != nil || len(tmpls) == 0 {
		t.Fatalf("no email templates: %v", err)
	}
	templates := map[string]bool{}
	for _, f := range tmpls {
		templates[strings.TrimSuffix(filepath.Base(f), ".tmpl")] = true
	}
	fset := token.NewFileSet()
	literals := map[string]bool{} // every string constant in the application's code
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, "internal/notify/") || strings.Contains(rel, "testutil") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			checkMailFile(t, fset, f, templates, literals)
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	var unused []string
	for name := range templates {
		used := literals[name]
		for l := range literals {
			used = used || (strings.HasSuffix(l, "_") && strings.HasPrefix(name, l)) // "eligibility_"+decision
		}
		if !used {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		t.Errorf("email template %s.tmpl is not named by any code: remove it, or send it", name)
	}
}

// checkMailFile reports, in one file, each notify.Email whose subject or body is written outside
// notify and each notify.Compose of a template that does not exist; it adds the file's string
// constants to literals.
func checkMailFile(t *testing.T, fset *token.FileSet, f *ast.File, templates, literals map[string]bool) {
	t.Helper()
	notify := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == module+"/internal/notify" {
			notify = "notify"
			if imp.Name != nil {
				notify = imp.Name.Name
			}
		}
	}
	isNotify := func(e ast.Expr, name string) bool {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != name {
			return false
		}
		id, ok := sel.X.(*ast.Ident)
		return ok && notify != "" && id.Name == notify
	}
	const advice = "put the words in internal/notify/templates/<name>.tmpl and call notify.Compose"
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(x.Value); err == nil && x.Kind == token.STRING {
				literals[s] = true
			}
		case *ast.CompositeLit:
			if !isNotify(x.Type, "Email") {
				return true
			}
			for _, el := range x.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					t.Errorf("%s: a notify.Email written field by field: %s", fset.Position(el.Pos()), advice)
					break
				}
				if k, ok := kv.Key.(*ast.Ident); ok && (k.Name == "Subject" || k.Name == "Body") {
					t.Errorf("%s: a notify.Email's %s written in Go: %s", fset.Position(kv.Pos()), k.Name, advice)
				}
			}
		case *ast.AssignStmt:
			if notify == "" {
				return true
			}
			for _, l := range x.Lhs {
				if sel, ok := l.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Subject" || sel.Sel.Name == "Body") {
					t.Errorf("%s: %s set in Go in a file that sends mail: %s", fset.Position(l.Pos()), sel.Sel.Name, advice)
				}
			}
		case *ast.CallExpr:
			if !isNotify(x.Fun, "Compose") || len(x.Args) < 2 {
				return true
			}
			if lit, ok := x.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if name, _ := strconv.Unquote(lit.Value); !templates[name] {
					t.Errorf("%s: notify.Compose of %q, which has no internal/notify/templates/%s.tmpl", fset.Position(lit.Pos()), name, name)
				}
			}
		}
		return true
	})
}
