package office

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// docs/mqtt.md names every administrator's operation and every code of a
// refusal, the Code constants of errors.go: an integrator reads there
// what a script may get.
func TestDocsNameEveryOpAndCode(t *testing.T) {
	doc, err := os.ReadFile("../../docs/mqtt.md")
	require.NoError(t, err)
	for _, op := range Ops() {
		if op == "test.hold" { // export_test.go's, for tests only
			continue
		}
		require.Contains(t, string(doc), "`"+op+"`", "docs/mqtt.md does not name the operation")
	}
	file, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	require.NoError(t, err)
	codes := 0
	ast.Inspect(file, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Code") {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		require.True(t, ok, vs.Names[0].Name)
		code, err := strconv.Unquote(lit.Value)
		require.NoError(t, err)
		require.Contains(t, string(doc), "`"+code+"`", "docs/mqtt.md does not name the code %s", vs.Names[0].Name)
		codes++
		return true
	})
	require.Equal(t, 8, codes, "the Code constants of errors.go")
}
