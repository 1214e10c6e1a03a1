package transport

import (
	"fmt"
	"io"
	"net/http"

	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/material"
)

// MaxJSON bounds a JSON reply; a longer one is an error, and no more than
// MaxJSON bytes of it are ever held.
//
// The largest reply of these APIs is a batchget_material page of 20 news
// items of up to 8 articles each, whose content is under 20,000
// characters. A character takes at most 6 bytes of JSON (\uXXXX), so a
// content is under 120,000 bytes; with 8 KiB for the other fields of an
// article (title, author, digest, links) a page is under
// 20 × 8 × 128,192 bytes, about 19.6 MiB.
const MaxJSON = 20 << 20

// readCapped reads a whole body of at most limit bytes. A declared length
// over the limit fails before a byte is read; a body of unknown length is
// read in chunks and fails as soon as it passes the limit, so a hostile
// reply never costs more than limit bytes (a legitimate one of unknown
// length costs twice its size for an instant, when the chunks are joined).
func readCapped(r io.Reader, length, limit int64) ([]byte, error) {
	if length > limit {
		return nil, errTooLong(limit)
	}
	if length >= 0 {
		buf := make([]byte, length)
		if _, err := io.ReadFull(r, buf); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return buf, nil
	}
	var (
		chunks [][]byte
		total  int64
		size   = 4 << 10
	)
	for {
		c := make([]byte, size)
		n, err := io.ReadFull(r, c)
		total += int64(n)
		if total > limit {
			return nil, errTooLong(limit)
		}
		chunks = append(chunks, c[:n])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
		size = min(2*size, 1<<20)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

// tooLongError is a reply over the bound it was read with.
type tooLongError int64

func errTooLong(limit int64) error { return tooLongError(limit) }

func (e tooLongError) Error() string {
	return fmt.Sprintf("the reply is longer than %d bytes, more than any reply of these APIs", int64(e))
}

// decodeJSON is the one decoder of JSON replies: it reads the body (at most
// MaxJSON bytes) and turns an error reply (a non-zero or malformed errcode,
// an HTTP status other than 200, a body that is not one JSON object) into a
// *material.APIError. A reply without errcode, or with errcode 0, is a
// success; its bytes are returned. A reply that cannot be read in full is
// an error that is not an APIError. A reply with another status than 200
// is an error whatever it holds: at most its first 64 KiB are read, to
// find an errcode and an excerpt.
func (c *Client) decodeJSON(op string, resp *http.Response) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		why := ""
		if resp.StatusCode == http.StatusPartialContent {
			why = "a JSON reply in parts (HTTP 206)"
		}
		return nil, c.replyError(op, resp, why)
	}
	defer resp.Body.Close()
	body, err := readCapped(resp.Body, resp.ContentLength, MaxJSON)
	if err != nil {
		if _, ok := err.(tooLongError); ok {
			return nil, &material.APIError{Platform: c.platform, Op: op, HTTPStatus: resp.StatusCode, Message: err.Error()}
		}
		return nil, fmt.Errorf("read the reply: %w", err) // the caller names the endpoint
	}
	return c.judgeJSON(op, resp, body, "")
}

// replyError turns a reply Classify called an error into a
// *material.APIError, reading at most peekLimit bytes of it: enough for
// any error envelope.
func (c *Client) replyError(op string, resp *http.Response, why string) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	if err != nil && len(body) == 0 {
		return fmt.Errorf("read the reply: %w", err) // the caller names the endpoint
	}
	_, err = c.judgeJSON(op, resp, body, why)
	if err == nil { // cannot happen: Classify found an error
		err = &material.APIError{Platform: c.platform, Op: op, HTTPStatus: resp.StatusCode, Message: why}
	}
	return err
}

// judgeJSON is the verdict on a reply's bytes: the errcode first, then the
// status, then whether the bytes are one JSON object. why, when set, says
// why the reply is an error if nothing else does.
func (c *Client) judgeJSON(op string, resp *http.Response, body []byte, why string) ([]byte, error) {
	if i := firstByte(body); i > 0 {
		body = body[i:]
	}
	env := scanEnvelope(body, true)
	switch {
	case env.malformed:
		return nil, &material.APIError{Platform: c.platform, Op: op, HTTPStatus: resp.StatusCode, Message: "the reply's errcode is not a number: " + redact.Snippet(body, c.secrets)}
	case env.has && env.code != 0:
		msg, rid := material.ParseErrmsg(env.msg)
		return nil, &material.APIError{Platform: c.platform, Op: op, Code: env.code, HTTPStatus: resp.StatusCode,
			Message: redact.Snippet(msg, c.secrets), RequestID: redact.Snippet(rid, c.secrets)}
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent:
		return nil, c.statusError(op, resp, body)
	case why != "":
		return nil, &material.APIError{Platform: c.platform, Op: op, HTTPStatus: resp.StatusCode, Message: why + ": " + redact.Snippet(body, c.secrets)}
	case !env.complete || !env.valid:
		return nil, &material.APIError{Platform: c.platform, Op: op, HTTPStatus: resp.StatusCode, Message: "the reply is not a JSON object: " + redact.Snippet(body, c.secrets)}
	}
	return body, nil
}

// statusError is an HTTP error status; a redirect names its target's host
// only.
func (c *Client) statusError(op string, resp *http.Response, body []byte) *material.APIError {
	e := &material.APIError{Platform: c.platform, Op: op, HTTPStatus: resp.StatusCode}
	switch {
	case redact.IsRedirect(resp.StatusCode):
		e.Message = redact.RedirectMessage(resp, c.secrets)
	case resp.StatusCode == http.StatusPreconditionFailed:
		e.Message = "the platform refuses chunked uploads"
	case len(body) > 0:
		e.Message = redact.Snippet(body, c.secrets)
	}
	return e
}

// Snippet returns reply text fit for an error message: decoded as a reader
// would read it, scrubbed of every token and secret this client holds or
// held (whole, or any run of 12 bytes of one), made printable and cut
// short (see Config.Secrets).
func (c *Client) Snippet(text []byte) string { return redact.Snippet(text, c.secrets) }
