// Command mutate is a small mutation tester for the mutants gremlins does not make, and the tally that
// turns both tools' results into one score per file. scripts/mutation.sh runs it; see README.md
// ("Mutation testing").
//
// For every listed file it makes, one at a time, these mutants:
//
//   - INT_PLUS_ONE: an integer literal n becomes n+1 (75 * 60 → 76 * 60);
//   - NEGATE_COND: the condition of an if, a for or a tagless switch case becomes !(condition),
//     unless it is a single comparison (gremlins' CONDITIONALS_NEGATION already flips those);
//   - CASE: in a switch with a tag, one value of a case with several values is dropped, or the body
//     of a case with one value is emptied;
//   - RETURN_NIL_ERR: in a function whose last result is error, a returned non-nil error becomes nil.
//
// Each mutant is written to a temporary file and substituted with `go test -c -overlay` (the source
// tree is never changed); the test binary then runs the tests selected by -run in the package
// directory, with -failfast and a timeout that limits the run only, not the compiling.
// A mutant is KILLED when the tests fail or time out, LIVED when they pass, NOT_VIABLE when it does not
// compile; mutants on lines the selected tests do not cover (one coverage run first) are NOT_COVERED
// and are not run. With -gremlins, the results of gremlins' JSON report for the same files are added
// to the tally. The score of a file is killed ÷ (killed + lived) over covered, viable mutants.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

type mutant struct {
	file, kind string
	line, col  int
	desc       string
	apply      func() // changes the AST
	undo       func() // restores it
	status     string
	global     bool // in a package-level declaration: run when the package loads, always covered
}

func main() {
	pkg := flag.String("pkg", "", "package directory to test, e.g. ./internal/ce")
	run := flag.String("run", ".", "go test -run filter: the tests that exercise the rule")
	timeout := flag.Duration("timeout", 3*time.Minute, "time limit of one mutant's test run")
	gremlinsJSON := flag.String("gremlins", "", "gremlins JSON report (unleash -o) to add to the tally")
	dry := flag.Bool("n", false, "list the mutants without running tests")
	lines := flag.String("lines", "", "only the mutants on these lines (comma-separated), to recheck survivors")
	flag.Parse()
	if *pkg == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mutate -pkg ./internal/x -run '^TestY$' [-gremlins report.json] file.go...")
		os.Exit(2)
	}
	covered, err := coverage(*pkg, *run, *timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate: the tests must pass before mutating:", err)
		os.Exit(1)
	}
	var g map[string]map[string]int
	if *gremlinsJSON != "" {
		if g, err = readGremlins(*gremlinsJSON); err != nil {
			fmt.Fprintln(os.Stderr, "mutate:", err)
			os.Exit(1)
		}
	}
	failed := false
	for _, file := range flag.Args() {
		tally, err := mutateFile(file, *pkg, *run, *timeout, covered, *dry, lineSet(*lines))
		if err != nil {
			fmt.Fprintln(os.Stderr, "mutate:", err)
			failed = true
			continue
		}
		gr := g[filepath.Base(file)]
		killed := tally["KILLED"] + tally["TIMED_OUT"] + gr["KILLED"] + gr["TIMED OUT"]
		lived := tally["LIVED"] + gr["LIVED"]
		score := "n/a"
		if killed+lived > 0 {
			score = fmt.Sprintf("%.1f%%", 100*float64(killed)/float64(killed+lived))
		}
		fmt.Printf("SCORE %-34s %7s  killed %d lived %d (gremlins %d/%d of which %d timed out, extra %d/%d; not covered %d)\n", file, score,
			killed, lived, gr["KILLED"]+gr["TIMED OUT"], gr["KILLED"]+gr["TIMED OUT"]+gr["LIVED"], gr["TIMED OUT"],
			tally["KILLED"]+tally["TIMED_OUT"], tally["KILLED"]+tally["TIMED_OUT"]+tally["LIVED"],
			tally["NOT_COVERED"]+gr["NOT COVERED"])
	}
	if failed {
		os.Exit(1)
	}
}

// coverage runs the selected tests once and returns the covered lines by file base name.
func coverage(pkg, run string, timeout time.Duration) (map[string]map[int]bool, error) {
	prof, err := os.CreateTemp("", "mutate-cover-*.out")
	if err != nil {
		return nil, err
	}
	prof.Close()
	defer os.Remove(prof.Name())
	if out, err := goTest(pkg, run, timeout, []string{"-cover"}, "-test.coverprofile="+prof.Name()); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, out)
	}
	f, err := os.Open(prof.Name())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cov := map[string]map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// github.com/x/y/internal/ce/rule.go:12.34,15.2 3 1
		name, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) != 3 || fields[2] == "0" {
			continue
		}
		a, b, _ := strings.Cut(fields[0], ",")
		l1, _ := strconv.Atoi(strings.Split(a, ".")[0])
		l2, _ := strconv.Atoi(strings.Split(b, ".")[0])
		base := filepath.Base(name)
		if cov[base] == nil {
			cov[base] = map[int]bool{}
		}
		for l := l1; l <= l2; l++ {
			cov[base][l] = true
		}
	}
	return cov, sc.Err()
}

// buildTimeout bounds compiling; a shared machine can be slow, and compiling is not what is timed.
const buildTimeout = 15 * time.Minute

// goTest compiles the package's test binary (with extra build flags such as -overlay) and runs the
// selected tests in the package directory. Only the run is limited by timeout. A binary that does
// not compile gives errBuild.
func goTest(pkg, run string, timeout time.Duration, build []string, runFlags ...string) ([]byte, error) {
	bin, err := os.CreateTemp("", "mutate-*.test")
	if err != nil {
		return nil, err
	}
	bin.Close()
	defer os.Remove(bin.Name())
	bctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	args := append([]string{"test", "-c", "-vet=off", "-o", bin.Name()}, build...)
	if out, err := exec.CommandContext(bctx, "go", append(args, pkg)...).CombinedOutput(); err != nil {
		return out, fmt.Errorf("%w: %v", errBuild, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin.Name(), append([]string{"-test.count=1", "-test.failfast", "-test.run", run, "-test.timeout", (timeout + 5*time.Second).String()}, runFlags...)...)
	cmd.Dir = pkg
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, context.DeadlineExceeded
	}
	return out, err
}

var errBuild = errors.New("build failed")

func lineSet(s string) map[int]bool {
	if s == "" {
		return nil
	}
	m := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			m[n] = true
		}
	}
	return m
}

func mutateFile(path, pkg, run string, timeout time.Duration, covered map[string]map[int]bool, dry bool, only map[int]bool) (map[string]int, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, abs, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	ms := collect(fset, f, path)
	tmp, err := os.MkdirTemp("", "mutate-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	src, overlay := filepath.Join(tmp, filepath.Base(path)), filepath.Join(tmp, "overlay.json")
	j, _ := json.Marshal(map[string]any{"Replace": map[string]string{abs: src}})
	if err := os.WriteFile(overlay, j, 0o644); err != nil {
		return nil, err
	}
	tally := map[string]int{}
	for _, m := range ms {
		if only != nil && !only[m.line] {
			continue
		}
		switch {
		case !m.global && !covered[filepath.Base(path)][m.line]:
			m.status = "NOT_COVERED"
		case dry:
			m.status = "FOUND"
		default:
			var buf bytes.Buffer
			m.apply()
			err := format.Node(&buf, fset, f)
			m.undo()
			if err != nil {
				m.status = "NOT_VIABLE"
				break
			}
			if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
				return nil, err
			}
			_, err = goTest(pkg, run, timeout, []string{"-overlay=" + overlay})
			var exit *exec.ExitError
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				m.status = "TIMED_OUT"
			case err == nil:
				m.status = "LIVED"
			case errors.Is(err, errBuild):
				m.status = "NOT_VIABLE"
			case errors.As(err, &exit):
				m.status = "KILLED"
			default:
				return nil, err
			}
		}
		tally[m.status]++
		fmt.Printf("%12s %-15s %s:%d:%d  %s\n", m.status, m.kind, m.file, m.line, m.col, m.desc)
	}
	return tally, nil
}

// collect finds the mutants of one file, in source order.
func collect(fset *token.FileSet, f *ast.File, name string) []*mutant {
	var ms []*mutant
	global := false
	add := func(n ast.Node, kind, desc string, apply, undo func()) {
		p := fset.Position(n.Pos())
		ms = append(ms, &mutant{file: name, kind: kind, line: p.Line, col: p.Column, desc: desc, apply: apply, undo: undo, global: global})
	}
	negate := func(n ast.Node, e *ast.Expr) {
		if e == nil || *e == nil || isComparison(*e) {
			return
		}
		orig := *e
		add(n, "NEGATE_COND", "!("+exprString(fset, orig)+")",
			func() { *e = &ast.UnaryExpr{Op: token.NOT, X: &ast.ParenExpr{X: orig}} }, func() { *e = orig })
	}
	allMeaning := map[*ast.BasicLit]bool{} // literals not mutated (see *ast.CallExpr below)
	var errFuncs []int                     // for each enclosing function: its number of results when the last is error, else 0
	var walk func(n ast.Node) bool
	walk = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			errFuncs = append(errFuncs, errResults(n.Type))
			if n.Body != nil {
				ast.Inspect(n.Body, walk)
			}
			errFuncs = errFuncs[:len(errFuncs)-1]
			return false
		case *ast.FuncLit:
			errFuncs = append(errFuncs, errResults(n.Type))
			ast.Inspect(n.Body, walk)
			errFuncs = errFuncs[:len(errFuncs)-1]
			return false
		case *ast.CallExpr:
			// A count or precision of -1 that means "all" (regexp's FindAll*) or "as few digits as
			// needed" (strconv's FormatFloat/AppendFloat): every negative value means the same, so
			// -1 → -2 is equivalent by the API's definition and is not made.
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (strings.HasPrefix(sel.Sel.Name, "FindAll") ||
				sel.Sel.Name == "FormatFloat" || sel.Sel.Name == "AppendFloat") {
				for _, a := range n.Args {
					if u, ok := a.(*ast.UnaryExpr); ok && u.Op == token.SUB {
						if lit, ok := u.X.(*ast.BasicLit); ok && lit.Kind == token.INT && lit.Value == "1" {
							allMeaning[lit] = true
						}
					}
				}
			}
		case *ast.BasicLit:
			if n.Kind != token.INT || allMeaning[n] {
				break
			}
			v, err := strconv.ParseInt(n.Value, 0, 64)
			if err != nil {
				break
			}
			orig := n.Value
			add(n, "INT_PLUS_ONE", orig+" → "+strconv.FormatInt(v+1, 10),
				func() { n.Value = strconv.FormatInt(v+1, 10) }, func() { n.Value = orig })
		case *ast.IfStmt:
			negate(n, &n.Cond)
		case *ast.ForStmt:
			negate(n, &n.Cond)
		case *ast.SwitchStmt:
			for _, s := range n.Body.List {
				cc := s.(*ast.CaseClause)
				if n.Tag == nil {
					for i := range cc.List {
						negate(cc.List[i], &cc.List[i])
					}
					continue
				}
				caseMutants(fset, cc, add)
			}
		case *ast.ReturnStmt:
			if len(errFuncs) == 0 || errFuncs[len(errFuncs)-1] == 0 || len(n.Results) == 0 {
				break
			}
			last := &n.Results[len(n.Results)-1]
			if id, ok := (*last).(*ast.Ident); ok && id.Name == "nil" {
				break
			}
			if len(n.Results) != errFuncs[len(errFuncs)-1] {
				break // return f(), where f gives all the results
			}
			orig := *last
			add(n, "RETURN_NIL_ERR", exprString(fset, orig)+" → nil",
				func() { *last = ast.NewIdent("nil") }, func() { *last = orig })
		}
		return true
	}
	for _, d := range f.Decls {
		_, global = d.(*ast.GenDecl) // constants such as 75 * 60, variables such as Annual18
		ast.Inspect(d, walk)
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].line != ms[j].line {
			return ms[i].line < ms[j].line
		}
		return ms[i].col < ms[j].col
	})
	return ms
}

// caseMutants makes the CASE mutants of one clause of a switch with a tag.
func caseMutants(fset *token.FileSet, cc *ast.CaseClause, add func(ast.Node, string, string, func(), func())) {
	if len(cc.List) > 1 {
		for i := range cc.List {
			orig := cc.List
			drop := append(append([]ast.Expr{}, orig[:i]...), orig[i+1:]...)
			add(cc.List[i], "CASE", "drop case value "+exprString(fset, orig[i]),
				func() { cc.List = drop }, func() { cc.List = orig })
		}
		return
	}
	if len(cc.List) == 1 && len(cc.Body) > 0 {
		orig := cc.Body
		add(cc, "CASE", "empty the body of case "+exprString(fset, cc.List[0]),
			func() { cc.Body = nil }, func() { cc.Body = orig })
	}
}

func isComparison(e ast.Expr) bool {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	b, ok := e.(*ast.BinaryExpr)
	if !ok {
		return false
	}
	switch b.Op {
	case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		return true
	}
	return false
}

// errResults is the number of results of a function whose last result is error, else 0.
func errResults(t *ast.FuncType) int {
	if t.Results == nil || len(t.Results.List) == 0 {
		return 0
	}
	if id, ok := t.Results.List[len(t.Results.List)-1].Type.(*ast.Ident); !ok || id.Name != "error" {
		return 0
	}
	return t.Results.NumFields()
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, e); err != nil {
		return "?"
	}
	s := strings.Join(strings.Fields(buf.String()), " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// readGremlins tallies a gremlins JSON report by file base name and status.
func readGremlins(path string) (map[string]map[string]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r struct {
		Files []struct {
			Name      string `json:"file_name"`
			Mutations []struct {
				Status string `json:"status"`
			} `json:"mutations"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	out := map[string]map[string]int{}
	for _, f := range r.Files {
		base := filepath.Base(f.Name)
		if out[base] == nil {
			out[base] = map[string]int{}
		}
		for _, m := range f.Mutations {
			out[base][m.Status]++
		}
	}
	return out, nil
}
