package material

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Source is a file to upload: a name, a content type, a size (or -1 when
// unknown) and a way to open the bytes, again when the origin allows it.
//
// Build one with FromFile, FromBytes or FromReader. A Source is a small
// value; copies share the underlying bytes (and, for a one-shot reader, the
// fact that it has been read).
//
// Whether a Source is Replayable decides what a client may do when an upload
// must be sent twice (a rejected token, a busy server): a file or a byte
// slice can be opened again and is resent byte for byte; a plain io.Reader
// cannot, and the client returns an error matching ErrNotReplayable instead
// of sending a short or empty body.
type Source struct {
	name        string
	contentType string
	size        int64
	b           *body
}

// body is the shared origin of a Source's bytes.
type body struct {
	open       func() (io.ReadCloser, error)
	replayable bool

	mu     sync.Mutex
	head   []byte // first bytes, once read
	headOK bool
	opened bool // a one-shot body has been handed out
	br     *bufio.Reader
}

// FromFile returns a Source reading the file at path. The name is the base
// name of path; the size is the file's size now. The file is opened anew for
// every attempt, so the Source is replayable and holds no open file between
// uploads.
func FromFile(path string) (Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Source{}, fmt.Errorf("material: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Source{}, &ValidationError{Name: path, Field: "file", Problem: "not a regular file", Err: []error{ErrInvalidInput}}
	}
	size := fi.Size()
	return Source{
		name: filepath.Base(path),
		size: size,
		b: &body{replayable: true, open: func() (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("material: %w", err)
			}
			return &exactFile{r: io.LimitReader(f, size), f: f, want: size, name: path}, nil
		}},
	}, nil
}

// exactFile reads a file that must still hold the size it had when the
// Source was made; a file that shrank is an error, not a short upload.
type exactFile struct {
	r    io.Reader
	f    *os.File
	want int64
	n    int64
	name string
}

func (e *exactFile) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.n += int64(n)
	if err == io.EOF && e.n < e.want {
		return n, fmt.Errorf("material: %s shrank while being read (%d of %d bytes)", e.name, e.n, e.want)
	}
	return n, err
}

func (e *exactFile) Close() error { return e.f.Close() }

// FromBytes returns a replayable Source over b. The slice is not copied and
// must not be changed until the upload returns.
func FromBytes(name string, b []byte) Source {
	return Source{
		name: baseName(name),
		size: int64(len(b)),
		b: &body{replayable: true, head: b[:min(len(b), SniffLen)], headOK: true, open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(b)), nil
		}},
	}
}

// FromReader returns a Source reading r. size is the number of bytes r will
// yield, or -1 when unknown (a client then spools the bytes to a temporary
// file, up to the platform's limit, to learn the size without holding them in
// memory).
//
// When r is also an io.ReaderAt and an io.Seeker (an *os.File, a
// *bytes.Reader, a *strings.Reader) and size is known, the Source is
// replayable: it reads size bytes from r's current offset with ReadAt and
// never moves r. Any other reader is one-shot: it can be read once, and an
// upload that must be resent fails with ErrNotReplayable.
//
// The Source never closes r; that stays the caller's job, after the upload.
// Cancelling an upload stops it between reads: a reader that blocks forever
// (a stalled pipe or network stream) holds the upload until it returns or
// the caller closes it, so give such readers their own deadline.
func FromReader(name string, r io.Reader, size int64) Source {
	name = baseName(name)
	if size < 0 {
		size = -1
	}
	if ra, ok := r.(io.ReaderAt); ok && size >= 0 {
		if s, ok := r.(io.Seeker); ok {
			if off, err := s.Seek(0, io.SeekCurrent); err == nil {
				return Source{name: name, size: size, b: &body{replayable: true, open: func() (io.ReadCloser, error) {
					return io.NopCloser(io.NewSectionReader(ra, off, size)), nil
				}}}
			}
		}
	}
	b := &body{br: bufio.NewReaderSize(r, SniffLen)}
	b.open = func() (io.ReadCloser, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.opened {
			return nil, fmt.Errorf("material: %s: %w: it was made from a one-shot io.Reader that has already been read", displayName(name), ErrNotReplayable)
		}
		b.opened = true
		return io.NopCloser(b.br), nil
	}
	return Source{name: name, size: size, b: b}
}

// Name returns the file name sent to the platform: always a base name, since
// the constructors and WithName drop any folder part.
func (s Source) Name() string { return s.name }

// Size returns the size in bytes, or -1 when unknown.
func (s Source) Size() int64 {
	if s.b == nil {
		return -1
	}
	return s.size
}

// Replayable reports whether Open can be called more than once.
func (s Source) Replayable() bool { return s.b != nil && s.b.replayable }

// ContentType returns the MIME type given with WithContentType, or one
// judged from the name's extension, then from the first bytes.
func (s Source) ContentType() string {
	if s.contentType != "" {
		return s.contentType
	}
	head, _ := s.Head()
	return contentTypeOf(s.name, head)
}

// Open returns a reader positioned at the first byte. Each call of a
// replayable Source returns a new, independent reader; a one-shot Source
// returns its reader once and an error matching ErrNotReplayable after that.
// The caller closes the reader.
func (s Source) Open() (io.ReadCloser, error) {
	if s.b == nil {
		return nil, errZeroSource
	}
	return s.b.open()
}

// Head returns up to SniffLen first bytes without consuming them, for format
// detection. For a one-shot Source the bytes are buffered and still yielded
// by Open.
func (s Source) Head() ([]byte, error) {
	if s.b == nil {
		return nil, errZeroSource
	}
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.headOK {
		return b.head, nil
	}
	var head []byte
	var err error
	if b.br != nil {
		if b.opened {
			return nil, fmt.Errorf("material: %s: %w", displayName(s.name), ErrNotReplayable)
		}
		head, err = b.br.Peek(SniffLen)
		if err == io.EOF || errors.Is(err, bufio.ErrBufferFull) {
			err = nil
		}
		head = bytes.Clone(head)
	} else {
		var rc io.ReadCloser
		if rc, err = b.open(); err == nil {
			buf := make([]byte, SniffLen)
			var n int
			n, err = io.ReadFull(rc, buf)
			rc.Close()
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = nil
			}
			head = buf[:n]
		}
	}
	if err != nil {
		return nil, err
	}
	b.head, b.headOK = head, true
	return head, nil
}

// WithName returns a copy of s sent under another file name. Only the base
// name is kept: the platforms reject path-shaped names.
func (s Source) WithName(name string) Source {
	s.name = baseName(name)
	return s
}

// WithContentType returns a copy of s sent with the MIME type ct.
func (s Source) WithContentType(ct string) Source {
	s.contentType = ct
	return s
}

// baseName keeps the last element of a path-shaped name, whichever
// separator it uses: the platforms answer 41005 to a path as a file name.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return name
}

var errZeroSource = fmt.Errorf("material: %w: the zero Source holds no file; use FromFile, FromBytes or FromReader", ErrInvalidInput)

func displayName(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", name)
}

// spool copies a Source of unknown size into a temporary file in dir (the
// system's temporary folder when empty), reading at most max+1 bytes. It
// reports tooLarge when the source holds more than max bytes. The returned
// Source reads the temporary file; cleanup removes it.
func (s Source) spool(dir string, max int64) (out Source, cleanup func(), tooLarge bool, err error) {
	rc, err := s.Open()
	if err != nil {
		return Source{}, nil, false, err
	}
	defer rc.Close()
	f, err := os.CreateTemp(dir, "wxmaterial-spool-*")
	if err != nil {
		return Source{}, nil, false, fmt.Errorf("material: spool %s: %w", displayName(s.name), err)
	}
	remove := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, io.LimitReader(rc, max+1))
	if err != nil {
		remove()
		return Source{}, nil, false, fmt.Errorf("material: spool %s: %w", displayName(s.name), err)
	}
	if n > max {
		remove()
		return Source{}, nil, true, nil
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return Source{}, nil, false, fmt.Errorf("material: spool %s: %w", displayName(s.name), err)
	}
	sp, err := FromFile(f.Name())
	if err != nil {
		os.Remove(f.Name())
		return Source{}, nil, false, err
	}
	sp.name, sp.contentType = s.name, s.contentType
	return sp, func() { os.Remove(f.Name()) }, false, nil
}
