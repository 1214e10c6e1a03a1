// Package core is what the Official Account and WeCom clients share, kept
// once: the options they both take (Settings), their construction (New:
// the token source, the transport, the secrets to scrub), and the steps
// every call of theirs takes before it reaches package transport (Client:
// the operation's name, the media-id check, the platform's rule for an
// upload, the one error prefix). Each client keeps only what is its own.
package core

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// Settings are the options both clients take. The zero value of a field
// means its default.
type Settings struct {
	BaseURL    string                // the platform's host by default
	Tokens     auth.TokenSource      // nil: fetched with the client's credentials and cached
	HTTPClient *http.Client          // nil: transport.DefaultTransport
	Logger     *slog.Logger          // nil: discard
	Retry      transport.RetryPolicy // zero fields: the defaults
	Now        func() time.Time      // nil: time.Now
	Observer   transport.Observer    // nil: none
}

// Option sets one field of Settings; it refuses a nil or malformed
// argument with an error matching material.ErrInvalidInput.
type Option func(*Settings) error

// invalid is the error of an option given a bad argument.
func invalid(option, problem string) error {
	return &material.ValidationError{Field: "option", Value: option, Problem: problem, Err: []error{material.ErrInvalidInput}}
}

// TokenSource is WithTokenSource.
func TokenSource(ts auth.TokenSource) Option {
	return func(s *Settings) error {
		if ts == nil {
			return invalid("WithTokenSource", "a nil token source")
		}
		s.Tokens = ts
		return nil
	}
}

// BaseURL is WithBaseURL: an absolute http or https URL, which may have a
// path, without user info, query or fragment.
func BaseURL(base string) Option {
	return func(s *Settings) error {
		u, err := url.Parse(base)
		switch {
		case base == "":
			return invalid("WithBaseURL", "an empty URL")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return invalid("WithBaseURL", fmt.Sprintf("%q is not an absolute http or https URL", redact.String(base)))
		case u.User != nil || u.RawQuery != "" || u.Fragment != "":
			return invalid("WithBaseURL", fmt.Sprintf("%q has user info, a query or a fragment", redact.URL(u)))
		}
		s.BaseURL = strings.TrimRight(base, "/")
		return nil
	}
}

// HTTPClient is WithHTTPClient: a copy of c is kept.
func HTTPClient(c *http.Client) Option {
	return func(s *Settings) error {
		if c == nil {
			return invalid("WithHTTPClient", "a nil *http.Client")
		}
		cc := *c
		s.HTTPClient = &cc
		return nil
	}
}

// Logger is WithLogger.
func Logger(l *slog.Logger) Option {
	return func(s *Settings) error {
		if l == nil {
			return invalid("WithLogger", "a nil *slog.Logger (the default discards)")
		}
		s.Logger = l
		return nil
	}
}

// Retry is WithRetry; transport.New checks the policy.
func Retry(p transport.RetryPolicy) Option {
	return func(s *Settings) error {
		s.Retry = p
		return nil
	}
}

// Clock is WithClock.
func Clock(now func() time.Time) Option {
	return func(s *Settings) error {
		if now == nil {
			return invalid("WithClock", "a nil clock")
		}
		s.Now = now
		return nil
	}
}

// Observer is WithObserver.
func Observer(o transport.Observer) Option {
	return func(s *Settings) error {
		if o == nil {
			return invalid("WithObserver", "a nil Observer")
		}
		s.Observer = o
		return nil
	}
}

// Apply runs opts on o in order; a nil option is refused like a bad one.
func Apply[T any, O ~func(*T) error](o *T, opts []O) error {
	for i, opt := range opts {
		if opt == nil {
			return invalid(fmt.Sprintf("option %d", i+1), "a nil Option")
		}
		if err := opt(o); err != nil {
			return err
		}
	}
	return nil
}

// packages and hosts are each platform's client package (the prefix of
// its errors) and default base URL.
var (
	packages = map[material.Platform]string{material.OfficialAccount: "officialaccount", material.WeCom: "work"}
	hosts    = map[material.Platform]string{material.OfficialAccount: auth.OfficialAccountBaseURL, material.WeCom: auth.WeComBaseURL}
)

// Fetcher makes a client's token fetcher from the options New gives it
// (base URL, HTTP client, clock, logger).
type Fetcher func(opts ...auth.FetcherOption) (auth.Fetcher, error)

// Client is the part of a client both platforms share.
type Client struct {
	T        *transport.Client
	Platform material.Platform
	Settings Settings // with the defaults filled in
	pkg      string
}

// NewError is the error of a client's New: "<package>: new: <err>".
func NewError(p material.Platform, err error) error {
	return fmt.Errorf("%s: new: %w", packages[p], err)
}

// New builds the shared part of a client of platform p from s: the token
// source (fetch's, cached, unless s has one; its fetches retried by
// s.Retry too), then the transport, which sends every request with the
// token, retries by s.Retry, follows no
// redirect and scrubs secret and every token from its errors. Its error is
// a NewError.
func New(p material.Platform, secret string, fetch Fetcher, s Settings) (*Client, error) {
	c, err := build(p, secret, fetch, s)
	if err != nil {
		return nil, NewError(p, err)
	}
	return c, nil
}

func build(p material.Platform, secret string, fetch Fetcher, s Settings) (*Client, error) {
	s.BaseURL = cmp.Or(s.BaseURL, hosts[p])
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Tokens == nil {
		fopts := []auth.FetcherOption{auth.WithBaseURL(s.BaseURL), auth.WithFetcherClock(s.Now), auth.WithFetcherLogger(s.Logger),
			auth.WithFetcherRetry(s.Retry.MaxAttempts, s.Retry.MinDelay, s.Retry.MaxDelay)}
		if s.HTTPClient != nil {
			fopts = append(fopts, auth.WithHTTPClient(s.HTTPClient)) // the fetcher follows no redirect, whatever it says
		}
		f, err := fetch(fopts...)
		if err != nil {
			return nil, err
		}
		s.Tokens = auth.NewCache(f, auth.WithClock(s.Now), auth.WithLogger(s.Logger))
	}
	t, err := transport.New(transport.Config{
		Platform:   p,
		BaseURL:    s.BaseURL,
		Tokens:     s.Tokens,
		HTTPClient: s.HTTPClient,
		Logger:     s.Logger,
		Retry:      s.Retry,
		Secrets:    []string{secret},
		Observer:   s.Observer,
	})
	if err != nil {
		return nil, err
	}
	return &Client{T: t, Platform: p, Settings: s, pkg: packages[p]}, nil
}

// Wrap prefixes err with the client's package and the operation, the one
// prefix every error of a client gets: "officialaccount: upload: ...".
func (c *Client) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", c.pkg, op, err)
}

// Content returns content with its Body wrapped so that a read that fails
// names the client and the operation like every error of the client:
// "<package>: <op>: read the file: <err>", still matching err with
// errors.Is and errors.As (a deadline that cuts a transfer off is
// context.DeadlineExceeded). io.EOF is returned as it is. A nil content
// stays nil.
func (c *Client) Content(op string, content *material.Content) *material.Content {
	if content == nil || content.Body == nil {
		return content
	}
	out := *content
	out.Body = &namedBody{rc: content.Body, wrap: func(err error) error { return c.Wrap(op, fmt.Errorf("read the file: %w", err)) }}
	return &out
}

// namedBody is a download's body whose read errors name the operation.
type namedBody struct {
	rc   io.ReadCloser
	wrap func(error) error
}

func (b *namedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		err = b.wrap(err)
	}
	return n, err
}

func (b *namedBody) Close() error { return b.rc.Close() }

// MaxMediaIDLen is the longest media id a client sends, in bytes. Real
// ids are far shorter (docs/wire.md §4.1: tens of printable ASCII
// characters); the bound refuses what cannot be one (a file's content
// pasted as an id) before it is sent.
const MaxMediaIDLen = 512

// MediaID checks a media id before anything is sent: surrounding white
// space is trimmed (an id read from a file or a terminal often carries
// some), and an id that is then empty, longer than MaxMediaIDLen bytes, not
// UTF-8 or holding a control character is refused.
func (c *Client) MediaID(id string) (string, error) {
	return c.ID("media_id", id)
}

// ID checks an id sent as field (media_id, thumb_media_id) as MediaID
// does, the error naming field.
func (c *Client) ID(field, id string) (string, error) {
	id = strings.TrimSpace(id)
	problem := ""
	switch {
	case id == "":
		problem = "empty media id"
	case len(id) > MaxMediaIDLen:
		problem = fmt.Sprintf("a media id of %d bytes: real ids are far shorter (at most %d accepted)", len(id), MaxMediaIDLen)
	case !utf8.ValidString(id):
		problem = "the media id is not valid UTF-8"
	default:
		if i := strings.IndexFunc(id, unicode.IsControl); i >= 0 {
			r, _ := utf8.DecodeRuneInString(id[i:])
			problem = fmt.Sprintf("the media id holds a control character (%U at byte %d)", r, i)
		}
	}
	if problem != "" {
		return "", &material.ValidationError{Platform: c.Platform, Field: field, Problem: problem, Err: []error{material.ErrInvalidInput}}
	}
	return id, nil
}

// Now returns the client's clock's time.
func (c *Client) Now() time.Time { return c.Settings.Now() }

// Do sends req as the operation op (what an Observer is told) and decodes
// its JSON reply into out.
func (c *Client) Do(ctx context.Context, op string, req *transport.Request, out any) error {
	r := *req
	r.Op = op
	return c.T.Do(ctx, &r, out)
}

// Call is the clients' Do: req sent as the operation req.Op ("do" when
// empty), its error wrapped.
func (c *Client) Call(ctx context.Context, req *transport.Request, out any) error {
	op := cmp.Or(req.Op, "do")
	return c.Wrap(op, c.Do(ctx, op, req, out))
}

// Download sends req as the operation op and returns the file or the JSON
// document it answers (see transport.Client.Download).
func (c *Client) Download(ctx context.Context, op string, req *transport.Request) (*transport.Reply, error) {
	r := *req
	r.Op = op
	return c.T.Download(ctx, &r)
}

// UploadTemporary uploads src as temporary media of kind (POST
// cgi-bin/media/upload?type=kind), which both platforms take alike, and
// returns it, kept three days.
func (c *Client) UploadTemporary(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	const op = "upload"
	var reply wire.Media
	req := &transport.Request{Path: "/cgi-bin/media/upload", Query: url.Values{"type": {string(kind)}}}
	if err := c.Upload(ctx, op, material.APITemporary, kind, src, req, &reply); err != nil {
		return material.Media{}, c.Wrap(op, err)
	}
	return material.TemporaryMedia(reply.ID(), kind, reply.CreatedAt.Or(c.Now)), nil
}

// Upload checks src against the platform's rule for kind on api and
// prepares it (material.Rule.Prepare: a stream of unknown size is spooled
// to a temporary file, at most the limit), then sends it as req's File,
// the operation op, and decodes the reply into out. Nothing is sent when
// src breaks the rule. Validation happens here, in the client; transport
// only sends the prepared bytes.
func (c *Client) Upload(ctx context.Context, op string, api material.API, kind material.Kind, src material.Source, req *transport.Request, out any) error {
	rule, err := material.RuleFor(c.Platform, api, kind)
	if err != nil {
		return err
	}
	prepared, cleanup, err := rule.Prepare(src)
	if err != nil {
		return err
	}
	defer cleanup()
	r := *req
	r.File, r.Method, r.Write = &prepared, http.MethodPost, true
	return c.Do(ctx, op, &r, out)
}
