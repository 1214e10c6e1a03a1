// Package snippettest checks that every Go snippet in the repository's
// README.md files compiles, as a downstream module would build it: each
// snippet becomes a package of a temporary module that requires this one
// through a replace directive to the checkout, and the module is vetted
// (which type-checks it) offline.
//
// A ```go block is either a whole file (it begins with "package") or is
// preceded by a marker, an HTML comment that the rendered page hides:
//
//	<!-- snippet: decls -->           top-level declarations
//	<!-- snippet: body func(ctx context.Context) error -->
//	                                  statements: the body of a function
//	                                  with that signature
//	<!-- snippet: mirror material --> declarations of types that package
//	                                  material declares: they compile
//	                                  against its other types, and each
//	                                  interface has exactly the methods of
//	                                  the package's
//
// Lines after the marker's first line, before "-->", are declarations the
// snippet uses without showing them. Imports are added from the package
// names a snippet uses (knownImports). Compiler errors point at the
// README's lines.
package snippettest

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// module is the path of the module under test.
const module = "github.com/wxmaterial/wxmaterial"

// knownImports maps the package names snippets may use to import paths.
var knownImports = map[string]string{
	"bytes": "bytes", "context": "context", "errors": "errors", "fmt": "fmt", "http": "net/http",
	"httptest": "net/http/httptest", "io": "io", "iter": "iter", "json": "encoding/json", "os": "os",
	"slog": "log/slog", "strconv": "strconv", "strings": "strings", "testing": "testing", "time": "time",
	"auth":            module + "/auth",
	"dedup":           module + "/dedup",
	"emulator":        module + "/emulator",
	"material":        module + "/material",
	"materialtest":    module + "/material/materialtest",
	"officialaccount": module + "/officialaccount",
	"redisstore":      module + "/auth/redisstore",
	"transport":       module + "/transport",
	"work":            module + "/work",
	"redis":           "github.com/redis/go-redis/v9",
}

// snippet is one ```go block of a README.
type snippet struct {
	file   string // the README, relative to the repository
	path   string // the README's absolute path, for compiler errors
	line   int    // of the block's first line of code
	mode   string // file, decls, body or mirror
	arg    string // body: the signature; mirror: the package name
	hidden string // declarations the marker gives
	code   string
}

// marker matches a snippet marker's first line.
var marker = regexp.MustCompile(`^<!-- snippet: (file|decls|body|mirror)\b\s*(.*?)\s*(-->)?$`)

// readSnippets returns the ```go blocks of a README.
func readSnippets(t *testing.T, root, rel string) []snippet {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []snippet
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		s := snippet{file: rel, path: filepath.Join(root, rel), line: i + 2}
		// The marker, if any: the comment that ends on the line before.
		if i > 0 && strings.HasSuffix(strings.TrimSpace(lines[i-1]), "-->") {
			start := i - 1
			for start >= 0 && !strings.HasPrefix(lines[start], "<!--") {
				start--
			}
			if start < 0 {
				t.Fatalf("%s:%d: a comment ends before the block but does not start", rel, i)
			}
			m := marker.FindStringSubmatch(lines[start])
			if m == nil {
				t.Fatalf("%s:%d: the comment before the block is not a snippet marker: %q", rel, start+1, lines[start])
			}
			s.mode, s.arg = m[1], m[2]
			if start < i-1 {
				s.hidden = strings.Join(lines[start+1:i-1], "\n")
			}
		}
		end := i + 1
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		s.code = strings.Join(lines[i+1:end], "\n")
		if s.mode == "" {
			if !strings.HasPrefix(strings.TrimSpace(s.code), "package ") {
				t.Fatalf("%s:%d: a Go snippet that is not a whole file needs a marker (<!-- snippet: decls -->, body func(...), or mirror PKG; see internal/snippettest)", rel, i+1)
			}
			s.mode = "file"
		}
		out = append(out, s)
		i = end
	}
	return out
}

// source returns the Go file that s becomes in package pkg.
func (s snippet) source(t *testing.T, pkg string) string {
	t.Helper()
	at := fmt.Sprintf("//line %s:%d\n", filepath.ToSlash(s.path), s.line)
	if s.mode == "file" {
		return at + s.code + "\n"
	}
	var body string
	switch s.mode {
	case "decls", "mirror":
		body = at + s.code + "\n"
	case "body":
		sig, ok := strings.CutPrefix(s.arg, "func")
		if !ok {
			t.Fatalf("%s:%d: a body marker needs a signature: <!-- snippet: body func(...) ... -->", s.file, s.line)
		}
		body = "func snippet" + sig + " {\n" + at + s.code + "\n}\n"
	}
	if s.hidden != "" {
		body += "\n// Declarations the marker gives.\n" + s.hidden + "\n"
	}
	var extra string
	if s.mode == "mirror" {
		extra = mirror(t, s, body)
	}
	imports := importsOf(t, s, "package p\n"+body+extra)
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nimport (\n", pkg)
	for _, p := range imports {
		fmt.Fprintf(&b, "\t%q\n", p)
	}
	b.WriteString(")\n\n" + body + extra)
	return b.String()
}

// importsOf lists the imports src needs: the packages of knownImports
// named by selectors on names src does not declare.
func importsOf(t *testing.T, s snippet, src string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		t.Fatalf("%s:%d: the snippet does not parse: %v", s.file, s.line, err)
	}
	var paths []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil || f.Scope.Lookup(id.Name) != nil {
			return true
		}
		// Other names are left to the compiler, which says "undefined"
		// with the README's line.
		if p, ok := knownImports[id.Name]; ok && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
		return true
	})
	slices.Sort(paths)
	return paths
}

// mirror returns, for a mirror snippet, aliases for the names of package
// s.arg that the snippet uses without declaring them, and assertions that
// each interface it declares has exactly the methods of the package's.
func mirror(t *testing.T, s snippet, body string) string {
	t.Helper()
	pkg := s.arg
	if _, ok := knownImports[pkg]; !ok {
		t.Fatalf("%s:%d: mirror of unknown package %q", s.file, s.line, pkg)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+body, 0)
	if err != nil {
		t.Fatalf("%s:%d: the snippet does not parse: %v", s.file, s.line, err)
	}
	var b strings.Builder
	b.WriteString("\n// The types the mirror uses, from the package.\n")
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Obj == nil && ast.IsExported(id.Name) {
			used[id.Name] = true
		}
		return true
	})
	// Selectors (ctx.Done, material.X) are not names of the mirrored
	// package: drop their right-hand sides.
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			delete(used, sel.Sel.Name)
		}
		return true
	})
	for _, name := range sortedKeys(used) {
		fmt.Fprintf(&b, "type %s = %s.%s\n", name, pkg, name)
	}
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, spec := range g.Specs {
			ts := spec.(*ast.TypeSpec)
			if _, ok := ts.Type.(*ast.InterfaceType); !ok {
				t.Fatalf("%s:%d: a mirror snippet declares interfaces only, not %s", s.file, s.line, ts.Name.Name)
			}
			fmt.Fprintf(&b, "var _ %[1]s.%[2]s = %[2]s(nil) // the mirror has every method of %[1]s.%[2]s\n", pkg, ts.Name.Name)
			fmt.Fprintf(&b, "var _ %[2]s = %[1]s.%[2]s(nil) // and no other\n", pkg, ts.Name.Name)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("%s:%d: a mirror snippet declares no interface", s.file, s.line)
	}
	return b.String()
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestREADMESnippets builds every Go snippet of the repository's README.md
// files in a module that depends on this checkout through a replace
// directive, as the command-line tool's README tells a downstream module
// to, without the network.
func TestREADMESnippets(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var snippets []snippet
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "README.md" {
			rel, _ := filepath.Rel(root, p)
			snippets = append(snippets, readSnippets(t, root, rel)...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(snippets) < 6 {
		t.Fatalf("found %d Go snippets in the READMEs; the top README and materialtest's alone hold 6", len(snippets))
	}

	mod := t.TempDir()
	for i, s := range snippets {
		pkg := fmt.Sprintf("snippet%02d", i+1)
		dir := filepath.Join(mod, pkg)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		src := s.source(t, pkg) // a whole file keeps its package clause, in a folder of its own
		if err := os.WriteFile(filepath.Join(dir, "snippet.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goMod := fmt.Sprintf("module example.com/snippets\n\ngo 1.25.0\n\nrequire %s v0.0.0\n\nreplace %s => %s\n", module, module, filepath.ToSlash(root))
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = mod
	vet.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	var out bytes.Buffer
	vet.Stdout, vet.Stderr = &out, &out
	if err := vet.Run(); err != nil {
		t.Fatalf("README snippets do not build (%v):\n%s", err, out.String())
	}
}
