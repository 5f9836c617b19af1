package picam

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPINeedsNoLibcameraImport reads picam's source and fails for every
// exported declaration whose type mentions the low-level package other
// than through picam's own aliases, so that a program using picam never
// needs to import libcamera to name a type it gets or passes. The one
// exception is the escape hatch that hands out the low-level camera.
func TestAPINeedsNoLibcameraImport(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var bad []string
	mentions := func(where string, n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "libcamera" {
					bad = append(bad, fset.Position(sel.Pos()).String()+": "+where+" uses libcamera."+sel.Sel.Name)
				}
			}
			return true
		})
	}
	fieldList := func(where string, fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, f := range fl.List {
			if len(f.Names) > 0 && !ast.IsExported(f.Names[0].Name) {
				continue // an unexported struct field
			}
			mentions(where, f.Type)
		}
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || d.Name.Name == "Libcamera" {
					continue
				}
				if d.Recv != nil {
					recv := d.Recv.List[0].Type
					if s, ok := recv.(*ast.StarExpr); ok {
						recv = s.X
					}
					if ix, ok := recv.(*ast.IndexExpr); ok {
						recv = ix.X
					}
					if id, ok := recv.(*ast.Ident); ok && !id.IsExported() {
						continue
					}
				}
				fieldList(d.Name.Name, d.Type.Params)
				fieldList(d.Name.Name, d.Type.Results)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() || s.Assign.IsValid() {
							continue // aliases are how picam re-exports
						}
						if st, ok := s.Type.(*ast.StructType); ok {
							fieldList(s.Name.Name, st.Fields)
						} else {
							mentions(s.Name.Name, s.Type)
						}
					case *ast.ValueSpec:
						if s.Names[0].IsExported() {
							mentions(s.Names[0].Name, s.Type)
						}
					}
				}
			}
		}
	}
	for _, b := range bad {
		t.Error(b)
	}
}
