package transport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/wxmaterial/wxmaterial/material"
)

// Range chunk sizes. WeCom's media/get sends at most "20M" at once (830002
// beyond) without saying whether M is 2^20 or 10^6
// (https://developer.work.weixin.qq.com/document/path/96486), so the default
// stays clearly under both readings; docs/limits.md gives the benchmark
// that chose it.
const (
	// DefaultChunkSize is the largest Range chunk a ranged download asks
	// for unless RangeOptions.ChunkSize says otherwise: 16 MiB, 16% under
	// 20,000,000 bytes.
	DefaultChunkSize = 16 << 20
	// MaxChunkSize is the larger reading of WeCom's "20M", 20 MiB: a chunk
	// size above it can only be refused.
	MaxChunkSize = 20 << 20
	// DefaultMinChunkSize is the floor a chunk refused as too large is
	// halved down to.
	DefaultMinChunkSize = 1 << 20
)

// defaultMaxResumes is how many times in a row a broken transfer is resumed
// without receiving a byte before the download fails.
const defaultMaxResumes = 3

// ErrLength is matched by the error of a ranged download whose bytes do not
// add up to the total the server announced: a server that keeps ending
// early, sends more than asked, or changes the file's size half-way.
// A short download also matches io.ErrUnexpectedEOF.
var ErrLength = errors.New("transport: download length mismatch")

// ErrChanged is matched by the error of a download fetched in several
// requests (Range chunks, or a resumption) whose parts name different
// versions of the file: an ETag, or without one a Last-Modified, other
// than the first part's. The parts would splice two files into one that is
// neither; the download must be started again.
var ErrChanged = errors.New("transport: the file changed during the download")

// RangeOptions configure a ranged download.
type RangeOptions struct {
	// ChunkSize is the most bytes one Range request asks for; default
	// DefaultChunkSize.
	ChunkSize int64
	// TooLarge reports whether err, the error a Range request was answered
	// with, means that the chunk was too large (WeCom: 830002). The
	// request is then sent again from the same byte with half the chunk
	// size, down to MinChunkSize, and the download goes on with the
	// smaller size. Nil: no error means that.
	TooLarge func(err error) bool
	// MinChunkSize is the smallest chunk TooLarge may halve to; default
	// DefaultMinChunkSize, or ChunkSize when that is smaller.
	MinChunkSize int64
	// MaxResumes is how many times in a row a chunk cut off mid-way is
	// resumed from the byte where it broke without a byte arriving;
	// default 3. Any progress resets the count.
	MaxResumes int
}

func (o RangeOptions) withDefaults() RangeOptions {
	if o.ChunkSize <= 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.MinChunkSize <= 0 {
		o.MinChunkSize = DefaultMinChunkSize
	}
	o.MinChunkSize = min(o.MinChunkSize, o.ChunkSize)
	if o.MaxResumes <= 0 {
		o.MaxResumes = defaultMaxResumes
	}
	return o
}

// rangeFunc fetches the bytes first to last (inclusive) of a file, e.g. with
// "Range: bytes=first-last". Client.rangeFetcher makes one from a Request.
type rangeFunc func(ctx context.Context, first, last int64) (*Reply, error)

// rangeFetcher returns a rangeFunc that sends req (a download, usually a
// GET) with a "Range: bytes=first-last" header. req is not modified.
func (c *Client) rangeFetcher(req *Request) rangeFunc {
	return func(ctx context.Context, first, last int64) (*Reply, error) {
		r := *req
		r.Header = req.Header.Clone()
		if r.Header == nil {
			r.Header = make(http.Header)
		}
		r.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", first, last))
		return c.Download(ctx, &r)
	}
}

// DownloadFile streams the file req fetches, whatever its size, as one
// Content whose Body the caller reads and closes.
//
// The first request asks for the whole file. When its error is one
// opts.TooLarge recognises (WeCom: 830002, a file over "20M"), the file is
// fetched in Range chunks instead (see downloadRanges). Otherwise a
// transfer that breaks off resumes with Range requests from the byte where
// it broke, and the total is verified: a download that comes up short or
// long ends in an error matching ErrLength, never in a silent EOF. A reply
// that is a JSON document, not a file, is an error.
func (c *Client) DownloadFile(ctx context.Context, req *Request, opts RangeOptions) (*material.Content, error) {
	fetch := c.rangeFetcher(req)
	rep, err := c.Download(ctx, req)
	if err != nil {
		if opts.TooLarge != nil && opts.TooLarge(err) {
			return downloadRanges(ctx, fetch, opts)
		}
		return nil, err
	}
	if rep.Content == nil {
		return nil, fmt.Errorf("%s answered a JSON document, not the file's bytes", req.endpoint())
	}
	return resume(ctx, rep.Content, versionOf(rep.Header), fetch, opts), nil
}

// downloadRanges downloads a file of unknown size in Range chunks of at
// most opts.ChunkSize bytes and presents them as one stream. It fetches the
// first chunk before returning, so that the file's total size (from
// Content-Range), name and type are known and an error reply is returned
// here; the other chunks are fetched as the body is read.
//
// A chunk answered with an error that opts.TooLarge recognises is asked
// for again from the same byte with half the size (down to
// opts.MinChunkSize), and the rest of the file is fetched in chunks of that
// size: each halving costs one refused request, and the smaller chunks
// cost ceil(rest/size) requests instead of ceil(rest/ChunkSize).
//
// The stream is checked as it goes: every chunk must start at the byte
// asked for and announce the same total; a chunk cut off mid-way is resumed
// from the byte where it broke (not restarted), up to opts.MaxResumes times
// in a row without progress; the body ends with io.EOF only after exactly
// the total number of bytes, and otherwise with an error matching ErrLength.
//
// Reading the body after ctx ends fails with ctx's error; closing it stops
// the transfer.
func downloadRanges(ctx context.Context, fetch rangeFunc, opts RangeOptions) (*material.Content, error) {
	opts = opts.withDefaults()
	r := newRangedReader(ctx, fetch, opts, -1)
	rep, err := r.openChunk()
	if err != nil {
		r.Close()
		return nil, err
	}
	return &material.Content{
		Name:        rep.Content.Name,
		ContentType: rep.Content.ContentType,
		Size:        r.total,
		Body:        r,
	}, nil
}

// resume returns c with a body that survives a broken transfer: when the
// body of c (a whole-file reply of c.Size bytes, of version v) breaks off, the rest is fetched from the byte where it
// broke with Range chunks of at most opts.ChunkSize bytes, and the total and
// the version are verified as downloadRanges does. When c.Size is unknown
// (-1), c is returned as it is.
func resume(ctx context.Context, c *material.Content, v version, fetch rangeFunc, opts RangeOptions) *material.Content {
	if c == nil || c.Size < 0 {
		return c
	}
	opts = opts.withDefaults()
	r := newRangedReader(ctx, fetch, opts, c.Size)
	r.body, r.end, r.version = c.Body, c.Size, v
	out := *c
	out.Body = r
	return &out
}

// rangedReader is one stream over a file fetched in Range chunks.
type rangedReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	fetch  rangeFunc
	opts   RangeOptions

	total   int64   // the file's size; -1 until the first reply tells
	version version // the file's version, as its first parts name it (sameVersion)
	chunk   int64   // the chunk size now: opts.ChunkSize, or less after TooLarge
	off     int64   // bytes delivered to the reader so far
	start   int64   // the first byte of the current chunk's reply
	end     int64   // the end (exclusive) of what body holds
	resumes int     // resumptions in a row without progress
	err     error   // sticky final error

	mu     sync.Mutex
	body   io.ReadCloser // the current chunk, nil between chunks
	closed bool
}

func newRangedReader(ctx context.Context, fetch rangeFunc, opts RangeOptions, total int64) *rangedReader {
	ctx, cancel := context.WithCancel(ctx)
	return &rangedReader{ctx: ctx, cancel: cancel, fetch: fetch, opts: opts, total: total, chunk: opts.ChunkSize}
}

// Read reads from the current chunk, fetching the next one (or the rest of
// a broken one) as needed.
func (r *rangedReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if r.err != nil {
			return 0, r.err
		}
		r.mu.Lock()
		body, closed := r.body, r.closed
		r.mu.Unlock()
		if closed {
			return 0, http.ErrBodyReadAfterClose
		}
		if body == nil {
			if r.total >= 0 && r.off >= r.total {
				r.err = io.EOF
				continue
			}
			if _, err := r.openChunk(); err != nil {
				if r.err == nil {
					r.err = err
				}
			}
			continue
		}
		n, err := body.Read(p[:min(int64(len(p)), r.end-r.off)])
		r.off += int64(n)
		if n > 0 {
			r.resumes = 0
		}
		if r.off == r.end {
			// The chunk is complete; it must hold nothing more.
			if err == nil {
				var one [1]byte
				switch m, perr := body.Read(one[:]); {
				case m > 0:
					r.fail(fmt.Errorf("transport: ranged download: the server sent more than the %d bytes of bytes %d-%d: %w",
						r.end-r.start, r.start, r.end-1, ErrLength))
					return n, nil
				case perr != nil && perr != io.EOF:
					r.fail(fmt.Errorf("transport: ranged download: after bytes %d-%d: %w", r.start, r.end-1, perr))
					return n, nil
				}
			}
			r.closeBody()
			return n, nil
		}
		if err == nil {
			return n, nil
		}
		// The chunk ended or broke before its end.
		r.closeBody()
		if cerr := r.ended(err); cerr != nil {
			r.fail(fmt.Errorf("transport: ranged download at byte %d: %w", r.off, cerr))
			return n, nil
		}
		r.resumes++
		if r.resumes > r.opts.MaxResumes {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.fail(fmt.Errorf("transport: ranged download: got %d of %d bytes; %d resumptions in a row brought nothing: %w (%w)",
				r.off, r.total, r.opts.MaxResumes, err, ErrLength))
			return n, nil
		}
		if n > 0 {
			return n, nil
		}
	}
}

// ended returns the error that ends the transfer when its context has
// ended, nil otherwise. err is the read error that broke the chunk: a read
// the caller's context cut off may fail before r.ctx, derived from it, is
// cancelled in turn, so a context error in err ends the transfer too,
// rather than start a resumption the deadline has already ruled out.
func (r *rangedReader) ended(err error) error {
	if r.ctx.Err() != nil {
		return context.Cause(r.ctx)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// openChunk fetches the next chunk, from r.off, and checks that the reply
// is what was asked for. A chunk refused as too large is asked for again
// with half the size.
func (r *rangedReader) openChunk() (*Reply, error) {
	first := r.off
	var last int64
	var rep *Reply
	for {
		last = first + r.chunk - 1
		if r.end > first {
			last = min(last, r.end-1) // the rest of a chunk that broke off
		}
		if r.total >= 0 {
			last = min(last, r.total-1)
		}
		var err error
		rep, err = r.fetch(r.ctx, first, last)
		if err == nil {
			break
		}
		if cerr := r.ctx.Err(); cerr != nil {
			if !errors.Is(err, cerr) {
				err = fmt.Errorf("%w: %w", err, context.Cause(r.ctx))
			}
			return nil, err
		}
		asked := last - first + 1
		if r.opts.TooLarge == nil || asked <= r.opts.MinChunkSize || !r.opts.TooLarge(err) {
			return nil, err
		}
		r.chunk = max(asked/2, r.opts.MinChunkSize)
	}
	if rep.Content == nil {
		return nil, fmt.Errorf("transport: ranged download: bytes %d-%d were answered with JSON, not file bytes", first, last)
	}
	body := rep.Content.Body
	end, total, err := checkChunk(rep, first, last, r.total)
	if err == nil {
		err = r.sameVersion(rep.Header, first, last)
	}
	if err != nil {
		body.Close()
		return nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		body.Close()
		return nil, http.ErrBodyReadAfterClose
	}
	r.body, r.start, r.end, r.total = body, first, end, total
	r.mu.Unlock()
	return rep, nil
}

// version is what names the version of a file in a reply: its ETag and its
// Last-Modified, each "" when the reply has none.
type version struct{ etag, lastModified string }

func versionOf(h http.Header) version {
	return version{etag: h.Get("ETag"), lastModified: h.Get("Last-Modified")}
}

// sameVersion checks that the reply for bytes first-last, with headers h,
// is of the version of the file's first part: the ETags when both name one,
// otherwise the Last-Modified dates when both name one. A header the first
// part lacked is recorded from the first part that has it. A part that
// names no version cannot be checked.
func (r *rangedReader) sameVersion(h http.Header, first, last int64) error {
	v := versionOf(h)
	differs := ""
	switch {
	case r.version.etag != "" && v.etag != "":
		if v.etag != r.version.etag {
			differs = "ETag"
		}
	case r.version.lastModified != "" && v.lastModified != "":
		if v.lastModified != r.version.lastModified {
			differs = "Last-Modified"
		}
	}
	if differs != "" {
		// The message names the header, never its values, which come from
		// the server.
		return fmt.Errorf("transport: ranged download: bytes %d-%d are of another version of the file (its %s differs from the first part's): %w", first, last, differs, ErrChanged)
	}
	r.version.etag = cmp.Or(r.version.etag, v.etag)
	r.version.lastModified = cmp.Or(r.version.lastModified, v.lastModified)
	return nil
}

// checkChunk checks the reply to a request for bytes first-last of a file
// of total bytes (-1 when not known yet) and returns the end (exclusive)
// of the bytes it holds and the file's total. Classify has already refused
// a 206 whose Content-Range or Content-Length does not answer the Range
// asked; what is left to check is the file's size across chunks.
func checkChunk(rep *Reply, first, last, total int64) (end, newTotal int64, err error) {
	length := rep.Content.Size
	switch rep.StatusCode {
	case http.StatusPartialContent:
		a, b, t, ok := parseContentRange(rep.Header.Get("Content-Range"))
		switch {
		case !ok || a != first || b > last: // cannot happen: Classify checks it
			return 0, 0, fmt.Errorf("transport: ranged download: bytes %d-%d answered with another range: %w", first, last, ErrLength)
		case total >= 0 && t != total:
			return 0, 0, fmt.Errorf("transport: ranged download: the file's size changed from %d to %d bytes: %w", total, t, ErrLength)
		}
		return b + 1, t, nil
	case http.StatusOK:
		// The server ignored Range and sent the whole file: usable only
		// from the first byte.
		if first != 0 {
			return 0, 0, fmt.Errorf("transport: ranged download: asked for bytes %d-%d, the server sent the whole file (HTTP 200): it does not honour Range", first, last)
		}
		if total >= 0 && length >= 0 && length != total {
			return 0, 0, fmt.Errorf("transport: ranged download: the file's size changed from %d to %d bytes: %w", total, length, ErrLength)
		}
		if length < 0 {
			length = total
		}
		if length < 0 {
			return 0, 0, fmt.Errorf("transport: ranged download: the server sent the whole file without a length")
		}
		return length, length, nil
	}
	return 0, 0, fmt.Errorf("transport: ranged download: bytes %d-%d answered HTTP %d", first, last, rep.StatusCode)
}

// parseContentRange parses "bytes a-b/total" with a known total.
func parseContentRange(h string) (a, b, total int64, ok bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, tot, found := strings.Cut(spec, "/")
	if !found {
		return 0, 0, 0, false
	}
	as, bs, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	a, err1 = strconv.ParseInt(as, 10, 64)
	b, err2 = strconv.ParseInt(bs, 10, 64)
	total, err3 = strconv.ParseInt(tot, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || a < 0 || b < a || total <= b {
		return 0, 0, 0, false
	}
	return a, b, total, true
}

func (r *rangedReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.closeBody()
}

func (r *rangedReader) closeBody() {
	r.mu.Lock()
	b := r.body
	r.body = nil
	r.mu.Unlock()
	if b != nil {
		b.Close()
	}
}

// Close stops the transfer. It may be called while a Read is blocked.
func (r *rangedReader) Close() error {
	r.mu.Lock()
	r.closed = true
	b := r.body
	r.body = nil
	r.mu.Unlock()
	r.cancel()
	if b != nil {
		return b.Close()
	}
	return nil
}
