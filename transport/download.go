package transport

import (
	"bufio"
	"bytes"
	"context"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/wxmaterial/wxmaterial/material"
)

// Reply is the answer to a download: file bytes or a JSON document.
type Reply struct {
	StatusCode int
	Header     http.Header
	// JSON is the whole reply when the platform answered JSON that is not
	// an error (an Official Account video link, a news item).
	JSON []byte
	// Content is the file when the platform answered bytes; the caller
	// reads and closes it. It is streamed: nothing is buffered.
	Content *material.Content
}

// Download sends req and returns the reply without buffering a file: it
// tells file bytes from a JSON reply by Content-Disposition, Content-Type
// and, when those are silent, the first byte. An error reply (errcode, HTTP
// status) is a *material.APIError, never file bytes.
func (c *Client) Download(ctx context.Context, req *Request) (*Reply, error) {
	cl := &call{op: req.op(), write: req.Write, download: true}
	var json bool
	resp, err := c.do(ctx, req, cl, func(resp *http.Response) error {
		json = !isFile(resp)
		if !json {
			return nil
		}
		body, err := decodeJSON(c.platform, cl.op, resp)
		cl.body = body
		return err
	})
	if err != nil {
		return nil, err
	}
	r := &Reply{StatusCode: resp.StatusCode, Header: resp.Header}
	if json {
		resp.Body.Close()
		r.JSON = cl.body
		return r, nil
	}
	r.Content = &material.Content{
		Name:        FilenameOf(resp.Header.Get("Content-Disposition")),
		ContentType: resp.Header.Get("Content-Type"),
		Size:        resp.ContentLength,
		Body:        resp.Body,
	}
	return r, nil
}

// isFile judges whether a successful reply carries file bytes. It may wrap
// resp.Body to look at the first bytes without losing them.
func isFile(resp *http.Response) bool {
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		return false
	}
	if resp.Header.Get("Content-Disposition") != "" {
		return true
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		switch {
		case mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json"):
			return false
		case mt != "text/plain" && mt != "" && mt != "application/octet-stream":
			return true
		}
	}
	// No decisive header: a JSON reply starts with '{'.
	br := bufio.NewReaderSize(resp.Body, 64)
	resp.Body = &readCloser{Reader: br, Closer: resp.Body}
	for {
		b, err := br.Peek(1)
		if err != nil {
			return true
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		case '{':
			return false
		}
		return true
	}
}

var fallbackFilename = regexp.MustCompile(`(?i)filename(\*?)\s*=\s*("([^"]*)"|[^;]+)`)

// FilenameOf returns the file name a Content-Disposition header gives,
// preferring RFC 5987 filename* (WeCom sends both forms for non-ASCII names)
// and reduced to a safe base name: no folders, no "..", no control
// characters. It returns "" when there is none.
func FilenameOf(contentDisposition string) string {
	if contentDisposition == "" {
		return ""
	}
	var name string
	if _, params, err := mime.ParseMediaType(contentDisposition); err == nil {
		name = params["filename"] // the mime package decodes and prefers filename*
	} else {
		// Malformed headers still name a file; filename* wins when present.
		for _, m := range fallbackFilename.FindAllStringSubmatch(contentDisposition, -1) {
			v := m[2]
			if m[3] != "" || strings.HasPrefix(v, `"`) {
				v = m[3]
			}
			if m[1] == "*" {
				if _, p, err := mime.ParseMediaType("attachment; filename*=" + strings.TrimSpace(v)); err == nil {
					name = p["filename"]
					break
				}
				continue
			}
			if name == "" {
				name = strings.TrimSpace(v)
			}
		}
	}
	return CleanFilename(name)
}

// CleanFilename reduces a server-supplied name to a base name that is safe
// to create in a folder: separators and control characters removed, "." and
// ".." refused.
func CleanFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(path.Clean("/" + name))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	name = string(bytes.ToValidUTF8([]byte(name), []byte("_")))
	name = strings.TrimSpace(name)
	if name == "/" || name == "." || name == ".." {
		return ""
	}
	return name
}
