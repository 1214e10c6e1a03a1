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

// UserAgent is sent with every request.
const UserAgent = "wxmaterial (+https://github.com/wxmaterial/wxmaterial)"

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
	policy   RetryPolicy
	secrets  *redact.Set // the tokens sent and Config.Secrets: scrubbed from any reply text in an error
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
	hc.Transport = &tokenTransport{base: hc.Transport, tokens: cfg.Tokens, platform: cfg.Platform, host: base.Host, secrets: secrets}

	c := &Client{platform: cfg.Platform, base: base, log: log, policy: policy, secrets: secrets}
	c.rc = &retryablehttp.Client{
		HTTPClient:      hc,
		Logger:          nil, // its logger prints URLs; ours logs paths only
		RetryWaitMin:    policy.MinDelay,
		RetryWaitMax:    policy.MaxDelay,
		RetryMax:        policy.MaxAttempts - 1,
		CheckRetry:      c.checkRetry,
		Backoff:         policy.backoff,
		ErrorHandler:    func(resp *http.Response, err error, n int) (*http.Response, error) { return resp, err },
		RequestLogHook:  c.logRequest,
		ResponseLogHook: c.logResponse,
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

// Request describes one API call.
type Request struct {
	// Op names the endpoint in errors and logs; the path without its
	// leading slash when empty (e.g. "cgi-bin/media/upload").
	Op     string
	Method string     // GET when empty
	Path   string     // relative to the base URL, e.g. "/cgi-bin/media/get"
	Query  url.Values // never the access token: the transport adds it
	// JSON is encoded as the body (HTML not escaped: article URLs carry &).
	JSON any
	// Body is a raw body, e.g. from Multipart; ContentType is its type.
	Body        *Body
	ContentType string
	// Header holds extra headers, e.g. Range.
	Header http.Header
	// Write marks a call that changes state on the server. It is sent
	// again only when the platform provably did not act on it: an HTTP 200
	// reply with a rejected-token errcode (replayed once with a new token)
	// or a busy errcode (-1, 45011, 45033), or no connection obtained for
	// it. Once a connection was obtained, any other failure ends the call;
	// when the whole request had left this side, its error matches
	// material.ErrOutcomeUnknown (see the package documentation).
	Write bool
}

func (r *Request) op() string {
	if r.Op != "" {
		return r.Op
	}
	return strings.TrimPrefix(r.Path, "/")
}

// Required is implemented by a reply type that knows what a successful
// reply must hold. Do calls Missing after decoding a success into it; a
// non-empty result names what is missing (e.g. "media_id") and fails the
// call. For a write, that error matches material.ErrOutcomeUnknown: a
// reply without the new item's id does not mean the item was not made.
type Required interface {
	Missing() string
}

// Do sends req and decodes the JSON reply into out (if not nil).
func (c *Client) Do(ctx context.Context, req *Request, out any) error {
	cl := &call{op: req.op(), write: req.Write}
	resp, err := c.do(ctx, req, cl, func(resp *http.Response) error {
		body, err := c.decodeJSON(cl.op, resp)
		if err != nil {
			return err
		}
		if cl.write {
			if complete, _ := cl.bodyState(); !complete {
				return &untrustedReply{}
			}
		}
		if out != nil {
			if err := json.Unmarshal(body, out); err != nil {
				return &material.APIError{Platform: c.platform, Op: cl.op, HTTPStatus: resp.StatusCode,
					Message: "the reply does not decode: " + redact.Snippet(err.Error(), c.secrets)}
			}
			if r, ok := out.(Required); ok {
				if m := r.Missing(); m != "" {
					return &material.APIError{Platform: c.platform, Op: cl.op, HTTPStatus: resp.StatusCode,
						Message: "the reply has no " + m + ": " + redact.Snippet(body, c.secrets)}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// do builds and sends the request through go-retryablehttp with handle as
// its response handler, and turns a failure into the error a caller sees.
func (c *Client) do(ctx context.Context, req *Request, cl *call, handle func(*http.Response) error) (*http.Response, error) {
	rreq, err := c.newRequest(withCall(ctx, cl), req, cl)
	if err != nil {
		return nil, err
	}
	rreq.SetResponseHandler(handle)
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
	var body *Body
	contentType := req.ContentType
	switch {
	case req.JSON != nil && req.Body != nil:
		return nil, fmt.Errorf("transport: %s: both JSON and Body set", cl.op)
	case req.JSON != nil:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(req.JSON); err != nil {
			return nil, fmt.Errorf("transport: %s: encode request: %w", cl.op, err)
		}
		b := BytesBody(bytes.TrimRight(buf.Bytes(), "\n"))
		body, contentType = &b, "application/json"
	case req.Body != nil:
		body = req.Body
	}
	var raw any
	if body != nil {
		raw = retryablehttp.ReaderFunc(func() (io.Reader, error) {
			r, err := body.Open()
			if err != nil {
				cl.openFailed(err)
			}
			return r, err
		})
		cl.replayable = body.Replayable
	} else {
		cl.replayable = true
	}
	rreq, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), raw)
	if err != nil {
		return nil, fmt.Errorf("transport: %s: %w", cl.op, redact.Error(err))
	}
	if body != nil {
		// A ReaderFunc gives no length; without one net/http would send a
		// chunked body, which the platforms refuse with HTTP 412.
		rreq.ContentLength = body.Size
		if body.Size == 0 {
			rreq.Body, rreq.GetBody = http.NoBody, nil
		}
		if !body.Replayable {
			rreq.GetBody = nil
		}
	}
	for k, v := range req.Header {
		rreq.Header[k] = v
	}
	if contentType != "" {
		rreq.Header.Set("Content-Type", contentType)
	}
	rreq.Header.Set("User-Agent", UserAgent)
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
	if oerr := cl.openError(); oerr != nil {
		return fmt.Errorf("%s %s: open the request body: %w", c.platform, cl.op, redact.ErrorWith(oerr, c.secrets))
	}
	if _, local := cl.bodyState(); local != nil {
		e := fmt.Errorf("%s %s: read the request body: %w", c.platform, cl.op, redact.ErrorWith(local, c.secrets))
		return unknown(e, "the server answered success to a request it cannot have received in full")
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return unknown(fmt.Errorf("%s %s: %w", c.platform, cl.op, context.Cause(ctx)),
			"the request was sent in full and its reply was not read")
	}
	var apiErr *material.APIError
	if errors.As(err, &apiErr) {
		if apiErr.TokenRejected() && !cl.replayable {
			return fmt.Errorf("%w; the request was not replayed with a new token because %w", apiErr, material.ErrNotReplayable)
		}
		return unknown(apiErr, "the request was sent in full and the reply is not the platform's verdict")
	}
	var te *tokenError
	if errors.As(err, &te) {
		return fmt.Errorf("%s %s: %w", c.platform, cl.op, redact.ErrorWith(err, c.secrets))
	}
	var ut *untrustedReply
	if errors.As(err, &ut) {
		return unknown(fmt.Errorf("%s %s: %w", c.platform, cl.op, err), "a server claimed to have acted")
	}
	return unknown(fmt.Errorf("%s %s: %w", c.platform, cl.op, redact.ErrorWith(err, c.secrets)),
		"the request was sent in full before the failure")
}

func (c *Client) logRequest(_ retryablehttp.Logger, req *http.Request, attempt int) {
	c.log.LogAttrs(req.Context(), slog.LevelDebug, "wxmaterial request",
		slog.String("platform", string(c.platform)), slog.String("method", req.Method),
		slog.String("host", req.URL.Host), slog.String("path", req.URL.Path), slog.Int("attempt", attempt+1))
}

func (c *Client) logResponse(_ retryablehttp.Logger, resp *http.Response) {
	c.log.LogAttrs(resp.Request.Context(), slog.LevelDebug, "wxmaterial response",
		slog.String("platform", string(c.platform)), slog.String("path", resp.Request.URL.Path), slog.Int("status", resp.StatusCode))
}
