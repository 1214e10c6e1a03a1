package work

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/internal/core"
	"github.com/wxmaterial/wxmaterial/internal/poll"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// DefaultBaseURL is the WeCom API host.
const DefaultBaseURL = auth.WeComBaseURL

// Default delays between the polls of WaitUploadByURL (see WithWait).
const (
	DefaultWaitMinDelay = time.Second
	DefaultWaitMaxDelay = 30 * time.Second
)

// Client is one WeCom agent (企业微信自建应用): its temporary media,
// rich-text images, attachments and upload-by-URL jobs. It is safe for
// concurrent use.
type Client struct {
	c       *core.Client
	corpID  string
	agentID int64
	wait    poll.Options
	ranges  transport.RangeOptions

	mu   sync.Mutex
	jobs map[string]submitted // the kinds of the jobs this client submitted
}

// submitted is what the client remembers of a job it submitted: the
// platform's result does not say the kind.
type submitted struct {
	kind material.Kind
	at   time.Time
}

var (
	_ material.Service     = (*Client)(nil)
	_ material.URLUploader = (*Client)(nil)
)

// Option configures a Client. Options validate their argument: a nil one,
// or one given nil or a value out of range, makes New fail with an error
// matching material.ErrInvalidInput.
type Option func(*options) error

type options struct {
	core.Settings
	wait  poll.Options
	chunk int64
}

func shared(o core.Option) Option { return func(opts *options) error { return o(&opts.Settings) } }

// WithTokenSource makes the client use ts for its access tokens, e.g. a
// token managed by a central service (auth.Static) or an auth.Cache shared
// with other code. The secret given to New may then be empty.
func WithTokenSource(ts auth.TokenSource) Option { return shared(core.TokenSource(ts)) }

// WithBaseURL sends every request, token fetches included, to base instead
// of DefaultBaseURL, e.g. the emulator's server.URL+"/work". base must be an
// absolute http or https URL without query or fragment; it may have a path.
func WithBaseURL(base string) Option { return shared(core.BaseURL(base)) }

// WithHTTPClient sends requests with a copy of c (its Transport, Timeout and
// Jar), token fetches included. Whatever c's CheckRedirect, no request
// follows a redirect (each carries the corp secret or an access token): a
// 3xx reply is an error naming its status and the target's host only. The
// default has dial, TLS and response-header timeouts and no overall
// timeout, so that a 200 MB transfer is bounded by its context only.
//
// c's Transport sees the access token in the URL of every request: to
// count, time or trace calls, use WithObserver, which never sees it.
func WithHTTPClient(c *http.Client) Option { return shared(core.HTTPClient(c)) }

// WithWait sets the delays between the polls of WaitUploadByURL: the first
// wait is min, later ones grow exponentially (with jitter) up to max.
// The defaults are DefaultWaitMinDelay and DefaultWaitMaxDelay. A job of
// 200 MB takes the platform tens of seconds; tests against the emulator use
// milliseconds.
func WithWait(min, max time.Duration) Option {
	return func(o *options) error {
		if min <= 0 || max < min {
			return &material.ValidationError{Platform: material.WeCom, Field: "option", Value: "WithWait",
				Problem: fmt.Sprintf("%v, %v: want 0 < min <= max", min, max), Err: []error{material.ErrInvalidInput}}
		}
		o.wait = poll.Options{MinDelay: min, MaxDelay: max}
		return nil
	}
}

// WithLogger logs requests (debug: method, host, path, status), retries and
// token fetches (warn on failure) to l. No line holds a query string, a body,
// an access token or a secret. The default discards.
func WithLogger(l *slog.Logger) Option { return shared(core.Logger(l)) }

// WithRetry sets the retry policy of every call (see transport.RetryPolicy),
// and of the client's own token fetches (see auth.WithFetcherRetry); zero
// fields keep the defaults.
func WithRetry(p transport.RetryPolicy) Option { return shared(core.Retry(p)) }

// WithChunkSize sets the most bytes one Range request of Download asks for
// (default transport.DefaultChunkSize, 16 MiB), from 1 byte to
// transport.MaxChunkSize (20 MiB, the larger reading of WeCom's "20M"
// limit). A chunk the platform refuses as too large (830002) is halved
// anyway, down to 1 MiB (or n when smaller); see Download. Smaller chunks
// cost more requests: docs/limits.md has the figures.
func WithChunkSize(n int64) Option {
	return func(o *options) error {
		if n <= 0 || n > transport.MaxChunkSize {
			return &material.ValidationError{Platform: material.WeCom, Field: "option", Value: "WithChunkSize",
				Problem: fmt.Sprintf("%d: want 1 to %d bytes", n, transport.MaxChunkSize), Err: []error{material.ErrInvalidInput}}
		}
		o.chunk = n
		return nil
	}
}

// WithClock sets the clock the client judges token expiry by (default
// time.Now), e.g. the emulator's fake clock in tests.
func WithClock(now func() time.Time) Option { return shared(core.Clock(now)) }

// WithObserver tells o of every call the client makes and of each of its
// attempts (see transport.Observer): platform, operation, endpoint path,
// attempt, HTTP status, errcode, token refresh, bytes, duration and
// outcome class; never a query string, a token or a secret.
func WithObserver(o transport.Observer) Option { return shared(core.Observer(o)) }

// New returns a client of the WeCom agent agentID of the corp corpID whose
// secret is secret. Its access tokens come from cgi-bin/gettoken for that
// (corp id, secret) pair, fetched once per expiry however many goroutines
// call, refreshed before they expire and when the platform rejects one,
// unless WithTokenSource supplies them.
//
// Upstream doc of the token: https://developer.work.weixin.qq.com/document/path/91039
func New(corpID string, agentID int64, secret string, opts ...Option) (*Client, error) {
	bad := func(field, value, problem string) (*Client, error) {
		return nil, core.NewError(material.WeCom, &material.ValidationError{Platform: material.WeCom, Field: field, Value: value, Problem: problem, Err: []error{material.ErrInvalidInput}})
	}
	switch {
	case corpID == "":
		return bad("corpid", "", "empty corp id")
	case agentID <= 0:
		return bad("agentid", fmt.Sprint(agentID), "not a positive agent id")
	}
	o := options{wait: poll.Options{MinDelay: DefaultWaitMinDelay, MaxDelay: DefaultWaitMaxDelay}}
	if err := core.Apply(&o, opts); err != nil {
		return nil, core.NewError(material.WeCom, err)
	}
	if o.Tokens == nil && secret == "" {
		return bad("secret", "", "empty agent secret and no WithTokenSource")
	}
	fetch := func(fopts ...auth.FetcherOption) (auth.Fetcher, error) {
		return auth.NewWeCom(corpID, secret, fopts...)
	}
	c, err := core.New(material.WeCom, secret, fetch, o.Settings)
	if err != nil {
		return nil, err
	}
	return &Client{
		c:       c,
		corpID:  corpID,
		agentID: agentID,
		wait:    o.wait,
		ranges:  transport.RangeOptions{ChunkSize: o.chunk, TooLarge: isUseRange},
		jobs:    make(map[string]submitted),
	}, nil
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
// This is the supported way to reach the rest of WeCom's API.
func (c *Client) Do(ctx context.Context, req *transport.Request, out any) error {
	return c.c.Call(ctx, req, out)
}

// CorpID returns the corp id the client was made for.
func (c *Client) CorpID() string { return c.corpID }

// AgentID returns the agent id the client was made for.
func (c *Client) AgentID() int64 { return c.agentID }
