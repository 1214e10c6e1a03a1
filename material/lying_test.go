package material_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wxmaterial/wxmaterial/material"
)

// readWithin reads rc with a buffer of n bytes at a time and returns what
// a consumer got before the error.
func readWithin(rc io.Reader, n int) ([]byte, error) {
	var got []byte
	buf := make([]byte, n)
	for {
		m, err := rc.Read(buf)
		got = append(got, buf[:m]...)
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
}

// TestLyingSources: a source that yields more or fewer bytes than it
// declared fails, and its consumer never gets all the declared bytes, so
// an upload of it can never complete.
func TestLyingSources(t *testing.T) {
	data := []byte(strings.Repeat("0123456789", 100)) // 1000 bytes
	tests := []struct {
		name    string
		src     func(t *testing.T) material.Source
		wantErr string
	}{
		{name: "one-shot reader longer than declared", src: func(t *testing.T) material.Source {
			return material.FromReader("a.bin", io.MultiReader(bytes.NewReader(data)), 999)
		}, wantErr: "yields more than the 999 bytes it declared"},
		{name: "one-shot reader one byte longer, read in one go", src: func(t *testing.T) material.Source {
			return material.FromReader("a.bin", iotest.OneByteReader(bytes.NewReader(data)), int64(len(data)-1))
		}, wantErr: "yields more than"},
		{name: "one-shot reader shorter than declared", src: func(t *testing.T) material.Source {
			return material.FromReader("a.bin", io.MultiReader(bytes.NewReader(data)), 1001)
		}, wantErr: "ended after 1000 of the 1001 bytes"},
		{name: "section of a ReaderAt that ends early", src: func(t *testing.T) material.Source {
			return material.FromReader("a.bin", bytes.NewReader(data), 1001)
		}, wantErr: "ended after 1000 of the 1001 bytes"},
		{name: "file that grew after FromFile", src: func(t *testing.T) material.Source {
			path := filepath.Join(t.TempDir(), "a.bin")
			writeFile(t, path, data[:500])
			src, err := material.FromFile(path)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, data)
			return src
		}, wantErr: "grew while being read: it held 500 bytes"},
		{name: "file that shrank after FromFile", src: func(t *testing.T) material.Source {
			path := filepath.Join(t.TempDir(), "a.bin")
			writeFile(t, path, data)
			src, err := material.FromFile(path)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, data[:500])
			return src
		}, wantErr: "shrank while being read (500 of 1000 bytes)"},
	}
	for _, tt := range tests {
		for _, bufSize := range []int{1, 7, 512, 4096} {
			t.Run(fmt.Sprintf("%s/buffer %d", tt.name, bufSize), func(t *testing.T) {
				src := tt.src(t)
				rc, err := src.Open()
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				got, err := readWithin(rc, bufSize)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("buffer %d: err = %v, want %q", bufSize, err, tt.wantErr)
				}
				if !errors.Is(err, material.ErrInvalidInput) {
					t.Errorf("err = %v, does not match ErrInvalidInput", err)
				}
				if int64(len(got)) >= src.Size() {
					t.Errorf("buffer %d: the consumer got %d bytes, all %d declared: an upload of them could complete", bufSize, len(got), src.Size())
				}
			})
		}
	}
}

// TestExactSourcesRead: honest sources still read in full, whatever the
// buffer, and a ReaderAt source is a section: what follows is not read.
func TestExactSourcesRead(t *testing.T) {
	data := []byte(strings.Repeat("abcdefghij", 50))
	path := filepath.Join(t.TempDir(), "a.bin")
	writeFile(t, path, data)
	fromFile, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		src  material.Source
		want []byte
	}{
		{name: "file", src: fromFile, want: data},
		{name: "one-shot", src: material.FromReader("a.bin", io.MultiReader(bytes.NewReader(data)), int64(len(data))), want: data},
		{name: "one-shot that returns EOF with its last bytes", src: material.FromReader("a.bin", iotest.DataErrReader(bytes.NewReader(data)), int64(len(data))), want: data},
		{name: "section of a longer ReaderAt", src: material.FromReader("a.bin", bytes.NewReader(data), 20), want: data[:20]},
	}
	for _, tt := range tests {
		for _, bufSize := range []int{1, 3, 500, 4096} {
			rc, err := tt.src.Open()
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			got, err := readWithin(rc, bufSize)
			rc.Close()
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("%s, buffer %d: read %d bytes, err %v; want %d bytes", tt.name, bufSize, len(got), err, len(tt.want))
			}
			if !tt.src.Replayable() {
				break
			}
		}
	}
}

func TestFromReaderNil(t *testing.T) {
	var nilBytes *bytes.Reader
	for name, r := range map[string]io.Reader{"nil": nil, "typed nil pointer": nilBytes} {
		for _, size := range []int64{10, -1} {
			src := material.FromReader("a.jpg", r, size)
			if _, err := src.Open(); !errors.Is(err, material.ErrInvalidInput) {
				t.Errorf("%s, size %d: Open err = %v, want ErrInvalidInput", name, size, err)
			}
			if _, err := src.Head(); !errors.Is(err, material.ErrInvalidInput) {
				t.Errorf("%s, size %d: Head err = %v, want ErrInvalidInput", name, size, err)
			}
			rule, _ := material.RuleFor(material.OfficialAccount, material.APITemporary, material.KindImage)
			if _, _, err := rule.Prepare(src); !errors.Is(err, material.ErrInvalidInput) {
				t.Errorf("%s, size %d: Prepare err = %v, want ErrInvalidInput", name, size, err)
			}
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
