package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// blobStore keeps media bytes. Committed blobs are immutable until removed.
type blobStore interface {
	create() (blobWriter, error)
	// open returns the blob's bytes; size is the recorded size (used by the
	// discard store, which keeps no bytes).
	open(key string, size int64) (blobReader, error)
	remove(key string) error
}

type blobWriter interface {
	io.Writer
	commit() (key string, err error)
	abort()
}

type blobReader interface {
	io.ReadSeeker
	io.ReaderAt
	io.Closer
}

var errNoBlob = errors.New("emulator: media bytes missing")

func newBlobKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// randomID returns n random bytes as unpadded URL-safe base64, the shape of
// the platforms' media ids and tokens.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// --- memory ---

type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemStore() *memStore { return &memStore{m: map[string][]byte{}} }

type memWriter struct {
	s   *memStore
	buf bytes.Buffer
}

func (s *memStore) create() (blobWriter, error) { return &memWriter{s: s}, nil }

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

// grow makes room for n bytes at once, sparing the copies of a growing
// buffer.
func (w *memWriter) grow(n int64) { w.buf.Grow(int(n)) }
func (w *memWriter) abort()       { w.buf = bytes.Buffer{} }
func (w *memWriter) commit() (string, error) {
	k := newBlobKey()
	w.s.mu.Lock()
	w.s.m[k] = w.buf.Bytes()
	w.s.mu.Unlock()
	return k, nil
}

type nopCloseReader struct{ *bytes.Reader }

func (nopCloseReader) Close() error { return nil }

func (s *memStore) open(key string, _ int64) (blobReader, error) {
	s.mu.Lock()
	b, ok := s.m[key]
	s.mu.Unlock()
	if !ok {
		return nil, errNoBlob
	}
	return nopCloseReader{bytes.NewReader(b)}, nil
}

func (s *memStore) remove(key string) error {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// --- folder ---

// dirStore keeps each blob as a file under <dir>/blobs; uploads are written
// to <dir>/tmp first and renamed into place when complete.
type dirStore struct {
	blobs, tmp string
}

func newDirStore(dir string) (*dirStore, error) {
	s := &dirStore{blobs: filepath.Join(dir, "blobs"), tmp: filepath.Join(dir, "tmp")}
	for _, d := range []string{s.blobs, s.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
	}
	// Leftovers of uploads interrupted by a crash.
	if ents, err := os.ReadDir(s.tmp); err == nil {
		for _, ent := range ents {
			_ = os.Remove(filepath.Join(s.tmp, ent.Name()))
		}
	}
	return s, nil
}

type dirWriter struct {
	s *dirStore
	f *os.File
}

func (s *dirStore) create() (blobWriter, error) {
	f, err := os.CreateTemp(s.tmp, "upload-*")
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	return &dirWriter{s: s, f: f}, nil
}

func (w *dirWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *dirWriter) abort() {
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}

func (w *dirWriter) commit() (string, error) {
	k := newBlobKey()
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), filepath.Join(w.s.blobs, k))
	}
	if err != nil {
		_ = os.Remove(w.f.Name())
		return "", fmt.Errorf("emulator: storing media bytes: %w", err)
	}
	return k, nil
}

func (s *dirStore) open(key string, _ int64) (blobReader, error) {
	f, err := os.Open(filepath.Join(s.blobs, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoBlob
	}
	return f, err
}

func (s *dirStore) remove(key string) error {
	err := os.Remove(filepath.Join(s.blobs, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// keys lists the stored blob keys.
func (s *dirStore) keys() ([]string, error) {
	ents, err := os.ReadDir(s.blobs)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ents))
	for _, ent := range ents {
		out = append(out, ent.Name())
	}
	return out, nil
}

// --- discard ---

// discardStore keeps no bytes: reads return zeros of the recorded size.
type discardStore struct{}

type discardWriter struct{}

func (discardStore) create() (blobWriter, error)  { return discardWriter{}, nil }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) abort()                      {}
func (discardWriter) commit() (string, error)     { return "discarded", nil }
func (discardStore) remove(string) error          { return nil }
func (discardStore) open(_ string, size int64) (blobReader, error) {
	return &zeroReader{size: size}, nil
}

// zeroReader reads size zero bytes.
type zeroReader struct {
	size, off int64
}

func (z *zeroReader) Read(p []byte) (int, error) {
	n, err := z.ReadAt(p, z.off)
	z.off += int64(n)
	return n, err
}

func (z *zeroReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= z.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	if rest := z.size - off; n > rest {
		n = rest
	}
	clear(p[:n])
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

func (z *zeroReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += z.off
	case io.SeekEnd:
		offset += z.size
	default:
		return 0, errors.New("emulator: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("emulator: negative position")
	}
	z.off = offset
	return offset, nil
}

func (z *zeroReader) Close() error { return nil }
