package core_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// upstream is the one format of an endpoint method's link to its upstream
// page: the last line of its doc comment.
var upstream = regexp.MustCompile(`^Upstream doc: https://(developers\.weixin\.qq\.com/doc|developer\.work\.weixin\.qq\.com/document/path)/\S+[^.,;)]$`)

// notEndpoints are the methods of the clients that call no endpoint of
// their own: accessors, the generic Do, and helpers built on other methods.
var notEndpoints = map[string][]string{
	"officialaccount": {"Platform", "Account", "Do", "DownloadURL", "FindAdded"},
	"work":            {"Platform", "Account", "CorpID", "AgentID", "Do"},
}

// TestEndpointMethodsLinkUpstream parses the doc comments of both clients:
// every exported method of Client that calls an endpoint ends its comment
// with "Upstream doc: <url>", and no other line of it holds a link to the
// platforms' documentation.
func TestEndpointMethodsLinkUpstream(t *testing.T) {
	for pkgName, skip := range notEndpoints {
		fset := token.NewFileSet()
		dir := "../../" + pkgName
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var files []*ast.File
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		p, err := doc.NewFromFiles(fset, files, "github.com/wxmaterial/wxmaterial/"+pkgName)
		if err != nil {
			t.Fatal(err)
		}
		var client *doc.Type
		for _, typ := range p.Types {
			if typ.Name == "Client" {
				client = typ
			}
		}
		if client == nil {
			t.Fatalf("%s: no Client", pkgName)
		}
		checked := 0
		for _, m := range client.Methods {
			if !ast.IsExported(m.Name) || slices.Contains(skip, m.Name) {
				continue
			}
			checked++
			lines := strings.Split(strings.TrimSpace(m.Doc), "\n")
			if last := lines[len(lines)-1]; !upstream.MatchString(last) {
				t.Errorf("%s.Client.%s: the doc comment ends with %q, want \"Upstream doc: <url>\"", pkgName, m.Name, last)
			}
			for _, l := range lines[:len(lines)-1] {
				if strings.Contains(l, "weixin.qq.com/doc") {
					t.Errorf("%s.Client.%s: a link to the documentation outside the last line: %q", pkgName, m.Name, l)
				}
			}
		}
		if checked < 8 {
			t.Errorf("%s: only %d endpoint methods checked", pkgName, checked)
		}
	}
}
