package officialaccount

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/internal/core"
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
	c     *core.Client
	links *http.Client // for links handed out by the platform (DownloadURL); never carries the token
	appID string       // the app id given to New; "" with WithTokenSource and none
}

var (
	_ material.Service = (*Client)(nil)
	_ material.Library = (*Client)(nil)
)

type options struct {
	core.Settings
	stable bool
}

// Option configures a Client built by New. Options validate their
// argument: a nil one, or one given nil, makes New fail with an error
// matching material.ErrInvalidInput.
type Option func(*options) error

func shared(o core.Option) Option { return func(opts *options) error { return o(&opts.Settings) } }

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
func WithTokenSource(ts auth.TokenSource) Option { return shared(core.TokenSource(ts)) }

// WithBaseURL sends every call, token fetches included, to u instead of
// DefaultBaseURL, e.g. an emulator at httptest server URL + "/oa". u must
// be an absolute http or https URL without query or fragment; it may have
// a path.
func WithBaseURL(u string) Option { return shared(core.BaseURL(u)) }

// WithHTTPClient sends requests with a copy of c (its Transport, Timeout
// and Jar), token fetches included. The default has connection timeouts
// and no overall limit, which the context sets: a 10 MB upload must not be
// cut off. Whatever c's CheckRedirect, no request that carries the
// AppSecret or an access token follows a redirect: a 3xx reply is an error
// naming its status and the target's host only. DownloadURL, whose links
// carry neither, follows redirects.
//
// c's Transport sees the access token in the URL of every request: to
// count, time or trace calls, use WithObserver, which never sees it.
func WithHTTPClient(c *http.Client) Option { return shared(core.HTTPClient(c)) }

// WithLogger logs requests (method, host, path, status; never a query string,
// a token or a body), retries and token fetches to l. The default discards.
func WithLogger(l *slog.Logger) Option { return shared(core.Logger(l)) }

// WithRetry sets the retry policy (see transport.RetryPolicy): attempts and
// backoff for busy answers (-1, 45011), HTTP 429 and 5xx and connection
// errors. Writes are retried only when the platform provably did not act.
// The client's own token fetches are retried by the same policy (see
// auth.WithFetcherRetry).
func WithRetry(p transport.RetryPolicy) Option { return shared(core.Retry(p)) }

// WithClock sets the clock the token cache judges expiry by, and the time a
// Media gets when the platform's answer carries none (permanent media). The
// default is time.Now.
func WithClock(now func() time.Time) Option { return shared(core.Clock(now)) }

// WithObserver tells o of every call the client makes and of each of its
// attempts (see transport.Observer): platform, operation, endpoint path,
// attempt, HTTP status, errcode, token refresh, bytes, duration and
// outcome class; never a query string, a token or a secret.
func WithObserver(o transport.Observer) Option { return shared(core.Observer(o)) }

// New returns a client of the Official Account appID. By default it fetches
// the plain access token (GET cgi-bin/token) with secret and caches it in
// memory; each fetch of that token rotates it, so use it in one process, or
// choose WithStableToken or WithTokenSource. appID and secret may be empty
// with WithTokenSource.
func New(appID, secret string, opts ...Option) (*Client, error) {
	var o options
	if err := core.Apply(&o, opts); err != nil {
		return nil, core.NewError(material.OfficialAccount, err)
	}
	if o.Tokens == nil && (appID == "" || secret == "") {
		return nil, core.NewError(material.OfficialAccount, &material.ValidationError{Platform: material.OfficialAccount, Field: "credentials",
			Problem: "an app id and a secret are needed (or WithTokenSource)", Err: []error{material.ErrInvalidInput}})
	}
	fetch := func(fopts ...auth.FetcherOption) (auth.Fetcher, error) {
		if o.stable {
			return auth.NewStable(appID, secret, fopts...)
		}
		return auth.NewOfficialAccount(appID, secret, fopts...)
	}
	c, err := core.New(material.OfficialAccount, secret, fetch, o.Settings)
	if err != nil {
		return nil, err
	}
	links := &http.Client{Transport: transport.DefaultTransport()}
	if o.HTTPClient != nil {
		*links = *o.HTTPClient
	}
	links.CheckRedirect = nil // CDN links may redirect; they carry no token
	return &Client{c: c, links: links, appID: appID}, nil
}

// Do sends a request to an endpoint the client does not wrap, with the
// client's token (added to the URL by its innermost transport, refreshed
// and replayed once when the platform rejects it), retry policy, logger
// and observer, and decodes the JSON reply into out (when not nil). Any
// errcode other than 0 is a *material.APIError; a reply type that
// implements transport.Required is checked for what a success must hold.
// Mark a call that changes state with req.Write: it is then sent again
// only when the platform provably did not act on it.
//
// This is the supported way to reach the rest of the platform's API; the
// example calls cgi-bin/material/add_news, which the platform took offline
// (errcode 45106).
func (c *Client) Do(ctx context.Context, req *transport.Request, out any) error {
	return c.c.Call(ctx, req, out)
}

var errNoBytes = errors.New("the platform answered JSON where file bytes were expected")
