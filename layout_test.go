// Package streamops_test holds the rules of the code's layout, checked
// over every package of the module: which way imports may point, and that
// the README's layout table names every package.
package streamops_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/streamops/streamops/"

// pkg is what `go list -json` says of a package, as far as the rules need.
type pkg struct {
	ImportPath                         string
	Dir                                string
	GoFiles                            []string
	Imports, TestImports, XTestImports []string
	Deps                               []string
}

// rel is the package's path inside the module ("backend/watch"); empty
// for the module's root, which holds only these tests.
func (p pkg) rel() string {
	if p.ImportPath+"/" == module {
		return ""
	}
	return strings.TrimPrefix(p.ImportPath, module)
}

// listPackages runs go list over the module once per test binary.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no package")
	}
	return pkgs
}

func under(path string, dirs ...string) bool {
	for _, d := range dirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// uiPackages are what backend/ must not depend on, directly or not.
var uiPackages = []string{"charm.land", "github.com/charmbracelet", module + "tui", module + "panes", module + "keymap", module + "themes", module + "cmd"}

// testOnly are packages the console binary must not carry.
var testOnly = []string{module + "backend/testcluster", module + "backend/restapi/restapitest", module + "backend/watch/faulttest", module + "backend/usage/usagetest", "github.com/getkin/kin-openapi"}

// TestDependencyDirection states the rules of STYLE.md's "Shape" and
// checks them over every package of the module:
//   - backend/ depends on no UI package (charm, tui, panes, keymap, themes)
//     nor on a command, directly or not;
//   - the console binary carries no test-only package;
//   - a pane imports no other pane (panes/pane is their shared contract),
//     touches no client-go, and never calls a service's Observe or Watch:
//     services subscribe to the watcher themselves, a pane only says what
//     the user does and sees;
//   - cmd/ only wires: it imports no pane (tui builds them), and the
//     console's backend comes from backend/session, so cmd/streamops
//     imports neither the watcher nor client-go's informers.
func TestDependencyDirection(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := p.rel()
		switch {
		case under(rel, "backend"):
			if dep := banned(p, uiPackages); dep != "" {
				t.Errorf("%s depends on %s: backend/ imports no UI package", rel, dep)
			}
		case under(rel, "panes"):
			for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
				if under(imp, module+"panes") && !under(imp, module+"panes/pane") && !under(imp, p.ImportPath) {
					t.Errorf("%s imports %s: a pane imports no other pane", rel, imp)
				}
			}
			for _, imp := range p.Imports {
				if under(imp, "k8s.io/client-go") {
					t.Errorf("%s imports %s: panes never touch client-go", rel, imp)
				}
			}
			for _, call := range subscribeCalls(t, p) {
				t.Errorf("%s: a pane calls %s: services subscribe to the watcher themselves", rel, call)
			}
		case under(rel, "cmd"):
			for _, imp := range p.Imports {
				if under(imp, module+"panes") {
					t.Errorf("%s imports %s: cmd/ only wires, tui builds the panes", rel, imp)
				}
			}
		}
		if rel == "cmd/streamops" {
			if dep := banned(p, testOnly); dep != "" {
				t.Errorf("the console binary carries the test-only package %s", dep)
			}
			for _, imp := range p.Imports {
				if under(imp, module+"backend/watch", "k8s.io/client-go/informers", "k8s.io/client-go/tools/cache") {
					t.Errorf("cmd/streamops imports %s: its backend comes from backend/session", imp)
				}
			}
		}
	}
}

// banned names what p depends on, directly or not, that is or is under
// one of prefixes: a direct import first (the line to change), else the
// first dependency, with how many more there are; "" when there is none.
func banned(p pkg, prefixes []string) string {
	var all []string
	for _, d := range p.Deps {
		if under(d, prefixes...) {
			all = append(all, d)
		}
	}
	if len(all) == 0 {
		return ""
	}
	first := all[0]
	for _, imp := range p.Imports {
		if under(imp, prefixes...) {
			first = imp
			break
		}
	}
	if len(all) > 1 {
		return fmt.Sprintf("%s (and %d more)", first, len(all)-1)
	}
	return first
}

// subscribeCalls lists the calls of a method named Observe or Watch in the
// package's non-test files, as "file:line x.Observe".
func subscribeCalls(t *testing.T, p pkg) []string {
	t.Helper()
	var calls []string
	fset := token.NewFileSet()
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Observe" || sel.Sel.Name == "Watch") {
				pos := fset.Position(call.Pos())
				calls = append(calls, filepath.Base(pos.Filename)+":"+strconv.Itoa(pos.Line)+" ."+sel.Sel.Name)
			}
			return true
		})
	}
	return calls
}

// TestReadmeLayout: the README's "Layout of the code" table has one row
// per package of the module, naming one package each, and no row for a
// package that is gone.
func TestReadmeLayout(t *testing.T) {
	rows, err := layoutRows("README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range rows {
		if len(r.paths) != 1 {
			t.Errorf("README layout line %d names %d paths, want one package per line: %s", r.line, len(r.paths), r.text)
			continue
		}
		path := strings.TrimSuffix(r.paths[0], "/")
		if listed[path] {
			t.Errorf("README layout names %s twice", path)
		}
		listed[path] = true
	}
	for _, p := range listPackages(t) {
		if rel := p.rel(); rel != "" && !listed[rel] {
			t.Errorf("README layout misses the package %s", rel)
		} else {
			delete(listed, rel)
		}
	}
	for path := range listed {
		t.Errorf("README layout names %s, which is not a package of the module", path)
	}
}

type layoutRow struct {
	line  int
	text  string
	paths []string // the backquoted names of the first column
}

// layoutRows reads the table under the README's "## Layout of the code"
// heading, up to the next heading.
func layoutRows(name string) ([]layoutRow, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []layoutRow
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Layout of the code"
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
		r := layoutRow{line: n, text: line}
		for i, part := range strings.Split(first, "`") {
			if i%2 == 1 {
				r.paths = append(r.paths, part)
			}
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New(name + ": no table under \"## Layout of the code\"")
	}
	return rows, nil
}
