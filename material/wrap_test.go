package material_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
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

// TestFromReaderBadSize: a negative size other than -1 (unknown) makes a
// Source whose every use fails, naming the size; -1 and known sizes work.
func TestFromReaderBadSize(t *testing.T) {
	data := append(bytes.Clone(pngHead), "body"...)
	rule, err := material.RuleFor(material.OfficialAccount, material.APITemporary, material.KindImage)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		size    int64
		problem string // in every error; "" for none
	}{
		{name: "unknown", size: -1},
		{name: "known", size: int64(len(data))},
		{name: "minus two", size: -2, problem: "size -2: want the number of bytes the reader yields, or -1 when unknown"},
		{name: "most negative", size: math.MinInt64, problem: "size -9223372036854775808"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mk := range []func() io.Reader{
				func() io.Reader { return bytes.NewReader(data) },                 // replayable
				func() io.Reader { return io.MultiReader(bytes.NewReader(data)) }, // one-shot
			} {
				r := mk()
				src := material.FromReader("a.png", r, tt.size)
				_, headErr := src.Head()
				prepared, cleanup, prepErr := rule.Prepare(src)
				if prepErr == nil {
					if got := readAll(t, prepared); !bytes.Equal(got, data) {
						t.Errorf("prepared Source yields %q", got)
					}
					cleanup()
				}
				errs := map[string]error{"Head": headErr, "Prepare": prepErr, "Validate": rule.Validate(material.FromReader("a.png", mk(), tt.size))}
				if tt.problem != "" {
					_, errs["Open"] = material.FromReader("a.png", mk(), tt.size).Open()
				}
				for op, err := range errs {
					if tt.size == -1 && op == "Validate" {
						continue // unknown sizes are spooled by Prepare first
					}
					switch {
					case tt.problem == "" && err != nil:
						t.Errorf("%T, %s: %v", r, op, err)
					case tt.problem != "" && (!errors.Is(err, material.ErrInvalidInput) || !strings.Contains(fmt.Sprint(err), tt.problem)):
						t.Errorf("%T, %s = %v, want ErrInvalidInput saying %q", r, op, err, tt.problem)
					}
				}
				if tt.problem != "" && src.Size() != -1 {
					t.Errorf("Size() = %d, want -1 (not a size)", src.Size())
				}
			}
		})
	}
}
