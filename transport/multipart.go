package transport

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/wxmaterial/wxmaterial/material"
)

// Field is a plain multipart form field, sent before the file (e.g. the
// Official Account's video "description").
type Field struct {
	Name, Value string
}

// form is a multipart/form-data body rendered around a file: the fields
// and the file part's header (head), the file's bytes, and the closing
// boundary (tail). Its size is exact, nothing but head and tail is held in
// memory, and it is produced again for every attempt when the file can be.
type form struct {
	head, tail  []byte
	file        material.Source
	contentType string // multipart/form-data with the boundary
}

// newForm renders the form of fields and file as the part "media", the way
// both platforms take files. withLength adds filelength=<the file's exact
// size> to the part's Content-Disposition, as WeCom's upload pages ask
// ("应包含 filename、filelength、content-type";
// https://developer.work.weixin.qq.com/document/path/90253). The file's
// name is sent raw as UTF-8 in filename="..." (the platforms reject
// filename*=).
func newForm(fields []Field, file material.Source, withLength bool) (*form, error) {
	if file.Size() < 0 {
		return nil, fmt.Errorf("%s has an unknown size: the client prepares a source before it is sent: %w",
			strconv.Quote(file.Name()), material.ErrInvalidInput)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			return nil, err
		}
	}
	h := make(textproto.MIMEHeader)
	disposition := multipart.FileContentDisposition("media", headerSafe(file.Name()))
	if withLength {
		disposition += "; filelength=" + strconv.FormatInt(file.Size(), 10)
	}
	h.Set("Content-Disposition", disposition)
	h.Set("Content-Type", cmp.Or(file.ContentType(), "application/octet-stream"))
	if _, err := mw.CreatePart(h); err != nil {
		return nil, err
	}
	split := buf.Len()
	if err := mw.Close(); err != nil {
		return nil, err
	}
	all := buf.Bytes()
	return &form{head: all[:split:split], tail: all[split:], file: file, contentType: mw.FormDataContentType()}, nil
}

// size is the form's exact length in bytes.
func (f *form) size() int64 { return int64(len(f.head)) + f.file.Size() + int64(len(f.tail)) }

// reader returns one attempt's body. It opens the file at its first Read,
// not before: go-retryablehttp makes (and closes) one reader when the
// request is built, which must not consume a one-shot Source.
func (f *form) reader() io.Reader { return &formReader{f: f} }

// formReader is one attempt's form: head, the file, tail.
type formReader struct {
	f    *form
	r    io.Reader     // the whole form, once the file is open
	file io.ReadCloser // the open file, closed by Close
	err  error
}

func (r *formReader) Read(p []byte) (int, error) {
	if r.r == nil {
		if r.err != nil {
			return 0, r.err
		}
		rc, err := r.f.file.Open()
		if err != nil {
			r.err = err
			return 0, err
		}
		r.file = rc
		r.r = io.MultiReader(bytes.NewReader(r.f.head), rc, bytes.NewReader(r.f.tail))
	}
	return r.r.Read(p)
}

// Close closes the file if it was opened.
func (r *formReader) Close() error {
	if r.file != nil {
		return r.file.Close()
	}
	return nil
}

// headerSafe drops the characters that would break a MIME header line.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
