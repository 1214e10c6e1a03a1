package work

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// DefaultBaseURL is the WeCom API host.
const DefaultBaseURL = auth.WorkBaseURL

// Default delays between the polls of WaitUploadByURL (see WithWait).
const (
	DefaultWaitMinDelay = time.Second
	DefaultWaitMaxDelay = 30 * time.Second
)

// Client is one WeCom agent (企业微信自建应用): its temporary media,
// rich-text images, attachments and upload-by-URL jobs. It is safe for
// concurrent use.
type Client struct {
	corpID  string
	agentID int64
	tc      *transport.Client
	wait    transport.WaitOptions
	ranges  transport.RangeOptions
	now     func() time.Time

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

// Option configures a Client. Options validate their argument: a bad one
// makes New fail.
type Option func(*options) error

type options struct {
	base   string
	tokens auth.TokenSource
	hc     *http.Client
	log    *slog.Logger
	retry  transport.RetryPolicy
	now    func() time.Time
	wait   transport.WaitOptions
	chunk  int64
}

// WithTokenSource makes the client use ts for its access tokens, e.g. a
// token managed by a central service (auth.Static) or an auth.Cache shared
// with other code. The secret given to New may then be empty.
func WithTokenSource(ts auth.TokenSource) Option {
	return func(o *options) error {
		if ts == nil {
			return errors.New("work: WithTokenSource: nil token source")
		}
		o.tokens = ts
		return nil
	}
}

// WithBaseURL sends every request, token fetches included, to base instead
// of DefaultBaseURL, e.g. the emulator's server.URL+"/work". base must be an
// absolute http or https URL without query or fragment; it may have a path.
func WithBaseURL(base string) Option {
	return func(o *options) error {
		if base == "" {
			return errors.New("work: WithBaseURL: empty URL")
		}
		o.base = base
		return nil
	}
}

// WithHTTPClient sends requests with a copy of c (its Transport, Timeout and
// Jar), token fetches included. Whatever c's CheckRedirect, no request
// follows a redirect (each carries the corp secret or an access token): a
// 3xx reply is an error naming its status and the target's host only. The
// default has dial, TLS and response-header timeouts and no overall
// timeout, so that a 200 MB transfer is bounded by its context only.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("work: WithHTTPClient: nil client")
		}
		o.hc = c
		return nil
	}
}

// WithLogger logs requests (debug: method, host, path, status), retries and
// token fetches (warn on failure) to l. No line holds a query string, a body,
// an access token or a secret. The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.log = l
		return nil
	}
}

// WithRetry sets the retry policy of every call (see transport.RetryPolicy);
// zero fields keep the defaults.
func WithRetry(p transport.RetryPolicy) Option {
	return func(o *options) error {
		o.retry = p
		return nil
	}
}

// WithClock sets the clock the client judges token expiry by (default
// time.Now), e.g. the emulator's fake clock in tests.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("work: WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithWait sets the delays between the polls of WaitUploadByURL: the first
// wait is min, later ones grow exponentially (with jitter) up to max.
// The defaults are DefaultWaitMinDelay and DefaultWaitMaxDelay. A job of
// 200 MB takes the platform tens of seconds; tests against the emulator use
// milliseconds.
func WithWait(min, max time.Duration) Option {
	return func(o *options) error {
		if min <= 0 || max < min {
			return fmt.Errorf("work: WithWait(%v, %v): want 0 < min <= max: %w", min, max, material.ErrInvalidInput)
		}
		o.wait = transport.WaitOptions{MinDelay: min, MaxDelay: max}
		return nil
	}
}

// WithChunkSize sets the most bytes one Range request of Download asks for
// (default transport.DefaultChunkSize, 16 MiB), from 1 byte to
// transport.MaxChunkSize (20 MiB, the larger reading of WeCom's "20M"
// limit). A chunk the platform refuses as too large (830002) is halved
// anyway, down to 1 MiB (or n when smaller); see Download. Smaller chunks
// cost more requests: docs/limits.md has the figures.
func WithChunkSize(n int64) Option {
	return func(o *options) error {
		if n <= 0 || n > transport.MaxChunkSize {
			return fmt.Errorf("work: WithChunkSize(%d): want 1 to %d bytes: %w", n, transport.MaxChunkSize, material.ErrInvalidInput)
		}
		o.chunk = n
		return nil
	}
}

// New returns a client of the WeCom agent agentID of the corp corpID whose
// secret is secret. Its access tokens come from cgi-bin/gettoken for that
// (corp id, secret) pair, fetched once per expiry however many goroutines
// call, refreshed before they expire and when the platform rejects one,
// unless WithTokenSource supplies them.
//
// Upstream doc of the token: https://developer.work.weixin.qq.com/document/path/91039
func New(corpID string, agentID int64, secret string, opts ...Option) (*Client, error) {
	if corpID == "" {
		return nil, fmt.Errorf("work: New: empty corp id: %w", material.ErrInvalidInput)
	}
	if agentID <= 0 {
		return nil, fmt.Errorf("work: New: agent id %d is not positive: %w", agentID, material.ErrInvalidInput)
	}
	o := options{base: DefaultBaseURL, now: time.Now,
		wait: transport.WaitOptions{MinDelay: DefaultWaitMinDelay, MaxDelay: DefaultWaitMaxDelay}}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.tokens == nil {
		if secret == "" {
			return nil, fmt.Errorf("work: New: empty agent secret and no WithTokenSource: %w", material.ErrInvalidInput)
		}
		fopts := []auth.FetcherOption{auth.WithBaseURL(o.base), auth.WithFetcherClock(o.now)}
		if o.hc != nil {
			fopts = append(fopts, auth.WithHTTPClient(o.hc)) // the fetcher follows no redirect, whatever o.hc says
		}
		copts := []auth.CacheOption{auth.WithClock(o.now)}
		if o.log != nil {
			fopts = append(fopts, auth.WithFetcherLogger(o.log))
			copts = append(copts, auth.WithLogger(o.log))
		}
		f, err := auth.NewWork(corpID, secret, fopts...)
		if err != nil {
			return nil, fmt.Errorf("work: New: %w", err)
		}
		o.tokens = auth.NewCache(f, copts...)
	}
	tc, err := transport.New(transport.Config{
		Platform:   material.WeCom,
		BaseURL:    o.base,
		Tokens:     o.tokens,
		HTTPClient: o.hc,
		Logger:     o.log,
		Retry:      o.retry,
		Secrets:    []string{secret},
	})
	if err != nil {
		return nil, fmt.Errorf("work: New: %w", err)
	}
	return &Client{
		corpID:  corpID,
		agentID: agentID,
		tc:      tc,
		wait:    o.wait,
		ranges:  transport.RangeOptions{ChunkSize: o.chunk, TooLarge: isUseRange},
		now:     o.now,
		jobs:    make(map[string]submitted),
	}, nil
}

// CorpID returns the corp id the client was made for.
func (c *Client) CorpID() string { return c.corpID }

// AgentID returns the agent id the client was made for.
func (c *Client) AgentID() int64 { return c.agentID }
