package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// officeArgKinds reads the office's admin handlers (internal/office) for
// the args they decode (decodeArgs into a struct of the handler): each
// JSON name that is a bool ("bool") or a number ("number").
func officeArgKinds(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("../../internal/office/*.go")
	require.NoError(t, err)
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		files = append(files, file)
	}
	kinds := map[string]string{}
	decoded := 0
	// scan finds, in one function's body (not in the functions it
	// holds), the structs it declares and those it decodes args into.
	scan := func(body *ast.BlockStmt) {
		structs := map[string]*ast.StructType{}
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ValueSpec:
				if st, ok := n.Type.(*ast.StructType); ok {
					for _, name := range n.Names {
						structs[name.Name] = st
					}
				}
			case *ast.AssignStmt: // a := struct{…}{Max: 1000}
				for i, rhs := range n.Rhs {
					if cl, ok := rhs.(*ast.CompositeLit); ok && i < len(n.Lhs) {
						if st, ok := cl.Type.(*ast.StructType); ok {
							structs[n.Lhs[i].(*ast.Ident).Name] = st
						}
					}
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); !ok || id.Name != "decodeArgs" || len(n.Args) != 2 {
					return true
				}
				u, ok := n.Args[1].(*ast.UnaryExpr)
				if !ok {
					return true
				}
				var st *ast.StructType
				switch x := u.X.(type) {
				case *ast.Ident:
					st = structs[x.Name]
				case *ast.CompositeLit: // &struct{}{}: no args
					st, _ = x.Type.(*ast.StructType)
				}
				require.NotNil(t, st, "decodeArgs at %s: not into a struct declared in the handler", fset.Position(n.Pos()))
				decoded++
				for _, f := range st.Fields.List {
					if f.Tag == nil {
						continue
					}
					tag, _ := strconv.Unquote(f.Tag.Value)
					name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
					typ := f.Type
					if star, ok := typ.(*ast.StarExpr); ok {
						typ = star.X
					}
					id, ok := typ.(*ast.Ident)
					switch {
					case !ok || name == "":
					case id.Name == "bool":
						kinds[name] = "bool"
					case strings.HasPrefix(id.Name, "int") || strings.HasPrefix(id.Name, "uint") || strings.HasPrefix(id.Name, "float"):
						kinds[name] = "number"
					}
				}
			}
			return true
		})
	}
	for _, file := range files {
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Body != nil {
					scan(n.Body)
				}
			case *ast.FuncLit:
				scan(n.Body)
			}
			return true
		})
	}
	require.Greater(t, decoded, 10, "the admin handlers were not found")
	return kinds
}

// Every arg the office takes as true/false or as a number is sent so by
// chergactl's key=value words: ticket.call end=true was sent as "true"
// and refused.
func TestArgKindsAreTheOffice(t *testing.T) {
	for name, kind := range officeArgKinds(t) { // the office's, by name
		switch kind {
		case "bool":
			require.True(t, boolArgs[name], "%s is a bool in internal/office: add it to boolArgs", name)
		case "number":
			require.True(t, numericArgs[name], "%s is a number in internal/office: add it to numericArgs", name)
		}
	}
	kinds := officeArgKinds(t)
	for name := range boolArgs {
		require.Equal(t, "bool", kinds[name], "boolArgs has %s", name)
	}
	for name := range numericArgs {
		require.Equal(t, "number", kinds[name], "numericArgs has %s", name)
	}
}
