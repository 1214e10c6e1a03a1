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
	"sync"
	"time"

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
	// secrets holds what must never appear in an error: the secret and
	// every token fetched, in any of their forms.
	secrets *redact.Set
}

func newEndpoint(platform material.Platform, defaultBase, op, secret string, opts []FetcherOption) (*endpoint, error) {
	o := fetcherOptions{now: time.Now, log: slog.New(slog.DiscardHandler)}
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

// do sends req and turns the reply into a token or an error that holds
// neither the secret nor a token.
func (e *endpoint) do(ctx context.Context, req *http.Request) (Token, error) {
	req.Header.Set("Accept", "application/json")
	start := e.now()
	wall := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		err = e.fail(err)
		e.log.LogAttrs(ctx, slog.LevelDebug, "auth: token request failed", e.attrs(req, wall, slog.String("error", err.Error()))...)
		return Token{}, err
	}
	defer resp.Body.Close()
	e.log.LogAttrs(ctx, slog.LevelDebug, "auth: token request", e.attrs(req, wall, slog.Int("status", resp.StatusCode))...)

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return Token{}, e.fail(fmt.Errorf("read reply: %w", err))
	}
	if len(body) > maxReply {
		return Token{}, e.fail(fmt.Errorf("reply larger than %d bytes", maxReply))
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
		return Token{}, e.fail(ae)
	}
	if jerr != nil {
		var se *json.SyntaxError
		if errors.As(jerr, &se) {
			jerr = fmt.Errorf("malformed JSON at byte %d", se.Offset)
		} else {
			jerr = errors.New(redact.Snippet(jerr.Error(), e.secrets))
		}
		return Token{}, e.fail(fmt.Errorf("decode reply: %w", jerr))
	}
	if r.ErrCode != 0 {
		ae := &material.APIError{Platform: e.platform, Op: e.op, Code: r.ErrCode, HTTPStatus: resp.StatusCode}
		ae.Message, ae.RequestID = e.errmsg(r.ErrMsg)
		return Token{}, e.fail(ae)
	}
	if r.AccessToken == "" {
		return Token{}, e.fail(errors.New("the reply has no access_token"))
	}
	if r.ExpiresIn <= 0 || r.ExpiresIn > maxExpiresIn {
		return Token{}, e.fail(errors.New("the reply has no expires_in in range"))
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
