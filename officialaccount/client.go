package officialaccount

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// DefaultBaseURL is the Official Account API host.
const DefaultBaseURL = auth.OfficialAccountBaseURL

// Client is an Official Account's media API client: temporary media
// (material.Service), the permanent library (material.Library) and the
// mass-send helpers UploadNews and UploadVideo. It is safe for concurrent
// use.
type Client struct {
	t    *transport.Client
	hc   *http.Client // for links handed out by the platform (DownloadURL); never carries the token
	now  func() time.Time
	base string

	appID string // the app id given to New; "" with WithTokenSource and none
}

var (
	_ material.Service = (*Client)(nil)
	_ material.Library = (*Client)(nil)
)

type options struct {
	stable  bool
	tokens  auth.TokenSource
	baseURL string
	hc      *http.Client
	logger  *slog.Logger
	retry   transport.RetryPolicy
	now     func() time.Time
}

// Option configures a Client built by New.
type Option func(*options) error

// WithStableToken makes the client fetch its token from cgi-bin/stable_token
// (the platform's recommendation: processes fetching it on their own do not
// invalidate each other's) instead of cgi-bin/token.
func WithStableToken() Option {
	return func(o *options) error { o.stable = true; return nil }
}

// WithTokenSource makes the client take its tokens from ts, e.g. a central
// token service or a third-party platform's authorizer_access_token
// (auth.Static, auth.NewCache over an auth.FetcherFunc). New's appID and
// secret may then be empty.
func WithTokenSource(ts auth.TokenSource) Option {
	return func(o *options) error {
		if ts == nil {
			return fmt.Errorf("officialaccount: WithTokenSource(nil): %w", material.ErrInvalidInput)
		}
		o.tokens = ts
		return nil
	}
}

// WithBaseURL sends every call, token fetches included, to u instead of
// DefaultBaseURL, e.g. an emulator at httptest server URL + "/oa".
func WithBaseURL(u string) Option {
	return func(o *options) error {
		if u == "" {
			return fmt.Errorf("officialaccount: WithBaseURL(\"\"): %w", material.ErrInvalidInput)
		}
		o.baseURL = u
		return nil
	}
}

// WithHTTPClient sends requests with c's Transport (and Timeout, Jar),
// token fetches included. The default has connection timeouts and no
// overall limit, which the context sets: a 10 MB upload must not be cut
// off. Whatever c's CheckRedirect, no request that carries the AppSecret
// or an access token follows a redirect: a 3xx reply is an error naming
// its status and the target's host only. DownloadURL, whose links carry
// neither, follows redirects.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return fmt.Errorf("officialaccount: WithHTTPClient(nil): %w", material.ErrInvalidInput)
		}
		o.hc = c
		return nil
	}
}

// WithLogger logs requests (method, host, path, status; never a query string,
// a token or a body) and retries to l. The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.logger = l; return nil }
}

// WithRetry sets the retry policy (see transport.RetryPolicy): attempts and
// backoff for busy answers (-1, 45011), HTTP 429 and 5xx and connection
// errors. Writes are retried only when the platform provably did not act.
func WithRetry(p transport.RetryPolicy) Option {
	return func(o *options) error { o.retry = p; return nil }
}

// WithClock sets the clock the token cache judges expiry by, and the time a
// Media gets when the platform's answer carries none (permanent media). The
// default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("officialaccount: WithClock(nil): %w", material.ErrInvalidInput)
		}
		o.now = now
		return nil
	}
}

// New returns a client of the Official Account appID. By default it fetches
// the plain access token (GET cgi-bin/token) with secret and caches it in
// memory; each fetch of that token rotates it, so use it in one process, or
// choose WithStableToken or WithTokenSource. appID and secret may be empty
// with WithTokenSource.
func New(appID, secret string, opts ...Option) (*Client, error) {
	o := options{baseURL: DefaultBaseURL, now: time.Now}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	o.baseURL = strings.TrimRight(o.baseURL, "/")
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	ts := o.tokens
	if ts == nil {
		if appID == "" || secret == "" {
			return nil, fmt.Errorf("officialaccount: an app id and a secret are needed (or WithTokenSource): %w", material.ErrInvalidInput)
		}
		fopts := []auth.FetcherOption{auth.WithBaseURL(o.baseURL), auth.WithFetcherClock(o.now), auth.WithFetcherLogger(o.logger)}
		if o.hc != nil {
			fopts = append(fopts, auth.WithHTTPClient(o.hc))
		}
		var (
			f   auth.Fetcher
			err error
		)
		if o.stable {
			f, err = auth.NewStable(appID, secret, fopts...)
		} else {
			f, err = auth.NewOfficialAccount(appID, secret, fopts...)
		}
		if err != nil {
			return nil, fmt.Errorf("officialaccount: %w", err)
		}
		ts = auth.NewCache(f, auth.WithClock(o.now), auth.WithLogger(o.logger))
	}
	tc, err := transport.New(transport.Config{
		Platform:   material.OfficialAccount,
		BaseURL:    o.baseURL,
		Tokens:     ts,
		HTTPClient: o.hc,
		Logger:     o.logger,
		Retry:      o.retry,
		Secrets:    []string{secret},
	})
	if err != nil {
		return nil, fmt.Errorf("officialaccount: %w", err)
	}
	hc := &http.Client{Transport: transport.DefaultTransport()}
	if o.hc != nil {
		*hc = *o.hc
	}
	hc.CheckRedirect = nil // CDN links may redirect; they carry no token
	return &Client{t: tc, hc: hc, now: o.now, base: o.baseURL, appID: appID}, nil
}

// wrap prefixes err with the package and the operation.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("officialaccount: %s: %w", op, err)
}

// needID refuses an empty media id before anything is sent.
func needID(id string) error {
	if strings.TrimSpace(id) == "" {
		return &material.ValidationError{Platform: material.OfficialAccount, Field: "media_id", Problem: "empty media id", Err: []error{material.ErrInvalidInput}}
	}
	return nil
}

var errNoBytes = errors.New("the platform answered JSON where file bytes were expected")
