package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// TokenSource is what clients consume: a valid access token on demand, and a
// way to report that the platform rejected one. Implementations are safe for
// concurrent use. The transport package declares the same two methods in its
// own interface, so it does not import this package.
type TokenSource interface {
	// Token returns a valid access token, fetching one if needed.
	Token(ctx context.Context) (string, error)

	// Invalidate tells the source the platform rejected `rejected`
	// (40001/40014/42001). It drops the cached token only if it is still
	// that same token (compare-and-invalidate), so a hundred calls failing
	// with the same token cause one refresh. It returns an error when the
	// source cannot produce a different token (a static token): callers then
	// must not replay.
	Invalidate(ctx context.Context, rejected string) error
}

// Token is an access token and the time it stops working. A zero ExpiresAt
// means the expiry is unknown: a Cache then keeps the token until it is
// invalidated.
//
// Token's String, GoString and LogValue methods leave the value out, so
// printing or logging a Token by mistake does not leak it.
type Token struct {
	Value     string
	ExpiresAt time.Time
}

// String describes the token without its value.
func (t Token) String() string {
	if t.Value == "" {
		return "auth.Token{}"
	}
	if t.ExpiresAt.IsZero() {
		return "auth.Token{Value: REDACTED}"
	}
	return "auth.Token{Value: REDACTED, ExpiresAt: " + t.ExpiresAt.Format(time.RFC3339) + "}"
}

// GoString is String, so %#v does not print the value either.
func (t Token) GoString() string { return t.String() }

// LogValue logs the expiry only.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("set", t.Value != ""), slog.Time("expires_at", t.ExpiresAt))
}

// Fetcher gets a new token from a platform. A Cache calls it, one call at a
// time per Cache; implementations must still be safe for concurrent use.
type Fetcher interface {
	// Key names the cached token in a Store; it must never contain a secret
	// in clear (e.g. "officialaccount:token:<appid>",
	// "officialaccount:stable_token:<appid>",
	// "work:<corpid>:<first 16 hex of sha256(secret)>").
	Key() string

	// Fetch gets a new token. rejected is "" for a normal fetch, or the
	// token the platform just rejected.
	Fetch(ctx context.Context, rejected string) (Token, error)
}

// FetcherFunc is a Fetcher made of a Store key and a function: the adapter
// for tokens that come from elsewhere, e.g. a central token server of your
// own. The function must not put a secret in its errors.
type FetcherFunc struct {
	// StoreKey is what Key returns. It must not contain a secret.
	StoreKey string
	// FetchFunc is what Fetch calls.
	FetchFunc func(ctx context.Context, rejected string) (Token, error)
}

// Key returns f.StoreKey.
func (f FetcherFunc) Key() string { return f.StoreKey }

// Fetch calls f.FetchFunc.
func (f FetcherFunc) Fetch(ctx context.Context, rejected string) (Token, error) {
	if f.FetchFunc == nil {
		return Token{}, fmt.Errorf("auth: FetcherFunc %q has no FetchFunc: %w", f.StoreKey, material.ErrInvalidInput)
	}
	return f.FetchFunc(ctx, rejected)
}

// ErrCannotRefresh is returned by Invalidate when the source cannot produce a
// token other than the rejected one (a Static token). The call that failed
// must not be replayed. Errors that match it also match
// material.ErrUnauthorized.
var ErrCannotRefresh = errors.New("auth: token source cannot produce a new token")

// Static returns a TokenSource that always returns token: for tokens managed
// elsewhere (another service refreshes them). Its Invalidate returns an error
// matching ErrCannotRefresh and material.ErrUnauthorized when the rejected
// token is token itself, since there is nothing else to offer; for any other
// token it returns nil, because Token already returns a different one. An
// empty token makes Token fail with an error matching material.ErrInvalidInput.
func Static(token string) TokenSource { return staticSource(token) }

type staticSource string

func (s staticSource) Token(ctx context.Context) (string, error) {
	if s == "" {
		return "", fmt.Errorf("auth: static token is empty: %w", material.ErrInvalidInput)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return string(s), nil
}

func (s staticSource) Invalidate(ctx context.Context, rejected string) error {
	if rejected != "" && rejected != string(s) {
		return nil
	}
	return staticRejected{}
}

// staticRejected is Invalidate's error for a static token.
type staticRejected struct{}

func (staticRejected) Error() string {
	return "auth: the platform rejected a static token, which cannot be refreshed"
}

func (staticRejected) Is(target error) bool {
	return target == ErrCannotRefresh || target == material.ErrUnauthorized
}
