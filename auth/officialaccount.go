package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// OfficialAccountFetcher fetches the plain access token of an Official
// Account: GET cgi-bin/token.
//
// Every fetch rotates the token on the platform: the previous one keeps
// working for 5 more minutes, then dies. Two processes that fetch on their
// own therefore invalidate each other's tokens; give them one shared Store,
// or use NewStable.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/base/api_getaccesstoken.html
type OfficialAccountFetcher struct {
	appID  string
	secret string
	ep     *endpoint
}

var _ Fetcher = (*OfficialAccountFetcher)(nil)

// NewOfficialAccount returns a fetcher of the plain access token of the
// Official Account appID. Empty credentials give an error matching
// material.ErrInvalidInput.
func NewOfficialAccount(appID, secret string, opts ...FetcherOption) (*OfficialAccountFetcher, error) {
	if err := checkCredentials("NewOfficialAccount", "appID", appID, secret); err != nil {
		return nil, err
	}
	ep, err := newEndpoint(material.OfficialAccount, OfficialAccountBaseURL, "cgi-bin/token", secret, opts)
	if err != nil {
		return nil, err
	}
	return &OfficialAccountFetcher{appID: appID, secret: secret, ep: ep}, nil
}

// Key returns "officialaccount:token:<appid>".
func (f *OfficialAccountFetcher) Key() string { return "officialaccount:token:" + f.appID }

// Fetch gets a new token, which rotates the previous one out (it lives 5
// more minutes). rejected is not needed: every fetch gives a new token.
// Errors hold a *material.APIError when the platform answered one (errcode
// or HTTP status), and never the secret.
//
// A failure another attempt may fix is retried (see WithFetcherRetry),
// even though an attempt whose reply was lost (a 5xx, a cut reply, a
// dropped connection) may have minted a token and rotated the previous one
// out: that previous token still works for 5 more minutes, and the one the
// lost reply held was never used, so the retry's new token only rotates
// out a token nobody holds, at the cost of one more fetch of the 2000 a
// day. Not retrying would fail every caller waiting on the fetch, and the
// next fetch would rotate the same way.
func (f *OfficialAccountFetcher) Fetch(ctx context.Context, rejected string) (Token, error) {
	u := *f.ep.url
	u.RawQuery = url.Values{"grant_type": {"client_credential"}, "appid": {f.appID}, "secret": {f.secret}}.Encode()
	return f.ep.fetch(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}, false)
}

// StableFetcher fetches the stable access token of an Official Account:
// POST cgi-bin/stable_token. It is independent of the plain token.
//
// In normal mode the platform returns the token it already has, with its
// remaining lifetime, so any number of processes may fetch it without
// invalidating each other. The fetcher asks for force_refresh only when the
// stable token itself was rejected, that is when Fetch is told a rejected
// token and a normal fetch returns that same token, and at most once every
// 30 s, as the platform requires (it also allows 20 forced refreshes a day).
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/base/api_getstableaccesstoken.html
type StableFetcher struct {
	appID  string
	secret string
	ep     *endpoint

	mu         sync.Mutex
	lastForced time.Time
}

var _ Fetcher = (*StableFetcher)(nil)

// ForceRefreshInterval is the least time between two forced refreshes of a
// stable token.
const ForceRefreshInterval = 30 * time.Second

// NewStable returns a fetcher of the stable access token of the Official
// Account appID. Empty credentials give an error matching
// material.ErrInvalidInput.
func NewStable(appID, secret string, opts ...FetcherOption) (*StableFetcher, error) {
	if err := checkCredentials("NewStable", "appID", appID, secret); err != nil {
		return nil, err
	}
	ep, err := newEndpoint(material.OfficialAccount, OfficialAccountBaseURL, "cgi-bin/stable_token", secret, opts)
	if err != nil {
		return nil, err
	}
	return &StableFetcher{appID: appID, secret: secret, ep: ep}, nil
}

// Key returns "officialaccount:stable_token:<appid>".
func (f *StableFetcher) Key() string { return "officialaccount:stable_token:" + f.appID }

// Fetch gets the current stable token. If rejected is not empty and the
// platform returns that same token, Fetch asks for a new one with
// force_refresh; if it did so less than ForceRefreshInterval ago it returns a
// *ForceRefreshError instead, which matches material.ErrUnauthorized and
// says when forcing is allowed again.
func (f *StableFetcher) Fetch(ctx context.Context, rejected string) (Token, error) {
	tok, err := f.fetch(ctx, false)
	if err != nil || rejected == "" || tok.Value != rejected {
		return tok, err
	}
	now := f.ep.now()
	f.mu.Lock()
	if !f.lastForced.IsZero() && now.Before(f.lastForced.Add(ForceRefreshInterval)) {
		next := f.lastForced.Add(ForceRefreshInterval)
		f.mu.Unlock()
		return Token{}, &ForceRefreshError{AppID: f.appID, RetryAt: next}
	}
	// Counted even if the call fails: the platform may have seen it.
	f.lastForced = now
	f.mu.Unlock()
	return f.fetch(ctx, true)
}

// fetch asks for the stable token; a forced fetch is retried only when the
// platform declined it in plain JSON (see WithFetcherRetry): one whose
// reply was lost may have used one of the 20 forced refreshes of the day.
func (f *StableFetcher) fetch(ctx context.Context, force bool) (Token, error) {
	// The body holds the secret: it is never logged nor put in an error.
	body, err := json.Marshal(struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}{"client_credential", f.appID, f.secret, force})
	if err != nil {
		return Token{}, f.ep.fail(err)
	}
	return f.ep.fetch(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.ep.url.String(), bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}, force)
}

// ForceRefreshError is returned by StableFetcher.Fetch when the stable token
// was rejected, the platform still returns it, and the last forced refresh
// was less than ForceRefreshInterval ago. It matches material.ErrUnauthorized.
type ForceRefreshError struct {
	AppID   string    // the Official Account
	RetryAt time.Time // when force_refresh is allowed again
}

// Error says when the token may be forced again.
func (e *ForceRefreshError) Error() string {
	return fmt.Sprintf("auth: officialaccount cgi-bin/stable_token: the platform rejected the stable token of %s and still returns it; "+
		"force_refresh was used less than %v ago and is allowed again at %s",
		e.AppID, ForceRefreshInterval, e.RetryAt.Format(time.RFC3339))
}

// Unwrap returns material.ErrUnauthorized.
func (e *ForceRefreshError) Unwrap() error { return material.ErrUnauthorized }

// checkCredentials refuses empty credentials without naming the secret.
func checkCredentials(fn, idName, id, secret string) error {
	switch {
	case id == "" && secret == "":
		return fmt.Errorf("auth: %s: empty %s and secret: %w", fn, idName, material.ErrInvalidInput)
	case id == "":
		return fmt.Errorf("auth: %s: empty %s: %w", fn, idName, material.ErrInvalidInput)
	case secret == "":
		return fmt.Errorf("auth: %s: empty secret: %w", fn, material.ErrInvalidInput)
	}
	return nil
}
