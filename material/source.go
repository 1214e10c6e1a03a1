package material

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
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
	tap         *tap // passes each reader Open returns through it, if set
}

// tap is what WithReaderWrapper wraps each reader in.
type tap struct {
	wrap func(io.ReadCloser) io.ReadCloser
}

// body is the shared origin of a Source's bytes.
type body struct {
	open       func() (io.ReadCloser, error)
	replayable bool
	invalid    error // why the Source cannot be read at all (a nil reader, a bad size): Open, Head and Rule.Validate return it

	mu     sync.Mutex
	head   []byte // first bytes, once read
	headOK bool
	opened bool // a one-shot body has been handed out
	br     *bufio.Reader
}

// FromFile returns a Source reading the file at path. The name is the base
// name of path; the size is the file's size now. The file is opened anew for
// every attempt, so the Source is replayable and holds no open file between
// uploads. A file that shrinks or grows after FromFile fails to be read
// (one byte past the size is read to check that it ends there), so a
// changed file is never uploaded in part.
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
			return &exactReader{r: f, c: f, left: size, size: size, name: path, file: true}, nil
		}},
	}, nil
}

// exactReader yields exactly size bytes of r. Before it hands out the last
// of them it reads one byte more, to check that r ends there: a reader
// that yields more, or fewer, is an error, and the reader's consumer never
// gets all size bytes, so an upload of it cannot complete.
type exactReader struct {
	r    io.Reader
	c    io.Closer // closed by Close, if set
	left int64
	size int64
	name string
	file bool // r is the file at name (else an io.Reader given as name)
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		if e.left < 0 {
			return 0, errReadAfterFailure
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err != nil && err != io.EOF:
		e.left = -1
		return 0, fmt.Errorf("material: read %s: %w", e.what(), err)
	case e.left == 0:
		var one [1]byte
		m, perr := io.ReadFull(e.r, one[:])
		if m > 0 {
			e.left = -1
			if e.file {
				return 0, fmt.Errorf("material: %s grew while being read: it held %d bytes when the Source was made: %w", e.name, e.size, ErrInvalidInput)
			}
			return 0, fmt.Errorf("material: %s yields more than the %d bytes it declared: %w", e.what(), e.size, ErrInvalidInput)
		}
		if perr != io.EOF {
			e.left = -1
			return 0, fmt.Errorf("material: read %s: %w", e.what(), perr)
		}
		return n, io.EOF
	case err == io.EOF:
		got := e.size - e.left
		e.left = -1
		if e.file {
			return 0, fmt.Errorf("material: %s shrank while being read (%d of %d bytes): %w", e.name, got, e.size, ErrInvalidInput)
		}
		return 0, fmt.Errorf("material: %s ended after %d of the %d bytes it declared: %w", e.what(), got, e.size, ErrInvalidInput)
	}
	return n, nil
}

func (e *exactReader) what() string {
	if e.file {
		return e.name
	}
	return "the reader of " + displayName(e.name)
}

func (e *exactReader) Close() error {
	if e.c != nil {
		return e.c.Close()
	}
	return nil
}

var errReadAfterFailure = errors.New("material: read after a failed read")

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
// memory). Any other negative size gives a Source that fails, before
// anything is sent, with an error matching ErrInvalidInput that names the
// size.
//
// When r is also an io.ReaderAt and an io.Seeker (an *os.File, a
// *bytes.Reader, a *strings.Reader) and size is known, the Source is
// replayable: it reads the size bytes that start at r's current offset with
// ReadAt (a section of r: what follows is not read) and never moves r; a
// section that ends early is an error. Any other reader is one-shot: it can
// be read once, and an upload that must be resent fails with
// ErrNotReplayable. A one-shot reader must yield exactly size bytes: one
// byte more is read to check that it ends there, and a reader that yields
// more or fewer fails the upload with an error matching ErrInvalidInput
// before the last byte is sent, so nothing truncated is ever uploaded.
//
// A nil r gives a Source that fails, before anything is sent, with an
// error matching ErrInvalidInput.
//
// The Source never closes r; that stays the caller's job, after the upload.
// Cancelling an upload stops it between reads: a reader that blocks forever
// (a stalled pipe or network stream) holds the upload until it returns or
// the caller closes it, so give such readers their own deadline.
func FromReader(name string, r io.Reader, size int64) Source {
	name = baseName(name)
	var invalid error
	switch {
	case isNil(r):
		invalid = fmt.Errorf("material: FromReader(%s): nil reader: %w", displayName(name), ErrInvalidInput)
	case size < -1:
		invalid = fmt.Errorf("material: FromReader(%s): size %d: want the number of bytes the reader yields, or -1 when unknown: %w", displayName(name), size, ErrInvalidInput)
	}
	if invalid != nil {
		return Source{name: name, size: max(size, -1), b: &body{invalid: invalid, open: func() (io.ReadCloser, error) { return nil, invalid }}}
	}
	if ra, ok := r.(io.ReaderAt); ok && size >= 0 {
		if s, ok := r.(io.Seeker); ok {
			if off, err := s.Seek(0, io.SeekCurrent); err == nil {
				return Source{name: name, size: size, b: &body{replayable: true, open: func() (io.ReadCloser, error) {
					return &sectionReader{SectionReader: io.NewSectionReader(ra, off, size), name: name}, nil
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
		if size < 0 {
			return io.NopCloser(b.br), nil
		}
		return &exactReader{r: b.br, left: size, size: size, name: name}, nil
	}
	return Source{name: name, size: size, b: b}
}

// isNil reports a nil reader, a nil pointer in an interface included.
func isNil(r io.Reader) bool {
	if r == nil {
		return true
	}
	v := reflect.ValueOf(r)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// sectionReader is the size bytes of an io.ReaderAt; ending early is an
// error.
type sectionReader struct {
	*io.SectionReader
	name string
	n    int64
}

func (s *sectionReader) Read(p []byte) (int, error) {
	n, err := s.SectionReader.Read(p)
	s.n += int64(n)
	if err == io.EOF && s.n < s.Size() {
		return n, fmt.Errorf("material: the reader of %s ended after %d of the %d bytes it declared: %w", displayName(s.name), s.n, s.Size(), ErrInvalidInput)
	}
	return n, err
}

func (s *sectionReader) Close() error { return nil }

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
	rc, err := s.b.open()
	if err != nil || s.tap == nil {
		return rc, err
	}
	return s.tap.wrap(rc), nil
}

// WithReaderWrapper returns a copy of s whose Open passes each reader it
// returns through wrap, which returns the reader the caller gets: to watch
// the bytes as they are read (count them for a progress bar, hash what is
// actually sent). wrap is called once per Open, possibly from several
// goroutines at once for a replayable Source; the reader it returns must
// yield the bytes of the one it was given, unchanged, and close it when
// closed. Head reads around wrap: its bytes are read ahead for format
// detection, and each Open yields them again. A copy wrapped again passes
// its readers through both, the first wrap innermost.
func (s Source) WithReaderWrapper(wrap func(io.ReadCloser) io.ReadCloser) Source {
	if wrap == nil {
		return s
	}
	if inner := s.tap; inner != nil {
		outer := wrap
		wrap = func(rc io.ReadCloser) io.ReadCloser { return outer(inner.wrap(rc)) }
	}
	s.tap = &tap{wrap: wrap}
	return s
}

// Head returns up to SniffLen first bytes without consuming them, for format
// detection. For a one-shot Source the bytes are buffered and still yielded
// by Open.
func (s Source) Head() ([]byte, error) {
	if s.b == nil {
		return nil, errZeroSource
	}
	b := s.b
	if b.invalid != nil {
		return nil, b.invalid
	}
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
