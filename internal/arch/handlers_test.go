package arch

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestHandlersHoldServicesNotTheDatabase: the HTTP layer calls services; the composition root
// (internal/app) gives the services the database. A handler file importing bun or the database
// package is a handler reaching past its services.
func TestHandlersHoldServicesNotTheDatabase(t *testing.T) {
	root := moduleRoot(t)
	banned := []string{"github.com/uptrace/bun", module + "/internal/database"}
	for _, dir := range []string{"internal/web", "internal/api"} {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, b := range banned {
					if p == b || strings.HasPrefix(p, b+"/") {
						rel, _ := filepath.Rel(root, f)
						t.Errorf("%s imports %s: call a service that holds the database instead", rel, p)
					}
				}
			}
		}
	}
}
