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

var pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")

func readAll(t *testing.T, src material.Source) []byte {
	t.Helper()
	rc, err := src.Open()
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

func TestFromFileReplays(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "photo.png")
	data := append(bytes.Clone(pngHead), bytes.Repeat([]byte("x"), 3000)...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := src.Name(), "photo.png"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
	if got, want := src.Size(), int64(len(data)); got != want {
		t.Errorf("Size = %d, want %d", got, want)
	}
	if !src.Replayable() {
		t.Error("Replayable = false, want true")
	}
	if got, want := src.ContentType(), "image/png"; got != want {
		t.Errorf("ContentType = %q, want %q", got, want)
	}
	for i := range 3 {
		if got := readAll(t, src); !bytes.Equal(got, data) {
			t.Fatalf("read %d differs from the file", i)
		}
	}
}

func TestFromFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := material.FromFile(filepath.Join(dir, "missing.jpg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
	if _, err := material.FromFile(dir); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("folder: err = %v, want ErrInvalidInput", err)
	}
}

func TestFromFileShrunk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.bin")
	if err := os.WriteFile(path, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	rc, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "shrank") {
		t.Errorf("reading a shrunk file: err = %v, want a 'shrank' error", err)
	}
}

func TestFromBytes(t *testing.T) {
	src := material.FromBytes("some/dir/测试.png", pngHead)
	if got, want := src.Name(), "测试.png"; got != want {
		t.Errorf("Name = %q, want %q (the base name)", got, want)
	}
	if !src.Replayable() {
		t.Error("Replayable = false")
	}
	for range 2 {
		if diff := cmp.Diff(pngHead, readAll(t, src)); diff != "" {
			t.Errorf("bytes (-want +got):\n%s", diff)
		}
	}
}

func TestFromReaderOneShot(t *testing.T) {
	data := append(bytes.Clone(pngHead), bytes.Repeat([]byte("y"), 2000)...)
	r := io.MultiReader(bytes.NewReader(data)) // hides ReaderAt and Seeker
	src := material.FromReader("a.png", r, int64(len(data)))
	if src.Replayable() {
		t.Fatal("Replayable = true for a plain io.Reader")
	}
	head, err := src.Head()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(head, pngHead) {
		t.Errorf("Head = %q, want the PNG signature", head[:8])
	}
	if got := src.ContentType(); got != "image/png" {
		t.Errorf("ContentType = %q", got)
	}
	if got := readAll(t, src); !bytes.Equal(got, data) {
		t.Error("the bytes peeked for Head were lost from the stream")
	}
	if _, err := src.Open(); !errors.Is(err, material.ErrNotReplayable) {
		t.Errorf("second Open: err = %v, want ErrNotReplayable", err)
	}
}

func TestFromReaderAtReplays(t *testing.T) {
	data := []byte("0123456789abcdef")
	r := bytes.NewReader(data)
	if _, err := r.Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	src := material.FromReader("x.bin", r, 8)
	if !src.Replayable() {
		t.Fatal("Replayable = false for a *bytes.Reader")
	}
	for range 2 {
		if got, want := string(readAll(t, src)), "456789ab"; got != want {
			t.Errorf("read %q, want %q (from the current offset, size bytes)", got, want)
		}
	}
	if pos, _ := r.Seek(0, io.SeekCurrent); pos != 4 {
		t.Errorf("the caller's reader moved to %d", pos)
	}
}

func TestContentTypeFromBytesWhenNoExtension(t *testing.T) {
	src := material.FromBytes("noext", pngHead)
	if got := src.ContentType(); got != "image/png" {
		t.Errorf("ContentType = %q, want image/png from the bytes", got)
	}
	if got := src.WithContentType("image/x-custom").ContentType(); got != "image/x-custom" {
		t.Errorf("WithContentType: %q", got)
	}
	if got := src.WithName(`C:\dir\b.jpg`).Name(); got != "b.jpg" {
		t.Errorf("WithName kept %q, want the base name", got)
	}
}

func TestZeroSource(t *testing.T) {
	var src material.Source
	if _, err := src.Open(); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("Open on zero Source: %v", err)
	}
	if src.Size() != -1 || src.Replayable() {
		t.Error("zero Source claims a size or replayability")
	}
}
