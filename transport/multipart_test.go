package transport_test

import (
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// TestMultipartFileLength: WeCom's form adds filelength=<exact size> to
// the part's Content-Disposition and keeps the raw UTF-8 filename.
func TestMultipartFileLength(t *testing.T) {
	data := []byte("quarterly figures")
	tests := []struct {
		name     string
		filename string
		length   bool
		want     string
	}{
		{name: "without", filename: "a.txt", want: `form-data; name="media"; filename="a.txt"`},
		{name: "with", filename: "a.txt", length: true, want: `form-data; name="media"; filename="a.txt"; filelength=17`},
		{name: "UTF-8 name", filename: "季度报告.txt", length: true, want: `form-data; name="media"; filename="季度报告.txt"; filelength=17`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := material.FromBytes(tt.filename, data).WithContentType("text/plain")
			raw, ct, size, err := transport.Form([]transport.Field{{Name: "description", Value: "{}"}}, src, tt.length)
			if err != nil || int64(len(raw)) != size {
				t.Fatalf("read %d bytes (%v), size says %d", len(raw), err, size)
			}
			_, params, _ := mime.ParseMediaType(ct)
			mr := multipart.NewReader(strings.NewReader(string(raw)), params["boundary"])
			var got string
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if d := p.Header.Get("Content-Disposition"); strings.Contains(d, `name="media"`) {
					got = d
					if b, _ := io.ReadAll(p); string(b) != string(data) {
						t.Errorf("file part holds %q", b)
					}
				}
			}
			if got != tt.want {
				t.Errorf("Content-Disposition %q, want %q", got, tt.want)
			}
		})
	}
}
