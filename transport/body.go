package transport

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/wxmaterial/wxmaterial/material"
)

// Body is a request payload with an exact size that can be produced again
// for every attempt when Replayable.
//
// Open is called once per attempt, and once more by go-retryablehttp when
// the request is built (it probes the reader and closes it). Open must
// therefore be cheap and must not consume shared state before the reader is
// read: a one-shot Body hands out the same, unread reader until it is read.
type Body struct {
	// Open returns a reader positioned at the first byte. A returned
	// io.Closer is closed when the attempt ends.
	Open func() (io.Reader, error)
	// Size is the exact byte count; it becomes the Content-Length. The
	// platforms answer HTTP 412 to a chunked upload, so a Body always has a
	// size.
	Size int64
	// Replayable reports whether Open yields the same bytes every time.
	Replayable bool
}

// BytesBody returns a replayable Body over b.
func BytesBody(b []byte) Body {
	return Body{
		Open:       func() (io.Reader, error) { return bytes.NewReader(b), nil },
		Size:       int64(len(b)),
		Replayable: true,
	}
}

// SourceBody returns a Body reading src, which must have a known size (see
// material.Rule.Prepare). A replayable Source gives a replayable Body; a
// one-shot Source gives a Body that can be sent once.
func SourceBody(src material.Source) (Body, error) {
	if src.Size() < 0 {
		return Body{}, fmt.Errorf("transport: %q has an unknown size: %w", src.Name(), material.ErrInvalidInput)
	}
	if src.Replayable() {
		return Body{
			Open:       func() (io.Reader, error) { return src.Open() },
			Size:       src.Size(),
			Replayable: true,
		}, nil
	}
	// A one-shot source is opened once, lazily, and the same reader is
	// handed to every Open call: go-retryablehttp's probe closes what it
	// gets, so the closer is hidden, and only the single real attempt reads.
	var (
		once sync.Once
		r    io.Reader
		err  error
	)
	return Body{
		Open: func() (io.Reader, error) {
			once.Do(func() {
				var rc io.ReadCloser
				rc, err = src.Open()
				r = struct{ io.Reader }{rc} // material closes nothing of the caller's; hide Close
			})
			return r, err
		},
		Size: src.Size(),
	}, nil
}
