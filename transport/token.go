package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

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
	host     string       // the token is only ever sent to this host
	secrets  *redact.Set  // every token sent is registered here
	log      *slog.Logger // logs a rejected reply and its replay, which go-retryablehttp does not see
}

// tokenError is a failure to get a token: no request was sent.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "get access token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host {
		resp, _, err := t.send(req, "")
		return resp, err
	}
	ctx := req.Context()
	tok, err := t.tokens.Token(ctx)
	if err != nil {
		closeBody(req)
		return nil, &tokenError{err}
	}
	resp, d, err := t.sendJudged(req, tok)
	if err != nil || d != tokenRejected {
		return resp, err
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
	logReply(ctx, t.log, t.platform, resp, classify(resp).code, true)
	drain(resp)
	if c := callFrom(ctx); c != nil {
		c.tokenRefreshed()
	}
	replay := req.Clone(ctx)
	replay.Body = body
	t.log.LogAttrs(ctx, slog.LevelDebug, "wxmaterial request",
		slog.String("platform", string(t.platform)), slog.String("method", req.Method),
		slog.String("host", req.URL.Host), slog.String("path", req.URL.Path), slog.Bool("replay", true))
	resp, _, err = t.sendJudged(replay, newTok)
	return resp, err
}

// sendJudged sends req with tok, classifies the reply (Classify) and tells
// the call what the reply said about the request (declined).
func (t *tokenTransport) sendJudged(req *http.Request, tok string) (*http.Response, decline, error) {
	resp, n, err := t.send(req, tok)
	if err != nil {
		return resp, notDeclined, err
	}
	d := declined(t.platform, resp.StatusCode, classify(resp).whole)
	if c := callFrom(req.Context()); c != nil {
		c.setDeclined(n, d)
	}
	return resp, d, nil
}

// send adds tok to a clone of req and sends it, with the call told what
// becomes of it (a connection obtained, the body sent in full); it returns
// the send's number (0 outside a call).
func (t *tokenTransport) send(req *http.Request, tok string) (*http.Response, int, error) {
	out := req.Clone(req.Context())
	n := 0
	c := callFrom(req.Context())
	if c != nil {
		out, n = c.begin(req)
	}
	if tok != "" {
		t.secrets.AddToken(tok)
		q := out.URL.Query()
		q.Set("access_token", tok)
		out.URL.RawQuery = q.Encode()
	}
	resp, err := t.base.RoundTrip(out)
	if resp != nil {
		resp.Request = req // never let the token-bearing clone escape
		if c != nil && c.obs != nil {
			resp.Body = &countedBody{rc: resp.Body, c: c}
		}
	}
	return resp, n, err
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
