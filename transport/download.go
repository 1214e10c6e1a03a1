package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/wxmaterial/wxmaterial/internal/redact"
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

	c  *Client // for Decode's errors
	op string
}

// Decode decodes the JSON document of the reply into out as Do decodes a
// reply: a document that does not decode into out, or that lacks what out
// requires when out implements Required, is a *material.APIError that
// names what is wrong. A reply that holds a file, not JSON, is an error
// too.
func (r *Reply) Decode(out any) error {
	if r.JSON == nil {
		return fmt.Errorf("%s: the reply is a file, not a JSON document", r.op)
	}
	c := r.c
	if c == nil { // a Reply made elsewhere than Download
		c = &Client{}
	}
	return c.decodeInto(r.op, r.StatusCode, r.JSON, out)
}

// Download sends req and returns the reply without buffering a file:
// Classify tells file bytes from a JSON document and from an error reply.
// An error reply (an errcode, an HTTP status, an HTML page) is a
// *material.APIError, never file bytes.
func (c *Client) Download(ctx context.Context, req *Request) (*Reply, error) {
	cl := c.newCall(req)
	var (
		kind BodyKind
		doc  []byte
	)
	resp, err := c.do(ctx, req, cl, func(resp *http.Response) error {
		v := classify(resp)
		kind = v.kind
		switch v.kind {
		case BodyFile:
			return nil
		case BodyJSON:
			var err error
			doc, err = c.decodeJSON(cl.op, resp)
			return err
		}
		return c.refusal(cl.op, resp, v)
	})
	if err != nil {
		cl.observeCall(ctx, err)
		return nil, err
	}
	r := &Reply{StatusCode: resp.StatusCode, Header: resp.Header, c: c, op: cl.op}
	if kind == BodyJSON {
		resp.Body.Close()
		r.JSON = doc
		cl.observeCall(ctx, nil)
		return r, nil
	}
	r.Content = contentOf(resp, c.secrets)
	if cl.obs != nil {
		r.Content.Body = &observedContent{rc: r.Content.Body, c: cl, ctx: ctx}
	}
	return r, nil
}

// refusal is the error of a reply Classify did not call a file: a 206
// that does not answer the request (a *material.APIError that also
// matches ErrLength, the fragment left unread), or the error reply as
// replyError reads it.
func (c *Client) refusal(op string, resp *http.Response, v verdict) error {
	if v.partial {
		resp.Body.Close()
		return &partialError{&material.APIError{Platform: c.platform, Op: op, HTTPStatus: resp.StatusCode, Message: v.why}}
	}
	return c.replyError(op, resp, v.why)
}

// partialError is a 206 reply that does not answer the request: a
// fragment is not the file. It is a *material.APIError and matches
// ErrLength.
type partialError struct{ *material.APIError }

func (e *partialError) Unwrap() error        { return e.APIError }
func (e *partialError) Is(target error) bool { return target == ErrLength }

// contentOf is the file a reply holds. The name and the type come from the
// reply's headers: whatever of them secrets holds (a token a server echoed)
// is hidden, since callers show and save them.
func contentOf(resp *http.Response, secrets *redact.Set) *material.Content {
	return &material.Content{
		Name:        secrets.Scrub(filenameOf(resp.Header.Get("Content-Disposition"))),
		ContentType: secrets.Scrub(resp.Header.Get("Content-Type")),
		Size:        resp.ContentLength,
		Body:        resp.Body,
	}
}

// DownloadLink streams a link a platform handed out instead of bytes (an
// Official Account video's down_url or video_url). The link is fetched as
// it is, with hc (redirects as hc decides: such links carry no token), and
// its reply goes through Classify: only file bytes come back as a Content,
// which the caller reads and closes. Anything else is a
// *material.APIError of platform whose Op is "GET host/path": an errcode,
// a JSON document (not a file), an HTML page, an HTTP status; 404 and 410
// also match material.ErrNotFound. A link that is not an absolute http(s)
// URL matches material.ErrInvalidInput.
func DownloadLink(ctx context.Context, hc *http.Client, platform material.Platform, link string) (*material.Content, error) {
	return downloadLink(ctx, hc, platform, link, nil)
}

// DownloadLink is the package's DownloadLink with this client's platform,
// and with every token and secret the client holds scrubbed from any reply
// text in its errors.
func (c *Client) DownloadLink(ctx context.Context, hc *http.Client, link string) (*material.Content, error) {
	return downloadLink(ctx, hc, c.platform, link, c.secrets)
}

func downloadLink(ctx context.Context, hc *http.Client, platform material.Platform, link string, secrets *redact.Set) (*material.Content, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &material.ValidationError{Platform: platform, Field: "url", Problem: "not an absolute http(s) URL", Err: []error{material.ErrInvalidInput}}
	}
	if hc == nil {
		hc = &http.Client{Transport: DefaultTransport()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	op := "GET " + secrets.Scrub(u.Host+u.Path) // a link may carry a token in its path
	resp, err := hc.Do(req)
	if err != nil {
		// A *url.Error's message repeats the whole link.
		return nil, fmt.Errorf("%s: %w", op, redact.ErrorWith(redact.WithoutURL(err), secrets))
	}
	v := classify(resp)
	if v.kind == BodyFile {
		return contentOf(resp, secrets), nil
	}
	c := &Client{platform: platform, secrets: secrets}
	if v.kind == BodyJSON {
		v.why = "a JSON document, not a file"
	}
	err = c.refusal(op, resp, v)
	var apiErr *material.APIError
	if !errors.As(err, &apiErr) {
		err = fmt.Errorf("%s: %w", op, err) // an APIError names op itself
	}
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		err = fmt.Errorf("%w: %w", err, material.ErrNotFound)
	}
	return nil, err
}

var fallbackFilename = regexp.MustCompile(`(?i)filename(\*?)\s*=\s*("([^"]*)"|[^;]+)`)

// filenameOf returns the file name a Content-Disposition header gives,
// preferring RFC 5987 filename* (WeCom sends both forms for non-ASCII names)
// and reduced to a safe base name: no folders, no "..", no control
// characters. It returns "" when there is none.
func filenameOf(contentDisposition string) string {
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
// to create in a folder and to show on a terminal: separators removed,
// control characters (C0, DEL, C1) and bidirectional controls (which make
// "gpj.exe" show as "exe.jpg") removed, invalid UTF-8 replaced by "_", "."
// and ".." refused.
func CleanFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(path.Clean("/" + name))
	name = string(bytes.ToValidUTF8([]byte(name), []byte("_")))
	name = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "/" || name == "." || name == ".." {
		return ""
	}
	return name
}
