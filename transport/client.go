package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/material"
)

// userAgent is sent with every request.
const userAgent = "wxmaterial (+https://github.com/wxmaterial/wxmaterial)"

// Config configures a Client.
type Config struct {
	// Platform says whose codes the replies carry.
	Platform material.Platform
	// BaseURL is the platform host, e.g. https://api.weixin.qq.com, or an
	// emulator's address (it may carry a path prefix).
	BaseURL string
	// Tokens supplies the access token added to every request to BaseURL.
	Tokens TokenSource
	// HTTPClient's Transport, Timeout and Jar are used; nil selects a
	// transport with dial, TLS and response-header timeouts and no overall
	// timeout (a 200 MB transfer must not be cut off). Redirects are never
	// followed, whatever its CheckRedirect: the platforms do not redirect
	// API calls, and a redirect must not carry the token elsewhere; a 3xx
	// reply is an error naming its status and the target's host only.
	//
	// Whether a write may be sent again depends on knowing that no
	// connection carried it: the Transport should report its connections
	// through net/http/httptrace, as *http.Transport does. With one that
	// does not, only a dial, DNS, proxy or TLS handshake error counts as
	// "not sent". A success reply to a write is trusted only if the
	// Transport had read the whole request body when it came.
	HTTPClient *http.Client
	// Secrets are values that must never appear in an error or a log line,
	// whatever a server echoes: the AppSecret or corp secret behind the
	// tokens. The tokens this client sends are added as it gets them.
	Secrets []string
	// Logger receives one debug line per attempt (method, host, path,
	// status, errcode, duration) and a warning per retry. It never gets a
	// query string or a body. Nil discards.
	Logger *slog.Logger
	// Retry is the retry policy; zero fields take the defaults.
	Retry RetryPolicy
	// Observer, if not nil, is told of every attempt and every call (see
	// Observer).
	Observer Observer
}

// Client sends requests to one platform host: it adds the access token in
// its innermost transport, retries by policy, replays once with a new token
// when the platform rejects one, and decodes every reply, HTTP 200 with an
// errcode included, into a *material.APIError.
type Client struct {
	platform material.Platform
	base     *url.URL
	rc       *retryablehttp.Client
	log      *slog.Logger
	secrets  *redact.Set // the tokens sent and Config.Secrets: scrubbed from any reply text in an error
	obs      Observer
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Platform != material.OfficialAccount && cfg.Platform != material.WeCom {
		return nil, fmt.Errorf("transport: unknown platform %q", cfg.Platform)
	}
	if cfg.Tokens == nil {
		return nil, errNoToken
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("transport: base URL %q is not an absolute http(s) URL", redact.String(cfg.BaseURL))
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("transport: base URL %q must not have a query or fragment", redact.String(cfg.BaseURL))
	}
	policy, err := cfg.Retry.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	secrets := redact.NewSet(cfg.Secrets...)
	hc := redact.NoRedirects(cfg.HTTPClient)
	if hc.Transport == nil {
		hc.Transport = DefaultTransport()
	}
	hc.Transport = &tokenTransport{base: hc.Transport, tokens: cfg.Tokens, platform: cfg.Platform, host: base.Host, secrets: secrets, log: log}

	c := &Client{platform: cfg.Platform, base: base, log: log, secrets: secrets, obs: cfg.Observer}
	c.rc = &retryablehttp.Client{
		HTTPClient:     hc,
		Logger:         nil, // its logger prints URLs; ours logs paths only
		RetryWaitMin:   policy.MinDelay,
		RetryWaitMax:   policy.MaxDelay,
		RetryMax:       policy.MaxAttempts - 1,
		CheckRetry:     c.checkRetry,
		Backoff:        policy.backoff,
		ErrorHandler:   func(resp *http.Response, err error, n int) (*http.Response, error) { return resp, err },
		RequestLogHook: c.logRequest,
		// No ResponseLogHook: go-retryablehttp skips it when the response
		// handler fails (an errcode reply); do logs every reply instead.
	}
	return c, nil
}

// DefaultTransport returns the transport used when Config.HTTPClient is nil:
// timeouts on dialing, TLS and waiting for response headers, none on the
// transfer itself, which the context bounds.
func DefaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 120 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}
}

// Platform returns the platform the client talks to.
func (c *Client) Platform() material.Platform { return c.platform }

// Request describes one API call: an endpoint of the platform, its query
// (never the access token: the client adds it), and a JSON body or a file
// to upload.
type Request struct {
	// Op names the call for an Observer (Event.Operation), e.g. "upload";
	// the endpoint (Path without its leading slash) when empty. Errors
	// name the endpoint.
	Op     string
	Method string     // GET when empty
	Path   string     // relative to the base URL, e.g. "/cgi-bin/media/get"
	Query  url.Values // never the access token: the transport adds it
	// JSON is encoded as the body (HTML not escaped: article URLs carry &).
	JSON any
	// File, when set, is uploaded as the multipart part "media", after
	// Fields, the way both platforms take files: streamed, with an exact
	// Content-Length. It must have a known size; the clients check it
	// against the platform's limits (and spool a stream of unknown size)
	// before they send it. It is sent again (a retry, a replay with a new
	// token) only when it is Replayable.
	File   *material.Source
	Fields []Field
	// Header holds extra headers, e.g. Range.
	Header http.Header
	// Write marks a call that changes state on the server. It is sent
	// again only when the platform provably did not act on it: an HTTP 200
	// reply with a rejected-token errcode (replayed once with a new token)
	// or a busy errcode (-1, 45011, 45033), in a body that is exactly one
	// JSON object with one top-level errcode, a JSON integer; or no
	// connection obtained for it. Once a connection was obtained, any
	// other failure ends the call; when the whole request had left this
	// side, its error matches material.ErrOutcomeUnknown (see the package
	// documentation).
	Write bool
}

// endpoint is the path without its leading slash, e.g.
// "cgi-bin/media/upload": what errors name.
func (r *Request) endpoint() string { return strings.TrimPrefix(r.Path, "/") }

// Required is implemented by a reply type that knows what a successful
// reply must hold. Do (and Reply.Decode) call Missing after decoding a
// success into it; a non-empty result names what is missing (e.g.
// "media_id", or "total_count, item") and fails the call with a
// *material.APIError that says so. For a write, that error matches
// material.ErrOutcomeUnknown: a reply without the new item's id does not
// mean the item was not made. A read is not sent again: the server
// answered in full, and a retry is for a reply that did not come (see
// RetryPolicy).
type Required interface {
	Missing() string
}

// Do sends req and decodes the JSON reply into out (if not nil).
func (c *Client) Do(ctx context.Context, req *Request, out any) error {
	cl := c.newCall(req)
	resp, err := c.do(ctx, req, cl, func(resp *http.Response) error {
		body, err := c.decodeJSON(cl.op, resp)
		if err != nil {
			return err
		}
		if cl.write {
			if complete, _ := cl.bodyState(); !complete {
				return &untrustedReply{}
			}
			if why := unplainSuccess(body); why != "" {
				return &material.APIError{Platform: c.platform, Op: cl.op, HTTPStatus: resp.StatusCode, Message: why + ": " + redact.Snippet(body, c.secrets)}
			}
		}
		return c.decodeInto(cl.op, resp.StatusCode, body, out)
	})
	if err == nil {
		resp.Body.Close()
	}
	cl.observeCall(ctx, err)
	return err
}

// decodeInto decodes a success reply's body into out (if not nil) and, when
// out implements Required, checks that it holds what every success holds.
// Either failure is a *material.APIError naming what is wrong.
func (c *Client) decodeInto(op string, status int, body []byte, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &material.APIError{Platform: c.platform, Op: op, HTTPStatus: status,
			Message: "the reply does not decode: " + redact.Snippet(err.Error(), c.secrets)}
	}
	if r, ok := out.(Required); ok {
		if m := r.Missing(); m != "" {
			return &material.APIError{Platform: c.platform, Op: op, HTTPStatus: status,
				Message: "the reply has no " + m + ": " + redact.Snippet(body, c.secrets)}
		}
	}
	return nil
}

// newCall makes the state of a call of req.
func (c *Client) newCall(req *Request) *call {
	cl := &call{op: req.endpoint(), write: req.Write}
	if c.obs != nil {
		op := req.Op
		if op == "" {
			op = cl.op
		}
		cl.obs = &tally{o: c.obs, start: time.Now(),
			event: Event{Kind: EventCall, Platform: c.platform, Operation: op, Path: "/" + cl.op}}
	}
	return cl
}

// do builds and sends the request through go-retryablehttp with handle as
// its response handler, and turns a failure into the error a caller sees.
func (c *Client) do(ctx context.Context, req *Request, cl *call, handle func(*http.Response) error) (*http.Response, error) {
	rreq, err := c.newRequest(withCall(ctx, cl), req, cl)
	if err != nil {
		return nil, err
	}
	rreq.SetResponseHandler(func(resp *http.Response) error {
		cl.markHandled()
		err := handle(resp)
		c.logResponse(resp, err)
		return err
	})
	resp, err := c.rc.Do(rreq)
	if err != nil {
		if resp != nil {
			drain(resp)
		}
		return nil, c.finalError(ctx, cl, err)
	}
	return resp, nil
}

func (c *Client) newRequest(ctx context.Context, req *Request, cl *call) (*retryablehttp.Request, error) {
	u := *c.base
	u.Path = c.base.Path + req.Path
	u.RawQuery = req.Query.Encode()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var (
		raw         retryablehttp.ReaderFunc
		size        int64
		contentType string
	)
	cl.replayable = true
	switch {
	case req.JSON != nil && req.File != nil:
		return nil, fmt.Errorf("%s: both JSON and File set: %w", cl.op, material.ErrInvalidInput)
	case req.JSON != nil:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(req.JSON); err != nil {
			return nil, fmt.Errorf("%s: encode the request: %w", cl.op, err)
		}
		b := bytes.TrimRight(buf.Bytes(), "\n")
		raw = func() (io.Reader, error) { return bytes.NewReader(b), nil }
		size, contentType = int64(len(b)), "application/json"
	case req.File != nil:
		f, err := newForm(req.Fields, *req.File, c.platform == material.WeCom)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cl.op, err)
		}
		raw = func() (io.Reader, error) { return f.reader(), nil }
		size, contentType = f.size(), f.contentType
		cl.replayable = req.File.Replayable()
	}
	var body any
	if raw != nil {
		body = raw
	}
	rreq, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cl.op, redact.Error(err))
	}
	if raw != nil {
		// A ReaderFunc gives no length; without one net/http would send a
		// chunked body, which the platforms refuse with HTTP 412.
		rreq.ContentLength = size
		if size == 0 {
			rreq.Body, rreq.GetBody = http.NoBody, nil
		}
		if !cl.replayable {
			rreq.GetBody = nil
		}
	}
	for k, v := range req.Header {
		rreq.Header[k] = v
	}
	if contentType != "" {
		rreq.Header.Set("Content-Type", contentType)
	}
	rreq.Header.Set("User-Agent", userAgent)
	return rreq, nil
}

// finalError makes the error a caller sees from what go-retryablehttp gave
// up with: a local failure to read the body when there was one, else the
// context's error when it ended, the *material.APIError when the platform
// answered, otherwise the transport error, redacted; each is marked
// material.ErrOutcomeUnknown when judge found that a write may have been
// applied.
func (c *Client) finalError(ctx context.Context, cl *call, err error) error {
	o := cl.outcome()
	unknown := func(e error, why string) error {
		if !o.unknown {
			return e
		}
		return fmt.Errorf("%w (%w: %s)", e, material.ErrOutcomeUnknown, why)
	}
	if _, local := cl.bodyState(); local != nil {
		e := &localError{op: cl.op, err: redact.ErrorWith(local, c.secrets)}
		return unknown(e, "the server answered success to a request it cannot have received in full")
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return unknown(fmt.Errorf("%s: %w", cl.op, context.Cause(ctx)),
			"the request was sent in full and its reply was not read")
	}
	var apiErr *material.APIError
	if errors.As(err, &apiErr) {
		if apiErr.TokenRejected() && !cl.replayable && !o.unknown {
			return fmt.Errorf("%w; the request was not replayed with a new token because %w", apiErr, material.ErrNotReplayable)
		}
		var partial *partialError
		if errors.As(err, &partial) {
			return partial // a read's: never an unknown outcome
		}
		return unknown(apiErr, "the request was sent in full and the reply is not the platform's verdict")
	}
	var te *tokenError
	if errors.As(err, &te) {
		return fmt.Errorf("%s: %w", cl.op, redact.ErrorWith(redact.WithoutURL(err), c.secrets))
	}
	var ut *untrustedReply
	if errors.As(err, &ut) {
		return unknown(fmt.Errorf("%s: %w", cl.op, err), "a server claimed to have acted")
	}
	return unknown(fmt.Errorf("%s: %w", cl.op, redact.ErrorWith(redact.WithoutURL(err), c.secrets)),
		"the request was sent in full before the failure")
}

// logRequest is go-retryablehttp's RequestLogHook, called before each
// attempt: it starts the attempt and logs it.
func (c *Client) logRequest(_ retryablehttp.Logger, req *http.Request, attempt int) {
	if cl := callFrom(req.Context()); cl != nil {
		cl.startAttempt(attempt + 1)
	}
	c.log.LogAttrs(req.Context(), slog.LevelDebug, "wxmaterial request",
		slog.String("platform", string(c.platform)), slog.String("method", req.Method),
		slog.String("host", req.URL.Host), slog.String("path", req.URL.Path), slog.Int("attempt", attempt+1))
}

// logResponse logs a reply the response handler judged, err being its
// verdict: the status, and the errcode when the platform answered one.
func (c *Client) logResponse(resp *http.Response, err error) {
	code := 0
	var apiErr *material.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.Code
	}
	logReply(resp.Request.Context(), c.log, c.platform, resp, code, false)
}

// logReply writes the "wxmaterial response" line of one reply: its path
// (never a query), status and errcode (when not 0), and whether it
// rejected the access token (the request is then replayed).
func logReply(ctx context.Context, log *slog.Logger, p material.Platform, resp *http.Response, code int, tokenRejected bool) {
	attrs := []slog.Attr{slog.String("platform", string(p)), slog.String("path", resp.Request.URL.Path), slog.Int("status", resp.StatusCode)}
	if code != 0 {
		attrs = append(attrs, slog.Int("errcode", code))
	}
	if tokenRejected {
		attrs = append(attrs, slog.Bool("token_rejected", true))
	}
	log.LogAttrs(ctx, slog.LevelDebug, "wxmaterial response", attrs...)
}

// localError is a request body that failed on this side as it was sent: a
// Source that could not be opened or read, or that yielded more or fewer
// bytes than it declared. The platform never got a complete request.
type localError struct {
	op  string
	err error
}

func (e *localError) Error() string { return e.op + ": read the request body: " + e.err.Error() }
func (e *localError) Unwrap() error { return e.err }
