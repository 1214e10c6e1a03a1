package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"strings"

	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/material"
)

// TokenSource supplies access tokens. auth.Cache and auth.Static implement
// it.
type TokenSource interface {
	// Token returns a valid access token.
	Token(ctx context.Context) (string, error)
	// Invalidate reports that the platform rejected the token rejected. It
	// drops it only if the source still holds that same token. It returns
	// an error when the source cannot produce another token; the call is
	// then not replayed.
	Invalidate(ctx context.Context, rejected string) error
}

// tokenTransport is the innermost RoundTripper: the only place an access
// token exists in a URL. It adds the token to a clone of the request, puts
// the token-free request back into the response, and when the platform
// rejects the token (40001, 40014, 42001) it invalidates that token, gets a
// new one and replays the request once.
//
// Nothing above it (go-retryablehttp's errors and logs, net/http's
// *url.Error, the caller) ever sees a URL with the token.
type tokenTransport struct {
	base     http.RoundTripper
	tokens   TokenSource
	platform material.Platform
	host     string // the token is only ever sent to this host
}

// tokenError is a failure to get a token: no request was sent.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "get access token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		return t.send(req, "")
	}
	ctx := req.Context()
	tok, err := t.tokens.Token(ctx)
	if err != nil {
		closeBody(req)
		return nil, &tokenError{err}
	}
	resp, err := t.send(req, tok)
	if err != nil {
		return nil, err
	}
	code, ok := inspect(resp, tok)
	if !ok || !(&material.APIError{Platform: t.platform, Code: code}).TokenRejected() {
		return resp, nil
	}
	// The platform refused this token: it did not act on the request.
	if err := t.tokens.Invalidate(ctx, tok); err != nil {
		return resp, nil // no other token to try; the decoder reports the rejection
	}
	var body io.ReadCloser
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return resp, nil // the decoder reports ErrNotReplayable with the rejection
		}
		if body, err = req.GetBody(); err != nil {
			drain(resp)
			return nil, fmt.Errorf("reopen the request body to replay it: %w", err)
		}
	}
	newTok, err := t.tokens.Token(ctx)
	if err != nil {
		if body != nil {
			body.Close()
		}
		drain(resp)
		return nil, &tokenError{err}
	}
	drain(resp)
	replay := req.Clone(ctx)
	replay.Body = body
	resp, err = t.send(replay, newTok)
	if resp != nil {
		resp.Request = req
		inspect(resp, newTok) // scrub the new token from an echoing reply too
	}
	return resp, err
}

// send adds tok to a clone of req and sends it, tracing whether the request
// was written in full (a write that was not cannot have been applied).
func (t *tokenTransport) send(req *http.Request, tok string) (*http.Response, error) {
	ctx := req.Context()
	c := callFrom(ctx)
	if c != nil {
		c.setSent(false)
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			WroteRequest:         func(info httptrace.WroteRequestInfo) { c.setSent(info.Err == nil) },
			GotFirstResponseByte: c.setAnswered,
		})
	}
	out := req.Clone(ctx)
	out.Body = req.Body // Clone shares it anyway; keep it explicit
	if tok != "" {
		q := out.URL.Query()
		q.Set("access_token", tok)
		out.URL.RawQuery = q.Encode()
	}
	resp, err := t.base.RoundTrip(out)
	if resp != nil {
		resp.Request = req // never let the token-bearing clone escape
	}
	return resp, err
}

// peekLimit bounds how much of a reply is read to look for an errcode:
// error envelopes are small, file bodies are never peeked.
const peekLimit = 64 << 10

// inspect reads a small non-file reply, scrubs the token from it (a reply
// that echoes the request must not carry the token into an error message),
// puts the bytes back and returns its errcode. File replies (an attachment,
// a non-JSON type, a large body) are left untouched.
func inspect(resp *http.Response, tok string) (int, bool) {
	if !mayBeEnvelope(resp) || resp.ContentLength > peekLimit {
		return 0, false
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, peekLimit+1))
	if tok != "" && bytes.Contains(head, []byte(tok)) {
		head = bytes.ReplaceAll(head, []byte(tok), []byte(redact.Marker))
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
	}
	resp.Body = &readCloser{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body}
	if err != nil || len(head) > peekLimit {
		return 0, false
	}
	var env struct {
		Errcode *int `json:"errcode"`
	}
	if json.Unmarshal(head, &env) != nil || env.Errcode == nil {
		return 0, false
	}
	return *env.Errcode, true
}

// mayBeEnvelope tells a possible JSON reply from file bytes by the headers:
// a reply with a file name or a media type other than JSON or text is a file.
func mayBeEnvelope(resp *http.Response) bool {
	if cd := resp.Header.Get("Content-Disposition"); cd != "" {
		return false
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || mt == "text/plain" || mt == "text/html" || strings.HasSuffix(mt, "+json")
}

type readCloser struct {
	io.Reader
	io.Closer
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// drain reads a little of an unwanted reply so its connection can be
// reused, then closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, peekLimit))
	resp.Body.Close()
}

var errNoToken = errors.New("transport: no token source configured")
