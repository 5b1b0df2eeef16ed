package sqlstore

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportSQLFromConstantsOnly is the check behind sqlConst: export queries are built
// only from SQL written in the source. The compiler already refuses a string variable
// where a sqlConst is expected; this test refuses the explicit conversion sqlConst(x)
// everywhere but in the two functions that generate placeholders and join conditions.
func TestExportSQLFromConstantsOnly(t *testing.T) {
	allowed := map[string]bool{"placeholderList": true, "sql": true}
	files, err := filepath.Glob("export*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "sqlConst" && !allowed[fn.Name.Name] {
					t.Errorf("%s: %s converts a value to sqlConst; build SQL from constants and parameters",
						fset.Position(call.Pos()), fn.Name.Name)
				}
				return true
			})
		}
	}
	if checked < 4 {
		t.Fatalf("checked %d export files, want at least 4", checked)
	}
}
