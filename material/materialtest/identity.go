package materialtest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync/atomic"

	"github.com/wxmaterial/wxmaterial/material"
)

// The Fake and its views tell their platform and account, as the clients
// do; the Official Account's follow links.
var (
	_ material.Identifier    = (*Fake)(nil)
	_ material.URLDownloader = (*Fake)(nil)
	_ material.Identifier    = serviceView{}
	_ material.URLDownloader = officialAccountView{}
)

// fakeAccounts numbers the Fakes made without WithAccount.
var fakeAccounts atomic.Int64

// WithAccount sets the account the Fake answers to Account (by default
// "materialtest-<n>", different for every Fake of the process), e.g. to
// make two Fakes the same account to code that keys media by account.
func WithAccount(id string) FakeOption {
	if id == "" {
		panic("materialtest: WithAccount(\"\")")
	}
	return func(f *Fake) { f.account = id }
}

// Account returns the Fake's account (see WithAccount): the app id or corp
// id a client would answer.
func (f *Fake) Account() string { return f.account }

// fakeHost is the reserved host of the Fake's links.
const fakeHost = "materialtest.invalid"

// DownloadURL streams a link as officialaccount.Client.DownloadURL does.
// The Fake's own links on materialtest.invalid (a temporary or permanent
// video's link, a permanent image's URL) are served from memory while the
// media lives; an image URL of UploadImage serves nothing, since the Fake
// keeps no bytes for it. Any other link is fetched with the Fake's HTTP
// client (WithHTTPClient). A link that serves nothing is an error matching
// material.ErrNotFound; one that is not an absolute http(s) URL,
// material.ErrInvalidInput.
func (f *Fake) DownloadURL(ctx context.Context, link string) (content *material.Content, err error) {
	c := f.call("DownloadURL")
	c.URL = link
	defer func() { f.done(c, err) }()

	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, wrap("download url", &material.ValidationError{Platform: f.platform, Field: "url", Problem: "not an absolute http(s) URL", Err: []error{material.ErrInvalidInput}})
	}
	if err := f.reach(ctx, c); err != nil {
		return nil, wrap("download url", err)
	}
	notFound := func(status int) error {
		e := &material.APIError{Platform: f.platform, Op: "GET " + u.Host + u.Path, HTTPStatus: status}
		return wrap("download url", fmt.Errorf("%w: %w", e, material.ErrNotFound))
	}
	if u.Host != fakeHost {
		return f.fetchLink(ctx, u, notFound)
	}
	id := strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path))
	f.mu.Lock()
	s := f.temporary(id)
	if s == nil {
		s = f.lib[id]
	}
	f.mu.Unlock()
	if s == nil || s.data == nil || !strings.HasPrefix(u.Path, "/"+string(f.platform)+"/") {
		return nil, notFound(http.StatusNotFound)
	}
	return newContent("", s.contentType, s.data), nil
}

// fetchLink GETs a link that is not the Fake's own.
func (f *Fake) fetchLink(ctx context.Context, u *url.URL, notFound func(int) error) (*material.Content, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, wrap("download url", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, wrap("download url", fmt.Errorf("GET %s%s: %w", u.Host, u.Path, err))
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		return nil, notFound(resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, wrap("download url", &material.APIError{Platform: f.platform, Op: "GET " + u.Host + u.Path, HTTPStatus: resp.StatusCode})
	}
	return &material.Content{ContentType: resp.Header.Get("Content-Type"), Size: resp.ContentLength, Body: resp.Body}, nil
}

func (v serviceView) Platform() material.Platform { return v.f.Platform() }

func (v serviceView) Account() string { return v.f.Account() }

func (v officialAccountView) DownloadURL(ctx context.Context, link string) (*material.Content, error) {
	return v.f.DownloadURL(ctx, link)
}
