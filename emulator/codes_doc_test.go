package emulator_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestChoicesDocumented: every code the emulator chose where the platforms'
// documents are silent (an exported Code constant) has its row, with its
// value, in docs/wire.md §9.
func TestChoicesDocumented(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, name := range vs.Names {
				if strings.HasPrefix(name.Name, "Code") && i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
						codes[name.Name] = lit.Value
					}
				}
			}
		}
		return true
	})
	if len(codes) < 10 {
		t.Fatalf("found %d Code constants in codes.go: %v", len(codes), codes)
	}
	b, err := os.ReadFile("../docs/wire.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## 9. ")
	if !ok {
		t.Fatal("docs/wire.md has no §9")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for name, value := range codes {
		found := false
		for _, line := range strings.Split(section, "\n") {
			if strings.HasSuffix(line, "| `"+name+"` |") && strings.Contains(line, "| "+value+" |") {
				found = true
			}
		}
		if !found {
			t.Errorf("docs/wire.md §9 has no row for %s (%s)", name, value)
		}
	}
}
