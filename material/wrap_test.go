package material_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/material"
)

// recorder wraps readers, recording under its tag what each yields.
type recorder struct {
	tag   string
	reads *[]string
}

func (r recorder) wrap(rc io.ReadCloser) io.ReadCloser {
	return &recording{ReadCloser: rc, tag: r.tag, reads: r.reads}
}

type recording struct {
	io.ReadCloser
	tag   string
	reads *[]string
	got   bytes.Buffer
}

func (r *recording) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.got.Write(p[:n])
	return n, err
}

func (r *recording) Close() error {
	*r.reads = append(*r.reads, r.tag+":"+r.got.String())
	return r.ReadCloser.Close()
}

func TestWithReaderWrapper(t *testing.T) {
	data := append(bytes.Clone(pngHead), "body"...)
	path := filepath.Join(t.TempDir(), "a.png")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		src   material.Source
		opens int // Opens that succeed
	}{
		{name: "file", src: file, opens: 2},
		{name: "bytes", src: material.FromBytes("a.png", data), opens: 2},
		{name: "replayable reader", src: material.FromReader("a.png", strings.NewReader(string(data)), int64(len(data))), opens: 2},
		{name: "one-shot plain reader", src: material.FromReader("a.png", io.MultiReader(bytes.NewReader(data)), int64(len(data))), opens: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reads []string
			src := tt.src.WithReaderWrapper(recorder{"inner", &reads}.wrap).WithName("b.png").WithReaderWrapper(recorder{"outer", &reads}.wrap)
			if head, err := src.Head(); err != nil || !bytes.HasPrefix(data, head) || len(head) == 0 {
				t.Fatalf("Head = %q, %v", head, err)
			}
			if len(reads) != 0 {
				t.Errorf("Head went through the wrappers: %q", reads)
			}
			var want []string
			for i := range 2 {
				rc, err := src.Open()
				if i >= tt.opens {
					if err == nil {
						t.Errorf("Open %d of a one-shot Source succeeded", i+1)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					t.Fatal(err)
				}
				rc.Close()
				want = append(want, "outer:"+string(data), "inner:"+string(data)) // closed outer first
			}
			if diff := cmp.Diff(want, reads); diff != "" {
				t.Errorf("reads seen by the wrappers, as they were closed (-want +got):\n%s", diff)
			}
			if src.Name() != "b.png" || tt.src.Name() != "a.png" {
				t.Errorf("names %q and %q, want the copy renamed only", src.Name(), tt.src.Name())
			}
		})
	}
	if _, err := (material.Source{}).WithReaderWrapper(recorder{"x", new([]string)}.wrap).Open(); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("Open of the zero Source wrapped = %v, want ErrInvalidInput", err)
	}
	if got := readAll(t, material.FromBytes("a.png", data).WithReaderWrapper(nil)); !bytes.Equal(got, data) {
		t.Errorf("with a nil wrapper, Open yields %q, want %q", got, data)
	}
}
