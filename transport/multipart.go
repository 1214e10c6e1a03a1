package transport

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/wxmaterial/wxmaterial/material"
)

// Field is a plain multipart form field, written before the file.
type Field struct {
	Name, Value string
}

// FilePart is the file of a multipart upload.
type FilePart struct {
	Field       string // the form field name; "media" on both platforms
	Filename    string // sent raw as UTF-8 in filename="..." (the platforms reject filename*=)
	ContentType string // of the file; application/octet-stream when empty
	Body        Body
	// Length adds filelength=<the body's exact size> to the part's
	// Content-Disposition, as WeCom's upload pages ask ("应包含
	// filename、filelength、content-type";
	// https://developer.work.weixin.qq.com/document/path/90253).
	Length bool
}

// Multipart returns a multipart/form-data Body with the fields first and the
// file last, and its Content-Type (with the boundary).
//
// The body is the rendered head, then the file's bytes, then the closing
// boundary: its size is exact, nothing is buffered but the few hundred bytes
// of head and tail, no goroutine is needed, and it is replayable whenever the
// file's Body is.
func Multipart(fields []Field, file FilePart) (Body, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f.Name, f.Value); err != nil {
			return Body{}, "", err
		}
	}
	h := make(textproto.MIMEHeader)
	disposition := multipart.FileContentDisposition(file.Field, headerSafe(file.Filename))
	if file.Length && file.Body.Size >= 0 {
		disposition += "; filelength=" + strconv.FormatInt(file.Body.Size, 10)
	}
	h.Set("Content-Disposition", disposition)
	h.Set("Content-Type", cmp.Or(file.ContentType, "application/octet-stream"))
	if _, err := mw.CreatePart(h); err != nil {
		return Body{}, "", err
	}
	split := buf.Len()
	if err := mw.Close(); err != nil {
		return Body{}, "", err
	}
	all := buf.Bytes()
	head, tail := all[:split:split], all[split:]
	open := file.Body.Open
	size := file.Body.Size
	return Body{
		Size:       int64(len(head)) + size + int64(len(tail)),
		Replayable: file.Body.Replayable,
		Open: func() (io.Reader, error) {
			r, err := open()
			if err != nil {
				return nil, err
			}
			mr := &multipartReader{Reader: io.MultiReader(bytes.NewReader(head), &exactReader{r: r, left: size}, bytes.NewReader(tail))}
			if c, ok := r.(io.Closer); ok {
				mr.closer = c
			}
			return mr, nil
		},
	}, mw.FormDataContentType(), nil
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

// multipartReader is the assembled body; closing it closes the file.
type multipartReader struct {
	io.Reader
	closer io.Closer
}

func (m *multipartReader) Close() error {
	if m.closer != nil {
		return m.closer.Close()
	}
	return nil
}

// exactReader yields exactly left bytes of r and fails if r ends early, so a
// short file is an error rather than a malformed form.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF {
		if e.left > 0 {
			return n, io.ErrUnexpectedEOF
		}
		return n, io.EOF
	}
	if e.left == 0 && err == nil {
		return n, io.EOF
	}
	return n, err
}

// Upload posts src to path as the multipart part "media" after the fields,
// the way both platforms take files, and decodes the JSON reply into out.
//
// src is first checked and prepared under rule (Rule.Prepare): nothing is
// sent when it breaks the rule, and a source of unknown size is spooled to a
// temporary file, at most the limit, so that the body has an exact
// Content-Length. On WeCom the part's Content-Disposition also carries
// filelength=<size> (FilePart.Length). The call is a write (see
// Request.Write).
func (c *Client) Upload(ctx context.Context, path string, query url.Values, rule material.Rule, src material.Source, fields []Field, out any) error {
	prepared, cleanup, err := rule.Prepare(src)
	if err != nil {
		return err
	}
	defer cleanup()
	body, err := SourceBody(prepared)
	if err != nil {
		return err
	}
	mp, contentType, err := Multipart(fields, FilePart{
		Field:       "media",
		Filename:    prepared.Name(),
		ContentType: prepared.ContentType(),
		Body:        body,
		Length:      c.platform == material.WeCom,
	})
	if err != nil {
		return err
	}
	return c.Do(ctx, &Request{
		Method:      http.MethodPost,
		Path:        path,
		Query:       query,
		Body:        &mp,
		ContentType: contentType,
		Write:       true,
	}, out)
}
