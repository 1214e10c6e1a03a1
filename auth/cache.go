package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/material"
)

// Defaults of a Cache.
const (
	// DefaultRefreshMargin is how long before its expiry a token is
	// refreshed. The platforms issue tokens for 7200 s.
	DefaultRefreshMargin = 5 * time.Minute
	// DefaultFetchTimeout bounds one fetch, whatever the callers' contexts.
	DefaultFetchTimeout = 30 * time.Second
)

// refreshRetryInterval is how long a Cache keeps serving a token whose early
// refresh failed before it tries to refresh again, so that a platform
// outage or a spent quota does not turn every call into a token fetch.
const refreshRetryInterval = 10 * time.Second

// CacheOption configures a Cache.
type CacheOption func(*Cache)

// WithStore makes the Cache keep its token in s, under the Fetcher's Key.
// Give every process that uses the same credentials one shared Store (and
// so one token); nil keeps the default, a private MemoryStore.
func WithStore(s Store) CacheOption {
	return func(c *Cache) {
		if s != nil {
			c.store = s
		}
	}
}

// WithRefreshMargin sets how long before expiry a token is refreshed
// (default DefaultRefreshMargin). For a token this Cache fetched, the margin
// is never more than half the lifetime the platform gave it, so a short-lived
// token is not refreshed on every call. A negative d counts as 0.
func WithRefreshMargin(d time.Duration) CacheOption {
	return func(c *Cache) { c.margin = max(d, 0) }
}

// WithClock sets the clock the Cache judges expiry by (default time.Now).
// Give the fetcher the same clock (WithFetcherClock).
func WithClock(now func() time.Time) CacheOption {
	return func(c *Cache) {
		if now != nil {
			c.now = now
		}
	}
}

// WithFetchTimeout bounds each fetch (default DefaultFetchTimeout). The fetch
// runs on its own context, detached from the callers' so that a caller who
// gives up does not abort it for the others; this timeout is what ends it.
// Within it, the built-in fetchers retry an attempt that hangs after half
// of the time left (see WithFetcherRetry). d <= 0 keeps the default.
func WithFetchTimeout(d time.Duration) CacheOption {
	return func(c *Cache) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithLogger makes the Cache log fetches (debug), invalidations (debug) and
// failed refreshes (warn) to l. The default discards. No log line holds a
// token or a secret.
func WithLogger(l *slog.Logger) CacheOption {
	return func(c *Cache) {
		if l != nil {
			c.log = l
		}
	}
}

// Cache is the TokenSource to use: it keeps the token of one Fetcher in a
// Store, refreshes it a margin before it expires, makes one fetch however
// many goroutines ask at once, and drops it on Invalidate only if it is
// still the rejected token. It is safe for concurrent use.
type Cache struct {
	fetcher Fetcher
	key     string
	store   Store
	margin  time.Duration
	now     func() time.Time
	timeout time.Duration
	log     *slog.Logger
	flight  singleflight.Group

	shared SharedStore // store, when it is shared by a fleet (fleet.go); nil otherwise

	mu            sync.Mutex
	rejected      string        // the last token Invalidate dropped, passed to the next Fetch
	fetchedValue  string        // the last token this Cache fetched...
	fetchedMargin time.Duration // ...and its refresh margin (at most half its lifetime)
	heldValue     string        // a token whose early refresh failed...
	heldUntil     time.Time     // ...served without another try until then
	fleet         fleetState    // with a SharedStore: the token in use and the store's health
}

var _ TokenSource = (*Cache)(nil)

// NewCache returns a Cache of the tokens f fetches. It panics if f is nil or
// its Key is empty: both are programming errors.
func NewCache(f Fetcher, opts ...CacheOption) *Cache {
	if f == nil {
		panic("auth: NewCache: nil Fetcher")
	}
	key := f.Key()
	if key == "" {
		panic("auth: NewCache: the Fetcher's Key is empty")
	}
	c := &Cache{
		fetcher: f,
		key:     key,
		store:   NewMemoryStore(),
		margin:  DefaultRefreshMargin,
		now:     time.Now,
		timeout: DefaultFetchTimeout,
		log:     slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(c)
	}
	c.shared, _ = c.store.(SharedStore)
	return c
}

// Token returns the stored token while it is more than the refresh margin
// from its expiry. Otherwise it fetches a new one: one fetch for all the
// goroutines that ask meanwhile, on its own context limited by the fetch
// timeout. A caller whose ctx ends first gets ctx.Err() at once; the fetch
// goes on and its token is stored for the next caller. When the refresh of a
// token that has not expired yet fails, Token logs a warning and returns that
// token.
//
// Over a SharedStore, Token keeps the token in memory and reads the store
// only when it needs a new one; see SharedStore.
func (c *Cache) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if c.shared != nil {
		if v, ok := c.localToken(c.now()); ok {
			return v, nil
		}
	} else {
		t, ok, err := c.store.Load(ctx, c.key)
		if err != nil {
			return "", c.storeError("load", err)
		}
		if ok && c.state(t, c.now()) >= held {
			return t.Value, nil
		}
	}
	ch := c.flight.DoChan(c.key, func() (any, error) {
		if c.shared != nil {
			return c.refreshShared(context.WithoutCancel(ctx))
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		return c.refresh(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(Token).Value, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Invalidate drops the stored token if it is still rejected, and remembers
// rejected so that the next fetch tells the Fetcher which token failed. It
// does nothing when the Store holds another token (a refresh already
// happened). It fails only if the Store does, or if rejected is empty.
//
// Over a SharedStore, Invalidate drops the token from memory, then
// compare-and-deletes it in the store; a store that fails is logged, not
// returned, since the next Token fetches without it.
func (c *Cache) Invalidate(ctx context.Context, rejected string) error {
	if rejected == "" {
		return fmt.Errorf("auth: invalidate %s: no token given: %w", c.key, material.ErrInvalidInput)
	}
	if c.shared != nil {
		c.invalidateShared(ctx, rejected)
		return nil
	}
	dropped, err := c.store.CompareAndDelete(ctx, c.key, rejected)
	if err != nil {
		return c.storeError("invalidate", err)
	}
	if dropped {
		c.mu.Lock()
		c.rejected = rejected
		c.mu.Unlock()
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "auth: token rejected", slog.String("key", c.key), slog.Bool("dropped", dropped))
	return nil
}

// tokenState says what a Cache may do with a stored token.
type tokenState int

const (
	unusable tokenState = iota // empty, expired or rejected
	stale                      // within the refresh margin: refresh, fall back to it on failure
	held                       // stale, but its refresh just failed: serve it for a while
	fresh                      // more than the margin from expiry
)

func (c *Cache) state(t Token, now time.Time) tokenState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateLocked(t, now)
}

// stateLocked is state; the caller holds c.mu.
func (c *Cache) stateLocked(t Token, now time.Time) tokenState {
	switch {
	case t.Value == "" || t.Value == c.rejected:
		return unusable
	case t.ExpiresAt.IsZero():
		return fresh
	case !now.Before(t.ExpiresAt):
		return unusable
	}
	m := c.margin
	if t.Value == c.fetchedValue {
		m = c.fetchedMargin
	}
	switch {
	case now.Before(t.ExpiresAt.Add(-m)):
		return fresh
	case t.Value == c.heldValue && now.Before(c.heldUntil):
		return held
	}
	return stale
}

// refresh runs inside the single flight, on the fetch context.
func (c *Cache) refresh(ctx context.Context) (Token, error) {
	cur, ok, err := c.store.Load(ctx, c.key)
	if err != nil {
		return Token{}, c.storeError("load", err)
	}
	var old Token
	if ok {
		// Another goroutine or process may have saved a fresh token meanwhile.
		switch c.state(cur, c.now()) {
		case fresh, held:
			return cur, nil
		case stale:
			old = cur
		}
	}
	tok, fetched, err := c.fetch(ctx, old)
	if err != nil || !fetched {
		return tok, err
	}
	if err := c.store.Save(ctx, c.key, tok); err != nil {
		// The token is good; failing the callers would waste it. The next
		// call will not find it in the Store and fetch again.
		c.log.LogAttrs(ctx, slog.LevelWarn, "auth: could not save the token", slog.String("key", c.key), slog.String("error", redact.String(err.Error())))
	}
	return tok, nil
}

// fetch gets a new token from the Fetcher on ctx, the fetch context, and
// records it as this Cache's (fetched is true); the caller stores it. When
// the fetch fails and old, the token being refreshed, is still usable, it
// returns old (fetched is false) and serves it for a while (held).
func (c *Cache) fetch(ctx context.Context, old Token) (tok Token, fetched bool, err error) {
	c.mu.Lock()
	rejected := c.rejected
	c.mu.Unlock()
	tok, err = c.fetcher.Fetch(ctx, rejected)
	now := c.now()
	if err == nil {
		err = c.check(tok, now)
	} else if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("auth: fetch %s: no answer within %v: %w", c.key, c.timeout, err)
	}
	if err != nil {
		tok, err = c.fallBack(ctx, old, now, err)
		return tok, false, err
	}

	margin := c.margin
	if !tok.ExpiresAt.IsZero() {
		margin = min(margin, tok.ExpiresAt.Sub(now)/2)
	}
	c.mu.Lock()
	if c.rejected == rejected {
		c.rejected = ""
	}
	c.fetchedValue, c.fetchedMargin = tok.Value, margin
	c.heldValue, c.heldUntil = "", time.Time{}
	c.mu.Unlock()
	c.log.LogAttrs(ctx, slog.LevelDebug, "auth: token fetched", slog.String("key", c.key), slog.Time("expires_at", tok.ExpiresAt), slog.Bool("after_rejection", rejected != ""))
	return tok, true, nil
}

// fallBack handles a refresh that failed with err: it returns old, the
// token being refreshed, and serves it for a while, unless old expired or
// was rejected meanwhile; then it returns err.
func (c *Cache) fallBack(ctx context.Context, old Token, now time.Time, err error) (Token, error) {
	if old.Value != "" && c.state(old, now) != unusable {
		until := now.Add(refreshRetryInterval)
		if until.After(old.ExpiresAt) {
			until = old.ExpiresAt
		}
		c.mu.Lock()
		c.heldValue, c.heldUntil = old.Value, until
		c.mu.Unlock()
		c.log.LogAttrs(ctx, slog.LevelWarn, "auth: token refresh failed; using the current token until it expires",
			slog.String("key", c.key), slog.Time("expires_at", old.ExpiresAt), slog.Time("retry_at", until), slog.String("error", redact.String(err.Error())))
		return old, nil
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "auth: token fetch failed", slog.String("key", c.key), slog.String("error", redact.String(err.Error())))
	return Token{}, err
}

// check refuses what a Fetcher should never return.
func (c *Cache) check(t Token, now time.Time) error {
	if t.Value == "" {
		return fmt.Errorf("auth: fetch %s: the fetcher returned an empty token", c.key)
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return fmt.Errorf("auth: fetch %s: the fetcher returned a token that expired at %s", c.key, t.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

func (c *Cache) storeError(op string, err error) error {
	return fmt.Errorf("auth: %s %s in the store: %w", op, c.key, redact.Error(err))
}
