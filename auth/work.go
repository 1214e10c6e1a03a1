package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"

	"github.com/wxmaterial/wxmaterial/material"
)

// WeComFetcher fetches the access token of one WeCom app: GET
// cgi-bin/gettoken with the corp id and the app's own secret. A token works
// only for the app whose secret produced it, so each (corp id, secret) pair
// has its own token and its own Key.
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/91039
type WeComFetcher struct {
	corpID string
	secret string
	key    string
	ep     *endpoint
}

var _ Fetcher = (*WeComFetcher)(nil)

// NewWeCom returns a fetcher of the access token of the WeCom app whose
// secret is secret, in the corp corpID. Empty credentials give an error
// matching material.ErrInvalidInput.
func NewWeCom(corpID, secret string, opts ...FetcherOption) (*WeComFetcher, error) {
	if err := checkCredentials("NewWeCom", "corpID", corpID, secret); err != nil {
		return nil, err
	}
	ep, err := newEndpoint(material.WeCom, WeComBaseURL, "cgi-bin/gettoken", secret, opts)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(secret))
	return &WeComFetcher{
		corpID: corpID,
		secret: secret,
		key:    "work:" + corpID + ":" + hex.EncodeToString(sum[:8]),
		ep:     ep,
	}, nil
}

// Key returns "work:<corpid>:<first 16 hex digits of sha256(secret)>": one
// key per app, without the secret.
func (f *WeComFetcher) Key() string { return f.key }

// Fetch gets the app's token. WeCom may answer with the token it already
// issued while that one is valid; rejected is not needed. Errors hold a
// *material.APIError when the platform answered one, and never the secret.
// A failure another attempt may fix is retried (see WithFetcherRetry).
func (f *WeComFetcher) Fetch(ctx context.Context, rejected string) (Token, error) {
	u := *f.ep.url
	u.RawQuery = url.Values{"corpid": {f.corpID}, "corpsecret": {f.secret}}.Encode()
	return f.ep.fetch(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}, false)
}
