package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/poll"
	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
)

// The platforms' hosts.
const (
	OfficialAccountBaseURL = "https://api.weixin.qq.com"   // the Official Account API
	WeComBaseURL           = "https://qyapi.weixin.qq.com" // the WeCom API
)

// maxExpiresIn bounds a token's lifetime in seconds (the platforms say
// 7200); a larger value is a broken reply, not a token to keep for years.
const maxExpiresIn = 366 * 24 * 3600

// maxReply caps what is read of a token endpoint's reply: a token is at most
// 512 bytes, an error a few hundred.
const maxReply = 64 << 10

// FetcherOption configures a fetcher. Options validate their argument; a bad
// one makes the constructor fail.
type FetcherOption func(*fetcherOptions) error

type fetcherOptions struct {
	base   *url.URL
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
	retry  poll.Policy // with the defaults filled in
}

// WithBaseURL sends the requests to base in place of the platform's host,
// e.g. the emulator mounted at "http://127.0.0.1:8080/oa". The endpoint path
// is joined onto base's path. base must be an absolute http or https URL
// without query or fragment.
func WithBaseURL(base string) FetcherOption {
	return func(o *fetcherOptions) error {
		u, err := url.Parse(base)
		if err != nil {
			return fmt.Errorf("auth: base URL: %w", material.ErrInvalidInput)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("auth: base URL %q: want an absolute http or https URL: %w", redact.URL(u), material.ErrInvalidInput)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("auth: base URL %q: no query, fragment or user info allowed: %w", redact.URL(u), material.ErrInvalidInput)
		}
		o.base = u
		return nil
	}
}

// WithHTTPClient makes the fetcher send its requests with a copy of c (its
// Transport, Timeout and Jar). The default client has dial, TLS handshake
// and response-header timeouts and a 30 s overall timeout. Whatever c's
// CheckRedirect, the fetcher follows no redirect: its requests carry the
// secret, which a redirect would carry elsewhere (a 307 re-posts the
// stable_token body). A 3xx reply is an error naming its status and the
// target's host only.
func WithHTTPClient(c *http.Client) FetcherOption {
	return func(o *fetcherOptions) error {
		if c == nil {
			return fmt.Errorf("auth: nil HTTP client: %w", material.ErrInvalidInput)
		}
		o.client = redact.NoRedirects(c)
		return nil
	}
}

// WithFetcherClock sets the clock the fetcher computes ExpiresAt (and the
// stable token's 30 s force_refresh spacing) with; default time.Now. Give
// the Cache the same clock (WithClock).
func WithFetcherClock(now func() time.Time) FetcherOption {
	return func(o *fetcherOptions) error {
		if now == nil {
			return fmt.Errorf("auth: nil clock: %w", material.ErrInvalidInput)
		}
		o.now = now
		return nil
	}
}

// WithFetcherLogger makes the fetcher log each request at debug level:
// method, host, path, HTTP status or error, and duration. Never a query, a
// body, a secret or a token. The default discards.
func WithFetcherLogger(l *slog.Logger) FetcherOption {
	return func(o *fetcherOptions) error {
		if l == nil {
			return fmt.Errorf("auth: nil logger: %w", material.ErrInvalidInput)
		}
		o.log = l
		return nil
	}
}

// WithFetcherRetry sets how a fetch that failed in a way another attempt
// may fix is retried: at most attempts attempts, the first included (1
// disables retries), waiting from minDelay, doubling, up to maxDelay, with
// jitter (a random point in the upper half), or what a 429's or 503's
// Retry-After says up to maxDelay, and never past the fetch's context. A
// zero value takes the default, the same as the clients' retry policy: 4
// attempts, 500 ms, 8 s; officialaccount.New and work.New pass their
// WithRetry policy here. A negative value, or minDelay over maxDelay, is
// refused with an error matching material.ErrInvalidInput.
//
// A fetch is retried on errcode -1 (busy), 45011 (the Official Account's
// per-minute cap, stable_token's included: the next attempt may fall in
// the next minute), 45033, HTTP 429 and 5xx, a reply cut off and a
// connection error; never on an answer that another attempt would get
// again (40001, 40013, 40125, 40164, 41002, 41004, 45009, 89503 and every
// other errcode, a 4xx, a reply that is not a token). A forced refresh of
// the stable token counts toward its 20 a day even when its reply is lost:
// it is retried only when the platform declined it in plain JSON (HTTP 200
// with a busy errcode), never after a 5xx, a cut reply or a connection
// error.
//
// When the fetch's context has a deadline (a Cache gives each fetch
// WithFetchTimeout's), an attempt that another may follow gets at most half
// of the time left, but at least 5 s: one that hangs is cut off and
// retried, instead of spending the fetch's whole time. A forced refresh's
// attempts get all of it.
func WithFetcherRetry(attempts int, minDelay, maxDelay time.Duration) FetcherOption {
	return func(o *fetcherOptions) error {
		p, err := poll.Policy{Attempts: attempts, MinDelay: minDelay, MaxDelay: maxDelay}.WithDefaults()
		if err != nil {
			return fmt.Errorf("auth: retry: %w: %w", err, material.ErrInvalidInput)
		}
		o.retry = p
		return nil
	}
}

var defaultClient = sync.OnceValue(func() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return redact.NoRedirects(&http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConns:          10,
		},
	})
})

// endpoint is one token endpoint of a platform and what sending to it takes.
type endpoint struct {
	platform material.Platform
	op       string   // e.g. "cgi-bin/token"
	url      *url.URL // base joined with op, no query
	client   *http.Client
	now      func() time.Time
	log      *slog.Logger
	retry    poll.Policy
	// secrets holds what must never appear in an error: the secret and
	// every token fetched, in any of their forms.
	secrets *redact.Set
}

func newEndpoint(platform material.Platform, defaultBase, op, secret string, opts []FetcherOption) (*endpoint, error) {
	o := fetcherOptions{now: time.Now, log: slog.New(slog.DiscardHandler),
		retry: poll.Policy{Attempts: poll.DefaultAttempts, MinDelay: poll.DefaultMinDelay, MaxDelay: poll.DefaultMaxDelay}}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.base == nil {
		o.base, _ = url.Parse(defaultBase)
	}
	if o.client == nil {
		o.client = defaultClient()
	}
	return &endpoint{
		platform: platform,
		op:       op,
		url:      o.base.JoinPath(op),
		client:   o.client,
		now:      o.now,
		log:      o.log,
		retry:    o.retry,
		secrets:  redact.NewSet(secret),
	}, nil
}

// reply is what the token endpoints answer.
type reply struct {
	ErrCode     int      `json:"errcode"`
	ErrMsg      string   `json:"errmsg"`
	AccessToken string   `json:"access_token"`
	ExpiresIn   wire.Int `json:"expires_in"`
}

// fetch sends the request newRequest makes until it gets a token, the
// failure is not one another attempt may fix (see WithFetcherRetry), the
// attempts run out or ctx ends, waiting between attempts with backoff and
// jitter. With declinedOnly (a forced refresh), it retries only a reply in
// which the platform declined in plain JSON.
//
// When ctx has a deadline (a Cache's fetch always has one) and another
// attempt may follow in the time left, an attempt may use at most half of
// that time (but never less than minAttemptTime), so that one that hangs
// leaves time for the next instead of spending the whole budget.
func (e *endpoint) fetch(ctx context.Context, newRequest func(context.Context) (*http.Request, error), declinedOnly bool) (Token, error) {
	for attempt := 1; ; attempt++ {
		actx, cancel := e.attemptContext(ctx, attempt, declinedOnly)
		req, err := newRequest(actx)
		if err != nil {
			cancel()
			return Token{}, e.fail(err)
		}
		tok, f := e.do(ctx, req)
		cancel()
		if f == nil {
			return tok, nil
		}
		again := f.declined || (f.transient && !declinedOnly)
		if !again || attempt >= e.retry.Attempts || ctx.Err() != nil {
			return Token{}, f.err
		}
		d := poll.RetryDelay(e.retry.MinDelay, e.retry.MaxDelay, attempt-1, f.resp)
		e.log.LogAttrs(ctx, slog.LevelWarn, "auth: token request failed; retrying",
			slog.String("path", e.url.Path), slog.Int("attempt", attempt), slog.String("reason", f.reason), slog.Duration("delay", d))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return Token{}, fmt.Errorf("%w (not retried: %w)", f.err, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// attemptContext is the context of one attempt: ctx, with a deadline at
// half of ctx's remaining time (at least minAttemptTime) when ctx has one
// and another attempt may follow. A forced refresh is never resent after an attempt that got no
// answer (the platform may have acted), so its attempts get the whole time.
func (e *endpoint) attemptContext(ctx context.Context, attempt int, declinedOnly bool) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || declinedOnly || attempt >= e.retry.Attempts {
		return ctx, func() {}
	}
	left := time.Until(deadline)
	d := max(left/2, min(left, minAttemptTime))
	if left-d < d/2+e.retry.MinDelay {
		// No room for another attempt after this one (its backoff, and
		// time for an answer): cutting it would only lose a slow answer.
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("no answer within %v (an attempt gets half of the fetch's time left, at least %v; another follows)", d.Round(time.Millisecond), minAttemptTime))
}

// minAttemptTime is the least time an attempt that another may follow is
// given before it is cut off: a slow but working endpoint answers within
// it, and a fetch given less time than that is never cut.
const minAttemptTime = 5 * time.Second

// attemptCause puts first in err why req's attempt was cut short when its
// own deadline (attemptContext), not ctx, ended it.
func attemptCause(ctx context.Context, req *http.Request, err error) error {
	if ctx.Err() == nil && req.Context().Err() != nil {
		return fmt.Errorf("%w: %w", context.Cause(req.Context()), err)
	}
	return err
}

// failure is a failed token request and whether another may succeed.
type failure struct {
	err       error
	transient bool           // busy or rate-limited (-1, 45011, 45033, 429, 5xx), cut off, or a connection error
	declined  bool           // an HTTP 200 reply that is exactly one JSON object with a busy errcode
	reason    string         // for the log: "errcode -1", "HTTP 502", "connection error"
	resp      *http.Response // for Retry-After; its body is closed
}

// do sends req once and turns the reply into a token, or a failure whose
// error holds neither the secret nor a token.
func (e *endpoint) do(ctx context.Context, req *http.Request) (Token, *failure) {
	req.Header.Set("Accept", "application/json")
	start := e.now()
	wall := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		transient := ctx.Err() == nil && !poll.Permanent(err)
		// The URL names the endpoint again, its secret redacted: drop it
		// before anything wraps the *url.Error.
		err = e.fail(attemptCause(ctx, req, redact.WithoutURL(err)))
		e.log.LogAttrs(ctx, slog.LevelDebug, "auth: token request failed", e.attrs(req, wall, slog.String("error", err.Error()))...)
		return Token{}, &failure{err: err, transient: transient, reason: "connection error"}
	}
	defer resp.Body.Close()
	e.log.LogAttrs(ctx, slog.LevelDebug, "auth: token request", e.attrs(req, wall, slog.Int("status", resp.StatusCode))...)

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		err = attemptCause(ctx, req, err)
		return Token{}, &failure{err: e.fail(fmt.Errorf("read reply: %w", err)), transient: ctx.Err() == nil, reason: "reply cut off", resp: resp}
	}
	if len(body) > maxReply {
		return Token{}, &failure{err: e.fail(fmt.Errorf("reply larger than %d bytes", maxReply))}
	}
	var r reply
	jerr := json.Unmarshal(body, &r)
	e.secrets.AddToken(r.AccessToken) // a token in any reply, an error included, is never shown
	if resp.StatusCode != http.StatusOK {
		ae := &material.APIError{Platform: e.platform, Op: e.op, HTTPStatus: resp.StatusCode}
		switch {
		case redact.IsRedirect(resp.StatusCode):
			ae.Message = redact.RedirectMessage(resp, e.secrets)
		case jerr == nil && r.ErrCode != 0:
			ae.Code = r.ErrCode
			ae.Message, ae.RequestID = e.errmsg(r.ErrMsg)
		}
		return Token{}, &failure{err: e.fail(ae), transient: ae.Retryable(), reason: "HTTP " + strconv.Itoa(resp.StatusCode), resp: resp}
	}
	if jerr != nil {
		var se *json.SyntaxError
		if errors.As(jerr, &se) {
			jerr = fmt.Errorf("malformed JSON at byte %d", se.Offset)
		} else {
			jerr = errors.New(redact.Snippet(jerr.Error(), e.secrets))
		}
		return Token{}, &failure{err: e.fail(fmt.Errorf("decode reply: %w", jerr))}
	}
	if r.ErrCode != 0 {
		ae := &material.APIError{Platform: e.platform, Op: e.op, Code: r.ErrCode, HTTPStatus: resp.StatusCode}
		ae.Message, ae.RequestID = e.errmsg(r.ErrMsg)
		code, clean := wire.Verdict(body)
		return Token{}, &failure{err: e.fail(ae), transient: ae.Retryable(), declined: clean && code == r.ErrCode && ae.Retryable(),
			reason: "errcode " + strconv.Itoa(r.ErrCode), resp: resp}
	}
	if r.AccessToken == "" {
		return Token{}, &failure{err: e.fail(errors.New("the reply has no access_token"))}
	}
	if r.ExpiresIn <= 0 || r.ExpiresIn > maxExpiresIn {
		return Token{}, &failure{err: e.fail(errors.New("the reply has no expires_in in range"))}
	}
	return Token{Value: r.AccessToken, ExpiresAt: start.Add(time.Duration(r.ExpiresIn) * time.Second)}, nil
}

// errmsg splits a platform errmsg, with anything secret taken out and cut
// short.
func (e *endpoint) errmsg(errmsg string) (message, requestID string) {
	message, requestID = material.ParseErrmsg(errmsg)
	return redact.Snippet(message, e.secrets), redact.Snippet(requestID, e.secrets)
}

// fail prefixes err with the package and endpoint and takes every secret
// and token the fetcher holds or held out of its message, *url.Error's URL
// included.
func (e *endpoint) fail(err error) error {
	var ae *material.APIError
	if errors.As(err, &ae) {
		err = fmt.Errorf("auth: %w", err) // APIError names the platform and endpoint itself
	} else {
		err = fmt.Errorf("auth: %s %s: %w", e.platform, e.op, err)
	}
	return redact.ErrorWith(err, e.secrets)
}

func (e *endpoint) attrs(req *http.Request, start time.Time, more ...slog.Attr) []slog.Attr {
	return append([]slog.Attr{
		slog.String("method", req.Method),
		slog.String("host", req.URL.Host),
		slog.String("path", req.URL.Path),
		slog.Duration("elapsed", time.Since(start)),
	}, more...)
}
